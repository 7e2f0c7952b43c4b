//! Showing link targets safely: defanged (`hxxps://example[.]com/`), kept, or removed,
//! separately for web URLs, `mailto:` and `tel:`; and finding URLs in plain text.

use std::borrow::Cow;

use crate::policy::{LinkMode, LinkPolicy};

/// What kind of target a link has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkKind {
    /// A web or file-transfer URL (http, https, ftp, or a bare `www.` host).
    Url,
    /// A `mailto:` address.
    Mailto,
    /// A `tel:` number.
    Tel,
    /// A scheme that runs or embeds something (`javascript:`, `data:`, `vbscript:`, `file:`…):
    /// never shown as a target.
    Dangerous,
    /// A fragment or relative reference with nothing to follow.
    Local,
}

/// Classifies a link target.
pub fn classify(target: &str) -> LinkKind {
    let t = target.trim();
    let lower = t.get(..t.len().min(12)).unwrap_or("").to_ascii_lowercase();
    if lower.starts_with("http://")
        || lower.starts_with("https://")
        || lower.starts_with("ftp://")
        || lower.starts_with("ftps://")
        || lower.starts_with("www.")
    {
        LinkKind::Url
    } else if lower.starts_with("mailto:") {
        LinkKind::Mailto
    } else if lower.starts_with("tel:") || lower.starts_with("callto:") {
        LinkKind::Tel
    } else if t.starts_with('#') || t.is_empty() || !t.contains(':') {
        LinkKind::Local
    } else {
        LinkKind::Dangerous
    }
}

/// The host part of a URL (lowercase), if it has one.
pub fn host(url: &str) -> Option<String> {
    let rest = match url.find("://") {
        Some(i) => &url[i + 3..],
        None if url.to_ascii_lowercase().starts_with("www.") => url,
        None => return None,
    };
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..end];
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = if host.starts_with('[') {
        host
    } else {
        host.split(':').next().unwrap_or(host)
    };
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    (!host.is_empty()).then_some(host)
}

/// Defangs a URL: the scheme loses its power (`http`→`hxxp`, `https`→`hxxps`, `ftp`→`fxp`)
/// and every dot of the host becomes `[.]`, so that no client turns it into a link.
///
/// ```
/// use mugai::render::links::defang_url;
/// assert_eq!(defang_url("https://www.example.com/a.html?x=1"), "hxxps://www[.]example[.]com/a.html?x=1");
/// assert_eq!(defang_url("www.example.jp/"), "www[.]example[.]jp/");
/// ```
pub fn defang_url(url: &str) -> String {
    let (scheme, rest) = match url.find("://") {
        Some(i) => (&url[..i], &url[i + 3..]),
        None => ("", url),
    };
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, path) = rest.split_at(end);
    let mut out = String::with_capacity(url.len() + 16);
    if !scheme.is_empty() {
        let s = scheme.to_ascii_lowercase();
        out.push_str(match s.as_str() {
            "http" => "hxxp",
            "https" => "hxxps",
            "ftp" => "fxp",
            "ftps" => "fxps",
            _ => &s,
        });
        out.push_str("://");
    }
    out.push_str(&authority.replace('.', "[.]"));
    out.push_str(path);
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
/// than its target (a classic phishing trick).
///
/// ```
/// use mugai::render::links::text_disagrees;
/// assert!(text_disagrees("https://www.city.example.lg.jp/", "https://evil.example.com/login"));
/// assert!(!text_disagrees("市のホームページ", "https://evil.example.com/"));
/// assert!(!text_disagrees("www.example.jp", "https://www.example.jp/top"));
/// ```
pub fn text_disagrees(text: &str, target: &str) -> bool {
    let text = text.trim();
    let looks_like_url = text.contains("://")
        || text.to_ascii_lowercase().starts_with("www.")
        || (text.contains('.')
            && !text.contains(' ')
            && text
                .rsplit('.')
                .next()
                .is_some_and(|tld| tld.len() >= 2 && tld.chars().all(|c| c.is_ascii_alphabetic())));
    if !looks_like_url {
        return false;
    }
    let shown = if text.contains("://") {
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

/// Characters that end a URL in running text.
fn ends_url(c: char) -> bool {
    c.is_whitespace()
        || !c.is_ascii()
        || matches!(
            c,
            '<' | '>' | '"' | '\'' | '`' | '{' | '}' | '|' | '\\' | '^'
        )
}

/// Applies the link policy to URLs written in plain text (`http://`, `https://`, `ftp://`,
/// `www.`). Returns the text and the number of URLs rewritten.
///
/// ```
/// use mugai::{render::links::rewrite_text_urls, policy::LinkPolicy};
/// let (t, n) = rewrite_text_urls("see https://example.com/x. ok", &LinkPolicy::default());
/// assert_eq!(t, "see hxxps://example[.]com/x. ok");
/// assert_eq!(n, 1);
/// ```
pub fn rewrite_text_urls<'a>(text: &'a str, policy: &LinkPolicy) -> (Cow<'a, str>, usize) {
    if policy.urls == LinkMode::Keep {
        return (Cow::Borrowed(text), 0);
    }
    let bytes = text.as_bytes();
    let mut out = String::new();
    let mut copied = 0;
    let mut count = 0;
    let mut i = 0;
    // The next lowercase and uppercase candidate bytes at or after `i`: each search resumes
    // where the last one stopped, so the text is scanned once (searching both cases from
    // every candidate would rescan a run of one case for each byte of the other).
    let next = |from: usize, set: [u8; 3]| {
        memchr::memchr3(set[0], set[1], set[2], &bytes[from..]).map_or(bytes.len(), |j| from + j)
    };
    let mut lower = next(0, *b"hfw");
    let mut upper = next(0, *b"HFW");
    while i < bytes.len() {
        // Jump to the next byte that can start a URL ('h', 'f', 'w', any case).
        if lower < i {
            lower = next(i, *b"hfw");
        }
        if upper < i {
            upper = next(i, *b"HFW");
        }
        i = lower.min(upper);
        if i >= bytes.len() {
            break;
        }
        // Candidate starts: a known scheme or "www." at a word boundary.
        let at_boundary = i == 0 || !bytes[i - 1].is_ascii_alphanumeric();
        let rest = &bytes[i..];
        let prefix_len = if !at_boundary {
            0
        } else if starts_ci(rest, b"https://") || starts_ci(rest, b"ftps://") {
            if rest[0].eq_ignore_ascii_case(&b'h') {
                8
            } else {
                7
            }
        } else if starts_ci(rest, b"http://") {
            7
        } else if starts_ci(rest, b"ftp://") {
            6
        } else if starts_ci(rest, b"www.") {
            4
        } else {
            0
        };
        if prefix_len == 0 {
            i += 1;
            continue;
        }
        let tail = &text[i..];
        let mut end = tail.find(ends_url).unwrap_or(tail.len());
        while end > prefix_len && tail[..end].ends_with(['.', ',', ';', ':', '!', '?', ')', ']']) {
            end -= 1;
        }
        if end <= prefix_len {
            i += prefix_len;
            continue;
        }
        let url = &tail[..end];
        out.push_str(&text[copied..i]);
        match show_target(url, policy) {
            Some(shown) => out.push_str(&shown),
            None => out.push_str("[URL]"),
        }
        count += 1;
        i += end;
        copied = i;
    }
    if count == 0 {
        return (Cow::Borrowed(text), 0);
    }
    out.push_str(&text[copied..]);
    (Cow::Owned(out), count)
}

fn starts_ci(hay: &[u8], needle: &[u8]) -> bool {
    hay.len() >= needle.len() && hay[..needle.len()].eq_ignore_ascii_case(needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rewrite_is_idempotent() {
        let p = LinkPolicy::default();
        let (once, _) = rewrite_text_urls("a http://x.jp/ b www.y.jp c", &p);
        assert_eq!(once, "a hxxp://x[.]jp/ b www[.]y[.]jp c");
        let (twice, n) = rewrite_text_urls(&once, &p);
        assert_eq!(twice, once);
        assert_eq!(n, 0);
    }

    #[test]
    fn japanese_punctuation_ends_url() {
        let (t, _) = rewrite_text_urls("詳細はhttps://a.example.jp/x。", &LinkPolicy::default());
        assert_eq!(t, "詳細はhxxps://a[.]example[.]jp/x。");
    }

    #[test]
    fn dangerous_schemes_are_never_shown() {
        assert_eq!(
            show_target("javascript:alert(1)", &LinkPolicy::default()),
            None
        );
        assert_eq!(
            show_target("data:text/html;base64,xx", &LinkPolicy::default()),
            None
        );
        assert_eq!(
            show_target("mailto:a@b.jp?subject=x", &LinkPolicy::default()).as_deref(),
            Some("a@b.jp")
        );
    }
}
