//! The audit trail: one structured `tracing` event per message, target `mugai::audit`.
//!
//! Front ends (the milter, the SMTP front end) call [`record`] once for every message they
//! answer. With `--log-format json` each event is one JSON object per line, which is what
//! audits and self-inspections (監査・自己点検) read. Fields: `front_end`, `queue_id`,
//! `client`, `sender`, `recipients`, `message_id`, `result`, `detail`, `actions`, `removed`
//! (a JSON array: name, detected type, size, SHA-256, reason; at most [`MAX_ITEMS`]),
//! `removed_count` (all removed items), `removed_more` (those not in `removed`),
//! `quarantine_id`, `original_sha256`, `bytes_in`, `bytes_out`, `duration_ms`.

use std::time::Duration;

use serde::Serialize;

use crate::frontend::Disposition;
use crate::report::Report;

/// Most removed items written one by one in an audit line; the rest are only counted
/// (`removed_more`), so that one line stays bounded whatever the message.
pub const MAX_ITEMS: usize = 100;

/// The `tracing` target of audit events.
pub const TARGET: &str = "mugai::audit";

/// One removed item as written in the audit line.
#[derive(Debug, Serialize)]
struct AuditItem<'a> {
    name: Option<&'a str>,
    detected_type: &'a str,
    declared_type: &'a str,
    size: u64,
    sha256: &'a str,
    reason: crate::report::RemovalReason,
}

/// Everything the audit line says about one message.
#[derive(Debug, Clone)]
pub struct AuditRecord<'a> {
    /// Which front end answered (`milter`, `smtp`, `batch`).
    pub front_end: &'a str,
    /// MTA queue id.
    pub queue_id: Option<&'a str>,
    /// Client (connecting host) address.
    pub client: Option<&'a str>,
    /// Envelope sender.
    pub sender: &'a str,
    /// Envelope recipients.
    pub recipients: &'a [String],
    /// `Message-ID` of the original.
    pub message_id: Option<&'a str>,
    /// What became of the message (written `sanitized`, `bypassed`, `tempfail`,
    /// `rejected`).
    pub result: Disposition,
    /// Why (for anything but `sanitized`).
    pub detail: &'a str,
    /// The sanitiser's report, when it ran.
    pub report: Option<&'a Report>,
    /// Quarantine id of the stored original, if it was stored.
    pub quarantine_id: Option<&'a str>,
    /// Size of the original.
    pub bytes_in: usize,
    /// Time from end of message to answer.
    pub duration: Duration,
}

impl<'a> AuditRecord<'a> {
    /// A record of `result` by `front_end` with nothing else known yet (fill the rest
    /// with struct update syntax).
    pub fn new(front_end: &'a str, result: Disposition) -> Self {
        AuditRecord {
            front_end,
            queue_id: None,
            client: None,
            sender: "",
            recipients: &[],
            message_id: None,
            result,
            detail: "",
            report: None,
            quarantine_id: None,
            bytes_in: 0,
            duration: Duration::ZERO,
        }
    }
}

/// Writes the audit line for one message (level INFO, or WARN for a temporary failure).
pub fn record(r: &AuditRecord<'_>) {
    let actions = r
        .report
        .map(|rep| {
            rep.actions
                .iter()
                .map(|a| a.token())
                .collect::<Vec<_>>()
                .join(",")
        })
        .unwrap_or_default();
    let items: Vec<AuditItem<'_>> = r
        .report
        .map(|rep| {
            rep.removed
                .iter()
                .take(MAX_ITEMS)
                .map(|i| AuditItem {
                    name: i.name.as_deref(),
                    detected_type: &i.detected_type,
                    declared_type: &i.declared_type,
                    size: i.size,
                    sha256: &i.sha256,
                    reason: i.reason,
                })
                .collect()
        })
        .unwrap_or_default();
    let removed = serde_json::to_string(&items).unwrap_or_else(|_| "[]".into());
    let removed_count = r.report.map_or(0, Report::removed_count);
    let removed_more = removed_count.saturating_sub(items.len());
    let recipients = r.recipients.join(",");
    let message_id = r
        .message_id
        .or_else(|| r.report.and_then(|rep| rep.message_id.as_deref()))
        .unwrap_or("");
    let original_sha256 = r
        .report
        .map(|rep| rep.original_sha256.as_str())
        .unwrap_or("");
    let bytes_out = r.report.map(|rep| rep.output_bytes).unwrap_or(0);
    let duration_ms = r.duration.as_secs_f64() * 1000.0;
    macro_rules! event {
        ($level:expr) => {
            tracing::event!(
                target: "mugai::audit",
                $level,
                front_end = r.front_end,
                queue_id = r.queue_id.unwrap_or(""),
                client = r.client.unwrap_or(""),
                sender = r.sender,
                recipients = %recipients,
                message_id = message_id,
                result = r.result.as_str(),
                detail = r.detail,
                actions = %actions,
                removed_count = removed_count,
                removed_more = removed_more,
                removed = %removed,
                quarantine_id = r.quarantine_id.unwrap_or(""),
                original_sha256 = original_sha256,
                bytes_in = r.bytes_in,
                bytes_out = bytes_out,
                duration_ms = format_args!("{duration_ms:.1}"),
                "message {}", r.result.as_str()
            )
        };
    }
    if r.result == Disposition::TempFailed {
        event!(tracing::Level::WARN);
    } else {
        event!(tracing::Level::INFO);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_does_not_panic_without_a_subscriber() {
        let report = Report {
            original_sha256: "ab".repeat(32),
            ..Report::default()
        };
        record(&AuditRecord {
            sender: "a@b",
            recipients: &["c@d".to_string()],
            report: Some(&report),
            ..AuditRecord::new("milter", Disposition::Sanitized)
        });
    }
}
