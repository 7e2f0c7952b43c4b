//! The milter server: listens on an `inet:` or `unix:` socket, runs one [`Session`] per
//! MTA connection, and sanitises finished messages off the reactor.
//!
//! - Sanitising runs in `spawn_blocking`, at most [`ServerConfig::max_concurrent`] at once
//!   (a semaphore): a big HTML mail never stalls other connections, and a burst of mail
//!   waits instead of exhausting memory or threads. While a message waits or is sanitised
//!   the server sends `SMFIR_PROGRESS` so the MTA's timer does not run out.
//! - **Fail closed**: an error, a panic, a time-out, or a quarantine write that fails is
//!   answered `SMFIR_TEMPFAIL`; the MTA keeps the mail and retries.
//! - Graceful shutdown: the future given to [`Bound::run`] (SIGTERM/SIGINT in the CLI) stops
//!   the listener; idle connections close at once, messages in flight are finished within
//!   [`ServerConfig::shutdown_grace`].

use std::future::Future;
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::BytesMut;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, UnixListener};
use tokio::sync::watch;
use tracing::Instrument;

use super::codec::{Command, Frame, MAX_FRAME_LEN, Response};
use super::session::{Finished, Pending, Session, SessionConfig, Step, Verdict};
use crate::audit::{self, AuditRecord};
use crate::error::{Error, Result};
use crate::frontend::{Connections, Disposition, Job, Sanitizing};
use crate::policy::Policy;

pub use crate::frontend::Engine;

/// Where to listen, in Postfix's milter socket syntax.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListenAddr {
    /// `inet:HOST:PORT` (also Sendmail's `inet:PORT@HOST`, and `inet6:[::1]:PORT`).
    Tcp(String),
    /// `unix:/path` (also `local:/path`).
    Unix(PathBuf),
}

impl FromStr for ListenAddr {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        let bad = |why: &str| Error::PolicyValue {
            field: "--listen",
            message: format!("`{s}`: {why} (use inet:127.0.0.1:8890 or unix:/path)"),
        };
        if let Some(path) = s.strip_prefix("unix:").or_else(|| s.strip_prefix("local:")) {
            if path.is_empty() {
                return Err(bad("empty socket path"));
            }
            return Ok(ListenAddr::Unix(PathBuf::from(path)));
        }
        if s.starts_with('/') {
            return Ok(ListenAddr::Unix(PathBuf::from(s)));
        }
        let rest = s
            .strip_prefix("inet:")
            .or_else(|| s.strip_prefix("inet6:"))
            .unwrap_or(s);
        let (host, port) = if let Some((port, host)) = rest.split_once('@') {
            (host, port)
        } else if let Some((host, port)) = rest.rsplit_once(':') {
            (host, port)
        } else {
            return Err(bad("no port"));
        };
        let port: u16 = port.parse().map_err(|_| bad("bad port"))?;
        let host = host.trim_start_matches('[').trim_end_matches(']');
        let host = if host.is_empty() { "0.0.0.0" } else { host };
        Ok(if host.contains(':') {
            ListenAddr::Tcp(format!("[{host}]:{port}"))
        } else {
            ListenAddr::Tcp(format!("{host}:{port}"))
        })
    }
}

impl std::fmt::Display for ListenAddr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ListenAddr::Tcp(a) => write!(f, "inet:{a}"),
            ListenAddr::Unix(p) => write!(f, "unix:{}", p.display()),
        }
    }
}

/// Parses `USER[:GROUP]`, `:GROUP` or numeric `UID:GID` into numeric ids, looking names
/// up in `/etc/passwd` and `/etc/group`.
pub fn parse_owner(spec: &str) -> Result<(Option<u32>, Option<u32>)> {
    fn lookup(file: &str, name: &str) -> Option<u32> {
        if let Ok(n) = name.parse() {
            return Some(n);
        }
        let text = std::fs::read_to_string(file).ok()?;
        text.lines()
            .map(|l| l.split(':').collect::<Vec<_>>())
            .find(|f| f.first() == Some(&name))
            .and_then(|f| f.get(2)?.parse().ok())
    }
    let bad = |what: &str| Error::PolicyValue {
        field: "--socket-owner",
        message: format!("unknown {what} in `{spec}`"),
    };
    let (user, group) = spec.split_once(':').unwrap_or((spec, ""));
    let uid = match user {
        "" => None,
        u => Some(lookup("/etc/passwd", u).ok_or_else(|| bad("user"))?),
    };
    let gid = match group {
        "" => None,
        g => Some(lookup("/etc/group", g).ok_or_else(|| bad("group"))?),
    };
    Ok((uid, gid))
}

/// Server settings (the policy supplies the rest).
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Socket to listen on.
    pub listen: ListenAddr,
    /// Permission bits of a unix socket (default `0o660`).
    pub socket_mode: u32,
    /// Owner and group (numeric ids) given to a unix socket; `None` keeps the process's.
    /// See [`parse_owner`].
    pub socket_owner: (Option<u32>, Option<u32>),
    /// Most messages sanitised at once (default: number of CPUs).
    pub max_concurrent: usize,
    /// Longest wait for a sanitised message, queueing included, before it is answered
    /// `SMFIR_TEMPFAIL` (default 120 s; keep it below Postfix's `milter_content_timeout`).
    pub sanitize_timeout: Duration,
    /// Longest silence from the MTA before a connection is closed (default 600 s).
    pub idle_timeout: Duration,
    /// Interval of `SMFIR_PROGRESS` while a message is being sanitised (default 10 s).
    pub progress_interval: Duration,
    /// How long shutdown waits for messages in flight (default 30 s).
    pub shutdown_grace: Duration,
    /// Largest frame accepted from the MTA.
    pub max_frame: usize,
}

impl ServerConfig {
    /// Defaults for `listen`.
    pub fn new(listen: ListenAddr) -> Self {
        ServerConfig {
            listen,
            socket_mode: 0o660,
            socket_owner: (None, None),
            max_concurrent: crate::frontend::default_concurrency(),
            sanitize_timeout: Duration::from_secs(120),
            idle_timeout: Duration::from_secs(600),
            progress_interval: Duration::from_secs(10),
            shutdown_grace: Duration::from_secs(30),
            max_frame: MAX_FRAME_LEN,
        }
    }
}

struct Inner {
    config: ServerConfig,
    session: SessionConfig,
    sanitizing: Sanitizing,
}

/// The milter server, before it is bound.
pub struct MilterServer {
    inner: Inner,
    policy_name: String,
}

impl std::fmt::Debug for MilterServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MilterServer")
            .field("config", &self.inner.config)
            .field("policy", &self.policy_name)
            .finish()
    }
}

enum Listener {
    Tcp(TcpListener),
    Unix(UnixListener, PathBuf),
}

/// A bound server, ready to [`run`](Bound::run).
pub struct Bound {
    listener: Listener,
    inner: Arc<Inner>,
    local: String,
}

impl std::fmt::Debug for Bound {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Bound").field("local", &self.local).finish()
    }
}

impl MilterServer {
    /// A server for `policy` that sanitises with `engine`.
    pub fn new(config: ServerConfig, policy: &Policy, engine: Arc<dyn Engine>) -> Self {
        let sanitizing = Sanitizing::new(
            policy,
            engine,
            config.max_concurrent,
            config.sanitize_timeout,
        );
        MilterServer {
            inner: Inner {
                config,
                session: SessionConfig::from_policy(policy),
                sanitizing,
            },
            policy_name: policy.name.clone(),
        }
    }

    /// Binds the socket. A stale unix socket (nobody listening) is replaced.
    pub async fn bind(self) -> Result<Bound> {
        let listen = self.inner.config.listen.clone();
        let (listener, local) = match &listen {
            ListenAddr::Tcp(addr) => {
                let l = TcpListener::bind(addr)
                    .await
                    .map_err(|e| Error::io(format!("cannot listen on {listen}"), e))?;
                let local = l
                    .local_addr()
                    .map(|a| format!("inet:{a}"))
                    .unwrap_or_else(|_| listen.to_string());
                (Listener::Tcp(l), local)
            }
            ListenAddr::Unix(path) => {
                if path.exists() {
                    if std::os::unix::net::UnixStream::connect(path).is_ok() {
                        return Err(Error::io(
                            format!("cannot listen on {listen}"),
                            std::io::Error::new(
                                std::io::ErrorKind::AddrInUse,
                                "another process is listening there",
                            ),
                        ));
                    }
                    let _ = std::fs::remove_file(path);
                }
                let l = UnixListener::bind(path)
                    .map_err(|e| Error::io(format!("cannot listen on {listen}"), e))?;
                use std::os::unix::fs::PermissionsExt;
                std::fs::set_permissions(
                    path,
                    std::fs::Permissions::from_mode(self.inner.config.socket_mode),
                )
                .map_err(|e| Error::io(format!("cannot chmod {}", path.display()), e))?;
                let (uid, gid) = self.inner.config.socket_owner;
                if uid.is_some() || gid.is_some() {
                    std::os::unix::fs::chown(path, uid, gid)
                        .map_err(|e| Error::io(format!("cannot chown {}", path.display()), e))?;
                }
                (Listener::Unix(l, path.clone()), listen.to_string())
            }
        };
        tracing::info!(
            listen = %local,
            policy = %self.policy_name,
            max_concurrent = self.inner.config.max_concurrent,
            max_message_bytes = self.inner.session.max_message_bytes,
            quarantine = %self.inner.sanitizing.quarantine_label(),
            "mugai milter listening on {local} with policy `{}`",
            self.policy_name
        );
        Ok(Bound {
            listener,
            inner: Arc::new(self.inner),
            local,
        })
    }
}

impl Bound {
    /// The address actually bound (`inet:127.0.0.1:PORT`, `unix:/path`).
    pub fn local_addr(&self) -> &str {
        &self.local
    }

    /// Serves until `shutdown` completes, then stops accepting, closes idle connections,
    /// gives messages in flight [`ServerConfig::shutdown_grace`] to finish, and returns.
    pub async fn run(self, shutdown: impl Future<Output = ()>) -> Result<()> {
        let mut conns = Connections::new("milter");
        let serve = |conns: &mut Connections, conn: Conn, peer: String| {
            let inner = self.inner.clone();
            let flag = conns.shutdown_flag();
            let span = tracing::info_span!("milter", conn = conns.next_id(), peer = %peer);
            match conn {
                Conn::Tcp(s) => {
                    let _ = s.set_nodelay(true);
                    s.ack_now();
                    conns.spawn(connection(s, inner, flag).instrument(span));
                }
                Conn::Unix(s) => conns.spawn(connection(s, inner, flag).instrument(span)),
            }
        };
        conns
            .accept_until(shutdown, || accept(&self.listener), serve)
            .await;
        let Bound {
            listener, inner, ..
        } = self;
        if let Listener::Unix(_, path) = &listener {
            let _ = std::fs::remove_file(path);
        }
        drop(listener);
        conns.shutdown(inner.config.shutdown_grace).await;
        Ok(())
    }
}

enum Conn {
    Tcp(tokio::net::TcpStream),
    Unix(tokio::net::UnixStream),
}

async fn accept(l: &Listener) -> std::io::Result<(Conn, String)> {
    match l {
        Listener::Tcp(l) => {
            let (s, a) = l.accept().await?;
            Ok((Conn::Tcp(s), a.to_string()))
        }
        Listener::Unix(l, path) => {
            let (s, _) = l.accept().await?;
            Ok((Conn::Unix(s), path.display().to_string()))
        }
    }
}

async fn write_replies<S: AsyncWrite + Unpin>(
    stream: &mut S,
    out: &mut BytesMut,
    replies: &[Response],
) -> std::io::Result<()> {
    for r in replies {
        r.encode(out);
    }
    if !out.is_empty() {
        tokio::time::timeout(WRITE_TIMEOUT, stream.write_all(out))
            .await
            .map_err(|_| {
                std::io::Error::new(
                    std::io::ErrorKind::TimedOut,
                    "the MTA did not read the replies",
                )
            })??;
        out.clear();
    }
    Ok(())
}

/// Longest time the MTA may take to read our replies.
const WRITE_TIMEOUT: Duration = Duration::from_secs(60);

/// Streams on which delayed acknowledgements can be turned off.
trait QuickAck {
    /// Asks the kernel to acknowledge received data at once (Linux `TCP_QUICKACK`; the
    /// kernel leaves quick-ack mode by itself, so this is repeated after every read).
    fn ack_now(&self) {}
}

impl QuickAck for tokio::net::TcpStream {
    fn ack_now(&self) {
        // The MTA writes small frames, often without waiting for a reply (SMFIP_NR_*), with
        // Nagle's algorithm on its side (Postfix does not set TCP_NODELAY): a delayed ACK
        // from this side then stalls its next frame for ~40 ms. Measured with Postfix 3.7:
        // 60 -> 148 mails/s.
        #[cfg(any(target_os = "linux", target_os = "android", target_os = "fuchsia"))]
        {
            let _ = self.set_quickack(true);
        }
    }
}

impl QuickAck for tokio::net::UnixStream {}

async fn connection<S>(mut stream: S, inner: Arc<Inner>, mut shutdown: watch::Receiver<bool>)
where
    S: AsyncRead + AsyncWrite + QuickAck + Unpin + Send + 'static,
{
    tracing::debug!("connection opened");
    let mut session = Session::new(inner.session.clone());
    let mut buf = BytesMut::with_capacity(16 * 1024);
    let mut out = BytesMut::with_capacity(1024);
    let mut stopping = *shutdown.borrow();
    loop {
        // Every whole frame in the buffer.
        loop {
            let frame = match Frame::parse(&mut buf, inner.config.max_frame) {
                Ok(Some(f)) => f,
                Ok(None) => break,
                Err(e) => {
                    tracing::warn!(error = %e, "closing milter connection: bad frame");
                    return;
                }
            };
            let cmd = match Command::from_frame(frame) {
                Ok(c) => c,
                Err(e) => {
                    tracing::warn!(error = %e, "closing milter connection: bad command");
                    return;
                }
            };
            let step = session.handle(cmd);
            let result = match step {
                Step::Reply(replies) => {
                    for r in &replies {
                        r.encode(&mut out);
                    }
                    Ok(())
                }
                Step::Finished(f) => {
                    audit_finished(&f, None, Duration::ZERO);
                    write_replies(&mut stream, &mut out, &f.replies).await
                }
                Step::Sanitize(pending) => {
                    let progress = session.negotiated().is_some_and(|n| n.version >= 6);
                    match sanitize(&inner, *pending, &mut stream, &mut out, progress).await {
                        Ok((verdict, qid, started)) => {
                            let f = session.finish(verdict);
                            let res = write_replies(&mut stream, &mut out, &f.replies).await;
                            audit_finished(&f, qid.as_deref(), started.elapsed());
                            res
                        }
                        Err(e) => Err(e),
                    }
                }
                Step::Close { reason, error } => {
                    let _ = write_replies(&mut stream, &mut out, &[]).await;
                    if error {
                        tracing::warn!(reason = %reason, "closing milter connection");
                    } else {
                        tracing::debug!(reason = %reason, "milter connection closed by MTA");
                    }
                    return;
                }
            };
            if let Err(e) = result {
                tracing::warn!(error = %e, "milter connection lost while answering");
                return;
            }
        }
        if let Err(e) = write_replies(&mut stream, &mut out, &[]).await {
            tracing::warn!(error = %e, "milter connection lost");
            return;
        }
        if stopping && !session.in_message() {
            tracing::debug!("closing idle connection for shutdown");
            return;
        }
        let in_message = session.in_message();
        let read = tokio::select! {
            r = tokio::time::timeout(inner.config.idle_timeout, stream.read_buf(&mut buf)) => r,
            _ = shutdown.changed(), if !stopping && !in_message => {
                stopping = true;
                continue;
            }
        };
        match read {
            Err(_) => {
                tracing::info!(
                    timeout = ?inner.config.idle_timeout,
                    in_message,
                    "closing milter connection: MTA silent"
                );
                return;
            }
            Ok(Ok(0)) => {
                if in_message {
                    tracing::warn!("MTA closed the connection in the middle of a message");
                } else {
                    tracing::debug!("connection closed");
                }
                return;
            }
            Ok(Ok(_)) => stream.ack_now(),
            Ok(Err(e)) => {
                tracing::warn!(error = %e, "milter connection read failed");
                return;
            }
        }
    }
}

/// Sanitises one message off the reactor (see [`Sanitizing`]), sending `SMFIR_PROGRESS`
/// while it waits or runs so that the MTA's timer does not run out; returns the verdict, the
/// quarantine id and when the work started. Only an I/O error towards the MTA is an `Err`.
async fn sanitize<S: AsyncWrite + Unpin>(
    inner: &Arc<Inner>,
    pending: Pending,
    stream: &mut S,
    out: &mut BytesMut,
    progress: bool,
) -> std::io::Result<(Verdict, Option<String>, Instant)> {
    let Pending { message, envelope } = pending;
    let job = Job {
        message,
        front_end: "milter",
        queue_id: envelope.queue_id,
        sender: envelope.sender,
        recipients: envelope.recipients,
        message_id: envelope.message_id,
    };
    let interval = progress.then_some(inner.config.progress_interval);
    let mut flight = inner.sanitizing.start(job);
    loop {
        match flight.next(interval).await {
            Some(done) => return Ok((done.verdict, done.quarantine_id, done.started)),
            None => write_replies(stream, out, &[Response::Progress]).await?,
        }
    }
}

fn audit_finished(f: &Finished, quarantine_id: Option<&str>, duration: Duration) {
    let env = &f.envelope;
    if f.disposition == Disposition::TempFailed {
        tracing::error!(
            queue_id = env.queue_id.as_deref().unwrap_or(""),
            reason = %f.detail,
            "message not sanitised, answered TEMPFAIL (the MTA keeps it and retries)"
        );
    }
    audit::record(&AuditRecord {
        front_end: "milter",
        queue_id: env.queue_id.as_deref(),
        client: env.client_addr.as_deref(),
        sender: &env.sender,
        recipients: &env.recipients,
        message_id: env.message_id.as_deref(),
        result: f.disposition,
        detail: &f.detail,
        report: f.outcome.as_ref().map(|o| &o.report),
        quarantine_id,
        bytes_in: env.size,
        duration,
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listen_addresses() {
        let t = |s: &str| s.parse::<ListenAddr>().unwrap();
        assert_eq!(
            t("inet:127.0.0.1:8890"),
            ListenAddr::Tcp("127.0.0.1:8890".into())
        );
        assert_eq!(
            t("inet:8890@localhost"),
            ListenAddr::Tcp("localhost:8890".into())
        );
        assert_eq!(t("inet:[::1]:8890"), ListenAddr::Tcp("[::1]:8890".into()));
        assert_eq!(t("inet6:[::1]:8890"), ListenAddr::Tcp("[::1]:8890".into()));
        assert_eq!(t("inet::8890"), ListenAddr::Tcp("0.0.0.0:8890".into()));
        assert_eq!(
            t("unix:/run/mugai/milter.sock"),
            ListenAddr::Unix("/run/mugai/milter.sock".into())
        );
        assert_eq!(t("local:/x"), ListenAddr::Unix("/x".into()));
        assert!("inet:127.0.0.1".parse::<ListenAddr>().is_err());
        assert!("inet:h:99999".parse::<ListenAddr>().is_err());
        assert!("unix:".parse::<ListenAddr>().is_err());
        assert_eq!(t("unix:/a/b").to_string(), "unix:/a/b");
    }

    #[test]
    fn socket_owners() {
        assert_eq!(parse_owner("0:0").unwrap(), (Some(0), Some(0)));
        assert_eq!(parse_owner("root").unwrap(), (Some(0), None));
        assert_eq!(parse_owner(":root").unwrap(), (None, Some(0)));
        assert!(parse_owner("no-such-user-here").is_err());
    }
}
