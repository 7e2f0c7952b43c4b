//! Content-Transfer-Encoding decoders: base64 (SIMD, with a tolerant fallback),
//! quoted-printable and uuencode. All are total: any input decodes to something.

use memchr::memchr;

use crate::budget::Deadline;

/// Content-Transfer-Encoding of a part.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransferEncoding {
    /// 7bit, 8bit, binary or absent: the bytes are the content.
    Identity,
    /// base64.
    Base64,
    /// quoted-printable.
    QuotedPrintable,
    /// x-uuencode and friends.
    Uuencode,
    /// Anything else: decoded as identity, flagged.
    Unknown,
}

/// Decodes `body` according to `encoding`. Identity and unknown encodings return a copy.
pub fn decode(body: &[u8], encoding: TransferEncoding) -> Vec<u8> {
    decode_until(body, encoding, Deadline::never()).unwrap_or_default()
}

/// Decodes `body` like [`decode`], giving up (`None`) when `deadline` passes first.
///
/// ```
/// use std::time::Instant;
/// use mugai::budget::Deadline;
/// use mugai::parse::transfer::{TransferEncoding, decode_until};
/// let qp = b"a=3Db\r\n".repeat(10_000);
/// assert!(decode_until(&qp, TransferEncoding::QuotedPrintable, Deadline::never()).is_some());
/// let past = Deadline::at(Instant::now());
/// assert!(decode_until(&qp, TransferEncoding::QuotedPrintable, past).is_none());
/// ```
pub fn decode_until(
    body: &[u8],
    encoding: TransferEncoding,
    deadline: Deadline,
) -> Option<Vec<u8>> {
    match encoding {
        TransferEncoding::Base64 => base64_until(body, deadline),
        TransferEncoding::QuotedPrintable => quoted_printable_until(body, deadline),
        TransferEncoding::Uuencode => {
            uudecode_until(body, deadline).map(|found| found.map(|(_, d)| d).unwrap_or_default())
        }
        TransferEncoding::Identity | TransferEncoding::Unknown => Some(body.to_vec()),
    }
}

/// Decodes base64, ignoring whitespace; input with stray characters, missing padding or
/// data after padding is decoded by a tolerant scalar decoder that skips what is not base64.
///
/// ```
/// assert_eq!(mugai::parse::transfer::base64(b"aGVs\r\nbG8=\r\n"), b"hello");
/// assert_eq!(mugai::parse::transfer::base64(b"aGVs*bG8"), b"hello");
/// ```
pub fn base64(body: &[u8]) -> Vec<u8> {
    base64_until(body, Deadline::never()).unwrap_or_default()
}

/// [`base64`] with a deadline (the SIMD pass runs at memory speed; the tolerant fallback
/// checks the deadline).
fn base64_until(body: &[u8], deadline: Deadline) -> Option<Vec<u8>> {
    if deadline.passed() {
        return None;
    }
    match base64_simd::forgiving_decode_to_vec(body) {
        Ok(v) => Some(v),
        Err(_) => base64_tolerant(body, deadline),
    }
}

fn b64_value(b: u8) -> Option<u32> {
    Some(match b {
        b'A'..=b'Z' => b - b'A',
        b'a'..=b'z' => b - b'a' + 26,
        b'0'..=b'9' => b - b'0' + 52,
        b'+' | b'-' => 62,
        b'/' | b'_' => 63,
        _ => return None,
    } as u32)
}

/// Decodes base64 in either alphabet (standard `+/` or URL-safe `-_`, also mixed), skipping
/// every character that is not base64; `=` ends a group and whatever follows is a new run.
///
/// ```
/// assert_eq!(mugai::parse::transfer::base64_lenient(b"aGk-_w"), b"hi\x3e\xff");
/// ```
pub fn base64_lenient(body: &[u8]) -> Vec<u8> {
    base64_tolerant(body, Deadline::never()).unwrap_or_default()
}

fn base64_tolerant(body: &[u8], deadline: Deadline) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(body.len() / 4 * 3 + 3);
    let mut acc = 0u32;
    let mut n = 0;
    let flush = |out: &mut Vec<u8>, acc: u32, n: usize| match n {
        2 => out.push((acc >> 4) as u8),
        3 => out.extend_from_slice(&[(acc >> 10) as u8, (acc >> 2) as u8]),
        _ => {}
    };
    let mut ticker = deadline.ticker();
    for &b in body {
        if ticker.tick() {
            return None;
        }
        if b == b'=' {
            // Padding ends a group; whatever follows is a new run.
            flush(&mut out, acc, n);
            acc = 0;
            n = 0;
            continue;
        }
        let Some(v) = b64_value(b) else { continue };
        acc = (acc << 6) | v;
        n += 1;
        if n == 4 {
            out.extend_from_slice(&[(acc >> 16) as u8, (acc >> 8) as u8, acc as u8]);
            acc = 0;
            n = 0;
        }
    }
    flush(&mut out, acc, n);
    Some(out)
}

fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'A'..=b'F' => Some(b - b'A' + 10),
        b'a'..=b'f' => Some(b - b'a' + 10),
        _ => None,
    }
}

/// Decodes quoted-printable: `=XX` escapes, soft line breaks (`=` at line end, with trailing
/// whitespace tolerated); a malformed `=` is kept as is.
///
/// ```
/// assert_eq!(mugai::parse::transfer::quoted_printable(b"a=3Db=\r\nc=\nd"), b"a=bcd");
/// ```
pub fn quoted_printable(body: &[u8]) -> Vec<u8> {
    quoted_printable_until(body, Deadline::never()).unwrap_or_default()
}

fn quoted_printable_until(body: &[u8], deadline: Deadline) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(body.len());
    let mut pos = 0;
    let mut ticker = deadline.ticker();
    while let Some(i) = memchr(b'=', &body[pos..]) {
        if ticker.tick() {
            return None;
        }
        let eq = pos + i;
        out.extend_from_slice(&body[pos..eq]);
        let rest = &body[eq + 1..];
        if let (Some(h), Some(l)) = (
            rest.first().copied().and_then(hex_value),
            rest.get(1).copied().and_then(hex_value),
        ) {
            out.push(h << 4 | l);
            pos = eq + 3;
            continue;
        }
        // Soft line break: '=' then optional spaces/tabs then CRLF or LF (or end of input).
        let ws = rest
            .iter()
            .take_while(|&&b| b == b' ' || b == b'\t')
            .count();
        match &rest[ws..] {
            [b'\r', b'\n', ..] => pos = eq + 1 + ws + 2,
            [b'\n', ..] => pos = eq + 1 + ws + 1,
            [] => pos = body.len(),
            _ => {
                out.push(b'=');
                pos = eq + 1;
            }
        }
    }
    out.extend_from_slice(&body[pos..]);
    Some(out)
}

/// Decodes hex digit pairs, skipping everything that is not a hex digit (spaces, `0x`
/// prefixes are *not* skipped: strip them first); an odd last digit is dropped.
///
/// ```
/// assert_eq!(mugai::parse::transfer::hex(b"4d 5A:90"), b"MZ\x90");
/// ```
pub fn hex(text: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len() / 2);
    let mut high: Option<u8> = None;
    for v in text.iter().filter_map(|&b| hex_value(b)) {
        match high.take() {
            Some(h) => out.push(h << 4 | v),
            None => high = Some(v),
        }
    }
    out
}

/// Decodes Ascii85 (the body between `<~` and `~>`, delimiters excluded): groups of five
/// characters `!`..`u`, `z` for four zero bytes, whitespace ignored, a short last group
/// padded; decoding stops at `~` or at any other character outside the alphabet.
///
/// ```
/// assert_eq!(mugai::parse::transfer::ascii85(b"87cURD]i,\"Ebo80"), b"Hello World!");
/// ```
pub fn ascii85(text: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len() / 5 * 4 + 4);
    let mut group = [0u8; 5];
    let mut n = 0;
    for &b in text {
        match b {
            b'z' if n == 0 => out.extend_from_slice(&[0; 4]),
            b'!'..=b'u' => {
                group[n] = b - b'!';
                n += 1;
                if n == 5 {
                    out.extend_from_slice(&a85_group(&group));
                    n = 0;
                }
            }
            b if b.is_ascii_whitespace() => {}
            _ => break,
        }
    }
    if n > 1 {
        for g in group.iter_mut().skip(n) {
            *g = 84;
        }
        out.extend_from_slice(&a85_group(&group)[..n - 1]);
    }
    out
}

fn a85_group(g: &[u8; 5]) -> [u8; 4] {
    let v = g
        .iter()
        .fold(0u64, |acc, &d| acc * 85 + u64::from(d))
        .min(u64::from(u32::MAX)) as u32;
    v.to_be_bytes()
}

/// Decodes one uuencoded data line (length character, then groups of four characters) and
/// appends the bytes to `out`; returns `false` for a line that is not uuencode.
pub fn uudecode_line(line: &[u8], out: &mut Vec<u8>) -> bool {
    let Some((&len_char, data)) = line.split_first() else {
        return false;
    };
    if !(b' '..=b'`').contains(&len_char) {
        return false;
    }
    let len = (len_char.wrapping_sub(b' ') & 0x3f) as usize;
    let start = out.len();
    for chunk in data.chunks(4) {
        let v = |i: usize| (chunk.get(i).copied().unwrap_or(b' ').wrapping_sub(b' ') & 0x3f) as u32;
        let acc = v(0) << 18 | v(1) << 12 | v(2) << 6 | v(3);
        out.extend_from_slice(&[(acc >> 16) as u8, (acc >> 8) as u8, acc as u8]);
    }
    out.truncate(start + len.min(out.len() - start));
    true
}

/// Decodes the first uuencoded block in `text` (`begin MODE NAME` … `end`). Returns the file
/// name and the decoded bytes, or `None` if there is no `begin` line.
pub fn uudecode(text: &[u8]) -> Option<(String, Vec<u8>)> {
    uudecode_until(text, Deadline::never()).flatten()
}

/// [`uudecode`] with a deadline: `None` when it passed first, `Some(None)` without `begin`.
fn uudecode_until(text: &[u8], deadline: Deadline) -> Option<Option<(String, Vec<u8>)>> {
    let mut lines = super::lines::lines(text);
    let mut ticker = deadline.ticker();
    let name = loop {
        if ticker.tick() {
            return None;
        }
        let Some(line) = lines.next() else {
            return Some(None);
        };
        if let Some(rest) = line.strip_prefix(b"begin ") {
            let mut parts = rest.splitn(2, |&b| b == b' ');
            let _mode = parts.next();
            break String::from_utf8_lossy(parts.next().unwrap_or(b""))
                .trim()
                .to_owned();
        }
    };
    let mut out = Vec::new();
    for line in lines {
        if ticker.tick() {
            return None;
        }
        if line.trim_ascii_end() == b"end" {
            break;
        }
        uudecode_line(line, &mut out);
    }
    Some(Some((name, out)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uu_round_trip() {
        // "Cat" uuencoded.
        let (name, data) = uudecode(b"begin 644 cat.txt\n#0V%T\n`\nend\n").unwrap();
        assert_eq!(name, "cat.txt");
        assert_eq!(data, b"Cat");
    }

    #[test]
    fn qp_malformed_equals_kept() {
        assert_eq!(quoted_printable(b"a=zz"), b"a=zz");
        assert_eq!(quoted_printable(b"end="), b"end");
    }

    #[test]
    fn ascii85_and_hex() {
        assert_eq!(ascii85(b"z!!"), b"\0\0\0\0\0");
        assert_eq!(ascii85(b"87cUR D]i,\n\"Ebo80~>junk"), b"Hello World!");
        assert_eq!(hex(b"0a0B0"), b"\x0a\x0b");
    }

    #[test]
    fn base64_garbage_after_padding() {
        assert_eq!(base64(b"aGk=\r\naGk="), b"hihi");
    }
}
