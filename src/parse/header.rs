//! Header blocks: raw fields over the borrowed input, and the MIME facts of a part.
//!
//! Splitting a block into fields is ours (zero-copy, bounded, tolerant of junk lines). Field
//! *values* that need real parsing — Content-Type and Content-Disposition parameters with
//! RFC 2231 continuations and charsets, RFC 2047 encoded words — go through mail-parser, after
//! two repairs it cannot make itself: raw 8-bit bytes are decoded to UTF-8 by
//! [`charset::decode_raw_header`](super::charset::decode_raw_header), and charset labels it
//! does not know (`cp932`, `cp50221`, `iso-2022-jp-ms`…) are rewritten to the canonical name
//! of the decoder that fits.

use std::borrow::Cow;

use mail_parser::{HeaderName, HeaderValue, MessageParser};
use memchr::memchr;

use super::charset::{decode_raw_header, encoding_for_label};
use super::lines::field_colon;
/// Re-exported from [`super::transfer`], where it is defined.
pub use super::transfer::TransferEncoding;

/// One header field, borrowed from the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RawField<'a> {
    /// Field name as written (no trailing colon or spaces).
    pub name: &'a [u8],
    /// Raw value after the colon, including folding line breaks, without the final line end.
    pub value: &'a [u8],
}

impl RawField<'_> {
    /// Whether the field is called `name` (ASCII case-insensitive).
    pub fn is(&self, name: &str) -> bool {
        self.name.eq_ignore_ascii_case(name.as_bytes())
    }

    /// The name as text (field names are ASCII by construction).
    pub fn name_str(&self) -> &str {
        std::str::from_utf8(self.name).unwrap_or("X-Invalid")
    }
}

/// The fields of one header block, and what was odd about it.
#[derive(Debug, Clone, Default)]
pub struct HeaderBlock<'a> {
    /// Fields in order.
    pub fields: Vec<RawField<'a>>,
    /// Lines that were neither a field nor a continuation (skipped).
    pub junk_lines: usize,
    /// More fields than the limit; the rest were ignored.
    pub truncated: bool,
}

impl<'a> HeaderBlock<'a> {
    /// Splits `block` into fields, keeping at most `max_fields`.
    ///
    /// ```
    /// let b = mugai::parse::header::HeaderBlock::parse(b"Subject: a\r\n b\r\nTo: x\r\n", 10);
    /// assert_eq!(b.fields.len(), 2);
    /// assert_eq!(b.fields[0].value, b" a\r\n b");
    /// ```
    pub fn parse(block: &'a [u8], max_fields: usize) -> Self {
        let mut out = HeaderBlock::default();
        let mut pos = 0;
        let mut current: Option<(usize, usize, usize)> = None; // name start, colon, value end
        let flush = |out: &mut HeaderBlock<'a>, cur: Option<(usize, usize, usize)>| {
            if let Some((start, colon, end)) = cur {
                if out.fields.len() >= max_fields {
                    out.truncated = true;
                    return;
                }
                let name = trim_end(&block[start..colon]);
                out.fields.push(RawField {
                    name,
                    value: &block[colon + 1..end],
                });
            }
        };
        while pos < block.len() {
            let line_end = memchr(b'\n', &block[pos..]).map_or(block.len(), |i| pos + i);
            let content_end = if line_end > pos && block[line_end - 1] == b'\r' {
                line_end - 1
            } else {
                line_end
            };
            let line = &block[pos..content_end];
            if matches!(line.first(), Some(b' ' | b'\t')) {
                if let Some(cur) = current.as_mut() {
                    cur.2 = content_end;
                } else {
                    out.junk_lines += 1;
                }
            } else if let Some(colon) = field_colon(line) {
                flush(&mut out, current.take());
                current = Some((pos, pos + colon, content_end));
            } else if !(line.is_empty() || pos == 0 && line.starts_with(b"From ")) {
                // A junk line ends the field before it: continuation lines after it are
                // junk too, so that no field value ever spans a line that is not a
                // continuation.
                flush(&mut out, current.take());
                out.junk_lines += 1;
            }
            pos = line_end + 1;
        }
        flush(&mut out, current.take());
        out
    }

    /// The first field called `name`.
    pub fn get(&self, name: &str) -> Option<&RawField<'a>> {
        self.fields.iter().find(|f| f.is(name))
    }

    /// All fields called `name`.
    pub fn all<'s>(&'s self, name: &'s str) -> impl Iterator<Item = &'s RawField<'a>> + 's {
        self.fields.iter().filter(move |f| f.is(name))
    }
}

fn trim_end(s: &[u8]) -> &[u8] {
    let mut s = s;
    while let [rest @ .., b' ' | b'\t'] = s {
        s = rest;
    }
    s
}

/// Unfolds a raw value: line breaks removed, leading and trailing whitespace trimmed, NUL and
/// other C0 controls (except tab, and ESC, which raw ISO-2022-JP needs and
/// [`decode_raw_header`] turns into text or U+FFFD) dropped.
pub fn unfold(value: &[u8]) -> Cow<'_, [u8]> {
    let clean = |b: &u8| *b >= 0x20 || matches!(*b, b'\t' | 0x1b);
    let trimmed = value.trim_ascii();
    if trimmed.iter().all(clean) {
        return Cow::Borrowed(trimmed);
    }
    Cow::Owned(trimmed.iter().copied().filter(clean).collect())
}

/// Rewrites charset labels inside RFC 2047 encoded words (`=?cp932?B?…`) and RFC 2231
/// extended parameters (`*=cp932''…`) to canonical names that mail-parser decodes.
pub fn canonicalise_charset_labels(text: &str) -> Cow<'_, str> {
    let bytes = text.as_bytes();
    let mut out: Option<String> = None;
    let mut copied = 0;
    let mut i = 0;
    while i + 2 < bytes.len() {
        let (start, stop) = if bytes[i] == b'=' && bytes[i + 1] == b'?' {
            (i + 2, b'?')
        } else if bytes[i] == b'*' && bytes[i + 1] == b'=' {
            (i + 2, b'\'')
        } else {
            i += 1;
            continue;
        };
        let mut s = start;
        while s < bytes.len() && bytes[s] == b'"' {
            s += 1;
        }
        let end = bytes[s..]
            .iter()
            .take(64)
            .position(|&b| b == stop)
            .map(|p| s + p);
        if let Some(end) = end {
            let label = &bytes[s..end];
            if let Some(enc) = encoding_for_label(label) {
                let canonical = match enc.name() {
                    "windows-1252" if label.eq_ignore_ascii_case(b"us-ascii") => "us-ascii",
                    name => name,
                };
                if !label.eq_ignore_ascii_case(canonical.as_bytes()) {
                    let o = out.get_or_insert_with(|| String::with_capacity(text.len()));
                    o.push_str(&text[copied..s]);
                    o.push_str(canonical);
                    copied = end;
                }
            }
            i = end;
        } else {
            i = start;
        }
    }
    match out {
        Some(mut o) => {
            o.push_str(&text[copied..]);
            Cow::Owned(o)
        }
        None => Cow::Borrowed(text),
    }
}

/// Decodes an unstructured header value (Subject, a display name…) for display: raw 8-bit
/// text and RFC 2047 encoded words become UTF-8, folding is removed.
///
/// Adjacent encoded words in the same charset are joined at the byte level before charset
/// decoding, so a multi-byte character split across two words (common with Japanese
/// mailers) comes out whole; whitespace between adjacent encoded words is dropped.
///
/// ```
/// use mugai::parse::header::decode_unstructured;
/// assert_eq!(decode_unstructured(b" =?ISO-2022-JP?B?GyRCJUYlOSVIGyhC?="), "テスト");
/// assert_eq!(decode_unstructured(b" =?cp932?B?g2WDWINn?="), "テスト");
/// assert_eq!(decode_unstructured(b"=?UTF-8?Q?a_b?= =?UTF-8?B?w6k=?= c"), "a b\u{e9} c");
/// ```
pub fn decode_unstructured(raw: &[u8]) -> String {
    let unfolded = unfold(raw);
    let text = decode_raw_header(&unfolded);
    if !text.contains("=?") {
        return text.into_owned();
    }
    decode_encoded_words(&text)
}

/// One RFC 2047 encoded word found in a string.
struct EncodedWord<'a> {
    end: usize,
    charset: &'a str,
    bytes: Vec<u8>,
}

fn parse_encoded_word(s: &str, start: usize) -> Option<EncodedWord<'_>> {
    let rest = s.get(start + 2..)?.as_bytes();
    // Every search below is bounded by the next '?': a charset is at most 40 bytes, and
    // encoded text holds no '?' (RFC 2047), so it ends at the first one, which must begin
    // "?=". The '?'s that delimit different candidate words are different, so a header
    // full of unclosed `=?` costs one pass, not one pass per candidate.
    let q1 = rest.iter().take(41).position(|&b| b == b'?')?;
    let charset = std::str::from_utf8(&rest[..q1]).ok()?;
    if charset.is_empty() || charset.contains(char::is_whitespace) {
        return None;
    }
    let enc = rest.get(q1 + 1)?.to_ascii_uppercase();
    if rest.get(q1 + 2) != Some(&b'?') {
        return None;
    }
    let payload_start = q1 + 3;
    let payload_len = memchr(b'?', rest.get(payload_start..)?)?;
    if rest.get(payload_start + payload_len + 1) != Some(&b'=') {
        return None;
    }
    let payload = std::str::from_utf8(&rest[payload_start..payload_start + payload_len]).ok()?;
    if payload.contains(char::is_whitespace) {
        return None;
    }
    let bytes = match enc {
        b'B' => super::transfer::base64(payload.as_bytes()),
        b'Q' => {
            let replaced = payload.replace('_', " ");
            super::transfer::quoted_printable(replaced.as_bytes())
        }
        _ => return None,
    };
    // RFC 2231 language suffix inside encoded words: `=?UTF-8*ja?B?…`.
    let charset = charset.split('*').next().unwrap_or(charset);
    Some(EncodedWord {
        end: start + 2 + payload_start + payload_len + 2,
        charset,
        bytes,
    })
}

/// Whether the RFC 2047 encoded words of a raw field value hold ISO-2022-JP that mugai reads
/// but a WHATWG decoder (web mail, mail-parser) would not (escape sequences back to back,
/// JIS X 0201 katakana…): such a field is better written fresh in UTF-8 than copied.
///
/// ```
/// use mugai::parse::header::has_mail_only_jis;
/// assert!(has_mail_only_jis(b"=?ISO-2022-JP?B?GyRCRGo0fBsoQhskQkpdPGkbKEI=?="));
/// assert!(!has_mail_only_jis(b"=?ISO-2022-JP?B?GyRCJUYlOSVIGyhC?="));
/// ```
pub fn has_mail_only_jis(raw: &[u8]) -> bool {
    let text = decode_raw_header(&unfold(raw)).into_owned();
    text.contains("=?") && decode_encoded_words_flagged(&text).1
}

fn decode_encoded_words(text: &str) -> String {
    decode_encoded_words_flagged(text).0
}

/// Decodes the encoded words of `text`; the flag tells whether ISO-2022-JP words were read
/// that the WHATWG decoder rejects.
fn decode_encoded_words_flagged(text: &str) -> (String, bool) {
    let mut mail_only = false;
    let mut out = String::with_capacity(text.len());
    let mut pos = 0;
    // Pending bytes of adjacent words in one charset.
    let mut pending: Option<(String, Vec<u8>)> = None;
    let mut flush = |out: &mut String, pending: &mut Option<(String, Vec<u8>)>| {
        if let Some((cs, bytes)) = pending.take() {
            let (t, how) = super::charset::decode(&bytes, Some(cs.as_bytes()));
            mail_only |= how.encoding == encoding_rs::ISO_2022_JP
                && !how.had_errors
                && encoding_rs::ISO_2022_JP
                    .decode_without_bom_handling_and_without_replacement(&bytes)
                    .is_none();
            out.push_str(&t);
        }
    };
    let mut search = 0;
    while let Some(i) = text[search..].find("=?") {
        let at = search + i;
        let Some(word) = parse_encoded_word(text, at) else {
            search = at + 2;
            continue;
        };
        let between = &text[pos..at];
        let adjacent = pending.is_some() && between.trim().is_empty();
        if !adjacent {
            flush(&mut out, &mut pending);
            out.push_str(between);
        }
        match pending.as_mut() {
            Some((cs, bytes)) if cs.eq_ignore_ascii_case(word.charset) => {
                bytes.extend_from_slice(&word.bytes)
            }
            _ => {
                flush(&mut out, &mut pending);
                pending = Some((word.charset.to_owned(), word.bytes));
            }
        }
        pos = word.end;
        search = word.end;
    }
    flush(&mut out, &mut pending);
    out.push_str(&text[pos..]);
    (out, mail_only)
}

/// What the MIME header fields of a part say about it.
#[derive(Debug, Clone, PartialEq)]
pub struct MimeInfo {
    /// Main type, lowercase (`text`, `multipart`…). `text` when absent.
    pub ctype: String,
    /// Subtype, lowercase. `plain` when absent.
    pub subtype: String,
    /// `charset` parameter.
    pub charset: Option<String>,
    /// Candidate boundaries, most likely first (duplicate Content-Type fields and duplicate
    /// `boundary` parameters all contribute).
    pub boundaries: Vec<String>,
    /// Other Content-Type values seen in duplicate fields (`type/subtype`), for the report.
    pub other_types: Vec<String>,
    /// File name (Content-Disposition `filename`, else Content-Type `name`), decoded.
    pub filename: Option<String>,
    /// Disposition type, lowercase (`inline`, `attachment`).
    pub disposition: Option<String>,
    /// Transfer encoding.
    pub transfer: TransferEncoding,
    /// Content-ID, if any.
    pub content_id: Option<String>,
    /// `start` parameter of multipart/related.
    pub start: Option<String>,
}

impl MimeInfo {
    /// `type/subtype`.
    pub fn mime_type(&self) -> String {
        format!("{}/{}", self.ctype, self.subtype)
    }

    /// Whether the part is marked as an attachment (disposition `attachment`).
    pub fn is_attachment(&self) -> bool {
        self.disposition.as_deref() == Some("attachment")
    }

    /// Reads the MIME facts from a parsed header block. `default_type` is used when there is
    /// no (usable) Content-Type: `text/plain`, or `message/rfc822` inside multipart/digest.
    pub fn from_block(block: &HeaderBlock<'_>, default_type: (&str, &str)) -> Self {
        let mut info = MimeInfo {
            ctype: default_type.0.into(),
            subtype: default_type.1.into(),
            charset: None,
            boundaries: Vec::new(),
            other_types: Vec::new(),
            filename: None,
            disposition: None,
            transfer: TransferEncoding::Identity,
            content_id: None,
            start: None,
        };
        // Build a small block of just the fields mail-parser must parse, repaired.
        let mut mini = String::new();
        for f in &block.fields {
            if f.is("Content-Type") || f.is("Content-Disposition") {
                let value = unfold(f.value);
                let value = decode_raw_header(&value);
                let value = canonicalise_charset_labels(&value);
                mini.push_str(if f.is("Content-Type") {
                    "Content-Type: "
                } else {
                    "Content-Disposition: "
                });
                mini.push_str(&value);
                mini.push_str("\r\n");
            } else if f.is("Content-Transfer-Encoding")
                && info.transfer == TransferEncoding::Identity
            {
                info.transfer = parse_cte(&unfold(f.value));
            } else if f.is("Content-ID") && info.content_id.is_none() {
                let id = String::from_utf8_lossy(&unfold(f.value)).into_owned();
                info.content_id = Some(id.trim_matches(|c| c == '<' || c == '>').to_owned());
            }
        }
        if mini.is_empty() {
            return info;
        }
        mini.push_str("\r\n");
        let Some(parsed) = MessageParser::new().parse_headers(mini.as_bytes()) else {
            return info;
        };
        let mut first_type = true;
        for h in parsed.headers() {
            match (&h.name, &h.value) {
                (HeaderName::ContentType, HeaderValue::ContentType(ct)) => {
                    let ctype = ct.ctype().trim().to_ascii_lowercase();
                    let subtype = ct.subtype().unwrap_or("").trim().to_ascii_lowercase();
                    if ctype.is_empty() || ctype.contains(|c: char| !c.is_ascii_graphic()) {
                        continue;
                    }
                    let boundaries = ct
                        .attributes()
                        .into_iter()
                        .flatten()
                        .filter(|a| a.name.eq_ignore_ascii_case("boundary"))
                        .map(|a| a.value.to_string())
                        .filter(|b| !b.is_empty());
                    if first_type {
                        first_type = false;
                        info.ctype = ctype;
                        info.subtype = if subtype.is_empty() {
                            "octet-stream".into()
                        } else {
                            subtype
                        };
                        info.charset = ct.attribute("charset").map(str::to_owned);
                        info.start = ct
                            .attribute("start")
                            .map(|s| s.trim_matches(|c| c == '<' || c == '>').to_owned());
                        if info.filename.is_none() {
                            // `filename` on a Content-Type is misplaced but still a name.
                            info.filename = ct
                                .attribute("name")
                                .or_else(|| ct.attribute("filename"))
                                .map(clean_param);
                        }
                        info.boundaries.extend(boundaries);
                    } else {
                        // A duplicate Content-Type: remember it; if it is a multipart, its
                        // boundary becomes a candidate so that its parts are exposed (and
                        // removed), never hidden.
                        if ctype == "multipart" && info.ctype != "multipart" {
                            info.other_types.push(info.mime_type());
                            info.ctype = ctype;
                            info.subtype = subtype;
                        } else {
                            info.other_types.push(format!("{ctype}/{subtype}"));
                        }
                        info.boundaries.extend(boundaries);
                        if info.filename.is_none() {
                            // `filename` on a Content-Type is misplaced but still a name.
                            info.filename = ct
                                .attribute("name")
                                .or_else(|| ct.attribute("filename"))
                                .map(clean_param);
                        }
                    }
                }
                (HeaderName::ContentDisposition, HeaderValue::ContentType(cd)) => {
                    // Two Content-Disposition fields: `attachment` wins over anything else
                    // (the reading that exposes more).
                    let d = cd.ctype().trim().to_ascii_lowercase();
                    if info.disposition.is_none() || d == "attachment" {
                        info.disposition = Some(d);
                    }
                    if let Some(name) = cd.attribute("filename") {
                        info.filename = Some(clean_param(name));
                    } else if let (None, Some(name)) = (&info.filename, cd.attribute("name")) {
                        // `name` on a Content-Disposition is misplaced but still a name.
                        info.filename = Some(clean_param(name));
                    }
                }
                _ => {}
            }
        }
        // RFC 2231 continuations are joined before decoding (mail-parser decodes each
        // segment alone, which breaks multi-byte characters split across segments).
        for f in &block.fields {
            let param = if f.is("Content-Disposition") {
                "filename"
            } else if f.is("Content-Type") && info.filename.is_none() {
                "name"
            } else {
                continue;
            };
            let value = unfold(f.value);
            let value = decode_raw_header(&value);
            let name = rfc2231_param(&value, param).or_else(|| {
                // A plain parameter with encoded words (not allowed by RFC 2047 inside
                // quotes, but what most Japanese mailers send): decode it ourselves, so that
                // words folded inside the quotes join without a space.
                plain_param(&value, param)
                    .filter(|v| v.contains("=?"))
                    .map(|v| decode_unstructured(v.as_bytes()))
            });
            if let Some(name) = name {
                info.filename = Some(name);
                if param == "filename" {
                    break;
                }
            }
        }
        info.boundaries.dedup();
        info
    }
}

/// Reads an RFC 2231 extended parameter (`name*=charset'lang'%XX…` or the continuations
/// `name*0*=…; name*1*=…; name*2=…`), joining all segments before charset decoding.
/// Returns `None` when the parameter is not in extended or continued form.
///
/// ```
/// use mugai::parse::header::rfc2231_param;
/// let v = "attachment; filename*0*=UTF-8''%E8%AB; filename*1*=%8B%E6%B1%82.pdf";
/// assert_eq!(rfc2231_param(v, "filename").as_deref(), Some("請求.pdf"));
/// ```
pub fn rfc2231_param(value: &str, param: &str) -> Option<String> {
    let mut segments: Vec<(u32, bool, String)> = Vec::new();
    for raw in split_params(value) {
        let Some((key, val)) = raw.split_once('=') else {
            continue;
        };
        let key = key.trim();
        let Some(rest) = key
            .get(..param.len())
            .filter(|k| k.eq_ignore_ascii_case(param))
            .map(|_| &key[param.len()..])
        else {
            continue;
        };
        let Some(rest) = rest.strip_prefix('*') else {
            continue;
        };
        let (index, extended) = if rest.is_empty() {
            (0, true)
        } else {
            let (num, ext) = match rest.strip_suffix('*') {
                Some(n) => (n, true),
                None => (rest, false),
            };
            match num.parse::<u32>() {
                Ok(n) if n < 1000 => (n, ext),
                _ => continue,
            }
        };
        let val = val.trim();
        let val = val
            .strip_prefix('"')
            .and_then(|v| v.strip_suffix('"'))
            .unwrap_or(val);
        if !segments.iter().any(|(i, _, _)| *i == index) {
            segments.push((index, extended, val.to_owned()));
        }
    }
    if segments.is_empty() {
        return None;
    }
    segments.sort_by_key(|(i, _, _)| *i);
    let mut charset: Option<String> = None;
    let mut bytes = Vec::new();
    for (n, (_, extended, val)) in segments.iter().enumerate() {
        let mut v = val.as_str();
        if n == 0 && *extended {
            let mut parts = v.splitn(3, '\'');
            if let (Some(cs), Some(_lang), Some(rest)) = (parts.next(), parts.next(), parts.next())
            {
                charset = Some(cs.to_owned());
                v = rest;
            }
        }
        if *extended {
            let b = v.as_bytes();
            let mut i = 0;
            while i < b.len() {
                if b[i] == b'%' && i + 2 < b.len() {
                    let hex = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
                    if let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2])) {
                        bytes.push(h << 4 | l);
                        i += 3;
                        continue;
                    }
                }
                bytes.push(b[i]);
                i += 1;
            }
        } else {
            bytes.extend_from_slice(v.as_bytes());
        }
    }
    let (text, _) = super::charset::decode(&bytes, charset.as_deref().map(str::as_bytes));
    Some(text.into_owned())
}

/// The value of a plain `param=value` or `param="value"` parameter, unquoted.
fn plain_param(value: &str, param: &str) -> Option<String> {
    split_params(value).into_iter().skip(1).find_map(|raw| {
        let (key, val) = raw.split_once('=')?;
        if !key.trim().eq_ignore_ascii_case(param) {
            return None;
        }
        let val = val.trim();
        let val = val
            .strip_prefix('"')
            .map(|v| v.strip_suffix('"').unwrap_or(v))
            .unwrap_or(val);
        Some(val.replace("\\\"", "\""))
    })
}

/// Splits a header value at `;` outside double quotes.
fn split_params(value: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut quoted = false;
    let mut escaped = false;
    for (i, c) in value.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            ';' if !quoted => {
                out.push(&value[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&value[start..]);
    out
}

/// A parameter value after mail-parser: RFC 2047 words it left alone (inside quotes) are
/// decoded too.
fn clean_param(value: &str) -> String {
    if value.contains("=?") {
        decode_unstructured(value.as_bytes())
    } else {
        value.to_owned()
    }
}

fn parse_cte(value: &[u8]) -> TransferEncoding {
    let v = value.trim_ascii();
    let v = match memchr(b';', v) {
        Some(i) => v[..i].trim_ascii(),
        None => v,
    };
    if v.is_empty()
        || v.eq_ignore_ascii_case(b"7bit")
        || v.eq_ignore_ascii_case(b"8bit")
        || v.eq_ignore_ascii_case(b"binary")
    {
        TransferEncoding::Identity
    } else if v.eq_ignore_ascii_case(b"base64") {
        TransferEncoding::Base64
    } else if v.eq_ignore_ascii_case(b"quoted-printable") {
        TransferEncoding::QuotedPrintable
    } else if v.eq_ignore_ascii_case(b"x-uuencode")
        || v.eq_ignore_ascii_case(b"uuencode")
        || v.eq_ignore_ascii_case(b"x-uue")
    {
        TransferEncoding::Uuencode
    } else {
        TransferEncoding::Unknown
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(block: &[u8]) -> MimeInfo {
        MimeInfo::from_block(&HeaderBlock::parse(block, 100), ("text", "plain"))
    }

    #[test]
    fn rfc2231_japanese_filename() {
        let i = info(
            b"Content-Type: application/pdf\r\nContent-Disposition: attachment;\r\n filename*=UTF-8''%E8%AB%8B%E6%B1%82%E6%9B%B8.pdf\r\n",
        );
        assert_eq!(i.filename.as_deref(), Some("請求書.pdf"));
        assert!(i.is_attachment());
    }

    #[test]
    fn rfc2231_cp932_label() {
        let i = info(b"Content-Disposition: attachment; filename*=cp932''%83e%83X%83g.txt\r\n");
        assert_eq!(i.filename.as_deref(), Some("テスト.txt"));
    }

    #[test]
    fn rfc2047_name_in_quotes() {
        let i = info(b"Content-Type: application/octet-stream;\r\n name=\"=?ISO-2022-JP?B?GyRCJUYlOSVIGyhC?=.zip\"\r\n");
        assert_eq!(i.filename.as_deref(), Some("テスト.zip"));
    }

    #[test]
    fn duplicate_content_type_prefers_multipart() {
        let i =
            info(b"Content-Type: text/plain\r\nContent-Type: multipart/mixed; boundary=\"XX\"\r\n");
        assert_eq!(i.ctype, "multipart");
        assert_eq!(i.boundaries, vec!["XX".to_string()]);
        assert_eq!(i.other_types, vec!["text/plain".to_string()]);
    }

    #[test]
    fn misplaced_name_parameters_still_name_the_part() {
        let i =
            info(b"Content-Type: text/plain\r\nContent-Disposition: inline; name=\"a.vbs\"\r\n");
        assert_eq!(i.filename.as_deref(), Some("a.vbs"));
        let j = info(b"Content-Type: text/plain; filename=\"b.vbs\"\r\n");
        assert_eq!(j.filename.as_deref(), Some("b.vbs"));
        let k = info(
            b"Content-Type: text/plain; name=\"ct.txt\"\r\nContent-Disposition: attachment; filename=\"cd.txt\"\r\n",
        );
        assert_eq!(k.filename.as_deref(), Some("cd.txt"));
    }

    #[test]
    fn second_disposition_attachment_wins() {
        let i = info(
            b"Content-Type: text/plain\r\nContent-Disposition: inline\r\nContent-Disposition: attachment\r\n",
        );
        assert!(i.is_attachment());
        let j = info(
            b"Content-Type: text/plain\r\nContent-Disposition: attachment\r\nContent-Disposition: inline\r\n",
        );
        assert!(j.is_attachment());
    }

    #[test]
    fn junk_lines_and_mbox_from() {
        let b = HeaderBlock::parse(b"From a@b Mon\r\nnot a field\r\nX: 1\r\n", 10);
        assert_eq!(b.fields.len(), 1);
        assert_eq!(b.junk_lines, 1);
    }

    #[test]
    fn junk_line_ends_the_field() {
        let b = HeaderBlock::parse(b"A: 1\r\n x\r\njunk\r\n y\r\nB: 2\r\n", 10);
        assert_eq!(b.fields.len(), 2);
        assert_eq!(b.fields[0].value, b" 1\r\n x");
        assert_eq!(b.junk_lines, 2);
    }

    #[test]
    fn field_limit() {
        let b = HeaderBlock::parse(b"A: 1\nB: 2\nC: 3\n", 2);
        assert_eq!(b.fields.len(), 2);
        assert!(b.truncated);
    }

    #[test]
    fn raw_sjis_subject_decodes() {
        let (bytes, _, _) = encoding_rs::SHIFT_JIS.encode("件名です");
        let mut raw = b" ".to_vec();
        raw.extend_from_slice(&bytes);
        assert_eq!(decode_unstructured(&raw), "件名です");
    }
}
