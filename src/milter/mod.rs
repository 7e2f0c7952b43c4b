//! The milter front end: sanitises every mail passing through Postfix or Sendmail.
//!
//! The MTA connects to `mugai milter` (`smtpd_milters = inet:127.0.0.1:8890` in Postfix),
//! sends each message's envelope, header fields and body, and at the end of the message
//! mugai answers with header edits, a replacement body (the sanitised text/plain) and
//! `SMFIR_ACCEPT`. Any internal failure answers `SMFIR_TEMPFAIL`, so the MTA keeps the mail
//! and retries: an unsanitised original is never accepted.
//!
//! - [`codec`]: frames, commands and replies of the wire protocol (sendmail's `mfdef.h`).
//! - [`session`]: the per-connection state machine, without I/O.
//! - [`server`]: the tokio listener (`inet:` and `unix:` sockets), concurrency, time-outs,
//!   graceful shutdown.

pub mod codec;
pub mod server;
pub mod session;

pub use server::{Engine, ListenAddr, MilterServer, ServerConfig, parse_owner};
pub use session::{Disposition, Envelope, Session, SessionConfig, Step, Verdict};
