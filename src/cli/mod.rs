//! Subcommands of the `mugai` binary, one file each, plus what they share.

pub mod batch;
pub mod generate;
pub mod milter;
pub mod quarantine;
pub mod sanitize;
pub mod smtp;

use std::path::Path;

use mugai::Policy;
use mugai::policy::LineEnding;

/// How diagnostics and audit lines are written to standard error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// Sets up `tracing` on standard error; `RUST_LOG` overrides the default `info` level.
pub fn init_logging(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().flatten_event(true).init(),
    }
}

/// Loads the policy from `--config`, or the default policy.
pub fn load_policy(path: Option<&Path>) -> Result<Policy, mugai::Error> {
    match path {
        Some(p) => Policy::from_file(p),
        None => Ok(Policy::default()),
    }
}

/// Loads the policy for a front end that keeps originals (milter, smtp, batch): as
/// [`load_policy`], and the quarantine directory must be usable
/// ([`Policy::check_directories`]), so that `--check` and start-up fail on a directory the
/// daemon could not write.
pub fn load_frontend_policy(path: Option<&Path>) -> Result<Policy, mugai::Error> {
    let policy = load_policy(path)?;
    policy.check_directories()?;
    Ok(policy)
}

/// Loads the policy for a network front end (milter, smtp): as [`load_frontend_policy`],
/// with the one line-ending decision of both. Their output goes back to the MTA on the wire,
/// so the core writes CRLF ([`LineEnding::Crlf`]), whatever `output.line_ending` says.
pub fn load_network_policy(path: Option<&Path>) -> Result<Policy, mugai::Error> {
    let mut policy = load_frontend_policy(path)?;
    policy.output.line_ending = LineEnding::Crlf;
    Ok(policy)
}

/// Completes on SIGTERM or SIGINT.
pub async fn shutdown_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = match signal(SignalKind::terminate()) {
        Ok(s) => s,
        Err(e) => {
            tracing::warn!(error = %e, "cannot watch SIGTERM; only SIGINT stops mugai");
            let _ = tokio::signal::ctrl_c().await;
            return;
        }
    };
    tokio::select! {
        _ = term.recv() => tracing::info!("SIGTERM received"),
        _ = tokio::signal::ctrl_c() => tracing::info!("SIGINT received"),
    }
}

/// The policy part of a front end's `--check` output: name and source, size limit,
/// quarantine and bypass lists.
pub fn policy_summary(policy: &Policy, source: &str) -> String {
    format!(
        "policy: `{}` from {source}\nmax message bytes: {}\nquarantine: {}\nbypass: {} sender(s), {} recipient(s)",
        policy.name,
        policy.limits.max_message_bytes,
        if policy.quarantine_enabled() {
            policy.quarantine.dir.display().to_string()
        } else {
            "off".to_string()
        },
        policy.bypass.senders.len(),
        policy.bypass.recipients.len(),
    )
}

/// Runs a network front end's `serve` future on a multi-threaded runtime named
/// `thread_name`, then gives threads still busy (a sanitiser stuck past its time-out, whose
/// message was already answered with a temporary failure) two seconds before exiting anyway.
pub fn block_on_server(
    thread_name: &str,
    serve: impl std::future::Future<Output = anyhow::Result<()>>,
) -> anyhow::Result<std::process::ExitCode> {
    use anyhow::Context;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name(thread_name)
        .build()
        .context("cannot start the async runtime")?;
    let result = runtime.block_on(serve);
    runtime.shutdown_timeout(std::time::Duration::from_secs(2));
    result?;
    Ok(std::process::ExitCode::SUCCESS)
}

/// Where the policy came from, for logs and `--check`: the file, or the built-in defaults.
pub fn policy_source(config: Option<&Path>) -> String {
    config
        .map(|p| p.display().to_string())
        .unwrap_or_else(|| "built-in defaults".into())
}
