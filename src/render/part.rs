//! One text part as the reader sees it: charset decoding (framed payloads cut from the raw
//! bytes first), cleaning, HTML conversion, every other payload cut from the rendered text,
//! and addresses written as text shown under the link policy.
//!
//! The part has already been judged (text or HTML) and transfer-decoded by the pipeline;
//! [`render`] returns the text with everything it found, which the pipeline records.

use std::borrow::Cow;

use super::html::{self, HtmlText};
use super::smuggled::{self, cut_text};
use super::{links, text};
use crate::budget::Deadline;
use crate::inspect::smuggle::Smuggled;
use crate::policy::Policy;

/// A rendered text part and what was found on the way, in the order it was found.
#[derive(Debug)]
pub struct RenderedPart {
    /// The text to show.
    pub text: String,
    /// Framed payloads cut from the raw bytes (numbered first).
    pub framed: Vec<Smuggled>,
    /// When the charset label did not fit: the label, and the encoding the text was
    /// decoded as instead.
    pub mislabelled: Option<(String, &'static str)>,
    /// For HTML: what the converter found (its `text` is empty: it is in [`Self::text`]).
    pub html: Option<HtmlText>,
    /// Payloads cut from the rendered text (numbered after [`Self::framed`]).
    pub cut: Vec<Smuggled>,
    /// Addresses written as text that were rewritten under the link policy.
    pub text_links: usize,
}

/// Renders a text part. `bytes` is the transfer-decoded body in an ASCII-compatible charset
/// named by `label`; an HTML part without a label is read by its `<meta charset>`.
pub fn render(
    bytes: &[u8],
    label: Option<String>,
    is_html: bool,
    policy: &Policy,
    deadline: Deadline,
) -> RenderedPart {
    let lang = policy.notice.language;
    let label = label.or_else(|| is_html.then(|| meta_charset(bytes)).flatten());
    let decoded = smuggled::decode_around_framed(bytes, label.as_deref(), lang);
    let mut part = RenderedPart {
        text: String::new(),
        framed: decoded.payloads,
        mislabelled: decoded
            .mislabelled
            .map(|enc| (label.clone().unwrap_or_default(), enc)),
        html: None,
        cut: Vec::new(),
        text_links: 0,
    };
    // HTML is cleaned after conversion (the converter drops controls in markup anyway);
    // text is cleaned now.
    let shown: Cow<'_, str> = if is_html {
        let mut out = html::to_text_until(
            &decoded.text,
            policy.output.width,
            &policy.html,
            &policy.links,
            lang,
            deadline,
        );
        let converted = std::mem::take(&mut out.text);
        part.html = Some(out);
        Cow::Owned(converted)
    } else {
        text::clean_body(&decoded.text)
    };
    let cut = cut_text(&shown, lang);
    part.cut = cut.payloads;
    // Addresses written as text (in HTML too) are shown under the policy as well.
    let (t, n) = links::rewrite_text_urls(&cut.text, &policy.links);
    part.text_links = n;
    part.text = if is_html {
        text::clean_body(&t).into_owned()
    } else {
        t.into_owned()
    };
    part
}

/// The charset named by a `<meta charset=…>` or `<meta http-equiv… content="…charset=…">` in
/// the first 2 KiB of an HTML document.
pub fn meta_charset(html: &[u8]) -> Option<String> {
    let head = &html[..html.len().min(2048)];
    let lower: Vec<u8> = head.iter().map(|b| b.to_ascii_lowercase()).collect();
    let at = memchr::memmem::find(&lower, b"charset=")?;
    let rest = &head[at + 8..];
    let rest = rest
        .strip_prefix(b"\"")
        .or_else(|| rest.strip_prefix(b"'"))
        .unwrap_or(rest);
    let len = rest
        .iter()
        .take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
        .count();
    (len > 0).then(|| String::from_utf8_lossy(&rest[..len]).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_part_reports_what_it_found_and_text_part_reports_the_label() {
        let policy = Policy::default();
        let html = br#"<meta charset="utf-8"><p>Hi <a href="https://a.example.jp/">here</a></p>"#;
        let out = render(html, None, true, &policy, Deadline::never());
        let facts = out.html.as_ref().expect("HTML facts");
        assert_eq!(facts.links, 1);
        assert!(facts.text.is_empty());
        assert!(
            out.text.contains("hxxps://a[.]example[.]jp/"),
            "{}",
            out.text
        );
        assert!(out.mislabelled.is_none() && out.framed.is_empty() && out.cut.is_empty());

        let sjis = encoding_rs::SHIFT_JIS.encode("お知らせです").0;
        let out = render(
            &sjis,
            Some("utf-8".into()),
            false,
            &policy,
            Deadline::never(),
        );
        let (label, decoded_as) = out.mislabelled.expect("label did not fit");
        assert_eq!((label.as_str(), decoded_as), ("utf-8", "Shift_JIS"));
        assert!(out.text.contains("お知らせです"), "{}", out.text);
        assert!(out.html.is_none());
    }
}
