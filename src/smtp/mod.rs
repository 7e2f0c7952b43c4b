//! The SMTP/LMTP front end: an after-queue content filter for Postfix
//! (`content_filter = mugai:[127.0.0.1]:10025`, see `docs/postfix-content-filter.md`).
//!
//! Postfix queues the mail first, then hands it to `mugai smtp` over SMTP (or LMTP). The
//! filter opens the next hop's transaction in step with the client's, as Postfix's
//! before-queue proxy does: `MAIL` and each `RCPT` are passed to the next hop (Postfix's
//! re-injection smtpd, `127.0.0.1:10026`) and answered with its verdict, so every recipient
//! has its own outcome (a recipient refused there is bounced alone; the others are
//! delivered). Then it receives the whole message, sanitises it with the core, sends the
//! sanitised message to the recipients the next hop accepted, and only then answers `250`
//! (one reply per accepted recipient in LMTP).
//!
//! Only `<CR><LF>.<CR><LF>` ends the data; a command ending in a bare `<LF>` is answered
//! `500 5.5.2`, and a message with a bare `<LF>` is rejected with
//! `550 5.5.2` (as Postfix's `smtpd_forbid_bare_newline = reject`), so nothing smuggled
//! after a `<LF>.<LF>` is ever relayed as a message of its own. Anything short of a `250` from the next hop is a
//! `451` (Postfix keeps the mail and retries) or the next hop's own 5xx: a mail is never
//! acknowledged without having been delivered onward, and the unsanitised original is never
//! relayed (bypass lists aside, as in the milter). There is no SMTP deadline after the
//! queue, so heavy mail (large HTML, big archives) is at home here.
//!
//! Limits: message size (the policy's `limits.max_message_bytes`, advertised with `SIZE`),
//! recipients per message, command line length ([`session::MAX_COMMAND_LINE`]), errors per
//! connection, command and data time-outs, connections at once, messages sanitised at
//! once. Data lines are not limited one by one (Postfix's smtp client already folds them at
//! `smtp_line_length_limit`; the sanitiser rewraps every line), only the whole message.
//!
//! The layout follows tokio-rs/mini-redis:
//!
//! - [`connection`]: buffering, line and data reading, pipelined replies, time-outs.
//! - [`session`]: the protocol state machine without I/O (commands parsed with
//!   stalwartlabs' `smtp-proto`; `XFORWARD` by hand), and the dot-unstuffing
//!   [`DataReader`](session::DataReader).
//! - [`relay`]: the next-hop transaction, kept in step with the client's (lettre's async
//!   SMTP connection).
//! - [`server`]: the listener, connection limits, sanitising (shared with the milter in
//!   [`crate::frontend`]), bypass, quarantine, audit log, graceful shutdown.

pub mod connection;
pub mod relay;
pub mod server;
pub mod session;

pub use relay::{HopSession, Relay, RelayConfig};
pub use server::{Bound, SmtpConfig, SmtpServer};
pub use session::{Delivery, HopStep, Reply, Session, SessionConfig, Transaction};
