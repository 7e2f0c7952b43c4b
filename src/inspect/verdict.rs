//! The one decision about a text-labelled part: render it as text, convert it as HTML, or
//! remove it. Labels are judged against the content, and where they disagree the reading
//! that exposes more wins: an attachment reading over a text reading, HTML over plain text,
//! the bytes' own signature over any label.

use crate::parse::header::MimeInfo;

use super::sniff;

/// How a text-labelled part is to be treated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reading {
    /// Render as plain text.
    Text,
    /// Convert as HTML.
    Html,
    /// Remove and list like an attachment.
    Remove(Why),
}

/// Why a text-labelled part is removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Why {
    /// A text type other than text/plain and text/html (text/calendar, text/x-script…).
    OtherText,
    /// One of its Content-Type fields names a type that is not text.
    NotTextType,
    /// Its disposition (or one of them) is `attachment`.
    Disposition,
    /// It carries a file name (`filename=`, `name=`, also RFC 2231 `name*=`).
    Named,
    /// Its decoded bytes start with the signature of this binary type.
    Signature(&'static str),
    /// Its decoded bytes hold a block that is mostly control bytes.
    Binary,
}

impl Why {
    /// A short English explanation for the report's warnings.
    pub fn describe(self) -> String {
        match self {
            Why::OtherText => "a text type that is not shown".into(),
            Why::NotTextType => "a second Content-Type that is not text".into(),
            Why::Disposition => "disposition attachment".into(),
            Why::Named => "text part with a file name".into(),
            Why::Signature(kind) => format!("labelled text but content is {kind}"),
            Why::Binary => "labelled text but content is binary".into(),
        }
    }

    /// Whether the content itself (not only its labels) shows the part is not text.
    pub fn by_content(self) -> bool {
        matches!(self, Why::Signature(_) | Why::Binary)
    }
}

/// Judges a leaf part whose declared type is `text/*`.
///
/// `raw` is the transfer-decoded body (its signature is checked); `text` is the same body
/// as an ASCII-compatible byte string (UTF-16 and UTF-7 already decoded to UTF-8; otherwise
/// equal to `raw`), on which control bytes and markup are judged.
///
/// ```
/// use mugai::inspect::verdict::{judge, Reading, Why};
/// use mugai::parse::header::{HeaderBlock, MimeInfo};
/// let info = |h: &[u8]| MimeInfo::from_block(&HeaderBlock::parse(h, 10), ("text", "plain"));
/// let plain = info(b"Content-Type: text/plain\r\n");
/// assert_eq!(judge(&plain, b"hello", b"hello"), Reading::Text);
/// assert_eq!(judge(&plain, b"MZ\x90\x00\x03", b"MZ\x90\x00\x03"), Reading::Remove(Why::Signature("pe-executable")));
/// let doc = b"<!DOCTYPE html><html><body><p>x</p></body></html>";
/// assert_eq!(judge(&plain, doc, doc), Reading::Html);
/// let named = info(b"Content-Type: text/plain; name=\"a.txt\"\r\n");
/// assert_eq!(judge(&named, b"hello", b"hello"), Reading::Remove(Why::Named));
/// ```
pub fn judge(info: &MimeInfo, raw: &[u8], text: &[u8]) -> Reading {
    // The signature also counts after leading blank lines (a body that starts "\r\nMZ…").
    if let Some(kind) = sniff::binary_signature(raw.trim_ascii_start()) {
        return Reading::Remove(Why::Signature(kind));
    }
    if sniff::mostly_control(text) {
        return Reading::Remove(Why::Binary);
    }
    let other_subtypes: Vec<&str> = info
        .other_types
        .iter()
        .map(|t| t.split_once('/').unwrap_or((t.as_str(), "")))
        .filter(|(ctype, _)| *ctype != "multipart")
        .map(|(ctype, sub)| if ctype == "text" { sub } else { "" })
        .collect();
    if other_subtypes.contains(&"") {
        return Reading::Remove(Why::NotTextType);
    }
    if info.is_attachment() {
        return Reading::Remove(Why::Disposition);
    }
    if info.filename.is_some() {
        return Reading::Remove(Why::Named);
    }
    let is_html = info.subtype == "html" || other_subtypes.contains(&"html");
    let shown = |s: &str| matches!(s, "plain" | "html");
    if !shown(&info.subtype) || !other_subtypes.iter().all(|s| shown(s)) {
        return Reading::Remove(Why::OtherText);
    }
    if is_html || looks_like_html(text) {
        Reading::Html
    } else {
        Reading::Text
    }
}

/// Element names that make a `<name` an HTML tag for [`looks_like_html`].
const TAGS: &[&str] = &[
    "a",
    "abbr",
    "address",
    "applet",
    "area",
    "article",
    "aside",
    "audio",
    "b",
    "base",
    "basefont",
    "bgsound",
    "big",
    "blink",
    "blockquote",
    "body",
    "br",
    "button",
    "canvas",
    "caption",
    "center",
    "cite",
    "code",
    "col",
    "colgroup",
    "dd",
    "del",
    "details",
    "dialog",
    "dir",
    "div",
    "dl",
    "dt",
    "em",
    "embed",
    "fieldset",
    "figure",
    "font",
    "footer",
    "form",
    "frame",
    "frameset",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "head",
    "header",
    "hr",
    "html",
    "i",
    "iframe",
    "img",
    "input",
    "ins",
    "label",
    "li",
    "link",
    "main",
    "map",
    "marquee",
    "math",
    "meta",
    "nav",
    "nobr",
    "noscript",
    "object",
    "ol",
    "option",
    "p",
    "param",
    "pre",
    "s",
    "script",
    "section",
    "select",
    "small",
    "source",
    "span",
    "strike",
    "strong",
    "style",
    "sub",
    "sup",
    "svg",
    "table",
    "tbody",
    "td",
    "template",
    "textarea",
    "tfoot",
    "th",
    "thead",
    "title",
    "tr",
    "tt",
    "u",
    "ul",
    "video",
    "wbr",
    "xmp",
];

/// Whether text labelled text/plain is really HTML: a document start (`<!doctype html`,
/// `<html`, `<head`, `<body`, after whitespace, a BOM, an XML declaration or comments), or
/// at least three HTML tags making up a third or more of the non-blank bytes. A text that
/// merely mentions `<script>` in prose stays text.
///
/// ```
/// use mugai::inspect::verdict::looks_like_html;
/// assert!(looks_like_html(b"\r\n  <HTML><body>x</body></HTML>"));
/// assert!(looks_like_html(b"<div><p>Hi</p><script>x()</script></div>"));
/// assert!(!looks_like_html("次の文字列でスクリプトが実行されます。\n<script>alert(1)</script>\n必ずエスケープしてください。".as_bytes()));
/// assert!(!looks_like_html(b"a < b and c > d"));
/// ```
pub fn looks_like_html(text: &[u8]) -> bool {
    document_start(text) || tag_density(text)
}

fn document_start(text: &[u8]) -> bool {
    let mut rest = text.strip_prefix(b"\xef\xbb\xbf").unwrap_or(text);
    // At most a few prologue items (XML declaration, comments), each skipped once.
    for _ in 0..4 {
        rest = rest.trim_ascii_start();
        let skip_to = |rest: &[u8], open: &[u8], close: &[u8]| -> Option<usize> {
            starts_with_ci(rest, open)
                .then(|| memchr::memmem::find(rest, close).map(|i| i + close.len()))
                .flatten()
        };
        match skip_to(rest, b"<?xml", b"?>").or_else(|| skip_to(rest, b"<!--", b"-->")) {
            Some(end) => rest = &rest[end..],
            None => break,
        }
    }
    [b"<!doctype html".as_slice(), b"<html", b"<head", b"<body"]
        .iter()
        .any(|p| starts_with_ci(rest, p) && tag_ends(&rest[p.len()..]))
}

fn starts_with_ci(hay: &[u8], prefix: &[u8]) -> bool {
    hay.len() >= prefix.len() && hay[..prefix.len()].eq_ignore_ascii_case(prefix)
}

/// Whether what follows a tag name ends the name (`>`, `/`, whitespace, end of input).
fn tag_ends(after: &[u8]) -> bool {
    after
        .first()
        .is_none_or(|&b| b == b'>' || b == b'/' || b.is_ascii_whitespace())
}

/// Counts known tags and the bytes they span in one pass over the `<` positions.
fn tag_density(text: &[u8]) -> bool {
    let mut tags = 0usize;
    let mut tag_bytes = 0usize;
    let mut pos = 0;
    while let Some(i) = memchr::memchr(b'<', &text[pos..]) {
        let at = pos + i;
        pos = at + 1;
        let after = &text[at + 1..];
        let name_start = usize::from(after.first() == Some(&b'/'));
        let name_len = after[name_start..]
            .iter()
            .take(12)
            .take_while(|b| b.is_ascii_alphanumeric())
            .count();
        let name = &after[name_start..name_start + name_len];
        if name.is_empty()
            || !tag_ends(&after[name_start + name_len..])
            || !TAGS.iter().any(|t| t.as_bytes().eq_ignore_ascii_case(name))
        {
            continue;
        }
        // The tag runs to the next `>` within 512 bytes (attributes), else to the name.
        let window = &after[..after.len().min(512)];
        let len = memchr::memchr(b'>', window).map_or(name_start + name_len, |e| e + 1);
        tags += 1;
        tag_bytes += len + 1;
        pos = at + 1 + len;
    }
    let non_blank = text.iter().filter(|b| !b.is_ascii_whitespace()).count();
    tags >= 3 && tag_bytes * 3 >= non_blank
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::header::HeaderBlock;

    fn info(h: &[u8]) -> MimeInfo {
        MimeInfo::from_block(&HeaderBlock::parse(h, 20), ("text", "plain"))
    }

    const PROSE: &[u8] = "いつもお世話になっております。\r\n資料を送付します。\r\n".as_bytes();

    #[test]
    fn ordinary_text_is_text() {
        let i = info(b"Content-Type: text/plain; charset=UTF-8\r\n");
        assert_eq!(judge(&i, PROSE, PROSE), Reading::Text);
        let h = info(b"Content-Type: text/html; charset=UTF-8\r\n");
        assert_eq!(judge(&h, b"<p>x</p>", b"<p>x</p>"), Reading::Html);
    }

    #[test]
    fn names_and_dispositions_remove() {
        let named = info(b"Content-Type: text/plain;\r\n name*=UTF-8''%E8%AB%8B.txt\r\n");
        assert_eq!(judge(&named, PROSE, PROSE), Reading::Remove(Why::Named));
        let inline_named =
            info(b"Content-Type: text/plain\r\nContent-Disposition: inline; filename=a.txt\r\n");
        assert_eq!(
            judge(&inline_named, PROSE, PROSE),
            Reading::Remove(Why::Named)
        );
        let two = info(
            b"Content-Type: text/plain\r\nContent-Disposition: inline\r\nContent-Disposition: attachment\r\n",
        );
        assert_eq!(judge(&two, PROSE, PROSE), Reading::Remove(Why::Disposition));
    }

    #[test]
    fn signatures_and_control_bytes_remove() {
        let i = info(b"Content-Type: text/plain\r\n");
        for (data, kind) in [
            (&b"\x7fELF\x02\x01"[..], "elf-executable"),
            (b"PK\x03\x04\x14\x00", "zip"),
            (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "ole2"),
            (b"%PDF-1.4\n", "pdf"),
            (b"Rar!\x1a\x07\x00", "rar"),
            (b"7z\xbc\xaf\x27\x1c", "7z"),
            (b"\x1f\x8b\x08\x00", "gzip"),
        ] {
            assert_eq!(judge(&i, data, data), Reading::Remove(Why::Signature(kind)));
        }
        let padded = b"\r\n\r\n  PK\x03\x04\x14\x00";
        assert_eq!(
            judge(&i, padded, padded),
            Reading::Remove(Why::Signature("zip"))
        );
        let dump: Vec<u8> = (0..256u32).flat_map(|n| [n as u8 % 7, 0, 0, 0]).collect();
        // Binary after a page of text is found too.
        let mut late = PROSE.repeat(40);
        late.extend_from_slice(&dump);
        assert_eq!(judge(&i, &late, &late), Reading::Remove(Why::Binary));
        assert_eq!(judge(&i, &dump, &dump), Reading::Remove(Why::Binary));
        // A few NULs in Japanese text do not make it binary.
        let mut nul = PROSE.to_vec();
        nul.extend_from_slice(b"\x00\x00\x00\r\nMARKER\r\n");
        nul.extend_from_slice(PROSE);
        assert_eq!(judge(&i, &nul, &nul), Reading::Text);
    }

    #[test]
    fn conflicting_types_take_the_more_exposing_reading() {
        let html = info(b"Content-Type: text/plain\r\nContent-Type: text/html\r\n");
        assert_eq!(judge(&html, PROSE, PROSE), Reading::Html);
        let bin = info(b"Content-Type: text/plain\r\nContent-Type: application/x-msdownload\r\n");
        assert_eq!(judge(&bin, PROSE, PROSE), Reading::Remove(Why::NotTextType));
        let cal = info(b"Content-Type: text/calendar\r\n");
        assert_eq!(judge(&cal, PROSE, PROSE), Reading::Remove(Why::OtherText));
    }

    #[test]
    fn html_detection() {
        assert!(looks_like_html(b"<!DOCTYPE html>\n<html>"));
        assert!(looks_like_html(
            b"\xef\xbb\xbf<?xml version=\"1.0\"?>\n<!-- x -->\n<html xmlns=\"x\">"
        ));
        assert!(looks_like_html(b"  <body bgcolor=white>hi"));
        assert!(!looks_like_html(b"<htmlish> is not a tag"));
        assert!(!looks_like_html(b"<html"[..3].as_ref()));
        assert!(!looks_like_html(PROSE));
        assert!(!looks_like_html(
            b"Use <br> for a break and <p> for a paragraph in your long explanation text here."
        ));
        assert!(looks_like_html(b"<table><tr><td>1</td></tr></table>"));
        assert!(!looks_like_html(b"x <<<<<<< y >>>>>>> z"));
    }

    #[test]
    fn tag_scan_is_linear() {
        // Many `<` without `>`: each is looked at once.
        let text = vec![b'<'; 200_000];
        assert!(!looks_like_html(&text));
        let mut tags = Vec::new();
        for _ in 0..50_000 {
            tags.extend_from_slice(b"<b>");
        }
        assert!(looks_like_html(&tags));
    }
}
