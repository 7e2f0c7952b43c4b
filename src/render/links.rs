//! Links: one finder for every piece of text the reader sees ([`find_links`]) and one defang
//! for every scheme ([`defang_url`]); link targets shown under the link policy (defanged,
//! kept or removed, separately for web URLs, `mailto:` and `tel:`).
//!
//! The finder recognises any `scheme://` (also `scheme:\\`), the schemes that work without
//! slashes (`file:`, `smb:`, `webcal:`, `javascript:`, `ms-…:`…), bare `www.` and `ftp.`
//! hosts, punycode `xn--` hosts and UNC paths (`\\host\share`). A host runs on through
//! non-ASCII letters (IDN), full-width characters, zero-width characters and the ideographic
//! dots (`。`, `．`, `｡`) that browsers read as `.`, so none of them can cut a link short and
//! leave its rest live. The scan is one pass over the text.

use std::borrow::Cow;
use std::ops::Range;

use crate::policy::{LinkMode, LinkPolicy};

/// What kind of target a link has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkKind {
    /// A web or file-transfer URL (http, https, ftp, ftps, a bare `www.`/`ftp.` or `xn--`
    /// host).
    Url,
    /// A `mailto:` address.
    Mailto,
    /// A `tel:` number.
    Tel,
    /// Any other scheme (`javascript:`, `data:`, `file:`, `smb:`, `webcal:`…) or a UNC path:
    /// never shown as a live target.
    Dangerous,
    /// A fragment or relative reference with nothing to follow.
    Local,
}

/// Schemes that open something without `//` after the colon.
const BARE_SCHEMES: &[&str] = &[
    "file",
    "smb",
    "cifs",
    "nfs",
    "webcal",
    "webcals",
    "javascript",
    "vbscript",
    "livescript",
    "data",
    "jar",
    "search-ms",
    "search",
    "ldap",
    "ldaps",
    "news",
    "nntp",
    "snews",
    "telnet",
    "ssh",
    "sftp",
    "irc",
    "gopher",
    "magnet",
    "itms",
    "itms-services",
    "intent",
    "shell",
];

/// Already defanged schemes: shown as they are.
const DEFANGED_SCHEMES: &[&str] = &["hxxp", "hxxps", "fxp", "fxps"];

/// Bytes of a scheme name. RFC 3986 also allows `.`, but no scheme in use has one, and
/// reading `www.evil` in `www.evil:…` as a scheme would hide a host.
fn is_scheme_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-')
}

fn is_slash(b: Option<&u8>) -> bool {
    matches!(b, Some(b'/' | b'\\'))
}

/// Dots a browser reads as `.` in a host name.
fn is_dot(c: char) -> bool {
    matches!(c, '.' | '。' | '．' | '｡')
}

/// Invisible characters that can sit inside a link without ending it.
fn is_invisible(c: char) -> bool {
    matches!(c, '\u{00AD}' | '\u{200B}'..='\u{200F}' | '\u{2060}'..='\u{2064}' | '\u{FEFF}')
}

/// Full-width ASCII letters and digits (`ｅｘａｍｐｌｅ`, `１２３`).
fn is_fullwidth_alnum(c: char) -> bool {
    matches!(c, '０'..='９' | 'Ａ'..='Ｚ' | 'ａ'..='ｚ')
}

/// ASCII characters that end a link in running text.
fn ends_link(c: char) -> bool {
    c.is_whitespace() || matches!(c, '<' | '>' | '"' | '`' | '{' | '}' | '|' | '^')
}

/// Whether `c` can continue a host name (IDN letters, full-width and invisible characters
/// included; separators end it).
fn host_char(c: char) -> bool {
    if c.is_ascii() {
        c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '@' | ':' | '%' | '~')
    } else {
        c.is_alphanumeric() || is_invisible(c) || is_dot(c) || is_fullwidth_alnum(c)
    }
}

/// Whether `c` can continue the path, query or fragment of a link.
fn path_char(c: char) -> bool {
    if c.is_ascii() {
        !ends_link(c) && !c.is_ascii_control()
    } else {
        is_invisible(c) || is_fullwidth_alnum(c) || matches!(c, '．' | '／')
    }
}

/// A scheme and separator at the start of `s`: `(scheme, separator length)`, where the
/// separator is `:` followed by two slashes or backslashes, or a lone `:` for a scheme that
/// works without them and is followed by a visible ASCII character.
fn scheme_prefix(s: &str) -> Option<(&str, usize)> {
    let b = s.as_bytes();
    if !b.first().is_some_and(u8::is_ascii_alphabetic) {
        return None;
    }
    let len = b
        .iter()
        .take(33)
        .take_while(|&&c| is_scheme_byte(c))
        .count();
    if len > 32 || b.get(len) != Some(&b':') {
        return None;
    }
    let scheme = &s[..len];
    if is_slash(b.get(len + 1)) && is_slash(b.get(len + 2)) {
        Some((scheme, 3))
    } else if is_bare_scheme(scheme) && b.get(len + 1).is_some_and(u8::is_ascii_graphic) {
        // Only an ASCII target: `News:今月の…` in prose is no link.
        Some((scheme, 1))
    } else {
        None
    }
}

fn is_bare_scheme(scheme: &str) -> bool {
    let lower = scheme.to_ascii_lowercase();
    BARE_SCHEMES.contains(&lower.as_str()) || lower.starts_with("ms-")
}

/// Classifies a link target.
///
/// ```
/// use mugai::render::links::{classify, LinkKind};
/// assert_eq!(classify("https://example.jp/"), LinkKind::Url);
/// assert_eq!(classify("smb://host/share"), LinkKind::Dangerous);
/// assert_eq!(classify("\\\\host\\share"), LinkKind::Dangerous);
/// assert_eq!(classify("#top"), LinkKind::Local);
/// ```
pub fn classify(target: &str) -> LinkKind {
    let t = target.trim();
    let lower = t.get(..t.len().min(12)).unwrap_or("").to_ascii_lowercase();
    if let Some((scheme, sep)) = scheme_prefix(t) {
        let s = scheme.to_ascii_lowercase();
        return match s.as_str() {
            "http" | "https" | "ftp" | "ftps" if sep == 3 => LinkKind::Url,
            _ => LinkKind::Dangerous,
        };
    }
    if lower.starts_with("www.") || lower.starts_with("ftp.") || lower.starts_with("xn--") {
        LinkKind::Url
    } else if lower.starts_with("mailto:") {
        LinkKind::Mailto
    } else if lower.starts_with("tel:") || lower.starts_with("callto:") {
        LinkKind::Tel
    } else if t.starts_with("\\\\") {
        LinkKind::Dangerous
    } else if t.starts_with('#') || t.is_empty() || !t.contains(':') {
        LinkKind::Local
    } else {
        LinkKind::Dangerous
    }
}

/// The host part of a URL (lowercase, ideographic dots read as `.`), if it has one.
///
/// ```
/// use mugai::render::links::host;
/// assert_eq!(host("https://a.example.jp/x?next=https://b.example/").as_deref(), Some("a.example.jp"));
/// assert_eq!(host("www.example.jp/login?u=http://x.example/").as_deref(), Some("www.example.jp"));
/// ```
pub fn host(url: &str) -> Option<String> {
    let url = url.trim();
    let rest = match scheme_prefix(url) {
        Some((scheme, sep)) => &url[scheme.len() + sep..],
        None => {
            let lower = url.get(..4).unwrap_or("").to_ascii_lowercase();
            if lower == "www." || lower == "ftp." {
                url
            } else {
                return None;
            }
        }
    };
    let rest = rest.trim_start_matches(['/', '\\']);
    let end = rest.find(['/', '?', '#', '\\']).unwrap_or(rest.len());
    let authority = &rest[..end];
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = if host.starts_with('[') {
        host
    } else {
        host.split(':').next().unwrap_or(host)
    };
    let host: String = host
        .chars()
        .filter(|&c| !is_invisible(c))
        .map(|c| if is_dot(c) { '.' } else { c })
        .collect();
    let host = host.trim_end_matches('.').to_lowercase();
    (!host.is_empty()).then_some(host)
}

/// One link found in text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    /// Byte range of the link in the text.
    pub range: Range<usize>,
    /// What kind of link it is.
    pub kind: LinkKind,
}

/// Where a link starts at byte `i` of `s`, and how long its prefix (scheme and separator,
/// or UNC `\\`) is; `floor` is the first byte a link may start at.
fn start_at(s: &str, floor: usize, i: usize) -> Option<(usize, usize)> {
    let b = s.as_bytes();
    let boundary = |at: usize| {
        at == 0
            || !(b[at - 1].is_ascii_alphanumeric()
                || matches!(b[at - 1], b'.' | b'@' | b'-' | b'[' | b'\\' | b'/' | b'%'))
    };
    match b[i] {
        b':' => {
            let mut st = i;
            while st > floor && i - st < 32 && is_scheme_byte(b[st - 1]) {
                st -= 1;
            }
            while st < i && !b[st].is_ascii_alphabetic() {
                st += 1;
            }
            if st == i || (st > 0 && b[st - 1] == b'[') {
                return None;
            }
            let (scheme, sep) = scheme_prefix(&s[st..])?;
            (scheme.len() == i - st).then_some((st, scheme.len() + sep))
        }
        b'w' | b'W' | b'f' | b'F' | b'x' | b'X' if boundary(i) => {
            // `www[.]` too: a host defanged before is read the same way again.
            let head = b.get(i..i + 3)?;
            let dot = match b.get(i + 3..)? {
                [b'-', ..] if head.eq_ignore_ascii_case(b"xn-") => 1,
                [b'.', ..] => 1,
                [b'[', b'.', b']', ..] => 3,
                _ => return None,
            };
            let known = head.eq_ignore_ascii_case(b"www")
                || head.eq_ignore_ascii_case(b"ftp")
                || head.eq_ignore_ascii_case(b"xn-");
            let next = s.get(i + 3 + dot..)?.chars().next()?;
            (known && (next.is_alphanumeric() || is_fullwidth_alnum(next))).then_some((i, 0))
        }
        b'\\' if boundary(i) && b.get(i + 1) == Some(&b'\\') => {
            let run = b[i..].iter().take_while(|&&c| c == b'\\').count();
            let next = s.get(i + run..)?.chars().next()?;
            next.is_alphanumeric().then_some((i, run))
        }
        _ => None,
    }
}

/// The end of the host that starts at byte `from` of `s`.
/// After an explicit scheme every ideographic dot followed by a letter is a host dot; in a
/// bare host (`www.`…) only one followed by an ASCII or full-width letter or digit is, so
/// that Japanese prose after a host name stays as it is.
///
/// A colon continues the host only before a port number or a `user:password@`.
fn host_end(s: &str, from: usize, after_scheme: bool) -> usize {
    let b = s.as_bytes();
    let mut end = from;
    // An IPv6 literal `[…]` right at the start.
    if b.get(from) == Some(&b'[') {
        let len = b[from + 1..]
            .iter()
            .take(64)
            .take_while(|c| c.is_ascii_hexdigit() || matches!(c, b':' | b'.'))
            .count();
        if b.get(from + 1 + len) == Some(&b']') {
            end = from + len + 2;
        }
    }
    while let Some(c) = s[end..].chars().next() {
        // A dot already defanged is still part of the host.
        if s[end..].starts_with("[.]") {
            end += 3;
            continue;
        }
        let next = s[end + c.len_utf8()..].chars().next();
        let ok = match c {
            '。' | '｡' => next.is_some_and(|n| {
                n.is_ascii_alphanumeric()
                    || is_fullwidth_alnum(n)
                    || (after_scheme && n.is_alphanumeric())
            }),
            '．' => next.is_some_and(|n| n.is_alphanumeric()),
            // A port or `user:password@`; anything else after a colon (`host://`,
            // `smb:x`) is not host.
            ':' => next.is_some_and(|n| n.is_ascii_digit()) || userinfo_follows(&b[end + 1..]),
            _ => host_char(c),
        };
        if !ok {
            break;
        }
        end += c.len_utf8();
    }
    end
}

/// Whether an `@` follows within the next 64 bytes, reached through host characters (and
/// the brackets of `[.]`) only.
fn userinfo_follows(rest: &[u8]) -> bool {
    rest.iter()
        .take(64)
        .take_while(|&&c| matches!(c, b'@' | b'[' | b']') || host_char(c as char))
        .any(|&c| c == b'@')
}

/// The end of the path, query and fragment that start at byte `from` of the link whose body
/// (after the scheme) starts at `body`; the host of a link embedded in them
/// (`?next=https://例え.jp/`, `smb:host`, `?u=www.例え.jp`) is read with the host rules.
fn path_end(s: &str, body: usize, from: usize) -> usize {
    let mut end = from;
    while let Some(c) = s[end..].chars().next() {
        if matches!(c, ':' | 'w' | 'W' | 'f' | 'F' | 'x' | 'X' | '\\')
            && let Some((st, prefix)) = start_at(s, body, end)
        {
            end = host_end(s, st + prefix, prefix > 0).max(end + 1);
        } else if path_char(c) {
            end += c.len_utf8();
        } else {
            break;
        }
    }
    end
}

/// The end of the link that starts at `start` with a prefix of `prefix` bytes, trailing
/// punctuation excluded; `None` when nothing follows the prefix.
fn link_end(s: &str, start: usize, prefix: usize) -> Option<usize> {
    let body = start + prefix;
    let mut end = host_end(s, body, prefix > 0);
    if s[end..].starts_with(['/', '?', '#', '\\', ':']) {
        end = path_end(s, body, end);
    }
    while end > body {
        let Some(last) = s[..end].chars().next_back() else {
            break;
        };
        if matches!(
            last,
            '.' | ',' | ';' | ':' | '!' | '?' | ')' | ']' | '\'' | '．' | '。'
        ) || is_invisible(last)
        {
            end -= last.len_utf8();
        } else {
            break;
        }
    }
    let bare = prefix == 0;
    let host = &s[body..end.min(host_end(s, body, prefix > 0))];
    if end <= body || (bare && !host.chars().any(is_dot)) {
        return None;
    }
    Some(end)
}

/// Finds every link in `text` in one pass: any `scheme://` (or `scheme:\\`), schemes that
/// work without slashes (`file:`, `smb:`, `webcal:`, `javascript:`…), bare `www.`, `ftp.`
/// and `xn--` hosts, and UNC paths. Defanged forms (`hxxps://a[.]jp/`) are found too, so
/// that a half-defanged link is completed.
///
/// ```
/// use mugai::render::links::{find_links, LinkKind};
/// let text = "see https://例え.jp/ or \\\\srv\\share and smb://nas/x";
/// let found: Vec<&str> = find_links(text).iter().map(|f| &text[f.range.clone()]).collect();
/// assert_eq!(found, ["https://例え.jp/", "\\\\srv\\share", "smb://nas/x"]);
/// assert_eq!(find_links("www.example.jp")[0].kind, LinkKind::Url);
/// ```
pub fn find_links(text: &str) -> Vec<Found> {
    let mut out = Vec::new();
    let mut floor = 0;
    let mut i = 0;
    let b = text.as_bytes();
    while i < b.len() {
        if let Some((start, prefix)) = start_at(text, floor, i)
            && let Some(end) = link_end(text, start, prefix)
        {
            out.push(Found {
                range: start..end,
                kind: classify(&text[start..end]),
            });
            floor = end;
            i = end;
            continue;
        }
        i += 1;
    }
    out
}

/// Writes `host` with every dot (also `。`, `．`, `｡`) as `[.]`; dots already bracketed stay.
fn push_host(out: &mut String, host: &str) {
    let mut prev = '\0';
    let mut chars = host.chars().peekable();
    while let Some(c) = chars.next() {
        let bracketed = prev == '[' && chars.peek() == Some(&']');
        if is_dot(c) && !bracketed {
            out.push_str("[.]");
        } else {
            out.push(c);
        }
        prev = c;
    }
}

/// Writes a defanged scheme and separator: `http`/`https`/`ftp`/`ftps` become
/// `hxxp`/`hxxps`/`fxp`/`fxps`; any other scheme keeps its name and its colon becomes `[:]`;
/// two slashes or backslashes after the colon are written `//`.
fn push_scheme(out: &mut String, scheme: &str, sep: &str) {
    let lower = scheme.to_ascii_lowercase();
    let renamed = match lower.as_str() {
        "http" => Some("hxxp"),
        "https" => Some("hxxps"),
        "ftp" => Some("fxp"),
        "ftps" => Some("fxps"),
        s if DEFANGED_SCHEMES.contains(&s) => Some(s),
        _ => None,
    };
    match renamed {
        Some(r) if sep.len() == 3 => {
            out.push_str(r);
            out.push(':');
        }
        _ => {
            out.push_str(scheme);
            out.push_str("[:]");
        }
    }
    // Backslashes after the colon are written as slashes: `\\host` would be a UNC path.
    if sep.len() == 3 {
        out.push_str("//");
    }
}

/// Defangs a link so that no client turns it into a live one: every scheme separator in it
/// is rewritten (`http`→`hxxp`, `https`→`hxxps`, `ftp`→`fxp`, any other `scheme:` →
/// `scheme[:]`), every dot of every host in it becomes `[.]`, and a UNC path's `\\` becomes
/// `[\\]`. Links inside the query (`?next=https://…`) are defanged as well. One pass.
///
/// ```
/// use mugai::render::links::defang_url;
/// assert_eq!(defang_url("https://www.example.com/a.html?x=1"), "hxxps://www[.]example[.]com/a.html?x=1");
/// assert_eq!(defang_url("www.example.jp/"), "www[.]example[.]jp/");
/// assert_eq!(
///     defang_url("www.evil.example/login?next=https://city.example.lg.jp/"),
///     "www[.]evil[.]example/login?next=hxxps://city[.]example[.]lg[.]jp/"
/// );
/// assert_eq!(defang_url("smb://nas.example/share"), "smb[:]//nas[.]example/share");
/// assert_eq!(defang_url("file:///C:/x.exe"), "file[:]///C:/x.exe");
/// assert_eq!(defang_url("\\\\srv.example\\share"), "[\\\\]srv[.]example\\share");
/// assert_eq!(defang_url("https://例え。テスト。jp/"), "hxxps://例え[.]テスト[.]jp/");
/// assert_eq!(defang_url(&defang_url("https://a.b/")), "hxxps://a[.]b/");
/// ```
pub fn defang_url(url: &str) -> String {
    let mut out = String::with_capacity(url.len() + 16);
    let b = url.as_bytes();
    let mut copied = 0;
    let mut i = 0;
    while i < b.len() {
        let Some((start, prefix)) = start_at(url, copied, i) else {
            i += 1;
            continue;
        };
        out.push_str(&url[copied..start]);
        let body = start + prefix;
        if b[start] == b'\\' {
            out.push('[');
            out.push_str(&url[start..body]);
            out.push(']');
        } else if prefix > 0 {
            let colon = url[start..body].find(':').map_or(body, |c| start + c);
            push_scheme(&mut out, &url[start..colon], &url[colon..body]);
        }
        let mut end = host_end(url, body, prefix > 0);
        if url[end..].starts_with(':') {
            // The host ends in the scheme of an embedded link (`smb:http://…`): that scheme
            // is left for the next round.
            end -= url.as_bytes()[body..end]
                .iter()
                .rev()
                .take_while(|&&c| is_scheme_byte(c))
                .count();
        }
        push_host(&mut out, &url[body..end]);
        copied = end;
        i = end.max(i + 1);
    }
    out.push_str(&url[copied..]);
    out
}

/// Defangs a mail address: `user[@]example[.]jp`.
pub fn defang_address(addr: &str) -> String {
    addr.replace('@', "[@]").replace('.', "[.]")
}

/// How a link target is shown under `policy`; `None` when it is removed.
pub fn show_target(target: &str, policy: &LinkPolicy) -> Option<String> {
    let t = target.trim();
    match classify(t) {
        LinkKind::Url => match policy.urls {
            LinkMode::Keep => Some(t.to_owned()),
            LinkMode::Defang => Some(defang_url(t)),
            LinkMode::Remove => None,
        },
        LinkKind::Mailto => {
            let addr = &t[7..];
            let addr = addr.split('?').next().unwrap_or(addr);
            match policy.mailto {
                LinkMode::Keep => Some(addr.to_owned()),
                LinkMode::Defang => Some(defang_address(addr)),
                LinkMode::Remove => None,
            }
        }
        LinkKind::Tel => {
            let num = t.split_once(':').map_or(t, |(_, n)| n);
            match policy.tel {
                LinkMode::Keep => Some(num.to_owned()),
                LinkMode::Defang => Some(num.replace(['+', '-'], " ")),
                LinkMode::Remove => None,
            }
        }
        LinkKind::Dangerous | LinkKind::Local => None,
    }
}

/// Whether the visible text of a link looks like a URL or host name pointing somewhere else
/// than its target (a classic phishing trick). A `://` in the query of either does not
/// count: hosts are read from the start.
///
/// ```
/// use mugai::render::links::text_disagrees;
/// assert!(text_disagrees("https://www.city.example.lg.jp/", "https://evil.example.com/login"));
/// assert!(!text_disagrees("市のホームページ", "https://evil.example.com/"));
/// assert!(!text_disagrees("www.example.jp", "https://www.example.jp/top"));
/// assert!(text_disagrees(
///     "www.city.example.lg.jp/?r=https://evil.example.com/",
///     "https://evil.example.com/"
/// ));
/// ```
pub fn text_disagrees(text: &str, target: &str) -> bool {
    let text = text.trim();
    let has_scheme = scheme_prefix(text).is_some_and(|(_, sep)| sep == 3);
    let looks_like_url = has_scheme
        || text.to_ascii_lowercase().starts_with("www.")
        || (text.contains('.')
            && !text.contains(' ')
            && host(&format!("http://{text}")).is_some_and(|h| {
                h.rsplit('.').next().is_some_and(|tld| {
                    tld.len() >= 2 && tld.chars().all(|c| c.is_ascii_alphabetic())
                })
            }));
    if !looks_like_url {
        return false;
    }
    let shown = if has_scheme {
        host(text)
    } else {
        host(&format!("http://{text}"))
    };
    match (shown, host(target)) {
        (Some(a), Some(b)) => a.trim_start_matches("www.") != b.trim_start_matches("www."),
        (Some(_), None) => true,
        _ => false,
    }
}

/// How one link found in text is shown under `policy`: web URLs follow `links.urls`; any
/// other scheme and UNC paths are always defanged (or removed under `remove`).
fn shown_in_text(link: &str, kind: LinkKind, policy: &LinkPolicy) -> String {
    match (kind, policy.urls) {
        (_, LinkMode::Remove) => "[URL]".to_owned(),
        (LinkKind::Url, LinkMode::Keep) => link.to_owned(),
        _ => defang_url(link),
    }
}

/// Applies the link policy to every link [`find_links`] finds in `text`. Returns the text
/// and the number of links rewritten (links already in their final form are not counted,
/// so the function is idempotent).
///
/// ```
/// use mugai::{render::links::rewrite_text_urls, policy::LinkPolicy};
/// let (t, n) = rewrite_text_urls("see https://example.com/x. ok", &LinkPolicy::default());
/// assert_eq!(t, "see hxxps://example[.]com/x. ok");
/// assert_eq!(n, 1);
/// let (t, _) = rewrite_text_urls("open \\\\nas\\share or webcal://cal.example/a.ics", &LinkPolicy::default());
/// assert_eq!(t, "open [\\\\]nas\\share or webcal[:]//cal[.]example/a.ics");
/// ```
pub fn rewrite_text_urls<'a>(text: &'a str, policy: &LinkPolicy) -> (Cow<'a, str>, usize) {
    let (first, count) = rewrite_once(text, policy);
    if count == 0 {
        return (first, 0);
    }
    // A defanged link is read again: a scheme can hide in a host (`smb:smb:@…`) and show up
    // once the outer link is rewritten. Each pass is linear; real text needs one.
    let mut text = first.into_owned();
    for _ in 0..3 {
        match rewrite_once(&text, policy) {
            (Cow::Owned(next), _) => text = next,
            (Cow::Borrowed(_), _) => break,
        }
    }
    (Cow::Owned(text), count)
}

fn rewrite_once<'a>(text: &'a str, policy: &LinkPolicy) -> (Cow<'a, str>, usize) {
    let mut out = String::new();
    let mut copied = 0;
    let mut count = 0;
    for found in find_links(text) {
        let link = &text[found.range.clone()];
        let shown = shown_in_text(link, found.kind, policy);
        if shown == link {
            continue;
        }
        out.push_str(&text[copied..found.range.start]);
        out.push_str(&shown);
        copied = found.range.end;
        count += 1;
    }
    if count == 0 {
        return (Cow::Borrowed(text), 0);
    }
    out.push_str(&text[copied..]);
    (Cow::Owned(out), count)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(text: &str) -> Vec<&str> {
        find_links(text)
            .into_iter()
            .map(|f| &text[f.range])
            .collect()
    }

    fn defanged(text: &str) -> String {
        rewrite_text_urls(text, &LinkPolicy::default())
            .0
            .into_owned()
    }

    #[test]
    fn rewrite_is_idempotent() {
        let p = LinkPolicy::default();
        let (once, _) = rewrite_text_urls("a http://x.jp/ b www.y.jp c \\\\h\\s d smb://n.x/", &p);
        assert_eq!(
            once,
            "a hxxp://x[.]jp/ b www[.]y[.]jp c [\\\\]h\\s d smb[:]//n[.]x/"
        );
        let (twice, n) = rewrite_text_urls(&once, &p);
        assert_eq!(twice, once);
        assert_eq!(n, 0);
    }

    #[test]
    fn japanese_punctuation_ends_url() {
        assert_eq!(
            defanged("詳細はhttps://a.example.jp/x。"),
            "詳細はhxxps://a[.]example[.]jp/x。"
        );
        assert_eq!(
            defanged("（www.city.example.jp）をご覧ください"),
            "（www[.]city[.]example[.]jp）をご覧ください"
        );
        assert_eq!(defanged("www.example.jp。次に"), "www[.]example[.]jp。次に");
    }

    #[test]
    fn scheme_separator_in_the_query_is_defanged_too() {
        assert_eq!(
            defanged("go www.evil.example/login?next=https://city.example.lg.jp/ now"),
            "go www[.]evil[.]example/login?next=hxxps://city[.]example[.]lg[.]jp/ now"
        );
        assert_eq!(
            defang_url("https://a.example/?u=http://b.example/&v=www.c.example"),
            "hxxps://a[.]example/?u=hxxp://b[.]example/&v=www[.]c[.]example"
        );
    }

    #[test]
    fn idn_fullwidth_and_zero_width_hosts_are_whole() {
        assert_eq!(
            found("x https://例え.テスト/パス y"),
            ["https://例え.テスト/"]
        );
        assert_eq!(defanged("https://例え.テスト/"), "hxxps://例え[.]テスト/");
        assert_eq!(
            defanged("https://ｅｖｉｌ．ｅｘａｍｐｌｅ．com/"),
            "hxxps://ｅｖｉｌ[.]ｅｘａｍｐｌｅ[.]com/"
        );
        assert_eq!(
            defanged("https://evil\u{200B}.example\u{200B}.com/a"),
            "hxxps://evil\u{200B}[.]example\u{200B}[.]com/a"
        );
        assert_eq!(
            defanged("h\u{200B}ttps://evil.example/"),
            "h\u{200B}ttps[:]//evil[.]example/"
        );
        assert_eq!(
            defanged("https://evil。example。com/"),
            "hxxps://evil[.]example[.]com/"
        );
        assert_eq!(
            defanged("xn--eckwd4c7c.xn--zckzah/"),
            "xn--eckwd4c7c[.]xn--zckzah/"
        );
    }

    #[test]
    fn every_scheme_and_unc_is_found() {
        assert_eq!(
            found(
                "file:///C:/a.exe smb://nas/s webcal://c.example/x \\\\srv\\s ftp.example.jp javascript:alert(1) HTTPS:\\\\evil.example"
            ),
            [
                "file:///C:/a.exe",
                "smb://nas/s",
                "webcal://c.example/x",
                "\\\\srv\\s",
                "ftp.example.jp",
                "javascript:alert",
                "HTTPS:\\\\evil.example"
            ]
        );
        assert_eq!(defanged("HTTPS:\\\\evil.example"), "hxxps://evil[.]example");
        assert_eq!(defanged("smb:http://x.jp/"), "smb[:]hxxp://x[.]jp/");
        assert_eq!(defanged("smb:\\\\nas\\s"), "smb[:]//nas\\s");
        assert_eq!(defanged("\"\\\\\\\\srv\\\\s\""), "\"[\\\\\\\\]srv\\\\s\"");
        assert_eq!(
            defanged("請求書_www.evil.example.com.exe"),
            "請求書_www[.]evil[.]example[.]com[.]exe"
        );
        assert_eq!(
            defanged("ms-word:ofe|u|https://x.example/a.doc"),
            "ms-word[:]ofe|u|hxxps://x[.]example/a.doc"
        );
    }

    #[test]
    fn addresses_times_and_prose_are_not_links() {
        assert!(found("mail user@www.example.jp at 12:30, Re: x, note: y, a.b").is_empty());
        assert!(found("taro@ftp.example.jp").is_empty());
        assert!(found("http:// and www. alone").is_empty());
        assert!(found("News:今月のお知らせ Search:キーワード data: x").is_empty());
    }

    #[test]
    fn remove_mode_removes_every_kind() {
        let p = LinkPolicy {
            urls: LinkMode::Remove,
            ..LinkPolicy::default()
        };
        let (t, n) = rewrite_text_urls("a file://h/x b \\\\h\\s c https://x.jp/ d", &p);
        assert_eq!(t, "a [URL] b [URL] c [URL] d");
        assert_eq!(n, 3);
    }

    #[test]
    fn keep_mode_still_defangs_dangerous_schemes() {
        let p = LinkPolicy {
            urls: LinkMode::Keep,
            ..LinkPolicy::default()
        };
        let (t, _) = rewrite_text_urls("https://x.jp/ smb://n/s", &p);
        assert_eq!(t, "https://x.jp/ smb[:]//n/s");
    }

    proptest::proptest! {
        #[test]
        fn found_links_are_ordered_and_rewriting_is_idempotent(
            s in "(https?://|smb:|file:|\\\\|www\\.|ftp\\.|xn--|hxxps://|[a-z]|\\.|。|．|ｅ|例|\u{200B}|/|\\?|=|:| |@|\\[|\\]|\\[\\.\\])*"
        ) {
            let mut last = 0;
            for f in find_links(&s) {
                proptest::prop_assert!(f.range.start >= last && f.range.end > f.range.start);
                proptest::prop_assert!(s.is_char_boundary(f.range.start) && s.is_char_boundary(f.range.end));
                last = f.range.end;
            }
            let p = LinkPolicy::default();
            let (once, _) = rewrite_text_urls(&s, &p);
            let (twice, n) = rewrite_text_urls(&once, &p);
            proptest::prop_assert_eq!(&twice, &once);
            proptest::prop_assert_eq!(n, 0);
            let _ = defang_url(&s);
        }
    }

    #[test]
    fn finding_is_linear() {
        let unit = "a://b?c=http://d.e/www.f.g\\\\h ";
        let small = unit.repeat(500);
        let big = unit.repeat(4000);
        let (a, _) = rewrite_text_urls(&small, &LinkPolicy::default());
        let (b, _) = rewrite_text_urls(&big, &LinkPolicy::default());
        assert_eq!(b.len(), a.len() * 8);
        let long = format!("https://{}", "a.".repeat(50_000));
        assert!(defang_url(&long).len() > long.len());
    }

    #[test]
    fn dangerous_schemes_are_never_shown() {
        let p = LinkPolicy::default();
        assert_eq!(show_target("javascript:alert(1)", &p), None);
        assert_eq!(show_target("data:text/html;base64,xx", &p), None);
        assert_eq!(show_target("file://host/x", &p), None);
        assert_eq!(show_target("\\\\host\\share", &p), None);
        assert_eq!(
            show_target("mailto:a@b.jp?subject=x", &p).as_deref(),
            Some("a@b.jp")
        );
    }
}
