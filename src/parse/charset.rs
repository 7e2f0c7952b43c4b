//! Charset labels, decoding and detection.
//!
//! Japanese mail is often labelled with names that neither encoding_rs nor mail-parser know
//! (`cp932`, `cp50220`, `iso-2022-jp-ms`, `x-sjis`…), or labelled wrongly (Shift_JIS bytes
//! labelled `iso-2022-jp`, 8-bit bytes labelled `us-ascii`, raw 8-bit header fields). This
//! module maps the aliases to the decoder that really fits (encoding_rs's Shift_JIS is
//! Windows-31J with the NEC and IBM extension characters; its ISO-2022-JP decoder uses the same
//! JIS X 0208 index, so CP5022x extension characters such as ① decode too) and detects the
//! charset from the bytes when the label cannot be trusted.

use std::borrow::Cow;

use encoding_rs::{EUC_JP, Encoding, ISO_2022_JP, SHIFT_JIS, UTF_8, WINDOWS_1252};

/// Resolves a charset label (case-insensitive, surrounding quotes and spaces ignored) to an
/// encoding, including the Japanese aliases used by real mail clients.
///
/// ```
/// use mugai::parse::charset::encoding_for_label;
/// assert_eq!(encoding_for_label(b"CP932").unwrap().name(), "Shift_JIS");
/// assert_eq!(encoding_for_label(b"iso-2022-jp-ms").unwrap().name(), "ISO-2022-JP");
/// assert!(encoding_for_label(b"no-such-charset").is_none());
/// ```
pub fn encoding_for_label(label: &[u8]) -> Option<&'static Encoding> {
    let label = trim_label(label);
    let lower: Vec<u8> = label.iter().map(|b| b.to_ascii_lowercase()).collect();
    let alias = match lower.as_slice() {
        b"cp932" | b"ms932" | b"windows-31j" | b"windows31j" | b"x-sjis" | b"sjis"
        | b"shift-jis" | b"x-ms-cp932" | b"ibm-943" | b"cp943" | b"sjis-open" | b"sjis-win"
        | b"shift_jisx0213" | b"shift_jis-2004" | b"x-sjis-cp932" => Some(SHIFT_JIS),
        b"cp50220"
        | b"cp50221"
        | b"cp50222"
        | b"iso-2022-jp-ms"
        | b"iso-2022-jp-1"
        | b"iso-2022-jp-2"
        | b"iso-2022-jp-3"
        | b"iso-2022-jp-2004"
        | b"iso-2022-jp-ext"
        | b"x-windows-iso2022jp"
        | b"jis"
        | b"csiso2022jp"
        | b"iso2022jp" => Some(ISO_2022_JP),
        b"eucjp-ms" | b"euc-jp-ms" | b"eucjpms" | b"cp51932" | b"euc-jis-2004"
        | b"euc-jisx0213" | b"x-euc-jp" | b"eucjp" | b"ujis" => Some(EUC_JP),
        b"utf8" | b"utf-8" | b"x-unicode20utf8" => Some(UTF_8),
        b"us-ascii" | b"ascii" | b"ansi_x3.4-1968" | b"iso-646" => Some(WINDOWS_1252),
        _ => None,
    };
    alias.or_else(|| Encoding::for_label_no_replacement(&lower))
}

fn trim_label(label: &[u8]) -> &[u8] {
    let mut l = label;
    while let [first, rest @ ..] = l {
        if first.is_ascii_whitespace() || *first == b'"' || *first == b'\'' {
            l = rest;
        } else {
            break;
        }
    }
    while let [rest @ .., last] = l {
        if last.is_ascii_whitespace() || *last == b'"' || *last == b'\'' {
            l = rest;
        } else {
            break;
        }
    }
    // RFC 2231 language suffix: `utf-8*ja`.
    match l.iter().position(|&b| b == b'*') {
        Some(i) => &l[..i],
        None => l,
    }
}

/// How a piece of text was decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decoded {
    /// Encoding actually used.
    pub encoding: &'static Encoding,
    /// The label was missing, unknown or did not fit the bytes, so the charset was detected.
    pub detected: bool,
    /// Some bytes could not be decoded and were replaced with U+FFFD.
    pub had_errors: bool,
}

/// Decodes `bytes` labelled `label` (None when unlabelled) to UTF-8.
///
/// The label is trusted when it fits the bytes: pure 7-bit input labelled with an 8-bit
/// charset is fine; 8-bit bytes under a 7-bit label (`us-ascii`, `iso-2022-jp`), an unknown
/// label, or bytes that are invalid for the label make the charset be detected instead.
///
/// ```
/// use mugai::parse::charset::decode;
/// // Shift_JIS bytes for "①テスト" mislabelled as ISO-2022-JP.
/// let sjis = b"\x87\x40\x83\x65\x83\x58\x83\x67";
/// let (text, how) = decode(sjis, Some(b"iso-2022-jp"));
/// assert_eq!(text, "①テスト");
/// assert!(how.detected);
/// ```
pub fn decode<'a>(bytes: &'a [u8], label: Option<&[u8]>) -> (Cow<'a, str>, Decoded) {
    let labelled = label.and_then(encoding_for_label);
    let is_ascii = bytes.is_ascii();
    if let Some(enc) = labelled {
        let seven_bit_label = enc == ISO_2022_JP
            || label.is_some_and(|l| {
                let l = trim_label(l);
                l.eq_ignore_ascii_case(b"us-ascii") || l.eq_ignore_ascii_case(b"ascii")
            });
        if !seven_bit_label || is_ascii {
            if let Some(text) = enc.decode_without_bom_handling_and_without_replacement(bytes) {
                return (
                    text,
                    Decoded {
                        encoding: enc,
                        detected: false,
                        had_errors: false,
                    },
                );
            }
            // Invalid for its label. Another charset that decodes cleanly is the real one
            // (mislabelled mail); otherwise keep the label and replace what is invalid
            // (binary junk inside otherwise good text).
            let other = detect(bytes);
            let clean_elsewhere = other != enc
                && other
                    .decode_without_bom_handling_and_without_replacement(bytes)
                    .is_some();
            if !clean_elsewhere {
                let (text, _) = enc.decode_without_bom_handling(bytes);
                return (
                    text,
                    Decoded {
                        encoding: enc,
                        detected: false,
                        had_errors: true,
                    },
                );
            }
        }
    }
    if is_ascii && !bytes.contains(&0x1b) {
        // Plain ASCII: every ASCII-compatible decoding agrees.
        let text = std::str::from_utf8(bytes)
            .map(Cow::Borrowed)
            .unwrap_or_default();
        return (
            text,
            Decoded {
                encoding: labelled.unwrap_or(UTF_8),
                detected: labelled.is_none() && label.is_some(),
                had_errors: false,
            },
        );
    }
    let enc = detect(bytes);
    let (text, had_errors) = enc.decode_without_bom_handling(bytes);
    (
        text,
        Decoded {
            encoding: enc,
            detected: true,
            had_errors,
        },
    )
}

/// Guesses the charset of bytes that carry no trustworthy label: UTF-8 when valid,
/// ISO-2022-JP when escape sequences are present, otherwise Shift_JIS or EUC-JP by which
/// decodes cleanly into more Japanese, and Windows-1252 as the last resort.
pub fn detect(bytes: &[u8]) -> &'static Encoding {
    if std::str::from_utf8(bytes).is_ok() {
        if bytes
            .windows(3)
            .any(|w| w == b"\x1b$B" || w == b"\x1b$@" || w == b"\x1b(J")
        {
            return ISO_2022_JP;
        }
        return UTF_8;
    }
    let score = |enc: &'static Encoding| -> Option<usize> {
        let text = enc.decode_without_bom_handling_and_without_replacement(bytes)?;
        Some(
            text.chars()
                .filter(
                    |c| matches!(*c as u32, 0x3040..=0x30FF | 0x4E00..=0x9FFF | 0xFF01..=0xFF9F),
                )
                .count(),
        )
    };
    match (score(SHIFT_JIS), score(EUC_JP)) {
        (Some(s), Some(e)) if e > s => EUC_JP,
        (Some(_), _) => SHIFT_JIS,
        (None, Some(_)) => EUC_JP,
        (None, None) => {
            // Decodes with errors either way: take the one with fewer replacement characters.
            let errs = |enc: &'static Encoding| {
                enc.decode_without_bom_handling(bytes)
                    .0
                    .chars()
                    .filter(|&c| c == '\u{FFFD}')
                    .count()
            };
            let (s, e, u) = (errs(SHIFT_JIS), errs(EUC_JP), errs(UTF_8));
            if u <= s && u <= e {
                UTF_8
            } else if s <= e {
                SHIFT_JIS
            } else if e < usize::MAX {
                EUC_JP
            } else {
                WINDOWS_1252
            }
        }
    }
}

/// The encodings that are not ASCII-compatible and therefore cannot go through [`decode`]
/// (or any byte-level scanner) as they are: UTF-16 (either byte order) and UTF-7.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wide {
    /// UTF-16, little-endian.
    Utf16Le,
    /// UTF-16, big-endian.
    Utf16Be,
    /// UTF-7 (RFC 2152).
    Utf7,
}

impl Wide {
    /// The name used in warnings.
    pub fn name(self) -> &'static str {
        match self {
            Wide::Utf16Le => "UTF-16LE",
            Wide::Utf16Be => "UTF-16BE",
            Wide::Utf7 => "UTF-7",
        }
    }
}

/// Which non-ASCII-compatible encoding `bytes` are in, judged by content first: a UTF-16
/// byte order mark wins over any label; otherwise a UTF-16 or UTF-7 label is followed (a
/// `utf-16` label without a BOM takes the byte order the zero bytes show, big-endian on a
/// tie as RFC 2781 says). UTF-7 is only accepted for 7-bit data. `None`: an ASCII-compatible
/// charset, for [`decode`].
///
/// ```
/// use mugai::parse::charset::{wide_encoding, Wide};
/// assert_eq!(wide_encoding(b"\xff\xfeA\x00", Some(b"utf-8")), Some(Wide::Utf16Le));
/// assert_eq!(wide_encoding(b"+MEIwpA-", Some(b"UTF-7")), Some(Wide::Utf7));
/// assert_eq!(wide_encoding(b"plain", Some(b"iso-2022-jp")), None);
/// ```
pub fn wide_encoding(bytes: &[u8], label: Option<&[u8]>) -> Option<Wide> {
    if bytes.starts_with(b"\xff\xfe") {
        return Some(Wide::Utf16Le);
    }
    if bytes.starts_with(b"\xfe\xff") {
        return Some(Wide::Utf16Be);
    }
    let label = trim_label(label?);
    let lower: Vec<u8> = label.iter().map(|b| b.to_ascii_lowercase()).collect();
    match lower.as_slice() {
        b"utf-7" | b"utf7" | b"unicode-1-1-utf-7" | b"csunicode11utf7" | b"x-utf-7"
            if bytes.is_ascii() =>
        {
            Some(Wide::Utf7)
        }
        _ if !looks_utf16(bytes) => None,
        b"utf-16le" | b"utf16le" | b"unicodefeff" => Some(Wide::Utf16Le),
        b"utf-16be" | b"utf16be" | b"unicodefffe" => Some(Wide::Utf16Be),
        b"utf-16" | b"utf16" | b"ucs-2" | b"ucs2" | b"unicode" | b"iso-10646-ucs-2"
        | b"csunicode" => Some(utf16_order(bytes)),
        _ => None,
    }
}

/// Whether BOM-less data under a UTF-16 label can be UTF-16 at all: data without a single
/// zero byte that is valid UTF-8 is 8-bit text under a wrong label (real UTF-16 text has line
/// breaks or spaces, whose high byte is zero).
fn looks_utf16(bytes: &[u8]) -> bool {
    let head = &bytes[..bytes.len().min(4096)];
    head.contains(&0) || std::str::from_utf8(head).is_err()
}

/// The byte order of BOM-less UTF-16: the side with more zero bytes is the high byte.
fn utf16_order(bytes: &[u8]) -> Wide {
    let head = &bytes[..bytes.len().min(4096)];
    let (mut even, mut odd) = (0usize, 0usize);
    for pair in head.chunks_exact(2) {
        even += usize::from(pair[0] == 0);
        odd += usize::from(pair[1] == 0);
    }
    if odd != even {
        return if odd > even {
            Wide::Utf16Le
        } else {
            Wide::Utf16Be
        };
    }
    // No zero bytes to tell (e.g. all Japanese): the order that gives more common characters.
    let common = |enc: &'static Encoding| {
        enc.decode_without_bom_handling(head)
            .0
            .chars()
            .filter(|&c| matches!(c as u32, 0x20..=0x7e | 0x3000..=0x30ff | 0x4e00..=0x9fff | 0xff01..=0xff9f))
            .count()
    };
    if common(encoding_rs::UTF_16LE) > common(encoding_rs::UTF_16BE) {
        Wide::Utf16Le
    } else {
        Wide::Utf16Be
    }
}

/// Decodes `bytes` from a non-ASCII-compatible encoding to UTF-8 (BOM dropped; invalid
/// sequences become U+FFFD). Returns whether errors were replaced.
///
/// ```
/// use mugai::parse::charset::{decode_wide, Wide};
/// assert_eq!(decode_wide(b"\xfe\xff\x30\x42", Wide::Utf16Be).0, "あ");
/// assert_eq!(decode_wide(b"1 +- 1 = +MEI-", Wide::Utf7).0, "1 + 1 = あ");
/// ```
pub fn decode_wide(bytes: &[u8], wide: Wide) -> (String, bool) {
    match wide {
        Wide::Utf16Le | Wide::Utf16Be => {
            let (enc, bom): (&'static Encoding, &[u8]) = if wide == Wide::Utf16Le {
                (encoding_rs::UTF_16LE, b"\xff\xfe")
            } else {
                (encoding_rs::UTF_16BE, b"\xfe\xff")
            };
            let body = bytes.strip_prefix(bom).unwrap_or(bytes);
            let (text, errors) = enc.decode_without_bom_handling(body);
            (text.into_owned(), errors)
        }
        Wide::Utf7 => utf7_decode(bytes),
    }
}

/// Decodes UTF-7 (RFC 2152) in one pass. `+-` is a plus sign; `+` starts a run of modified
/// base64 holding UTF-16 code units, ended by any character outside the alphabet (a `-`
/// ending it is absorbed). Surrogate pairs are joined; lone surrogates and bytes that are not
/// 7-bit become U+FFFD. Returns the text and whether anything was replaced.
///
/// ```
/// use mugai::parse::charset::utf7_decode;
/// assert_eq!(utf7_decode(b"Hi Mom -+Jjo--!").0, "Hi Mom -\u{263A}-!");
/// assert_eq!(utf7_decode(b"+ZeVnLIqe-").0, "日本語");
/// ```
pub fn utf7_decode(bytes: &[u8]) -> (String, bool) {
    let mut out = String::with_capacity(bytes.len());
    let mut errors = false;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        i += 1;
        if b != b'+' {
            if b.is_ascii() {
                out.push(b as char);
            } else {
                out.push('\u{FFFD}');
                errors = true;
            }
            continue;
        }
        if bytes.get(i) == Some(&b'-') {
            out.push('+');
            i += 1;
            continue;
        }
        let mut run = Utf7Run::default();
        while let Some(v) = bytes.get(i).and_then(|&c| base64_value(c)) {
            run.push(v, &mut out);
            i += 1;
        }
        errors |= run.finish(&mut out);
        if bytes.get(i) == Some(&b'-') {
            i += 1;
        }
    }
    (out, errors)
}

fn base64_value(c: u8) -> Option<u32> {
    Some(match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        b'/' => 63,
        _ => return None,
    } as u32)
}

/// The state of one shifted (base64) run of UTF-7.
#[derive(Default)]
struct Utf7Run {
    bits: u32,
    nbits: u32,
    high: Option<u32>,
    errors: bool,
}

impl Utf7Run {
    fn push(&mut self, value: u32, out: &mut String) {
        self.bits = (self.bits << 6 | value) & 0x3f_ffff;
        self.nbits += 6;
        if self.nbits >= 16 {
            self.nbits -= 16;
            let unit = (self.bits >> self.nbits) & 0xffff;
            self.unit(unit, out);
        }
    }

    fn unit(&mut self, unit: u32, out: &mut String) {
        match (self.high.take(), unit) {
            (None, 0xD800..=0xDBFF) => self.high = Some(unit),
            (Some(h), 0xDC00..=0xDFFF) => {
                let c = 0x10000 + ((h - 0xD800) << 10) + (unit - 0xDC00);
                out.push(char::from_u32(c).unwrap_or('\u{FFFD}'));
            }
            (Some(_), _) => {
                out.push('\u{FFFD}');
                self.errors = true;
                self.unit(unit, out);
            }
            (None, u) => match char::from_u32(u) {
                Some(c) => out.push(c),
                None => {
                    out.push('\u{FFFD}');
                    self.errors = true;
                }
            },
        }
    }

    /// Ends the run; a dangling high surrogate is an error (leftover bits are padding).
    fn finish(self, out: &mut String) -> bool {
        if self.high.is_some() {
            out.push('\u{FFFD}');
            return true;
        }
        self.errors
    }
}

/// Decodes a raw header field value that may contain unencoded 8-bit bytes or raw
/// ISO-2022-JP escape sequences into UTF-8. Pure ASCII without escapes is returned borrowed.
pub fn decode_raw_header(bytes: &[u8]) -> Cow<'_, str> {
    if bytes.is_ascii() && !bytes.contains(&0x1b) {
        return std::str::from_utf8(bytes)
            .map(Cow::Borrowed)
            .unwrap_or_default();
    }
    let enc = detect(bytes);
    enc.decode_without_bom_handling(bytes).0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn euc_jp_detected() {
        let (bytes, _, _) = EUC_JP.encode("日本語のテキストです");
        assert_eq!(detect(&bytes), EUC_JP);
        let (text, how) = decode(&bytes, None);
        assert_eq!(text, "日本語のテキストです");
        assert!(how.detected);
    }

    #[test]
    fn cp50221_extension_characters() {
        // ① and ㈱ in ISO-2022-JP (NEC row 13).
        let bytes = b"\x1b$B-!-j\x1b(B";
        let (text, how) = decode(bytes, Some(b"ISO-2022-JP"));
        assert_eq!(text, "①㈱");
        assert!(!how.detected);
    }

    #[test]
    fn cp932_ibm_extension() {
        // 髙 (IBM extension, FB FC) and ～ (81 60) in CP932.
        let (text, _) = decode(b"\xfb\xfc\x81\x60", Some(b"cp932"));
        assert_eq!(text, "髙～");
    }

    #[test]
    fn raw_header_shift_jis() {
        let (bytes, _, _) = SHIFT_JIS.encode("お知らせ①");
        assert_eq!(decode_raw_header(&bytes), "お知らせ①");
    }

    #[test]
    fn raw_header_iso2022jp() {
        assert_eq!(decode_raw_header(b"\x1b$B%F%9%H\x1b(B"), "テスト");
    }
    #[test]
    fn utf7_rfc2152_examples() {
        assert_eq!(utf7_decode(b"A+ImIDkQ.").0, "A\u{2262}\u{0391}.");
        assert_eq!(utf7_decode(b"Hi Mom -+Jjo--!").0, "Hi Mom -\u{263A}-!");
        assert_eq!(utf7_decode(b"+ZeVnLIqe-").0, "\u{65E5}\u{672C}\u{8A9E}");
        assert_eq!(utf7_decode(b"Item 3 is +AKM-1.").0, "Item 3 is \u{00A3}1.");
    }

    #[test]
    fn utf7_plus_and_implicit_end() {
        assert_eq!(utf7_decode(b"1 +- 1").0, "1 + 1");
        // A run ended by a character outside the alphabet keeps that character.
        assert_eq!(utf7_decode(b"+MEI.").0, "\u{3042}.");
        assert_eq!(utf7_decode(b"+MEI- x").0, "\u{3042} x");
        assert_eq!(utf7_decode(b"+").0, "");
        assert_eq!(utf7_decode(b"a+-+-b").0, "a++b");
    }

    #[test]
    fn utf7_surrogates_and_errors() {
        // U+1F600 = D83D DE00.
        assert_eq!(utf7_decode(b"+2D3eAA-").0, "\u{1F600}");
        let (t, err) = utf7_decode(b"+2D0-x");
        assert_eq!(t, "\u{FFFD}x");
        assert!(err);
        let (t, err) = utf7_decode(b"+3gA-");
        assert_eq!(t, "\u{FFFD}");
        assert!(err);
        let (t, err) = utf7_decode(b"caf\xe9");
        assert_eq!(t, "caf\u{FFFD}");
        assert!(err);
    }

    #[test]
    fn utf7_script_markup_is_decoded() {
        assert_eq!(
            utf7_decode(b"+ADw-script+AD4-alert(1)+ADw-/script+AD4-").0,
            "<script>alert(1)</script>"
        );
    }

    #[test]
    fn utf16_byte_order() {
        let le = b"\x42\x30\xab\x30"; // "あカ" little-endian, no zero bytes
        assert_eq!(wide_encoding(le, Some(b"utf-16")), Some(Wide::Utf16Le));
        let be = b"\x30\x42\x30\xab";
        assert_eq!(wide_encoding(be, Some(b"utf-16")), Some(Wide::Utf16Be));
        // ASCII under a UTF-16 label is not UTF-16.
        assert_eq!(wide_encoding(b"<html></html>", Some(b"utf-16le")), None);
        assert_eq!(wide_encoding(b"abcd", Some(b"utf-16")), None);
        let ascii_le = b"H\x00i\x00";
        assert_eq!(
            wide_encoding(ascii_le, Some(b"UTF-16")),
            Some(Wide::Utf16Le)
        );
        assert_eq!(decode_wide(ascii_le, Wide::Utf16Le).0, "Hi");
        assert_eq!(
            wide_encoding(b"\x00H\x00i", Some(b"utf-16")),
            Some(Wide::Utf16Be)
        );
        assert_eq!(wide_encoding(b"\xfe\xff\x00H", None), Some(Wide::Utf16Be));
        assert_eq!(wide_encoding(b"abc", Some(b"utf-7")), Some(Wide::Utf7));
        assert_eq!(wide_encoding(b"ab\xe3\x81\x82", Some(b"utf-7")), None);
        assert_eq!(wide_encoding(b"abc", None), None);
    }
}
