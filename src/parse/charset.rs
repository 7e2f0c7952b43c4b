//! Charset labels, decoding and detection.
//!
//! Japanese mail is often labelled with names that neither encoding_rs nor mail-parser know
//! (`cp932`, `cp50220`, `iso-2022-jp-ms`, `x-sjis`…), or labelled wrongly (Shift_JIS bytes
//! labelled `iso-2022-jp`, 8-bit bytes labelled `us-ascii`, raw 8-bit header fields). This
//! module maps the aliases to the decoder that really fits (encoding_rs's Shift_JIS is
//! Windows-31J with the NEC and IBM extension characters; its ISO-2022-JP decoder uses the same
//! JIS X 0208 index, so CP5022x extension characters such as ① decode too) and detects the
//! charset from the bytes when the label cannot be trusted.
//!
//! # Mail is not the web
//!
//! encoding_rs follows the WHATWG Encoding Standard, written for web pages. Where mail
//! practice differs, mugai reads the bytes as mail software (iconv, Python, the mailers that
//! wrote them) does; `tests/charset_iconv.rs` holds each case against iconv's reading:
//!
//! - **ISO-2022-JP** is decoded by [`iso2022jp_decode`], not by encoding_rs. Escape
//!   sequences back to back (`ESC ( B ESC $ B`, emitted by real mailers at every line or run)
//!   are fine — WHATWG turns them into U+FFFD. A line break keeps the current set (RFC 1468
//!   asks for ASCII at line end; iconv and Python continue the set, and so do we). Beyond
//!   plain ISO-2022-JP it reads JIS X 0201 Roman (`ESC ( J`, ¥ and ‾) and katakana
//!   (`ESC ( I`), JIS X 0212 (`ESC $ ( D`), GB 2312 and KS C 5601 (ISO-2022-JP-2), and
//!   half-width katakana between SO and SI (CP50221/50222; iconv passes SO/SI through as
//!   control characters). JIS X 0208 uses the CP932 index, so the CP5022x extension rows
//!   (NEC row 13, IBM kanji) decode, and 0x2141 is ～ (U+FF5E, the Windows mapping) where
//!   iconv gives 〜 (U+301C). An unknown or cut escape sequence, a double-byte character cut
//!   short and any byte above 0x7F become U+FFFD (iconv passes an unknown escape on raw).
//!   7-bit bytes under an ISO-2022-JP label keep the label even when an escape is broken,
//!   so a raw ESC never reaches the output. Header fields read the same way: raw
//!   ISO-2022-JP in a field is decoded (the ESC is kept through unfolding), and a field whose
//!   encoded words hold ISO-2022-JP that a WHATWG decoder would misread is written fresh in
//!   UTF-8 rather than copied (`parse::header::has_mail_only_jis`), so web mail shows it too.
//!   `testdata/charsets/` runs these cases through the whole pipeline.
//! - **Shift_JIS** labels all mean CP932 (Windows-31J), which is what Japanese mail really
//!   carries: 0x5C is `\`, 0x7E is `~`, the NEC/IBM rows decode, the user-defined area maps
//!   to the Private Use Area — all as `iconv -f CP932`.
//! - **EUC-JP** includes JIS X 0212 (SS3, 0x8F) and half-width katakana (SS2, 0x8E) as iconv
//!   does, and the eucJP-ms extension rows; its index is the Microsoft one, so 0xA1C1 is ～
//!   as in `iconv -f EUC-JP-MS` (glibc's plain EUC-JP gives 〜).

use std::borrow::Cow;

use encoding_rs::{EUC_JP, EUC_KR, Encoding, GBK, ISO_2022_JP, SHIFT_JIS, UTF_8, WINDOWS_1252};

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
            if let Some(text) = decode_strict(enc, bytes) {
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
            // 7-bit bytes fit ISO-2022-JP whatever escapes they hold: a broken escape is
            // replaced, not passed on as a raw ESC under an ASCII reading.
            let clean_elsewhere = !(enc == ISO_2022_JP && is_ascii)
                && other != enc
                && decode_strict(other, bytes).is_some();
            if !clean_elsewhere {
                let (text, _) = decode_lossy(enc, bytes);
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
    let (text, had_errors) = decode_lossy(enc, bytes);
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
/// ISO-2022-JP when an ISO-2022-JP escape sequence (any set [`iso2022jp_decode`] reads) is
/// present, otherwise Shift_JIS or EUC-JP by which
/// decodes cleanly into more Japanese, and Windows-1252 as the last resort.
pub fn detect(bytes: &[u8]) -> &'static Encoding {
    if std::str::from_utf8(bytes).is_ok() {
        let escape =
            |(i, &b): (usize, &u8)| b == 0x1b && bytes.get(i + 1..).and_then(jis_escape).is_some();
        if bytes.iter().enumerate().any(escape) {
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

/// Decodes `bytes` as `enc` without replacement: `None` when any byte is invalid. ISO-2022-JP
/// goes through [`iso2022jp_decode`] (the mail reading), everything else through encoding_rs.
fn decode_strict<'a>(enc: &'static Encoding, bytes: &'a [u8]) -> Option<Cow<'a, str>> {
    if enc == ISO_2022_JP {
        let (text, errors) = iso2022jp_decode(bytes);
        return (!errors).then_some(text);
    }
    enc.decode_without_bom_handling_and_without_replacement(bytes)
}

/// Decodes `bytes` as `enc`, replacing what is invalid with U+FFFD; returns whether anything
/// was replaced. ISO-2022-JP goes through [`iso2022jp_decode`].
fn decode_lossy<'a>(enc: &'static Encoding, bytes: &'a [u8]) -> (Cow<'a, str>, bool) {
    if enc == ISO_2022_JP {
        return iso2022jp_decode(bytes);
    }
    enc.decode_without_bom_handling(bytes)
}

/// A graphic character set that an ISO-2022-JP(-1/-2/-3, CP5022x) escape sequence designates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum JisSet {
    Ascii,
    /// JIS X 0201 Roman (`ESC ( J`, old `ESC ( H`): ASCII with ¥ at 0x5C and ‾ at 0x7E.
    Roman,
    /// JIS X 0201 katakana (`ESC ( I`): half-width katakana at 0x21–0x5F.
    Katakana,
    /// JIS X 0208 (`ESC $ @`, `ESC $ B`, `ESC $ ( B`), with the CP932 extension rows.
    X0208,
    /// JIS X 0212 supplementary kanji (`ESC $ ( D`).
    X0212,
    /// GB 2312 (`ESC $ A`, ISO-2022-JP-2).
    Gb2312,
    /// KS C 5601 (`ESC $ ( C`, ISO-2022-JP-2).
    Ksc5601,
}

/// The character set an escape sequence designates and the bytes it takes after the ESC.
fn jis_escape(rest: &[u8]) -> Option<(JisSet, usize)> {
    Some(match rest {
        [b'(', b'B', ..] => (JisSet::Ascii, 2),
        [b'(', b'J' | b'H', ..] => (JisSet::Roman, 2),
        [b'(', b'I', ..] => (JisSet::Katakana, 2),
        [b'$', b'@' | b'B', ..] => (JisSet::X0208, 2),
        [b'$', b'A', ..] => (JisSet::Gb2312, 2),
        [b'$', b'(', b'B' | b'@', ..] => (JisSet::X0208, 3),
        [b'$', b'(', b'D', ..] => (JisSet::X0212, 3),
        [b'$', b'(', b'C', ..] => (JisSet::Ksc5601, 3),
        _ => return None,
    })
}

/// Text being decoded from ISO-2022-JP: double-byte characters are collected as EUC bytes
/// of one encoding and decoded a run at a time (each byte is copied and decoded once).
struct JisText {
    text: String,
    run: Vec<u8>,
    run_enc: Option<&'static Encoding>,
    errors: bool,
}

impl JisText {
    fn push_char(&mut self, c: char) {
        self.flush();
        self.text.push(c);
    }

    fn push_coded(&mut self, enc: &'static Encoding, coded: &[u8]) {
        if self.run_enc != Some(enc) {
            self.flush();
            self.run_enc = Some(enc);
        }
        self.run.extend_from_slice(coded);
    }

    fn error(&mut self) {
        self.push_char('\u{FFFD}');
        self.errors = true;
    }

    fn flush(&mut self) {
        if let Some(enc) = self.run_enc.take() {
            let (text, errors) = enc.decode_without_bom_handling(&self.run);
            self.text.push_str(&text);
            self.errors |= errors;
            self.run.clear();
        }
    }
}

/// Decodes ISO-2022-JP as mail writes it, in one pass; returns the text and whether anything
/// was replaced with U+FFFD. Unlike the WHATWG decoder (encoding_rs), escape sequences back to
/// back are fine, and the sets of ISO-2022-JP-1/-2 and the CP5022x family are understood:
/// JIS X 0201 Roman and katakana, SO/SI katakana, JIS X 0212, GB 2312 and KS C 5601. A line
/// break keeps the current set (as iconv and Python do). Bytes above 0x7F, unknown escape
/// sequences and a double-byte character cut short are replaced.
///
/// ```
/// use mugai::parse::charset::iso2022jp_decode;
/// let mail = b"A\x1b$B$\"$\"\x1b(B\x1b$B$\"\x1b(BZ";
/// assert_eq!(iso2022jp_decode(mail), ("AあああZ".into(), false));
/// ```
pub fn iso2022jp_decode(bytes: &[u8]) -> (Cow<'_, str>, bool) {
    if bytes.is_ascii() && !bytes.iter().any(|&b| matches!(b, 0x0e | 0x0f | 0x1b)) {
        return match std::str::from_utf8(bytes) {
            Ok(text) => (Cow::Borrowed(text), false),
            Err(_) => (Cow::Borrowed(""), true),
        };
    }
    let mut out = JisText {
        text: String::with_capacity(bytes.len() * 3 / 2),
        run: Vec::new(),
        run_enc: None,
        errors: false,
    };
    let (mut set, mut shifted, mut i) = (JisSet::Ascii, false, 0);
    while let Some(&b) = bytes.get(i) {
        i += 1;
        match b {
            0x1b => match bytes.get(i..).and_then(jis_escape) {
                Some((designated, len)) => {
                    set = designated;
                    i += len;
                }
                None => out.error(),
            },
            0x0e => shifted = true,
            0x0f => shifted = false,
            0x21..=0x5f if shifted => out.push_coded(EUC_JP, &[0x8e, b | 0x80]),
            0x21..=0x7e => i += jis_graphic(set, b, bytes.get(i).copied(), &mut out),
            0x80.. => out.error(),
            _ => out.push_char(char::from(b)),
        }
    }
    out.flush();
    (Cow::Owned(out.text), out.errors)
}

/// Decodes the graphic byte `b` (0x21–0x7E) in `set`, with `next` as the trail byte of a
/// double-byte set; returns how many bytes after `b` it took.
fn jis_graphic(set: JisSet, b: u8, next: Option<u8>, out: &mut JisText) -> usize {
    let (enc, ss3) = match set {
        JisSet::Ascii => {
            out.push_char(char::from(b));
            return 0;
        }
        JisSet::Roman => {
            out.push_char(match b {
                0x5c => '\u{a5}',
                0x7e => '\u{203e}',
                _ => char::from(b),
            });
            return 0;
        }
        JisSet::Katakana if b <= 0x5f => {
            out.push_coded(EUC_JP, &[0x8e, b | 0x80]);
            return 0;
        }
        JisSet::Katakana => {
            out.error();
            return 0;
        }
        JisSet::X0208 => (EUC_JP, false),
        JisSet::X0212 => (EUC_JP, true),
        JisSet::Gb2312 => (GBK, false),
        JisSet::Ksc5601 => (EUC_KR, false),
    };
    match next {
        Some(trail @ 0x21..=0x7e) if ss3 => out.push_coded(enc, &[0x8f, b | 0x80, trail | 0x80]),
        Some(trail @ 0x21..=0x7e) => out.push_coded(enc, &[b | 0x80, trail | 0x80]),
        _ => {
            out.error();
            return 0;
        }
    }
    1
}

/// Decodes a raw header field value that may contain unencoded 8-bit bytes or raw
/// ISO-2022-JP escape sequences into UTF-8. Pure ASCII without escapes is returned borrowed.
pub fn decode_raw_header(bytes: &[u8]) -> Cow<'_, str> {
    if bytes.is_ascii() {
        // 7-bit: plain ASCII, or ISO-2022-JP (a broken escape becomes U+FFFD, never a raw ESC).
        return iso2022jp_decode(bytes).0;
    }
    decode_lossy(detect(bytes), bytes).0
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
    fn iso2022jp_escape_pairs() {
        // `ESC ( B ESC $ B` back to back, as real mailers write it (WHATWG gives U+FFFD).
        let bytes = b"A\x1b$B$\"$\"\x1b(B\x1b$B$\"\x1b(BZ";
        let (text, how) = decode(bytes, Some(b"ISO-2022-JP"));
        assert_eq!(text, "AあああZ");
        assert!(!how.had_errors && !how.detected);
        assert_eq!(decode_raw_header(bytes), "AあああZ");
        // Unlabelled: detected as ISO-2022-JP and read the same.
        assert_eq!(decode(bytes, None).0, "AあああZ");
    }

    #[test]
    fn iso2022jp_broken_escape_is_replaced_not_passed_on() {
        let (text, how) = decode(b"a\x1b$zb\x1b", Some(b"iso-2022-jp"));
        assert_eq!(text, "a\u{FFFD}$zb\u{FFFD}");
        assert!(how.had_errors);
        assert!(!text.contains('\x1b'));
    }

    #[test]
    fn unlabelled_jis_katakana_and_0212_are_detected() {
        assert_eq!(decode_raw_header(b"\x1b(I12\x1b(B"), "ｱｲ");
        let (text, how) = decode(b"x\x1b$(D\"/\x1b(B", None);
        assert_eq!(text, "x\u{2D8}");
        assert_eq!(how.encoding, ISO_2022_JP);
    }

    #[test]
    fn iso2022jp_any_short_input_is_safe() {
        // Every string of up to 4 bytes over the bytes that matter: no panic, no raw ESC,
        // SO or SI in the text, and errors reported exactly when U+FFFD is written.
        let alphabet = b"\x1b$(BJIDA@\x0e\x0f\x21\x7e\x80\n";
        let n = alphabet.len();
        for len in 0..=4u32 {
            for mut code in 0..n.pow(len) {
                let mut bytes = Vec::new();
                for _ in 0..len {
                    bytes.push(alphabet[code % n]);
                    code /= n;
                }
                let (text, errors) = iso2022jp_decode(&bytes);
                assert!(!text.contains(['\x1b', '\x0e', '\x0f']), "{bytes:?}");
                assert_eq!(text.contains('\u{FFFD}'), errors, "{bytes:?}");
            }
        }
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
