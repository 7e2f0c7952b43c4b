//! The batch pipeline: read → sanitise on N threads → write in input order.
//!
//! ```text
//!  dispatcher (caller's thread)      workers (N threads)          writer (1 thread)
//!  splits the mbox / lists files ──► read, unescape, sanitise ──► reorders by sequence,
//!  bounded window of in-flight         (catches panics)            writes output or failed/,
//!  messages                                                         journal, report, progress
//! ```
//!
//! Memory stays bounded: at most `window` (4 × jobs) messages are between the dispatcher and
//! the writer at any time, so memory is a small multiple of the largest message times the
//! number of jobs. An mbox is memory-mapped, never read whole; the pages already written are
//! released as the run goes on.
//!
//! Nothing is lost: every message read ends up in the output or in the failed folder
//! (`OUTPUT/failed/` for directory outputs, `OUTPUT.failed/` beside an mbox output) with a
//! `.reason.txt` file. Output files are written to temporary names and renamed; an mbox is
//! written as `OUTPUT.mugai-partial` and renamed when complete. A journal of checkpoints
//! (`OUTPUT.mugai-journal` or `OUTPUT/.mugai-journal`: every index below N is done, with the
//! output and report lengths) lets `--resume` continue an interrupted run without
//! duplicates; a checkpoint is written only after the output and report it describes have
//! been flushed.

use std::collections::BTreeMap;
use std::fs::{self, File, OpenOptions};
use std::io::{self, BufRead, BufReader, BufWriter, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use super::detect::{InputFormat, OutputFormat, detect};
use super::eml::{self, EmlWriter};
use super::job::{Done, Failure, Job, JobData, Origin, Sanitized, work};
use super::maildir::{self, MaildirWriter, Subdir};
use super::mbox::{MappedFile, MboxVariant, MboxWriter, Splitter};
use super::report::{MessageRecord, Status, Summary, Tally};
use super::window::Window;
use super::{io_err, refuse};
use crate::error::Result;
use crate::outcome::Outcome;
use crate::policy::{LineEnding, Policy};
use crate::sanitize::Sanitizer;

/// How progress is shown on standard error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Progress {
    /// A progress bar when standard error is a terminal, periodic log lines otherwise.
    #[default]
    Auto,
    /// Always a progress bar.
    Bar,
    /// Periodic log lines.
    Log,
    /// Nothing.
    Off,
}

/// Everything a batch run needs besides the policy.
#[derive(Debug, Clone)]
pub struct BatchOptions {
    /// Input: an mbox, a Maildir, a directory of `.eml` files or one message file.
    pub input: PathBuf,
    /// Output: an mbox file or a directory (Maildir, `.eml` tree).
    pub output: PathBuf,
    /// Input format; detected when `None`.
    pub input_format: Option<InputFormat>,
    /// Output format; the input's kind when `None`.
    pub output_format: Option<OutputFormat>,
    /// How `From ` lines of an input mbox were escaped.
    pub mbox_variant: MboxVariant,
    /// Worker threads; 0 means one per core.
    pub jobs: usize,
    /// Per-message JSON lines and the final summary are written here.
    pub report: Option<PathBuf>,
    /// Continue an interrupted run.
    pub resume: bool,
    /// Progress display.
    pub progress: Progress,
    /// Set to stop cleanly (e.g. from a Ctrl-C handler): no new message is started, the ones
    /// under way are finished and written, and the run returns an interrupted summary.
    pub stop: Arc<AtomicBool>,
}

impl BatchOptions {
    /// Options with defaults for everything but the paths.
    pub fn new(input: impl Into<PathBuf>, output: impl Into<PathBuf>) -> Self {
        BatchOptions {
            input: input.into(),
            output: output.into(),
            input_format: None,
            output_format: None,
            mbox_variant: MboxVariant::Mboxrd,
            jobs: 0,
            report: None,
            resume: false,
            progress: Progress::Off,
            stop: Arc::new(AtomicBool::new(false)),
        }
    }
}

/// The absolute, symlink-resolved form of `path`, which need not exist yet (its nearest
/// existing ancestor is resolved).
fn resolve(path: &Path) -> io::Result<PathBuf> {
    let abs = std::path::absolute(path)?;
    let mut existing = abs.as_path();
    let mut rest = Vec::new();
    loop {
        match existing.canonicalize() {
            Ok(mut c) => {
                for part in rest.iter().rev() {
                    c.push(part);
                }
                return Ok(c);
            }
            Err(_) => match (existing.parent(), existing.file_name()) {
                (Some(parent), Some(name)) => {
                    rest.push(name.to_owned());
                    existing = parent;
                }
                _ => return Ok(abs),
            },
        }
    }
}

/// Refuses output paths that are, contain, or lie inside the input.
fn check_paths(input: &Path, outputs: &[&Path]) -> Result<()> {
    let inp = resolve(input).map_err(io_err(format!("cannot resolve {}", input.display())))?;
    for out in outputs {
        let o = resolve(out).map_err(io_err(format!("cannot resolve {}", out.display())))?;
        if o == inp {
            return Err(refuse(format!(
                "refusing to write over the input {}",
                input.display()
            )));
        }
        if o.starts_with(&inp) {
            return Err(refuse(format!(
                "refusing to write {} inside the input {}",
                out.display(),
                input.display()
            )));
        }
        if inp.starts_with(&o) {
            return Err(refuse(format!(
                "refusing to write {}: the input {} is inside it",
                out.display(),
                input.display()
            )));
        }
    }
    Ok(())
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

enum Source {
    Mbox(Arc<MappedFile>),
    Files(Vec<(Origin, PathBuf)>),
}

#[derive(Debug, Serialize, Deserialize, PartialEq)]
struct JournalHeader {
    mugai_journal: u32,
    input: String,
    input_bytes: u64,
    input_format: String,
    output_format: String,
}

/// One journal line after the header, appended at each checkpoint. Messages are written in
/// input order, so "every index below `upto`" describes what is done; the last complete line
/// of the journal is the one that counts.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Checkpoint {
    /// Every message whose index is below this is done (written or in the failed folder).
    upto: u64,
    /// For an mbox input: offset of the last message done (where the splitter restarts).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    input_offset: Option<u64>,
    /// For an mbox output: its length after the messages done.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    end: Option<u64>,
    /// The report file and its length after the messages done.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    report: Option<(String, u64)>,
    /// Counts of everything done so far, earlier runs included.
    t: Tally,
}

fn read_journal(path: &Path, header: &JournalHeader) -> Result<Option<Checkpoint>> {
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

enum Sink {
    Mbox {
        writer: MboxWriter<BufWriter<File>>,
        partial: PathBuf,
    },
    Maildir(MaildirWriter),
    Eml(EmlWriter),
}

/// Runs a batch: sanitises every message of `opts.input` under `policy` into
/// `opts.output`. For mbox and Maildir outputs the policy's line ending is set to LF;
/// `quarantine.dir` is ignored (the originals stay in the input, so no notice promises a
/// quarantined original).
///
/// Returns the summary (also written as the last line of the report). Messages that could
/// not be sanitised are counted as failed, not returned as errors; errors are for problems
/// with the paths, refusals (writing into the input, an existing output without
/// `--resume`) and output I/O failures.
pub fn run(mut policy: Policy, opts: &BatchOptions) -> Result<Summary> {
    let input_format = match opts.input_format {
        Some(f) => f,
        None => {
            detect(&opts.input).map_err(io_err(format!("cannot read {}", opts.input.display())))?
        }
    };
    let output_format = opts.output_format.unwrap_or(input_format.default_output());
    if matches!(output_format, OutputFormat::Mbox | OutputFormat::Maildir) {
        policy.output.line_ending = LineEnding::Lf;
    }
    if !policy.quarantine.dir.as_os_str().is_empty() {
        // The batch keeps no quarantine: the originals stay in the input, and the report ties
        // each output to its source position and SHA-256. Without this the notice would
        // promise an original kept under an id that no quarantine holds.
        tracing::warn!(
            "quarantine.dir is not used by mugai batch: the originals stay in {}",
            opts.input.display()
        );
        policy.quarantine.dir = PathBuf::new();
    }
    let sanitizer = Sanitizer::new(policy);
    let opts = BatchOptions {
        input_format: Some(input_format),
        output_format: Some(output_format),
        ..opts.clone()
    };
    run_with(&opts, &|bytes: &[u8]| sanitizer.sanitize(bytes))
}

/// [`run`] with another sanitising function (for tests and embedders with their own
/// pipeline). The function must be callable from several threads; a panic in it is caught
/// and the message counted as failed. The policy's line ending is the caller's business.
pub fn run_with<F>(opts: &BatchOptions, sanitize: &F) -> Result<Summary>
where
    F: Fn(&[u8]) -> Result<Outcome> + Sync,
{
    let started = Instant::now();
    let input = &opts.input;
    let input_format = match opts.input_format {
        Some(f) => f,
        None => detect(input).map_err(io_err(format!("cannot read {}", input.display())))?,
    };
    let output_format = opts.output_format.unwrap_or(input_format.default_output());
    let jobs = if opts.jobs == 0 {
        std::thread::available_parallelism().map_or(1, |n| n.get())
    } else {
        opts.jobs
    };

    // Paths of everything we write.
    let output = &opts.output;
    let (journal_path, failed_dir, partial) = match output_format {
        OutputFormat::Mbox => (
            with_suffix(output, ".mugai-journal"),
            with_suffix(output, ".failed"),
            Some(with_suffix(output, ".mugai-partial")),
        ),
        _ => (output.join(".mugai-journal"), output.join("failed"), None),
    };
    let mut written_paths: Vec<&Path> = vec![output, &journal_path, &failed_dir];
    if let Some(p) = &partial {
        written_paths.push(p);
    }
    if let Some(r) = &opts.report {
        written_paths.push(r);
    }
    check_paths(input, &written_paths)?;
    if let Some(r) = &opts.report {
        let r = resolve(r).map_err(io_err(format!("cannot resolve {}", r.display())))?;
        for p in &written_paths[..written_paths.len() - 1] {
            if resolve(p).is_ok_and(|p| r == p) {
                return Err(refuse(format!(
                    "the report {} would be written over {}",
                    r.display(),
                    p.display()
                )));
            }
        }
    }

    // The source.
    let input_meta =
        fs::metadata(input).map_err(io_err(format!("cannot read {}", input.display())))?;
    if input_format.is_file() != input_meta.is_file() {
        return Err(refuse(format!(
            "{} is not a {}",
            input.display(),
            if input_format.is_file() {
                format!("file ({input_format} input)")
            } else {
                format!("directory ({input_format} input)")
            }
        )));
    }
    let mut skipped_files = 0u64;
    let (source, total_bytes) = match input_format {
        InputFormat::Mbox => {
            let map = MappedFile::open(input)
                .map_err(io_err(format!("cannot map {}", input.display())))?;
            (Source::Mbox(Arc::new(map)), input_meta.len())
        }
        InputFormat::File => {
            let name = input
                .file_name()
                .map(PathBuf::from)
                .unwrap_or_else(|| PathBuf::from("message.eml"));
            (
                Source::Files(vec![(Origin::Tree { rel: name }, input.clone())]),
                input_meta.len(),
            )
        }
        InputFormat::Maildir => {
            let entries =
                maildir::list(input).map_err(io_err(format!("cannot list {}", input.display())))?;
            let mut total = 0;
            let files = entries
                .into_iter()
                .map(|e| {
                    total += fs::metadata(&e.path).map_or(0, |m| m.len());
                    (
                        Origin::Maildir {
                            folder: e.folder,
                            subdir: e.subdir,
                            unique: e.unique,
                            flags: e.flags,
                        },
                        e.path,
                    )
                })
                .collect();
            (Source::Files(files), total)
        }
        InputFormat::Eml => {
            let (rels, skipped) =
                eml::list(input).map_err(io_err(format!("cannot list {}", input.display())))?;
            skipped_files = skipped as u64;
            let mut total = 0;
            let files = rels
                .into_iter()
                .map(|rel| {
                    let path = input.join(&rel);
                    total += fs::metadata(&path).map_or(0, |m| m.len());
                    (Origin::Tree { rel }, path)
                })
                .collect();
            (Source::Files(files), total)
        }
    };

    // Resume or start.
    let header = JournalHeader {
        mugai_journal: 1,
        input: resolve(input)
            .unwrap_or_else(|_| input.clone())
            .to_string_lossy()
            .into_owned(),
        input_bytes: total_bytes,
        input_format: input_format.to_string(),
        output_format: output_format.to_string(),
    };
    let journal_exists = journal_path.exists();
    let resumed = if journal_exists {
        if !opts.resume {
            return Err(refuse(format!(
                "an interrupted run left {}; use --resume to continue it, or remove it and the \
                 partial output",
                journal_path.display()
            )));
        }
        Some(read_journal(&journal_path, &header)?)
    } else {
        let occupied = match output_format {
            OutputFormat::Mbox => output.exists() || partial.as_ref().is_some_and(|p| p.exists()),
            _ => output.exists() && fs::read_dir(output).map_or(true, |mut d| d.next().is_some()),
        };
        if occupied {
            return Err(refuse(if opts.resume {
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
        None
    };

    // Open the sink.
    let sink = match output_format {
        OutputFormat::Mbox => {
            let partial = partial.clone().expect("mbox output has a partial path");
            if let Some(parent) = partial.parent().filter(|p| !p.as_os_str().is_empty()) {
                fs::create_dir_all(parent)
                    .map_err(io_err(format!("cannot create {}", parent.display())))?;
            }
            let mut file = OpenOptions::new()
                .create(true)
                .truncate(false)
                .read(true)
                .write(true)
                .open(&partial)
                .map_err(io_err(format!("cannot open {}", partial.display())))?;
            let start = resumed
                .as_ref()
                .and_then(|r| r.as_ref())
                .and_then(|c| c.end)
                .unwrap_or(0);
            let len = file
                .metadata()
                .map_err(io_err(format!("cannot stat {}", partial.display())))?
                .len();
            if len < start {
                return Err(refuse(format!(
                    "{} is shorter ({len}) than its journal says ({start}); cannot resume",
                    partial.display()
                )));
            }
            file.set_len(start)
                .map_err(io_err(format!("cannot truncate {}", partial.display())))?;
            io::Seek::seek(&mut file, io::SeekFrom::Start(start))
                .map_err(io_err(format!("cannot seek {}", partial.display())))?;
            Sink::Mbox {
                writer: MboxWriter::new(BufWriter::with_capacity(1 << 20, file), start),
                partial,
            }
        }
        OutputFormat::Maildir => Sink::Maildir(
            MaildirWriter::create(output)
                .map_err(io_err(format!("cannot create {}", output.display())))?,
        ),
        OutputFormat::Eml => Sink::Eml(
            EmlWriter::create(output)
                .map_err(io_err(format!("cannot create {}", output.display())))?,
        ),
    };

    let checkpoint = resumed.flatten();

    // Report: on resume, appended to, after cutting what the last checkpoint does not cover.
    let report = match &opts.report {
        Some(path) => {
            let mut file = OpenOptions::new()
                .create(true)
                .write(true)
                .truncate(!opts.resume)
                .open(path)
                .map_err(io_err(format!("cannot open {}", path.display())))?;
            let resolved = resolve(path)
                .unwrap_or_else(|_| path.clone())
                .to_string_lossy()
                .into_owned();
            let mut len = file
                .metadata()
                .map_err(io_err(format!("cannot stat {}", path.display())))?
                .len();
            if let Some((p, l)) = checkpoint.as_ref().and_then(|c| c.report.as_ref())
                && *p == resolved
                && *l <= len
            {
                file.set_len(*l)
                    .map_err(io_err(format!("cannot truncate {}", path.display())))?;
                len = *l;
            }
            io::Seek::seek(&mut file, io::SeekFrom::Start(len))
                .map_err(io_err(format!("cannot seek {}", path.display())))?;
            Some(ReportFile {
                out: BufWriter::new(file),
                path: resolved,
                len,
            })
        }
        None => None,
    };

    // Journal.
    let mut journal = OpenOptions::new()
        .create(true)
        .append(true)
        .open(&journal_path)
        .map_err(io_err(format!("cannot open {}", journal_path.display())))?;
    if checkpoint.is_none() {
        // A fresh run (or one interrupted before its first checkpoint): the header, then a
        // checkpoint of nothing done, so that a resume knows which report to cut, and where.
        let initial = Checkpoint {
            upto: 0,
            input_offset: None,
            end: partial.as_ref().map(|_| 0),
            report: report.as_ref().map(|r| (r.path.clone(), 0)),
            t: Tally::default(),
        };
        let mut lines = Vec::new();
        if !journal_exists {
            serde_json::to_writer(&mut lines, &header).expect("header serialises");
            lines.push(b'\n');
        }
        serde_json::to_writer(&mut lines, &initial).expect("checkpoint serialises");
        lines.push(b'\n');
        journal
            .write_all(&lines)
            .and_then(|()| journal.flush())
            .map_err(io_err(format!("cannot write {}", journal_path.display())))?;
    }

    let skip_below = checkpoint.as_ref().map_or(0, |c| c.upto);
    let resume_offset = checkpoint.as_ref().and_then(|c| c.input_offset);
    let prior = checkpoint.as_ref().map_or_else(Tally::default, |c| c.t);

    let progress = ProgressDisplay::new(opts.progress, total_bytes, prior);
    // Messages in flight between the dispatcher and the writer: enough to keep the workers
    // busy without a thread switch per message, few enough to bound memory.
    let window_size = (jobs as u64 * 4).max(16);
    let window = Arc::new(Window::new(window_size));
    let abort = Arc::new(AtomicBool::new(false));

    let mut writer = Writer {
        sink,
        input_map: match &source {
            Source::Mbox(m) => Some(m.clone()),
            Source::Files(_) => None,
        },
        released: 0,
        journal,
        journal_path: journal_path.clone(),
        last_done: None,
        unflushed: 0,
        last_checkpoint: Instant::now(),
        report,
        failed_dir: failed_dir.clone(),
        input_display: input.display().to_string(),
        tally: Tally::default(),
        prior,
        progress,
        window: window.clone(),
    };

    let (job_tx, job_rx) = crossbeam_channel::bounded::<Job>(window_size as usize);
    let (done_tx, done_rx) = crossbeam_channel::bounded::<Done>(window_size as usize);
    let variant = opts.mbox_variant;
    let mbox_map = match &source {
        Source::Mbox(m) => Some(m.clone()),
        Source::Files(_) => None,
    };

    let mut complete = true;
    let writer_result = std::thread::scope(|scope| {
        for n in 0..jobs {
            let rx = job_rx.clone();
            let tx = done_tx.clone();
            let map = mbox_map.clone();
            std::thread::Builder::new()
                .name(format!("mugai-worker-{n}"))
                .spawn_scoped(scope, move || {
                    for job in rx {
                        let done = work(sanitize, map.as_deref(), variant, job);
                        if tx.send(done).is_err() {
                            break;
                        }
                    }
                })
                .expect("cannot start a worker thread");
        }
        drop(job_rx);
        drop(done_tx);
        let writer_thread = std::thread::Builder::new()
            .name("mugai-writer".into())
            .spawn_scoped(scope, {
                let abort = abort.clone();
                let window = window.clone();
                move || {
                    let r = writer.consume(done_rx);
                    if r.is_err() {
                        abort.store(true, Ordering::SeqCst);
                        window.wake();
                    }
                    r.map(|()| writer)
                }
            })
            .expect("cannot start the writer thread");

        // Dispatch.
        let mut seq = 0u64;
        let stopped = || opts.stop.load(Ordering::SeqCst) || abort.load(Ordering::SeqCst);
        let mut dispatch = |index: u64, origin: Origin, data: JobData| -> bool {
            if !window.wait_for_room(seq, stopped) || stopped() {
                return false;
            }
            let job = Job {
                seq,
                index,
                origin,
                data,
            };
            seq += 1;
            job_tx.send(job).is_ok()
        };
        match &source {
            Source::Mbox(map) => {
                let base = map.bytes().as_ptr() as usize;
                let splitter = match resume_offset {
                    Some(offset) => Splitter::starting_at(
                        map.bytes(),
                        offset,
                        skip_below.saturating_sub(1) as usize,
                    ),
                    None => Splitter::new(map.bytes()),
                };
                for msg in splitter {
                    let index = msg.index as u64;
                    if index < skip_below {
                        continue;
                    }
                    let start = msg.raw.as_ptr() as usize - base;
                    let origin = Origin::Mbox {
                        offset: msg.offset,
                        separator: msg.separator.to_vec(),
                    };
                    let data = JobData::Range {
                        start,
                        end: start + msg.raw.len(),
                    };
                    if !dispatch(index, origin, data) {
                        complete = false;
                        break;
                    }
                }
            }
            Source::Files(files) => {
                for (index, (origin, path)) in files.iter().enumerate() {
                    let index = index as u64;
                    if index < skip_below {
                        continue;
                    }
                    if !dispatch(index, origin.clone(), JobData::File(path.clone())) {
                        complete = false;
                        break;
                    }
                }
            }
        }
        drop(job_tx);
        writer_thread.join().expect("writer thread panicked")
    });
    let mut writer = writer_result?;
    let interrupted = !complete;

    // Finish: a last checkpoint, then (when complete) the rename and the journal's removal.
    writer.checkpoint()?;
    writer.progress.finish();
    if !interrupted {
        if let Sink::Mbox {
            partial, writer, ..
        } = &writer.sink
        {
            writer
                .get_ref()
                .get_ref()
                .sync_all()
                .map_err(io_err(format!("cannot sync {}", partial.display())))?;
            fs::rename(partial, output).map_err(io_err(format!(
                "cannot rename {} to {}",
                partial.display(),
                output.display()
            )))?;
        }
        fs::remove_file(&journal_path)
            .map_err(io_err(format!("cannot remove {}", journal_path.display())))?;
    }

    let mut total = writer.prior;
    total.add(&writer.tally);
    let seconds = started.elapsed().as_secs_f64();
    let this_run = writer.tally;
    let summary = Summary {
        kind: "summary".into(),
        input: input.display().to_string(),
        output: output.display().to_string(),
        input_format: input_format.to_string(),
        output_format: output_format.to_string(),
        messages_in: total.messages(),
        messages_out: total.out,
        messages_failed: total.failed,
        messages_resumed: writer.prior.messages(),
        attachments_removed: total.attachments_removed,
        html_converted: total.html_converted,
        bytes_in: total.bytes_in,
        bytes_out: total.bytes_out,
        seconds,
        msgs_per_sec: this_run.messages() as f64 / seconds.max(1e-9),
        mb_per_sec: this_run.bytes_in as f64 / 1e6 / seconds.max(1e-9),
        jobs,
        interrupted,
        failed_dir: (total.failed > 0).then(|| failed_dir.display().to_string()),
        skipped_files,
    };
    if let Some(report) = writer.report.as_mut() {
        let mut line = serde_json::to_vec(&summary).expect("summary serialises");
        line.push(b'\n');
        report
            .out
            .write_all(&line)
            .and_then(|()| report.out.flush())
            .map_err(io_err(format!("cannot write {}", report.path)))?;
    }
    Ok(summary)
}

struct ReportFile {
    out: BufWriter<File>,
    /// Resolved path, as recorded in the journal.
    path: String,
    /// Bytes in the file (written or buffered).
    len: u64,
}

struct Writer {
    sink: Sink,
    /// The mapped input mbox, whose pages are released as the writer passes them.
    input_map: Option<Arc<MappedFile>>,
    /// Offset below which input pages have been released.
    released: u64,
    journal: File,
    journal_path: PathBuf,
    /// Index of the last message written and, for an mbox input, its offset.
    last_done: Option<(u64, Option<u64>)>,
    unflushed: u64,
    last_checkpoint: Instant,
    report: Option<ReportFile>,
    failed_dir: PathBuf,
    input_display: String,
    tally: Tally,
    prior: Tally,
    progress: ProgressDisplay,
    window: Arc<Window>,
}

impl Writer {
    fn consume(&mut self, rx: crossbeam_channel::Receiver<Done>) -> Result<()> {
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
                let output = self.write_output(index, &origin, &s)?;
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
            Err(f) => {
                let output = self.write_failed(index, &origin, &f)?;
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
        };
        self.tally.add(&tally);
        // Release input pages already done with, every 8 MiB, so that the resident set
        // does not grow with the mapped input.
        if let (Some(map), Origin::Mbox { offset, .. }) = (&self.input_map, &origin)
            && *offset >= self.released + (8 << 20)
        {
            map.release_before(*offset);
            self.released = *offset;
        }
        self.last_done = Some((index, origin.mbox_offset()));
        if let Some(report) = self.report.as_mut() {
            let mut line = serde_json::to_vec(&record).expect("record serialises");
            line.push(b'\n');
            report
                .out
                .write_all(&line)
                .map_err(io_err(format!("cannot write {}", report.path)))?;
            report.len += line.len() as u64;
        }
        self.unflushed += input_bytes;
        self.progress.update(&self.tally);
        if self.unflushed >= 64 << 20 || self.last_checkpoint.elapsed() >= Duration::from_secs(2) {
            self.checkpoint()?;
        }
        Ok(())
    }

    /// Flushes the output and the report, then records in the journal what they hold.
    fn checkpoint(&mut self) -> Result<()> {
        let mut end = None;
        if let Sink::Mbox {
            writer, partial, ..
        } = &mut self.sink
        {
            writer
                .flush()
                .map_err(io_err(format!("cannot write {}", partial.display())))?;
            end = Some(writer.position());
        }
        if let Some(report) = self.report.as_mut() {
            report
                .out
                .flush()
                .map_err(io_err(format!("cannot write {}", report.path)))?;
        }
        if let Some((index, input_offset)) = self.last_done.take() {
            let mut t = self.prior;
            t.add(&self.tally);
            let checkpoint = Checkpoint {
                upto: index + 1,
                input_offset,
                end,
                report: self.report.as_ref().map(|r| (r.path.clone(), r.len)),
                t,
            };
            let mut line = serde_json::to_vec(&checkpoint).expect("checkpoint serialises");
            line.push(b'\n');
            self.journal
                .write_all(&line)
                .and_then(|()| self.journal.flush())
                .map_err(io_err(format!(
                    "cannot write {}",
                    self.journal_path.display()
                )))?;
        }
        self.unflushed = 0;
        self.last_checkpoint = Instant::now();
        Ok(())
    }

    /// Writes a sanitised message; returns its place in the output.
    fn write_output(&mut self, index: u64, origin: &Origin, s: &Sanitized) -> Result<String> {
        match &mut self.sink {
            Sink::Mbox {
                writer, partial, ..
            } => {
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
            Sink::Maildir(md) => {
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
                Ok(relative_display(md.root(), &path))
            }
            Sink::Eml(w) => {
                let rel = origin.rel_name(index);
                w.write(&rel, &s.message)
                    .map_err(io_err(format!("cannot write {}", rel.display())))?;
                Ok(rel.to_string_lossy().into_owned())
            }
        }
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
        Ok(path.display().to_string())
    }
}

fn relative_display(root: &Path, path: &Path) -> String {
    path.strip_prefix(root)
        .unwrap_or(path)
        .to_string_lossy()
        .into_owned()
}

/// Progress on standard error: an indicatif bar, or a log line every 5 seconds.
struct ProgressDisplay {
    mode: Progress,
    bar: Option<indicatif::ProgressBar>,
    started: Instant,
    last: Instant,
    total_bytes: u64,
    prior: Tally,
}

impl ProgressDisplay {
    fn new(mode: Progress, total_bytes: u64, prior: Tally) -> Self {
        let mode = match mode {
            Progress::Auto if io::stderr().is_terminal() => Progress::Bar,
            Progress::Auto => Progress::Log,
            m => m,
        };
        let bar = (mode == Progress::Bar).then(|| {
            let bar = indicatif::ProgressBar::new(total_bytes);
            bar.set_style(
                indicatif::ProgressStyle::with_template(
                    "{elapsed_precise} [{wide_bar}] {percent:>3}% {binary_bytes_per_sec} ETA {eta} {msg}",
                )
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
                .progress_chars("=> "),
            );
            bar.set_position(prior.bytes_in);
            bar.reset_eta();
            bar
        });
        let now = Instant::now();
        ProgressDisplay {
            mode,
            bar,
            started: now,
            last: now,
            total_bytes,
            prior,
        }
    }

    fn update(&mut self, tally: &Tally) {
        if self.mode == Progress::Off {
            return;
        }
        let now = Instant::now();
        let every = if self.mode == Progress::Bar {
            Duration::from_millis(100)
        } else {
            Duration::from_secs(5)
        };
        if now.duration_since(self.last) < every {
            return;
        }
        self.last = now;
        let secs = now.duration_since(self.started).as_secs_f64().max(1e-9);
        let msgs = tally.messages();
        let rate = msgs as f64 / secs;
        let done_bytes = self.prior.bytes_in + tally.bytes_in;
        if let Some(bar) = &self.bar {
            bar.set_position(done_bytes);
            bar.set_message(format!(
                "{} msgs, {:.0} msg/s, {} failed",
                self.prior.messages() + msgs,
                rate,
                self.prior.failed + tally.failed
            ));
        } else {
            let mbps = tally.bytes_in as f64 / 1e6 / secs;
            let pct = if self.total_bytes > 0 {
                done_bytes as f64 * 100.0 / self.total_bytes as f64
            } else {
                100.0
            };
            let eta = if tally.bytes_in > 0 {
                let left = self.total_bytes.saturating_sub(done_bytes) as f64;
                format!("{:.0} s", left / (tally.bytes_in as f64 / secs))
            } else {
                "?".into()
            };
            eprintln!(
                "mugai batch: {} msgs ({} failed), {rate:.0} msg/s, {mbps:.2} MB/s, {pct:.1}%, ETA {eta}",
                self.prior.messages() + msgs,
                self.prior.failed + tally.failed
            );
        }
    }

    fn finish(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Error;
    use crate::report::Report;

    #[test]
    fn refuses_output_over_or_inside_input() {
        let dir = tempfile::tempdir().unwrap();
        let inp = dir.path().join("in");
        fs::create_dir_all(inp.join("cur")).unwrap();
        assert!(check_paths(&inp, &[&inp]).is_err());
        assert!(check_paths(&inp, &[&inp.join("out")]).is_err());
        assert!(check_paths(&inp.join("cur"), &[&inp]).is_err());
        assert!(check_paths(&inp, &[&dir.path().join("out/x")]).is_ok());
        // Through a relative path with `..`.
        let odd = inp.join("cur/../");
        assert!(check_paths(&inp, &[&odd]).is_err());
    }

    /// A stand-in for the core: keeps the Subject and the body, adds a marker header;
    /// "GARBAGE" is rejected, "PANIC" panics, "STOP" sets the stop flag.
    fn fake(stop: Option<Arc<AtomicBool>>) -> impl Fn(&[u8]) -> Result<Outcome> + Sync {
        move |bytes: &[u8]| {
            let text = String::from_utf8_lossy(bytes);
            if text.contains("GARBAGE") {
                return Err(Error::Rejected {
                    reason: "garbage".into(),
                });
            }
            if text.contains("PANIC") {
                panic!("fake panic");
            }
            if text.contains("STOP")
                && let Some(stop) = &stop
            {
                stop.store(true, Ordering::SeqCst);
            }
            let (head, body) = text.split_once("\n\n").unwrap_or((&text, ""));
            let subject = head
                .lines()
                .find(|l| l.starts_with("Subject:"))
                .unwrap_or("Subject: none");
            let mut report = Report::default();
            use sha2::Digest;
            report.original_sha256 = hex::encode(sha2::Sha256::digest(bytes));
            report.message_id = head
                .lines()
                .find_map(|l| l.strip_prefix("Message-ID: "))
                .map(str::to_string);
            if text.contains("<html") {
                report.act(crate::Action::HtmlConverted);
            }
            Ok(Outcome {
                header_edits: vec![],
                headers: format!("{subject}\nX-Fake: 1\n").into_bytes(),
                body: format!("SANITISED\n{body}").into_bytes(),
                line_ending: "\n",
                report,
                not_a_mail: false,
            })
        }
    }

    const PM: &str = "From a@example.jp Mon Jan  2 03:04:05 2023";

    fn make_mbox(n: usize, special: &[(usize, &str)]) -> String {
        let mut s = String::new();
        for i in 0..n {
            let extra = special
                .iter()
                .find(|(k, _)| *k == i)
                .map_or("", |(_, w)| *w);
            s.push_str(&format!(
                "{PM}\nSubject: n={i}\nMessage-ID: <{i}@x>\n\nbody {i} {extra}\n>From quoted\n\n"
            ));
        }
        s
    }

    fn subjects(mbox: &[u8]) -> Vec<String> {
        super::super::mbox::Splitter::new(mbox)
            .map(|m| {
                let raw = m.unescaped(MboxVariant::Mboxrd);
                let t = String::from_utf8_lossy(&raw).into_owned();
                assert!(t.contains("\nSANITISED\n"), "{t}");
                assert!(t.contains("\nFrom quoted\n"), "{t}");
                t.lines().next().unwrap().to_string()
            })
            .collect()
    }

    fn opts(input: &Path, output: &Path) -> BatchOptions {
        let mut o = BatchOptions::new(input, output);
        o.jobs = 3;
        o
    }

    #[test]
    fn mbox_in_order_with_failures_routed() {
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("in.mbox");
        fs::write(&input, make_mbox(200, &[(17, "GARBAGE"), (33, "PANIC")])).unwrap();
        let output = dir.path().join("out.mbox");
        let report = dir.path().join("r.jsonl");
        let mut o = opts(&input, &output);
        o.report = Some(report.clone());
        let summary = run_with(&o, &fake(None)).unwrap();
        assert_eq!(summary.messages_in, 200);
        assert_eq!(summary.messages_out, 198);
        assert_eq!(summary.messages_failed, 2);
        assert!(!summary.success());
        let subs = subjects(&fs::read(&output).unwrap());
        let expected: Vec<String> = (0..200)
            .filter(|i| *i != 17 && *i != 33)
            .map(|i| format!("Subject: n={i}"))
            .collect();
        assert_eq!(subs, expected);
        let failed = dir.path().join("out.mbox.failed");
        let original = fs::read_to_string(failed.join("00000017.eml")).unwrap();
        assert!(original.contains("GARBAGE"));
        let reason = fs::read_to_string(failed.join("00000017.eml.reason.txt")).unwrap();
        assert!(reason.contains("garbage"), "{reason}");
        let reason = fs::read_to_string(failed.join("00000033.eml.reason.txt")).unwrap();
        assert!(reason.contains("panic"), "{reason}");
        assert!(!dir.path().join("out.mbox.mugai-journal").exists());
        assert!(!dir.path().join("out.mbox.mugai-partial").exists());
        let lines: Vec<serde_json::Value> = fs::read_to_string(&report)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len(), 201);
        assert_eq!(lines[5]["index"], 5);
        assert_eq!(lines[5]["message_id"], "<5@x>");
        assert_eq!(lines[17]["status"], "failed");
        assert_eq!(lines[200]["type"], "summary");
        assert_eq!(lines[200]["messages_failed"], 2);
        // The output exists now: a second run refuses to overwrite it.
        assert!(run_with(&o, &fake(None)).is_err());
        // The report may not be written over the output.
        let mut o3 = opts(&input, &dir.path().join("other.mbox"));
        o3.report = Some(dir.path().join("other.mbox"));
        let err = run_with(&o3, &fake(None)).unwrap_err().to_string();
        assert!(err.contains("report"), "{err}");
    }

    #[test]
    fn interrupted_run_resumes_without_duplicates() {
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("in.mbox");
        fs::write(&input, make_mbox(300, &[(100, "STOP"), (150, "GARBAGE")])).unwrap();
        let output = dir.path().join("out.mbox");
        let report = dir.path().join("r.jsonl");
        let mut o = opts(&input, &output);
        o.report = Some(report.clone());
        let first = run_with(&o, &fake(Some(o.stop.clone()))).unwrap();
        assert!(first.interrupted);
        assert!(
            first.messages_in >= 101 && first.messages_in < 300,
            "{first:?}"
        );
        assert!(!output.exists());
        let partial = dir.path().join("out.mbox.mugai-partial");
        let done = subjects(&fs::read(&partial).unwrap());
        assert_eq!(done.len() as u64, first.messages_out);
        // Without --resume: refused.
        let mut o2 = opts(&input, &output);
        o2.report = Some(report.clone());
        assert!(run_with(&o2, &fake(None)).is_err());
        // Simulate a crash that left half a message after the last checkpoint.
        let mut f = OpenOptions::new().append(true).open(&partial).unwrap();
        f.write_all(b"From torn Mon Jan  2 03:04:05 2023\nSubject: torn")
            .unwrap();
        drop(f);
        let mut f = OpenOptions::new().append(true).open(&report).unwrap();
        f.write_all(b"{\"type\":\"message\",\"index\":99999,\"torn")
            .unwrap();
        drop(f);
        let journal = dir.path().join("out.mbox.mugai-journal");
        let mut f = OpenOptions::new().append(true).open(&journal).unwrap();
        f.write_all(b"{\"upto\":299,\"t\":{").unwrap();
        drop(f);
        o2.resume = true;
        let second = run_with(&o2, &fake(None)).unwrap();
        assert!(!second.interrupted);
        assert_eq!(second.messages_in, 300);
        assert_eq!(second.messages_out, 299);
        assert_eq!(second.messages_failed, 1);
        assert_eq!(second.messages_resumed, first.messages_in);
        let subs = subjects(&fs::read(&output).unwrap());
        let expected: Vec<String> = (0..300)
            .filter(|i| *i != 150)
            .map(|i| format!("Subject: n={i}"))
            .collect();
        assert_eq!(subs, expected);
        let text = fs::read_to_string(&report).unwrap();
        assert!(!text.contains("torn"));
        let summaries = text
            .lines()
            .filter(|l| l.contains("\"type\":\"summary\""))
            .count();
        assert_eq!(
            summaries, 1,
            "the interrupted run's summary is cut with the rest"
        );
        let messages = text
            .lines()
            .filter(|l| l.contains("\"type\":\"message\""))
            .count();
        assert_eq!(messages, 300);
        // Resuming a complete run: nothing to resume.
        assert!(run_with(&o2, &fake(None)).is_err());
    }

    #[test]
    fn maildir_flags_and_names_are_kept() {
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("Maildir");
        let md = MaildirWriter::create(&input).unwrap();
        md.write(Subdir::Cur, "1.a.host", Some("FS"), b"Subject: one\n\nx\n")
            .unwrap();
        md.write(
            Subdir::Cur,
            "2.b.host",
            Some("RS"),
            b"Subject: two\n\nGARBAGE\n",
        )
        .unwrap();
        md.write(Subdir::New, "3.c.host", None, b"Subject: three\n\nz\n")
            .unwrap();
        md.write_in(
            ".Sent",
            Subdir::Cur,
            "4.d.host",
            Some("S"),
            b"Subject: four\n\nw\n",
        )
        .unwrap();
        let output = dir.path().join("Clean");
        let summary = run_with(&opts(&input, &output), &fake(None)).unwrap();
        assert_eq!((summary.messages_out, summary.messages_failed), (3, 1));
        let out = maildir::list(&output).unwrap();
        let names: Vec<_> = out.iter().map(|e| (e.subdir, e.file_name())).collect();
        assert_eq!(
            names,
            vec![
                (Subdir::New, "3.c.host".to_string()),
                (Subdir::Cur, "1.a.host:2,FS".to_string()),
                (Subdir::Cur, "4.d.host:2,S".to_string()),
            ]
        );
        assert_eq!(out[2].folder, ".Sent");
        assert!(
            fs::read_to_string(&out[1].path)
                .unwrap()
                .contains("SANITISED")
        );
        assert!(output.join("failed/cur/2.b.host:2,RS.eml").exists());
        assert!(
            output
                .join("failed/cur/2.b.host:2,RS.eml.reason.txt")
                .exists()
        );
        assert!(!output.join(".mugai-journal").exists());
        assert_eq!(fs::read_dir(output.join("tmp")).unwrap().count(), 0);
    }

    #[test]
    fn mbox_to_maildir_uses_status_flags_and_eml_tree_mirrors() {
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("in.mbox");
        fs::write(
            &input,
            format!("{PM}\nSubject: a\nStatus: RO\nX-Status: F\n\na\n\n{PM}\nSubject: b\n\nb\n"),
        )
        .unwrap();
        let output = dir.path().join("md");
        let mut o = opts(&input, &output);
        o.output_format = Some(OutputFormat::Maildir);
        run_with(&o, &fake(None)).unwrap();
        let flags: Vec<_> = maildir::list(&output)
            .unwrap()
            .into_iter()
            .map(|e| e.flags.unwrap())
            .collect();
        assert_eq!(flags, vec!["FS".to_string(), String::new()]);

        let tree = dir.path().join("tree");
        fs::create_dir_all(tree.join("2024/03")).unwrap();
        fs::write(tree.join("2024/03/x.eml"), b"Subject: x\n\nx\n").unwrap();
        fs::write(tree.join("top.eml"), b"Subject: t\n\nt\n").unwrap();
        let out = dir.path().join("tree-out");
        let s = run_with(&opts(&tree, &out), &fake(None)).unwrap();
        assert_eq!(s.messages_out, 2);
        assert!(
            fs::read_to_string(out.join("2024/03/x.eml"))
                .unwrap()
                .contains("SANITISED")
        );
        assert!(out.join("top.eml").exists());
        // Writing into the input is refused.
        assert!(run_with(&opts(&tree, &tree.join("out")), &fake(None)).is_err());
    }

    #[test]
    fn crash_before_the_first_checkpoint_is_redone_from_scratch() {
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("in.mbox");
        fs::write(&input, make_mbox(100, &[(40, "STOP")])).unwrap();
        let output = dir.path().join("out.mbox");
        let report = dir.path().join("r.jsonl");
        let mut o = opts(&input, &output);
        o.report = Some(report.clone());
        assert!(
            run_with(&o, &fake(Some(o.stop.clone())))
                .unwrap()
                .interrupted
        );
        // As if the process had died before its first checkpoint, with some output and
        // report lines already on disk: keep only the header and the initial checkpoint.
        let journal = dir.path().join("out.mbox.mugai-journal");
        let text = fs::read_to_string(&journal).unwrap();
        let kept: Vec<&str> = text.lines().take(2).collect();
        assert!(kept[1].contains("\"upto\":0"), "{}", kept[1]);
        fs::write(&journal, format!("{}\n", kept.join("\n"))).unwrap();
        o.resume = true;
        o.stop = Arc::new(AtomicBool::new(false));
        let s = run_with(&o, &fake(None)).unwrap();
        assert_eq!(
            (s.messages_in, s.messages_out, s.messages_resumed),
            (100, 100, 0)
        );
        let subs = subjects(&fs::read(&output).unwrap());
        assert_eq!(subs.len(), 100);
        let text = fs::read_to_string(&report).unwrap();
        assert_eq!(text.lines().count(), 101);
    }

    #[test]
    fn interrupted_eml_tree_resumes() {
        let dir = tempfile::tempdir().unwrap();
        let tree = dir.path().join("tree");
        for i in 0..60 {
            let sub = tree.join(format!("d{}", i % 4));
            fs::create_dir_all(&sub).unwrap();
            let extra = if i == 20 { "STOP" } else { "" };
            fs::write(
                sub.join(format!("m{i:02}.eml")),
                format!("Subject: n={i}\n\nbody {extra}\n"),
            )
            .unwrap();
        }
        let out = dir.path().join("out");
        let report = dir.path().join("r.jsonl");
        let mut o = opts(&tree, &out);
        o.report = Some(report.clone());
        let first = run_with(&o, &fake(Some(o.stop.clone()))).unwrap();
        assert!(first.interrupted);
        assert!(out.join(".mugai-journal").exists());
        o.resume = true;
        o.stop = Arc::new(AtomicBool::new(false));
        let second = run_with(&o, &fake(None)).unwrap();
        assert!(!second.interrupted);
        assert_eq!(second.messages_out, 60);
        let (files, _) = eml::list(&out).unwrap();
        assert_eq!(files.len(), 60);
        let text = fs::read_to_string(&report).unwrap();
        let indexes: Vec<u64> = text
            .lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
            .filter(|v| v["type"] == "message")
            .map(|v| v["index"].as_u64().unwrap())
            .collect();
        assert_eq!(indexes, (0..60).collect::<Vec<u64>>());
        assert!(!out.join(".mugai-journal").exists());
    }

    #[test]
    fn with_suffix_appends() {
        assert_eq!(
            with_suffix(Path::new("/a/b.mbox"), ".failed"),
            PathBuf::from("/a/b.mbox.failed")
        );
    }
}
