//! `mugai smtp`: the after-queue SMTP/LMTP content filter for Postfix.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use mugai::Sanitizer;
use mugai::smtp::{RelayConfig, SmtpConfig, SmtpServer};

/// Arguments of `mugai smtp`.
#[derive(Debug, clap::Args)]
pub struct SmtpArgs {
    /// Address to listen on (Postfix: `content_filter = mugai:[127.0.0.1]:10025`).
    #[arg(long, default_value = "127.0.0.1:10025")]
    pub listen: String,
    /// Where sanitised mail goes: Postfix's re-injection smtpd, `HOST:PORT`.
    #[arg(long, alias = "forward", default_value = "127.0.0.1:10026")]
    pub next_hop: String,
    /// Speak LMTP to Postfix (`LHLO`, one reply per recipient) instead of ESMTP.
    #[arg(long)]
    pub lmtp: bool,
    /// Policy file (TOML). See `mugai sanitize --print-default-config`.
    #[arg(short, long)]
    pub config: Option<PathBuf>,
    /// Host name in the greeting and in EHLO towards the next hop.
    #[arg(long, default_value = "localhost")]
    pub hostname: String,
    /// Most client connections at once (more are answered 421).
    #[arg(long, default_value_t = 100)]
    pub max_sessions: usize,
    /// Most messages sanitised at once (default: number of CPUs).
    #[arg(long)]
    pub max_concurrent: Option<usize>,
    /// Most recipients per message (more are answered 452 and sent in another transaction).
    #[arg(long, default_value_t = 1000)]
    pub max_recipients: usize,
    /// Seconds a message may wait for and take sanitising before it is answered 451.
    #[arg(long, default_value_t = 120)]
    pub timeout: u64,
    /// Seconds a delivery to the next hop may take (connecting included) before it counts
    /// as failed (451).
    #[arg(long, default_value_t = 60)]
    pub relay_timeout: u64,
    /// Seconds to wait for a command from Postfix.
    #[arg(long, default_value_t = 300)]
    pub command_timeout: u64,
    /// Seconds to wait for each read of message data.
    #[arg(long, default_value_t = 180)]
    pub data_timeout: u64,
    /// Seconds given to messages in flight on SIGTERM/SIGINT.
    #[arg(long, default_value_t = 30)]
    pub shutdown_grace: u64,
    /// Check the policy and the addresses, print them, and exit.
    #[arg(long)]
    pub check: bool,
}

/// Runs `mugai smtp`.
pub fn run(args: SmtpArgs) -> anyhow::Result<ExitCode> {
    let policy = super::load_network_policy(args.config.as_deref())?;
    let mut next_hop = RelayConfig::parse(&args.next_hop)?;
    next_hop.hello_name = args.hostname.clone();
    next_hop.timeout = Duration::from_secs(args.relay_timeout.max(1));
    let mut config = SmtpConfig::new(args.listen.clone());
    config.session.hostname = args.hostname.clone();
    config.session.lmtp = args.lmtp;
    config.session.max_recipients = args.max_recipients.max(1);
    config.max_sessions = args.max_sessions.max(1);
    if let Some(n) = args.max_concurrent {
        config.max_concurrent = n.max(1);
    }
    config.sanitize_timeout = Duration::from_secs(args.timeout.max(1));
    config.command_timeout = Duration::from_secs(args.command_timeout.max(1));
    config.data_timeout = Duration::from_secs(args.data_timeout.max(1));
    config.shutdown_grace = Duration::from_secs(args.shutdown_grace);
    let policy_source = super::policy_source(args.config.as_deref());
    if args.check {
        println!(
            "listen: {}{}\nnext hop: {next_hop}\nmax sessions: {}\nmax concurrent: {}\n{}",
            config.listen,
            if args.lmtp { " (LMTP)" } else { "" },
            config.max_sessions,
            config.max_concurrent,
            super::policy_summary(&policy, &policy_source)
        );
        return Ok(ExitCode::SUCCESS);
    }
    tracing::info!(policy = %policy.name, source = %policy_source, "policy loaded");
    let engine = Arc::new(Sanitizer::new(policy.clone()));
    let server = SmtpServer::new(config, &policy, engine, next_hop);
    super::block_on_server("mugai-smtp", async move {
        let bound = server.bind().await?;
        bound.run(super::shutdown_signal()).await?;
        anyhow::Ok(())
    })
}
