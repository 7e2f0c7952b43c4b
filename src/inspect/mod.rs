//! Looking at content that is going to be removed, for the notice and the audit log:
//!
//! * [`sniff`] — the true type of a file from its first bytes, and whether it contradicts the
//!   declared type or the file name;
//! * [`archive`] — entry names of ZIP-based archives from the central directory (also when
//!   encrypted), without decompressing anything;
//! * [`smuggle`] — encoded payloads hidden inside rendered text (base64 of any shape, hex and
//!   xxd dumps, uuencode, yEnc, BinHex, Ascii85), judged by what they decode to;
//! * [`digest`] — SHA-256 and size of removed content;
//! * [`verdict`] — whether a text-labelled part is text, HTML, or something to remove.

pub mod archive;
pub mod digest;
pub mod smuggle;
pub mod sniff;
pub mod verdict;
