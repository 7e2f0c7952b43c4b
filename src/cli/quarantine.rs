//! `mugai quarantine`: look at, release and purge quarantined originals.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::SystemTime;

use anyhow::{Context, bail};
use mugai::quarantine::{Quarantine, parse_age};

/// Arguments of `mugai quarantine`.
#[derive(Debug, clap::Args)]
pub struct QuarantineArgs {
    /// Policy file (TOML) naming the quarantine directory and the release relay.
    #[arg(short, long, global = true)]
    pub config: Option<PathBuf>,
    /// What to do.
    #[command(subcommand)]
    pub action: QuarantineAction,
}

/// `mugai quarantine` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum QuarantineAction {
    /// List stored originals, oldest first.
    List,
    /// Show one entry's metadata (`--raw` prints the original message).
    Show {
        /// Quarantine id, as shown in the notice.
        id: String,
        /// Print the original message instead of the metadata.
        #[arg(long)]
        raw: bool,
    },
    /// Re-send an original to a recipient through the configured relay.
    Release {
        /// Quarantine id.
        id: String,
        /// Recipient address.
        #[arg(long)]
        to: String,
    },
    /// Remove entries older than an age (30d, 12h...).
    Purge {
        /// Age, e.g. `30d`.
        #[arg(long)]
        older_than: String,
    },
}

/// Runs `mugai quarantine`.
pub fn run(args: QuarantineArgs) -> anyhow::Result<ExitCode> {
    let policy = super::load_policy(args.config.as_deref())?;
    if policy.quarantine.dir.as_os_str().is_empty() {
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
            if raw {
                use std::io::Write;
                std::io::stdout().write_all(&q.original(&id)?)?;
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
