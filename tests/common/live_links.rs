//! An independent check that no live link is left anywhere in a sanitised message, headers
//! included: written apart from `mugai::render::links` so that it does not share its blind
//! spots.
//!
//! Live means a form a mail client or browser can turn into something clickable:
//! - any `scheme://` or `scheme:\\` except the defanged `hxxp`, `hxxps`, `fxp`, `fxps`; and
//!   after those, a host that still holds a real dot (`.`, `。`, `．`, `｡`, not `[.]`);
//! - `file:`, `smb:`, `webcal:`, `javascript:`, `vbscript:`, `ms-…:` and `data:type/…`
//!   at a word boundary;
//! - `www.` or `ftp.` followed by a host name at a word boundary;
//! - a UNC path `\\host`;
//! - a punycode label `xn--…` followed by a real dot.

const DEFANGED: [&str; 4] = ["hxxp", "hxxps", "fxp", "fxps"];
const BARE: [&str; 6] = [
    "file",
    "smb",
    "webcal",
    "javascript",
    "vbscript",
    "livescript",
];

fn real_dot(c: char) -> bool {
    matches!(c, '.' | '。' | '．' | '｡')
}

/// Whether the word ending just before byte `at` allows a link to start at `at`.
fn boundary(s: &str, at: usize) -> bool {
    s[..at].chars().next_back().is_none_or(|p| {
        !(p.is_ascii_alphanumeric() || matches!(p, '.' | '@' | '-' | '[' | '\\' | '/'))
    })
}

/// The host after a scheme separator: up to a path, query, space or quote.
fn host_after(s: &str) -> &str {
    let end = s
        .find(|c: char| matches!(c, '/' | '?' | '#' | '\\' | '<' | '>' | '"') || c.is_whitespace())
        .unwrap_or(s.len());
    &s[..end]
}

/// Whether a host still holds a dot that is not written `[.]`.
fn has_real_dot(host: &str) -> bool {
    let chars: Vec<char> = host.chars().collect();
    chars.iter().enumerate().any(|(i, &c)| {
        real_dot(c) && !(i > 0 && chars[i - 1] == '[' && chars.get(i + 1) == Some(&']'))
    })
}

/// Every live link in `text`, as a short excerpt.
pub fn live_links(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    let b = text.as_bytes();
    let excerpt = |at: usize| -> String { text[at..].chars().take(40).collect() };
    for (i, c) in text.char_indices() {
        match c {
            ':' => {
                let st = text[..i]
                    .char_indices()
                    .rev()
                    .take_while(|&(_, p)| p.is_ascii_alphanumeric() || matches!(p, '+' | '-' | '.'))
                    .last()
                    .map_or(i, |(j, _)| j);
                let scheme = text[st..i].trim_start_matches(|p: char| !p.is_ascii_alphabetic());
                let lower = scheme.to_ascii_lowercase();
                let slashes = matches!(b.get(i + 1), Some(b'/' | b'\\'))
                    && matches!(b.get(i + 2), Some(b'/' | b'\\'));
                if slashes && !scheme.is_empty() {
                    let live = !DEFANGED.contains(&lower.as_str())
                        || has_real_dot(host_after(&text[i + 3..]));
                    if live {
                        found.push(excerpt(st));
                    }
                } else if !scheme.is_empty() && boundary(text, i - scheme.len()) {
                    let data = lower == "data"
                        && text[i + 1..].split('/').next().is_some_and(|t| {
                            !t.is_empty()
                                && t.len() < 30
                                && t.chars().all(|c| c.is_ascii_alphabetic())
                        })
                        && text[i + 1..].contains('/');
                    if BARE.contains(&lower.as_str()) || lower.starts_with("ms-") || data {
                        found.push(excerpt(i - scheme.len()));
                    }
                }
            }
            'w' | 'W' | 'f' | 'F' | 'x' | 'X' if boundary(text, i) => {
                let head = text.get(i..i + 4).unwrap_or("").to_ascii_lowercase();
                let next = text.get(i + 4..).and_then(|r| r.chars().next());
                let hosty = next.is_some_and(|n| n.is_alphanumeric());
                let xn = head == "xn--" && has_real_dot(host_after(&text[i..]));
                if ((head == "www." || head == "ftp.") && hosty) || xn {
                    found.push(excerpt(i));
                }
            }
            '\\' if b.get(i + 1) == Some(&b'\\') && boundary(text, i) => {
                let run = b[i..].iter().take_while(|&&c| c == b'\\').count();
                let next = text[i + run..].chars().next();
                if next.is_some_and(|n| n.is_alphanumeric()) {
                    found.push(excerpt(i));
                }
            }
            _ => {}
        }
    }
    found
}

/// Asserts that neither the decoded header fields nor the decoded body of `output` hold a
/// live link.
pub fn assert_no_live_links(output: &[u8], body: &str, context: &str) {
    let parsed = mailparse::parse_mail(output)
        .unwrap_or_else(|e| panic!("{context}: output does not parse: {e}"));
    let mut live = Vec::new();
    for h in parsed.get_headers() {
        for l in live_links(&h.get_value()) {
            live.push(format!("header {}: {l}", h.get_key()));
        }
        for l in live_links(&String::from_utf8_lossy(h.get_value_raw())) {
            live.push(format!("raw header {}: {l}", h.get_key()));
        }
    }
    for l in live_links(body) {
        live.push(format!("body: {l}"));
    }
    assert!(live.is_empty(), "{context}: live link(s): {live:#?}");
}

#[cfg(test)]
mod tests {
    use super::live_links;

    #[test]
    fn finds_live_and_passes_defanged_forms() {
        for live in [
            "https://a.jp/",
            "smb://h/s",
            "hxxps://a.jp/",
            "x file:///C:/a",
            "\\\\host\\s",
            "\"\\\\\\\\host\\\\s\"",
            "www.a.jp",
            "ftp.a.jp",
            "javascript:alert(1)",
            "hxxps://例え。jp/",
            "xn--p1ai.example",
            "data:text/html,x",
        ] {
            assert!(!live_links(live).is_empty(), "{live}");
        }
        for dead in [
            "hxxps://a[.]jp/x.html",
            "smb[:]//h[.]x/s",
            "[\\\\]host\\s",
            "www[.]a[.]jp",
            "user@www.a.jp",
            "12:30 Re: note:",
            "metadata: x",
            "javascript[:]alert",
        ] {
            assert!(
                live_links(dead).is_empty(),
                "{dead}: {:?}",
                live_links(dead)
            );
        }
    }
}
