//! `mugai batch`: sanitise archived mailboxes (mbox, Maildir, `.eml` trees) in parallel,
//! with nothing lost.
//!
//! ```no_run
//! use mugai::batch::{BatchOptions, run};
//! let opts = BatchOptions::new("archive.mbox", "clean.mbox");
//! let summary = run(mugai::Policy::default(), &opts).unwrap();
//! println!("{summary}");
//! ```
//!
//! # The shape of a run
//!
//! A run reads one archive and writes one sanitised archive of the same messages, in the
//! same order. Three kinds of thread share the work:
//!
//! ```text
//!  dispatcher (caller's thread)      workers (N threads)          writer (1 thread)
//!  splits the mbox / lists files ──► read, unescape, sanitise ──► reorders by sequence,
//!  bounded window of in-flight         (catches panics)            writes output or failed/,
//!  messages                                                         journal, report, progress
//! ```
//!
//! Reading it from the entry point down:
//!
//! 1. **Plan** (`plan.rs`). [`run()`] and [`run::run_with`] first turn the options into a
//!    plan: the input format (detected once, here), the output format, the workers, every
//!    path the run will write (`paths.rs` refuses any that is, holds or lies inside the
//!    input) and the source: the memory-mapped mbox or the sorted list of files. Nothing is
//!    written yet, so a refusal leaves no trace.
//! 2. **Start** (`journal.rs`). A journal beside the output means an earlier run was
//!    interrupted: with `--resume` the run continues from its last checkpoint, without it
//!    the run refuses. No journal and a non-empty output: refused too.
//! 3. **Dispatch** (`dispatch.rs`). The caller's thread walks the source in input order
//!    and sends a `Job` per message: a byte range of the mapped mbox, or a file
//!    path. Each job gets a sequence number.
//! 4. **Work** (`job.rs`). Each worker reads its message, undoes mbox `From ` escaping,
//!    and calls the sanitiser under `catch_unwind`. Whatever happens comes back as a
//!    `Done`: the rebuilt message, or a failure that keeps the original.
//! 5. **Write** (`writer.rs`). The single writer thread puts results back into sequence
//!    order and writes each one to the sink (mbox, Maildir or `.eml` tree), or the
//!    original into the failed folder; then a report line; then, now and then, a
//!    checkpoint.
//! 6. **Finish** (`run.rs`). A last checkpoint; if the run was not stopped, the partial
//!    mbox is renamed into place and the journal removed; the [`Summary`] is appended to
//!    the report and returned.
//!
//! # The three promises, and where they are kept
//!
//! - **Bounded memory.** The dispatcher may send job `seq` only while
//!   `seq < written + window` (`window.rs`; the window is 4 × jobs, at least 16). So at
//!   most a window of messages is anywhere between the dispatcher and the writer, however
//!   slow one of them is: memory is a small multiple of the largest message times the
//!   jobs. The mbox is mapped, never read whole, and the writer releases the pages it has
//!   passed.
//! - **Nothing lost.** Every message read ends in the output or in the failed folder
//!   (`OUTPUT/failed/`, or `OUTPUT.failed/` beside an mbox) with a `.reason.txt`. Output
//!   files are written under temporary names and renamed; an mbox is written as
//!   `OUTPUT.mugai-partial` and renamed when complete.
//! - **Resumable without duplicates.** Because the writer writes in input order, "every
//!   index below N is done" describes progress completely. A checkpoint records N, the
//!   output and report lengths, and the counts, and is appended to the journal only after
//!   the output and report it describes have been flushed. A resumed run cuts the files
//!   back to the checkpoint and starts at N.
//!
//! Stopping (Ctrl-C sets [`BatchOptions::stop`]) only stops the dispatcher: jobs under way
//! are finished and written, so an interrupted run ends at a consistent checkpoint.
//!
//! # Modules
//!
//! Public, for the CLI and for embedders:
//! - [`mod@run`]: the entry points [`run()`] and [`run::run_with`], and [`BatchOptions`].
//! - [`detect`]: input and output formats, input detection.
//! - [`mbox`]: streaming mbox splitter (mboxo, mboxrd, CRLF) and mboxrd writer.
//! - [`maildir`]: Maildir listing (flags in names) and writing (flags kept).
//! - [`eml`]: `.eml` trees and atomic file writes.
//! - [`report`]: per-message records and the summary.
//!
//! Private, one step each: `plan`, `paths`, `journal`, `dispatch`, `job`, `window`,
//! `writer`, `progress`.

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
