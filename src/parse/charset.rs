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
}
