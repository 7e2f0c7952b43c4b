//! `mugai batch`: sanitise an archive (mbox, Maildir, `.eml` tree, one file) in parallel.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use mugai::batch::{BatchOptions, InputFormat, MboxVariant, OutputFormat, Progress};

/// Arguments of `mugai batch`.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:\n  \
    mugai batch archive.mbox -o clean.mbox --report report.jsonl\n  \
    mugai batch ~/Maildir -o /srv/Maildir-clean --jobs 2\n  \
    mugai batch archive.mbox -o clean.mbox --report report.jsonl --resume   # after Ctrl-C\n\n\
    Exit status: 0 all sanitised, 1 some messages failed (see failed/ in the output), \
    2 error, 130 interrupted (--resume continues).")]
pub struct BatchArgs {
    /// Input: an mbox file, a Maildir, a directory of .eml files, or one message file.
    #[arg(value_name = "INPUT")]
    pub input: PathBuf,
    /// Output: an mbox file, or a directory (Maildir or .eml tree).
    #[arg(short, long, value_name = "PATH")]
    pub output: PathBuf,
    /// Policy file (TOML); the built-in defaults when absent. See `mugai sanitize --print-default-config`.
    #[arg(short, long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Worker threads; 0 means one per core.
    #[arg(short, long, default_value_t = 0, value_name = "N")]
    pub jobs: usize,
    /// Write per-message JSON lines and a final summary object to this file.
    #[arg(long, value_name = "FILE")]
    pub report: Option<PathBuf>,
    /// Continue an interrupted run (appends to --report).
    #[arg(long)]
    pub resume: bool,
    /// No progress and no summary on standard error.
    #[arg(short, long)]
    pub quiet: bool,
    /// Input format (default: detected): mbox, maildir, eml, file.
    #[arg(long, value_name = "FORMAT")]
    pub input_format: Option<InputFormat>,
    /// Output format (default: the input's kind): mbox, maildir, eml.
    #[arg(long, value_name = "FORMAT")]
    pub output_format: Option<OutputFormat>,
    /// How `From ` lines of an input mbox were escaped: mboxrd or mboxo.
    #[arg(long, default_value = "mboxrd", value_name = "VARIANT")]
    pub mbox_variant: MboxVariant,
}

/// Exit code when some messages failed (they are in the failed folder).
pub const EXIT_FAILED_MESSAGES: u8 = 1;
/// Exit code when the run was interrupted (the output is partial; `--resume` continues).
pub const EXIT_INTERRUPTED: u8 = 130;

/// Runs `mugai batch`.
pub fn run(args: BatchArgs) -> anyhow::Result<ExitCode> {
    let policy = super::load_frontend_policy(args.config.as_deref())?;
    let stop = Arc::new(AtomicBool::new(false));
    {
        let stop = stop.clone();
        // A second Ctrl-C exits at once.
        let installed = ctrlc::set_handler(move || {
            if stop.swap(true, Ordering::SeqCst) {
                eprintln!("mugai batch: interrupted again, exiting now");
                std::process::exit(i32::from(EXIT_INTERRUPTED));
            }
            eprintln!("mugai batch: stopping after the messages under way (Ctrl-C again to abort)");
        });
        if let Err(e) = installed {
            tracing::warn!("cannot install the Ctrl-C handler: {e}");
        }
    }
    let opts = BatchOptions {
        input: args.input,
        output: args.output,
        input_format: args.input_format,
        output_format: args.output_format,
        mbox_variant: args.mbox_variant,
        jobs: args.jobs,
        report: args.report,
        resume: args.resume,
        progress: if args.quiet {
            Progress::Off
        } else {
            Progress::Auto
        },
        stop,
    };
    // The library's errors already carry their cause in their message.
    let summary = mugai::batch::run(policy, &opts).map_err(|e| anyhow::anyhow!("{e}"))?;
    if !args.quiet {
        eprintln!("{summary}");
    }
    Ok(if summary.interrupted {
        ExitCode::from(EXIT_INTERRUPTED)
    } else if summary.messages_failed > 0 {
        ExitCode::from(EXIT_FAILED_MESSAGES)
    } else {
        ExitCode::SUCCESS
    })
}
