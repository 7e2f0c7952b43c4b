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

/// Splits `data` into lines in one pass.
pub fn split(data: &[u8]) -> Vec<Line<'_>> {
    let mut out = Vec::new();
    let mut pos = 0;
    while pos < data.len() {
        let end = memchr::memchr(b'\n', &data[pos..]).map_or(data.len(), |i| pos + i);
        let next = (end + 1).min(data.len());
        let text = &data[pos..end];
        let text = text.strip_suffix(b"\r").unwrap_or(text);
        out.push(Line {
            text,
            start: pos,
            next,
        });
        pos = end + 1;
    }
    out
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

/// Finds the next line (at or after a given index) that satisfies a fixed predicate. The
/// answer is remembered, so asking again from any index up to that line costs nothing, and
/// a search that found nothing is never repeated: all searches together read each line at
/// most once.
pub struct NextLine {
    /// Lines before this index have been searched.
    searched: usize,
    /// The last line found (valid while `found >= searched - 1`), or `None` if nothing
    /// matches from `searched` on.
    found: Option<usize>,
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

    /// The first line at index `from` or later for which `pred` holds.
    pub fn find(
        &mut self,
        lines: &[Line<'_>],
        from: usize,
        pred: impl Fn(&[u8]) -> bool,
    ) -> Option<usize> {
        if let Some(f) = self.found
            && f >= from
        {
            return Some(f);
        }
        if self.exhausted {
            return None;
        }
        let start = from.max(self.searched);
        match (start..lines.len()).find(|&j| pred(lines[j].text)) {
            Some(j) => {
                self.searched = j + 1;
                self.found = Some(j);
                Some(j)
            }
            None => {
                self.searched = lines.len();
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
        let lines = split(text);
        let mut n = NextLine::new();
        assert_eq!(n.find(&lines, 0, |l| l == b"END"), Some(1));
        assert_eq!(n.find(&lines, 1, |l| l == b"END"), Some(1));
        assert_eq!(n.find(&lines, 2, |l| l == b"END"), None);
        assert_eq!(n.find(&lines, 3, |l| l == b"END"), None);
    }
}
