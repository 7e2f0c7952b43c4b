//! `mugai quarantine`: look at, release and purge quarantined originals.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::SystemTime;

use anyhow::{Context, bail};
use mugai::quarantine::{Quarantine, parse_age};

/// Arguments of `mugai quarantine`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples (as the mugai user, so that files keep their owner):\n  \
    sudo -u mugai mugai quarantine --config /etc/mugai/mugai.toml list\n  \
    sudo -u mugai mugai quarantine --config /etc/mugai/mugai.toml show ID --raw > original.eml\n  \
    sudo -u mugai mugai quarantine --config /etc/mugai/mugai.toml release ID --to user@city.example.lg.jp\n  \
    sudo -u mugai mugai quarantine --config /etc/mugai/mugai.toml purge --older-than 90d"
)]
pub struct QuarantineArgs {
    /// Policy file (TOML) naming the quarantine directory (`[quarantine] dir`) and the
    /// release relay (`release_relay`).
    #[arg(short, long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// What to do.
    #[command(subcommand)]
    pub action: QuarantineAction,
}

/// `mugai quarantine` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum QuarantineAction {
    /// List stored originals, oldest first: ID, stored at (Unix time), size, sender ->
    /// recipients, Message-ID.
    List,
    /// Show one entry's metadata (`--raw` prints the original message). The original is
    /// checked against its recorded SHA-256 first; a changed file is refused.
    Show {
        /// Quarantine id, as shown in the notice and in the audit log (`quarantine_id`).
        id: String,
        /// Print the original message, byte for byte, instead of the metadata.
        #[arg(long)]
        raw: bool,
    },
    /// Re-send an original, unchanged, to one recipient through `[quarantine] release_relay`
    /// (default 127.0.0.1:25), and record the release. The relay must not sanitise again.
    /// The original must match its recorded SHA-256, or nothing is sent.
    Release {
        /// Quarantine id.
        id: String,
        /// Recipient address.
        #[arg(long, value_name = "ADDRESS")]
        to: String,
    },
    /// Remove entries older than an age (30d, 12h...).
    Purge {
        /// Age: a number and a unit (s, m, h, d, w; days when none), e.g. `90d`, `12h`.
        #[arg(long, value_name = "AGE")]
        older_than: String,
    },
}

/// Runs `mugai quarantine`.
pub fn run(args: QuarantineArgs) -> anyhow::Result<ExitCode> {
    let policy = super::load_policy(args.config.as_deref())?;
    if !policy.quarantine_enabled() {
        bail!("quarantine is off: set [quarantine] dir in the policy (--config FILE)");
    }
    let q = Quarantine::new(policy.quarantine.dir.clone());
    match args.action {
        QuarantineAction::List => {
            let entries = q.list()?;
            for m in &entries {
                println!(
                    "{}  {}  {:>9}  {}  -> {}  {}",
                    m.id,
                    m.stored_at,
                    m.size,
                    if m.sender.is_empty() { "<>" } else { &m.sender },
                    m.recipients.join(","),
                    m.message_id.as_deref().unwrap_or("-")
                );
            }
            eprintln!(
                "{} entr{}",
                entries.len(),
                if entries.len() == 1 { "y" } else { "ies" }
            );
        }
        QuarantineAction::Show { id, raw } => {
            // Checked in both forms: metadata of a changed original is not shown as valid.
            let original = q.verified_original(&id)?;
            if raw {
                use std::io::Write;
                std::io::stdout().write_all(&original)?;
            } else {
                println!("{}", serde_json::to_string_pretty(&q.meta(&id)?)?);
            }
        }
        QuarantineAction::Release { id, to } => {
            let by = std::env::var("SUDO_USER")
                .or_else(|_| std::env::var("USER"))
                .unwrap_or_else(|_| "unknown".into());
            q.release(&id, &to, &policy.quarantine.release_relay, &by)
                .with_context(|| format!("release of {id} failed"))?;
            println!("released {id} to {to}");
        }
        QuarantineAction::Purge { older_than } => {
            let age = parse_age(&older_than)?;
            let n = q.purge(age, SystemTime::now())?;
            println!("purged {n} entr{}", if n == 1 { "y" } else { "ies" });
        }
    }
    Ok(ExitCode::SUCCESS)
}
