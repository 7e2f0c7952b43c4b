//! Delivery to the next hop (Postfix's re-injection smtpd), in step with the client.
//!
//! A [`HopSession`] follows one client connection: the client's `MAIL` opens a transaction
//! at the next hop with the same sender (the null sender stays null), each client `RCPT` is
//! sent on at once and the next hop's answer becomes the answer to that recipient (as
//! Postfix's before-queue proxy does), and after the data only the sanitised message is
//! sent, to the recipients the next hop accepted. So a recipient the next hop refuses is
//! refused alone, with the next hop's code, and the others are delivered.
//!
//! The commands go through lettre's async SMTP connection (`command`, `message`, which
//! dot-stuffs), written by hand so that every RFC 5321 address form (address literals,
//! `<postmaster>`) passes unchanged. The TCP connection is ours (lettre's
//! `connect_with_transport`), so that `TCP_NODELAY` is set: lettre writes the final `.` line
//! separately, and with Nagle's algorithm that small write waits for the next hop's delayed
//! ACK (~40 ms per mail). Idle connections are kept for reuse (checked with `NOOP` first)
//! for a short while. Each step has the relay's time-out; a time-out, a broken connection or
//! a 4xx is a temporary failure, a 5xx a refusal passed back.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use lettre::transport::smtp::Error as SmtpError;
use lettre::transport::smtp::client::AsyncSmtpConnection;
use lettre::transport::smtp::extension::{ClientId, Extension};
use tokio::net::TcpStream;

use super::session::Delivery;

/// Where and how to relay.
#[derive(Debug, Clone)]
pub struct RelayConfig {
    /// Next hop host (name or IP literal).
    pub host: String,
    /// Next hop port.
    pub port: u16,
    /// Name sent in `EHLO`.
    pub hello_name: String,
    /// Time-out of each step at the next hop (connecting, one command, the data).
    pub timeout: Duration,
}

/// Error in the next-hop address.
#[derive(Debug, thiserror::Error)]
#[error("bad next hop `{0}`: use HOST:PORT, e.g. 127.0.0.1:10026")]
pub struct BadNextHop(String);

impl RelayConfig {
    /// Parses `HOST:PORT` (`[::1]:PORT` for IPv6).
    pub fn parse(next_hop: &str) -> Result<Self, BadNextHop> {
        let bad = || BadNextHop(next_hop.to_string());
        let (host, port) = next_hop.rsplit_once(':').ok_or_else(bad)?;
        let port: u16 = port.parse().map_err(|_| bad())?;
        let host = host.trim_start_matches('[').trim_end_matches(']');
        if host.is_empty() || port == 0 {
            return Err(bad());
        }
        Ok(RelayConfig {
            host: host.to_string(),
            port,
            hello_name: "localhost".into(),
            timeout: Duration::from_secs(120),
        })
    }
}

impl std::fmt::Display for RelayConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.host.contains(':') {
            write!(f, "[{}]:{}", self.host, self.port)
        } else {
            write!(f, "{}:{}", self.host, self.port)
        }
    }
}

/// Most idle connections kept for reuse.
const MAX_IDLE: usize = 16;
/// How long an idle connection is kept (well below Postfix's `smtpd_timeout`).
const IDLE_FOR: Duration = Duration::from_secs(30);

/// The next hop.
#[derive(Clone)]
pub struct Relay {
    config: RelayConfig,
    idle: Arc<Mutex<Vec<(AsyncSmtpConnection, Instant)>>>,
}

impl std::fmt::Debug for Relay {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Relay")
            .field("config", &self.config)
            .finish()
    }
}

fn printable(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_graphic() || c == ' ' {
                c
            } else {
                ' '
            }
        })
        .take(300)
        .collect::<String>()
        .trim()
        .to_string()
}

impl Relay {
    /// A relay to `config` (plain SMTP: the next hop is on loopback).
    pub fn new(config: RelayConfig) -> Self {
        Relay {
            config,
            idle: Arc::default(),
        }
    }

    fn take_idle(&self) -> Option<AsyncSmtpConnection> {
        let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
        while let Some((conn, since)) = idle.pop() {
            if since.elapsed() < IDLE_FOR {
                return Some(conn);
            }
        }
        None
    }

    fn put_idle(&self, conn: AsyncSmtpConnection) {
        let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
        if idle.len() < MAX_IDLE {
            idle.push((conn, Instant::now()));
        }
    }

    async fn connect(&self) -> Result<AsyncSmtpConnection, String> {
        let c = &self.config;
        let stream = TcpStream::connect((c.host.as_str(), c.port))
            .await
            .map_err(|e| format!("cannot connect to next hop {c}: {e}"))?;
        let _ = stream.set_nodelay(true);
        AsyncSmtpConnection::connect_with_transport(
            Box::new(stream),
            &ClientId::Domain(c.hello_name.clone()),
        )
        .await
        .map_err(|e| format!("next hop {c}: {e}"))
    }

    /// A connection: an idle one that still answers `NOOP`, or a new one.
    async fn connection(&self) -> Result<AsyncSmtpConnection, String> {
        while let Some(mut conn) = self.take_idle() {
            if conn.test_connected().await {
                return Ok(conn);
            }
            conn.abort().await;
        }
        self.connect().await
    }

    /// The settings.
    pub fn config(&self) -> &RelayConfig {
        &self.config
    }

    /// A next-hop session for one client connection (no connection is made yet).
    pub fn session(&self) -> HopSession {
        HopSession {
            relay: self.clone(),
            conn: None,
            in_transaction: false,
        }
    }

    /// Sends `message` (CRLF line ends, not dot-stuffed) from `sender` (empty: the null
    /// sender) to every one of `recipients`, all or nothing: the first refusal ends it.
    pub async fn send(&self, sender: &str, recipients: &[String], message: &[u8]) -> Delivery {
        let mut hop = self.session();
        let mut d = hop.mail(sender, false).await;
        for r in recipients {
            if !matches!(d, Delivery::Accepted(_)) {
                break;
            }
            d = hop.rcpt(r).await;
        }
        if matches!(d, Delivery::Accepted(_)) {
            d = hop.data(message).await;
        }
        hop.finish().await;
        d
    }
}

/// One client connection's transactions at the next hop (see the module doc).
pub struct HopSession {
    relay: Relay,
    conn: Option<AsyncSmtpConnection>,
    in_transaction: bool,
}

impl std::fmt::Debug for HopSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HopSession")
            .field("connected", &self.conn.is_some())
            .field("in_transaction", &self.in_transaction)
            .finish()
    }
}

impl HopSession {
    /// Whether a transaction is open at the next hop (`MAIL` accepted, not yet ended).
    pub fn in_transaction(&self) -> bool {
        self.in_transaction
    }

    /// Sends one command (or the data) with the time-out; on a failure other than a
    /// reply the connection is dropped.
    async fn step(&mut self, what: Step<'_>) -> Delivery {
        let Some(conn) = self.conn.as_mut() else {
            return Delivery::TempFailed("next hop connection lost".into());
        };
        let timeout = self.relay.config.timeout;
        let result = match what {
            Step::Command(c) => tokio::time::timeout(timeout, conn.command(c)).await,
            Step::Message(m) => tokio::time::timeout(timeout, conn.message(m)).await,
        };
        match result {
            Ok(Ok(resp)) => Delivery::Accepted(printable(&format!(
                "{} {}",
                resp.code(),
                resp.message().collect::<Vec<_>>().join(" ")
            ))),
            Ok(Err(e)) => {
                // A 4xx/5xx reply leaves the connection usable; anything else does not.
                if !(e.is_transient() || e.is_permanent()) {
                    self.drop_connection().await;
                }
                classify(&e, &self.relay.config)
            }
            Err(_) => {
                self.drop_connection().await;
                Delivery::TempFailed(format!(
                    "next hop {} did not answer within {timeout:?}",
                    self.relay.config
                ))
            }
        }
    }

    async fn drop_connection(&mut self) {
        if let Some(mut c) = self.conn.take() {
            c.abort().await;
        }
        self.in_transaction = false;
    }

    /// Opens a transaction: `MAIL FROM:<sender>` (empty: the null sender), with
    /// `BODY=8BITMIME` when the next hop offers it (the sanitised text may be 8-bit) and
    /// `SMTPUTF8` when asked for (or the sender is not ASCII).
    pub async fn mail(&mut self, sender: &str, smtputf8: bool) -> Delivery {
        if self.in_transaction {
            self.rset().await;
        }
        if self.conn.is_none() {
            let timeout = self.relay.config.timeout;
            match tokio::time::timeout(timeout, self.relay.connection()).await {
                Ok(Ok(c)) => self.conn = Some(c),
                Ok(Err(e)) => return Delivery::TempFailed(printable(&e)),
                Err(_) => {
                    return Delivery::TempFailed(format!(
                        "cannot connect to next hop {} within {timeout:?}",
                        self.relay.config
                    ));
                }
            }
        }
        let mut cmd = format!("MAIL FROM:<{sender}>");
        if let Some(c) = &self.conn {
            let info = c.server_info();
            if info.supports_feature(Extension::EightBitMime) {
                cmd.push_str(" BODY=8BITMIME");
            }
            if (smtputf8 || !sender.is_ascii()) && info.supports_feature(Extension::SmtpUtfEight) {
                cmd.push_str(" SMTPUTF8");
            }
        }
        cmd.push_str("\r\n");
        let d = self.step(Step::Command(&cmd)).await;
        self.in_transaction = matches!(d, Delivery::Accepted(_));
        d
    }

    /// Adds a recipient: the next hop's answer for it.
    pub async fn rcpt(&mut self, recipient: &str) -> Delivery {
        if !self.in_transaction {
            return Delivery::TempFailed("no transaction open at the next hop".into());
        }
        self.step(Step::Command(&format!("RCPT TO:<{recipient}>\r\n")))
            .await
    }

    /// Sends `DATA` and `message` (CRLF line ends, not dot-stuffed) to the recipients
    /// accepted so far; ends the transaction.
    pub async fn data(&mut self, message: &[u8]) -> Delivery {
        if !self.in_transaction {
            return Delivery::TempFailed("no transaction open at the next hop".into());
        }
        let d = match self.step(Step::Command("DATA\r\n")).await {
            Delivery::Accepted(_) => {
                // lettre always ends the data with CRLF "." CRLF: without this the
                // message would grow by an empty line at every hop.
                let message = message.strip_suffix(b"\r\n").unwrap_or(message);
                self.step(Step::Message(message)).await
            }
            refused => refused,
        };
        self.in_transaction = false;
        d
    }

    /// Abandons the open transaction (`RSET`), if any.
    pub async fn rset(&mut self) {
        if !self.in_transaction {
            return;
        }
        if !matches!(
            self.step(Step::Command("RSET\r\n")).await,
            Delivery::Accepted(_)
        ) {
            self.drop_connection().await;
        }
        self.in_transaction = false;
    }

    /// The client connection ended: an open transaction is abandoned and the connection
    /// kept for reuse.
    pub async fn finish(mut self) {
        self.rset().await;
        if let Some(c) = self.conn.take() {
            if c.has_broken() {
                return;
            }
            self.relay.put_idle(c);
        }
    }
}

enum Step<'a> {
    Command(&'a str),
    Message(&'a [u8]),
}

fn classify(e: &SmtpError, config: &RelayConfig) -> Delivery {
    let detail = std::error::Error::source(e)
        .map(|s| s.to_string())
        .unwrap_or_default();
    if e.is_permanent() {
        let code: u16 = e
            .status()
            .and_then(|c| c.to_string().parse().ok())
            .unwrap_or(554);
        let text = printable(&detail);
        // The next hop's enhanced status code, when its text starts with one.
        let (status, text) = match text.split_once(' ') {
            Some((s, rest))
                if s.starts_with("5.") && s.split('.').all(|p| p.parse::<u16>().is_ok()) =>
            {
                (s.to_string(), rest.to_string())
            }
            _ => ("5.0.0".to_string(), text),
        };
        Delivery::Refused { code, status, text }
    } else {
        Delivery::TempFailed(printable(&format!("next hop {config}: {e}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_hops() {
        let c = RelayConfig::parse("127.0.0.1:10026").unwrap();
        assert_eq!((c.host.as_str(), c.port), ("127.0.0.1", 10026));
        let c = RelayConfig::parse("[::1]:25").unwrap();
        assert_eq!(c.host, "::1");
        assert_eq!(c.to_string(), "[::1]:25");
        assert!(RelayConfig::parse("localhost").is_err());
        assert!(RelayConfig::parse(":25").is_err());
        assert!(RelayConfig::parse("h:0").is_err());
    }

    #[tokio::test]
    async fn next_hop_down_is_a_temporary_failure() {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port();
        drop(l);
        let mut c = RelayConfig::parse(&format!("127.0.0.1:{port}")).unwrap();
        c.timeout = Duration::from_secs(5);
        let r = Relay::new(c);
        let d = r
            .send("a@b.example", &["c@d.example".into()], b"x\r\n")
            .await;
        assert!(matches!(d, Delivery::TempFailed(_)), "{d:?}");
    }
}
