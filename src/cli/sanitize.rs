//! `mugai sanitize`: one message in, one sanitised message out.

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use mugai::{Policy, Sanitizer};

/// Arguments of `mugai sanitize`.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:\n  \
    mugai sanitize mail.eml -o clean.eml --report text\n  \
    mugai sanitize < mail.eml > clean.eml\n  \
    mugai sanitize --config /etc/mugai/mugai.toml --report json mail.eml > clean.eml 2> report.json\n\n\
    Exit status: 0 when sanitised, 2 on an error (nothing is written to the output then).")]
pub struct SanitizeArgs {
    /// Message file to read (a single RFC 5322 message, CRLF or LF); standard input when
    /// absent or `-`.
    #[arg(value_name = "FILE")]
    pub input: Option<PathBuf>,
    /// Where to write the sanitised message; standard output when absent or `-`.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Policy file (TOML); the built-in defaults when absent. See `--print-default-config`.
    #[arg(short, long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Print a report of what was done (actions, removed items) to standard error.
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub report: Option<ReportFormat>,
    /// Print the default policy as TOML and exit (a starting point for a policy file).
    #[arg(long)]
    pub print_default_config: bool,
}

/// Format of the report printed by `--report`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ReportFormat {
    /// Human-readable summary.
    Text,
    /// The full report as JSON.
    Json,
}

/// Runs `mugai sanitize`.
pub fn run(args: SanitizeArgs) -> anyhow::Result<ExitCode> {
    if args.print_default_config {
        print!("{}", Policy::default_toml());
        return Ok(ExitCode::SUCCESS);
    }
    let policy = super::load_policy(args.config.as_deref())?;
    let input = match args.input.as_deref() {
        Some(p) if p.as_os_str() != "-" => {
            std::fs::read(p).with_context(|| format!("cannot read {}", p.display()))?
        }
        _ => {
            let mut buf = Vec::new();
            std::io::stdin()
                .read_to_end(&mut buf)
                .context("cannot read standard input")?;
            buf
        }
    };
    let name = args
        .input
        .as_deref()
        .map(|p| p.display().to_string())
        .unwrap_or_else(|| "<stdin>".into());
    let outcome = Sanitizer::new(policy)
        .sanitize(&input)
        .with_context(|| format!("{name}: not sanitised"))?;
    let message = outcome.to_message();
    match args.output.as_deref() {
        Some(p) if p.as_os_str() != "-" => {
            std::fs::write(p, &message).with_context(|| format!("cannot write {}", p.display()))?
        }
        _ => std::io::stdout()
            .write_all(&message)
            .context("cannot write standard output")?,
    }
    let report = &outcome.report;
    match args.report {
        Some(ReportFormat::Json) => {
            eprintln!("{}", serde_json::to_string_pretty(report)?);
        }
        Some(ReportFormat::Text) => {
            let actions: Vec<&str> = report.actions.iter().map(|a| a.token()).collect();
            eprintln!(
                "{name}: {} -> {} bytes; actions: {}",
                report.input_bytes,
                report.output_bytes,
                if actions.is_empty() {
                    "none".into()
                } else {
                    actions.join(", ")
                }
            );
            for item in &report.removed {
                eprintln!(
                    "  removed {} {:?} declared={} detected={} size={} sha256={}",
                    item.path,
                    item.name.as_deref().unwrap_or("-"),
                    item.declared_type,
                    item.detected_type,
                    item.size,
                    item.sha256
                );
            }
            if report.more_removed > 0 {
                eprintln!("  … and {} more removed items", report.more_removed);
            }
            for w in &report.warnings {
                eprintln!("  warning: {w}");
            }
        }
        None => {}
    }
    Ok(ExitCode::SUCCESS)
}
