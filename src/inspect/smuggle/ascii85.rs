//! Ascii85 blocks (`<~ … ~>`, also without the closing `~>`), found in one forward pass.

use memchr::memmem;

use super::Smuggled;
use super::blocks::UNKNOWN_BINARY_MIN;
use super::judge::{Verdict, judge};
use crate::parse::transfer;

fn quote_byte(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'>' | b'|')
}

/// Every `<~` block that decodes to a payload. A block ends at `~>` or at the first byte
/// outside the alphabet; continuation lines lose the quote prefix the opening line had.
pub fn find(text: &[u8]) -> Vec<Smuggled> {
    let mut found = Vec::new();
    let mut pos = 0;
    // Start of the line holding `pos`, kept up to date without looking back twice.
    let mut line_start = 0;
    while let Some(at) = memmem::find(&text[pos..], b"<~") {
        let start = pos + at;
        if let Some(nl) = memchr::memrchr(b'\n', &text[pos..start]) {
            line_start = pos + nl + 1;
        }
        let prefix = &text[line_start..start];
        let quoted = !prefix.is_empty() && prefix.iter().all(|&b| quote_byte(b));
        let (chars, end) = body(text, start + 2, quoted);
        pos = end.max(start + 2);
        let data = transfer::ascii85(&chars);
        let cut = match judge(&data) {
            Verdict::Dangerous(_) => true,
            Verdict::Binary => data.len() >= UNKNOWN_BINARY_MIN,
            Verdict::Text => false,
        };
        if cut {
            found.push(Smuggled {
                range: start..end,
                kind: "ascii85",
                name: None,
                data,
            });
        }
        // `pos` may have passed newlines inside the block.
        if let Some(nl) = memchr::memrchr(b'\n', &text[start..pos]) {
            line_start = start + nl + 1;
        }
    }
    found
}

/// The alphabet characters of a block whose body starts at `from`, and the end of the block.
/// An unclosed block ends at its first blank line at the latest.
fn body(text: &[u8], from: usize, quoted: bool) -> (Vec<u8>, usize) {
    let mut chars = Vec::new();
    let mut para: Option<(usize, usize)> = None;
    let mut j = from;
    let unclosed = |mut chars: Vec<u8>, end: usize, para: Option<(usize, usize)>| match para {
        Some((at, n)) => {
            chars.truncate(n);
            (chars, at)
        }
        None => (chars, end),
    };
    while j < text.len() {
        let b = text[j];
        match b {
            b'~' if text.get(j + 1) == Some(&b'>') => return (chars, j + 2),
            b'\n' => {
                j += 1;
                while quoted && j < text.len() && quote_byte(text[j]) {
                    j += 1;
                }
                if para.is_none()
                    && text[j..].iter().find(|b| **b != b' ' && **b != b'\t') == Some(&b'\n')
                {
                    para = Some((j, chars.len()));
                }
                continue;
            }
            b'z' | b'!'..=b'u' => chars.push(b),
            b if b.is_ascii_whitespace() => {}
            _ => return unclosed(chars, j, para),
        }
        j += 1;
    }
    unclosed(chars, j, para)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unterminated_block_ends_at_alphabet_end() {
        let (chars, end) = body(b"87cUR\n> D]i,vwx", 0, true);
        assert_eq!(chars, b"87cURD]i,");
        assert_eq!(end, 12);
    }
}
