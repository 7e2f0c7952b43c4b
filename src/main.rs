//! `mugai`: the command-line front end. Each subcommand lives in its own file under
//! `src/cli/` and only moves bytes and calls the library.

mod cli;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// mugai (無害): rebuilds mail as safe, readable text/plain.
#[derive(Debug, Parser)]
#[command(name = "mugai", version, about, long_about = None)]
struct Cli {
    /// Log format for diagnostics and the audit log.
    #[arg(long, global = true, value_enum, default_value_t = cli::LogFormat::Text)]
    log_format: cli::LogFormat,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Sanitise one message (a file or standard input).
    Sanitize(cli::sanitize::SanitizeArgs),
    /// Sanitise an archive (mbox, Maildir, .eml tree) in parallel, with nothing lost.
    Batch(cli::batch::BatchArgs),
    /// Run the Postfix/Sendmail milter that sanitises every mail.
    Milter(cli::milter::MilterArgs),
    /// Run the SMTP/LMTP after-queue content filter (Postfix `content_filter`).
    Smtp(cli::smtp::SmtpArgs),
    /// List, show, release and purge quarantined originals.
    Quarantine(cli::quarantine::QuarantineArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    cli::init_logging(cli.log_format);
    let result = match cli.command {
        Command::Sanitize(args) => cli::sanitize::run(args),
        Command::Batch(args) => cli::batch::run(args),
        Command::Milter(args) => cli::milter::run(args),
        Command::Smtp(args) => cli::smtp::run(args),
        Command::Quarantine(args) => cli::quarantine::run(args),
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            eprintln!("mugai: {err:#}");
            ExitCode::from(2)
        }
    }
}
