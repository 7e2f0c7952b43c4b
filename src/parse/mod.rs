//! Reading the input: the zero-copy MIME structure pass and what it needs.
//!
//! * [`lines`] — line-ending normalisation (bare CR input) and the header/body split;
//! * [`header`] — splitting a header block into raw fields, and the MIME facts of a part
//!   (content type, parameters, file name) via mail-parser's field parsers;
//! * [`charset`] — charset labels (with the Japanese aliases mail clients really send),
//!   decoding, and detection for unlabelled or mislabelled text;
//! * [`transfer`] — base64 and quoted-printable decoding;
//! * [`structure`] — the MIME tree as byte ranges over the borrowed input.

pub mod charset;
pub mod header;
pub mod lines;
pub mod structure;
pub mod transfer;

pub use structure::{MimeTree, Part, PartBody};
