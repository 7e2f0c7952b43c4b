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

/// A framed block starting at line `i`: the payload and the index of the line after it.
pub fn at(lines: &[Line<'_>], i: usize, memo: &mut Memo) -> Option<(Smuggled, usize)> {
    let l = lines[i].text;
    let p = lines::prefix_len(l);
    let core = &l[p..];
    if core.starts_with(b"begin ") {
        return uuencode(lines, i, &l[..p]);
    }
    if core.starts_with(b"=ybegin ") {
        return Some(yenc(lines, i, p, memo));
    }
    if memchr::memmem::find(core, b"(This file must be converted with BinHex").is_some() {
        return binhex(lines, i);
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

fn uuencode(lines: &[Line<'_>], i: usize, prefix: &[u8]) -> Option<(Smuggled, usize)> {
    let begin = unprefixed(lines[i].text, prefix);
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
    let mut last = i;
    for (j, line) in lines.iter().enumerate().skip(i + 1) {
        let l = unprefixed(line.text, prefix);
        let l = l.strip_suffix(b"\r").unwrap_or(l);
        if l.trim_ascii_end() == b"end" {
            last = j;
            break;
        }
        if !uu_data_line(l) {
            break;
        }
        transfer::uudecode_line(l, &mut data);
        last = j;
    }
    if last == i {
        return None;
    }
    let s = Smuggled {
        range: lines[i].start..lines[last].next,
        kind: "uuencode",
        name,
        data,
    };
    Some((s, last + 1))
}

fn yenc(lines: &[Line<'_>], i: usize, p: usize, memo: &mut Memo) -> (Smuggled, usize) {
    let l = &lines[i].text[p..];
    let name = memchr::memmem::find(l, b"name=")
        .map(|at| String::from_utf8_lossy(&l[at + 5..]).trim().to_owned())
        .filter(|n| !n.is_empty());
    let is_end = |t: &[u8]| t[lines::prefix_len(t)..].starts_with(b"=yend");
    // Without `=yend` the block runs to the end of its paragraph.
    let end = memo.yend.find(lines, i + 1, is_end).unwrap_or_else(|| {
        (i + 1..lines.len())
            .find(|&j| lines::core(lines[j].text).is_empty())
            .map_or(lines.len() - 1, |j| j - 1)
    });
    let end = end.max(i);
    let mut data = Vec::new();
    for line in &lines[i + 1..=end] {
        let t = &line.text[p.min(line.text.len())..];
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
        range: lines[i].start..lines[end].next,
        kind: "yenc",
        name,
        data,
    };
    (s, end + 1)
}

/// A BinHex line: printable ASCII without spaces.
fn hqx_line(t: &[u8]) -> bool {
    !t.is_empty() && t.iter().all(|b| b.is_ascii_graphic())
}

fn binhex(lines: &[Line<'_>], i: usize) -> Option<(Smuggled, usize)> {
    let mut j = i + 1;
    while j < lines.len() && lines::core(lines[j].text).is_empty() {
        j += 1;
    }
    let first = lines::core(lines.get(j)?.text);
    if !first.starts_with(b":") {
        return None;
    }
    let mut end = j;
    let mut data = Vec::new();
    while end < lines.len() {
        let t = lines::core(lines[end].text);
        if !hqx_line(t) {
            end -= 1;
            break;
        }
        data.extend_from_slice(t);
        let closes = t.len() > 1 && t.ends_with(b":");
        if closes || end + 1 == lines.len() {
            break;
        }
        end += 1;
    }
    let s = Smuggled {
        range: lines[i].start..lines[end].next,
        kind: "binhex",
        name: None,
        data,
    };
    Some((s, end + 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn first(text: &[u8]) -> Option<(Smuggled, usize)> {
        let lines = lines::split(text);
        let mut memo = Memo::new();
        (0..lines.len()).find_map(|i| at(&lines, i, &mut memo))
    }

    #[test]
    fn uu_without_end_and_quoted() {
        let text = b"> begin 644 a.exe\n> #0V%T\n> \nhello\n";
        let (s, next) = first(text).unwrap();
        assert_eq!(s.data, b"Cat");
        assert_eq!(s.name.as_deref(), Some("a.exe"));
        assert_eq!(next, 2);
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
