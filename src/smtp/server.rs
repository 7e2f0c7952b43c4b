//! The SMTP/LMTP listener: one [`Session`] per client connection, each finished message
//! sanitised (see [`Sanitizing`]) and relayed to the next hop before it is acknowledged.
//!
//! - At most [`SmtpConfig::max_sessions`] connections at once; more are answered `421` and
//!   closed. A client that sends garbage is closed after a few errors; it never affects
//!   other connections.
//! - **In step with the next hop**: the client's `MAIL` and each `RCPT` are sent on at
//!   once and answered with the next hop's verdict (see [`super::relay`]), so a recipient
//!   refused there is refused alone and the others get the message.
//! - **Fail closed**: `250` only after the next hop said `250`. Next hop down, a time-out,
//!   a 4xx, a sanitiser error, panic or time-out: `451`, Postfix keeps the mail and retries.
//!   A 5xx from the next hop is passed back. A panic anywhere in the delivery is a `451`.
//! - Envelope allow-lists ([`Bypass`]): the original is relayed
//!   untouched, logged as `bypassed`. Everything else: only the sanitised message is
//!   relayed, never the original.
//! - Graceful shutdown: the future given to [`Bound::run`] stops the listener; idle
//!   connections close at once, messages in flight get [`SmtpConfig::shutdown_grace`].

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, watch};
use tracing::Instrument;

use super::connection::{Connection, ConnectionError, Line, Stream};
use super::relay::{HopSession, Relay, RelayConfig};
use super::session::{
    Action, Delivery, HopStep, MAX_COMMAND_LINE, Session, SessionConfig, Transaction,
};
use crate::audit::{self, AuditRecord};
use crate::error::{Error, Result};
use crate::frontend::{Connections, Engine, Job, Sanitizing, Verdict};
use crate::policy::{Bypass, Policy};

/// Server settings (the policy supplies the size limit, the bypass lists and the
/// quarantine).
#[derive(Debug, Clone)]
pub struct SmtpConfig {
    /// Address to listen on (`127.0.0.1:10025`).
    pub listen: String,
    /// Protocol settings: host name, LMTP, recipients per message, errors tolerated.
    /// `max_message_bytes` and `on_limit` are taken from the policy.
    pub session: SessionConfig,
    /// Most client connections at once (default 100).
    pub max_sessions: usize,
    /// Most messages sanitised at once (default: number of CPUs).
    pub max_concurrent: usize,
    /// Longest wait for a sanitised message, queueing included, before `451` (default
    /// 120 s; keep sanitising plus relaying below Postfix's `smtp_data_done_timeout`).
    pub sanitize_timeout: Duration,
    /// Longest wait for a command (default 300 s, RFC 5321 4.5.3.2).
    pub command_timeout: Duration,
    /// Longest wait for each read of message data (default 180 s).
    pub data_timeout: Duration,
    /// How long shutdown waits for messages in flight (default 30 s).
    pub shutdown_grace: Duration,
}

impl SmtpConfig {
    /// Defaults for `listen`.
    pub fn new(listen: impl Into<String>) -> Self {
        SmtpConfig {
            listen: listen.into(),
            session: SessionConfig::default(),
            max_sessions: 100,
            max_concurrent: crate::frontend::default_concurrency(),
            sanitize_timeout: Duration::from_secs(120),
            command_timeout: Duration::from_secs(300),
            data_timeout: Duration::from_secs(180),
            shutdown_grace: Duration::from_secs(30),
        }
    }
}

struct Inner {
    config: SmtpConfig,
    sanitizing: Sanitizing,
    relay: Relay,
    bypass: Bypass,
    sessions: Arc<Semaphore>,
}

/// The SMTP content filter, before it is bound.
pub struct SmtpServer {
    inner: Inner,
    policy_name: String,
}

impl std::fmt::Debug for SmtpServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpServer")
            .field("config", &self.inner.config)
            .field("next_hop", &self.inner.relay.config())
            .field("policy", &self.policy_name)
            .finish()
    }
}

/// A bound server, ready to [`run`](Bound::run).
pub struct Bound {
    listener: TcpListener,
    inner: Arc<Inner>,
    local: SocketAddr,
}

impl std::fmt::Debug for Bound {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Bound").field("local", &self.local).finish()
    }
}

impl SmtpServer {
    /// A filter for `policy` that sanitises with `engine` and relays to `next_hop`.
    pub fn new(
        mut config: SmtpConfig,
        policy: &Policy,
        engine: Arc<dyn Engine>,
        next_hop: RelayConfig,
    ) -> Self {
        config.session.max_message_bytes = policy.limits.max_message_bytes;
        config.session.on_limit = policy.limits.on_limit;
        let sanitizing = Sanitizing::new(
            policy,
            engine,
            config.max_concurrent,
            config.sanitize_timeout,
        );
        let sessions = Arc::new(Semaphore::new(config.max_sessions.max(1)));
        SmtpServer {
            inner: Inner {
                sanitizing,
                relay: Relay::new(next_hop),
                bypass: policy.bypass.clone(),
                sessions,
                config,
            },
            policy_name: policy.name.clone(),
        }
    }

    /// Binds the listening socket.
    pub async fn bind(self) -> Result<Bound> {
        let listen = self.inner.config.listen.clone();
        let listener = TcpListener::bind(&listen)
            .await
            .map_err(|e| Error::io(format!("cannot listen on {listen}"), e))?;
        let local = listener
            .local_addr()
            .map_err(|e| Error::io(format!("cannot listen on {listen}"), e))?;
        let inner = &self.inner;
        tracing::info!(
            listen = %local,
            next_hop = %inner.relay.config(),
            lmtp = inner.config.session.lmtp,
            policy = %self.policy_name,
            max_sessions = inner.config.max_sessions,
            max_concurrent = inner.sanitizing.max_concurrent(),
            max_message_bytes = inner.config.session.max_message_bytes,
            quarantine = %inner.sanitizing.quarantine().map(|q| q.dir().display().to_string()).unwrap_or_else(|| "off".into()),
            "mugai smtp listening on {local}, relaying to {} with policy `{}`",
            inner.relay.config(),
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
    /// The address actually bound.
    pub fn local_addr(&self) -> SocketAddr {
        self.local
    }

    /// Serves until `shutdown` completes, then stops accepting, closes idle connections,
    /// gives messages in flight [`SmtpConfig::shutdown_grace`] to finish, and returns.
    pub async fn run(self, shutdown: impl Future<Output = ()>) -> Result<()> {
        let mut conns = Connections::new("smtp");
        tokio::pin!(shutdown);
        loop {
            tokio::select! {
                _ = &mut shutdown => break,
                _ = conns.reap() => {}
                accepted = self.listener.accept() => match accepted {
                    Ok((stream, peer)) => {
                        let _ = stream.set_nodelay(true);
                        let span = tracing::info_span!("smtp", conn = conns.next_id(), peer = %peer);
                        match self.inner.sessions.clone().try_acquire_owned() {
                            Ok(permit) => {
                                let inner = self.inner.clone();
                                let flag = conns.shutdown_flag();
                                conns.spawn(async move {
                                    let _permit = permit;
                                    serve(stream, inner, flag).await;
                                }.instrument(span));
                            }
                            Err(_) => conns.spawn(refuse(stream).instrument(span)),
                        }
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "accept failed");
                        tokio::time::sleep(Duration::from_millis(100)).await;
                    }
                },
            }
        }
        let Bound {
            listener, inner, ..
        } = self;
        drop(listener);
        conns.shutdown(inner.config.shutdown_grace).await;
        Ok(())
    }
}

/// Over the connection limit: 421 and close.
async fn refuse(mut stream: TcpStream) {
    tracing::warn!("too many connections, refusing one");
    let _ = tokio::time::timeout(
        Duration::from_secs(5),
        stream.write_all(b"421 4.3.2 Too many connections, try again later\r\n"),
    )
    .await;
    let _ = stream.shutdown().await;
}

async fn serve<S: Stream>(stream: S, inner: Arc<Inner>, mut shutdown: watch::Receiver<bool>) {
    tracing::debug!("connection opened");
    let mut conn = Connection::new(stream);
    let mut session = Session::new(inner.config.session.clone());
    let mut hop = inner.relay.session();
    conn.queue(&session.greeting());
    let ended = run_session(&mut conn, &mut session, &mut hop, &inner, &mut shutdown).await;
    hop.finish().await;
    match ended {
        Ok(()) => tracing::debug!("connection closed"),
        Err(ConnectionError::Closed) if !session.in_transaction() => {
            tracing::debug!("connection closed by the client")
        }
        Err(e) => {
            tracing::info!(error = %e, in_transaction = session.in_transaction(), "connection ended")
        }
    }
}

async fn run_session<S: Stream>(
    conn: &mut Connection<S>,
    session: &mut Session,
    hop: &mut HopSession,
    inner: &Arc<Inner>,
    shutdown: &mut watch::Receiver<bool>,
) -> std::result::Result<(), ConnectionError> {
    let cfg = &inner.config;
    loop {
        let line = if conn.has_input() {
            conn.read_line(MAX_COMMAND_LINE, cfg.command_timeout)
                .await?
        } else {
            // Nothing buffered: send the replies, then wait for a command or shutdown.
            // (Once the replies are written, reading is cancel-safe.)
            conn.flush().await?;
            if *shutdown.borrow() && !session.in_transaction() {
                return close_for_shutdown(conn).await;
            }
            tokio::select! {
                line = conn.read_line(MAX_COMMAND_LINE, cfg.command_timeout) => line?,
                _ = shutdown.changed() => continue,
            }
        };
        let action = match line {
            Line::TooLong => session.line_too_long(),
            Line::Command(l) => session.command(&l),
        };
        match action {
            Action::Reply(r) => conn.queue(&r),
            Action::NextHop(step) => {
                let answer = match step {
                    HopStep::Mail => {
                        let t = session.transaction();
                        hop.mail(&t.sender, t.smtputf8).await
                    }
                    HopStep::Rcpt(r) => hop.rcpt(&r).await,
                };
                if !matches!(answer, Delivery::Accepted(_)) {
                    tracing::info!(answer = ?answer, "next hop refused a step of the transaction");
                }
                conn.queue(&session.next_hop_answer(&answer));
            }
            Action::Close(r) => {
                if r.code >= 400 {
                    tracing::info!(code = r.code, "closing: {}", r.lines.join(" "));
                }
                conn.queue(&r);
                return conn.flush().await;
            }
            Action::ReadData(r) => {
                conn.queue(&r);
                let mut reader = session.data_reader();
                conn.read_data(&mut reader, cfg.data_timeout).await?;
                let size = reader.size();
                let envelope = session.transaction().clone();
                match session.data_end(reader) {
                    Err(replies) => {
                        hop.rset().await;
                        let (result, code, text) = match replies.first() {
                            Some(r) if r.code < 500 => ("tempfail", r.code, r.lines.join(" ")),
                            Some(r) => ("rejected", r.code, r.lines.join(" ")),
                            None => ("tempfail", 451, String::new()),
                        };
                        let detail = format!("{code}: {text} (message of {size} bytes)");
                        audit::record(&AuditRecord {
                            front_end: "smtp",
                            queue_id: envelope.queue_id(),
                            client: envelope.client_addr(),
                            sender: &envelope.sender,
                            recipients: &envelope.recipients,
                            result,
                            detail: &detail,
                            bytes_in: size,
                            ..AuditRecord::default()
                        });
                        for r in &replies {
                            conn.queue(r);
                        }
                    }
                    Ok(txn) => {
                        let delivery = deliver(inner, txn, hop).await;
                        for r in session.delivered(&delivery) {
                            conn.queue(&r);
                        }
                    }
                }
            }
        }
        if hop.in_transaction() && !session.in_transaction() {
            // RSET, a new EHLO or a refused MAIL: the next hop's transaction goes too.
            hop.rset().await;
        }
    }
}

async fn close_for_shutdown<S: Stream>(
    conn: &mut Connection<S>,
) -> std::result::Result<(), ConnectionError> {
    conn.queue(&super::session::Reply::new(
        421,
        "4.3.2",
        "Service shutting down, closing transmission channel",
    ));
    conn.flush().await
}

/// Sanitises and relays one message in its own task, so that a panic is a `451` (the
/// next-hop connection is then dropped and a new one made for the next message).
async fn deliver(inner: &Arc<Inner>, txn: Transaction, hop: &mut HopSession) -> Delivery {
    let mut owned = std::mem::replace(hop, inner.relay.session());
    let inner2 = inner.clone();
    let task = tokio::spawn(
        async move {
            let d = deliver_inner(inner2, txn, &mut owned).await;
            (d, owned)
        }
        .in_current_span(),
    );
    match task.await {
        Ok((d, back)) => {
            *hop = back;
            d
        }
        Err(e) => {
            tracing::error!(error = %e, "delivery task failed; answering 451");
            Delivery::TempFailed("internal error".into())
        }
    }
}

/// Bare LF to CRLF, for an engine that ignores its policy: the line ending is decided once,
/// when the engine is built (the `mugai smtp` policy asks the core for CRLF), so the message
/// is normally returned as it is, without a copy.
fn to_crlf(msg: Vec<u8>) -> Vec<u8> {
    if !msg
        .iter()
        .enumerate()
        .any(|(i, &b)| b == b'\n' && (i == 0 || msg[i - 1] != b'\r'))
    {
        return msg;
    }
    let mut out = Vec::with_capacity(msg.len() + msg.len() / 40);
    let mut prev = 0u8;
    for &b in &msg {
        if b == b'\n' && prev != b'\r' {
            out.push(b'\r');
        }
        out.push(b);
        prev = b;
    }
    out
}

async fn deliver_inner(inner: Arc<Inner>, mut txn: Transaction, hop: &mut HopSession) -> Delivery {
    let started = Instant::now();
    let bytes_in = txn.data.len();
    let bypassed = inner.bypass.applies(&txn.sender, &txn.recipients);
    let mut outcome = None;
    let mut quarantine_id = None;
    let (delivery, done_as) = if bypassed {
        (hop.data(&txn.data).await, "bypassed")
    } else {
        let job = Job {
            message: std::mem::take(&mut txn.data),
            front_end: "smtp",
            queue_id: txn.queue_id().map(str::to_string),
            sender: txn.sender.clone(),
            recipients: txn.recipients.clone(),
            message_id: None,
        };
        let done = inner.sanitizing.run(job).await;
        quarantine_id = done.quarantine_id;
        match done.verdict {
            Verdict::Sanitized(o) => {
                let message = to_crlf(o.to_message());
                let d = hop.data(&message).await;
                outcome = Some(o);
                (d, "sanitized")
            }
            Verdict::Rejected(reason) => (
                Delivery::Refused {
                    code: 554,
                    status: "5.6.0".into(),
                    text: format!("Message refused by the mail sanitisation policy: {reason}"),
                },
                "rejected",
            ),
            Verdict::Failed(reason) => (Delivery::TempFailed(reason), "tempfail"),
        }
    };
    hop.rset().await; // after a rejection or failure: nothing is sent
    let (result, detail) = match &delivery {
        Delivery::Accepted(reply) => (done_as, format!("next hop: {reply}")),
        Delivery::TempFailed(why) => ("tempfail", why.clone()),
        Delivery::Refused { code, status, text } => ("rejected", format!("{code} {status} {text}")),
    };
    if result == "tempfail" {
        tracing::error!(
            queue_id = txn.queue_id().unwrap_or(""),
            reason = %detail,
            "message not delivered, answered 451 (Postfix keeps it and retries)"
        );
    }
    audit::record(&AuditRecord {
        front_end: "smtp",
        queue_id: txn.queue_id(),
        client: txn.client_addr(),
        sender: &txn.sender,
        recipients: &txn.recipients,
        message_id: None,
        result,
        detail: &detail,
        report: outcome.as_ref().map(|o| &o.report),
        quarantine_id: quarantine_id.as_deref(),
        bytes_in,
        duration: started.elapsed(),
    });
    delivery
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crlf() {
        assert_eq!(to_crlf(b"a\r\nb\n\nc".to_vec()), b"a\r\nb\r\n\r\nc");
        assert_eq!(to_crlf(b"\na".to_vec()), b"\r\na");
        assert_eq!(to_crlf(b"a\r\n".to_vec()), b"a\r\n");
    }
}
