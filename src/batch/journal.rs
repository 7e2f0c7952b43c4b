//! The resume journal: what lets an interrupted run continue without duplicates.
//!
//! The journal is a JSON-lines file next to (or inside) the output. Its first line, the
//! [`JournalHeader`], names the input and the formats, so that `--resume` refuses to
//! continue a different run. Every later line is a [`Checkpoint`]: "every message whose
//! index is below `upto` is done, the output mbox is `end` bytes long, the report `len`
//! bytes". Messages are written in input order, so one number says what is done.
//!
//! The order of writes is what makes this safe: the writer flushes the output and the
//! report *first*, then appends the checkpoint that describes them. After a crash the last
//! complete checkpoint is therefore never ahead of the files; a resumed run cuts the output
//! and the report back to the lengths it gives (dropping anything written after it) and
//! redoes the messages from `upto` on. A torn last line (a crash while writing it) is
//! ignored, and the checkpoint before it counts.
//!
//! A fresh run writes the header and a checkpoint of nothing done before the first message,
//! so that even a run that dies before its first real checkpoint is resumed correctly (its
//! report is cut to nothing). A completed run removes the journal.

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::report::Tally;
use super::{io_err, json_line, refuse};
use crate::error::Result;

/// The first line of a journal: which run it belongs to.
#[derive(Debug, Serialize, Deserialize, PartialEq)]
pub(super) struct JournalHeader {
    /// Format version of the journal (1).
    pub(super) mugai_journal: u32,
    /// The input, resolved.
    pub(super) input: String,
    /// The input's size in bytes (the sum of the files for a directory).
    pub(super) input_bytes: u64,
    /// The input format.
    pub(super) input_format: String,
    /// The output format.
    pub(super) output_format: String,
}

/// One journal line after the header, appended at each checkpoint. Messages are written in
/// input order, so "every index below `upto`" describes what is done; the last complete line
/// of the journal is the one that counts.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct Checkpoint {
    /// Every message whose index is below this is done (written or in the failed folder).
    pub(super) upto: u64,
    /// For an mbox input: offset of the last message done (where the splitter restarts).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) input_offset: Option<u64>,
    /// For an mbox output: its length after the messages done.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) end: Option<u64>,
    /// The report file and its length after the messages done.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) report: Option<(String, u64)>,
    /// Counts of everything done so far, earlier runs included.
    pub(super) t: Tally,
}

/// Where a run starts.
#[derive(Debug, Default)]
pub(super) struct Start {
    /// A journal was found (an interrupted run is being resumed).
    pub(super) journal_exists: bool,
    /// Its last complete checkpoint; `None` for a fresh run, and for a run interrupted
    /// before its first checkpoint.
    pub(super) checkpoint: Option<Checkpoint>,
}

impl Start {
    /// Every message below this index is done already.
    pub(super) fn skip_below(&self) -> u64 {
        self.checkpoint.as_ref().map_or(0, |c| c.upto)
    }

    /// For an mbox input, where the splitter restarts.
    pub(super) fn input_offset(&self) -> Option<u64> {
        self.checkpoint.as_ref().and_then(|c| c.input_offset)
    }

    /// Counts of the messages done by earlier runs.
    pub(super) fn prior(&self) -> Tally {
        self.checkpoint
            .as_ref()
            .map_or_else(Tally::default, |c| c.t)
    }
}

/// Decides where the run starts. A journal at `path` means an interrupted run: it is
/// continued when `resume` is set (and the journal belongs to this run, per `header`), and
/// refused otherwise. Without a journal the run starts fresh, unless `occupied` says the
/// output already holds something.
pub(super) fn find_start(
    path: &Path,
    header: &JournalHeader,
    resume: bool,
    output: &Path,
    occupied: impl FnOnce() -> bool,
) -> Result<Start> {
    if path.exists() {
        if !resume {
            return Err(refuse(format!(
                "an interrupted run left {}; use --resume to continue it, or remove it and the \
                 partial output",
                path.display()
            )));
        }
        let checkpoint = read_journal(path, header)?;
        return Ok(Start {
            journal_exists: true,
            checkpoint,
        });
    }
    if occupied() {
        return Err(refuse(if resume {
            format!(
                "nothing to resume: {} exists without a journal (already complete?)",
                output.display()
            )
        } else {
            format!(
                "{} already exists; choose another output or remove it",
                output.display()
            )
        }));
    }
    Ok(Start::default())
}

/// Reads the journal at `path`: refuses one written for another run than `header`'s, and
/// returns its last complete checkpoint.
pub(super) fn read_journal(path: &Path, header: &JournalHeader) -> Result<Option<Checkpoint>> {
    let file = File::open(path).map_err(io_err(format!("cannot read {}", path.display())))?;
    let mut lines = BufReader::new(file).lines();
    let first = lines
        .next()
        .transpose()
        .map_err(io_err(format!("cannot read {}", path.display())))?
        .unwrap_or_default();
    let found: JournalHeader = serde_json::from_str(&first)
        .map_err(|e| refuse(format!("{} is not a mugai journal: {e}", path.display())))?;
    if &found != header {
        return Err(refuse(format!(
            "{} was written for another input or format ({found:?}); cannot resume",
            path.display()
        )));
    }
    let mut last = None;
    for line in lines {
        let line = line.map_err(io_err(format!("cannot read {}", path.display())))?;
        // A torn last line (a crash while writing it) is ignored: the checkpoint before it
        // counts, and what came after it is redone.
        let Ok(checkpoint) = serde_json::from_str::<Checkpoint>(&line) else {
            break;
        };
        last = Some(checkpoint);
    }
    Ok(last)
}

/// The journal file, open for appending.
pub(super) struct Journal {
    file: File,
    path: PathBuf,
}

impl Journal {
    /// Opens (creating) the journal at `path` for appending.
    pub(super) fn open(path: &Path) -> Result<Self> {
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(io_err(format!("cannot open {}", path.display())))?;
        Ok(Journal {
            file,
            path: path.to_path_buf(),
        })
    }

    /// Starts the journal of a run that has no checkpoint yet: the header (when the file is
    /// new), then `initial`, the checkpoint of nothing done.
    pub(super) fn begin(
        &mut self,
        header: Option<&JournalHeader>,
        initial: &Checkpoint,
    ) -> Result<()> {
        let mut lines = Vec::new();
        if let Some(header) = header {
            lines.extend(json_line(header).map_err(self.write_err())?);
        }
        lines.extend(json_line(initial).map_err(self.write_err())?);
        self.write(&lines)
    }

    /// Appends `checkpoint` and flushes it.
    pub(super) fn append(&mut self, checkpoint: &Checkpoint) -> Result<()> {
        let line = json_line(checkpoint).map_err(self.write_err())?;
        self.write(&line)
    }

    /// Removes the journal of a completed run.
    pub(super) fn remove(&self) -> Result<()> {
        std::fs::remove_file(&self.path)
            .map_err(io_err(format!("cannot remove {}", self.path.display())))
    }

    /// Appends `bytes` and flushes them.
    fn write(&mut self, bytes: &[u8]) -> Result<()> {
        self.file
            .write_all(bytes)
            .and_then(|()| self.file.flush())
            .map_err(self.write_err())
    }

    /// The error of a failed write to the journal.
    fn write_err(&self) -> impl FnOnce(std::io::Error) -> crate::Error {
        io_err(format!("cannot write {}", self.path.display()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(input: &str) -> JournalHeader {
        JournalHeader {
            mugai_journal: 1,
            input: input.into(),
            input_bytes: 10,
            input_format: "mbox".into(),
            output_format: "mbox".into(),
        }
    }

    fn checkpoint(upto: u64) -> Checkpoint {
        Checkpoint {
            upto,
            input_offset: Some(upto * 100),
            end: Some(upto * 50),
            report: None,
            t: Tally::default(),
        }
    }

    #[test]
    fn last_complete_checkpoint_counts_and_a_torn_line_is_ignored() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j");
        let mut journal = Journal::open(&path).unwrap();
        journal.begin(Some(&header("/in")), &checkpoint(0)).unwrap();
        journal.append(&checkpoint(7)).unwrap();
        journal.append(&checkpoint(9)).unwrap();
        journal.write(b"{\"upto\":12,\"t\":{").unwrap();
        let found = read_journal(&path, &header("/in")).unwrap().unwrap();
        assert_eq!((found.upto, found.input_offset), (9, Some(900)));
        // Another run's journal is refused.
        let err = read_journal(&path, &header("/other")).unwrap_err();
        assert!(err.to_string().contains("another input"), "{err}");
    }

    #[test]
    fn start_refuses_a_journal_without_resume_and_an_occupied_output() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j");
        let out = dir.path().join("out");
        let fresh = find_start(&path, &header("/in"), false, &out, || false).unwrap();
        assert!(!fresh.journal_exists && fresh.checkpoint.is_none());
        assert!(find_start(&path, &header("/in"), true, &out, || true).is_err());
        Journal::open(&path)
            .unwrap()
            .begin(Some(&header("/in")), &checkpoint(0))
            .unwrap();
        assert!(find_start(&path, &header("/in"), false, &out, || false).is_err());
        let resumed = find_start(&path, &header("/in"), true, &out, || true).unwrap();
        assert!(resumed.journal_exists);
        assert_eq!(resumed.skip_below(), 0);
        Journal::open(&path).unwrap().remove().unwrap();
        assert!(!path.exists());
    }
}
