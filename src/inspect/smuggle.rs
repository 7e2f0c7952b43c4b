//! Encoded payloads hidden in text parts: uuencode, yEnc, BinHex 4.0, and long base64 blocks
//! that decode to binary content. Each is found as a byte range of the (transfer-decoded)
//! text, so the caller can cut it out and list it like an attachment.

use std::ops::Range;

use super::sniff;
use crate::parse::transfer;

/// One payload found in a text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Smuggled {
    /// Byte range of the whole block (whole lines, including the last line ending).
    pub range: Range<usize>,
    /// `uuencode`, `yenc`, `binhex` or `base64`.
    pub kind: &'static str,
    /// File name given in the block, if any.
    pub name: Option<String>,
    /// The decoded payload (for BinHex: the encoded data, which is not decoded).
    pub data: Vec<u8>,
}

/// A line with its byte range (without line ending) and the offset after its line ending.
struct Line<'a> {
    text: &'a [u8],
    start: usize,
    next: usize,
}

fn split_lines(data: &[u8]) -> Vec<Line<'_>> {
    let mut out = Vec::new();
    let mut pos = 0;
    while pos < data.len() {
        let end = memchr::memchr(b'\n', &data[pos..]).map_or(data.len(), |i| pos + i);
        let next = (end + 1).min(data.len());
        let mut text = &data[pos..end];
        if let Some(t) = text.strip_suffix(b"\r") {
            text = t;
        }
        out.push(Line {
            text,
            start: pos,
            next,
        });
        pos = next.max(end + 1);
    }
    out
}

fn is_base64_line(l: &[u8]) -> bool {
    l.len() >= 40
        && l.len() <= 200
        && l.iter()
            .all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'='))
}

/// Finds hidden payloads in `text`. Cheap when there are none: only lines that start like a
/// block are looked at closely.
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
    let quick = memchr::memmem::find(text, b"begin ").is_some()
        || memchr::memmem::find(text, b"=ybegin").is_some()
        || memchr::memmem::find(text, b"BinHex").is_some()
        || text.len() >= 160;
    if !quick {
        return Vec::new();
    }
    let lines = split_lines(text);
    let mut found = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let l = lines[i].text;
        // uuencode
        if let Some(rest) = l.strip_prefix(b"begin ") {
            let mode_ok = rest.len() > 4
                && rest[..3].iter().all(|b| (b'0'..=b'7').contains(b))
                && (rest[3] == b' ' || (rest[3].is_ascii_digit() && rest.get(4) == Some(&b' ')));
            if mode_ok
                && let Some(end) =
                    (i + 1..lines.len()).find(|&j| lines[j].text.trim_ascii_end() == b"end")
            {
                let range = lines[i].start..lines[end].next;
                let (name, data) = transfer::uudecode(&text[range.clone()]).unwrap_or_default();
                found.push(Smuggled {
                    range,
                    kind: "uuencode",
                    name: Some(name).filter(|n| !n.is_empty()),
                    data,
                });
                i = end + 1;
                continue;
            }
        }
        // yEnc
        if l.starts_with(b"=ybegin ") {
            let end = (i + 1..lines.len())
                .find(|&j| lines[j].text.starts_with(b"=yend"))
                .unwrap_or(lines.len() - 1);
            let name = l
                .windows(5)
                .position(|w| w == b"name=")
                .map(|p| String::from_utf8_lossy(&l[p + 5..]).trim().to_owned());
            let mut data = Vec::new();
            for line in &lines[i + 1..end] {
                if line.text.starts_with(b"=ypart ") {
                    continue;
                }
                let mut esc = false;
                for &b in line.text {
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
            found.push(Smuggled {
                range: lines[i].start..lines[end].next,
                kind: "yenc",
                name,
                data,
            });
            i = end + 1;
            continue;
        }
        // BinHex 4.0
        if memchr::memmem::find(l, b"(This file must be converted with BinHex").is_some() {
            let start = i;
            let mut j = i + 1;
            while j < lines.len() && lines[j].text.trim_ascii().is_empty() {
                j += 1;
            }
            if j < lines.len() && lines[j].text.starts_with(b":") {
                let mut end = j;
                while end < lines.len() {
                    let t = lines[end].text.trim_ascii_end();
                    if end > j && t.ends_with(b":")
                        || (end == j && t.len() > 1 && t.ends_with(b":"))
                    {
                        break;
                    }
                    end += 1;
                }
                let end = end.min(lines.len() - 1);
                let range = lines[start].start..lines[end].next;
                let data = text[lines[j].start..lines[end].next].to_vec();
                found.push(Smuggled {
                    range,
                    kind: "binhex",
                    name: None,
                    data,
                });
                i = end + 1;
                continue;
            }
        }
        // A long base64 block.
        if is_base64_line(l) {
            let mut end = i;
            while end + 1 < lines.len() && is_base64_line(lines[end + 1].text) {
                end += 1;
            }
            // A short last line is part of the block.
            if end + 1 < lines.len() {
                let t = lines[end + 1].text;
                if !t.is_empty()
                    && t.len() < 80
                    && t.iter()
                        .all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'='))
                {
                    end += 1;
                }
            }
            let total: usize = lines[i..=end].iter().map(|l| l.text.len()).sum();
            if end >= i + 3 && total >= 200 {
                let range = lines[i].start..lines[end].next;
                let data = transfer::base64(&text[range.clone()]);
                let kind = sniff::detect(&data);
                if kind != "text" {
                    found.push(Smuggled {
                        range,
                        kind: "base64",
                        name: None,
                        data,
                    });
                }
            }
            i = end + 1;
            continue;
        }
        i += 1;
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yenc_block() {
        let payload: Vec<u8> = b"MZhello".iter().map(|b| b.wrapping_add(42)).collect();
        let mut text = b"before\n=ybegin line=128 size=7 name=evil.bin\n".to_vec();
        text.extend_from_slice(&payload);
        text.extend_from_slice(b"\n=yend size=7\nafter\n");
        let f = find(&text);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].data, b"MZhello");
        assert_eq!(f[0].name.as_deref(), Some("evil.bin"));
        assert!(text[f[0].range.end..].starts_with(b"after"));
    }

    #[test]
    fn base64_pe_block_found_but_text_block_kept() {
        let mut pe = b"MZ".to_vec();
        pe.extend(std::iter::repeat_n(0u8, 400));
        let enc = base64_simd::STANDARD.encode_to_string(&pe);
        let mut text = b"see below\n".to_vec();
        for chunk in enc.as_bytes().chunks(76) {
            text.extend_from_slice(chunk);
            text.push(b'\n');
        }
        let f = find(&text);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].kind, "base64");

        let enc = base64_simd::STANDARD.encode_to_string("just some words ".repeat(40));
        let mut text = Vec::new();
        for chunk in enc.as_bytes().chunks(76) {
            text.extend_from_slice(chunk);
            text.push(b'\n');
        }
        assert!(find(&text).is_empty());
    }

    #[test]
    fn binhex_block() {
        let text = b"x\n(This file must be converted with BinHex 4.0)\n:!!!!!!!!\n!!!!!!!:\ny\n";
        let f = find(text);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].kind, "binhex");
        assert!(text[f[0].range.end..].starts_with(b"y"));
    }
}
