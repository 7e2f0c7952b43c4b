//! Input that is not a mail (no header field at all): listed whole when binary, else its
//! readable text salvaged, payloads in it cut like in a body, then finished like a mail.

use super::finish::finish;
use super::truncate_at;
use super::walk::Walker;
use crate::budget::Deadline;
use crate::inspect::sniff;
use crate::outcome::Outcome;
use crate::parse::charset;
use crate::parse::header::HeaderBlock;
use crate::policy::Policy;
use crate::render::{links, smuggled, text};
use crate::report::{Action, RemovalReason, RemovedItem, Report};

/// Input that is not a mail at all: a note and whatever readable text could be salvaged.
///
/// Salvage comes only from text: a binary input (a known binary signature such as an
/// executable or an archive) yields the notice alone, with the input listed (size, SHA-256,
/// detected type). Input that is mostly control bytes without a signature is listed the same
/// way, and only runs that read as prose (several words, mostly letters) are kept from it,
/// each once.
pub(super) fn not_a_mail(
    policy: &Policy,
    message: &[u8],
    mut report: Report,
    le: &'static str,
) -> Outcome {
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
    let cut = smuggled::cut_text(&clean, policy.notice.language);
    let mut walker = Walker::new(policy, report, Deadline::never());
    walker.list_cut(&cut.payloads, "0", "text/plain", 0);
    let (clean, _) = links::rewrite_text_urls(&cut.text, &policy.links);
    let clean = clean.into_owned();
    let top = HeaderBlock::default();
    finish(policy, &top, walker.report, clean, le, true)
}

/// Whether input that is not a mail is text: no block of it is mostly control bytes, and
/// control bytes and undecodable bytes together make up at most one byte in 16 (random or
/// compressed data has about one in nine control bytes alone).
pub(super) fn text_like(message: &[u8]) -> bool {
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
    truncate_at(&mut salvaged, max);
    salvaged
}
