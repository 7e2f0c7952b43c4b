//! The sanitisation pipeline behind [`crate::Sanitizer::sanitize`]:
//! structure pass → walk the tree deciding per part (render or remove) → notice → rebuild.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::panic::AssertUnwindSafe;
use std::time::{Duration, Instant};

use crate::budget::{Deadline, TIME_BUDGET};

use crate::error::{Error, Result};
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
    if body_text.len() > policy.limits.max_text_bytes {
        let cut = (0..=policy.limits.max_text_bytes)
            .rev()
            .find(|&i| body_text.is_char_boundary(i))
            .unwrap_or(0);
        body_text.truncate(cut);
        body_text.push_str("\n…\n");
        report.act(Action::TextTruncated);
    }
    let quarantined = !policy.quarantine.dir.as_os_str().is_empty();
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
            .map(|f| decode_unstructured(f.value))
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
    let header_edits = rebuild::plan_header_edits(
        top,
        policy.limits.max_header_bytes,
        subject.as_deref(),
        &added,
    );
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

/// Input that is not a mail at all: a note and whatever printable text could be salvaged.
fn not_a_mail(policy: &Policy, message: &[u8], mut report: Report, le: &'static str) -> Outcome {
    report.act(Action::NotAMail);
    report.warn("input has no header fields");
    let lossy = String::from_utf8_lossy(message);
    let mut salvaged = String::new();
    let mut run = String::new();
    let max = policy.limits.max_salvage_bytes;
    let flush = |run: &mut String, salvaged: &mut String| {
        if run.trim().chars().count() >= 4 && salvaged.len() < max {
            salvaged.push_str(run.trim());
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
    let clean = text::clean_body(&salvaged).into_owned();
    let (clean, _) = links::rewrite_text_urls(&clean, &policy.links);
    let clean = clean.into_owned();
    let top = HeaderBlock::default();
    finish(policy, &top, report, clean, le, true)
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
    /// prefers HTML), else the last HTML or structured alternative.
    fn choose_alternative(&self, tree: &MimeTree<'_>, children: &[usize]) -> Option<usize> {
        let is_type = |c: usize, t: &str, s: &str| {
            let i = &tree.parts[c].info;
            i.ctype == t && i.subtype == s && !i.is_attachment()
        };
        let plain = children.iter().copied().find(|&c| {
            is_type(c, "text", "plain") && {
                let p = &tree.parts[c];
                let decoded = transfer::decode(p.body, p.info.transfer);
                !decoded.trim_ascii().is_empty()
            }
        });
        let rich = children
            .iter()
            .rev()
            .copied()
            .find(|&c| is_type(c, "text", "html") || tree.parts[c].info.ctype == "multipart");
        if self.policy.output.prefer_html {
            rich.or(plain)
        } else {
            plain.or(rich)
        }
        .or_else(|| children.first().copied())
    }

    /// An alternative that is not shown: text versions of the same content vanish; anything
    /// else in it is removed and listed.
    fn drop_alternative(&mut self, tree: &MimeTree<'_>, idx: usize) {
        let part = &tree.parts[idx];
        let i = &part.info;
        let same_content =
            i.ctype == "text" && matches!(i.subtype.as_str(), "plain" | "html" | "enriched");
        if same_content && !i.is_attachment() && !part.limited {
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
        if self.forward_depth >= self.policy.limits.max_forward_depth {
            self.report.limit("max_forward_depth");
            self.remove(part, RemovalReason::Limit);
            return;
        }
        self.report.act(Action::ForwardRendered);
        let inner = &tree.parts[child];
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
            if let Some(f) = inner.fields.get(name) {
                let v = decode_unstructured(f.value);
                let v = text::clean_body(&v).replace('\n', " ");
                let _ = writeln!(head, "{label}: {v}");
            }
        }
        // Render the inner message into its own buffer, then quote it.
        let outer = std::mem::take(&mut self.text);
        self.forward_depth += 1;
        self.walk(tree, child);
        self.forward_depth -= 1;
        let inner_text = std::mem::replace(&mut self.text, outer);
        let mut block = head;
        block.push('\n');
        block.push_str(&inner_text);
        self.append(&text::quote(&block, "> "));
    }

    fn leaf(&mut self, part: &Part<'_>) {
        let info = &part.info;
        let mime = info.mime_type();
        let is_inline = !info.is_attachment();
        match (info.ctype.as_str(), info.subtype.as_str()) {
            ("text", "plain") if is_inline => self.text_part(part, false),
            ("text", "html") if is_inline => self.text_part(part, true),
            ("message", "partial" | "external-body") => self.remove(part, RemovalReason::Fragment),
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
                // is text the sender wrote. Show it as text (payloads in it are still cut).
                self.text_part(part, false)
            }
            ("text", _) => self.remove(part, RemovalReason::TextAttachment),
            _ => self.remove(part, RemovalReason::Attachment),
        }
    }

    /// Decodes a text part, cuts out smuggled payloads, and renders it.
    fn text_part(&mut self, part: &Part<'_>, is_html: bool) {
        let bytes: Cow<'_, [u8]> = match part.info.transfer {
            TransferEncoding::Identity | TransferEncoding::Unknown => Cow::Borrowed(part.body),
            te => match transfer::decode_until(part.body, te, self.deadline) {
                Some(d) => Cow::Owned(d),
                None => {
                    self.report.limit(TIME_BUDGET);
                    return self.remove(part, RemovalReason::Limit);
                }
            },
        };
        if part.info.transfer == TransferEncoding::Unknown {
            self.report.warn(format!(
                "part {}: unknown transfer encoding",
                part.path_string()
            ));
        }
        let label = part
            .info
            .charset
            .clone()
            .or_else(|| is_html.then(|| meta_charset(&bytes)).flatten());
        let found = smuggle::find(&bytes);
        let mut decoded = String::with_capacity(bytes.len());
        let mut pos = 0;
        let mut mislabelled = false;
        for (n, s) in found.iter().enumerate() {
            let (seg, how) = charset::decode(
                &bytes[pos..s.range.start],
                label.as_deref().map(str::as_bytes),
            );
            mislabelled |= how.detected && label.is_some();
            decoded.push_str(&seg);
            let path = format!("{}:{}{}", part.path_string(), s.kind, n + 1);
            let declared = format!("{} ({})", part.info.mime_type(), s.kind);
            self.report.act(Action::SmuggledRemoved);
            self.push_item(
                &path,
                s.name.clone(),
                declared,
                &s.data,
                RemovalReason::Smuggled,
            );
            let _ = writeln!(
                decoded,
                "{}",
                match self.policy.notice.language {
                    Language::Ja => format!(
                        "[符号化データを削除しました: {}]",
                        s.name.as_deref().unwrap_or(s.kind)
                    ),
                    Language::En => format!(
                        "[encoded data removed: {}]",
                        s.name.as_deref().unwrap_or(s.kind)
                    ),
                }
            );
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
            if out.deceptive_links > 0 {
                self.report.warn(format!(
                    "part {}: {} link(s) whose text shows another address",
                    part.path_string(),
                    out.deceptive_links
                ));
            }
            self.note_links(out.links);
            // Addresses written as text in the HTML are shown under the policy as well.
            let (t, n) = links::rewrite_text_urls(&out.text, &self.policy.links);
            self.note_links(n);
            text::clean_body(&t).into_owned()
        } else {
            let (t, n) = links::rewrite_text_urls(&cleaned, &self.policy.links);
            self.note_links(n);
            t.into_owned()
        };
        self.append(&rendered);
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
