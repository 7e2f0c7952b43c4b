//! Unframed encodings: base64 (both alphabets) and hex, as blocks of lines of any width
//! (indented, quoted, with blank lines or trailing spaces between them), as xxd/hexdump
//! dumps, and as long runs inside a line. Candidates are decoded and judged; only what
//! decodes to a payload is cut.

use std::ops::Range;

use super::Smuggled;
use super::judge::{Verdict, judge};
use super::lines::{self, Line};
use crate::parse::transfer;

/// Binary of no known type is cut only from this size on: keys, signatures, tracking
/// tokens and hash lists stay, bulk data does not.
pub const UNKNOWN_BINARY_MIN: usize = 2048;

/// A run inside a line is a candidate from this many characters on (64 decoded bytes).
const MIN_RUN: usize = 86;

/// Which encoding an accumulator collects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Enc {
    /// Base64, standard or URL-safe alphabet.
    Base64,
    /// Hex digits (plain runs, byte lists, xxd/hexdump lines).
    Hex,
    /// Lines dense with `=XX` (quoted-printable) or `%XX` (URL) escapes.
    Escaped,
}

fn is_b64(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'-' | b'_' | b'=')
}

/// Length of an invisible character at the start of `s` (zero-width space, joiners, word
/// joiner, BOM, soft hyphen): inserted between base64 characters they hide a block from a
/// scanner but not from a tolerant decoder.
fn invisible_at(s: &[u8]) -> usize {
    match s {
        [0xe2, 0x80, 0x8b..=0x8d, ..] | [0xe2, 0x81, 0xa0, ..] | [0xef, 0xbb, 0xbf, ..] => 3,
        [0xc2, 0xad, ..] => 2,
        _ => 0,
    }
}

/// `core` without invisible characters, or `None` when it has none.
fn strip_invisible(core: &[u8]) -> Option<Vec<u8>> {
    if !core
        .windows(2)
        .any(|w| w == [0xe2, 0x80] || w == [0xe2, 0x81] || w == [0xef, 0xbb] || w == [0xc2, 0xad])
    {
        return None;
    }
    let mut out = Vec::with_capacity(core.len());
    let mut i = 0;
    while i < core.len() {
        match invisible_at(&core[i..]) {
            0 => {
                out.push(core[i]);
                i += 1;
            }
            n => i += n,
        }
    }
    Some(out)
}

/// UTF-8 sequences drawn around text by HTML-to-text conversion and by hand: box drawing
/// (tables), bullets, no-break and ideographic spaces; and printable ASCII.
fn decoration_at(s: &[u8]) -> usize {
    match s {
        [0xe2, 0x94 | 0x95, _, ..] | [0xe2, 0x80, 0xa2, ..] => 3,
        [0xe3, 0x83, 0xbb, ..] | [0xe3, 0x80, 0x80, ..] => 3,
        [0xc2, 0xa0, ..] => 2,
        [b, ..] if b.is_ascii() && !b.is_ascii_control() => 1,
        _ => 0,
    }
}

/// Whether `s` is decoration only (see [`decoration_at`]).
fn decoration(mut s: &[u8]) -> bool {
    while !s.is_empty() {
        match decoration_at(s) {
            0 => return false,
            n => s = &s[n..],
        }
    }
    true
}

/// A rule or table border (`-----`, `=====`, `──┼──`, `+---+`): no letters or digits.
pub(super) fn separator(core: &[u8]) -> bool {
    !core.iter().any(u8::is_ascii_alphanumeric) && decoration(core)
}

/// The base64 on a line: the whole line, or its longest run when what surrounds it is
/// short decoration (a bullet, a list number, table cell borders, a label); `true` when
/// there was such decoration.
pub(super) fn b64_payload(core: &[u8]) -> Option<(&[u8], bool)> {
    if core.iter().all(|&b| is_b64(b)) {
        return Some((core, false));
    }
    if spaced_groups(core) {
        return Some((core, true));
    }
    let (mut best, mut i) = (0..0, 0);
    while i < core.len() {
        let n = core[i..].iter().take_while(|&&b| is_b64(b)).count();
        if n > best.len() {
            best = i..i + n;
        }
        i += n.max(1);
    }
    let rest = core.len() - best.len();
    let ok = best.len() >= 16
        && rest <= 24
        && decoration(&core[..best.start])
        && decoration(&core[best.end..]);
    ok.then(|| (&core[best], true))
}

/// Base64 written in groups (`QUJD REVG R0hJ …`): at least four groups separated by single
/// spaces, all of one length of 4 or more except a shorter last one. Prose words vary.
fn spaced_groups(core: &[u8]) -> bool {
    let mut groups = core.split(|&b| b == b' ');
    let Some(first) = groups.next() else {
        return false;
    };
    let width = first.len();
    let mut n = 1;
    let mut last_short = false;
    for g in groups {
        if last_short || g.len() > width || g.is_empty() || !g.iter().all(|&b| is_b64(b)) {
            return false;
        }
        last_short = g.len() < width;
        n += 1;
    }
    width >= 4 && n >= 4 && first.iter().all(|&b| is_b64(b))
}

/// A base64 line that can open a block or continue it over blank lines: long, or of
/// mixed character classes as encoded binary is (prose words and separators are not).
fn strong_b64(core: &[u8]) -> bool {
    let has = |f: fn(&u8) -> bool| core.iter().any(f);
    core.len() >= 32
        || (core.len() >= 16
            && has(u8::is_ascii_uppercase)
            && has(u8::is_ascii_lowercase)
            && has(u8::is_ascii_digit))
}

/// Collects consecutive lines of one encoding into a block.
pub struct Acc {
    enc: Enc,
    /// Byte range of the block so far (whole lines, or a run at the end of the first line).
    range: Option<Range<usize>>,
    /// The encoded characters of the block.
    chars: Vec<u8>,
    /// A blank line was seen after the last line of the block.
    gap: bool,
    /// Some line of the block had more than base64 on it (table borders, bullets): such a
    /// block is cut only for a payload, never as bulk binary.
    decorated: bool,
}

impl Acc {
    /// An empty accumulator for `enc`.
    pub fn new(enc: Enc) -> Self {
        Acc {
            enc,
            range: None,
            chars: Vec::new(),
            gap: false,
            decorated: false,
        }
    }

    /// Takes `line` into the block, or closes the block (judging it into `found`) and
    /// looks at the line on its own.
    pub fn feed(&mut self, line: &Line<'_>, found: &mut Vec<Smuggled>) {
        let p = lines::prefix_len(line.text);
        let body = &line.text[p..];
        let core = &body[..lines::trimmed_end(body)];
        let visible;
        let (raw, core) = match strip_invisible(core) {
            Some(v) => {
                visible = v;
                (core, &visible[..])
            }
            None => (core, core),
        };
        if core.is_empty() || separator(core) {
            self.gap = self.range.is_some();
            return;
        }
        let before = self.chars.len();
        let (member, strong, decorated) = match self.enc {
            Enc::Base64 => match b64_payload(core) {
                Some((run, decorated)) => {
                    self.chars.extend_from_slice(run);
                    (true, strong_b64(run), decorated)
                }
                None => (false, false, false),
            },
            Enc::Hex => {
                let ok = hex_line(core, &mut self.chars);
                (ok, ok, false)
            }
            Enc::Escaped => {
                let ok = escaped_line(core);
                if ok {
                    self.chars
                        .extend_from_slice(core.strip_suffix(b"=").unwrap_or(core));
                }
                (ok, ok, false)
            }
        };
        let joins = member && self.range.is_some() && (strong || !self.gap);
        if joins {
            if let Some(r) = &mut self.range {
                r.end = line.next;
            }
            self.gap = false;
            self.decorated |= decorated;
            return;
        }
        // Not part of the current block: keep what this line added for a new block.
        let added = self.chars.split_off(before);
        self.close(found);
        if member && strong {
            self.chars = added;
            self.decorated = decorated;
            self.range = Some(line.start..line.next);
        } else if self.enc == Enc::Base64 && !member {
            // A short or plain pure line (a word, a separator) is nothing on its own.
            self.runs_in_line(line.start + p, raw, found);
        }
    }

    /// Judges the block collected so far (if any) and starts afresh.
    pub fn close(&mut self, found: &mut Vec<Smuggled>) {
        self.gap = false;
        let chars = std::mem::take(&mut self.chars);
        let bulk = !std::mem::take(&mut self.decorated);
        if let Some(range) = self.range.take()
            && let Some(s) = decide(self.enc, &chars, range, bulk)
        {
            found.push(s);
        }
    }

    /// Long runs inside a line that is not all encoding (a Subject, a sentence, a URL with a
    /// blob in it). Runs of 16+ characters separated by single spaces count as one (unfolded
    /// header lines). A run that ends the line may open a block continued by the next lines.
    fn runs_in_line(&mut self, base: usize, core: &[u8], found: &mut Vec<Smuggled>) {
        let run_at = |i: usize| {
            core[i.min(core.len())..]
                .iter()
                .take_while(|&&b| is_b64(b))
                .count()
        };
        let mut i = 0;
        while i < core.len() {
            if !is_b64(core[i]) {
                i += 1;
                continue;
            }
            let start = i;
            let mut chars = Vec::new();
            let end = loop {
                let run = run_at(i);
                chars.extend_from_slice(&core[i..i + run]);
                let end = i + run;
                let spaced = core.get(end) == Some(&b' ') && run_at(end + 1) >= 16;
                if run >= 16 && spaced {
                    i = end + 1;
                } else {
                    break end;
                }
            };
            i = end;
            if end == core.len() && chars.len() >= 16 {
                // Possibly the head of a block on the following lines.
                self.chars = chars;
                self.decorated = true;
                self.range = Some(base + start..base + end);
                return;
            }
            if chars.len() >= MIN_RUN {
                let range = base + start..base + end;
                // Inside prose only a payload is cut (long URL tokens may be binary).
                let s = decide(Enc::Base64, &chars, range.clone(), false)
                    .or_else(|| hex_run(&chars).and_then(|h| decide(Enc::Hex, &h, range, false)));
                found.extend(s);
            }
        }
    }
}

/// The hex digits of a run that is all hex digits.
fn hex_run(chars: &[u8]) -> Option<Vec<u8>> {
    chars
        .iter()
        .all(u8::is_ascii_hexdigit)
        .then(|| chars.to_vec())
}

/// Decodes a candidate at every alignment and keeps it if one of them is a payload (or, with
/// `bulk`, binary of unknown type from [`UNKNOWN_BINARY_MIN`] bytes on).
fn decide(enc: Enc, chars: &[u8], range: Range<usize>, bulk: bool) -> Option<Smuggled> {
    let (kind, shifts) = match enc {
        Enc::Base64 => ("base64", 4),
        Enc::Hex => ("hex", 2),
        Enc::Escaped => ("quoted-printable", 1),
    };
    let decode = |k: usize| match enc {
        Enc::Base64 => transfer::base64_lenient(&chars[k.min(chars.len())..]),
        Enc::Hex => transfer::hex(&chars[k.min(chars.len())..]),
        Enc::Escaped => unescape(chars),
    };
    let mut binary = None;
    for k in 0..shifts {
        let data = decode(k);
        match judge(&data) {
            Verdict::Dangerous(_) => {
                return Some(Smuggled {
                    range,
                    kind,
                    name: None,
                    data,
                });
            }
            Verdict::Binary if bulk && enc == Enc::Base64 && data.len() >= UNKNOWN_BINARY_MIN => {
                binary.get_or_insert(data);
            }
            _ => {}
        }
    }
    binary.map(|data| Smuggled {
        range,
        kind,
        name: None,
        data,
    })
}

/// A line of at least 16 characters at least a third of which are `=XX`/`%XX` escapes.
fn escaped_line(core: &[u8]) -> bool {
    let escapes = core
        .windows(3)
        .filter(|w| {
            matches!(w[0], b'=' | b'%') && w[1].is_ascii_hexdigit() && w[2].is_ascii_hexdigit()
        })
        .count();
    core.len() >= 16 && escapes * 3 * 3 >= core.len()
}

/// Decodes `=XX` and `%XX` escapes; everything else stands for itself.
fn unescape(chars: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(chars.len() / 3 + 1);
    let mut i = 0;
    while i < chars.len() {
        let b = chars[i];
        let hex = chars
            .get(i + 1..i + 3)
            .filter(|h| h.iter().all(u8::is_ascii_hexdigit));
        match (b, hex) {
            (b'=' | b'%', Some(h)) => {
                out.extend(transfer::hex(h));
                i += 3;
            }
            _ => {
                out.push(b);
                i += 1;
            }
        }
    }
    out
}

/// If `core` is a hex line — a hex run, a byte list (`4d 5a`, `4d:5a`, `0x4d, 0x5a`,
/// `\x4d\x5a`), or an xxd/hexdump/od line with an offset and an ASCII column — appends its
/// hex digits to `out` and returns `true`.
pub fn hex_line(core: &[u8], out: &mut Vec<u8>) -> bool {
    let mut s = core;
    let lead = s.iter().take_while(|b| b.is_ascii_hexdigit()).count();
    let mut offset = false;
    if (4..=10).contains(&lead) && lead < s.len() {
        if s[lead] == b':' {
            s = &s[lead + 1..];
            offset = true;
        } else if s[lead..].starts_with(b"  ") {
            s = &s[lead..];
            offset = true;
        }
    }
    let before = out.len();
    let mut groups = 0;
    let mut i = s.iter().take_while(|&&b| b == b' ').count();
    while i < s.len() {
        let mut j = i;
        if s[j..].starts_with(b"0x") || s[j..].starts_with(b"0X") || s[j..].starts_with(b"\\x") {
            j += 2;
        }
        let n = s[j..].iter().take_while(|b| b.is_ascii_hexdigit()).count();
        if n < 2 || n % 2 == 1 {
            out.truncate(before);
            return false;
        }
        out.extend_from_slice(&s[j..j + n]);
        groups += 1;
        i = j + n;
        match s[i..] {
            [] => break,
            [b' ', b' ', ..] if hexdump_half(&s[i..]) => i += 2,
            [b' ', b' ', ..] | [b' ', b'|', ..] if offset || groups >= 4 => break,
            [b' ' | b':', ..] => i += 1,
            [b',', b' ', ..] => i += 2,
            [b',', ..] => i += 1,
            [b'\\', b'x', ..] => {}
            _ => {
                out.truncate(before);
                return false;
            }
        }
    }
    let ok = out.len() - before >= 8;
    if !ok {
        out.truncate(before);
    }
    ok
}

/// After a double space: the second half of a `hexdump -C` line (`  40 00 …`), not the
/// ASCII column.
fn hexdump_half(rest: &[u8]) -> bool {
    matches!(rest, [b' ', b' ', a, b, b' ', ..] if a.is_ascii_hexdigit() && b.is_ascii_hexdigit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_line_shapes() {
        let mut v = Vec::new();
        assert!(hex_line(
            b"00000000: 4d5a 9000 0300 0000 0400 0000 ffff 0000  MZ..............",
            &mut v
        ));
        assert_eq!(v, b"4d5a90000300000004000000ffff0000");
        v.clear();
        assert!(hex_line(
            b"00000010  b8 00 00 00 00 00 00 00  40 00 00 00 00 00 00 00  |........@.......|",
            &mut v
        ));
        assert_eq!(v.len(), 32);
        v.clear();
        assert!(hex_line(b"0x4d, 0x5a, 0x90, 0x00, 0x03", &mut v));
        assert!(hex_line(b"\\x4d\\x5a\\x90\\x00", &mut v));
        v.clear();
        assert!(!hex_line(b"2024 was a good year", &mut v));
        assert!(!hex_line(b"cafe", &mut v));
        assert!(v.is_empty());
    }

    #[test]
    fn strong_lines() {
        assert!(!strong_b64(b"MARKER-60-BEFORE"));
        assert!(strong_b64(b"TVqQAAMAAAAEAAAA//8AALgAAAAAAAAAQAAAAAAAAAAA"));
        assert!(strong_b64(b"TVqQAAMAAAAEAAA4"));
    }
}
