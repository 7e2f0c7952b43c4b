//! `mugai`: the command-line front end. Each subcommand lives in its own file under
//! `src/cli/` and only moves bytes and calls the library.

mod cli;

use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand};

/// mugai (無害): rebuilds every mail as one safe, readable text/plain message.
///
/// HTML becomes text, attachments are removed and listed (name, type, size, SHA-256), links
/// are shown in a form that cannot be clicked, and Japanese charsets come out right.
#[derive(Debug, Parser)]
#[command(
    name = "mugai",
    version,
    after_help = "Examples:\n  \
      mugai sanitize mail.eml -o clean.eml --report text\n  \
      mugai milter --listen inet:127.0.0.1:8890 --config /etc/mugai/mugai.toml\n  \
      mugai batch archive.mbox -o clean.mbox --report report.jsonl\n  \
      mugai sanitize --print-default-config > mugai.toml\n\n\
      Policy fields: /usr/share/doc/mugai/configuration.md (docs/configuration.md); \
      operations and audit log: operations.md. `mugai COMMAND --help` for each command."
)]
struct Cli {
    /// Log format for diagnostics and the audit log (use `json` for services: one object per line).
    #[arg(long, global = true, value_enum, default_value_t = cli::LogFormat::Text, value_name = "FORMAT")]
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
    /// Generate man pages or shell completions (for packagers).
    #[command(hide = true)]
    Generate(cli::generate::GenerateArgs),
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
        Command::Generate(args) => cli::generate::run(args, Cli::command()),
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            eprintln!("mugai: {err:#}");
            ExitCode::from(2)
        }
    }
}
