//! What the sanitiser did to one message, in a form for logs, the audit trail and tests.

use serde::{Deserialize, Serialize};

/// Everything the sanitiser did and noticed, serialisable to JSON for the audit log.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// `Message-ID` of the input, if it had one.
    pub message_id: Option<String>,
    /// SHA-256 of the whole input (hex), also written as `X-Mugai-Original-SHA256`.
    pub original_sha256: String,
    /// Input size in bytes.
    pub input_bytes: usize,
    /// Size of the rebuilt message (headers and body) in bytes.
    pub output_bytes: usize,
    /// What was done, in the order it first happened.
    pub actions: Vec<Action>,
    /// The items removed from the message (attachments, smuggled payloads, signatures...),
    /// in order, at most [`Report::MAX_LISTED`]; the rest are counted in
    /// [`Report::more_removed`].
    pub removed: Vec<RemovedItem>,
    /// Removed items past [`Report::MAX_LISTED`], counted but not listed.
    #[serde(default)]
    pub more_removed: usize,
    /// How many of [`Report::more_removed`] were payloads smuggled in text.
    #[serde(default)]
    pub more_removed_smuggled: usize,
    /// Links found in the text, and how they were shown.
    pub links: usize,
    /// Header fields removed because the allow-list (`headers.keep`) does not name them.
    #[serde(default)]
    pub headers_removed: usize,
    /// Names of those fields, each once (case-insensitive), at most 100.
    #[serde(default)]
    pub headers_removed_names: Vec<String>,
    /// Unusual things about the input (malformed structure, mislabelled charsets, fallbacks).
    pub warnings: Vec<String>,
    /// Limits that were reached (the part past them was removed, or the message rejected).
    pub limits_hit: Vec<String>,
    /// Characters that the output charset could not carry (replaced by `〓`).
    pub unmappable_chars: usize,
    /// Time spent, in microseconds.
    pub micros: u64,
}

impl Report {
    /// Most removed items listed one by one in a report; the rest are counted, so that the
    /// report (and the audit line and quarantine record made from it) stay bounded.
    pub const MAX_LISTED: usize = 1000;

    /// Whether another removed item can still be listed.
    pub fn can_list(&self) -> bool {
        self.removed.len() < Self::MAX_LISTED
    }

    /// Records a removed item: listed while there is room, counted after.
    pub fn push_removed(&mut self, item: RemovedItem) {
        if self.can_list() {
            self.removed.push(item);
        } else {
            self.count_unlisted(item.reason);
        }
    }

    /// Counts a removed item that is not listed.
    pub fn count_unlisted(&mut self, reason: RemovalReason) {
        self.more_removed += 1;
        if reason == RemovalReason::Smuggled {
            self.more_removed_smuggled += 1;
        }
    }

    /// Number of removed items, listed or not.
    pub fn removed_count(&self) -> usize {
        self.removed.len() + self.more_removed
    }

    /// Number of removed items that are not payloads smuggled in text (attachments,
    /// signatures, parts past a limit...), listed or not.
    pub fn removed_parts_count(&self) -> usize {
        self.removed
            .iter()
            .filter(|r| r.reason != RemovalReason::Smuggled)
            .count()
            + self.more_removed.saturating_sub(self.more_removed_smuggled)
    }

    /// Records `action` once (later duplicates are ignored).
    pub fn act(&mut self, action: Action) {
        if !self.actions.contains(&action) {
            self.actions.push(action);
        }
    }

    /// Adds a warning, keeping at most 100 distinct ones.
    pub fn warn(&mut self, warning: impl Into<String>) {
        let w = warning.into();
        if self.warnings.len() < 100 && !self.warnings.contains(&w) {
            self.warnings.push(w);
        }
    }

    /// Records that a limit was reached.
    pub fn limit(&mut self, what: impl Into<String>) {
        let w = what.into();
        if !self.limits_hit.contains(&w) {
            self.limits_hit.push(w);
        }
        self.act(Action::LimitReached);
    }

    /// The id under which front ends keep the original in quarantine, and which the notice
    /// shows when quarantine is enabled: the first 24 hex digits of
    /// [`Report::original_sha256`].
    pub fn quarantine_id(&self) -> &str {
        self.original_sha256
            .get(..24)
            .unwrap_or(&self.original_sha256)
    }

    /// Whether the output differs in content from a plain text mail (anything was converted,
    /// removed or rewritten).
    pub fn changed(&self) -> bool {
        !self.actions.is_empty()
    }
}

/// One kind of change made to a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    /// An HTML body was converted to text.
    HtmlConverted,
    /// The HTML converter could not be used (too large, too deep, failed); a simple
    /// tag-stripping extraction was used instead.
    HtmlFallback,
    /// Attachments or other non-text parts were removed.
    AttachmentsRemoved,
    /// Link targets were defanged.
    LinksDefanged,
    /// Link targets were removed.
    LinksRemoved,
    /// Encoded payloads hidden in text (uuencode, yEnc, BinHex, base64 blocks) were removed.
    SmuggledRemoved,
    /// A cryptographic signature (S/MIME, PGP/MIME) was removed; the text can no longer be
    /// verified.
    SignatureRemoved,
    /// An encrypted part was removed.
    EncryptedRemoved,
    /// A forwarded message was rendered inline.
    ForwardRendered,
    /// A limit was reached.
    LimitReached,
    /// The input was not a readable mail; printable text was salvaged.
    NotAMail,
    /// Text was cut because it exceeded the text limit.
    TextTruncated,
    /// The Subject was tagged.
    SubjectTagged,
    /// Hidden HTML content (hidden elements, invisible styles, malformed scripts) was
    /// dropped, not rendered.
    HiddenRemoved,
}

impl Action {
    /// The token used in the `X-Mugai-Sanitized` header and logs.
    pub fn token(self) -> &'static str {
        match self {
            Action::HtmlConverted => "html-converted",
            Action::HtmlFallback => "html-fallback",
            Action::AttachmentsRemoved => "attachments-removed",
            Action::LinksDefanged => "links-defanged",
            Action::LinksRemoved => "links-removed",
            Action::SmuggledRemoved => "smuggled-removed",
            Action::SignatureRemoved => "signature-removed",
            Action::EncryptedRemoved => "encrypted-removed",
            Action::ForwardRendered => "forward-rendered",
            Action::LimitReached => "limit-reached",
            Action::NotAMail => "not-a-mail",
            Action::TextTruncated => "text-truncated",
            Action::SubjectTagged => "subject-tagged",
            Action::HiddenRemoved => "hidden-removed",
        }
    }
}

/// Why an item was removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RemovalReason {
    /// A MIME part that is not text (an attachment, an inline image...).
    Attachment,
    /// A text part that is not shown (e.g. text/calendar, text/x-script, or an alternative
    /// that was not chosen but carried an attachment name).
    TextAttachment,
    /// An encoded payload found inside a text part.
    Smuggled,
    /// A signature part.
    Signature,
    /// An encrypted part.
    Encrypted,
    /// A part beyond a structural limit (depth, count, size).
    Limit,
    /// message/partial or message/external-body: fragments that cannot be checked.
    Fragment,
}

/// One removed item, with the facts the notice and the audit log show.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RemovedItem {
    /// Position in the MIME tree (`1.2.1`; `0` for the whole body; `text:N` suffix for a
    /// payload found in a text part).
    pub path: String,
    /// Display name (decoded, control and bidi characters made visible), if any.
    pub name: Option<String>,
    /// Content-Type as declared by the sender.
    pub declared_type: String,
    /// Type detected from the content's first bytes (e.g. `pe-executable`, `zip`, `pdf`).
    pub detected_type: String,
    /// The declared type or the file name's extension disagrees with the detected type.
    pub mismatch: bool,
    /// Decoded size in bytes.
    pub size: u64,
    /// SHA-256 of the decoded content (hex).
    pub sha256: String,
    /// For ZIP-based archives: entry names from the central directory (bounded).
    pub entries: Vec<String>,
    /// Entries not listed because of the bound.
    pub more_entries: usize,
    /// The archive is encrypted (e.g. a password-protected zip, "PPAP").
    pub encrypted: bool,
    /// Why it was removed.
    pub reason: RemovalReason,
}
