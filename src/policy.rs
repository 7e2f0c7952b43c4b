//! The sanitisation policy: every decision the core and the front ends make that an
//! administrator may want to change, with a documented default for each field.
//!
//! A policy is loaded from TOML ([`Policy::from_toml_str`], [`Policy::from_file`]); every
//! field is optional and unknown fields are refused, so a typo in a configuration file is an
//! error rather than a silently ignored setting. `mugai sanitize --print-default-config`
//! prints [`Policy::default_toml`].

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// The complete policy. `Policy::default()` is the recommended LGWAN setting.
///
/// ```
/// let policy = mugai::Policy::from_toml_str("[links]\nurls = \"keep\"\n").unwrap();
/// assert_eq!(policy.links.urls, mugai::LinkMode::Keep);
/// assert_eq!(policy.output.width, 76);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Policy {
    /// Name of the policy, written into `X-Mugai-Sanitized` and the audit log.
    pub name: String,
    /// How links found in text and HTML are shown.
    pub links: LinkPolicy,
    /// Which header fields of the original are kept.
    pub headers: HeaderPolicy,
    /// The notice that tells the reader what was done.
    pub notice: NoticePolicy,
    /// The encoding and layout of the rebuilt text body.
    pub output: OutputPolicy,
    /// HTML conversion guards.
    pub html: HtmlPolicy,
    /// Structural limits and what happens past them.
    pub limits: Limits,
    /// Envelope allow-lists for the network front ends.
    pub bypass: Bypass,
    /// Where originals are kept for an administrator (front ends only).
    pub quarantine: QuarantinePolicy,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            name: "default".into(),
            links: LinkPolicy::default(),
            headers: HeaderPolicy::default(),
            notice: NoticePolicy::default(),
            output: OutputPolicy::default(),
            html: HtmlPolicy::default(),
            limits: Limits::default(),
            bypass: Bypass::default(),
            quarantine: QuarantinePolicy::default(),
        }
    }
}

/// What to do with a link target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LinkMode {
    /// Show the target as plain text, unchanged.
    Keep,
    /// Show the target so that it is not clickable: `hxxps://example[.]com/path`.
    Defang,
    /// Drop the target; the link text stays, followed by a removal mark.
    Remove,
}

/// Link handling, separately for web URLs, mail addresses and telephone numbers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LinkPolicy {
    /// `http`, `https`, `ftp` and other URL schemes. Default: `defang`.
    pub urls: LinkMode,
    /// `mailto:` targets. Default: `keep` (the address is shown as text).
    pub mailto: LinkMode,
    /// `tel:` targets. Default: `keep`.
    pub tel: LinkMode,
}

impl Default for LinkPolicy {
    fn default() -> Self {
        LinkPolicy {
            urls: LinkMode::Defang,
            mailto: LinkMode::Keep,
            tel: LinkMode::Keep,
        }
    }
}

/// The header allow-list: the original's fields that a reader or an MTA needs are kept
/// (cleaned: controls and bidi characters made visible, links defanged, encoded payloads
/// cut); every other field is removed and counted in the report. The MIME fields
/// (`MIME-Version`, `Content-*`) are always rebuilt and `X-Mugai-*` always written anew.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HeaderPolicy {
    /// Field names kept, case-insensitive; a name ending in `*` keeps every field that
    /// starts with what comes before it (`Resent-*`). Default: the addressing and threading
    /// fields (From, Sender, Reply-To, To, Cc, Subject, Date, Message-ID, In-Reply-To,
    /// References), the trace fields (Received, Return-Path, Delivered-To, Resent-*), the
    /// receiving MTA's verdicts (Authentication-Results, Received-SPF), the flags clients
    /// show or obey (Importance, Priority, X-Priority, Sensitivity) and the loop guards
    /// (Auto-Submitted, Precedence).
    pub keep: Vec<String>,
}

impl Default for HeaderPolicy {
    fn default() -> Self {
        HeaderPolicy {
            keep: [
                "From",
                "Sender",
                "Reply-To",
                "To",
                "Cc",
                "Subject",
                "Date",
                "Message-ID",
                "In-Reply-To",
                "References",
                "Received",
                "Return-Path",
                "Delivered-To",
                "Resent-*",
                "Authentication-Results",
                "Received-SPF",
                "Importance",
                "Priority",
                "X-Priority",
                "Sensitivity",
                "Auto-Submitted",
                "Precedence",
            ]
            .map(String::from)
            .to_vec(),
        }
    }
}

impl HeaderPolicy {
    /// Whether a field of this name is kept.
    ///
    /// ```
    /// let h = mugai::policy::HeaderPolicy::default();
    /// assert!(h.keeps(b"subject"));
    /// assert!(h.keeps(b"Resent-From"));
    /// assert!(!h.keeps(b"List-Unsubscribe"));
    /// assert!(!h.keeps(b"X-Mailer"));
    /// ```
    pub fn keeps(&self, name: &[u8]) -> bool {
        self.keep.iter().any(|k| match k.strip_suffix('*') {
            Some(prefix) => {
                name.len() >= prefix.len()
                    && name[..prefix.len()].eq_ignore_ascii_case(prefix.as_bytes())
            }
            None => name.eq_ignore_ascii_case(k.as_bytes()),
        })
    }
}

/// Language of the notice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    /// 日本語 (default).
    Ja,
    /// English.
    En,
}

/// Where the notice goes in the body.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum NoticePosition {
    /// Before the text (default).
    Top,
    /// After the text.
    Bottom,
}

/// The notice and the Subject tag.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NoticePolicy {
    /// Language of the notice. Default: `ja`.
    pub language: Language,
    /// Position of the notice. Default: `top`.
    pub position: NoticePosition,
    /// Also write a notice when nothing had to be changed. Default: `false`.
    pub always: bool,
    /// Tag put before the Subject of every sanitised mail that was changed, e.g. `"[無害化]"`.
    /// Empty (default) leaves the Subject alone.
    pub subject_tag: String,
    /// Most removed items listed one by one; the rest are counted. Default: 100.
    pub max_items: usize,
    /// Most archive entry names listed per archive. Default: 20.
    pub max_archive_entries: usize,
}

impl Default for NoticePolicy {
    fn default() -> Self {
        NoticePolicy {
            language: Language::Ja,
            position: NoticePosition::Top,
            always: false,
            subject_tag: String::new(),
            max_items: 100,
            max_archive_entries: 20,
        }
    }
}

/// Charset of the rebuilt body.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum OutputCharset {
    /// UTF-8 (default). Written `utf-8` (`utf8` is also accepted).
    #[serde(rename = "utf-8", alias = "utf8")]
    Utf8,
    /// ISO-2022-JP for legacy clients; characters it cannot carry become `〓` and are counted.
    /// Written `iso-2022-jp` (`iso2022-jp` is also accepted).
    #[serde(rename = "iso-2022-jp", alias = "iso2022-jp")]
    Iso2022Jp,
}

/// Content-Transfer-Encoding of the rebuilt body (TOML `output.transfer_encoding`; not to be
/// confused with [`crate::parse::transfer::TransferEncoding`], what an input part declares).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum BodyEncoding {
    /// Quoted-printable (default): readable in raw form for ASCII, 7-bit safe.
    QuotedPrintable,
    /// Base64.
    Base64,
}

/// Line endings of the rebuilt message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LineEnding {
    /// CRLF, unless the input's first line ends in a bare LF, then LF (default).
    Auto,
    /// Always CRLF (what goes on the wire).
    Crlf,
    /// Always LF (what local mailbox files use).
    Lf,
}

/// The rebuilt text body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OutputPolicy {
    /// Charset of the body. Default: `utf-8`.
    pub charset: OutputCharset,
    /// Transfer encoding of the body. Default: `quoted-printable`. (ISO-2022-JP is always 7bit.)
    pub transfer_encoding: BodyEncoding,
    /// Column width for HTML conversion. Default: 76. Range 20–400.
    pub width: usize,
    /// Line endings. Default: `auto`.
    pub line_ending: LineEnding,
    /// In multipart/alternative, convert the HTML even when a text/plain part exists.
    /// Default: `false` (the sender's own text is preferred).
    pub prefer_html: bool,
}

impl Default for OutputPolicy {
    fn default() -> Self {
        OutputPolicy {
            charset: OutputCharset::Utf8,
            transfer_encoding: BodyEncoding::QuotedPrintable,
            width: 76,
            line_ending: LineEnding::Auto,
            prefer_html: false,
        }
    }
}

/// Guards around the HTML converter, so that no HTML input costs more than about a second or
/// 64 MB.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HtmlPolicy {
    /// HTML larger than this (decoded bytes) is not given to the full converter; a simple
    /// tag-stripping extraction is used instead and noted. Default: 2 MiB.
    pub max_bytes: usize,
    /// HTML nested deeper than this is extracted with the simple extractor. Default: 256.
    pub max_depth: usize,
}

impl Default for HtmlPolicy {
    fn default() -> Self {
        HtmlPolicy {
            max_bytes: 2 * 1024 * 1024,
            max_depth: 256,
        }
    }
}

/// What happens to a message that goes past a limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OnLimit {
    /// Remove what is past the limit, say so in the notice, deliver the rest (default).
    Remove,
    /// Refuse the whole message ([`Error::Rejected`]); the front end rejects it.
    Reject,
}

/// Structural limits. Each keeps time and memory bounded for hostile input.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Limits {
    /// Largest message accepted, in bytes. Default: 64 MiB.
    pub max_message_bytes: usize,
    /// Deepest MIME nesting followed. Default: 32.
    pub max_mime_depth: usize,
    /// Most MIME parts looked at. Default: 1000.
    pub max_parts: usize,
    /// Most header fields per header block. Default: 1000.
    pub max_headers: usize,
    /// Longest header field (unfolded) kept in the output, in bytes. Default: 8192.
    pub max_header_bytes: usize,
    /// Deepest forwarded message (message/rfc822) rendered inline. Default: 8.
    pub max_forward_depth: usize,
    /// Most text (bytes, decoded) kept from one message; the rest is cut and noted.
    /// Default: 16 MiB.
    pub max_text_bytes: usize,
    /// Most printable text salvaged from input that is not a readable mail. Default: 64 KiB.
    pub max_salvage_bytes: usize,
    /// Time budget for sanitising one message, in milliseconds. Work past it stops: the
    /// parts not yet handled are removed and listed (limit `time_budget`), or the message
    /// is rejected with `on_limit = "reject"`. Default: 10000. Range 1–3600000.
    pub time_budget_ms: u64,
    /// What happens past a limit. Default: `remove`.
    pub on_limit: OnLimit,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_message_bytes: 64 * 1024 * 1024,
            max_mime_depth: 32,
            max_parts: 1000,
            max_headers: 1000,
            max_header_bytes: 8192,
            max_forward_depth: 8,
            max_text_bytes: 16 * 1024 * 1024,
            max_salvage_bytes: 64 * 1024,
            time_budget_ms: 10_000,
            on_limit: OnLimit::Remove,
        }
    }
}

/// Envelope allow-lists: mail whose envelope matches passes untouched through the milter and
/// SMTP front ends (logged as bypassed). Entries are full addresses (`user@example.jp`) or
/// domains (`example.jp`, matching that domain and its subdomains).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Bypass {
    /// Envelope senders whose mail is not sanitised.
    pub senders: Vec<String>,
    /// Envelope recipients whose mail is not sanitised (only when *every* recipient matches).
    pub recipients: Vec<String>,
}

impl Bypass {
    /// Whether `addr` matches one of `list` (address or domain, case-insensitive).
    ///
    /// ```
    /// let list = vec!["example.lg.jp".to_string(), "boss@city.jp".to_string()];
    /// assert!(mugai::Bypass::matches(&list, "a@sub.example.lg.jp"));
    /// assert!(mugai::Bypass::matches(&list, "<Boss@City.jp>"));
    /// assert!(!mugai::Bypass::matches(&list, "a@evil-example.lg.jp"));
    /// ```
    pub fn matches(list: &[String], addr: &str) -> bool {
        let addr = addr.trim().trim_start_matches('<').trim_end_matches('>');
        let addr = addr.to_ascii_lowercase();
        let domain = addr.rsplit_once('@').map(|(_, d)| d).unwrap_or("");
        list.iter().any(|entry| {
            let entry = entry.trim().to_ascii_lowercase();
            if entry.contains('@') {
                entry == addr
            } else {
                let entry = entry.trim_start_matches('@').trim_start_matches('.');
                !entry.is_empty()
                    && (domain == entry
                        || (domain.len() > entry.len()
                            && domain.ends_with(entry)
                            && domain.as_bytes()[domain.len() - entry.len() - 1] == b'.'))
            }
        })
    }

    /// Whether a message with this envelope bypasses sanitisation.
    pub fn applies(&self, sender: &str, recipients: &[String]) -> bool {
        (!self.senders.is_empty() && Self::matches(&self.senders, sender))
            || (!self.recipients.is_empty()
                && !recipients.is_empty()
                && recipients
                    .iter()
                    .all(|r| Self::matches(&self.recipients, r)))
    }
}

/// Quarantine of originals (used by the milter, SMTP and batch front ends).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct QuarantinePolicy {
    /// Directory where originals are kept. Empty (default): no quarantine.
    pub dir: PathBuf,
    /// SMTP relay used by `mugai quarantine release`, `host:port`. Default: `127.0.0.1:25`.
    pub release_relay: String,
}

/// Rewrites a TOML/serde type error in words an administrator knows: `invalid type: string
/// "lots", expected usize` becomes `expected a whole number (0 or more), found the text
/// "lots"`. Other messages pass unchanged.
fn plain_message(message: &str) -> String {
    let message = message.trim();
    let rest = message
        .strip_prefix("invalid type: ")
        .or_else(|| message.strip_prefix("invalid value: "));
    match rest.and_then(|r| r.rsplit_once(", expected ")) {
        Some((found, expected)) => format!(
            "expected {}, found {}",
            plain_expected(expected),
            plain_found(found)
        ),
        None if message == "wanted string or table" => {
            "expected one of the listed words, in double quotes".to_owned()
        }
        None => message.replacen("unknown variant", "unknown value", 1),
    }
}

/// A serde "expected" in words.
fn plain_expected(expected: &str) -> &str {
    match expected.trim() {
        "usize" | "u64" | "u32" | "u16" | "u8" => "a whole number (0 or more)",
        "i64" | "i32" | "i16" | "i8" | "isize" => "a whole number",
        "f64" | "f32" => "a number",
        "a boolean" => "true or false",
        "a string" => "text in double quotes",
        "a sequence" => "a list in [brackets]",
        other => other,
    }
}

/// A serde "found" value (`string "x"`, `integer `5``…) in words.
fn plain_found(found: &str) -> String {
    let found = found.trim();
    let value = |prefix: &str| found.strip_prefix(prefix).map(|v| v.trim_matches('`'));
    if let Some(v) = value("string ") {
        format!("the text {v}")
    } else if let Some(v) = value("integer ").or_else(|| value("floating point ")) {
        format!("the number {v}")
    } else if let Some(v) = value("boolean ") {
        v.to_owned()
    } else if found == "sequence" {
        "a list".to_owned()
    } else if found == "map" {
        "a table".to_owned()
    } else {
        found.to_owned()
    }
}

impl Policy {
    /// Whether originals are kept: `quarantine.dir` is set (an empty path means no
    /// quarantine).
    pub fn quarantine_enabled(&self) -> bool {
        !self.quarantine.dir.as_os_str().is_empty()
    }

    /// Parses a policy from TOML text. Missing fields take their defaults.
    pub fn from_toml_str(text: &str) -> Result<Self> {
        Self::parse_named(text, Path::new("<string>"))
    }

    /// Reads and parses a policy file.
    pub fn from_file(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|source| Error::PolicyRead {
            path: path.to_owned(),
            source,
        })?;
        Self::parse_named(&text, path)
    }

    fn parse_named(text: &str, path: &Path) -> Result<Self> {
        let policy: Policy = toml::from_str(text).map_err(|e| {
            // One line: "line L, column C: what is wrong".
            let message = match e.span() {
                Some(span) => {
                    let before = &text[..span.start.min(text.len())];
                    let line = before.matches('\n').count() + 1;
                    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
                    format!(
                        "line {line}, column {column}: {}",
                        plain_message(e.message())
                    )
                }
                None => plain_message(e.message()),
            };
            Error::PolicyParse {
                path: path.to_owned(),
                message: message.replace('\n', " "),
            }
        })?;
        policy.validate()?;
        Ok(policy)
    }

    /// Checks value ranges that the types alone cannot express, and the syntax of
    /// `quarantine.release_relay`. The first field out of range is named, with a one-line
    /// reason ([`Error::PolicyValue`]). Directories are checked by
    /// [`Policy::check_directories`], which the front ends call at start.
    pub fn validate(&self) -> Result<()> {
        if !(20..=400).contains(&self.output.width) {
            return Err(Error::PolicyValue {
                field: "output.width",
                message: format!("{} is outside 20..=400", self.output.width),
            });
        }
        if self.limits.max_mime_depth == 0 || self.limits.max_mime_depth > 512 {
            return Err(Error::PolicyValue {
                field: "limits.max_mime_depth",
                message: format!("{} is outside 1..=512", self.limits.max_mime_depth),
            });
        }
        if let Some(bad) = self.headers.keep.iter().find(|k| {
            let name = k.strip_suffix('*').unwrap_or(k);
            name.is_empty() || !name.bytes().all(|b| b.is_ascii_graphic() && b != b':')
        }) {
            return Err(Error::PolicyValue {
                field: "headers.keep",
                message: format!("{bad:?} is not a header field name"),
            });
        }
        let l = &self.limits;
        at_least(
            "limits.max_parts",
            l.max_parts,
            1,
            "a message has at least one part",
        )?;
        at_least(
            "limits.max_headers",
            l.max_headers,
            32,
            "ordinary mail carries 10-50 header fields; fewer turns every mail into a notice",
        )?;
        at_least(
            "limits.max_header_bytes",
            l.max_header_bytes,
            256,
            "a Subject or an address list is often longer",
        )?;
        at_least(
            "limits.max_message_bytes",
            l.max_message_bytes,
            1,
            "0 would refuse every mail",
        )?;
        at_least(
            "limits.max_text_bytes",
            l.max_text_bytes,
            1024,
            "every mail's text would be cut to almost nothing",
        )?;
        at_least(
            "html.max_bytes",
            self.html.max_bytes,
            1024,
            "every HTML body would bypass the converter",
        )?;
        at_least(
            "html.max_depth",
            self.html.max_depth,
            1,
            "every HTML body would bypass the converter",
        )?;
        if !self.quarantine.release_relay.is_empty() {
            check_host_port(&self.quarantine.release_relay).map_err(|why| Error::PolicyValue {
                field: "quarantine.release_relay",
                message: format!(
                    "`{}` {why}: use HOST:PORT, e.g. 127.0.0.1:10026",
                    self.quarantine.release_relay
                ),
            })?;
        }
        if !(1..=3_600_000).contains(&self.limits.time_budget_ms) {
            return Err(Error::PolicyValue {
                field: "limits.time_budget_ms",
                message: format!("{} is outside 1..=3600000", self.limits.time_budget_ms),
            });
        }
        Ok(())
    }

    /// Checks that `quarantine.dir` (when set) can be used by this process: an existing
    /// directory that it can write to, or one it can create (its nearest existing parent is
    /// a writable directory); and that it is not writable by every user (anyone could then
    /// swap an original). Creates nothing except a probe file, removed at once.
    pub fn check_directories(&self) -> Result<()> {
        let dir = &self.quarantine.dir;
        if dir.as_os_str().is_empty() {
            return Ok(());
        }
        let bad = |message: String| Error::PolicyValue {
            field: "quarantine.dir",
            message,
        };
        let mut existing = dir.as_path();
        while !existing.exists() {
            existing = existing
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
                .ok_or_else(|| {
                    bad(format!(
                        "{} does not exist and has no parent",
                        dir.display()
                    ))
                })?;
        }
        let meta = std::fs::metadata(existing)
            .map_err(|e| bad(format!("cannot read {}: {e}", existing.display())))?;
        if !meta.is_dir() {
            return Err(bad(format!("{} is not a directory", existing.display())));
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            if existing == dir.as_path() && meta.permissions().mode() & 0o002 != 0 {
                return Err(bad(format!(
                    "{} is writable by every user (chmod 700 it, owned by the mugai user)",
                    dir.display()
                )));
            }
        }
        let probe = existing.join(format!(".mugai-probe-{}", std::process::id()));
        std::fs::write(&probe, b"").map_err(|e| {
            let what = if existing == dir.as_path() {
                format!("{} is not writable by this user: {e}", dir.display())
            } else {
                format!(
                    "{} does not exist and cannot be created ({} is not writable: {e})",
                    dir.display(),
                    existing.display()
                )
            };
            bad(what)
        })?;
        let _ = std::fs::remove_file(&probe);
        Ok(())
    }

    /// The default policy as commented TOML, as printed by `--print-default-config`.
    pub fn default_toml() -> String {
        let body = toml::to_string_pretty(&Policy::default()).unwrap_or_default();
        format!(
            "# mugai policy. Every field is optional; these are the defaults.\n\
             # See docs/configuration.md for what each field means.\n\n{body}"
        )
    }
}

/// `value` must be at least `min`; `why` says what a smaller value would do.
fn at_least(field: &'static str, value: usize, min: usize, why: &str) -> Result<()> {
    if value < min {
        return Err(Error::PolicyValue {
            field,
            message: format!("{value} is below the minimum {min}: {why}"),
        });
    }
    Ok(())
}

/// Checks `HOST:PORT` (`[IPv6]:PORT`): a port 1-65535 and a host name or IP address.
fn check_host_port(s: &str) -> std::result::Result<(), &'static str> {
    let (host, port) = s.rsplit_once(':').ok_or("has no port")?;
    match port.parse::<u16>() {
        Ok(p) if p > 0 => {}
        _ => return Err("has no valid port"),
    }
    if let Some(v6) = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        return v6
            .parse::<std::net::Ipv6Addr>()
            .map(|_| ())
            .map_err(|_| "is not a valid IPv6 address");
    }
    if host.parse::<std::net::Ipv4Addr>().is_ok() {
        return Ok(());
    }
    let label_ok = |l: &str| {
        !l.is_empty()
            && l.len() <= 63
            && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            && !l.starts_with('-')
            && !l.ends_with('-')
    };
    if host.is_empty() || host.len() > 253 || !host.split('.').all(label_ok) {
        return Err("has no valid host name");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_toml_round_trips() {
        let parsed = Policy::from_toml_str(&Policy::default_toml()).unwrap();
        assert_eq!(parsed, Policy::default());
    }

    #[test]
    fn unknown_field_is_an_error_with_position() {
        let err = Policy::from_toml_str("[links]\nurlz = \"keep\"\n").unwrap_err();
        let text = err.to_string();
        assert!(text.contains("urlz"), "{text}");
        assert!(text.contains("line 2"), "{text}");
    }

    #[test]
    fn charset_names_are_the_iana_ones() {
        let p = Policy::from_toml_str("[output]\ncharset = \"iso-2022-jp\"\n").unwrap();
        assert_eq!(p.output.charset, OutputCharset::Iso2022Jp);
        let p = Policy::from_toml_str("[output]\ncharset = \"utf8\"\n").unwrap();
        assert_eq!(p.output.charset, OutputCharset::Utf8);
        assert!(Policy::default_toml().contains("charset = \"utf-8\""));
    }

    #[test]
    fn header_allow_list_is_read_and_checked() {
        let p = Policy::from_toml_str("[headers]\nkeep = [\"From\", \"List-*\"]\n").unwrap();
        assert!(p.headers.keeps(b"from"));
        assert!(p.headers.keeps(b"List-Unsubscribe"));
        assert!(!p.headers.keeps(b"Subject"));
        assert!(!p.headers.keeps(b"List"));
        for bad in ["\"\"", "\"*\"", "\"X Bad\"", "\"Subject:\""] {
            let err = Policy::from_toml_str(&format!("[headers]\nkeep = [{bad}]\n")).unwrap_err();
            assert!(err.to_string().contains("headers.keep"), "{bad}: {err}");
        }
    }

    #[test]
    fn width_out_of_range_is_refused() {
        assert!(Policy::from_toml_str("[output]\nwidth = 5\n").is_err());
    }

    #[test]
    fn bypass_needs_every_recipient() {
        let b = Bypass {
            senders: vec![],
            recipients: vec!["city.lg.jp".into()],
        };
        assert!(b.applies("x@internet.example", &["a@city.lg.jp".into()]));
        assert!(!b.applies(
            "x@internet.example",
            &["a@city.lg.jp".into(), "b@other.jp".into()]
        ));
        assert!(!b.applies("x@internet.example", &[]));
    }
}
