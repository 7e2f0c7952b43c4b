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
