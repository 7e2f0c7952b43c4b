//! Delivery to the next hop (Postfix's re-injection smtpd) with lettre's async SMTP
//! transport, keeping the envelope exactly: the same sender (the null sender stays null)
//! and every recipient.
//!
//! lettre sends one transaction per message (MAIL, every RCPT, DATA) and dot-stuffs the
//! data; it adds `BODY=8BITMIME` / `SMTPUTF8` itself when the message or the envelope
//! needs them. The TCP connection is ours (lettre's `connect_with_transport`), so that
//! `TCP_NODELAY` is set: lettre writes the final `.` line separately, and with Nagle's
//! algorithm that small write waits for the next hop's delayed ACK (~40 ms per mail).
//! Connections are kept for reuse (checked with `NOOP` first) for a short while. The outcome is mapped for the filter's reply to Postfix: accepted, a
//! temporary failure (next hop down, time-out, 4xx, anything unexpected) or a permanent
//! refusal (5xx, passed back).

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use lettre::Address;
use lettre::address::Envelope;
use lettre::transport::smtp::Error as SmtpError;
use lettre::transport::smtp::client::AsyncSmtpConnection;
use lettre::transport::smtp::extension::ClientId;
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
    /// Time-out of a whole delivery to the next hop (connection included).
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

    async fn transaction(&self, envelope: &Envelope, message: &[u8]) -> Delivery {
        let mut conn = match self.connection().await {
            Ok(c) => c,
            Err(e) => return Delivery::TempFailed(printable(&e)),
        };
        match conn.send(envelope, message).await {
            Ok(resp) => {
                self.put_idle(conn);
                Delivery::Accepted(printable(&format!(
                    "{} {}",
                    resp.code(),
                    resp.message().collect::<Vec<_>>().join(" ")
                )))
            }
            Err(e) => {
                // lettre has already sent QUIT after a failed command; never reused.
                conn.abort().await;
                classify(&e, &self.config)
            }
        }
    }

    /// The settings.
    pub fn config(&self) -> &RelayConfig {
        &self.config
    }

    /// Sends `message` (CRLF line ends, not dot-stuffed) from `sender` (empty: the null
    /// sender) to every one of `recipients`.
    pub async fn send(&self, sender: &str, recipients: &[String], message: &[u8]) -> Delivery {
        let from = if sender.is_empty() {
            None
        } else {
            match sender.parse::<Address>() {
                Ok(a) => Some(a),
                Err(e) => {
                    return Delivery::Refused {
                        code: 553,
                        status: "5.1.7".into(),
                        text: format!("bad sender address: {e}"),
                    };
                }
            }
        };
        let mut to = Vec::with_capacity(recipients.len());
        for r in recipients {
            match r.parse::<Address>() {
                Ok(a) => to.push(a),
                Err(e) => {
                    return Delivery::Refused {
                        code: 553,
                        status: "5.1.3".into(),
                        text: format!("bad recipient address {r}: {e}"),
                    };
                }
            }
        }
        let envelope = match Envelope::new(from, to) {
            Ok(e) => e,
            Err(e) => return Delivery::TempFailed(format!("cannot build the envelope: {e}")),
        };
        // lettre always ends the data with CRLF "." CRLF: without this the message would
        // grow by an empty line at every hop.
        let message = message.strip_suffix(b"\r\n").unwrap_or(message);
        let timeout = self.config.timeout;
        match tokio::time::timeout(timeout, self.transaction(&envelope, message)).await {
            Ok(d) => d,
            Err(_) => Delivery::TempFailed(format!(
                "next hop {} did not answer within {timeout:?}",
                self.config
            )),
        }
    }
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
