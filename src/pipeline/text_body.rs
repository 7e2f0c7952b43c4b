//! A text leaf's body, decoded once: transfer-decoded, widened to UTF-8 when in UTF-16 or
//! UTF-7, and judged ([`Judged`]); the same decoding serves choosing among alternatives,
//! the verdict, and rendering.

use std::borrow::Cow;

use crate::budget::Deadline;
use crate::inspect::verdict::{self, Reading};
use crate::parse::charset;
use crate::parse::header::TransferEncoding;
use crate::parse::structure::{Part, PartBody};
use crate::parse::transfer;
use crate::render::part::meta_charset;

/// The body of a text-labelled part, transfer-decoded, and (when it is in UTF-16 or UTF-7,
/// by its BOM or its label) decoded to UTF-8 so that every later step sees an
/// ASCII-compatible byte string.
pub(super) struct TextBody<'a> {
    /// Transfer-decoded bytes (signatures are judged on these).
    pub(super) raw: Cow<'a, [u8]>,
    /// The UTF-8 text when the body was in a wide encoding.
    widened: Option<String>,
    /// Which wide encoding, for the report.
    pub(super) wide: Option<charset::Wide>,
    /// The charset label for [`charset::decode`].
    label: Option<String>,
}

impl<'a> TextBody<'a> {
    /// `None` when `deadline` passed before the transfer decoding was done.
    pub(super) fn of(part: &Part<'a>, deadline: Deadline) -> Option<Self> {
        let raw: Cow<'a, [u8]> = match part.info.transfer {
            TransferEncoding::Identity | TransferEncoding::Unknown => Cow::Borrowed(part.body),
            te => Cow::Owned(transfer::decode_until(part.body, te, deadline)?),
        };
        let mut label = part.info.charset.clone();
        if label.is_none() && part.info.subtype == "html" {
            label = meta_charset(&raw);
        }
        let wide = charset::wide_encoding(&raw, label.as_deref().map(str::as_bytes));
        let widened = wide.map(|w| charset::decode_wide(&raw, w).0);
        if widened.is_some() {
            label = Some("utf-8".into());
        }
        Some(TextBody {
            raw,
            widened,
            wide,
            label,
        })
    }

    /// The ASCII-compatible bytes.
    pub(super) fn text(&self) -> &[u8] {
        self.widened.as_deref().map_or(&self.raw, str::as_bytes)
    }

    /// The ASCII-compatible bytes and their charset label, for [`crate::render::part::render`].
    pub(super) fn into_text(self) -> (Cow<'a, [u8]>, Option<String>) {
        match self.widened {
            Some(s) => (Cow::Owned(s.into_bytes()), self.label),
            None => (self.raw, self.label),
        }
    }
}

/// A text leaf's body with the verdict on it.
pub(super) struct Judged<'a> {
    /// The decoded body.
    pub(super) body: TextBody<'a>,
    /// What the part is ([`verdict::judge`]).
    pub(super) reading: Reading,
    /// Whether its text is blank.
    pub(super) empty: bool,
}

impl<'a> Judged<'a> {
    /// Judges the decoded `body` of `part`.
    pub(super) fn new(part: &Part<'a>, body: TextBody<'a>) -> Self {
        let reading = verdict::judge(&part.info, &body.raw, body.text());
        let empty = body.text().trim_ascii().is_empty();
        Judged {
            body,
            reading,
            empty,
        }
    }

    /// The judged body of a part that is a text leaf; `None` for anything else, or when
    /// `deadline` passed while decoding.
    pub(super) fn text_leaf(part: &Part<'a>, deadline: Deadline) -> Option<Self> {
        (part.info.ctype == "text" && part.content == PartBody::Leaf && !part.limited)
            .then(|| TextBody::of(part, deadline))
            .flatten()
            .map(|body| Judged::new(part, body))
    }
}
