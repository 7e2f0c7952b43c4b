//! The writer: the one thread that writes, in input order.
//!
//! Workers finish out of order; the [`Writer`] keeps the early ones in a small map until
//! the next message in sequence arrives, so the output (and the report, and the journal)
//! always follow the input order. That is what makes one number, "every index below N",
//! enough to describe what is done (see [`super::journal`]).
//!
//! For each message the writer
//! 1. writes the sanitised message to the [`Sink`] (mbox, Maildir or `.eml` tree), or the
//!    original and a `.reason.txt` into the failed folder;
//! 2. appends a [`MessageRecord`] line to the report;
//! 3. tells the [`Window`] one more message is written, which lets the dispatcher send
//!    another;
//! 4. every 64 MiB of input or 2 seconds, takes a checkpoint: flush the output and the
//!    report, *then* append to the journal what they now hold.
//!
//! Being the only thread that touches the output files, it needs no locks around them.

use std::collections::BTreeMap;
use std::fs::{self, File, OpenOptions};
use std::io::{BufWriter, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::detect::OutputFormat;
use super::eml::{self, EmlWriter};
use super::job::{Done, Failure, Origin, Sanitized};
use super::journal::{Checkpoint, Journal, JournalHeader, Start};
use super::maildir::{MaildirWriter, Subdir};
use super::mbox::{MappedFile, MboxWriter};
use super::paths::{Layout, resolved_text, with_suffix};
use super::progress::ProgressDisplay;
use super::report::{MessageRecord, Status, Summary, Tally};
use super::window::Window;
use super::{io_err, json_line, refuse};
use crate::error::Result;

/// Input bytes written between two checkpoints, at most.
const CHECKPOINT_BYTES: u64 = 64 << 20;
/// Time between two checkpoints, at most (checked after each message).
const CHECKPOINT_EVERY: Duration = Duration::from_secs(2);
/// Input pages of a mapped mbox are released in steps of this many bytes.
const RELEASE_STEP: u64 = 8 << 20;

/// Where sanitised messages go.
pub(super) enum Sink {
    /// An mbox, written as its partial file and renamed when the run completes.
    Mbox {
        /// The mboxrd writer over the partial file.
        writer: MboxWriter<BufWriter<File>>,
        /// The partial file's path.
        partial: PathBuf,
    },
    /// A Maildir.
    Maildir(MaildirWriter),
    /// An `.eml` tree.
    Eml(EmlWriter),
}

impl Sink {
    /// Opens the sink for `format` at `layout`; an mbox's partial file is cut to `end`
    /// (its length at the checkpoint resumed from, 0 for a fresh run).
    fn open(layout: &Layout, format: OutputFormat, end: u64) -> Result<Self> {
        let output = &layout.output;
        let create_err = || io_err(format!("cannot create {}", output.display()));
        match format {
            OutputFormat::Mbox => {
                let partial = (layout.partial.clone())
                    .unwrap_or_else(|| with_suffix(output, ".mugai-partial"));
                let file = open_partial(&partial, end)?;
                Ok(Sink::Mbox {
                    writer: MboxWriter::new(BufWriter::with_capacity(1 << 20, file), end),
                    partial,
                })
            }
            OutputFormat::Maildir => Ok(Sink::Maildir(
                MaildirWriter::create(output).map_err(create_err())?,
            )),
            OutputFormat::Eml => Ok(Sink::Eml(EmlWriter::create(output).map_err(create_err())?)),
        }
    }

    /// Writes a sanitised message; returns its place in the output.
    fn write(&mut self, index: u64, origin: &Origin, s: &Sanitized) -> Result<String> {
        match self {
            Sink::Mbox { writer, partial } => {
                let at = writer.position();
                let separator: &[u8] = match origin {
                    Origin::Mbox { separator, .. } => separator,
                    _ => b"",
                };
                writer
                    .write_message(separator, &s.message)
                    .map_err(io_err(format!("cannot write {}", partial.display())))?;
                Ok(format!("mbox:{at}"))
            }
            Sink::Maildir(md) => write_maildir(md, index, origin, s),
            Sink::Eml(w) => {
                let rel = origin.rel_name(index);
                w.write(&rel, &s.message)
                    .map_err(io_err(format!("cannot write {}", rel.display())))?;
                Ok(rel.to_string_lossy().into_owned())
            }
        }
    }

    /// Flushes an mbox sink; returns its length (`None` for the other sinks, which write
    /// each message to its own file at once).
    fn flush(&mut self) -> Result<Option<u64>> {
        let Sink::Mbox { writer, partial } = self else {
            return Ok(None);
        };
        writer
            .flush()
            .map_err(io_err(format!("cannot write {}", partial.display())))?;
        Ok(Some(writer.position()))
    }

    /// Completes an mbox sink: syncs its partial file and renames it to `output`.
    fn complete(&self, output: &Path) -> Result<()> {
        let Sink::Mbox { writer, partial } = self else {
            return Ok(());
        };
        writer
            .get_ref()
            .get_ref()
            .sync_all()
            .map_err(io_err(format!("cannot sync {}", partial.display())))?;
        fs::rename(partial, output).map_err(io_err(format!(
            "cannot rename {} to {}",
            partial.display(),
            output.display()
        )))
    }
}

/// Opens (creating) the partial mbox at `path`, cut to `end` bytes and positioned there.
fn open_partial(path: &Path, end: u64) -> Result<File> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        fs::create_dir_all(parent)
            .map_err(io_err(format!("cannot create {}", parent.display())))?;
    }
    let mut file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .read(true)
        .write(true)
        .open(path)
        .map_err(io_err(format!("cannot open {}", path.display())))?;
    let len = file
        .metadata()
        .map_err(io_err(format!("cannot stat {}", path.display())))?
        .len();
    if len < end {
        return Err(refuse(format!(
            "{} is shorter ({len}) than its journal says ({end}); cannot resume",
            path.display()
        )));
    }
    file.set_len(end)
        .map_err(io_err(format!("cannot truncate {}", path.display())))?;
    file.seek(SeekFrom::Start(end))
        .map_err(io_err(format!("cannot seek {}", path.display())))?;
    Ok(file)
}

/// Writes a sanitised message into a Maildir: under its own name and flags when it came
/// from a Maildir, under a new name with its mbox Status flags otherwise.
fn write_maildir(md: &MaildirWriter, index: u64, origin: &Origin, s: &Sanitized) -> Result<String> {
    let (folder, subdir, unique, flags) = match origin {
        Origin::Maildir {
            folder,
            subdir,
            unique,
            flags,
        } => (folder.as_str(), *subdir, unique.clone(), flags.clone()),
        _ => (
            "",
            Subdir::Cur,
            format!(
                "{index:08}.{}.mugai",
                s.report.original_sha256.get(..16).unwrap_or("0")
            ),
            Some(s.status_flags.clone()),
        ),
    };
    let path = md
        .write_in(folder, subdir, &unique, flags.as_deref(), &s.message)
        .map_err(io_err(format!("cannot write into {}", md.root().display())))?;
    Ok(path
        .strip_prefix(md.root())
        .unwrap_or(&path)
        .to_string_lossy()
        .into_owned())
}

/// The `--report` JSON-lines file.
struct ReportFile {
    out: BufWriter<File>,
    /// Resolved path, as recorded in the journal.
    path: String,
    /// Bytes in the file (written or buffered).
    len: u64,
}

impl ReportFile {
    /// Opens the report at `path`: emptied for a fresh run; on resume, appended to after
    /// cutting what `checkpoint` does not cover.
    fn open(path: &Path, resume: bool, checkpoint: Option<&Checkpoint>) -> Result<Self> {
        let mut file = OpenOptions::new()
            .create(true)
            .write(true)
            .truncate(!resume)
            .open(path)
            .map_err(io_err(format!("cannot open {}", path.display())))?;
        let resolved = resolved_text(path);
        let mut len = file
            .metadata()
            .map_err(io_err(format!("cannot stat {}", path.display())))?
            .len();
        if let Some((p, l)) = checkpoint.and_then(|c| c.report.as_ref())
            && *p == resolved
            && *l <= len
        {
            file.set_len(*l)
                .map_err(io_err(format!("cannot truncate {}", path.display())))?;
            len = *l;
        }
        file.seek(SeekFrom::Start(len))
            .map_err(io_err(format!("cannot seek {}", path.display())))?;
        Ok(ReportFile {
            out: BufWriter::new(file),
            path: resolved,
            len,
        })
    }

    /// Appends `value` as one JSON line (buffered).
    fn write_line(&mut self, value: &impl serde::Serialize) -> Result<()> {
        let line = json_line(value)
            .and_then(|line| self.out.write_all(&line).map(|()| line.len()))
            .map_err(io_err(format!("cannot write {}", self.path)))?;
        self.len += line as u64;
        Ok(())
    }

    /// Flushes what is buffered to the file.
    fn flush(&mut self) -> Result<()> {
        self.out
            .flush()
            .map_err(io_err(format!("cannot write {}", self.path)))
    }
}

/// Everything the writer thread owns: the sink, the report, the journal, the counts.
pub(super) struct Writer {
    sink: Sink,
    /// The mapped input mbox, whose pages are released as the writer passes them.
    input_map: Option<Arc<MappedFile>>,
    /// Offset below which input pages have been released.
    released: u64,
    journal: Journal,
    /// Index of the last message written and, for an mbox input, its offset.
    last_done: Option<(u64, Option<u64>)>,
    /// Input bytes written since the last checkpoint.
    unflushed: u64,
    last_checkpoint: Instant,
    report: Option<ReportFile>,
    failed_dir: PathBuf,
    input_display: String,
    /// Counts of this run.
    tally: Tally,
    /// Counts of earlier, interrupted runs.
    prior: Tally,
    progress: ProgressDisplay,
    window: Arc<Window>,
}

/// What [`Writer::open`] needs to know about the run.
pub(super) struct WriterSetup<'a> {
    /// Where to write.
    pub(super) layout: &'a Layout,
    /// In which format.
    pub(super) format: OutputFormat,
    /// The journal's header, written when the journal is new.
    pub(super) header: &'a JournalHeader,
    /// Where the run starts.
    pub(super) start: &'a Start,
    /// The report path, if any.
    pub(super) report: Option<&'a Path>,
    /// Whether the run resumes (the report is appended to).
    pub(super) resume: bool,
    /// The mapped input mbox, if the input is one.
    pub(super) input_map: Option<Arc<MappedFile>>,
    /// The input, as shown in reason files.
    pub(super) input: &'a Path,
}

impl Writer {
    /// Opens the sink, the report and the journal; a run without a checkpoint starts its
    /// journal with a checkpoint of nothing done.
    pub(super) fn open(
        setup: WriterSetup<'_>,
        progress: ProgressDisplay,
        window: Arc<Window>,
    ) -> Result<Self> {
        let checkpoint = setup.start.checkpoint.as_ref();
        let end = checkpoint.and_then(|c| c.end).unwrap_or(0);
        let sink = Sink::open(setup.layout, setup.format, end)?;
        let report = match setup.report {
            Some(path) => Some(ReportFile::open(path, setup.resume, checkpoint)?),
            None => None,
        };
        let mut journal = Journal::open(&setup.layout.journal)?;
        if checkpoint.is_none() {
            // A fresh run (or one interrupted before its first checkpoint): the header, then
            // a checkpoint of nothing done, so that a resume knows which report to cut, and
            // where.
            let initial = Checkpoint {
                upto: 0,
                input_offset: None,
                end: setup.layout.partial.as_ref().map(|_| 0),
                report: report.as_ref().map(|r| (r.path.clone(), 0)),
                t: Tally::default(),
            };
            let header = (!setup.start.journal_exists).then_some(setup.header);
            journal.begin(header, &initial)?;
        }
        Ok(Writer {
            sink,
            input_map: setup.input_map,
            released: 0,
            journal,
            last_done: None,
            unflushed: 0,
            last_checkpoint: Instant::now(),
            report,
            failed_dir: setup.layout.failed_dir.clone(),
            input_display: setup.input.display().to_string(),
            tally: Tally::default(),
            prior: setup.start.prior(),
            progress,
            window,
        })
    }

    /// Counts of earlier, interrupted runs.
    pub(super) fn prior(&self) -> Tally {
        self.prior
    }

    /// Counts of this run.
    pub(super) fn tally(&self) -> Tally {
        self.tally
    }

    /// Writes every message received, in `seq` order, until the workers are done.
    pub(super) fn consume(&mut self, rx: crossbeam_channel::Receiver<Done>) -> Result<()> {
        let mut next = 0u64;
        let mut pending: BTreeMap<u64, Done> = BTreeMap::new();
        for done in rx {
            pending.insert(done.seq, done);
            while let Some(done) = pending.remove(&next) {
                self.write_one(done)?;
                next += 1;
                self.window.advance(next);
            }
        }
        Ok(())
    }

    /// Ends the run: a last checkpoint; when complete, the mbox renamed into place and the
    /// journal removed.
    pub(super) fn finish(&mut self, output: &Path, complete: bool) -> Result<()> {
        self.checkpoint()?;
        self.progress.finish();
        if complete {
            self.sink.complete(output)?;
            self.journal.remove()?;
        }
        Ok(())
    }

    /// Appends the summary to the report, and flushes it.
    pub(super) fn write_summary(&mut self, summary: &Summary) -> Result<()> {
        if let Some(report) = self.report.as_mut() {
            report.write_line(summary)?;
            report.flush()?;
        }
        Ok(())
    }

    /// Writes one message (or its failure), its report line, and checkpoints when due.
    fn write_one(&mut self, done: Done) -> Result<()> {
        let Done {
            index,
            origin,
            input_bytes,
            result,
            ..
        } = done;
        let (record, tally) = match result {
            Ok(s) => {
                let output = self.sink.write(index, &origin, &s)?;
                sanitized_record(index, &origin, output, s, input_bytes)
            }
            Err(f) => {
                let output = self.write_failed(index, &origin, &f)?;
                failed_record(index, &origin, output, f, input_bytes)
            }
        };
        self.tally.add(&tally);
        self.release_input(&origin);
        self.last_done = Some((index, origin.mbox_offset()));
        if let Some(report) = self.report.as_mut() {
            report.write_line(&record)?;
        }
        self.unflushed += input_bytes;
        self.progress.update(&self.tally);
        if self.unflushed >= CHECKPOINT_BYTES || self.last_checkpoint.elapsed() >= CHECKPOINT_EVERY
        {
            self.checkpoint()?;
        }
        Ok(())
    }

    /// Releases input pages already done with, every [`RELEASE_STEP`] bytes, so that the
    /// resident set does not grow with the mapped input.
    fn release_input(&mut self, origin: &Origin) {
        if let (Some(map), Origin::Mbox { offset, .. }) = (&self.input_map, origin)
            && *offset >= self.released + RELEASE_STEP
        {
            map.release_before(*offset);
            self.released = *offset;
        }
    }

    /// Flushes the output and the report, then records in the journal what they hold.
    fn checkpoint(&mut self) -> Result<()> {
        let end = self.sink.flush()?;
        if let Some(report) = self.report.as_mut() {
            report.flush()?;
        }
        if let Some((index, input_offset)) = self.last_done.take() {
            let mut t = self.prior;
            t.add(&self.tally);
            self.journal.append(&Checkpoint {
                upto: index + 1,
                input_offset,
                end,
                report: self.report.as_ref().map(|r| (r.path.clone(), r.len)),
                t,
            })?;
        }
        self.unflushed = 0;
        self.last_checkpoint = Instant::now();
        Ok(())
    }

    /// Puts the original into the failed folder with a reason file.
    fn write_failed(&mut self, index: u64, origin: &Origin, f: &Failure) -> Result<String> {
        let rel = origin.rel_name(index);
        let path = self.failed_dir.join(&rel);
        if let Some(original) = &f.original {
            eml::write_atomic(&path, original)
                .map_err(io_err(format!("cannot write {}", path.display())))?;
        }
        let reason_path = with_suffix(&path, ".reason.txt");
        let text = format!(
            "input: {}\nposition: {}\nindex: {index}\nreason: {}\n",
            self.input_display,
            origin.position(),
            f.reason
        );
        eml::write_atomic(&reason_path, text.as_bytes())
            .map_err(io_err(format!("cannot write {}", reason_path.display())))?;
        tracing::debug!(index, position = %origin.position(), reason = %f.reason, "message failed");
        Ok(path.display().to_string())
    }
}

/// The report record and counts of a message written to the output.
fn sanitized_record(
    index: u64,
    origin: &Origin,
    output: String,
    s: Sanitized,
    input_bytes: u64,
) -> (MessageRecord, Tally) {
    let out_bytes = s.message.len() as u64;
    let r = s.report;
    let tally = Tally::sanitized(&r, input_bytes, out_bytes);
    let record = MessageRecord {
        kind: "message".into(),
        index,
        source: origin.position(),
        status: Status::Ok,
        output,
        message_id: r.message_id,
        original_sha256: Some(r.original_sha256),
        actions: r.actions.iter().map(|a| a.token().to_string()).collect(),
        removed: r.removed,
        warnings: r.warnings,
        reason: None,
        input_bytes,
        output_bytes: out_bytes,
    };
    (record, tally)
}

/// The report record and counts of a message put into the failed folder.
fn failed_record(
    index: u64,
    origin: &Origin,
    output: String,
    f: Failure,
    input_bytes: u64,
) -> (MessageRecord, Tally) {
    let record = MessageRecord {
        kind: "message".into(),
        index,
        source: origin.position(),
        status: Status::Failed,
        output,
        message_id: None,
        original_sha256: None,
        actions: vec![],
        removed: vec![],
        warnings: vec![],
        reason: Some(f.reason),
        input_bytes,
        output_bytes: 0,
    };
    (record, Tally::failed(input_bytes))
}
