//! HTML to text, guarded.
//!
//! html2text does the real work (tables, lists, CSS `display:none`, images as alt text), but
//! it is slow on large input and quadratic in nesting depth. Before calling it the HTML is
//! measured: larger than [`HtmlPolicy::max_bytes`], nested deeper than
//! [`HtmlPolicy::max_depth`] or otherwise costly in shape (see [`html_guard`], a linear
//! scan) goes to [`fallback_text`], a linear
//! tokenizer-level extraction. A converter error (e.g. `TooNarrow`) or panic also falls back.
//!
//! Links are rendered from html2text's rich annotations: the link text stays in place with a
//! footnote number, and the footnotes list each real target under the link policy
//! (defanged by default), flagging a link whose text shows a different address.

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::fmt::Write as _;
use std::time::Duration;

use html2text::render::RichAnnotation;

use super::html_guard;
use super::links::{self, LinkKind};
use super::words::words;
use crate::budget::Deadline;
use crate::policy::{HtmlPolicy, Language, LinkPolicy};

/// The text of an HTML body and what happened on the way.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HtmlText {
    /// The text, lines separated by `\n`.
    pub text: String,
    /// The simple extractor was used; the reason (for the report).
    pub fallback: Option<String>,
    /// Number of links found.
    pub links: usize,
    /// Links whose visible text shows another address than their target.
    pub deceptive_links: usize,
    /// Hidden elements dropped before conversion ([`super::hidden`]).
    pub hidden: usize,
    /// The time budget ran out: the converter was not used, or the text was cut.
    pub time_budget: bool,
}

/// What html2text is assumed to cost at worst (after the guards), per input byte and per
/// node, to decide whether it can finish within the time left (measured: 0.18 µs per byte
/// of text, 2 µs per node of `<p>a`).
const CONVERTER_NANOS_PER_BYTE: u64 = 250;
const CONVERTER_NANOS_PER_NODE: u64 = 3_000;

/// Converts `html` to text at `width` columns; hidden content is dropped first, for the
/// converter and the fallback extractor alike.
pub fn to_text(
    html: &str,
    width: usize,
    guard: &HtmlPolicy,
    link_policy: &LinkPolicy,
    lang: Language,
) -> HtmlText {
    to_text_until(html, width, guard, link_policy, lang, Deadline::never())
}

/// Converts `html` to text like [`to_text`], within `deadline`. html2text cannot be
/// interrupted, so it is only called when the time left covers its worst-case cost for
/// this input (by its size and node count); otherwise (and past the deadline) the linear
/// extractor is used, and it stops at the deadline, keeping the text extracted so far.
/// Either way [`HtmlText::time_budget`] is set.
pub fn to_text_until(
    html: &str,
    width: usize,
    guard: &HtmlPolicy,
    link_policy: &LinkPolicy,
    lang: Language,
    deadline: Deadline,
) -> HtmlText {
    let visible = super::hidden::strip_hidden(html);
    let mut out = convert_visible(&visible.html, width, guard, link_policy, lang, deadline);
    out.hidden = visible.dropped;
    out
}

fn convert_visible(
    html: &str,
    width: usize,
    guard: &HtmlPolicy,
    link_policy: &LinkPolicy,
    lang: Language,
    deadline: Deadline,
) -> HtmlText {
    if html.len() > guard.max_bytes {
        return fallback(
            html,
            link_policy,
            format!("HTML larger than {} bytes", guard.max_bytes),
            deadline,
        );
    }
    let nodes = match html_guard::measure(html.as_bytes(), guard.max_depth) {
        Ok(nodes) => nodes as u64,
        Err(reason) => return fallback(html, link_policy, reason, deadline),
    };
    let cost = Duration::from_nanos(
        (html.len() as u64)
            .saturating_mul(CONVERTER_NANOS_PER_BYTE)
            .saturating_add(nodes.saturating_mul(CONVERTER_NANOS_PER_NODE)),
    );
    if deadline.remaining().is_some_and(|left| left < cost) {
        let mut out = fallback(
            html,
            link_policy,
            "time budget too short for the HTML converter".into(),
            deadline,
        );
        out.time_budget = true;
        return out;
    }
    convert(html, width, link_policy, lang, deadline)
}

/// Runs html2text on `html` that passed the guards; the simple extraction instead when it
/// fails, panics, or renders far larger than its source.
fn convert(
    html: &str,
    width: usize,
    link_policy: &LinkPolicy,
    lang: Language,
    deadline: Deadline,
) -> HtmlText {
    let converted = std::panic::catch_unwind(|| {
        html2text::config::rich()
            .use_doc_css()
            .allow_width_overflow()
            .lines_from_read(html.as_bytes(), width)
    });
    match converted {
        Ok(Ok(lines)) => {
            let out = render_rich(&lines, link_policy, lang);
            // Layout (table borders, padding, deep indentation) can make the rendering far
            // larger than its source; past a bound the simple extraction is used, so that the
            // output stays proportional to the input.
            if out.text.len() > 2 * html.len() + 16 * 1024 {
                return fallback(
                    html,
                    link_policy,
                    "HTML rendering too large for its source".into(),
                    deadline,
                );
            }
            out
        }
        Ok(Err(e)) => fallback(
            html,
            link_policy,
            format!("HTML converter failed: {e}"),
            deadline,
        ),
        Err(_) => fallback(
            html,
            link_policy,
            "HTML converter panicked".into(),
            deadline,
        ),
    }
}

fn fallback(html: &str, link_policy: &LinkPolicy, reason: String, deadline: Deadline) -> HtmlText {
    let (text, links, cut) = fallback_text_until(html, link_policy, deadline);
    HtmlText {
        text,
        fallback: Some(reason),
        links,
        deceptive_links: 0,
        hidden: 0,
        time_budget: cut,
    }
}

/// One footnote: the link's visible text and its target.
struct Footnote {
    target: String,
    text: String,
}

/// The footnotes of one document, each (target, text) once, found by hash (a document with
/// many links must not compare each new link with every earlier one).
#[derive(Default)]
struct Footnotes {
    list: Vec<Footnote>,
    index: HashMap<(String, String), usize>,
}

impl Footnotes {
    /// The 1-based number of the footnote for `target` shown as `text`, added when new.
    fn number(&mut self, target: String, text: String) -> usize {
        let next = self.list.len() + 1;
        match self.index.entry((target, text)) {
            Entry::Occupied(e) => *e.get(),
            Entry::Vacant(e) => {
                let (target, text) = e.key().clone();
                self.list.push(Footnote { target, text });
                *e.insert(next)
            }
        }
    }
}

fn render_rich(
    lines: &[html2text::render::TaggedLine<Vec<RichAnnotation>>],
    link_policy: &LinkPolicy,
    lang: Language,
) -> HtmlText {
    let mut out = HtmlText::default();
    let mut notes = Footnotes::default();
    let mut open: Option<(String, String)> = None; // (target, text so far)
    let mut text = String::new();
    for (n, line) in lines.iter().enumerate() {
        for ts in line.tagged_strings() {
            let link = link_in(&ts.tag);
            match (link, open.as_mut()) {
                (Some(url), Some((cur, t))) if cur == url => t.push_str(&ts.s),
                (Some(url), _) => {
                    close_link(&mut open, &mut notes, &mut text);
                    open = Some((url.to_owned(), ts.s.clone()));
                }
                (None, _) => close_link(&mut open, &mut notes, &mut text),
            }
            text.push_str(&ts.s);
        }
        // A link that continues on the next line stays open; otherwise its footnote mark
        // goes at the end of this line.
        let continues = open.as_ref().is_some_and(|(cur, _)| {
            lines
                .get(n + 1)
                .and_then(|next| next.tagged_strings().find(|t| !t.s.trim().is_empty()))
                .and_then(|t| link_in(&t.tag))
                .is_some_and(|u| u == cur)
        });
        if !continues {
            let trimmed = text.trim_end_matches(' ').len();
            text.truncate(trimmed);
            close_link(&mut open, &mut notes, &mut text);
        }
        let trimmed = text.trim_end_matches(' ').len();
        text.truncate(trimmed);
        text.push('\n');
    }
    close_link(&mut open, &mut notes, &mut text);
    out.links = notes.list.len();
    if !notes.list.is_empty() {
        out.deceptive_links = write_link_list(&mut text, &notes, link_policy, lang);
    }
    out.text = text;
    out
}

/// Ends the open link, if any: its text numbered as a footnote, the mark `[n]` written.
fn close_link(open: &mut Option<(String, String)>, notes: &mut Footnotes, text: &mut String) {
    if let Some((target, link_text)) = open.take() {
        let link_text = link_text.split_whitespace().collect::<Vec<_>>().join(" ");
        let n = notes.number(target, link_text);
        let _ = write!(text, "[{n}]");
    }
}

/// The link target a rendered string is part of, if any.
fn link_in(tag: &[RichAnnotation]) -> Option<&str> {
    tag.iter().find_map(|a| match a {
        RichAnnotation::Link(url) => Some(url.as_str()),
        _ => None,
    })
}

/// The list of link targets under the converted text: each link's text and its target as
/// the link policy shows it, with a warning when the text shows another address. Returns
/// how many links were deceptive that way.
fn write_link_list(
    text: &mut String,
    notes: &Footnotes,
    link_policy: &LinkPolicy,
    lang: Language,
) -> usize {
    let mut deceptive_links = 0;
    text.push('\n');
    let w = words(lang);
    text.push_str(w.links_head);
    for (i, note) in notes.list.iter().enumerate() {
        let shown = links::show_target(&note.target, link_policy);
        let deceptive = links::text_disagrees(&note.text, &note.target);
        if deceptive {
            deceptive_links += 1;
        }
        let label = if note.text.trim().is_empty() {
            w.link_no_text.to_owned()
        } else {
            truncate_chars(&note.text, 60)
        };
        let _ = writeln!(text, "[{}] {}", i + 1, label);
        if deceptive {
            text.push_str(w.link_deceptive);
        }
        match shown {
            Some(t) => {
                let _ = writeln!(text, "    {t}");
            }
            None => text.push_str(match links::classify(&note.target) {
                LinkKind::Dangerous => w.link_dangerous,
                LinkKind::Local => w.link_local,
                _ => w.link_removed,
            }),
        }
    }
    deceptive_links
}

fn truncate_chars(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_owned()
    } else {
        let mut t: String = s.chars().take(max - 1).collect();
        t.push('…');
        t
    }
}

/// Linear-time text extraction from any HTML: tags dropped, `script`/`style`/`head`/
/// `title`/comments skipped with their content, block elements become line breaks, common
/// entities decoded, link targets appended under the link policy. Returns the text and the
/// number of links.
///
/// ```
/// let (t, n) = mugai::render::html::fallback_text(
///     "<p>Hi &amp; <a href='https://x.example/'>go</a><script>evil()</script></p>",
///     &mugai::policy::LinkPolicy::default(),
/// );
/// assert_eq!(t.trim(), "Hi & go <hxxps://x[.]example/>");
/// assert_eq!(n, 1);
/// ```
pub fn fallback_text(html: &str, link_policy: &LinkPolicy) -> (String, usize) {
    let (text, links, _) = fallback_text_until(html, link_policy, Deadline::never());
    (text, links)
}

/// [`fallback_text`] that stops at `deadline`; the flag says it stopped early.
fn fallback_text_until(
    html: &str,
    link_policy: &LinkPolicy,
    deadline: Deadline,
) -> (String, usize, bool) {
    let b = html.as_bytes();
    let mut ticker = deadline.ticker();
    let mut state = Fallback {
        out: String::with_capacity(html.len() / 2),
        links: 0,
        pending_href: None,
    };
    let mut pos = 0;
    while pos < b.len() {
        if ticker.tick() {
            return (state.out, state.links, true);
        }
        let Some(i) = memchr::memchr(b'<', &b[pos..]) else {
            push_text(&mut state.out, &html[pos..]);
            break;
        };
        let lt = pos + i;
        push_text(&mut state.out, &html[pos..lt]);
        if b[lt..].starts_with(b"<!--") {
            pos = memchr::memmem::find(&b[lt + 4..], b"-->").map_or(b.len(), |e| lt + 4 + e + 3);
            continue;
        }
        let Some(gt) = memchr::memchr(b'>', &b[lt..]).map(|e| lt + e) else {
            break;
        };
        let tag = &html[lt + 1..gt];
        pos = gt + 1;
        let closing = tag.starts_with('/');
        let name: String = tag
            .trim_start_matches('/')
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect::<String>()
            .to_ascii_lowercase();
        if let Some(end) = raw_text_end(b, pos, &name, closing) {
            pos = end;
        } else {
            on_tag(&mut state, tag, &name, closing, link_policy);
        }
    }
    (state.out, state.links, false)
}

/// What the simple extractor has produced so far.
struct Fallback {
    out: String,
    links: usize,
    /// The target of an `<a>` not yet closed.
    pending_href: Option<String>,
}

/// For an opening tag whose content is not text (`script`, `style`…): where its matching
/// close tag starts (case-insensitive), or the end of the input.
fn raw_text_end(b: &[u8], pos: usize, name: &str, closing: bool) -> Option<usize> {
    let raw = matches!(
        name,
        "script"
            | "style"
            | "head"
            | "title"
            | "template"
            | "noscript"
            | "object"
            | "iframe"
            | "svg"
    );
    if !raw || closing {
        return None;
    }
    let close = format!("</{name}");
    let rest = &b[pos..];
    let found = rest
        .windows(close.len())
        .position(|w| w.eq_ignore_ascii_case(close.as_bytes()));
    Some(match found {
        Some(e) => pos + e,
        None => b.len(),
    })
}

/// A tag seen by the simple extractor: block tags start a line, cells are spaced, a link's
/// target is shown (under the policy) after its text.
fn on_tag(st: &mut Fallback, tag: &str, name: &str, closing: bool, link_policy: &LinkPolicy) {
    let out = &mut st.out;
    match name {
        "br" | "p" | "div" | "tr" | "li" | "h1" | "h2" | "h3" | "h4" | "h5" | "h6" | "table"
        | "ul" | "ol" | "blockquote" | "pre" | "hr" | "section" | "article" => {
            if !out.ends_with('\n') {
                out.push('\n');
            }
            if name == "li" && !closing {
                out.push_str("* ");
            }
        }
        "td" | "th" if !closing => out.push_str("  "),
        "a" if !closing => {
            st.pending_href = attribute(tag, "href");
        }
        "a" => {
            if let Some(href) = st.pending_href.take() {
                st.links += 1;
                if let Some(shown) = links::show_target(&href, link_policy) {
                    out.push_str(" <");
                    out.push_str(&shown);
                    out.push('>');
                }
            }
        }
        _ => {}
    }
}

fn push_text(out: &mut String, raw: &str) {
    if raw.is_empty() {
        return;
    }
    let decoded = decode_entities(raw);
    let mut last_space = out.ends_with([' ', '\n']);
    for c in decoded.chars() {
        if c.is_whitespace() {
            if !last_space {
                out.push(' ');
                last_space = true;
            }
        } else {
            out.push(c);
            last_space = false;
        }
    }
}

fn attribute(tag: &str, name: &str) -> Option<String> {
    let lower = tag.to_ascii_lowercase();
    let mut search = 0;
    while let Some(i) = lower[search..].find(name) {
        let at = search + i;
        search = at + name.len();
        let before_ok = at == 0 || lower.as_bytes()[at - 1].is_ascii_whitespace();
        let rest = tag[at + name.len()..].trim_start();
        if !before_ok || !rest.starts_with('=') {
            continue;
        }
        let rest = rest[1..].trim_start();
        let value = match rest.chars().next() {
            Some(q @ ('"' | '\'')) => rest[1..].split(q).next().unwrap_or(""),
            _ => rest
                .split(|c: char| c.is_whitespace() || c == '>')
                .next()
                .unwrap_or(""),
        };
        return Some(decode_entities(value).trim().to_owned());
    }
    None
}

/// Decodes the common named entities and numeric character references.
pub fn decode_entities(s: &str) -> std::borrow::Cow<'_, str> {
    if !s.contains('&') {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        // An entity is at most 10 bytes long: look no further for its ';', so that text
        // full of '&' without ';' costs one pass.
        let end = rest.as_bytes()[1..]
            .iter()
            .take(10)
            .position(|&b| b == b';')
            .map(|e| e + 1);
        let Some(end) = end else {
            out.push('&');
            rest = &rest[1..];
            continue;
        };
        let ent = &rest[1..end];
        let c = match ent {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            "nbsp" => Some(' '),
            "copy" => Some('©'),
            "yen" => Some('¥'),
            _ if ent.starts_with("#x") || ent.starts_with("#X") => {
                u32::from_str_radix(&ent[2..], 16)
                    .ok()
                    .and_then(char::from_u32)
            }
            _ if ent.starts_with('#') => ent[1..].parse().ok().and_then(char::from_u32),
            _ => None,
        };
        match c {
            Some(c) => {
                out.push(c);
                rest = &rest[end + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    std::borrow::Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn convert(html: &str) -> HtmlText {
        to_text(
            html,
            76,
            &HtmlPolicy::default(),
            &LinkPolicy::default(),
            Language::Ja,
        )
    }

    #[test]
    fn links_become_footnotes_with_defanged_targets() {
        let t = convert(
            r#"<p>Visit <a href="https://evil.example.com/login">https://www.city.example.lg.jp/</a> now</p>"#,
        );
        assert!(t.text.contains("[1]"), "{}", t.text);
        assert!(
            t.text.contains("hxxps://evil[.]example[.]com/login"),
            "{}",
            t.text
        );
        assert!(t.text.contains("⚠"), "{}", t.text);
        assert_eq!(t.deceptive_links, 1);
        assert!(!t.text.contains("https://evil"), "{}", t.text);
    }

    #[test]
    fn hidden_content_is_dropped() {
        let t = convert(
            "<html><head><title>TITLE-SECRET</title><style>.x{color:red} STYLE-SECRET</style></head>\
             <body><script>SCRIPT-SECRET</script><!-- COMMENT-SECRET -->\
             <div style=\"display:none\">HIDDEN-SECRET</div><p>VISIBLE</p>\
             <img src=\"cid:a\" alt=\"ALT-TEXT\"></body></html>",
        );
        for s in [
            "TITLE-SECRET",
            "STYLE-SECRET",
            "SCRIPT-SECRET",
            "COMMENT-SECRET",
            "HIDDEN-SECRET",
        ] {
            assert!(!t.text.contains(s), "{s} in {}", t.text);
        }
        assert!(t.text.contains("VISIBLE"));
        assert!(t.text.contains("ALT-TEXT"));
    }

    #[test]
    fn deep_nesting_falls_back_quickly() {
        let html = format!(
            "<p>TOP</p>{}x{}",
            "<div>".repeat(10_000),
            "</div>".repeat(10_000)
        );
        let t = convert(&html);
        assert!(t.fallback.is_some());
        assert!(t.text.contains("TOP"));
    }

    #[test]
    fn past_deadline_the_extractor_is_used_and_flagged() {
        let past = Deadline::at(std::time::Instant::now());
        let t = to_text_until(
            "<p>TEXT</p>",
            76,
            &HtmlPolicy::default(),
            &LinkPolicy::default(),
            Language::Ja,
            past,
        );
        assert!(t.time_budget);
        assert!(t.fallback.is_some());
        assert!(!convert("<p>TEXT</p>").time_budget);
    }

    #[test]
    fn many_links_get_one_footnote_each() {
        let html: String = (0..500)
            .map(|i| format!("<a href=\"https://x{}.example/\">a</a> ", i % 250))
            .collect();
        let t = convert(&html);
        assert_eq!(t.links, 250);
    }

    #[test]
    fn tables_stay_legible() {
        let t = convert(
            "<table><tr><th>品目</th><th>金額</th></tr><tr><td>りんご</td><td>100円</td></tr></table>",
        );
        assert!(t.text.contains("品目"));
        assert!(t.text.contains("100円"));
        let line = t.text.lines().find(|l| l.contains("りんご")).unwrap();
        assert!(line.contains("100円"), "row kept on one line: {}", t.text);
    }
}
