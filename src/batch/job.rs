//! One message's trip through a worker: the [`Job`] the dispatcher sends, the [`Done`] the
//! worker sends back, and [`work`], which turns the one into the other.
//!
//! A job carries no message bytes when it can avoid it: for an mbox it is a byte range of
//! the memory-mapped input, for a file a path the worker reads itself. So the dispatcher
//! stays cheap and the reading is spread over the workers.
//!
//! [`work`] never panics and never returns an error: whatever goes wrong (an unreadable
//! file, a message the sanitiser rejects, a panic inside the sanitiser) becomes a
//! [`Failure`] that keeps the original bytes, so that the writer can put them into the
//! failed folder. Nothing read is dropped.

use std::borrow::Cow;
use std::fs;
use std::path::{Path, PathBuf};

use super::maildir::{self, Subdir};
use super::mbox::{MappedFile, MboxVariant, unescape};
use super::report::SourcePosition;
use crate::error::{Result, panic_text};
use crate::outcome::Outcome;
use crate::report::Report;

/// Where a message came from, and what the writer needs to name its output.
#[derive(Debug, Clone)]
pub(super) enum Origin {
    /// A message of an input mbox.
    Mbox {
        /// Byte offset of its `From ` line in the input.
        offset: u64,
        /// The `From ` line itself, reused when the output is an mbox.
        separator: Vec<u8>,
    },
    /// A message file of an input Maildir.
    Maildir {
        /// The folder (`""` for the inbox, `.Sent` for a subfolder).
        folder: String,
        /// `cur/` or `new/`.
        subdir: Subdir,
        /// The unique part of the file name.
        unique: String,
        /// The flags of the file name (`FS` in `…:2,FS`), if it had an info part.
        flags: Option<String>,
    },
    /// An `.eml` in a tree, or the single input file: path relative to the input root.
    Tree {
        /// Path relative to the input root (the file name for a single file).
        rel: PathBuf,
    },
}

impl Origin {
    /// The position recorded in the report and in a failed message's reason file.
    pub(super) fn position(&self) -> SourcePosition {
        match self {
            Origin::Mbox { offset, .. } => SourcePosition::Mbox { offset: *offset },
            Origin::Maildir {
                folder,
                subdir,
                unique,
                flags,
            } => SourcePosition::File {
                path: format!(
                    "{}{}{}/{}",
                    folder,
                    if folder.is_empty() { "" } else { "/" },
                    subdir.as_str(),
                    maildir::file_name(unique, flags.as_deref())
                ),
            },
            Origin::Tree { rel } => SourcePosition::File {
                path: rel.to_string_lossy().into_owned(),
            },
        }
    }

    /// Relative path used for `.eml` outputs and for the failed folder.
    pub(super) fn rel_name(&self, index: u64) -> PathBuf {
        match self {
            Origin::Mbox { .. } => PathBuf::from(format!("{index:08}.eml")),
            // Subfolders without their dot, so that `.eml` trees are not hidden.
            Origin::Maildir {
                folder,
                subdir,
                unique,
                flags,
            } => Path::new(folder.trim_start_matches('.'))
                .join(subdir.as_str())
                .join(format!(
                    "{}.eml",
                    maildir::file_name(unique, flags.as_deref())
                )),
            Origin::Tree { rel } => rel.clone(),
        }
    }

    /// The input offset of an mbox message (where a resumed splitter restarts).
    pub(super) fn mbox_offset(&self) -> Option<u64> {
        match self {
            Origin::Mbox { offset, .. } => Some(*offset),
            _ => None,
        }
    }
}

/// Where a worker finds the bytes of a message.
pub(super) enum JobData {
    /// A byte range of the memory-mapped input mbox, still escaped.
    Range {
        /// First byte (of the line after the `From ` line).
        start: usize,
        /// One past the last byte.
        end: usize,
    },
    /// A message file, read by the worker.
    File(PathBuf),
}

/// One message to sanitise, as the dispatcher sends it to the workers.
pub(super) struct Job {
    /// Dispatch order in this run, from 0: the writer writes in this order.
    pub(super) seq: u64,
    /// Position in the whole input, from 0 (a resumed run starts above 0).
    pub(super) index: u64,
    /// Where the message came from.
    pub(super) origin: Origin,
    /// Where its bytes are.
    pub(super) data: JobData,
}

/// A message the sanitiser rebuilt.
pub(super) struct Sanitized {
    /// The rebuilt message, headers and body.
    pub(super) message: Vec<u8>,
    /// What the sanitiser did.
    pub(super) report: Report,
    /// Maildir flags derived from an mbox message's Status headers.
    pub(super) status_flags: String,
}

/// A message that could not be sanitised.
pub(super) struct Failure {
    /// Why, for the reason file and the report.
    pub(super) reason: String,
    /// The original bytes (unescaped), when they could be read.
    pub(super) original: Option<Vec<u8>>,
}

/// A worker's answer for one [`Job`].
pub(super) struct Done {
    /// The job's dispatch order.
    pub(super) seq: u64,
    /// The job's position in the input.
    pub(super) index: u64,
    /// The job's origin.
    pub(super) origin: Origin,
    /// Bytes of the (unescaped) input message; 0 when it could not be read.
    pub(super) input_bytes: u64,
    /// The rebuilt message, or why there is none.
    pub(super) result: std::result::Result<Sanitized, Failure>,
}

/// Reads, unescapes and sanitises one message; never panics.
pub(super) fn work<F>(
    sanitize: &F,
    map: Option<&MappedFile>,
    variant: MboxVariant,
    job: Job,
) -> Done
where
    F: Fn(&[u8]) -> Result<Outcome> + Sync,
{
    let Job {
        seq,
        index,
        origin,
        data,
    } = job;
    let owned;
    let bytes: Cow<'_, [u8]> = match data {
        JobData::Range { start, end } => {
            let all = map.map_or(&[][..], MappedFile::bytes);
            unescape(&all[start.min(all.len())..end.min(all.len())], variant)
        }
        JobData::File(path) => match fs::read(&path) {
            Ok(b) => {
                owned = b;
                Cow::Borrowed(&owned[..])
            }
            Err(e) => {
                let failure = Failure {
                    reason: format!("cannot read {}: {e}", path.display()),
                    original: None,
                };
                return Done {
                    seq,
                    index,
                    origin,
                    input_bytes: 0,
                    result: Err(failure),
                };
            }
        },
    };
    let input_bytes = bytes.len() as u64;
    let result = sanitize_caught(sanitize, &origin, bytes);
    Done {
        seq,
        index,
        origin,
        input_bytes,
        result,
    }
}

/// Runs the sanitiser on `bytes`, turning an error or a panic into a [`Failure`] that keeps
/// the original.
fn sanitize_caught<F>(
    sanitize: &F,
    origin: &Origin,
    bytes: Cow<'_, [u8]>,
) -> std::result::Result<Sanitized, Failure>
where
    F: Fn(&[u8]) -> Result<Outcome> + Sync,
{
    let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| sanitize(&bytes)));
    let reason = match caught {
        Ok(Ok(outcome)) => {
            let status_flags = if matches!(origin, Origin::Mbox { .. }) {
                maildir::flags_from_status(&bytes)
            } else {
                String::new()
            };
            return Ok(Sanitized {
                message: outcome.to_message(),
                report: outcome.report,
                status_flags,
            });
        }
        Ok(Err(e)) => e.to_string(),
        Err(panic) => format!("internal error (panic): {}", panic_text(panic.as_ref())),
    };
    Err(Failure {
        reason,
        original: Some(bytes.into_owned()),
    })
}
