//! The notice: what was done to the message and every removed item, in Japanese (default)
//! or English.

use std::fmt::Write as _;

use super::links::rewrite_text_urls;
use super::text::visible_name;
use super::words::{Words, words};
use crate::policy::Policy;
use crate::report::{Action, RemovalReason, RemovedItem, Report};

fn reason_index(r: RemovalReason) -> usize {
    match r {
        RemovalReason::Attachment => 0,
        RemovalReason::TextAttachment => 1,
        RemovalReason::Smuggled => 2,
        RemovalReason::Signature => 3,
        RemovalReason::Encrypted => 4,
        RemovalReason::Limit => 5,
        RemovalReason::Fragment => 6,
    }
}

fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A name from the message (file name, archive entry, declared type) as the notice shows
/// it: controls and bidi overrides visible, shortened, and any link in it defanged (a file
/// named `www.evil.example.com` or `https://…` must not become a live link in the notice).
fn shown_name(name: &str, max: usize, policy: &Policy) -> String {
    let visible = visible_name(name, max);
    rewrite_text_urls(&visible, &policy.links).0.into_owned()
}

/// Writes the notice for `report`. `quarantined` adds the quarantine id line.
pub fn render(report: &Report, policy: &Policy, quarantined: bool) -> String {
    let w = words(policy.notice.language);
    let mut out = String::new();
    out.push_str(w.title);
    out.push('\n');
    out.push_str(w.intro);
    out.push('\n');
    write_actions(&mut out, report, w);
    if !report.removed.is_empty() {
        write_removed(&mut out, report, policy, w);
    }
    if quarantined {
        out.push_str(&w.quarantine.replace("{}", report.quarantine_id()));
        out.push('\n');
    }
    out.push_str(w.end);
    out.push('\n');
    out
}

/// One line for each kind of change made, in a fixed order.
fn write_actions(out: &mut String, report: &Report, w: &Words) {
    let has = |a: Action| report.actions.contains(&a);
    let removed = w.removed.replace("{}", &report.removed_count().to_string());
    for (shown, text) in [
        (has(Action::NotAMail), w.not_a_mail),
        (has(Action::HtmlConverted), w.html),
        (has(Action::HtmlFallback), w.html_fallback),
        (has(Action::HiddenRemoved), w.hidden),
        (report.removed_count() > 0, removed.as_str()),
        (has(Action::SmuggledRemoved), w.smuggled),
        (has(Action::SignatureRemoved), w.signature),
        (has(Action::EncryptedRemoved), w.encrypted),
        (has(Action::LinksDefanged), w.links_defanged),
        (has(Action::LinksRemoved), w.links_removed),
        (has(Action::ForwardRendered), w.forward),
        (has(Action::LimitReached), w.limit),
        (has(Action::TextTruncated), w.truncated),
    ] {
        if shown {
            out.push_str(text);
            out.push('\n');
        }
    }
}

/// The list of removed items, at most `notice.max_items` of them, then how many more.
fn write_removed(out: &mut String, report: &Report, policy: &Policy, w: &Words) {
    out.push_str(w.list_head);
    out.push('\n');
    let max = policy.notice.max_items.max(1);
    for (i, item) in report.removed.iter().take(max).enumerate() {
        write_item(out, i + 1, item, policy, w);
    }
    let listed = report.removed.len().min(max);
    if report.removed_count() > listed {
        out.push_str(
            &w.more_items
                .replace("{}", &(report.removed_count() - listed).to_string()),
        );
        out.push('\n');
    }
}

/// Removed item number `n`: name, position and reason, types, size, hash, archive entries.
fn write_item(out: &mut String, n: usize, item: &RemovedItem, policy: &Policy, w: &Words) {
    let name = item
        .name
        .as_deref()
        .filter(|n| !n.trim().is_empty())
        .map(|n| shown_name(n, 60, policy))
        .unwrap_or_else(|| w.no_name.to_owned());
    let reason = w.reasons[reason_index(item.reason)];
    let _ = writeln!(
        out,
        "[{}] {}{}{} {}{}{}{}",
        n, name, w.item_open, w.position, item.path, w.item_sep, reason, w.item_close
    );
    let _ = writeln!(
        out,
        "    {}: {} / {}: {}",
        w.kind,
        shown_name(&item.declared_type, 90, policy),
        w.detected,
        item.detected_type
    );
    if item.mismatch {
        let _ = writeln!(out, "    {}", w.mismatch);
    }
    let _ = writeln!(out, "    {}: {} {}", w.size, thousands(item.size), w.bytes);
    let _ = writeln!(out, "    SHA-256: {}", item.sha256);
    if !item.entries.is_empty() {
        let names: Vec<String> = item
            .entries
            .iter()
            .map(|e| shown_name(e, 60, policy))
            .collect();
        let _ = write!(out, "    {}: {}", w.contents, names.join(", "));
        if item.more_entries > 0 {
            let _ = write!(
                out,
                " {}",
                w.more.replace("{}", &item.more_entries.to_string())
            );
        }
        out.push('\n');
    }
    if item.encrypted {
        let _ = writeln!(out, "    {}", w.encrypted_archive);
    }
}
