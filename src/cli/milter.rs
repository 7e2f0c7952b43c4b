//! `mugai milter`: the Postfix/Sendmail milter daemon.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use mugai::Sanitizer;
use mugai::milter::{ListenAddr, MilterServer, ServerConfig};

/// Arguments of `mugai milter`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Example (Postfix main.cf: smtpd_milters = inet:127.0.0.1:8890, \
    non_smtpd_milters = inet:127.0.0.1:8890, milter_default_action = tempfail):\n  \
    mugai --log-format json milter --listen inet:127.0.0.1:8890 --config /etc/mugai/mugai.toml\n\n\
    SIGTERM or SIGINT: stop accepting, finish messages in flight, exit 0. \
    One audit line (target mugai::audit) per message. See docs/postfix.md and docs/operations.md."
)]
pub struct MilterArgs {
    /// Socket to listen on: `inet:HOST:PORT`, `inet:PORT@HOST` (Sendmail style) or
    /// `unix:/path` (`local:/path`).
    #[arg(long, default_value = "inet:127.0.0.1:8890", value_name = "SOCKET")]
    pub listen: String,
    /// Permission bits (octal) of a unix socket; Postfix must be able to connect.
    #[arg(long, default_value = "660", value_name = "MODE")]
    pub socket_mode: String,
    /// Owner of a unix socket: `USER[:GROUP]` or `:GROUP` (e.g. `:postfix`); default: the
    /// process's user and group.
    #[arg(long, value_name = "OWNER")]
    pub socket_owner: Option<String>,
    /// Policy file (TOML); the built-in defaults when absent. See `mugai sanitize --print-default-config`.
    #[arg(short, long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Most messages sanitised at once (default: number of CPUs); others wait.
    #[arg(long, value_name = "N")]
    pub max_concurrent: Option<usize>,
    /// Seconds a message may take (queueing included) before it is answered TEMPFAIL.
    /// Keep it below Postfix's `milter_content_timeout` (300 s).
    #[arg(long, default_value_t = 120, value_name = "SECONDS")]
    pub timeout: u64,
    /// Seconds of silence from the MTA before a connection is closed.
    #[arg(long, default_value_t = 600, value_name = "SECONDS")]
    pub idle_timeout: u64,
    /// Seconds given to messages in flight on SIGTERM/SIGINT.
    #[arg(long, default_value_t = 30, value_name = "SECONDS")]
    pub shutdown_grace: u64,
    /// Check the policy and the listen address, print them, and exit.
    #[arg(long)]
    pub check: bool,
}

/// Runs `mugai milter`.
pub fn run(args: MilterArgs) -> anyhow::Result<ExitCode> {
    let policy = super::load_network_policy(args.config.as_deref())?;
    let listen: ListenAddr = args.listen.parse()?;
    let socket_mode = u32::from_str_radix(args.socket_mode.trim_start_matches("0o"), 8)
        .ok()
        .filter(|m| *m <= 0o777)
        .with_context(|| format!("--socket-mode {}: not an octal mode", args.socket_mode))?;
    let mut config = ServerConfig::new(listen);
    config.socket_mode = socket_mode;
    if let Some(owner) = args.socket_owner.as_deref() {
        config.socket_owner = mugai::milter::parse_owner(owner)?;
    }
    if let Some(n) = args.max_concurrent {
        config.max_concurrent = n.max(1);
    }
    config.sanitize_timeout = Duration::from_secs(args.timeout.max(1));
    config.idle_timeout = Duration::from_secs(args.idle_timeout.max(1));
    config.shutdown_grace = Duration::from_secs(args.shutdown_grace);
    let policy_source = super::policy_source(args.config.as_deref());
    if args.check {
        println!(
            "listen: {}\nmax concurrent: {}\n{}",
            config.listen,
            config.max_concurrent,
            super::policy_summary(&policy, &policy_source)
        );
        return Ok(ExitCode::SUCCESS);
    }
    tracing::info!(policy = %policy.name, source = %policy_source, "policy loaded");
    let engine = Arc::new(Sanitizer::new(policy.clone()));
    let server = MilterServer::new(config, &policy, engine);
    super::block_on_server("mugai-milter", async move {
        let bound = server.bind().await?;
        bound.run(super::shutdown_signal()).await?;
        anyhow::Ok(())
    })
}
