//! The sanitisation pipeline behind [`crate::Sanitizer::sanitize`]:
//! structure pass → walk the tree deciding per part (render or remove) → notice → rebuild.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::panic::AssertUnwindSafe;
use std::time::{Duration, Instant};

use crate::budget::{Deadline, TIME_BUDGET};

use crate::error::{Error, Result};
use crate::inspect::verdict::{self, Reading};
use crate::inspect::{archive, digest, smuggle, sniff};
use crate::outcome::Outcome;
use crate::parse::charset;
use crate::parse::header::{HeaderBlock, MimeInfo, TransferEncoding, decode_unstructured};
use crate::parse::lines::{normalise_bare_cr, split_header_body, uses_bare_lf};
use crate::parse::structure::{MimeTree, Part, PartBody, TreeLimits};
use crate::parse::transfer;
use crate::policy::{Language, LineEnding, LinkMode, NoticePosition, OnLimit, Policy};
use crate::rebuild;
use crate::render::{html, links, notice, text};
use crate::report::{Action, RemovalReason, RemovedItem, Report};

/// Runs the pipeline, turning any panic into [`Error::Internal`]. Work stops at `deadline`
/// or at the end of the policy's time budget, whichever comes first.
pub(crate) fn run(policy: &Policy, input: &[u8], deadline: Deadline) -> Result<Outcome> {
    let start = Instant::now();
    let budget = Duration::from_millis(policy.limits.time_budget_ms);
    let deadline = deadline.min(Deadline::after(budget));
    let result = std::panic::catch_unwind(AssertUnwindSafe(|| sanitize(policy, input, deadline)));
    match result {
        Ok(Ok(mut outcome)) => {
            outcome.report.micros = start.elapsed().as_micros() as u64;
            Ok(outcome)
        }
        Ok(Err(e)) => Err(e),
        Err(panic) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".into());
            Err(Error::Internal(format!("panic while sanitising: {what}")))
        }
    }
}

fn sanitize(policy: &Policy, input: &[u8], deadline: Deadline) -> Result<Outcome> {
    let mut report = Report {
        original_sha256: digest::sha256_hex(input),
        input_bytes: input.len(),
        ..Report::default()
    };
    let normalised = normalise_bare_cr(input);
    if matches!(normalised, Cow::Owned(_)) {
        report.warn("bare CR line endings");
    }
    let message: &[u8] = &normalised;
    let le = match policy.output.line_ending {
        LineEnding::Crlf => "\r\n",
        LineEnding::Lf => "\n",
        LineEnding::Auto if uses_bare_lf(message) => "\n",
        LineEnding::Auto => "\r\n",
    };
    let (header, body) = split_header_body(message);
    let top = HeaderBlock::parse(header, policy.limits.max_headers);
    if top.fields.is_empty() {
        return Ok(not_a_mail(policy, message, report, le));
    }
    if top.truncated {
        report.limit("max_headers");
    }
    if top.junk_lines > 0 {
        report.warn(format!(
            "{} header lines that are not fields",
            top.junk_lines
        ));
    }
    report.message_id = top
        .get("Message-ID")
        .map(|f| decode_unstructured(f.value))
        .filter(|s| !s.is_empty());

    let mut walker = Walker {
        policy,
        report,
        text: String::new(),
        forward_depth: 0,
        deadline,
    };
    if input.len() > policy.limits.max_message_bytes {
        if policy.limits.on_limit == OnLimit::Reject {
            return Err(Error::Rejected {
                reason: format!(
                    "message of {} bytes exceeds limits.max_message_bytes = {}",
                    input.len(),
                    policy.limits.max_message_bytes
                ),
            });
        }
        walker.report.limit("max_message_bytes");
        let info = MimeInfo::from_block(&top, ("text", "plain"));
        walker.remove_raw(body, &info, "0", RemovalReason::Limit);
    } else {
        let tree = MimeTree::parse_until(
            message,
            TreeLimits {
                max_depth: policy.limits.max_mime_depth,
                max_parts: policy.limits.max_parts,
                max_headers: policy.limits.max_headers,
            },
            deadline,
        );
        for w in &tree.warnings {
            walker.report.warn(w.clone());
        }
        for l in &tree.limits_hit {
            walker.report.limit(l.clone());
        }
        if policy.limits.on_limit == OnLimit::Reject && !walker.report.limits_hit.is_empty() {
            return Err(Error::Rejected {
                reason: format!("limits reached: {}", walker.report.limits_hit.join(", ")),
            });
        }
        walker.walk(&tree, 0);
        if policy.limits.on_limit == OnLimit::Reject
            && walker.report.limits_hit.iter().any(|l| l == TIME_BUDGET)
        {
            return Err(Error::Rejected {
                reason: format!(
                    "time budget reached (limits.time_budget_ms = {})",
                    policy.limits.time_budget_ms
                ),
            });
        }
    }
    let Walker {
        mut report,
        text: body_text,
        ..
    } = walker;
    Ok(finish(
        policy,
        &top,
        report_take(&mut report),
        body_text,
        le,
        false,
    ))
}

fn report_take(r: &mut Report) -> Report {
    std::mem::take(r)
}

/// Assembles notice and text, encodes, and plans the header edits.
fn finish(
    policy: &Policy,
    top: &HeaderBlock<'_>,
    mut report: Report,
    mut body_text: String,
    le: &'static str,
    not_a_mail: bool,
) -> Outcome {
    // Kept header fields are reviewed first: what is cut from them belongs in the notice.
    let review = rebuild::review_headers(
        top,
        &rebuild::HeaderRules {
            max_field_bytes: policy.limits.max_header_bytes,
            headers: &policy.headers,
            links: &policy.links,
        },
    );
    note_header_review(&mut report, &review, policy);
    if body_text.len() > policy.limits.max_text_bytes {
        let cut = (0..=policy.limits.max_text_bytes)
            .rev()
            .find(|&i| body_text.is_char_boundary(i))
            .unwrap_or(0);
        body_text.truncate(cut);
        body_text.push_str("\n…\n");
        report.act(Action::TextTruncated);
    }
    let quarantined = policy.quarantine_enabled();
    let show_notice = report.changed() || policy.notice.always;
    let mut full = String::with_capacity(body_text.len() + 2048);
    let notice_text = show_notice.then(|| notice::render(&report, policy, quarantined));
    if let (Some(n), NoticePosition::Top) = (&notice_text, policy.notice.position) {
        full.push_str(n);
        full.push('\n');
    }
    full.push_str(&body_text);
    if !full.ends_with('\n') {
        full.push('\n');
    }
    if let (Some(n), NoticePosition::Bottom) = (&notice_text, policy.notice.position) {
        full.push('\n');
        full.push_str(n);
    }
    let encoded = rebuild::encode_body(
        &full,
        policy.output.charset,
        policy.output.transfer_encoding,
        le,
    );
    report.unmappable_chars = encoded.unmappable;

    let subject = if !policy.notice.subject_tag.is_empty() && report.changed() {
        report.act(Action::SubjectTagged);
        let old = top
            .get("Subject")
            .map(|f| rebuild::clean_header_text(&decode_unstructured(f.value), &policy.links).text)
            .unwrap_or_default();
        Some(
            format!("{} {}", policy.notice.subject_tag, old)
                .trim_end()
                .to_owned(),
        )
    } else if not_a_mail {
        Some(match policy.notice.language {
            Language::Ja => "(読み取れないメール)".to_owned(),
            Language::En => "(unreadable message)".to_owned(),
        })
    } else {
        None
    };
    let sanitized = sanitized_header(&report, &policy.name);
    let added = vec![
        ("MIME-Version".to_owned(), "1.0".to_owned()),
        ("Content-Type".to_owned(), encoded.content_type.to_owned()),
        (
            "Content-Transfer-Encoding".to_owned(),
            encoded.transfer_encoding.to_owned(),
        ),
        ("X-Mugai-Sanitized".to_owned(), sanitized),
        (
            "X-Mugai-Original-SHA256".to_owned(),
            report.original_sha256.clone(),
        ),
    ];
    let header_edits = rebuild::plan_header_edits(top, &review, subject.as_deref(), &added);
    let headers = rebuild::apply_header_edits(top, &header_edits, le);
    report.output_bytes = headers.len() + le.len() + encoded.bytes.len();
    Outcome {
        header_edits,
        headers,
        body: encoded.bytes,
        line_ending: le,
        report,
        not_a_mail,
    }
}

/// Records the header review in the report: removed fields counted and named, links and
/// made-visible characters noted, payloads cut from kept fields listed like attachments.
fn note_header_review(report: &mut Report, review: &rebuild::HeaderReview, policy: &Policy) {
    report.headers_removed += review.removed.len();
    for name in &review.removed {
        if report.headers_removed_names.len() < 100
            && !report
                .headers_removed_names
                .iter()
                .any(|n| n.eq_ignore_ascii_case(name))
        {
            report.headers_removed_names.push(name.clone());
        }
    }
    if review.links > 0 {
        report.links += review.links;
        match policy.links.urls {
            LinkMode::Defang => report.act(Action::LinksDefanged),
            LinkMode::Remove => report.act(Action::LinksRemoved),
            LinkMode::Keep => {}
        }
    }
    if review.made_visible > 0 {
        report.warn(format!(
            "header: {} control, bidi or invisible character(s) made visible",
            review.made_visible
        ));
    }
    for (n, p) in review.payloads.iter().enumerate() {
        report.act(Action::SmuggledRemoved);
        let data = &p.found.data;
        report.removed.push(RemovedItem {
            path: format!("header:{}:{}{}", p.field, p.found.kind, n + 1),
            name: p.found.name.as_deref().map(|n| text::visible_name(n, 120)),
            declared_type: format!("header {} ({})", p.field, p.found.kind),
            detected_type: sniff::detect(data).to_owned(),
            mismatch: false,
            size: data.len() as u64,
            sha256: digest::sha256_hex(data),
            entries: Vec::new(),
            more_entries: 0,
            encrypted: false,
            reason: RemovalReason::Smuggled,
        });
    }
}

/// The value of `X-Mugai-Sanitized`:
/// `value = (item *("; " item)) / "clean"`, then `"; policy=" name`, where an item is an
/// action token (`html-converted`, `smuggled-removed`…), `attachments-removed=N`, or
/// `links=defanged` / `links=removed`.
///
/// e.g. `html-converted; attachments-removed=2; links=defanged; policy=default`.
fn sanitized_header(report: &Report, policy_name: &str) -> String {
    let mut items: Vec<String> = Vec::new();
    for a in &report.actions {
        items.push(match a {
            Action::AttachmentsRemoved => {
                format!("attachments-removed={}", report.removed_parts_count())
            }
            Action::LinksDefanged => "links=defanged".into(),
            Action::LinksRemoved => "links=removed".into(),
            other => other.token().into(),
        });
    }
    if items.is_empty() {
        items.push("clean".into());
    }
    format!(
        "{}; policy={}",
        items.join("; "),
        sanitize_token(policy_name)
    )
}

fn sanitize_token(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        .take(64)
        .collect()
}

/// Input that is not a mail at all: a note and whatever readable text could be salvaged.
///
/// Salvage comes only from text: a binary input (a known binary signature such as an
/// executable or an archive) yields the notice alone, with the input listed (size, SHA-256,
/// detected type). Input that is mostly control bytes without a signature is listed the same
/// way, and only runs that read as prose (several words, mostly letters) are kept from it,
/// each once.
fn not_a_mail(policy: &Policy, message: &[u8], mut report: Report, le: &'static str) -> Outcome {
    report.act(Action::NotAMail);
    report.warn("input has no header fields");
    let signature = sniff::binary_signature(message.trim_ascii_start());
    let binary = signature.is_some() || !text_like(message);
    if binary {
        let detected = sniff::detect(message);
        report.warn(format!(
            "input is binary ({detected}); nothing salvaged from it"
        ));
        report.removed.push(RemovedItem {
            path: "0".into(),
            name: None,
            declared_type: "application/octet-stream".into(),
            detected_type: detected.into(),
            mismatch: sniff::is_executable(detected),
            size: message.len() as u64,
            sha256: report.original_sha256.clone(),
            entries: Vec::new(),
            more_entries: 0,
            encrypted: false,
            reason: RemovalReason::Attachment,
        });
        report.act(Action::AttachmentsRemoved);
    }
    // Salvage comes only from text-like input: the printable strings of a binary are the
    // attacker's choice, not the sender's words.
    let salvaged = if binary {
        String::new()
    } else {
        salvage(message, policy.limits.max_salvage_bytes)
    };
    let clean = text::clean_body(&salvaged).into_owned();
    // Salvaged text is text the reader sees: payloads in it are cut like in a body.
    let mut walker = Walker {
        policy,
        report,
        text: String::new(),
        forward_depth: 0,
        deadline: Deadline::never(),
    };
    let clean = walker
        .cut_smuggled_in(&clean, "0", "text/plain", 0)
        .into_owned();
    let report = walker.report;
    let (clean, _) = links::rewrite_text_urls(&clean, &policy.links);
    let clean = clean.into_owned();
    let top = HeaderBlock::default();
    finish(policy, &top, report, clean, le, true)
}

/// Whether input that is not a mail is text: no block of it is mostly control bytes, and
/// control bytes and undecodable bytes together make up at most one byte in 16 (random or
/// compressed data has about one in nine control bytes alone).
fn text_like(message: &[u8]) -> bool {
    if sniff::mostly_control(message) {
        return false;
    }
    let (decoded, _) = charset::decode(message, None);
    let replaced = decoded.chars().filter(|&c| c == '\u{FFFD}').count();
    (sniff::control_bytes(message) + replaced) * 16 <= message.len()
}

/// Printable runs of `message` (at least 4 characters), at most `max` bytes.
fn salvage(message: &[u8], max: usize) -> String {
    let lossy = String::from_utf8_lossy(message);
    let mut salvaged = String::new();
    let mut run = String::new();
    let flush = |run: &mut String, salvaged: &mut String| {
        let t = run.trim();
        let keep = t.chars().count() >= 4 && salvaged.len() < max;
        if keep {
            salvaged.push_str(t);
            salvaged.push('\n');
        }
        run.clear();
    };
    for c in lossy.chars() {
        if c == '\n' || c == '\r' {
            flush(&mut run, &mut salvaged);
        } else if (c.is_ascii_graphic() || c == ' ' || (!c.is_ascii() && !c.is_control()))
            && c != '\u{FFFD}'
        {
            run.push(c);
        } else {
            flush(&mut run, &mut salvaged);
        }
        if salvaged.len() >= max {
            break;
        }
    }
    flush(&mut run, &mut salvaged);
    if salvaged.len() > max {
        let cut = (0..=max)
            .rev()
            .find(|&i| salvaged.is_char_boundary(i))
            .unwrap_or(0);
        salvaged.truncate(cut);
    }
    salvaged
}

/// Walks the MIME tree, appending readable text and recording removals.
struct Walker<'p> {
    policy: &'p Policy,
    report: Report,
    text: String,
    forward_depth: usize,
    /// Work stops here: parts not yet handled are removed as "limit reached".
    deadline: Deadline,
}

impl Walker<'_> {
    fn append(&mut self, piece: &str) {
        if piece.trim().is_empty() {
            return;
        }
        if !self.text.is_empty() && !self.text.ends_with("\n\n") {
            if !self.text.ends_with('\n') {
                self.text.push('\n');
            }
            self.text.push('\n');
        }
        self.text.push_str(piece);
        if !self.text.ends_with('\n') {
            self.text.push('\n');
        }
    }

    fn walk(&mut self, tree: &MimeTree<'_>, idx: usize) {
        let part = &tree.parts[idx];
        if part.limited {
            self.remove(part, RemovalReason::Limit);
            return;
        }
        if self.deadline.passed() {
            self.report.limit(TIME_BUDGET);
            self.remove(part, RemovalReason::Limit);
            return;
        }
        match &part.content {
            PartBody::Multipart { children, .. } => self.walk_multipart(tree, part, children),
            PartBody::Message { child } => self.walk_message(tree, part, *child),
            PartBody::Leaf => self.leaf(part),
        }
    }

    fn walk_multipart(&mut self, tree: &MimeTree<'_>, part: &Part<'_>, children: &[usize]) {
        match part.info.subtype.as_str() {
            "alternative" => {
                let chosen = self.choose_alternative(tree, children);
                for &c in children {
                    if Some(c) == chosen {
                        self.walk(tree, c);
                    } else {
                        self.drop_alternative(tree, c);
                    }
                }
            }
            "related" => {
                let root = part
                    .info
                    .start
                    .as_deref()
                    .and_then(|s| {
                        children
                            .iter()
                            .copied()
                            .find(|&c| tree.parts[c].info.content_id.as_deref() == Some(s))
                    })
                    .or_else(|| children.first().copied());
                for &c in children {
                    if Some(c) == root {
                        self.walk(tree, c);
                    } else {
                        self.remove_subtree(tree, c, RemovalReason::Attachment);
                    }
                }
            }
            "signed" => {
                for (i, &c) in children.iter().enumerate() {
                    if i == 0 {
                        self.walk(tree, c);
                    } else {
                        self.report.act(Action::SignatureRemoved);
                        self.remove_subtree(tree, c, RemovalReason::Signature);
                    }
                }
            }
            "encrypted" => {
                self.report.act(Action::EncryptedRemoved);
                for &c in children {
                    self.remove_subtree(tree, c, RemovalReason::Encrypted);
                }
            }
            _ => {
                for &c in children {
                    self.walk(tree, c);
                }
            }
        }
    }

    /// The alternative to render: text/plain when present and not empty (unless the policy
    /// prefers HTML), else the last HTML or structured alternative. Each text alternative is
    /// judged by what it is ([`verdict::judge`]): a "text/plain" that is HTML counts as HTML,
    /// one that is not text at all is never chosen.
    fn choose_alternative(&self, tree: &MimeTree<'_>, children: &[usize]) -> Option<usize> {
        let readings: Vec<(usize, Option<(Reading, bool)>)> = children
            .iter()
            .map(|&c| (c, self.alternative_reading(&tree.parts[c])))
            .collect();
        let plain = readings
            .iter()
            .find(|(_, r)| matches!(r, Some((Reading::Text, false))))
            .map(|(c, _)| *c);
        let rich = readings
            .iter()
            .rev()
            .find(|(c, r)| {
                matches!(r, Some((Reading::Html, _))) || tree.parts[*c].info.ctype == "multipart"
            })
            .map(|(c, _)| *c);
        let usable = readings
            .iter()
            .find(|(_, r)| !matches!(r, Some((Reading::Remove(_), _))))
            .map(|(c, _)| *c);
        if self.policy.output.prefer_html {
            rich.or(plain)
        } else {
            plain.or(rich)
        }
        .or(usable)
        .or_else(|| children.first().copied())
    }

    /// The reading of an alternative that is a text leaf, and whether its text is empty;
    /// `None` for anything else.
    fn alternative_reading(&self, part: &Part<'_>) -> Option<(Reading, bool)> {
        let body = Self::text_leaf_body(part, self.deadline)?;
        let reading = verdict::judge(&part.info, &body.raw, body.text());
        Some((reading, body.text().trim_ascii().is_empty()))
    }

    /// The body of a part that is a text leaf; `None` for anything else.
    fn text_leaf_body<'a>(part: &Part<'a>, deadline: Deadline) -> Option<TextBody<'a>> {
        (part.info.ctype == "text" && part.content == PartBody::Leaf && !part.limited)
            .then(|| TextBody::of(part, deadline))
            .flatten()
    }

    /// An alternative that is not shown: text versions of the same content vanish; anything
    /// else in it (and a "text" version that is not text) is removed and listed.
    fn drop_alternative(&mut self, tree: &MimeTree<'_>, idx: usize) {
        let part = &tree.parts[idx];
        let i = &part.info;
        let same_content =
            i.ctype == "text" && matches!(i.subtype.as_str(), "plain" | "html" | "enriched");
        if same_content && !i.is_attachment() && !part.limited {
            if let Some(body) = Self::text_leaf_body(part, self.deadline)
                && let Reading::Remove(why) = verdict::judge(i, &body.raw, body.text())
            {
                self.remove_text(part, why, &body.raw);
            }
            return;
        }
        match &part.content {
            PartBody::Multipart { children, .. } => {
                for &c in children {
                    self.drop_alternative(tree, c);
                }
            }
            _ => self.remove_subtree(tree, idx, RemovalReason::Attachment),
        }
    }

    /// Removes a part and everything in it, listing every leaf.
    fn remove_subtree(&mut self, tree: &MimeTree<'_>, idx: usize, reason: RemovalReason) {
        let part = &tree.parts[idx];
        match &part.content {
            PartBody::Multipart { children, .. } if !part.limited => {
                for &c in children {
                    self.remove_subtree(tree, c, reason);
                }
            }
            _ => self.remove(part, reason),
        }
    }

    fn walk_message(&mut self, tree: &MimeTree<'_>, part: &Part<'_>, child: usize) {
        if !self.may_forward(part) {
            return;
        }
        self.list_forwarded_file(part, part.body);
        self.render_forward(part, &tree.parts[child].fields, |w| w.walk(tree, child));
    }

    /// A message/rfc822 with a (not allowed) base64 or quoted-printable transfer encoding:
    /// decoded, parsed, and rendered like any forwarded message, its attachments listed.
    fn encoded_message(&mut self, part: &Part<'_>) {
        if !self.may_forward(part) {
            return;
        }
        let decoded = transfer::decode(part.body, part.info.transfer);
        let mut path = part.path.clone();
        path.push(1);
        let limits = TreeLimits {
            max_depth: self.policy.limits.max_mime_depth,
            max_parts: self.policy.limits.max_parts,
            max_headers: self.policy.limits.max_headers,
        };
        let sub =
            MimeTree::parse_nested_until(&decoded, limits, path, part.depth + 1, self.deadline);
        for w in &sub.warnings {
            self.report.warn(w.clone());
        }
        for l in &sub.limits_hit {
            self.report.limit(l.clone());
        }
        self.list_forwarded_file(part, &decoded);
        self.render_forward(part, &sub.parts[0].fields, |w| w.walk(&sub, 0));
    }

    /// Whether one more forwarded message may be rendered (else it is removed as a limit).
    fn may_forward(&mut self, part: &Part<'_>) -> bool {
        if self.forward_depth >= self.policy.limits.max_forward_depth {
            self.report.limit("max_forward_depth");
            self.remove(part, RemovalReason::Limit);
            return false;
        }
        true
    }

    /// A forwarded message sent as a file (`attachment`, or with a name such as
    /// `転送.eml`): the file itself is not delivered, so it is named in the notice, while its
    /// content is rendered.
    fn list_forwarded_file(&mut self, part: &Part<'_>, data: &[u8]) {
        if part.info.filename.is_some() || part.info.is_attachment() {
            let path = part.path_string();
            let name = part.info.filename.clone();
            self.push_item(
                &path,
                name,
                part.info.mime_type(),
                data,
                RemovalReason::Attachment,
            );
        }
    }

    /// Renders the forwarded message `part`: a head with the inner From/Date/Subject/To/Cc,
    /// then the inner content (rendered by `inner` into its own buffer), all quoted with `> `.
    fn render_forward(
        &mut self,
        part: &Part<'_>,
        fields: &HeaderBlock<'_>,
        inner: impl FnOnce(&mut Self),
    ) {
        self.report.act(Action::ForwardRendered);
        let mut head = String::new();
        head.push_str(match self.policy.notice.language {
            Language::Ja => "---------- 転送されたメッセージ ----------\n",
            Language::En => "---------- Forwarded message ----------\n",
        });
        let labels: [(&str, &str); 5] = match self.policy.notice.language {
            Language::Ja => [
                ("From", "差出人"),
                ("Date", "日時"),
                ("Subject", "件名"),
                ("To", "宛先"),
                ("Cc", "CC"),
            ],
            Language::En => [
                ("From", "From"),
                ("Date", "Date"),
                ("Subject", "Subject"),
                ("To", "To"),
                ("Cc", "Cc"),
            ],
        };
        for (name, label) in labels {
            if let Some(f) = fields.get(name) {
                let v = decode_unstructured(f.value);
                let v = text::clean_body(&v).replace('\n', " ");
                let (v, n) = links::rewrite_text_urls(&v, &self.policy.links);
                self.note_links(n);
                let _ = writeln!(head, "{label}: {v}");
            }
        }
        // Render the inner message into its own buffer, then quote it.
        let outer = std::mem::take(&mut self.text);
        self.forward_depth += 1;
        inner(self);
        self.forward_depth -= 1;
        let inner_text = std::mem::replace(&mut self.text, outer);
        // Payloads in the inner message's header fields are cut like those in a body.
        let mut block = self
            .cut_smuggled_in(&head, &part.path_string(), "message/rfc822", 0)
            .into_owned();
        block.push('\n');
        block.push_str(&inner_text);
        self.append(&text::quote(&block, "> "));
    }

    fn leaf(&mut self, part: &Part<'_>) {
        let info = &part.info;
        let mime = info.mime_type();
        match (info.ctype.as_str(), info.subtype.as_str()) {
            ("text", _) => self.text_leaf(part),
            ("message", "partial" | "external-body") => self.remove(part, RemovalReason::Fragment),
            ("message", "rfc822" | "global") => self.encoded_message(part),
            _ if matches!(
                mime.as_str(),
                "application/pkcs7-signature"
                    | "application/x-pkcs7-signature"
                    | "application/pgp-signature"
            ) =>
            {
                self.report.act(Action::SignatureRemoved);
                self.remove(part, RemovalReason::Signature)
            }
            _ if matches!(
                mime.as_str(),
                "application/pkcs7-mime" | "application/x-pkcs7-mime" | "application/pgp-encrypted"
            ) =>
            {
                self.report.act(Action::EncryptedRemoved);
                self.remove(part, RemovalReason::Encrypted)
            }
            ("multipart", _) if sniff::detect(part.body) == "text" => {
                // A multipart whose delimiters never occur: its body is all preamble, which
                // is text the sender wrote. Show it as text (payloads in it are still cut),
                // transfer-decoded, unless the decoded bytes are binary.
                let Some(body) = TextBody::of(part, self.deadline) else {
                    self.report.limit(TIME_BUDGET);
                    return self.remove(part, RemovalReason::Limit);
                };
                if sniff::binary_signature(body.raw.trim_ascii_start()).is_some()
                    || sniff::mostly_control(body.text())
                {
                    self.remove(part, RemovalReason::Attachment);
                } else {
                    let (bytes, label) = body.into_text();
                    self.text_part(part, bytes, label, false)
                }
            }
            _ => self.remove(part, RemovalReason::Attachment),
        }
    }

    /// A leaf labelled `text/*`: judged by what it is ([`verdict::judge`]), then rendered as
    /// text, converted as HTML, or removed and listed like an attachment.
    fn text_leaf(&mut self, part: &Part<'_>) {
        let Some(body) = TextBody::of(part, self.deadline) else {
            self.report.limit(TIME_BUDGET);
            return self.remove(part, RemovalReason::Limit);
        };
        if let Some(wide) = body.wide {
            self.report.warn(format!(
                "part {}: {} text decoded",
                part.path_string(),
                wide.name()
            ));
        }
        match verdict::judge(&part.info, &body.raw, body.text()) {
            Reading::Text => {
                let (bytes, label) = body.into_text();
                self.text_part(part, bytes, label, false)
            }
            Reading::Html => {
                if part.info.subtype != "html" {
                    self.report.warn(format!(
                        "part {}: labelled {} but is HTML; converted",
                        part.path_string(),
                        part.info.mime_type()
                    ));
                }
                let (bytes, label) = body.into_text();
                self.text_part(part, bytes, label, true)
            }
            Reading::Remove(why) => self.remove_text(part, why, &body.raw),
        }
    }

    /// Removes a text-labelled part that the verdict found is not to be shown; `data` is its
    /// transfer-decoded body.
    fn remove_text(&mut self, part: &Part<'_>, why: verdict::Why, data: &[u8]) {
        let reason = if why.by_content() || why == verdict::Why::NotTextType {
            RemovalReason::Attachment
        } else {
            RemovalReason::TextAttachment
        };
        if why != verdict::Why::Disposition && why != verdict::Why::OtherText {
            self.report.warn(format!(
                "part {}: {}; removed",
                part.path_string(),
                why.describe()
            ));
        }
        let path = part.path_string();
        let name = part.info.filename.clone();
        self.push_item(&path, name, part.info.mime_type(), data, reason);
    }

    /// Decodes a text part, cuts out smuggled payloads, and renders it.
    ///
    /// `bytes` is the transfer-decoded body in an ASCII-compatible charset named by `label`
    /// (see [`TextBody`]).
    fn text_part(
        &mut self,
        part: &Part<'_>,
        bytes: Cow<'_, [u8]>,
        label: Option<String>,
        is_html: bool,
    ) {
        if part.info.transfer == TransferEncoding::Unknown {
            self.report.warn(format!(
                "part {}: unknown transfer encoding",
                part.path_string()
            ));
        }
        let label = label.or_else(|| is_html.then(|| meta_charset(&bytes)).flatten());
        // yEnc is 8-bit and would not survive charset decoding: framed blocks are cut from
        // the raw bytes; every other shape is looked for in the rendered text below.
        let found = smuggle::find_framed(&bytes);
        let mut decoded = String::with_capacity(bytes.len());
        let mut pos = 0;
        let mut mislabelled = false;
        let mut cut = 0;
        for s in &found {
            let (seg, how) = charset::decode(
                &bytes[pos..s.range.start],
                label.as_deref().map(str::as_bytes),
            );
            mislabelled |= how.detected && label.is_some();
            decoded.push_str(&seg);
            cut += 1;
            self.list_smuggled(s, &part.path_string(), &part.info.mime_type(), cut);
            decoded.push_str(&self.smuggled_line(s));
            decoded.push('\n');
            pos = s.range.end;
        }
        let (seg, how) = charset::decode(&bytes[pos..], label.as_deref().map(str::as_bytes));
        mislabelled |= how.detected && label.is_some();
        decoded.push_str(&seg);
        if mislabelled {
            self.report.warn(format!(
                "part {}: charset label {:?} did not fit; decoded as {}",
                part.path_string(),
                label.as_deref().unwrap_or(""),
                how.encoding.name()
            ));
        }
        // HTML is cleaned after conversion (the converter drops controls in markup anyway);
        // text is cleaned now.
        let cleaned = if is_html {
            Cow::Borrowed(decoded.as_str())
        } else {
            text::clean_body(&decoded)
        };
        let rendered = if is_html {
            self.report.act(Action::HtmlConverted);
            let out = html::to_text_until(
                &cleaned,
                self.policy.output.width,
                &self.policy.html,
                &self.policy.links,
                self.policy.notice.language,
                self.deadline,
            );
            if out.time_budget {
                self.report.limit(TIME_BUDGET);
            }
            if let Some(reason) = &out.fallback {
                self.report.act(Action::HtmlFallback);
                self.report
                    .warn(format!("part {}: {reason}", part.path_string()));
            }
            if out.hidden > 0 {
                self.report.act(Action::HiddenRemoved);
                self.report.warn(format!(
                    "part {}: {} hidden HTML element(s) dropped",
                    part.path_string(),
                    out.hidden
                ));
            }
            if out.deceptive_links > 0 {
                self.report.warn(format!(
                    "part {}: {} link(s) whose text shows another address",
                    part.path_string(),
                    out.deceptive_links
                ));
            }
            self.note_links(out.links);
            let shown = self.cut_smuggled(&out.text, part, cut);
            // Addresses written as text in the HTML are shown under the policy as well.
            let (t, n) = links::rewrite_text_urls(&shown, &self.policy.links);
            self.note_links(n);
            text::clean_body(&t).into_owned()
        } else {
            let shown = self.cut_smuggled(&cleaned, part, cut);
            let (t, n) = links::rewrite_text_urls(&shown, &self.policy.links);
            self.note_links(n);
            t.into_owned()
        };
        self.append(&rendered);
    }

    /// Cuts what [`smuggle::find_str`] finds in the rendered text of `part` (after charset
    /// decoding and HTML conversion: what the reader could be told to decode), listing
    /// each payload; `done` payloads of the part were cut before.
    fn cut_smuggled<'t>(&mut self, text: &'t str, part: &Part<'_>, done: usize) -> Cow<'t, str> {
        self.cut_smuggled_in(text, &part.path_string(), &part.info.mime_type(), done)
    }

    fn cut_smuggled_in<'t>(
        &mut self,
        text: &'t str,
        path: &str,
        declared: &str,
        done: usize,
    ) -> Cow<'t, str> {
        let found = smuggle::find_str(text);
        if found.is_empty() {
            return Cow::Borrowed(text);
        }
        let mut out = String::with_capacity(text.len());
        let mut pos = 0;
        for (n, s) in found.iter().enumerate() {
            out.push_str(text.get(pos..s.range.start).unwrap_or_default());
            if !out.is_empty() && !out.ends_with('\n') {
                out.push('\n');
            }
            self.list_smuggled(s, path, declared, done + n + 1);
            out.push_str(&self.smuggled_line(s));
            out.push('\n');
            pos = s.range.end;
        }
        let rest = text.get(pos..).unwrap_or_default();
        // A block cut from inside a line leaves that line's end for the notice line.
        let cut_mid_line = text.get(..pos).is_some_and(|t| !t.ends_with('\n'));
        out.push_str(match rest.strip_prefix('\n') {
            Some(r) if cut_mid_line => r,
            _ => rest,
        });
        Cow::Owned(out)
    }

    /// Lists one smuggled payload like an attachment.
    fn list_smuggled(&mut self, s: &smuggle::Smuggled, path: &str, declared: &str, n: usize) {
        self.report.act(Action::SmuggledRemoved);
        self.push_item(
            &format!("{path}:{}-{n}", s.kind),
            s.name.clone(),
            format!("{declared} ({})", s.kind),
            &s.data,
            RemovalReason::Smuggled,
        );
    }

    /// The line that stands where a payload was cut.
    fn smuggled_line(&self, s: &smuggle::Smuggled) -> String {
        let what = s
            .name
            .as_deref()
            .map_or_else(|| s.kind.to_owned(), |n| text::visible_name(n, 120));
        match self.policy.notice.language {
            Language::Ja => format!("[符号化データを削除しました: {what}]"),
            Language::En => format!("[encoded data removed: {what}]"),
        }
    }

    fn note_links(&mut self, n: usize) {
        if n == 0 {
            return;
        }
        self.report.links += n;
        match self.policy.links.urls {
            LinkMode::Defang => self.report.act(Action::LinksDefanged),
            LinkMode::Remove => self.report.act(Action::LinksRemoved),
            LinkMode::Keep => {}
        }
    }

    fn remove(&mut self, part: &Part<'_>, reason: RemovalReason) {
        let path = part.path_string();
        self.remove_raw(part.body, &part.info, &path, reason);
    }

    /// Decodes a removed part only as far as the notice needs: size, SHA-256, type, archive
    /// listing.
    fn remove_raw(&mut self, body: &[u8], info: &MimeInfo, path: &str, reason: RemovalReason) {
        let data: Cow<'_, [u8]> = match info.transfer {
            TransferEncoding::Identity | TransferEncoding::Unknown => Cow::Borrowed(body),
            te => Cow::Owned(transfer::decode(body, te)),
        };
        self.push_item(path, info.filename.clone(), info.mime_type(), &data, reason);
    }

    fn push_item(
        &mut self,
        path: &str,
        name: Option<String>,
        declared_type: String,
        data: &[u8],
        reason: RemovalReason,
    ) {
        if reason != RemovalReason::Smuggled {
            self.report.act(Action::AttachmentsRemoved);
        }
        if !self.report.can_list() {
            // Past the listing cap only the count is kept: no hashing, no sniffing.
            self.report.count_unlisted(reason);
            return;
        }
        let detected = sniff::detect(data);
        let declared_mime = declared_type.split(' ').next().unwrap_or("").to_owned();
        let mismatch = sniff::mismatch(detected, &declared_mime, name.as_deref());
        let mut item = RemovedItem {
            path: path.to_owned(),
            name: name.map(|n| text::visible_name(&n, 120)),
            declared_type,
            detected_type: detected.to_owned(),
            mismatch,
            size: data.len() as u64,
            sha256: digest::sha256_hex(data),
            entries: Vec::new(),
            more_entries: 0,
            encrypted: false,
            reason,
        };
        if matches!(detected, "zip" | "ooxml" | "odf" | "epub")
            && let Some(listing) = archive::list_zip(data, self.policy.notice.max_archive_entries)
        {
            item.entries = listing.names;
            item.more_entries = listing.more;
            item.encrypted = listing.encrypted;
        }
        if item.encrypted {
            self.report.warn(format!("part {path}: encrypted archive"));
        }
        if mismatch {
            self.report.warn(format!(
                "part {path}: declared {} but content is {detected}",
                item.declared_type
            ));
        }
        self.report.push_removed(item);
    }
}

/// The body of a text-labelled part, transfer-decoded, and (when it is in UTF-16 or UTF-7,
/// by its BOM or its label) decoded to UTF-8 so that every later step sees an
/// ASCII-compatible byte string.
struct TextBody<'a> {
    /// Transfer-decoded bytes (signatures are judged on these).
    raw: Cow<'a, [u8]>,
    /// The UTF-8 text when the body was in a wide encoding.
    widened: Option<String>,
    /// Which wide encoding, for the report.
    wide: Option<charset::Wide>,
    /// The charset label for [`charset::decode`].
    label: Option<String>,
}

impl<'a> TextBody<'a> {
    /// `None` when `deadline` passed before the transfer decoding was done.
    fn of(part: &Part<'a>, deadline: Deadline) -> Option<Self> {
        let raw: Cow<'a, [u8]> = match part.info.transfer {
            TransferEncoding::Identity | TransferEncoding::Unknown => Cow::Borrowed(part.body),
            te => Cow::Owned(transfer::decode_until(part.body, te, deadline)?),
        };
        let mut label = part.info.charset.clone();
        if label.is_none() && part.info.subtype == "html" {
            label = meta_charset(&raw);
        }
        let wide = charset::wide_encoding(&raw, label.as_deref().map(str::as_bytes));
        let widened = wide.map(|w| charset::decode_wide(&raw, w).0);
        if widened.is_some() {
            label = Some("utf-8".into());
        }
        Some(TextBody {
            raw,
            widened,
            wide,
            label,
        })
    }

    /// The ASCII-compatible bytes.
    fn text(&self) -> &[u8] {
        self.widened.as_deref().map_or(&self.raw, str::as_bytes)
    }

    /// The ASCII-compatible bytes and their charset label, for [`Walker::text_part`].
    fn into_text(self) -> (Cow<'a, [u8]>, Option<String>) {
        match self.widened {
            Some(s) => (Cow::Owned(s.into_bytes()), self.label),
            None => (self.raw, self.label),
        }
    }
}

/// The charset named by a `<meta charset=…>` or `<meta http-equiv… content="…charset=…">` in
/// the first 2 KiB of an HTML document.
fn meta_charset(html: &[u8]) -> Option<String> {
    let head = &html[..html.len().min(2048)];
    let lower: Vec<u8> = head.iter().map(|b| b.to_ascii_lowercase()).collect();
    let at = memchr::memmem::find(&lower, b"charset=")?;
    let rest = &head[at + 8..];
    let rest = rest
        .strip_prefix(b"\"")
        .or_else(|| rest.strip_prefix(b"'"))
        .unwrap_or(rest);
    let len = rest
        .iter()
        .take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
        .count();
    (len > 0).then(|| String::from_utf8_lossy(&rest[..len]).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sanitise(input: &[u8]) -> (Outcome, String) {
        let outcome = run(&Policy::default(), input, Deadline::never()).expect("never an error");
        let body = transfer::quoted_printable(&outcome.body);
        (outcome, String::from_utf8_lossy(&body).into_owned())
    }

    #[test]
    fn binary_not_a_mail_gives_only_the_notice() {
        let mut pe = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00".to_vec();
        pe.extend_from_slice(b"\x00\x00This program cannot be run in DOS mode.\r\r\n$\x00\x00");
        pe.extend_from_slice(b"TOKEN-NOT-SALVAGED-1\x00".repeat(3).as_slice());
        let (outcome, body) = sanitise(&pe);
        assert!(outcome.not_a_mail);
        assert_eq!(outcome.report.removed.len(), 1);
        assert_eq!(outcome.report.removed[0].detected_type, "pe-executable");
        assert_eq!(outcome.report.removed[0].size, pe.len() as u64);
        assert!(!body.contains("TOKEN-NOT-SALVAGED-1"), "{body}");
        assert!(!body.contains("cannot be run"), "{body}");
    }

    #[test]
    fn text_not_a_mail_is_salvaged_whole() {
        let memo = "議事録メモ\n次回は六月三日です。\nMEMO-SALVAGED-LINE\n".as_bytes();
        let (outcome, body) = sanitise(memo);
        assert!(outcome.not_a_mail);
        assert!(outcome.report.removed.is_empty());
        assert!(body.contains("次回は六月三日です。"), "{body}");
        assert!(body.contains("MEMO-SALVAGED-LINE"), "{body}");
        let (sjis, _, _) = encoding_rs::SHIFT_JIS.encode("シフトJISの覚え書きです。\n");
        assert!(text_like(&sjis));
    }

    #[test]
    fn payload_in_salvaged_text_is_cut() {
        let mut pe = b"MZ\x90\x00\x03\x00\x00\x00PE\x00\x00".to_vec();
        pe.extend(std::iter::repeat_n(0u8, 600));
        pe.extend_from_slice(b"SALVAGED-PE-TOKEN-77");
        let b64 = base64_simd::STANDARD.encode_to_string(&pe);
        let memo = format!("メモです。MEMO-BEFORE-77\n{b64}\n以上です。 MEMO-AFTER-77\n");
        let (outcome, body) = sanitise(memo.as_bytes());
        assert!(outcome.not_a_mail);
        assert!(
            body.contains("MEMO-BEFORE-77") && body.contains("MEMO-AFTER-77"),
            "{body}"
        );
        assert!(!body.contains(&b64[..40]), "{body}");
        assert!(outcome.report.actions.contains(&Action::SmuggledRemoved));
    }

    #[test]
    fn unsigned_binary_salvages_nothing() {
        let mut data = Vec::new();
        for i in 0..300u32 {
            data.extend_from_slice(&[(i % 5) as u8, 0, 0, 0, 0x80 | (i % 60) as u8, 0, 0]);
            if i % 100 == 7 {
                data.extend_from_slice(b"Readable words PROSE-IN-NOISE-22 from the noise\x00");
            }
        }
        assert!(!text_like(&data));
        let (outcome, body) = sanitise(&data);
        assert_eq!(outcome.report.removed.len(), 1);
        assert!(!body.contains("PROSE-IN-NOISE-22"), "{body}");
    }

    #[test]
    fn encoded_multipart_without_delimiters_is_decoded_before_rendering() {
        // The whole multipart body is base64: shown as text, but decoded first, so that the
        // attachment inside is seen (and cut), not passed on as one opaque base64 run.
        let mail = include_bytes!("../testdata/mails/49-malformed-multipart-body-base64.eml");
        let (outcome, _) = sanitise(mail);
        assert!(
            outcome.report.actions.contains(&Action::SmuggledRemoved),
            "{:?}",
            outcome.report
        );
    }
}
