//! Cutting encoded payloads ([`smuggle`]) out of what the reader sees: each block found is
//! replaced by one line naming it ([`Words::encoded_removed`](super::words::Words)), and
//! returned so that the caller can list it like an attachment.
//!
//! Two places: [`decode_around_framed`] cuts framed blocks (uuencode, yEnc, BinHex) from the
//! raw bytes while decoding the charset (yEnc is 8-bit and would not survive decoding), and
//! [`cut_text`] cuts every shape from rendered text.

use std::borrow::Cow;

use super::text::visible_name;
use super::words::words;
use crate::inspect::smuggle::{self, Smuggled};
use crate::parse::charset;
use crate::policy::Language;

/// Text with the payloads found in it cut out.
#[derive(Debug)]
pub struct Cut<'t> {
    /// The text, each payload replaced by its line.
    pub text: Cow<'t, str>,
    /// The payloads, in the order they stood in the text.
    pub payloads: Vec<Smuggled>,
}

/// Cuts what [`smuggle::find_str`] finds in `text`: each block becomes the line of
/// [`line()`]; a block cut from inside a line leaves that line's end for the notice line.
pub fn cut_text(text: &str, lang: Language) -> Cut<'_> {
    let found = smuggle::find_str(text);
    if found.is_empty() {
        return Cut {
            text: Cow::Borrowed(text),
            payloads: found,
        };
    }
    let mut out = String::with_capacity(text.len());
    let mut pos = 0;
    for s in &found {
        out.push_str(text.get(pos..s.range.start).unwrap_or_default());
        if !out.is_empty() && !out.ends_with('\n') {
            out.push('\n');
        }
        out.push_str(&line(s, lang));
        out.push('\n');
        pos = s.range.end;
    }
    let rest = text.get(pos..).unwrap_or_default();
    let cut_mid_line = text.get(..pos).is_some_and(|t| !t.ends_with('\n'));
    out.push_str(match rest.strip_prefix('\n') {
        Some(r) if cut_mid_line => r,
        _ => rest,
    });
    Cut {
        text: Cow::Owned(out),
        payloads: found,
    }
}

/// The line that stands where a payload was cut: its name, or its kind.
pub fn line(s: &Smuggled, lang: Language) -> String {
    let what = s
        .name
        .as_deref()
        .map_or_else(|| s.kind.to_owned(), |n| visible_name(n, 120));
    words(lang).encoded_removed.replace("{}", &what)
}

/// Bytes decoded to text with the framed payloads in them cut out.
#[derive(Debug)]
pub struct Decoded {
    /// The decoded text, each framed payload replaced by its line.
    pub text: String,
    /// The framed payloads, in order.
    pub payloads: Vec<Smuggled>,
    /// When the charset label did not fit: the encoding the text was decoded as instead.
    pub mislabelled: Option<&'static str>,
}

/// Decodes `bytes` (charset `label`) around the framed blocks in them
/// ([`smuggle::find_framed`]), each block replaced by its [`line()`].
pub fn decode_around_framed(bytes: &[u8], label: Option<&str>, lang: Language) -> Decoded {
    let label_bytes = label.map(str::as_bytes);
    let found = smuggle::find_framed(bytes);
    let mut text = String::with_capacity(bytes.len());
    let mut pos = 0;
    let mut mislabelled = false;
    for s in &found {
        let (seg, how) = charset::decode(&bytes[pos..s.range.start], label_bytes);
        mislabelled |= how.detected && label.is_some();
        text.push_str(&seg);
        text.push_str(&line(s, lang));
        text.push('\n');
        pos = s.range.end;
    }
    let (seg, how) = charset::decode(&bytes[pos..], label_bytes);
    mislabelled |= how.detected && label.is_some();
    text.push_str(&seg);
    Decoded {
        text,
        payloads: found,
        mislabelled: mislabelled.then(|| how.encoding.name()),
    }
}
