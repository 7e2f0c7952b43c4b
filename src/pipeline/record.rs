//! Recording in the report what the walk decided and what rendering found: removed items
//! (hashed, sniffed, archives listed), payloads cut, links rewritten, HTML facts.

use std::borrow::Cow;

use super::walk::Walker;
use crate::budget::TIME_BUDGET;
use crate::inspect::smuggle::Smuggled;
use crate::inspect::{archive, digest, sniff};
use crate::parse::header::{MimeInfo, TransferEncoding};
use crate::parse::structure::Part;
use crate::parse::transfer;
use crate::policy::LinkMode;
use crate::render::html::HtmlText;
use crate::render::part::RenderedPart;
use crate::render::text;
use crate::report::{Action, RemovalReason, RemovedItem, Report};

impl Walker<'_> {
    /// Records what rendering `part` found, in the order it was found: framed payloads,
    /// a charset label that did not fit, the HTML converter's findings, payloads cut from
    /// the rendered text, links in it.
    pub(super) fn record_rendered(&mut self, part: &Part<'_>, shown: &RenderedPart) {
        let path = part.path_string();
        let mime = part.info.mime_type();
        self.list_cut(&shown.framed, &path, &mime, 0);
        if let Some((label, decoded_as)) = &shown.mislabelled {
            self.report.warn(format!(
                "part {path}: charset label {label:?} did not fit; decoded as {decoded_as}"
            ));
        }
        if let Some(html) = &shown.html {
            self.record_html(&path, html);
        }
        self.list_cut(&shown.cut, &path, &mime, shown.framed.len());
        self.note_links(shown.text_links);
    }

    /// Records the HTML converter's findings for the part at `path`.
    fn record_html(&mut self, path: &str, out: &HtmlText) {
        self.report.act(Action::HtmlConverted);
        if out.time_budget {
            self.report.limit(TIME_BUDGET);
        }
        if let Some(reason) = &out.fallback {
            self.report.act(Action::HtmlFallback);
            self.report.warn(format!("part {path}: {reason}"));
        }
        if out.hidden > 0 {
            self.report.act(Action::HiddenRemoved);
            self.report.warn(format!(
                "part {path}: {} hidden HTML element(s) dropped",
                out.hidden
            ));
        }
        if out.deceptive_links > 0 {
            self.report.warn(format!(
                "part {path}: {} link(s) whose text shows another address",
                out.deceptive_links
            ));
        }
        self.note_links(out.links);
    }

    /// Lists payloads cut from the text at `path` (declared `declared`) like attachments,
    /// numbered after the `done` already listed for it.
    pub(super) fn list_cut(&mut self, cut: &[Smuggled], path: &str, declared: &str, done: usize) {
        for (n, s) in cut.iter().enumerate() {
            self.report.act(Action::SmuggledRemoved);
            self.push_item(
                &format!("{path}:{}-{}", s.kind, done + n + 1),
                s.name.clone(),
                format!("{declared} ({})", s.kind),
                &s.data,
                RemovalReason::Smuggled,
            );
        }
    }

    /// Counts `n` links rewritten under the link policy.
    pub(super) fn note_links(&mut self, n: usize) {
        note_links(&mut self.report, n, self.policy.links.urls);
    }

    /// Removes `part`, listing it.
    pub(super) fn remove(&mut self, part: &Part<'_>, reason: RemovalReason) {
        let path = part.path_string();
        self.remove_raw(part.body, &part.info, &path, reason);
    }

    /// Decodes a removed part only as far as the notice needs: size, SHA-256, type, archive
    /// listing.
    pub(super) fn remove_raw(
        &mut self,
        body: &[u8],
        info: &MimeInfo,
        path: &str,
        reason: RemovalReason,
    ) {
        let data: Cow<'_, [u8]> = match info.transfer {
            TransferEncoding::Identity | TransferEncoding::Unknown => Cow::Borrowed(body),
            te => Cow::Owned(transfer::decode(body, te)),
        };
        self.push_item(path, info.filename.clone(), info.mime_type(), &data, reason);
    }

    /// Lists one removed item: sniffed, hashed, an archive's entries named.
    pub(super) fn push_item(
        &mut self,
        path: &str,
        name: Option<String>,
        declared_type: String,
        data: &[u8],
        reason: RemovalReason,
    ) {
        if reason != RemovalReason::Smuggled {
            self.report.act(Action::AttachmentsRemoved);
        }
        if !self.report.can_list() {
            // Past the listing cap only the count is kept: no hashing, no sniffing.
            self.report.count_unlisted(reason);
            return;
        }
        let detected = sniff::detect(data);
        let declared_mime = declared_type.split(' ').next().unwrap_or("").to_owned();
        let mismatch = sniff::mismatch(detected, &declared_mime, name.as_deref());
        let mut item = RemovedItem {
            path: path.to_owned(),
            name: name.map(|n| text::visible_name(&n, 120)),
            declared_type,
            detected_type: detected.to_owned(),
            mismatch,
            size: data.len() as u64,
            sha256: digest::sha256_hex(data),
            entries: Vec::new(),
            more_entries: 0,
            encrypted: false,
            reason,
        };
        if matches!(detected, "zip" | "ooxml" | "odf" | "epub")
            && let Some(listing) = archive::list_zip(data, self.policy.notice.max_archive_entries)
        {
            item.entries = listing.names;
            item.more_entries = listing.more;
            item.encrypted = listing.encrypted;
        }
        if item.encrypted {
            self.report.warn(format!("part {path}: encrypted archive"));
        }
        if mismatch {
            self.report.warn(format!(
                "part {path}: declared {} but content is {detected}",
                item.declared_type
            ));
        }
        self.report.push_removed(item);
    }
}

/// Counts `n` links rewritten under link mode `mode`, and notes how they are shown.
pub(super) fn note_links(report: &mut Report, n: usize, mode: LinkMode) {
    if n == 0 {
        return;
    }
    report.links += n;
    match mode {
        LinkMode::Defang => report.act(Action::LinksDefanged),
        LinkMode::Remove => report.act(Action::LinksRemoved),
        LinkMode::Keep => {}
    }
}
