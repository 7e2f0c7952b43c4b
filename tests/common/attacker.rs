//! An attacker's decoder: everything a sender could ask a reader to do with the text of a
//! sanitised body ("decode this") — base64 at every alignment in either alphabet, hex
//! (runs, byte lists, `xxd -r`), uudecode, yEnc, Ascii85, quoted-printable, UTF-7 — with
//! indentation and `>`/`|` quote prefixes ignored. Independent of the crate's own decoders,
//! so that a bug there cannot hide a leak here.

/// Asserts that no way of decoding `body` reveals `payload`.
pub fn assert_not_decodable(body: &str, payload: &str, context: &str) {
    let p = payload.as_bytes();
    let text = unquoted(body);
    let ways: [(&str, Vec<Vec<u8>>); 8] = [
        ("base64", base64_all(&text)),
        ("hex", hex_all(&text)),
        ("xxd -r", vec![xxd_reverse(&text)]),
        ("uudecode", vec![uu_all(&text)]),
        ("yEnc", vec![yenc_all(&text)]),
        ("Ascii85", ascii85_all(&text)),
        ("quoted-printable", vec![qp(&text)]),
        ("UTF-7", vec![utf7(&text)]),
    ];
    for (how, outputs) in ways {
        for out in outputs {
            assert!(
                memchr::memmem::find(&out, p).is_none(),
                "{context}: payload {payload:?} revealed by {how} decoding of the body"
            );
        }
    }
}

/// The body without invisible characters (zero-width space…), every line's indent and quote
/// prefix (spaces, tabs, `>`, `|`) removed.
fn unquoted(body: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(body.len());
    let invisible = [
        '\u{200b}', '\u{200c}', '\u{200d}', '\u{2060}', '\u{feff}', '\u{ad}',
    ];
    let body = body.replace(invisible, "");
    for line in body.split('\n') {
        let l = line.trim_start_matches([' ', '\t', '>', '|', '\u{3000}', '\u{a0}']);
        out.extend_from_slice(l.trim_end().as_bytes());
        out.push(b'\n');
    }
    out
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

/// Runs of characters accepted by `keep`, whitespace inside a run ignored.
fn runs(text: &[u8], keep: impl Fn(u8) -> bool) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut cur = Vec::new();
    for &b in text {
        if keep(b) {
            cur.push(b);
        } else if b.is_ascii_whitespace() {
            continue;
        } else if !cur.is_empty() {
            out.push(std::mem::take(&mut cur));
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// Base64 (both alphabets; `=` ends a group) of every run, at all four alignments.
fn base64_all(text: &[u8]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for run in runs(text, |b| b64_value(b).is_some() || b == b'=') {
        for shift in 0..4.min(run.len()) {
            let mut dec = Vec::new();
            let (mut acc, mut n) = (0u32, 0);
            for &b in &run[shift..] {
                let Some(v) = b64_value(b) else {
                    acc = 0;
                    n = 0;
                    continue;
                };
                acc = acc << 6 | v;
                n += 1;
                if n == 4 {
                    dec.extend_from_slice(&[(acc >> 16) as u8, (acc >> 8) as u8, acc as u8]);
                    n = 0;
                }
            }
            match n {
                2 => dec.push((acc >> 4) as u8),
                3 => dec.extend_from_slice(&[(acc >> 10) as u8, (acc >> 2) as u8]),
                _ => {}
            }
            out.push(dec);
        }
    }
    out
}

fn hex_digit(b: u8) -> Option<u8> {
    (b as char).to_digit(16).map(|d| d as u8)
}

fn hex_pairs(digits: &[u8]) -> Vec<u8> {
    digits
        .chunks_exact(2)
        .filter_map(|p| Some(hex_digit(p[0])? << 4 | hex_digit(p[1])?))
        .collect()
}

/// Hex runs (separators `:` `,` and `0x`/`\x` prefixes dropped), at both nibble alignments.
fn hex_all(text: &[u8]) -> Vec<Vec<u8>> {
    let s = String::from_utf8_lossy(text)
        .replace("0x", "")
        .replace("0X", "")
        .replace("\\x", "");
    let mut out = Vec::new();
    for run in runs(s.as_bytes(), |b| {
        b.is_ascii_hexdigit() || b == b':' || b == b','
    }) {
        let digits: Vec<u8> = run.into_iter().filter(u8::is_ascii_hexdigit).collect();
        out.push(hex_pairs(&digits));
        if digits.len() > 1 {
            out.push(hex_pairs(&digits[1..]));
        }
    }
    out
}

/// `xxd -r`: every `offset: hex hex …  ascii` line's hex groups, concatenated.
fn xxd_reverse(text: &[u8]) -> Vec<u8> {
    let mut digits = Vec::new();
    for line in text.split(|&b| b == b'\n') {
        let Some(colon) = line.iter().position(|&b| b == b':') else {
            continue;
        };
        if colon == 0 || !line[..colon].iter().all(u8::is_ascii_hexdigit) {
            continue;
        }
        let rest = &line[colon + 1..];
        let hex_part = rest
            .windows(2)
            .position(|w| w == b"  ")
            .map_or(rest, |p| &rest[..p]);
        digits.extend(hex_part.iter().copied().filter(u8::is_ascii_hexdigit));
    }
    hex_pairs(&digits)
}

/// Every line decoded as a uuencode data line, concatenated (with or without begin/end).
fn uu_all(text: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    for line in text.split(|&b| b == b'\n') {
        let Some((&first, data)) = line.split_first() else {
            continue;
        };
        if !line.iter().all(|b| (b' '..=b'`').contains(b)) {
            continue;
        }
        let n = ((first - b' ') & 0x3f) as usize;
        let start = out.len();
        for c in data.chunks(4) {
            let v = |i: usize| (c.get(i).map_or(0, |&b| b.wrapping_sub(b' ')) & 0x3f) as u32;
            let acc = v(0) << 18 | v(1) << 12 | v(2) << 6 | v(3);
            out.extend_from_slice(&[(acc >> 16) as u8, (acc >> 8) as u8, acc as u8]);
        }
        out.truncate(start + n.min(out.len() - start));
    }
    out
}

/// yEnc: every character (as the byte of its code point) minus 42, escapes honoured.
fn yenc_all(text: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut esc = false;
    for c in String::from_utf8_lossy(text).chars() {
        let b = c as u32 as u8;
        match b {
            b'\n' => esc = false,
            b'=' if !esc => esc = true,
            _ if esc => {
                out.push(b.wrapping_sub(106));
                esc = false;
            }
            _ => out.push(b.wrapping_sub(42)),
        }
    }
    out
}

/// Ascii85 from every `<~`, whitespace ignored, up to `~>` or the alphabet's end.
fn ascii85_all(text: &[u8]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for (i, w) in text.windows(2).enumerate() {
        if w != b"<~" {
            continue;
        }
        let mut dec = Vec::new();
        let mut group = Vec::new();
        let value = |g: &[u64]| g.iter().fold(0u64, |a, &d| a * 85 + d) as u32;
        for &b in &text[i + 2..] {
            match b {
                b'z' if group.is_empty() => dec.extend_from_slice(&[0; 4]),
                b'!'..=b'u' => group.push(u64::from(b - b'!')),
                _ if b.is_ascii_whitespace() => continue,
                _ => break,
            }
            if group.len() == 5 {
                dec.extend_from_slice(&value(&group).to_be_bytes());
                group.clear();
            }
        }
        if group.len() > 1 {
            let n = group.len() - 1;
            group.resize(5, 84);
            dec.extend_from_slice(&value(&group).to_be_bytes()[..n]);
        }
        out.push(dec);
    }
    out
}

/// Quoted-printable: `=XX` escapes and soft line breaks.
fn qp(text: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < text.len() {
        if text[i] == b'=' {
            if let (Some(h), Some(l)) = (
                text.get(i + 1).copied().and_then(hex_digit),
                text.get(i + 2).copied().and_then(hex_digit),
            ) {
                out.push(h << 4 | l);
                i += 3;
                continue;
            }
            if text.get(i + 1) == Some(&b'\n') {
                i += 2;
                continue;
            }
        }
        out.push(text[i]);
        i += 1;
    }
    out
}

/// UTF-7: every `+…-` shift sequence decoded from modified base64 of UTF-16BE.
fn utf7(text: &[u8]) -> Vec<u8> {
    let mut out = String::new();
    let mut i = 0;
    while i < text.len() {
        if text[i] != b'+' {
            out.push(text[i] as char);
            i += 1;
            continue;
        }
        let run: Vec<u32> = text[i + 1..]
            .iter()
            .map_while(|&b| {
                if b == b'-' || b == b'_' {
                    None
                } else {
                    b64_value(b)
                }
            })
            .collect();
        i += 1 + run.len();
        let mut bytes = Vec::new();
        let (mut acc, mut bits) = (0u32, 0);
        for v in run {
            acc = acc << 6 | v;
            bits += 6;
            if bits >= 8 {
                bits -= 8;
                bytes.push((acc >> bits) as u8);
            }
        }
        let units: Vec<u16> = bytes
            .chunks_exact(2)
            .map(|c| u16::from_be_bytes([c[0], c[1]]))
            .collect();
        out.push_str(&String::from_utf16_lossy(&units));
    }
    out.into_bytes()
}
