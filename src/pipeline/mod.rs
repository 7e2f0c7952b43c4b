//! The sanitisation pipeline behind [`crate::Sanitizer::sanitize`], in one direction:
//!
//! 1. **structure** (here): bare CRs normalised, the line ending chosen ([`line_ending`]),
//!    the top header block and the MIME tree parsed under the limits;
//! 2. **walk** ([`walk`], [`forward`]): every part is *decided* — shown as text, converted
//!    as HTML, removed and listed, or rendered as a forwarded message — and the decision
//!    recorded in the [`Report`] ([`record`]); the rendering itself is done by
//!    [`crate::render`] (`render::part`, `render::forward`), which only returns what it
//!    found;
//! 3. **finish** ([`finish`]): the kept header fields are reviewed, the text bounded and the
//!    subject tagged — the last writes to the report — then the notice *reads* the report,
//!    the body is encoded and the header edits planned. After the notice only the output's
//!    own measurements (`unmappable_chars`, `output_bytes`) are filled in, which nothing
//!    before reads.
//!
//! Input without any header field is not a mail: [`not_a_mail`] salvages its text instead
//! of step 2.

mod finish;
mod forward;
mod not_a_mail;
mod record;
mod text_body;
mod walk;

use std::borrow::Cow;
use std::panic::AssertUnwindSafe;
use std::time::{Duration, Instant};

use crate::budget::{Deadline, TIME_BUDGET};
use crate::error::{Error, Result};
use crate::inspect::digest;
use crate::outcome::Outcome;
use crate::parse::header::{HeaderBlock, MimeInfo, decode_unstructured};
use crate::parse::lines::{normalise_bare_cr, split_header_body, uses_bare_lf};
use crate::parse::structure::MimeTree;
use crate::policy::{LineEnding, OnLimit, Policy};
use crate::report::{RemovalReason, Report};
use walk::Walker;

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
            let what = crate::error::panic_text(&*panic);
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
    let le = line_ending(policy.output.line_ending, message);
    let (header, body) = split_header_body(message);
    let top = HeaderBlock::parse(header, policy.limits.max_headers);
    if top.fields.is_empty() {
        return Ok(not_a_mail::not_a_mail(policy, message, report, le));
    }
    note_top(&mut report, &top);
    let mut walker = Walker::new(policy, report, deadline);
    if input.len() > policy.limits.max_message_bytes {
        if policy.limits.on_limit == OnLimit::Reject {
            return Err(rejected(format!(
                "message of {} bytes exceeds limits.max_message_bytes = {}",
                input.len(),
                policy.limits.max_message_bytes
            )));
        }
        walker.report.limit("max_message_bytes");
        let info = MimeInfo::from_block(&top, ("text", "plain"));
        walker.remove_raw(body, &info, "0", RemovalReason::Limit);
    } else {
        walk_tree(&mut walker, message)?;
    }
    Ok(finish::finish(
        policy,
        &top,
        walker.report,
        walker.text,
        le,
        false,
    ))
}

/// The line ending of the output: the policy's, or for `auto` the input's.
fn line_ending(choice: LineEnding, message: &[u8]) -> &'static str {
    match choice {
        LineEnding::Crlf => "\r\n",
        LineEnding::Lf => "\n",
        LineEnding::Auto if uses_bare_lf(message) => "\n",
        LineEnding::Auto => "\r\n",
    }
}

/// Records what the top header block tells: truncation, junk lines, the Message-ID.
fn note_top(report: &mut Report, top: &HeaderBlock<'_>) {
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
}

/// Parses the MIME tree of `message` and walks it; an error when the policy rejects a
/// message that reached a limit.
fn walk_tree(walker: &mut Walker<'_>, message: &[u8]) -> Result<()> {
    let policy = walker.policy;
    let tree = MimeTree::parse_until(message, walker.tree_limits(), walker.deadline);
    walker.note_tree(&tree);
    let reject = policy.limits.on_limit == OnLimit::Reject;
    if reject && !walker.report.limits_hit.is_empty() {
        return Err(rejected(format!(
            "limits reached: {}",
            walker.report.limits_hit.join(", ")
        )));
    }
    walker.walk(&tree, 0);
    if reject && walker.report.limits_hit.iter().any(|l| l == TIME_BUDGET) {
        return Err(rejected(format!(
            "time budget reached (limits.time_budget_ms = {})",
            policy.limits.time_budget_ms
        )));
    }
    Ok(())
}

fn rejected(reason: String) -> Error {
    Error::Rejected { reason }
}

/// Cuts `text` to at most `max` bytes on a character boundary; whether it was cut.
fn truncate_at(text: &mut String, max: usize) -> bool {
    if text.len() <= max {
        return false;
    }
    let cut = (0..=max)
        .rev()
        .find(|&i| text.is_char_boundary(i))
        .unwrap_or(0);
    text.truncate(cut);
    true
}

#[cfg(test)]
mod tests {
    use super::not_a_mail::text_like;
    use super::*;
    use crate::parse::transfer;
    use crate::report::Action;

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
        let mail = include_bytes!("../../testdata/mails/49-malformed-multipart-body-base64.eml");
        let (outcome, _) = sanitise(mail);
        assert!(
            outcome.report.actions.contains(&Action::SmuggledRemoved),
            "{:?}",
            outcome.report
        );
    }
}
