//! The result of sanitising one message: header edits, a new body, and a report.

use serde::Serialize;

use crate::report::Report;

/// One change to the original top-level header block.
///
/// Indexes count occurrences of the same field name (case-insensitive) in the original
/// header block, from 1, as the milter protocol's `SMFIR_CHGHEADER` does. The edits in an
/// [`Outcome`] are ordered so that applying them one after another is correct: deletions of
/// the same name come from the highest index down, so earlier deletions never shift later
/// indexes. Values never contain bare CR or LF; a long value is folded with `"\r\n "`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "op", rename_all = "lowercase")]
pub enum HeaderEdit {
    /// Delete the `index`-th occurrence of `name`.
    Delete {
        /// Field name as it appeared in the input.
        name: String,
        /// 1-based occurrence among fields of that name.
        index: usize,
    },
    /// Replace the value of the `index`-th occurrence of `name`.
    Change {
        /// Field name.
        name: String,
        /// 1-based occurrence among fields of that name.
        index: usize,
        /// New value (without the leading space after the colon).
        value: String,
    },
    /// Append a new field at the end of the header block.
    Add {
        /// Field name.
        name: String,
        /// Value (without the leading space after the colon).
        value: String,
    },
}

/// A sanitised message: how to turn the original into the safe one.
///
/// The batch tool and library users call [`Outcome::to_message`] for the whole rebuilt
/// message; the milter applies [`Outcome::header_edits`] and replaces the body with
/// [`Outcome::body`].
#[derive(Debug, Clone)]
pub struct Outcome {
    /// Edits that turn the original header block into the rebuilt one.
    pub header_edits: Vec<HeaderEdit>,
    /// The rebuilt header block (kept original fields, edited, then the added fields),
    /// each field ending with [`Outcome::line_ending`], without the blank separator line.
    pub headers: Vec<u8>,
    /// The new body: one text/plain part, transfer-encoded, lines ending with
    /// [`Outcome::line_ending`], every line at most 998 octets.
    pub body: Vec<u8>,
    /// The line ending used in `headers` and `body` (`"\r\n"` or `"\n"`).
    pub line_ending: &'static str,
    /// What was done.
    pub report: Report,
    /// The message was not a readable mail; the body is a salvage note.
    pub not_a_mail: bool,
}

impl Outcome {
    /// The whole rebuilt message: headers, blank line, body.
    ///
    /// ```
    /// let s = mugai::Sanitizer::new(mugai::Policy::default());
    /// let out = s.sanitize(b"Subject: hi\r\n\r\nhello\r\n").unwrap();
    /// let msg = String::from_utf8(out.to_message()).unwrap();
    /// assert!(msg.contains("Content-Type: text/plain; charset=utf-8"));
    /// assert!(msg.contains("hello"));
    /// ```
    pub fn to_message(&self) -> Vec<u8> {
        let mut out =
            Vec::with_capacity(self.headers.len() + self.line_ending.len() + self.body.len());
        out.extend_from_slice(&self.headers);
        out.extend_from_slice(self.line_ending.as_bytes());
        out.extend_from_slice(&self.body);
        out
    }
}
