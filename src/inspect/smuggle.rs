//! Encoded payloads hidden in text: uuencode, yEnc, BinHex 4.0, base64 (both alphabets, any
//! line shape), hex (runs, byte lists, xxd/hexdump), Ascii85, and lines of quoted-printable or
//! URL escapes. Each is found as a byte
//! range of the text, so the caller can cut it out and list it like an attachment.
//!
//! The scan is meant for the *rendered* text the reader gets (after charset decoding and
//! HTML conversion), where an attacker's instructions ("decode this") apply. It is one
//! forward pass over the lines: indent and quote prefixes (`>`, `> > `, `|`) are ignored,
//! blocks may have blank lines or trailing spaces between their lines, and no search is
//! restarted from each candidate. Framed blocks (uuencode, yEnc, BinHex) are always cut;
//! unframed candidates are decoded at every alignment and cut when the decoded bytes are a
//! payload by signature or content ([`judge`]), or bulk binary of no known type (from
//! 2 KiB, so that keys, signatures and tracking tokens stay). PGP and PEM armour is kept
//! unless it decodes to a payload.

mod armour;
mod ascii85;
mod blocks;
mod framed;
pub mod judge;
mod lines;

use std::ops::Range;

use blocks::{Acc, Enc};

/// One payload found in a text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Smuggled {
    /// Byte range of the block: whole lines including the last line ending, or a run
    /// inside a line. Always on ASCII boundaries, so also on `char` boundaries of a `str`.
    pub range: Range<usize>,
    /// `uuencode`, `yenc`, `binhex`, `base64`, `hex`, `ascii85` or `quoted-printable`.
    pub kind: &'static str,
    /// File name given in the block, if any.
    pub name: Option<String>,
    /// The decoded payload (for BinHex: the encoded data, which is not decoded).
    pub data: Vec<u8>,
}

/// Finds hidden payloads in `text` (every encoding, see the module documentation). Ranges
/// are sorted and do not overlap.
///
/// ```
/// let text = b"Hello\r\nbegin 644 x.exe\r\n#0V%T\r\n`\r\nend\r\nBye\r\n";
/// let found = mugai::inspect::smuggle::find(text);
/// assert_eq!(found.len(), 1);
/// assert_eq!(found[0].kind, "uuencode");
/// assert_eq!(found[0].name.as_deref(), Some("x.exe"));
/// assert_eq!(&text[found[0].range.clone()], b"begin 644 x.exe\r\n#0V%T\r\n`\r\nend\r\n");
/// ```
pub fn find(text: &[u8]) -> Vec<Smuggled> {
    scan(text, false)
}

/// Like [`find`] on a `str`; the ranges are on `char` boundaries.
pub fn find_str(text: &str) -> Vec<Smuggled> {
    find(text.as_bytes())
}

/// Only the framed encodings (uuencode, yEnc, BinHex), for raw bytes before charset
/// decoding: yEnc data is 8-bit and would not survive decoding as text.
pub fn find_framed(bytes: &[u8]) -> Vec<Smuggled> {
    scan(bytes, true)
}

fn scan(text: &[u8], framed_only: bool) -> Vec<Smuggled> {
    let mut found = Vec::new();
    let mut memo = framed::Memo::new();
    let mut armour = armour::Memo::new();
    let mut accs = [
        Acc::new(Enc::Base64),
        Acc::new(Enc::Hex),
        Acc::new(Enc::Escaped),
    ];
    let mut pos = 0;
    while let Some(line) = lines::at(text, pos) {
        if found.len() >= MAX_BLOCKS {
            // Bounded memory: everything from here on is cut as one block.
            found.push(rest_of(text, line.start));
            return disjoint(found);
        }
        pos = line.next;
        if let Some((s, next)) = framed::at(text, &line, &mut memo) {
            accs.iter_mut().for_each(|a| a.close(&mut found));
            found.push(s);
            pos = next;
        } else if framed_only {
            continue;
        } else if let Some((s, next)) = armour::at(text, &line, &mut armour) {
            accs.iter_mut().for_each(|a| a.close(&mut found));
            found.extend(s);
            pos = next;
        } else {
            accs.iter_mut().for_each(|a| a.feed(&line, &mut found));
        }
    }
    accs.iter_mut().for_each(|a| a.close(&mut found));
    if !framed_only {
        found.extend(ascii85::find(text));
    }
    disjoint(found)
}

/// At most this many blocks are found in one text; the rest of a text with more is cut
/// whole (a text with a thousand hidden files is not a letter).
pub const MAX_BLOCKS: usize = 1000;

/// The rest of `text` from `start`, as one block of encoded data.
fn rest_of(text: &[u8], start: usize) -> Smuggled {
    Smuggled {
        range: start..text.len(),
        kind: "encoded-data",
        name: None,
        data: text[start..].to_vec(),
    }
}

/// Sorts by start and merges overlapping ranges (the first block names the union), so that
/// no part of any block is left behind.
fn disjoint(mut found: Vec<Smuggled>) -> Vec<Smuggled> {
    found.sort_by(|a, b| {
        a.range
            .start
            .cmp(&b.range.start)
            .then(b.range.end.cmp(&a.range.end))
    });
    let mut out: Vec<Smuggled> = Vec::with_capacity(found.len());
    for s in found {
        match out.last_mut() {
            Some(l) if s.range.start < l.range.end => l.range.end = l.range.end.max(s.range.end),
            _ => out.push(s),
        }
    }
    out
}

#[cfg(test)]
mod tests;
