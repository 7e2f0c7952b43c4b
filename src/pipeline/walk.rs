//! The walk over the MIME tree: for every part one decision — shown as text, converted as
//! HTML, removed and listed, or rendered as a forwarded message ([`super::forward`]).
//! Multipart structure decides which children are shown: one alternative, the root of a
//! related group, the signed content; encrypted content is removed.

use super::text_body::{Judged, TextBody};
use crate::budget::{Deadline, TIME_BUDGET};
use crate::inspect::sniff;
use crate::inspect::verdict::{self, Reading};
use crate::parse::header::TransferEncoding;
use crate::parse::structure::{MimeTree, Part, PartBody, TreeLimits};
use crate::policy::Policy;
use crate::render::part;
use crate::report::{Action, RemovalReason, Report};

/// Walks the MIME tree, appending readable text and recording decisions in the report.
pub(super) struct Walker<'p> {
    pub(super) policy: &'p Policy,
    pub(super) report: Report,
    /// The text rendered so far.
    pub(super) text: String,
    /// How many forwarded messages the current part is inside.
    pub(super) forward_depth: usize,
    /// Work stops here: parts not yet handled are removed as "limit reached".
    pub(super) deadline: Deadline,
}

impl<'p> Walker<'p> {
    /// A walker with no text yet, adding to `report`.
    pub(super) fn new(policy: &'p Policy, report: Report, deadline: Deadline) -> Self {
        Walker {
            policy,
            report,
            text: String::new(),
            forward_depth: 0,
            deadline,
        }
    }

    /// The structure limits of the policy.
    pub(super) fn tree_limits(&self) -> TreeLimits {
        TreeLimits {
            max_depth: self.policy.limits.max_mime_depth,
            max_parts: self.policy.limits.max_parts,
            max_headers: self.policy.limits.max_headers,
        }
    }

    /// Records the warnings and limits of a parsed tree.
    pub(super) fn note_tree(&mut self, tree: &MimeTree<'_>) {
        for w in &tree.warnings {
            self.report.warn(w.clone());
        }
        for l in &tree.limits_hit {
            self.report.limit(l.clone());
        }
    }

    /// Appends a rendered piece, separated from the text before by a blank line.
    pub(super) fn append(&mut self, piece: &str) {
        if piece.trim().is_empty() {
            return;
        }
        if !self.text.is_empty() && !self.text.ends_with("\n\n") {
            if !self.text.ends_with('\n') {
                self.text.push('\n');
            }
            self.text.push('\n');
        }
        self.text.push_str(piece);
        if !self.text.ends_with('\n') {
            self.text.push('\n');
        }
    }

    /// Decides part `idx` of `tree` and everything in it.
    pub(super) fn walk(&mut self, tree: &MimeTree<'_>, idx: usize) {
        let part = &tree.parts[idx];
        if part.limited {
            self.remove(part, RemovalReason::Limit);
            return;
        }
        if self.out_of_time(part) {
            return;
        }
        match &part.content {
            PartBody::Multipart { children, .. } => self.walk_multipart(tree, part, children),
            PartBody::Message { child } => self.walk_message(tree, part, *child),
            PartBody::Leaf => self.leaf(part),
        }
    }

    /// Whether the deadline passed; if so `part` is removed as a limit.
    fn out_of_time(&mut self, part: &Part<'_>) -> bool {
        let passed = self.deadline.passed();
        if passed {
            self.report.limit(TIME_BUDGET);
            self.remove(part, RemovalReason::Limit);
        }
        passed
    }

    fn walk_multipart(&mut self, tree: &MimeTree<'_>, part: &Part<'_>, children: &[usize]) {
        match part.info.subtype.as_str() {
            "alternative" => self.walk_alternative(tree, children),
            "related" => {
                let root = part
                    .info
                    .start
                    .as_deref()
                    .and_then(|s| {
                        children
                            .iter()
                            .copied()
                            .find(|&c| tree.parts[c].info.content_id.as_deref() == Some(s))
                    })
                    .or_else(|| children.first().copied());
                for &c in children {
                    if Some(c) == root {
                        self.walk(tree, c);
                    } else {
                        self.remove_subtree(tree, c, RemovalReason::Attachment);
                    }
                }
            }
            "signed" => {
                for (i, &c) in children.iter().enumerate() {
                    if i == 0 {
                        self.walk(tree, c);
                    } else {
                        self.report.act(Action::SignatureRemoved);
                        self.remove_subtree(tree, c, RemovalReason::Signature);
                    }
                }
            }
            "encrypted" => {
                self.report.act(Action::EncryptedRemoved);
                for &c in children {
                    self.remove_subtree(tree, c, RemovalReason::Encrypted);
                }
            }
            _ => {
                for &c in children {
                    self.walk(tree, c);
                }
            }
        }
    }

    /// One alternative is shown, the others dropped. Each text alternative is decoded and
    /// judged once; the chosen one is rendered from that same decoding.
    fn walk_alternative(&mut self, tree: &MimeTree<'_>, children: &[usize]) {
        let judged: Vec<Option<Judged<'_>>> = children
            .iter()
            .map(|&c| Judged::text_leaf(&tree.parts[c], self.deadline))
            .collect();
        let chosen = self.choose_alternative(tree, children, &judged);
        for (&c, judged) in children.iter().zip(judged) {
            let part = &tree.parts[c];
            match judged {
                Some(j) if Some(c) == chosen => {
                    if !self.out_of_time(part) {
                        self.text_leaf_judged(part, j);
                    }
                }
                _ if Some(c) == chosen => self.walk(tree, c),
                j => self.drop_alternative(tree, c, j),
            }
        }
    }

    /// The alternative to render: text/plain when present and not empty (unless the policy
    /// prefers HTML), else the last HTML or structured alternative. Each text alternative is
    /// judged by what it is ([`verdict::judge`]): a "text/plain" that is HTML counts as HTML,
    /// one that is not text at all is never chosen.
    fn choose_alternative(
        &self,
        tree: &MimeTree<'_>,
        children: &[usize],
        judged: &[Option<Judged<'_>>],
    ) -> Option<usize> {
        let readings: Vec<(usize, Option<(Reading, bool)>)> = children
            .iter()
            .zip(judged)
            .map(|(&c, j)| (c, j.as_ref().map(|j| (j.reading, j.empty))))
            .collect();
        let plain = readings
            .iter()
            .find(|(_, r)| matches!(r, Some((Reading::Text, false))))
            .map(|(c, _)| *c);
        let rich = readings
            .iter()
            .rev()
            .find(|(c, r)| {
                matches!(r, Some((Reading::Html, _))) || tree.parts[*c].info.ctype == "multipart"
            })
            .map(|(c, _)| *c);
        let usable = readings
            .iter()
            .find(|(_, r)| !matches!(r, Some((Reading::Remove(_), _))))
            .map(|(c, _)| *c);
        if self.policy.output.prefer_html {
            rich.or(plain)
        } else {
            plain.or(rich)
        }
        .or(usable)
        .or_else(|| children.first().copied())
    }

    /// An alternative that is not shown: text versions of the same content vanish; anything
    /// else in it (and a "text" version that is not text) is removed and listed. `judged`
    /// is the part's judged body when it was already decoded.
    fn drop_alternative(&mut self, tree: &MimeTree<'_>, idx: usize, judged: Option<Judged<'_>>) {
        let part = &tree.parts[idx];
        let i = &part.info;
        let same_content =
            i.ctype == "text" && matches!(i.subtype.as_str(), "plain" | "html" | "enriched");
        if same_content && !i.is_attachment() && !part.limited {
            let judged = judged.or_else(|| Judged::text_leaf(part, self.deadline));
            if let Some(j) = judged
                && let Reading::Remove(why) = j.reading
            {
                self.remove_text(part, why, &j.body.raw);
            }
            return;
        }
        match &part.content {
            PartBody::Multipart { children, .. } => {
                for &c in children {
                    self.drop_alternative(tree, c, None);
                }
            }
            _ => self.remove_subtree(tree, idx, RemovalReason::Attachment),
        }
    }

    /// Removes a part and everything in it, listing every leaf.
    pub(super) fn remove_subtree(
        &mut self,
        tree: &MimeTree<'_>,
        idx: usize,
        reason: RemovalReason,
    ) {
        let part = &tree.parts[idx];
        match &part.content {
            PartBody::Multipart { children, .. } if !part.limited => {
                for &c in children {
                    self.remove_subtree(tree, c, reason);
                }
            }
            _ => self.remove(part, reason),
        }
    }

    fn leaf(&mut self, part: &Part<'_>) {
        let info = &part.info;
        let mime = info.mime_type();
        match (info.ctype.as_str(), info.subtype.as_str()) {
            ("text", _) => self.text_leaf(part),
            ("message", "partial" | "external-body") => self.remove(part, RemovalReason::Fragment),
            ("message", "rfc822" | "global") => self.encoded_message(part),
            _ if matches!(
                mime.as_str(),
                "application/pkcs7-signature"
                    | "application/x-pkcs7-signature"
                    | "application/pgp-signature"
            ) =>
            {
                self.report.act(Action::SignatureRemoved);
                self.remove(part, RemovalReason::Signature)
            }
            _ if matches!(
                mime.as_str(),
                "application/pkcs7-mime" | "application/x-pkcs7-mime" | "application/pgp-encrypted"
            ) =>
            {
                self.report.act(Action::EncryptedRemoved);
                self.remove(part, RemovalReason::Encrypted)
            }
            ("multipart", _) if sniff::detect(part.body) == "text" => {
                self.undelimited_multipart(part)
            }
            _ => self.remove(part, RemovalReason::Attachment),
        }
    }

    /// A multipart whose delimiters never occur: its body is all preamble, which is text the
    /// sender wrote. Shown as text (payloads in it are still cut), transfer-decoded, unless
    /// the decoded bytes are binary.
    fn undelimited_multipart(&mut self, part: &Part<'_>) {
        let Some(body) = TextBody::of(part, self.deadline) else {
            self.report.limit(TIME_BUDGET);
            return self.remove(part, RemovalReason::Limit);
        };
        if sniff::binary_signature(body.raw.trim_ascii_start()).is_some()
            || sniff::mostly_control(body.text())
        {
            self.remove(part, RemovalReason::Attachment);
        } else {
            self.show_text(part, body, false)
        }
    }

    /// A leaf labelled `text/*`: decoded, then decided by [`Self::text_leaf_judged`].
    fn text_leaf(&mut self, part: &Part<'_>) {
        let Some(body) = TextBody::of(part, self.deadline) else {
            self.report.limit(TIME_BUDGET);
            return self.remove(part, RemovalReason::Limit);
        };
        self.text_leaf_judged(part, Judged::new(part, body));
    }

    /// A decoded text leaf, judged by what it is ([`verdict::judge`]): rendered as text,
    /// converted as HTML, or removed and listed like an attachment.
    fn text_leaf_judged(&mut self, part: &Part<'_>, judged: Judged<'_>) {
        if let Some(wide) = judged.body.wide {
            self.report.warn(format!(
                "part {}: {} text decoded",
                part.path_string(),
                wide.name()
            ));
        }
        match judged.reading {
            Reading::Text => self.show_text(part, judged.body, false),
            Reading::Html => {
                if part.info.subtype != "html" {
                    self.report.warn(format!(
                        "part {}: labelled {} but is HTML; converted",
                        part.path_string(),
                        part.info.mime_type()
                    ));
                }
                self.show_text(part, judged.body, true)
            }
            Reading::Remove(why) => self.remove_text(part, why, &judged.body.raw),
        }
    }

    /// Removes a text-labelled part that the verdict found is not to be shown; `data` is its
    /// transfer-decoded body.
    fn remove_text(&mut self, part: &Part<'_>, why: verdict::Why, data: &[u8]) {
        let reason = if why.by_content() || why == verdict::Why::NotTextType {
            RemovalReason::Attachment
        } else {
            RemovalReason::TextAttachment
        };
        if why != verdict::Why::Disposition && why != verdict::Why::OtherText {
            self.report.warn(format!(
                "part {}: {}; removed",
                part.path_string(),
                why.describe()
            ));
        }
        let path = part.path_string();
        let name = part.info.filename.clone();
        self.push_item(&path, name, part.info.mime_type(), data, reason);
    }

    /// Shows a decoded text part: rendered by [`part::render`], what it found recorded.
    fn show_text(&mut self, part: &Part<'_>, body: TextBody<'_>, is_html: bool) {
        if part.info.transfer == TransferEncoding::Unknown {
            self.report.warn(format!(
                "part {}: unknown transfer encoding",
                part.path_string()
            ));
        }
        let (bytes, label) = body.into_text();
        let shown = part::render(&bytes, label, is_html, self.policy, self.deadline);
        self.record_rendered(part, &shown);
        self.append(&shown.text);
    }
}
