//! Lines of the scanned text, quote/indent prefixes, and a forward search whose cost is
//! shared by all callers (so that many openers without a closer stay linear).

/// A line with its byte range (without line ending) and the offset after its line ending.
#[derive(Debug, Clone, Copy)]
pub struct Line<'a> {
    /// The line without its ending (`\n` or `\r\n`).
    pub text: &'a [u8],
    /// Offset of the first byte of the line.
    pub start: usize,
    /// Offset just after the line ending.
    pub next: usize,
}

/// The line that starts at byte `pos` of `data`, or `None` at the end. Lines are read one
/// at a time, never collected: a text of millions of empty lines costs no memory.
pub fn at(data: &[u8], pos: usize) -> Option<Line<'_>> {
    if pos >= data.len() {
        return None;
    }
    let end = memchr::memchr(b'\n', &data[pos..]).map_or(data.len(), |i| pos + i);
    let text = &data[pos..end];
    Some(Line {
        text: text.strip_suffix(b"\r").unwrap_or(text),
        start: pos,
        next: (end + 1).min(data.len()),
    })
}

/// The lines of `data` from byte `pos` on.
pub fn from(data: &[u8], pos: usize) -> impl Iterator<Item = Line<'_>> {
    let mut next = pos;
    std::iter::from_fn(move || {
        let line = at(data, next)?;
        next = line.next;
        Some(line)
    })
}

/// Length of the indent and quote prefix of a line: spaces, tabs, `>` and `|` (mail and
/// chat quoting), no-break spaces and ideographic spaces, in any mix.
pub fn prefix_len(l: &[u8]) -> usize {
    let mut i = 0;
    loop {
        match l[i..] {
            [b' ' | b'\t' | b'>' | b'|', ..] => i += 1,
            [0xc2, 0xa0, ..] => i += 2,
            [0xe3, 0x80, 0x80, ..] => i += 3,
            _ => return i,
        }
    }
}

/// Length of `l` without trailing whitespace (ASCII, no-break and ideographic spaces).
pub fn trimmed_end(l: &[u8]) -> usize {
    let mut n = l.len();
    loop {
        match l[..n] {
            [.., b' ' | b'\t' | b'\r'] => n -= 1,
            [.., 0xc2, 0xa0] => n -= 2,
            [.., 0xe3, 0x80, 0x80] => n -= 3,
            _ => return n,
        }
    }
}

/// The line without its indent/quote prefix and trailing whitespace.
pub fn core(l: &[u8]) -> &[u8] {
    let p = prefix_len(l);
    let rest = &l[p..];
    &rest[..trimmed_end(rest)]
}

/// Finds the next line (starting at or after a given offset) that satisfies a fixed
/// predicate. The answer is remembered, so asking again from any offset up to that line
/// costs nothing, and a search that found nothing is never repeated: all searches together
/// read each line at most once.
pub struct NextLine {
    /// Bytes before this offset have been searched.
    searched: usize,
    /// Start and end (after its line ending) of the last line found.
    found: Option<(usize, usize)>,
    exhausted: bool,
}

impl NextLine {
    /// A search that has looked at nothing yet.
    pub fn new() -> Self {
        NextLine {
            searched: 0,
            found: None,
            exhausted: false,
        }
    }

    /// The first line starting at offset `from` or later for which `pred` holds.
    pub fn find<'a>(
        &mut self,
        data: &'a [u8],
        from: usize,
        pred: impl Fn(&[u8]) -> bool,
    ) -> Option<Line<'a>> {
        if let Some((start, _)) = self.found
            && start >= from
        {
            return at(data, start);
        }
        if self.exhausted {
            return None;
        }
        match self::from(data, from.max(self.searched)).find(|l| pred(l.text)) {
            Some(l) => {
                self.searched = l.next.max(l.start + 1);
                self.found = Some((l.start, l.next));
                Some(l)
            }
            None => {
                self.searched = data.len();
                self.exhausted = true;
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_and_core() {
        assert_eq!(core(b"> > | \tQUJD  "), b"QUJD");
        assert_eq!(core("\u{3000}\u{a0}QUJD\u{a0}".as_bytes()), b"QUJD");
        assert_eq!(core(b"   "), b"");
    }

    #[test]
    fn next_line_remembers() {
        let text = b"a\nEND\nb\nc\n";
        let mut n = NextLine::new();
        let start = |l: Option<Line<'_>>| l.map(|l| l.start);
        assert_eq!(start(n.find(text, 0, |l| l == b"END")), Some(2));
        assert_eq!(start(n.find(text, 2, |l| l == b"END")), Some(2));
        assert_eq!(start(n.find(text, 6, |l| l == b"END")), None);
        assert_eq!(start(n.find(text, 8, |l| l == b"END")), None);
    }

    #[test]
    fn lines_one_at_a_time() {
        let text = b"a\r\n\nb";
        let all: Vec<&[u8]> = from(text, 0).map(|l| l.text).collect();
        assert_eq!(all, [&b"a"[..], b"", b"b"]);
        assert!(at(text, text.len()).is_none());
    }
}
