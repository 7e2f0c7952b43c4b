//! Encodings with an opening line: uuencode (`begin 644 name`, with or without `end`), yEnc
//! (`=ybegin`, with or without `=yend`) and BinHex 4.0. A recognised block is always cut:
//! its opening line says it is a file.

use super::Smuggled;
use super::lines::{self, Line, NextLine};
use crate::parse::transfer;

/// Searches shared by every opening line of one scan.
pub struct Memo {
    yend: NextLine,
}

impl Memo {
    /// Nothing searched yet.
    pub fn new() -> Self {
        Memo {
            yend: NextLine::new(),
        }
    }
}

/// A framed block starting at `line`: the payload and the offset after the block.
pub fn at(text: &[u8], line: &Line<'_>, memo: &mut Memo) -> Option<(Smuggled, usize)> {
    let l = line.text;
    let p = lines::prefix_len(l);
    let core = &l[p..];
    if core.starts_with(b"begin ") {
        return uuencode(text, line, &l[..p]);
    }
    if core.starts_with(b"=ybegin ") {
        return Some(yenc(text, line, p, memo));
    }
    if memchr::memmem::find(core, b"(This file must be converted with BinHex").is_some() {
        return Some(binhex(text, line));
    }
    None
}

/// `l` without `prefix` when it starts with it.
fn unprefixed<'a>(l: &'a [u8], prefix: &[u8]) -> &'a [u8] {
    l.strip_prefix(prefix).unwrap_or(l)
}

/// Whether `rest` (after `begin `) is `MODE NAME` with an octal mode of 3 or 4 digits.
fn uu_mode_ok(rest: &[u8]) -> bool {
    let digits = rest
        .iter()
        .take_while(|b| (b'0'..=b'7').contains(b))
        .count();
    (3..=4).contains(&digits) && rest.get(digits) == Some(&b' ')
}

/// Whether `l` is a uuencoded data line whose length character fits its length (trailing
/// spaces may have been stripped in transit, a checksum character may follow).
fn uu_data_line(l: &[u8]) -> bool {
    let Some((&first, data)) = l.split_first() else {
        return false;
    };
    if !l.iter().all(|b| (b' '..=b'`').contains(b)) {
        return false;
    }
    let n = (first.wrapping_sub(b' ') & 0x3f) as usize;
    let want = n.div_ceil(3) * 4;
    data.len() <= want + 2 && data.len() + 4 >= want
}

fn uuencode(text: &[u8], line: &Line<'_>, prefix: &[u8]) -> Option<(Smuggled, usize)> {
    let begin = unprefixed(line.text, prefix);
    let rest = begin.strip_prefix(b"begin ")?;
    if !uu_mode_ok(rest) {
        return None;
    }
    let name = rest
        .iter()
        .position(|&b| b == b' ')
        .map(|sp| String::from_utf8_lossy(&rest[sp + 1..]).trim().to_owned())
        .filter(|n| !n.is_empty());
    let mut data = Vec::new();
    let mut last = None;
    for l in lines::from(text, line.next) {
        let t = unprefixed(l.text, prefix);
        if t.trim_ascii_end() == b"end" {
            last = Some(l.next);
            break;
        }
        if !uu_data_line(t) {
            break;
        }
        transfer::uudecode_line(t, &mut data);
        last = Some(l.next);
    }
    let end = last?;
    let s = Smuggled {
        range: line.start..end,
        kind: "uuencode",
        name,
        data,
    };
    Some((s, end))
}

fn yenc(text: &[u8], line: &Line<'_>, p: usize, memo: &mut Memo) -> (Smuggled, usize) {
    let l = &line.text[p..];
    let name = memchr::memmem::find(l, b"name=")
        .map(|at| String::from_utf8_lossy(&l[at + 5..]).trim().to_owned())
        .filter(|n| !n.is_empty());
    let is_end = |t: &[u8]| t[lines::prefix_len(t)..].starts_with(b"=yend");
    // Without `=yend` the block runs to the end of its paragraph.
    let end = match memo.yend.find(text, line.next, is_end) {
        Some(e) => e.next,
        None => lines::from(text, line.next)
            .take_while(|l| !lines::core(l.text).is_empty())
            .last()
            .map_or(line.next, |l| l.next),
    };
    let mut data = Vec::new();
    for l in lines::from(text, line.next).take_while(|l| l.start < end) {
        let t = &l.text[p.min(l.text.len())..];
        if t.starts_with(b"=ypart ") || t.starts_with(b"=yend") {
            continue;
        }
        let mut esc = false;
        for &b in t {
            if esc {
                data.push(b.wrapping_sub(64).wrapping_sub(42));
                esc = false;
            } else if b == b'=' {
                esc = true;
            } else {
                data.push(b.wrapping_sub(42));
            }
        }
    }
    let s = Smuggled {
        range: line.start..end,
        kind: "yenc",
        name,
        data,
    };
    (s, end)
}

/// A BinHex line: printable ASCII without spaces.
fn hqx_line(t: &[u8]) -> bool {
    !t.is_empty() && t.iter().all(|b| b.is_ascii_graphic())
}

/// A BinHex block: the header line, blank lines, then `:`-delimited data lines (up to the
/// closing `:` or the last data line). A header with no data is cut alone.
fn binhex(text: &[u8], line: &Line<'_>) -> (Smuggled, usize) {
    let mut data = Vec::new();
    let mut end = line.next;
    let mut body = lines::from(text, line.next).skip_while(|l| lines::core(l.text).is_empty());
    if let Some(first) = body.next()
        && lines::core(first.text).starts_with(b":")
    {
        for l in std::iter::once(first).chain(body) {
            let t = lines::core(l.text);
            if !hqx_line(t) {
                break;
            }
            data.extend_from_slice(t);
            end = l.next;
            if t.len() > 1 && t.ends_with(b":") {
                break;
            }
        }
    }
    let s = Smuggled {
        range: line.start..end,
        kind: "binhex",
        name: None,
        data,
    };
    (s, end)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn first(text: &[u8]) -> Option<(Smuggled, usize)> {
        let mut memo = Memo::new();
        lines::from(text, 0).find_map(|l| at(text, &l, &mut memo))
    }

    #[test]
    fn uu_without_end_and_quoted() {
        let text = b"> begin 644 a.exe\n> #0V%T\n> \nhello\n";
        let (s, next) = first(text).unwrap();
        assert_eq!(s.data, b"Cat");
        assert_eq!(s.name.as_deref(), Some("a.exe"));
        assert_eq!(next, s.range.end);
        assert!(text[s.range.end..].starts_with(b"> \nhello"));
    }

    #[test]
    fn prose_begin_is_not_uu() {
        assert!(first(b"begin 600 people came\nand then left\n").is_none());
    }

    #[test]
    fn yenc_without_end_stops_at_paragraph() {
        let text = b"=ybegin line=128 size=3 name=x.bin\nabc\n\nafter\n";
        let (s, _) = first(text).unwrap();
        assert!(text[s.range.end..].starts_with(b"\nafter"));
    }
}
