//! Accounting of a batch run: per-message JSON lines and the final summary.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::report::{Action, RemovedItem};

/// Where a message came from in the input.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum SourcePosition {
    /// A message of an mbox: its byte offset (of the `From ` line).
    Mbox {
        /// Byte offset in the mbox file.
        offset: u64,
    },
    /// A file (Maildir message, `.eml`, single file): its path relative to the input.
    File {
        /// Path relative to the input directory (the file name for a single file).
        path: String,
    },
}

impl fmt::Display for SourcePosition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SourcePosition::Mbox { offset } => write!(f, "offset {offset}"),
            SourcePosition::File { path } => f.write_str(path),
        }
    }
}

/// What became of one message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Sanitised and written to the output.
    Ok,
    /// Not sanitised; the original was put into the failed folder with a reason file.
    Failed,
}

/// One line of the `--report` JSON lines file: one message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MessageRecord {
    /// Always `"message"`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Position of the message in the input order, from 0.
    pub index: u64,
    /// Where it was in the input.
    pub source: SourcePosition,
    /// What became of it.
    pub status: Status,
    /// Where it was written (a path, or `mbox:OFFSET` in an output mbox).
    pub output: String,
    /// `Message-ID` of the input, if it had one.
    pub message_id: Option<String>,
    /// SHA-256 of the input message (hex), when it was sanitised.
    pub original_sha256: Option<String>,
    /// Action tokens ([`Action::token`]).
    pub actions: Vec<String>,
    /// Items removed, with their SHA-256.
    pub removed: Vec<RemovedItem>,
    /// Warnings of the sanitiser.
    pub warnings: Vec<String>,
    /// Why the message failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Input bytes.
    pub input_bytes: u64,
    /// Output bytes (0 when failed).
    pub output_bytes: u64,
}

/// Counters of one message, kept in the resume journal so that a resumed run's summary
/// covers the whole input.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tally {
    /// Messages sanitised and written.
    pub out: u64,
    /// Messages that failed.
    pub failed: u64,
    /// Items removed (attachments and other non-text parts).
    pub attachments_removed: u64,
    /// Messages whose HTML was converted.
    pub html_converted: u64,
    /// Input bytes.
    pub bytes_in: u64,
    /// Output bytes.
    pub bytes_out: u64,
}

impl Tally {
    /// Counts of one sanitised message.
    pub fn sanitized(report: &crate::Report, input_bytes: u64, output_bytes: u64) -> Self {
        Tally {
            out: 1,
            failed: 0,
            attachments_removed: report.removed_count() as u64,
            html_converted: u64::from(
                report.actions.contains(&Action::HtmlConverted)
                    || report.actions.contains(&Action::HtmlFallback),
            ),
            bytes_in: input_bytes,
            bytes_out: output_bytes,
        }
    }

    /// Counts of one failed message.
    pub fn failed(input_bytes: u64) -> Self {
        Tally {
            failed: 1,
            bytes_in: input_bytes,
            ..Tally::default()
        }
    }

    /// Adds `other` to `self`.
    pub fn add(&mut self, other: &Tally) {
        self.out += other.out;
        self.failed += other.failed;
        self.attachments_removed += other.attachments_removed;
        self.html_converted += other.html_converted;
        self.bytes_in += other.bytes_in;
        self.bytes_out += other.bytes_out;
    }

    /// Messages accounted for (written or failed).
    pub fn messages(&self) -> u64 {
        self.out + self.failed
    }
}

/// The final line of the `--report` file, also printed for people.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// Always `"summary"`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The input path.
    pub input: String,
    /// The output path.
    pub output: String,
    /// Input format.
    pub input_format: String,
    /// Output format.
    pub output_format: String,
    /// Messages read from the input (in this run and, when resumed, before).
    pub messages_in: u64,
    /// Messages sanitised and written.
    pub messages_out: u64,
    /// Messages put into the failed folder.
    pub messages_failed: u64,
    /// Messages done by an earlier, interrupted run (included in the counts above).
    pub messages_resumed: u64,
    /// Items removed (attachments and other non-text parts).
    pub attachments_removed: u64,
    /// Messages whose HTML was converted to text.
    pub html_converted: u64,
    /// Input bytes.
    pub bytes_in: u64,
    /// Output bytes.
    pub bytes_out: u64,
    /// Wall time of this run, in seconds.
    pub seconds: f64,
    /// Messages per second in this run.
    pub msgs_per_sec: f64,
    /// Input megabytes (10^6 bytes) per second in this run.
    pub mb_per_sec: f64,
    /// Worker threads.
    pub jobs: usize,
    /// The run was interrupted (Ctrl-C); the output is a consistent partial one and
    /// `--resume` continues it.
    pub interrupted: bool,
    /// Where failed messages were put, if any failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failed_dir: Option<String>,
    /// Files of the input that were not messages (e.g. non-`.eml` files in a tree).
    pub skipped_files: u64,
}

impl Summary {
    /// Whether every message was written and the run finished.
    pub fn success(&self) -> bool {
        self.messages_failed == 0 && !self.interrupted
    }
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "mugai batch {} ({}) -> {} ({}){}",
            self.input,
            self.input_format,
            self.output,
            self.output_format,
            if self.interrupted {
                " — INTERRUPTED, run again with --resume"
            } else {
                ""
            }
        )?;
        writeln!(
            f,
            "  messages: {} in, {} out, {} failed{}",
            self.messages_in,
            self.messages_out,
            self.messages_failed,
            if self.messages_resumed > 0 {
                format!(" ({} done by an earlier run)", self.messages_resumed)
            } else {
                String::new()
            }
        )?;
        writeln!(
            f,
            "  attachments removed: {}, HTML converted: {}",
            self.attachments_removed, self.html_converted
        )?;
        writeln!(f, "  bytes: {} in, {} out", self.bytes_in, self.bytes_out)?;
        write!(
            f,
            "  time: {:.2} s, {:.1} msgs/s, {:.2} MB/s, {} jobs",
            self.seconds, self.msgs_per_sec, self.mb_per_sec, self.jobs
        )?;
        if self.skipped_files > 0 {
            write!(
                f,
                "\n  skipped {} files that are not messages",
                self.skipped_files
            )?;
        }
        if let Some(dir) = &self.failed_dir {
            write!(f, "\n  failed messages and reasons: {dir}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tally_counts_html_and_removed() {
        let mut r = crate::Report::default();
        r.act(Action::HtmlConverted);
        r.removed.push(RemovedItem {
            path: "2".into(),
            name: Some("a.exe".into()),
            declared_type: "application/octet-stream".into(),
            detected_type: "pe-executable".into(),
            mismatch: false,
            size: 3,
            sha256: "00".into(),
            entries: vec![],
            more_entries: 0,
            encrypted: false,
            reason: crate::RemovalReason::Attachment,
        });
        let mut t = Tally::sanitized(&r, 10, 5);
        t.add(&Tally::failed(7));
        assert_eq!(
            t,
            Tally {
                out: 1,
                failed: 1,
                attachments_removed: 1,
                html_converted: 1,
                bytes_in: 17,
                bytes_out: 5
            }
        );
        assert_eq!(t.messages(), 2);
    }

    #[test]
    fn source_position_json() {
        let s = serde_json::to_string(&SourcePosition::Mbox { offset: 5 }).unwrap();
        assert_eq!(s, r#"{"offset":5}"#);
        let s = serde_json::to_string(&SourcePosition::File { path: "a/b".into() }).unwrap();
        assert_eq!(s, r#"{"path":"a/b"}"#);
    }
}
