//! # mugai — 無害化: mail sanitisation
//!
//! mugai rebuilds any e-mail as one safe, readable `text/plain` message: HTML is converted to
//! text, attachments and anything executable are removed and listed in a notice (name, type,
//! size, SHA-256), links are shown with their real (defanged) target, and Japanese charsets
//! come out right. Nothing of the original MIME structure is passed through.
//!
//! ```
//! use mugai::{Policy, Sanitizer};
//! let sanitizer = Sanitizer::new(Policy::default());
//! let outcome = sanitizer.sanitize(b"Subject: hello\r\n\r\nplain text\r\n").unwrap();
//! assert!(String::from_utf8_lossy(&outcome.to_message()).contains("plain text"));
//! ```
//!
//! The crate is organised as a pipeline; see `docs/architecture.md`:
//! [`parse`] (zero-copy MIME structure pass, headers, charsets, transfer decoding) →
//! [`inspect`] (type sniffing, archive listing, smuggled payloads) → [`render`] (text,
//! HTML→text, links, notice) → [`rebuild`] (the new message), driven by [`Sanitizer`].

#![deny(missing_docs)]

#[cfg(feature = "net")]
pub mod audit;
#[cfg(feature = "batch")]
pub mod batch;
pub mod budget;
pub mod error;
#[cfg(feature = "net")]
pub mod frontend;
pub mod inspect;
#[cfg(feature = "milter")]
pub mod milter;
pub mod outcome;
pub mod parse;
mod pipeline;
pub mod policy;
#[cfg(feature = "quarantine")]
pub mod quarantine;
pub mod rebuild;
pub mod render;
pub mod report;
pub mod sanitize;
#[cfg(feature = "smtp")]
pub mod smtp;

pub use error::{Error, Result};
pub use outcome::{HeaderEdit, Outcome};
pub use policy::{Bypass, Language, LinkMode, Policy};
pub use report::{Action, RemovalReason, RemovedItem, Report};
pub use sanitize::Sanitizer;

/// The Rust examples of README.md and README.ja.md, compiled and run as doc tests so that
/// the copy-paste examples keep working.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
#[doc = include_str!("../README.ja.md")]
pub struct ReadmeDoctests;
