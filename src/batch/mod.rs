//! `mugai batch`: sanitise archived mailboxes (mbox, Maildir, `.eml` trees) in parallel,
//! with nothing lost.
//!
//! - [`mbox`]: streaming mbox splitter (mboxo, mboxrd, CRLF) and mboxrd writer.
//! - [`maildir`]: Maildir listing (flags in names) and writing (flags kept).
//! - [`eml`]: `.eml` trees and atomic file writes.
//! - [`detect`]: input and output formats, input detection.
//! - [`mod@run`]: the parallel pipeline ([`run::run`]).
//! - [`report`]: per-message records and the summary.
//!
//! ```no_run
//! use mugai::batch::{BatchOptions, run};
//! let opts = BatchOptions::new("archive.mbox", "clean.mbox");
//! let summary = run(mugai::Policy::default(), &opts).unwrap();
//! println!("{summary}");
//! ```

pub mod detect;
pub mod eml;
pub mod maildir;
pub mod mbox;
pub mod report;
pub mod run;

pub use detect::{InputFormat, OutputFormat};
pub use mbox::MboxVariant;
pub use report::Summary;
pub use run::{BatchOptions, Progress, run};

mod dispatch;
mod job;
mod journal;
mod paths;
mod plan;
mod progress;
mod window;
mod writer;

use crate::error::Error;

/// An I/O error with `context` (what was being done, to which path), for `map_err`.
fn io_err(context: impl Into<String>) -> impl FnOnce(std::io::Error) -> Error {
    let context = context.into();
    move |e| Error::io(context, e)
}

/// A refusal: the run will not do what it was asked (write into its input, overwrite an
/// output, resume what cannot be resumed), said in `message`.
fn refuse(message: String) -> Error {
    Error::io(
        "batch",
        std::io::Error::new(std::io::ErrorKind::InvalidInput, message),
    )
}

/// `value` as one line of JSON, newline included.
fn json_line(value: &impl serde::Serialize) -> std::io::Result<Vec<u8>> {
    let mut line = serde_json::to_vec(value)?;
    line.push(b'\n');
    Ok(line)
}
