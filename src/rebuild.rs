//! Writing the new message: header edits against the original header block, and the new
//! text/plain body, transfer-encoded so that every line is 7-bit and at most 998 octets.
//!
//! Only the header fields on the allow-list (`headers.keep`) are kept; every other field is
//! removed and counted. Nothing kept is copied without a check: a kept field is decoded,
//! encoded payloads are cut out of it, its links are defanged and its control, bidi and
//! invisible characters made visible; it is copied raw only when none of that changed
//! anything and it is 7-bit, free of control characters and within the length limits;
//! otherwise its cleaned value is re-encoded (RFC 2047). Values we write never contain a
//! bare CR or LF, so no input can split a header we write.

use std::fmt::Write as _;

use crate::inspect::smuggle::{self, Smuggled};
use crate::outcome::HeaderEdit;
use crate::parse::header::{
    HeaderBlock, RawField, canonicalise_charset_labels, decode_unstructured, has_mail_only_jis,
};
use crate::policy::{BodyEncoding as TransferEncoding, HeaderPolicy, LinkPolicy, OutputCharset};

/// Field names that describe the original MIME structure; they are always removed.
pub fn is_content_field(name: &[u8]) -> bool {
    name.eq_ignore_ascii_case(b"MIME-Version")
        || (name.len() >= 8 && name[..8].eq_ignore_ascii_case(b"Content-"))
        || (name.len() >= 8 && name[..8].eq_ignore_ascii_case(b"X-Mugai-"))
}

/// Encodes a header value for writing: ASCII text without controls stays as it is; anything
/// else becomes RFC 2047 encoded words (UTF-8, base64), folded with `"\r\n "`.
///
/// `name` is the field name the value is written under (its length counts on the first line).
///
/// ```
/// use mugai::rebuild::encode_header_value;
/// assert_eq!(encode_header_value("Subject", "hello"), "hello");
/// assert_eq!(encode_header_value("Subject", "テスト"), "=?UTF-8?B?44OG44K544OI?=");
/// ```
pub fn encode_header_value(name: &str, value: &str) -> String {
    let value: String = value
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if value.is_ascii() {
        return fold_ascii(&value, name.len() + 2);
    }
    let mut out = String::new();
    let mut chunk = String::new();
    let flush = |out: &mut String, chunk: &mut String| {
        if chunk.is_empty() {
            return;
        }
        if !out.is_empty() {
            out.push_str("\r\n ");
        }
        let _ = write!(
            out,
            "=?UTF-8?B?{}?=",
            base64_simd::STANDARD.encode_to_string(chunk.as_bytes())
        );
        chunk.clear();
    };
    for c in value.chars() {
        if chunk.len() + c.len_utf8() > 45 {
            flush(&mut out, &mut chunk);
        }
        chunk.push(c);
    }
    flush(&mut out, &mut chunk);
    out
}

/// The `policy` parameter of `X-Mugai-Sanitized` for a policy named `name` (its first 64
/// characters). A name of token characters only (`A–Z a–z 0–9 - _ .`) is written as it is,
/// `policy=NAME`; any other name (Japanese, spaces…) is carried whole as an RFC 2231
/// extended parameter, `policy*=UTF-8''` followed by the percent-encoded UTF-8 bytes, which
/// mail libraries decode back to the name. An empty name is written `policy=`.
///
/// ```
/// use mugai::rebuild::policy_parameter;
/// assert_eq!(policy_parameter("default"), "policy=default");
/// assert_eq!(policy_parameter("県庁"), "policy*=UTF-8''%E7%9C%8C%E5%BA%81");
/// assert_eq!(policy_parameter("a b"), "policy*=UTF-8''a%20b");
/// ```
pub fn policy_parameter(name: &str) -> String {
    let name: String = name.chars().take(64).collect();
    let token = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.');
    if name.bytes().all(token) {
        return format!("policy={name}");
    }
    let mut out = String::from("policy*=UTF-8''");
    for b in name.bytes() {
        if token(b) {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// Folds a long ASCII value at spaces so that lines stay under 78 characters where possible
/// and never exceed 998.
fn fold_ascii(value: &str, first_line_used: usize) -> String {
    if value.len() + first_line_used <= 900 {
        return value.to_owned();
    }
    let mut out = String::with_capacity(value.len() + value.len() / 70 * 3);
    let mut line_len = first_line_used;
    for (i, word) in value.split(' ').enumerate() {
        if i > 0 {
            if line_len + 1 + word.len() > 76 && line_len > first_line_used.min(1) {
                out.push_str("\r\n");
                line_len = 0;
            }
            out.push(' ');
            line_len += 1;
        }
        // A single word longer than a line is cut hard.
        let mut w = word;
        while line_len + w.len() > 990 {
            let cut = floor_char_boundary(w, 990 - line_len);
            out.push_str(&w[..cut]);
            out.push_str("\r\n ");
            line_len = 1;
            w = &w[cut..];
        }
        out.push_str(w);
        line_len += w.len();
    }
    out
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    i = i.min(s.len());
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i.max(1).min(s.len())
}

/// Whether a raw field can be copied as it is.
fn copyable(field: &RawField<'_>, max_bytes: usize) -> bool {
    if field.value.len() > max_bytes {
        return false;
    }
    // Encoded words in charsets that mail clients do not know (`=?cp932?B?…`) are
    // re-encoded in UTF-8 so that the reader's client can show them.
    if memchr::memmem::find(field.value, b"=?").is_some()
        && std::str::from_utf8(field.value)
            .is_ok_and(|v| matches!(canonicalise_charset_labels(v), std::borrow::Cow::Owned(_)))
    {
        return false;
    }
    // ISO-2022-JP words that WHATWG decoders (web mail) misread are written fresh in UTF-8.
    if memchr::memmem::find(field.value, b"=?").is_some() && has_mail_only_jis(field.value) {
        return false;
    }
    let mut line_len = field.name.len() + 1;
    let mut prev_cr = false;
    // Every line after the first must be a continuation (start with a space or tab).
    if field
        .value
        .windows(2)
        .any(|w| w[0] == b'\n' && w[1] != b' ' && w[1] != b'\t')
    {
        return false;
    }
    for &b in field.value {
        match b {
            b'\n' => {
                if !prev_cr {
                    return false;
                }
                line_len = 0;
            }
            b'\r' => {}
            b'\t' => line_len += 1,
            0x20..=0x7e => line_len += 1,
            _ => return false,
        }
        if prev_cr && b != b'\n' {
            return false;
        }
        prev_cr = b == b'\r';
        if line_len > 998 {
            return false;
        }
    }
    !prev_cr
}

/// For each field of `block`, its 1-based occurrence among the fields of the same name
/// (case-insensitive): the index milter header edits use.
fn occurrences(block: &HeaderBlock<'_>) -> Vec<usize> {
    let mut counts: Vec<(&[u8], usize)> = Vec::new();
    block
        .fields
        .iter()
        .map(|f| {
            match counts
                .iter_mut()
                .find(|(n, _)| n.eq_ignore_ascii_case(f.name))
            {
                Some((_, c)) => {
                    *c += 1;
                    *c
                }
                None => {
                    counts.push((f.name, 1));
                    1
                }
            }
        })
        .collect()
}

/// What header review needs from the policy.
#[derive(Debug, Clone, Copy)]
pub struct HeaderRules<'p> {
    /// Longest field value kept (decoded bytes); longer values are cut with `…`.
    pub max_field_bytes: usize,
    /// The allow-list.
    pub headers: &'p HeaderPolicy,
    /// How links in kept fields are shown.
    pub links: &'p LinkPolicy,
}

/// What becomes of one field of the original block.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Fate {
    /// Copied as it is.
    Copy,
    /// Removed: a MIME field (rebuilt) or not on the allow-list.
    Delete,
    /// Written anew with this (decoded, cleaned) value.
    Change(String),
}

/// A payload cut out of a kept header field.
#[derive(Debug, Clone)]
pub struct HeaderPayload {
    /// The field it was found in.
    pub field: String,
    /// What was found.
    pub found: Smuggled,
}

/// The review of the original header block: what becomes of each field, and what was
/// found on the way (for the report).
#[derive(Debug, Clone, Default)]
pub struct HeaderReview {
    fates: Vec<Fate>,
    /// Names of the fields removed because the allow-list does not name them, in order.
    pub removed: Vec<String>,
    /// Links rewritten in kept fields.
    pub links: usize,
    /// Control, bidi and invisible characters made visible in kept fields.
    pub made_visible: usize,
    /// Encoded payloads cut out of kept fields.
    pub payloads: Vec<HeaderPayload>,
}

/// A header value made safe to show, and what it took.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CleanValue {
    /// The value.
    pub text: String,
    /// Links rewritten.
    pub links: usize,
    /// Characters made visible.
    pub made_visible: usize,
}

/// Characters a header value must not carry as they are: controls other than tab (CR and LF
/// can come out of an encoded word), bidirectional controls and invisible characters.
fn needs_mark(c: char) -> bool {
    (c.is_control() && c != '\t')
        || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200B}'..='\u{200F}'
            | '\u{061C}' | '\u{2060}'..='\u{2064}' | '\u{FEFF}' | '\u{00AD}')
}

/// Makes a decoded header value safe to show: links are shown under the link policy (one
/// finder and one defang, as in the body), then control, bidi and invisible characters
/// become visible `[U+XXXX]` marks.
///
/// ```
/// use mugai::{policy::LinkPolicy, rebuild::clean_header_text};
/// let v = clean_header_text("Bill\u{202E}fdp.exe\r\nBcc: x https://evil.example/", &LinkPolicy::default());
/// assert_eq!(v.text, "Bill[U+202E]fdp.exe[U+000D][U+000A]Bcc: x hxxps://evil[.]example/");
/// assert_eq!((v.links, v.made_visible), (1, 3));
/// ```
pub fn clean_header_text(value: &str, links: &LinkPolicy) -> CleanValue {
    let (linked, n) = crate::render::links::rewrite_text_urls(value, links);
    let mut out = CleanValue {
        text: String::with_capacity(linked.len()),
        links: n,
        made_visible: 0,
    };
    for c in linked.chars() {
        if needs_mark(c) {
            out.made_visible += 1;
            let _ = write!(out.text, "[U+{:04X}]", c as u32);
        } else {
            out.text.push(c);
        }
    }
    out
}

/// Cuts encoded payloads out of a decoded header value.
fn cut_payloads(name: &str, value: String, review: &mut HeaderReview) -> String {
    let found = smuggle::find(value.as_bytes());
    if found.is_empty() {
        return value;
    }
    let mut out = String::with_capacity(value.len());
    let mut pos = 0;
    for s in found {
        let (start, end) = (s.range.start.min(value.len()), s.range.end.min(value.len()));
        if start < pos || !value.is_char_boundary(start) || !value.is_char_boundary(end) {
            continue;
        }
        out.push_str(&value[pos..start]);
        out.push_str("[encoded data removed] ");
        pos = end;
        review.payloads.push(HeaderPayload {
            field: name.to_owned(),
            found: s,
        });
    }
    out.push_str(&value[pos..]);
    out.trim_end().to_owned()
}

/// Reviews the original top-level header block under the allow-list: MIME fields and
/// fields not on the list are removed; each kept field is decoded, cut to length, cleaned
/// of payloads, links and invisible characters, and copied raw only when nothing had to
/// change and its raw form is clean 7-bit.
pub fn review_headers(block: &HeaderBlock<'_>, rules: &HeaderRules<'_>) -> HeaderReview {
    let mut review = HeaderReview::default();
    for f in &block.fields {
        // A field name too long to write a value after is dropped.
        let fate = if is_content_field(f.name) || f.name.len() > 200 {
            Fate::Delete
        } else if !rules.headers.keeps(f.name) {
            review.removed.push(f.name_str().to_owned());
            Fate::Delete
        } else {
            let mut decoded = decode_unstructured(f.value);
            let long = decoded.len() > rules.max_field_bytes;
            if long {
                let cut = floor_char_boundary(&decoded, rules.max_field_bytes);
                decoded.truncate(cut);
                decoded.push('…');
            }
            let uncut = cut_payloads(f.name_str(), decoded.clone(), &mut review);
            let clean = clean_header_text(&uncut, rules.links);
            review.links += clean.links;
            review.made_visible += clean.made_visible;
            if clean.text != decoded || long || !copyable(f, rules.max_field_bytes) {
                Fate::Change(clean.text)
            } else {
                Fate::Copy
            }
        };
        review.fates.push(fate);
    }
    review
}

/// Plans the header edits for the original top-level header block from its `review`.
///
/// `subject` is the new Subject value (decoded, already clean) when the Subject must change;
/// `added` are the fields to add at the end, in order.
pub fn plan_header_edits(
    block: &HeaderBlock<'_>,
    review: &HeaderReview,
    subject: Option<&str>,
    added: &[(String, String)],
) -> Vec<HeaderEdit> {
    let mut changes = Vec::new();
    let mut deletes = Vec::new();
    let mut subject_done = false;
    for ((f, index), fate) in block
        .fields
        .iter()
        .zip(occurrences(block))
        .zip(review.fates.iter().chain(std::iter::repeat(&Fate::Delete)))
    {
        let name = f.name_str().to_owned();
        match fate {
            Fate::Delete => deletes.push(HeaderEdit::Delete { name, index }),
            _ if f.is("Subject") && subject.is_some() && !subject_done => {
                subject_done = true;
                let value = encode_header_value(&name, subject.unwrap_or_default());
                changes.push(HeaderEdit::Change { name, index, value });
            }
            Fate::Change(v) => {
                let value = encode_header_value(&name, v);
                changes.push(HeaderEdit::Change { name, index, value });
            }
            Fate::Copy => {}
        }
    }
    // Deletions of one name from the highest index down, so indexes do not shift.
    deletes.reverse();
    let mut edits = changes;
    edits.extend(deletes);
    if let (Some(s), false) = (subject, subject_done) {
        edits.push(HeaderEdit::Add {
            name: "Subject".into(),
            value: encode_header_value("Subject", s),
        });
    }
    for (name, value) in added {
        edits.push(HeaderEdit::Add {
            name: name.clone(),
            value: value.clone(),
        });
    }
    edits
}

/// Applies planned edits to the original block and returns the rebuilt header block, each
/// field ending with `le`.
pub fn apply_header_edits(block: &HeaderBlock<'_>, edits: &[HeaderEdit], le: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(block.fields.iter().map(|f| f.value.len() + 32).sum());
    for (f, index) in block.fields.iter().zip(occurrences(block)) {
        let edit = edits.iter().find(|e| match e {
            HeaderEdit::Delete { name, index: i } | HeaderEdit::Change { name, index: i, .. } => {
                *i == index && name.as_bytes().eq_ignore_ascii_case(f.name)
            }
            HeaderEdit::Add { .. } => false,
        });
        match edit {
            Some(HeaderEdit::Delete { .. }) => {}
            Some(HeaderEdit::Change { value, .. }) => {
                write_field(&mut out, f.name_str(), value, le)
            }
            _ => {
                out.extend_from_slice(f.name);
                out.push(b':');
                // Raw value: line endings normalised to `le`.
                for (i, line) in crate::parse::lines::lines(f.value).enumerate() {
                    if i > 0 {
                        out.extend_from_slice(le.as_bytes());
                    }
                    out.extend_from_slice(line);
                }
                out.extend_from_slice(le.as_bytes());
            }
        }
    }
    for e in edits {
        if let HeaderEdit::Add { name, value } = e {
            write_field(&mut out, name, value, le);
        }
    }
    out
}

fn write_field(out: &mut Vec<u8>, name: &str, value: &str, le: &str) {
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(b": ");
    if le == "\r\n" {
        out.extend_from_slice(value.as_bytes());
    } else {
        out.extend_from_slice(value.replace("\r\n", le).as_bytes());
    }
    out.extend_from_slice(le.as_bytes());
}

/// The encoded body and the MIME header values that describe it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncodedBody {
    /// Body bytes, lines ending with the requested line ending.
    pub bytes: Vec<u8>,
    /// Value for `Content-Type`.
    pub content_type: &'static str,
    /// Value for `Content-Transfer-Encoding`.
    pub transfer_encoding: &'static str,
    /// Characters the charset could not carry (replaced by `〓`).
    pub unmappable: usize,
}

/// Encodes the body text (lines separated by `\n`).
pub fn encode_body(
    text: &str,
    charset: OutputCharset,
    te: TransferEncoding,
    le: &str,
) -> EncodedBody {
    match charset {
        OutputCharset::Iso2022Jp => {
            let (bytes, unmappable) = iso2022jp(text, le);
            EncodedBody {
                bytes,
                content_type: "text/plain; charset=ISO-2022-JP",
                transfer_encoding: "7bit",
                unmappable,
            }
        }
        OutputCharset::Utf8 => match te {
            TransferEncoding::QuotedPrintable => EncodedBody {
                bytes: quoted_printable(text, le),
                content_type: "text/plain; charset=utf-8",
                transfer_encoding: "quoted-printable",
                unmappable: 0,
            },
            TransferEncoding::Base64 => {
                let enc = base64_simd::STANDARD.encode_to_string(text.as_bytes());
                let mut bytes = Vec::with_capacity(enc.len() + enc.len() / 76 * 2 + 2);
                for chunk in enc.as_bytes().chunks(76) {
                    bytes.extend_from_slice(chunk);
                    bytes.extend_from_slice(le.as_bytes());
                }
                EncodedBody {
                    bytes,
                    content_type: "text/plain; charset=utf-8",
                    transfer_encoding: "base64",
                    unmappable: 0,
                }
            }
        },
    }
}

/// Quoted-printable encoding of UTF-8 text, soft line breaks at 76 columns.
///
/// ```
/// let qp = mugai::rebuild::quoted_printable("a=b é \n", "\r\n");
/// assert_eq!(qp, b"a=3Db =C3=A9=20\r\n");
/// ```
pub fn quoted_printable(text: &str, le: &str) -> Vec<u8> {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    // Bytes written as they are (printable ASCII except '='); space and tab only when not
    // at the end of a line.
    const fn literal_table() -> [bool; 256] {
        let mut t = [false; 256];
        let mut b = 0x21;
        while b <= 0x7e {
            t[b] = b != b'=' as usize;
            b += 1;
        }
        t
    }
    static LITERAL: [bool; 256] = literal_table();
    let mut out = Vec::with_capacity(text.len() * 3 + text.len() / 24 + 16);
    let le = le.as_bytes();
    let mut lines = text.split('\n').peekable();
    while let Some(line) = lines.next() {
        if lines.peek().is_none() && line.is_empty() {
            break;
        }
        let bytes = line.as_bytes();
        // A leading '.' or "From " is escaped, for SMTP and mbox safety.
        let escape_first = bytes.first() == Some(&b'.') || bytes.starts_with(b"From ");
        let mut col = 0;
        for (i, &b) in bytes.iter().enumerate() {
            let literal = if b == b' ' || b == b'\t' {
                i + 1 != bytes.len()
            } else {
                LITERAL[b as usize]
            } && !(i == 0 && escape_first);
            if literal {
                if col + 1 > 75 {
                    out.extend_from_slice(b"=");
                    out.extend_from_slice(le);
                    col = 0;
                }
                out.push(b);
                col += 1;
            } else {
                if col + 3 > 75 {
                    out.extend_from_slice(b"=");
                    out.extend_from_slice(le);
                    col = 0;
                }
                out.extend_from_slice(&[b'=', HEX[(b >> 4) as usize], HEX[(b & 15) as usize]]);
                col += 3;
            }
        }
        out.extend_from_slice(le);
    }
    out
}

/// ISO-2022-JP encoding, line by line (each line returns to ASCII), long lines hard-wrapped
/// so that no encoded line exceeds 998 octets. Returns the bytes and the number of
/// characters replaced by `〓`.
fn iso2022jp(text: &str, le: &str) -> (Vec<u8>, usize) {
    use encoding_rs::ISO_2022_JP;
    let mut out = Vec::with_capacity(text.len() * 2);
    let mut unmappable = 0;
    let mut lines = text.split('\n').peekable();
    let mut tmp = [0u8; 4];
    while let Some(line) = lines.next() {
        if lines.peek().is_none() && line.is_empty() {
            break;
        }
        // Replace what ISO-2022-JP cannot carry before encoding.
        let mut mapped = String::with_capacity(line.len());
        for c in line.chars() {
            if c.is_ascii() || !ISO_2022_JP.encode(c.encode_utf8(&mut tmp)).2 {
                mapped.push(c);
            } else {
                unmappable += 1;
                mapped.push('〓');
            }
        }
        let chars: Vec<char> = mapped.chars().collect();
        for piece in chars.chunks(300) {
            let piece: String = piece.iter().collect();
            out.extend_from_slice(&ISO_2022_JP.encode(&piece).0);
            out.extend_from_slice(le.as_bytes());
        }
        if chars.is_empty() {
            out.extend_from_slice(le.as_bytes());
        }
    }
    (out, unmappable)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn qp_lines_are_short_and_decodable() {
        let text = format!("{}\n.dot\nFrom here\n", "あ".repeat(200));
        let qp = quoted_printable(&text, "\r\n");
        for line in qp.split(|&b| b == b'\n') {
            assert!(line.len() <= 77, "{}", line.len());
        }
        let decoded = crate::parse::transfer::quoted_printable(&qp);
        assert_eq!(
            String::from_utf8(decoded).unwrap().replace("\r\n", "\n"),
            text
        );
    }

    #[test]
    fn iso2022jp_replaces_unmappable() {
        let (bytes, n) = iso2022jp("テスト😀①\n", "\r\n");
        assert_eq!(n, 1);
        let (text, _) = crate::parse::charset::decode(&bytes, Some(b"iso-2022-jp"));
        assert_eq!(text, "テスト〓①\r\n");
    }

    fn rules<'p>(headers: &'p HeaderPolicy, links: &'p LinkPolicy) -> HeaderRules<'p> {
        HeaderRules {
            max_field_bytes: 8192,
            headers,
            links,
        }
    }

    #[test]
    fn fields_off_the_allow_list_are_deleted_and_counted() {
        let block = HeaderBlock::parse(
            b"From: a@b.jp\r\nX-Data: TVqQAAMAAAAEAAAA\r\nList-Unsubscribe: <https://u.example/x>\r\n\
              Resent-From: c@d.jp\r\nx-data: second\r\nSubject: s\r\n",
            100,
        );
        let review = review_headers(
            &block,
            &rules(&HeaderPolicy::default(), &LinkPolicy::default()),
        );
        assert_eq!(review.removed, ["X-Data", "List-Unsubscribe", "x-data"]);
        let edits = plan_header_edits(&block, &review, None, &[]);
        let rebuilt = apply_header_edits(&block, &edits, "\r\n");
        assert_eq!(
            rebuilt,
            b"From: a@b.jp\r\nResent-From: c@d.jp\r\nSubject: s\r\n"
        );
        // The milter deletes the second X-Data before the first.
        assert_eq!(
            edits,
            vec![
                HeaderEdit::Delete {
                    name: "x-data".into(),
                    index: 2
                },
                HeaderEdit::Delete {
                    name: "List-Unsubscribe".into(),
                    index: 1
                },
                HeaderEdit::Delete {
                    name: "X-Data".into(),
                    index: 1
                },
            ]
        );
    }

    #[test]
    fn kept_fields_are_cleaned_and_reencoded() {
        let block = HeaderBlock::parse(
            b"From: =?UTF-8?B?5pSv5omV?= <a@b.jp>\r\n\
              Subject: =?UTF-8?B?6KuL5rGC4oCuZmRwLmV4ZQ0KQmNjOiB4QHkuanA=?=\r\n\
              Reply-To: see https://evil.example.com/ x@y.jp\r\n",
            100,
        );
        let review = review_headers(
            &block,
            &rules(&HeaderPolicy::default(), &LinkPolicy::default()),
        );
        assert_eq!(review.links, 1);
        assert_eq!(review.made_visible, 3);
        let edits = plan_header_edits(&block, &review, None, &[]);
        let rebuilt = String::from_utf8(apply_header_edits(&block, &edits, "\r\n")).unwrap();
        assert!(
            rebuilt.starts_with("From: =?UTF-8?B?5pSv5omV?= <a@b.jp>\r\n"),
            "{rebuilt}"
        );
        let again = HeaderBlock::parse(rebuilt.as_bytes(), 100);
        let subject = decode_unstructured(again.get("Subject").unwrap().value);
        assert_eq!(
            subject.trim(),
            "請求[U+202E]fdp.exe[U+000D][U+000A]Bcc: x@y.jp"
        );
        assert!(
            rebuilt.contains("Reply-To: see hxxps://evil[.]example[.]com/ x@y.jp\r\n"),
            "{rebuilt}"
        );
        assert!(!rebuilt.contains("Bcc: x@y.jp\r\n"));
    }

    #[test]
    fn payloads_in_kept_fields_are_cut() {
        let mut pe = b"MZ\x90\x00\x03\x00\x00\x00This program cannot be run in DOS mode.".to_vec();
        pe.extend((0..400u32).map(|i| (i * 7 % 251) as u8));
        let b64 = base64_simd::STANDARD.encode_to_string(&pe);
        let lines: Vec<&str> = b64
            .as_bytes()
            .chunks(64)
            .map(|c| std::str::from_utf8(c).unwrap())
            .collect();
        let decoded = format!("見積書\n{}\n", lines.join("\n"));
        let word = format!(
            "=?UTF-8?B?{}?=",
            base64_simd::STANDARD.encode_to_string(decoded.as_bytes())
        );
        let raw = format!("Subject: {word}\r\n");
        let block = HeaderBlock::parse(raw.as_bytes(), 100);
        let review = review_headers(
            &block,
            &rules(&HeaderPolicy::default(), &LinkPolicy::default()),
        );
        assert_eq!(review.payloads.len(), 1);
        assert_eq!(review.payloads[0].field, "Subject");
        assert!(review.payloads[0].found.data.starts_with(b"MZ"));
        let edits = plan_header_edits(&block, &review, None, &[]);
        let rebuilt = apply_header_edits(&block, &edits, "\r\n");
        let again = HeaderBlock::parse(&rebuilt, 100);
        let subject = decode_unstructured(again.get("Subject").unwrap().value);
        assert!(subject.starts_with("見積書"), "{subject}");
        assert!(subject.contains("[encoded data removed]"), "{subject}");
        assert!(!subject.contains(&lines[1][..40]), "{subject}");
    }

    #[test]
    fn edits_delete_mime_fields_from_the_top() {
        let block = HeaderBlock::parse(
            b"Content-Type: a\r\nSubject: s\r\nContent-Type: b\r\nX-Mugai-Sanitized: fake\r\n",
            100,
        );
        let review = review_headers(
            &block,
            &rules(&HeaderPolicy::default(), &LinkPolicy::default()),
        );
        let edits = plan_header_edits(&block, &review, None, &[("X-A".into(), "1".into())]);
        assert_eq!(
            edits,
            vec![
                HeaderEdit::Delete {
                    name: "X-Mugai-Sanitized".into(),
                    index: 1
                },
                HeaderEdit::Delete {
                    name: "Content-Type".into(),
                    index: 2
                },
                HeaderEdit::Delete {
                    name: "Content-Type".into(),
                    index: 1
                },
                HeaderEdit::Add {
                    name: "X-A".into(),
                    value: "1".into()
                },
            ]
        );
        let rebuilt = apply_header_edits(&block, &edits, "\r\n");
        assert_eq!(rebuilt, b"Subject: s\r\nX-A: 1\r\n");
    }

    #[test]
    fn folded_lines_count_the_field_name() {
        let long = format!("<{}@x>", "0123456789abcdef-junk-".repeat(100));
        let v = encode_header_value("Message-ID", &long);
        let first = v.split("\r\n").next().unwrap();
        assert!("Message-ID: ".len() + first.len() <= 998);
        assert!(v.split("\r\n").all(|l| l.len() <= 998));
    }

    #[test]
    fn raw_8bit_field_is_reencoded() {
        let (sjis, _, _) = encoding_rs::SHIFT_JIS.encode("件名");
        let mut raw = b"Subject: ".to_vec();
        raw.extend_from_slice(&sjis);
        raw.extend_from_slice(b"\r\n");
        let block = HeaderBlock::parse(&raw, 100);
        let review = review_headers(
            &block,
            &rules(&HeaderPolicy::default(), &LinkPolicy::default()),
        );
        let edits = plan_header_edits(&block, &review, None, &[]);
        assert_eq!(
            edits,
            vec![HeaderEdit::Change {
                name: "Subject".into(),
                index: 1,
                value: encode_header_value("Subject", "件名")
            }]
        );
    }
}
