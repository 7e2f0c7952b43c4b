//! The last step: the report is completed (kept header fields reviewed, the text bounded,
//! the subject tagged), then read — by the notice and by `X-Mugai-Sanitized` — while the
//! body is assembled and encoded and the header edits planned.
//!
//! The flow is one way: [`complete`] is the last writer of the report's findings;
//! [`emit`] only reads them, and at its end fills in the output's own measurements
//! (`unmappable_chars`, `output_bytes`), which cannot be known before the encoding and which
//! neither the notice nor the header reads.

use super::record::note_links;
use super::truncate_at;
use crate::inspect::{digest, sniff};
use crate::outcome::Outcome;
use crate::parse::header::{HeaderBlock, decode_unstructured};
use crate::policy::{NoticePosition, Policy};
use crate::rebuild::{self, HeaderReview};
use crate::render::words::words;
use crate::render::{notice, text};
use crate::report::{Action, RemovalReason, RemovedItem, Report};

/// Completes the report and builds the outcome: `body_text` is what the walk rendered,
/// `le` the output line ending.
pub(super) fn finish(
    policy: &Policy,
    top: &HeaderBlock<'_>,
    mut report: Report,
    body_text: String,
    le: &'static str,
    not_a_mail: bool,
) -> Outcome {
    let done = complete(policy, top, &mut report, body_text, not_a_mail);
    emit(policy, top, report, done, le, not_a_mail)
}

/// What [`complete`] decided besides the report.
struct Completed {
    review: HeaderReview,
    body_text: String,
    subject: Option<String>,
}

/// The last writes to the report's findings: the review of the kept header fields, the
/// text bound, the subject tag.
fn complete(
    policy: &Policy,
    top: &HeaderBlock<'_>,
    report: &mut Report,
    body_text: String,
    not_a_mail: bool,
) -> Completed {
    // Kept header fields are reviewed first: what is cut from them belongs in the notice.
    let review = rebuild::review_headers(
        top,
        &rebuild::HeaderRules {
            max_field_bytes: policy.limits.max_header_bytes,
            headers: &policy.headers,
            links: &policy.links,
        },
    );
    note_header_review(report, &review, policy);
    let body_text = bound_text(body_text, policy.limits.max_text_bytes, report);
    let subject = subject(policy, top, report, not_a_mail);
    Completed {
        review,
        body_text,
        subject,
    }
}

/// `text` cut to at most `max` bytes (on a character boundary), marked with `…`.
fn bound_text(mut text: String, max: usize, report: &mut Report) -> String {
    if truncate_at(&mut text, max) {
        text.push_str("\n…\n");
        report.act(Action::TextTruncated);
    }
    text
}

/// The new subject: tagged when the message was changed and the policy has a tag; a
/// placeholder for input that is not a mail; else `None` (kept as it is).
fn subject(
    policy: &Policy,
    top: &HeaderBlock<'_>,
    report: &mut Report,
    not_a_mail: bool,
) -> Option<String> {
    if !policy.notice.subject_tag.is_empty() && report.changed() {
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
        Some(words(policy.notice.language).unreadable_subject.to_owned())
    } else {
        None
    }
}

/// Reads the complete report: notice and text assembled and encoded, header edits planned.
fn emit(
    policy: &Policy,
    top: &HeaderBlock<'_>,
    report: Report,
    done: Completed,
    le: &'static str,
    not_a_mail: bool,
) -> Outcome {
    let full = with_notice(&report, policy, &done.body_text);
    let encoded = rebuild::encode_body(
        &full,
        policy.output.charset,
        policy.output.transfer_encoding,
        le,
    );
    let added = vec![
        ("MIME-Version".to_owned(), "1.0".to_owned()),
        ("Content-Type".to_owned(), encoded.content_type.to_owned()),
        (
            "Content-Transfer-Encoding".to_owned(),
            encoded.transfer_encoding.to_owned(),
        ),
        (
            "X-Mugai-Sanitized".to_owned(),
            sanitized_header(&report, &policy.name),
        ),
        (
            "X-Mugai-Original-SHA256".to_owned(),
            report.original_sha256.clone(),
        ),
    ];
    let header_edits =
        rebuild::plan_header_edits(top, &done.review, done.subject.as_deref(), &added);
    let headers = rebuild::apply_header_edits(top, &header_edits, le);
    let output_bytes = headers.len() + le.len() + encoded.bytes.len();
    Outcome {
        header_edits,
        headers,
        body: encoded.bytes,
        line_ending: le,
        report: Report {
            unmappable_chars: encoded.unmappable,
            output_bytes,
            ..report
        },
        not_a_mail,
    }
}

/// The body text with the notice at the top or the bottom, when there is one.
fn with_notice(report: &Report, policy: &Policy, body_text: &str) -> String {
    let quarantined = policy.quarantine_enabled();
    let show_notice = report.changed() || policy.notice.always;
    let mut full = String::with_capacity(body_text.len() + 2048);
    let notice_text = show_notice.then(|| notice::render(report, policy, quarantined));
    if let (Some(n), NoticePosition::Top) = (&notice_text, policy.notice.position) {
        full.push_str(n);
        full.push('\n');
    }
    full.push_str(body_text);
    if !full.ends_with('\n') {
        full.push('\n');
    }
    if let (Some(n), NoticePosition::Bottom) = (&notice_text, policy.notice.position) {
        full.push('\n');
        full.push_str(n);
    }
    full
}

/// Records the header review in the report: removed fields counted and named, links and
/// made-visible characters noted, payloads cut from kept fields listed like attachments.
fn note_header_review(report: &mut Report, review: &HeaderReview, policy: &Policy) {
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
    note_links(report, review.links, policy.links.urls);
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
/// `value = (item *("; " item)) / "clean"`, then `"; "` and the policy parameter
/// ([`crate::rebuild::policy_parameter`]), where an item is an
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
        "{}; {}",
        items.join("; "),
        crate::rebuild::policy_parameter(policy_name)
    )
}
