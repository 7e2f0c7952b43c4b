//! The batch runner's entry points: [`run`] with mugai's sanitiser, [`run_with`] with any.
//!
//! A run is plan → start → pipeline → finish; each step has its own private module, and
//! the design is told in the [module documentation](super). This module only strings the
//! steps together: `execute` is the whole run on one screen.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use super::detect::{InputFormat, OutputFormat};
use super::dispatch::dispatch;
use super::io_err;
use super::job::{Done, Job, work};
use super::journal::{Start, find_start};
use super::mbox::MboxVariant;
use super::plan::Plan;
pub use super::progress::Progress;
use super::progress::ProgressDisplay;
use super::report::Summary;
use super::window::Window;
use super::writer::{Writer, WriterSetup};
use crate::error::Result;
use crate::outcome::Outcome;
use crate::policy::{LineEnding, Policy};
use crate::sanitize::Sanitizer;

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
    let plan = Plan::new(opts)?;
    if matches!(
        plan.output_format,
        OutputFormat::Mbox | OutputFormat::Maildir
    ) {
        policy.output.line_ending = LineEnding::Lf;
    }
    if policy.quarantine_enabled() {
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
    execute(plan, opts, &|bytes: &[u8]| sanitizer.sanitize(bytes))
}

/// [`run`] with another sanitising function (for tests and embedders with their own
/// pipeline). The function must be callable from several threads; a panic in it is caught
/// and the message counted as failed. The policy's line ending is the caller's business.
pub fn run_with<F>(opts: &BatchOptions, sanitize: &F) -> Result<Summary>
where
    F: Fn(&[u8]) -> Result<Outcome> + Sync,
{
    execute(Plan::new(opts)?, opts, sanitize)
}

/// Runs a planned batch: start (or resume), the pipeline, the finish and the summary.
///
/// The order matters for the journal's promise: the writer is opened (and a fresh journal
/// begun) before any message is dispatched, and [`Writer::finish`] takes the last
/// checkpoint before the summary is appended to the report.
fn execute<F>(plan: Plan, opts: &BatchOptions, sanitize: &F) -> Result<Summary>
where
    F: Fn(&[u8]) -> Result<Outcome> + Sync,
{
    let layout = &plan.layout;
    let header = plan.journal_header();
    let start = find_start(
        &layout.journal,
        &header,
        opts.resume,
        &layout.output,
        || layout.occupied(),
    )?;
    if start.journal_exists {
        tracing::debug!(
            journal = %layout.journal.display(),
            done = start.skip_below(),
            "resuming an interrupted batch"
        );
    }
    let window = Arc::new(Window::new(plan.window_size()));
    let setup = WriterSetup {
        layout,
        format: plan.output_format,
        header: &header,
        start: &start,
        report: opts.report.as_deref(),
        resume: opts.resume,
        input_map: plan.source.mbox_map(),
        input: &plan.input,
    };
    let progress = ProgressDisplay::new(opts.progress, plan.total_bytes, start.prior());
    let writer = Writer::open(setup, progress, window.clone())?;
    let (mut writer, complete) = pipeline(&plan, opts, &start, writer, &window, sanitize)?;
    writer.finish(&layout.output, complete)?;
    let summary = summary(&plan, &writer, !complete);
    writer.write_summary(&summary)?;
    Ok(summary)
}

/// Runs the dispatcher on this thread, `plan.jobs` workers and the writer until every job
/// is written or the run is stopped. Returns the writer and whether the run completed.
fn pipeline<F>(
    plan: &Plan,
    opts: &BatchOptions,
    start: &Start,
    mut writer: Writer,
    window: &Arc<Window>,
    sanitize: &F,
) -> Result<(Writer, bool)>
where
    F: Fn(&[u8]) -> Result<Outcome> + Sync,
{
    let size = plan.window_size() as usize;
    let abort = AtomicBool::new(false);
    std::thread::scope(|scope| {
        let (job_tx, job_rx) = crossbeam_channel::bounded::<Job>(size);
        let (done_tx, done_rx) = crossbeam_channel::bounded::<Done>(size);
        let map = plan.source.mbox_map();
        for n in 0..plan.jobs {
            let (rx, tx, map) = (job_rx.clone(), done_tx.clone(), map.clone());
            std::thread::Builder::new()
                .name(format!("mugai-worker-{n}"))
                .spawn_scoped(scope, move || {
                    for job in rx {
                        if tx
                            .send(work(sanitize, map.as_deref(), opts.mbox_variant, job))
                            .is_err()
                        {
                            break;
                        }
                    }
                })
                .map_err(io_err("cannot start a worker thread"))?;
        }
        drop((job_rx, done_tx));
        let abort = &abort;
        let writer_thread = std::thread::Builder::new()
            .name("mugai-writer".into())
            .spawn_scoped(scope, move || {
                let r = writer.consume(done_rx);
                if r.is_err() {
                    abort.store(true, Ordering::SeqCst);
                    window.wake();
                }
                r.map(|()| writer)
            })
            .map_err(io_err("cannot start the writer thread"))?;
        let stopped = || opts.stop.load(Ordering::SeqCst) || abort.load(Ordering::SeqCst);
        let complete = dispatch(&plan.source, start, job_tx, window, stopped);
        let writer = writer_thread.join().expect("writer thread panicked")?;
        Ok((writer, complete))
    })
}

/// The summary of a finished (or interrupted) run, earlier runs included.
fn summary(plan: &Plan, writer: &Writer, interrupted: bool) -> Summary {
    let prior = writer.prior();
    let this_run = writer.tally();
    let mut total = prior;
    total.add(&this_run);
    let seconds = plan.started.elapsed().as_secs_f64();
    Summary {
        kind: "summary".into(),
        input: plan.input.display().to_string(),
        output: plan.layout.output.display().to_string(),
        input_format: plan.input_format.to_string(),
        output_format: plan.output_format.to_string(),
        messages_in: total.messages(),
        messages_out: total.out,
        messages_failed: total.failed,
        messages_resumed: prior.messages(),
        attachments_removed: total.attachments_removed,
        html_converted: total.html_converted,
        bytes_in: total.bytes_in,
        bytes_out: total.bytes_out,
        seconds,
        msgs_per_sec: this_run.messages() as f64 / seconds.max(1e-9),
        mb_per_sec: this_run.bytes_in as f64 / 1e6 / seconds.max(1e-9),
        jobs: plan.jobs,
        interrupted,
        failed_dir: (total.failed > 0).then(|| plan.layout.failed_dir.display().to_string()),
        skipped_files: plan.skipped_files,
    }
}

#[cfg(test)]
mod tests {
    use std::fs::{self, OpenOptions};
    use std::io::Write;
    use std::path::Path;

    use super::super::eml;
    use super::super::maildir::{self, MaildirWriter, Subdir};
    use super::*;
    use crate::error::Error;
    use crate::report::Report;

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
}
