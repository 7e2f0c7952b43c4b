//! Hidden HTML: content a reader of the HTML would not see is never rendered as text.
//!
//! A linear pre-pass over the HTML, before conversion (and before the fallback extractor,
//! which gets the same stripped HTML), removes:
//! - elements with the `hidden` attribute, `<template>` and `<noscript>` (mail clients do not
//!   run scripts, and a filter must not read what the reader does not);
//! - elements hidden by an inline style or by a class or id that a top-level `<style>` rule
//!   hides: `display:none`, `visibility:hidden`/`collapse`, a zero (or under 2px) font size,
//!   `opacity:0`, `mso-hide:all`, zero height with `overflow:hidden`, or an off-screen
//!   position (`left`/`top`/`text-indent` beyond -500px);
//! - `<script>`, also malformed or nested ones (`<scr<script>ipt>`,
//!   `<script><script>…</script>…</script>`): everything up to the matching close, or to the
//!   end of the document when there is none. Style sheets are passed on as they are (the
//!   converter applies their `display:none`), malformed ones (`<sty<style>le>`) dropped.
//!
//! Hidden text is a phishing and filter-evasion trick; the number of hidden regions dropped is
//! reported. Comments are dropped too (they are never visible).

use std::borrow::Cow;
use std::collections::HashSet;

use super::html::decode_entities;

/// HTML with its hidden content removed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stripped<'a> {
    /// The HTML to convert.
    pub html: Cow<'a, str>,
    /// Hidden elements (and malformed scripts) removed.
    pub dropped: usize,
}

/// Elements without content.
const VOID: &[&str] = &[
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source",
    "track", "wbr",
];

/// Elements whose end tag may be left out: a hidden one ends at the next sibling of the same
/// name or at the close of its container.
const AUTO_CLOSE: &[&str] = &[
    "p", "li", "td", "th", "tr", "dt", "dd", "option", "thead", "tbody", "tfoot",
];

/// Removes hidden content from `html` (see the module documentation). Linear in the input.
///
/// ```
/// use mugai::render::hidden::strip_hidden;
/// let s = strip_hidden("<p>a</p><div hidden>SECRET</div><p style='font-size:0'>X</p><p>b</p>");
/// assert_eq!(s.html, "<p>a</p><p>b</p>");
/// assert_eq!(s.dropped, 2);
/// ```
pub fn strip_hidden(html: &str) -> Stripped<'_> {
    let lower = html.to_ascii_lowercase();
    let lb = lower.as_bytes();
    if memchr::memchr(b'<', lb).is_none() {
        return Stripped {
            html: Cow::Borrowed(html),
            dropped: 0,
        };
    }
    let rules = HidingRules::from_styles(html, &lower);
    let mut s = Stripper {
        html,
        lower: lb,
        out: String::with_capacity(html.len()),
        dropped: 0,
        skip: None,
        next_open: Finder::new(b"<script"),
        next_close: Finder::new(b"</script"),
        next_style_close: Finder::new(b"</style"),
    };
    s.run(&rules);
    let changed = s.out.len() != html.len() || s.dropped > 0;
    Stripped {
        html: if changed {
            Cow::Owned(s.out)
        } else {
            Cow::Borrowed(html)
        },
        dropped: s.dropped,
    }
}

/// Classes and ids that top-level `<style>` rules hide.
#[derive(Debug, Default)]
struct HidingRules {
    classes: HashSet<String>,
    ids: HashSet<String>,
}

impl HidingRules {
    fn from_styles(html: &str, lower: &str) -> Self {
        let mut rules = HidingRules::default();
        let mut pos = 0;
        while let Some(i) = memchr::memmem::find(&lower.as_bytes()[pos..], b"<style") {
            let start = match memchr::memchr(b'>', &lower.as_bytes()[pos + i..]) {
                Some(gt) => pos + i + gt + 1,
                None => break,
            };
            let end = memchr::memmem::find(&lower.as_bytes()[start..], b"</style")
                .map_or(lower.len(), |e| start + e);
            rules.add_css(&html[start..end]);
            pos = end;
        }
        rules
    }

    /// Reads top-level rules `selectors { declarations }` (rules inside `@media` and other
    /// blocks are conditional and not read).
    fn add_css(&mut self, css: &str) {
        let css = strip_css_comments(css);
        let mut depth = 0usize;
        let mut selector_start = 0;
        let mut block_start = 0;
        let mut selectors = "";
        for (i, c) in css.char_indices() {
            match c {
                '{' => {
                    if depth == 0 {
                        selectors = &css[selector_start..i];
                        block_start = i + 1;
                    }
                    depth += 1;
                }
                '}' => {
                    if depth == 1
                        && !selectors.trim_start().starts_with('@')
                        && hides(&css[block_start..i])
                    {
                        for sel in selectors.split(',') {
                            self.add_selector(sel);
                        }
                    }
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        selector_start = i + 1;
                    }
                }
                _ => {}
            }
        }
    }

    /// Adds the class or id of a selector's last compound when it names exactly one.
    fn add_selector(&mut self, selector: &str) {
        let last = selector
            .rsplit(|c: char| c.is_whitespace() || matches!(c, '>' | '+' | '~'))
            .find(|s| !s.is_empty())
            .unwrap_or("");
        if last.contains([':', '[', '*']) {
            return;
        }
        let classes: Vec<&str> = last.split('.').skip(1).collect();
        let ids: Vec<&str> = last.split('#').skip(1).collect();
        match (classes.as_slice(), ids.as_slice()) {
            ([c], []) if !c.contains('#') && !c.is_empty() => {
                self.classes.insert(c.to_ascii_lowercase());
            }
            ([], [id]) if !id.is_empty() => {
                self.ids.insert(id.to_ascii_lowercase());
            }
            _ => {}
        }
    }

    fn is_empty(&self) -> bool {
        self.classes.is_empty() && self.ids.is_empty()
    }
}

fn strip_css_comments(css: &str) -> Cow<'_, str> {
    if !css.contains("/*") {
        return Cow::Borrowed(css);
    }
    let mut out = String::with_capacity(css.len());
    let mut rest = css;
    while let Some(i) = rest.find("/*") {
        out.push_str(&rest[..i]);
        rest = rest[i + 2..]
            .find("*/")
            .map_or("", |e| &rest[i + 2 + e + 2..]);
    }
    out.push_str(rest);
    Cow::Owned(out)
}

/// Whether CSS declarations hide their element.
fn hides(declarations: &str) -> bool {
    let decls = strip_css_comments(declarations).to_ascii_lowercase();
    let mut zero_height = false;
    let mut overflow_hidden = false;
    for decl in decls.split(';') {
        let Some((prop, value)) = decl.split_once(':') else {
            continue;
        };
        let prop = prop.trim();
        let value: String = value
            .replace("!important", "")
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect();
        let number = leading_number(&value);
        let unit =
            value.trim_start_matches(|c: char| c.is_ascii_digit() || matches!(c, '.' | '-' | '+'));
        let hidden = match prop {
            "display" => value == "none",
            "visibility" => value == "hidden" || value == "collapse",
            "font-size" => {
                number.is_some_and(|n| n <= 0.0 || (n < 2.0 && matches!(unit, "px" | "pt")))
            }
            "opacity" => number.is_some_and(|n| n < 0.05),
            "mso-hide" => value == "all",
            "left" | "top" | "text-indent" | "margin-left" => number.is_some_and(|n| n <= -500.0),
            "max-height" | "height" => {
                zero_height |= number.is_some_and(|n| n <= 0.0);
                false
            }
            "overflow" => {
                overflow_hidden |= value == "hidden";
                false
            }
            _ => false,
        };
        if hidden {
            return true;
        }
    }
    zero_height && overflow_hidden
}

fn leading_number(value: &str) -> Option<f64> {
    let len = value
        .char_indices()
        .find(|&(i, c)| !(c.is_ascii_digit() || c == '.' || (i == 0 && matches!(c, '-' | '+'))))
        .map_or(value.len(), |(i, _)| i);
    value[..len].parse().ok()
}

/// Next occurrence of a lowercase needle at or after a position, remembered so that the
/// search never runs over the same bytes twice.
struct Finder {
    needle: &'static [u8],
    /// (searched from, found at or None = not before the end)
    cached: Option<(usize, Option<usize>)>,
}

impl Finder {
    fn new(needle: &'static [u8]) -> Self {
        Finder {
            needle,
            cached: None,
        }
    }

    fn next(&mut self, hay: &[u8], from: usize) -> Option<usize> {
        if let Some((searched, found)) = self.cached
            && searched <= from
            && found.is_none_or(|f| f >= from)
        {
            return found;
        }
        let found =
            memchr::memmem::find(&hay[from.min(hay.len())..], self.needle).map(|i| from + i);
        self.cached = Some((from, found));
        found
    }
}

/// An element being skipped: its name, its nesting depth among same-named elements.
struct Skip {
    name: String,
    depth: usize,
}

struct Stripper<'a> {
    html: &'a str,
    lower: &'a [u8],
    out: String,
    dropped: usize,
    skip: Option<Skip>,
    next_open: Finder,
    next_close: Finder,
    next_style_close: Finder,
}

/// A parsed tag.
struct Tag<'a> {
    closing: bool,
    name: &'a str,
    /// Tag text after the name (attributes), original case.
    attrs: &'a str,
    self_closing: bool,
}

impl<'a> Stripper<'a> {
    fn emit(&mut self, from: usize, to: usize) {
        if self.skip.is_none() {
            self.out.push_str(&self.html[from..to]);
        }
    }

    fn run(&mut self, rules: &HidingRules) {
        let b = self.lower;
        let mut pos = 0;
        while pos < b.len() {
            let Some(i) = memchr::memchr(b'<', &b[pos..]) else {
                self.emit(pos, b.len());
                break;
            };
            let lt = pos + i;
            self.emit(pos, lt);
            if b[lt..].starts_with(b"<!--") {
                pos =
                    memchr::memmem::find(&b[lt + 4..], b"-->").map_or(b.len(), |e| lt + 4 + e + 3);
                continue;
            }
            // `<` not followed by a letter, `/`, `!` or `?` is text (`a < b`), as in HTML.
            if !b
                .get(lt + 1)
                .is_some_and(|c| c.is_ascii_alphabetic() || matches!(c, b'/' | b'!' | b'?'))
            {
                self.emit(lt, lt + 1);
                pos = lt + 1;
                continue;
            }
            let gt = memchr::memchr(b'>', &b[lt..]).map_or(b.len(), |e| lt + e);
            let tag_text = &self.lower[lt + 1..gt];
            // A `<script` or `<style` anywhere in the tag text (`<scr<script>`): raw text up to
            // the matching close.
            if let Some(k) = memchr::memmem::find(tag_text, b"<script")
                .or_else(|| tag_text.starts_with(b"script").then_some(usize::MAX))
            {
                let malformed = k != usize::MAX
                    || !matches!(
                        b.get(lt + 7),
                        Some(b' ' | b'\t' | b'\n' | b'\r' | b'>' | b'/') | None
                    );
                pos = self.skip_script(if k == usize::MAX { lt } else { lt + 1 + k });
                self.dropped += usize::from(malformed);
                continue;
            }
            // A style sheet is raw text (`div > p` is no tag); a well-formed one is passed on
            // for the converter's own CSS, a malformed one (`<sty<style>le>`) is dropped.
            let malformed_style = memchr::memmem::find(tag_text, b"<style").is_some();
            if tag_text.starts_with(b"style") || malformed_style {
                let from = gt.min(b.len());
                pos = self.next_style_close.next(b, from).map_or(b.len(), |c| {
                    memchr::memchr(b'>', &b[c..]).map_or(b.len(), |e| c + e + 1)
                });
                if !malformed_style {
                    self.emit(lt, pos);
                }
                continue;
            }
            pos = (gt + 1).min(b.len());
            let tag = self.parse_tag(lt, gt);
            self.tag(&tag, lt, pos, rules);
        }
    }

    /// Skips a script from `at` (its `<script`) to the matching `</script…>`, counting nested
    /// opens; returns the position after it (the end of input when unclosed).
    fn skip_script(&mut self, at: usize) -> usize {
        let b = self.lower;
        let mut depth = 1usize;
        let mut pos = at + 7;
        loop {
            let open = self.next_open.next(b, pos);
            let Some(close) = self.next_close.next(b, pos) else {
                return b.len();
            };
            match open {
                Some(o) if o < close => {
                    depth += 1;
                    pos = o + 7;
                }
                _ => {
                    depth -= 1;
                    pos = close + 8;
                    if depth == 0 {
                        return memchr::memchr(b'>', &b[pos..]).map_or(b.len(), |e| pos + e + 1);
                    }
                }
            }
        }
    }

    fn parse_tag(&self, lt: usize, gt: usize) -> Tag<'a> {
        let text: &'a str = &self.html[lt + 1..gt.min(self.html.len())];
        let closing = text.starts_with('/');
        let body = text.trim_start_matches('/');
        let name_len = body
            .find(|c: char| c.is_whitespace() || c == '/' || c == '>')
            .unwrap_or(body.len());
        let self_closing = text.ends_with('/');
        Tag {
            closing,
            name: &body[..name_len],
            attrs: &body[name_len..],
            self_closing,
        }
    }

    fn tag(&mut self, tag: &Tag<'_>, lt: usize, end: usize, rules: &HidingRules) {
        let name = tag.name.to_ascii_lowercase();
        if let Some(skip) = self.skip.as_mut() {
            if name != skip.name {
                let ends_auto = AUTO_CLOSE.contains(&skip.name.as_str())
                    && skip.depth == 1
                    && tag.closing
                    && matches!(
                        name.as_str(),
                        "ul" | "ol"
                            | "table"
                            | "tbody"
                            | "thead"
                            | "tfoot"
                            | "tr"
                            | "dl"
                            | "select"
                            | "body"
                            | "div"
                            | "html"
                    );
                if ends_auto {
                    self.skip = None;
                    self.emit(lt, end);
                }
                return;
            }
            if tag.closing {
                skip.depth -= 1;
                if skip.depth == 0 {
                    self.skip = None;
                }
            } else if AUTO_CLOSE.contains(&name.as_str()) && skip.depth == 1 {
                // A sibling: the hidden one ended before it.
                self.skip = None;
                self.tag(tag, lt, end, rules);
            } else if !tag.self_closing {
                skip.depth += 1;
            }
            return;
        }
        if !tag.closing && is_hidden(&name, tag.attrs, rules) {
            self.dropped += 1;
            if !(VOID.contains(&name.as_str()) || tag.self_closing) {
                self.skip = Some(Skip { name, depth: 1 });
            }
            return;
        }
        self.emit(lt, end);
    }
}

/// Whether an opening tag starts hidden content.
fn is_hidden(name: &str, attrs: &str, rules: &HidingRules) -> bool {
    if matches!(name, "template" | "noscript") {
        return true;
    }
    for (attr, value) in attributes(attrs) {
        let is = |n: &str| attr.eq_ignore_ascii_case(n);
        let hidden = if is("hidden") {
            true
        } else if is("style") {
            hides(&decode_entities(value))
        } else if is("class") && !rules.is_empty() {
            decode_entities(value)
                .split_ascii_whitespace()
                .any(|c| rules.classes.contains(&c.to_ascii_lowercase()))
        } else if is("id") && !rules.is_empty() {
            rules
                .ids
                .contains(&decode_entities(value).trim().to_ascii_lowercase())
        } else {
            false
        };
        if hidden {
            return true;
        }
    }
    false
}

/// The attributes of a tag: names (as written) with their raw values, read in one pass
/// without allocating (one tag may carry hundreds of thousands of attributes).
fn attributes(attrs: &str) -> impl Iterator<Item = (&str, &str)> {
    let mut rest = attrs;
    std::iter::from_fn(move || {
        rest = rest.trim_start_matches(|c: char| c.is_whitespace() || c == '/');
        if rest.is_empty() {
            return None;
        }
        let name_len = rest
            .find(|c: char| c.is_whitespace() || c == '=' || c == '/')
            .unwrap_or(rest.len())
            .max(1);
        let name = &rest[..name_len];
        rest = rest[name_len..].trim_start();
        let mut value = "";
        if let Some(after) = rest.strip_prefix('=') {
            let after = after.trim_start();
            match after.chars().next() {
                Some(q @ ('"' | '\'')) => {
                    let inner = &after[1..];
                    let end = inner.find(q).unwrap_or(inner.len());
                    value = &inner[..end];
                    rest = inner.get(end + 1..).unwrap_or("");
                }
                _ => {
                    let end = after.find(char::is_whitespace).unwrap_or(after.len());
                    value = &after[..end];
                    rest = &after[end..];
                }
            }
        }
        Some((name, value))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strip(html: &str) -> (String, usize) {
        let s = strip_hidden(html);
        (s.html.into_owned(), s.dropped)
    }

    #[test]
    fn hidden_attribute_template_and_noscript() {
        let (t, n) = strip(
            "a<div hidden>X1</div>b<template><p>X2</p></template>c<noscript>X3</noscript>d<span HIDDEN=''>X4</span>e",
        );
        assert_eq!(t, "abcde");
        assert_eq!(n, 4);
    }

    #[test]
    fn nested_same_name_elements_are_counted() {
        let (t, _) = strip("<div>a<div hidden>X<div>Y</div>Z</div>b</div>");
        assert_eq!(t, "<div>ab</div>");
    }

    #[test]
    fn inline_styles_that_hide() {
        for style in [
            "display:none",
            "DISPLAY : None !important",
            "visibility:hidden",
            "font-size:0",
            "font-size:0px",
            "font-size: 1px",
            "opacity:0",
            "mso-hide:all",
            "max-height:0;overflow:hidden",
            "position:absolute;left:-9999px",
            "display&#58;none",
        ] {
            let (t, n) = strip(&format!("a<span style=\"{style}\">SECRET</span>b"));
            assert_eq!((t.as_str(), n), ("ab", 1), "{style}");
        }
        let (t, n) = strip("a<span style=\"font-size:12px;color:red\">SEEN</span>b");
        assert_eq!(n, 0);
        assert!(t.contains("SEEN"));
    }

    #[test]
    fn classes_and_ids_hidden_by_style_rules() {
        let html = "<style>/* x */ .pre { display:none } p#k{visibility:hidden} \
                    @media (max-width:600px){ .mob{display:none} } .vis{color:red}</style>\
                    <p class='x pre'>S1</p><p id=k>S2</p><p class=mob>M</p><p class=vis>V</p>";
        let (t, n) = strip(html);
        assert!(!t.contains("S1") && !t.contains("S2"), "{t}");
        assert!(t.contains(">M<") && t.contains(">V<"), "{t}");
        assert_eq!(n, 2);
    }

    #[test]
    fn malformed_and_nested_scripts() {
        let (t, n) = strip("a<scr<script>ipt>alert(1)</script>b");
        assert_eq!(t, "ab");
        assert_eq!(n, 1);
        let (t, _) = strip("a<script><script>x</script>y</script>b");
        assert_eq!(t, "ab");
        let (t, _) = strip("a<SCRIPT type=x>never closed <p>text");
        assert_eq!(t, "a");
        let (t, _) = strip("a<style>p{}</style>b<STYLE>div > p {}");
        assert_eq!(t, "a<style>p{}</style>b<STYLE>div > p {}");
        let (t, _) = strip("a<sty<style>le>p{}</style>b");
        assert_eq!(t, "ab");
    }

    #[test]
    fn unclosed_auto_closing_elements_end_at_their_sibling() {
        let (t, _) = strip("<ul><li hidden>S<li>V</ul><p hidden>T<p>W");
        assert_eq!(t, "<ul><li>V</ul><p>W");
    }

    #[test]
    fn void_elements_and_comments() {
        let (t, n) = strip("a<img hidden alt=SECRET>b<!-- <div hidden> -->c<br/>");
        assert_eq!(t, "abc<br/>");
        assert_eq!(n, 1);
    }

    #[test]
    fn a_lone_less_than_sign_is_text() {
        let (t, n) = strip("if a < b then c <script>x</script> d <3");
        assert_eq!(t, "if a < b then c  d <3");
        assert_eq!(n, 0);
    }

    proptest::proptest! {
        #[test]
        fn never_panics_and_never_grows(s in "(<|>|/|script|style|div|p|li| |hidden|class=x|style=display:none|\\.x\\{display:none\\}|あ|\"|'|=|<!--|-->|[a-z])*") {
            let out = strip_hidden(&s);
            proptest::prop_assert!(out.html.len() <= s.len());
            let again = strip_hidden(&out.html);
            proptest::prop_assert!(again.html.len() <= out.html.len());
        }
    }

    #[test]
    fn stripping_is_linear() {
        let unit = "<div hidden><script>x</script></div><p style='display:none'>y</p><scr<script>z</script>";
        let small = unit.repeat(300);
        let big = unit.repeat(2400);
        assert_eq!(strip(&small).0.len() * 8, strip(&big).0.len());
        let opens = "<script>".repeat(20_000);
        assert_eq!(strip(&opens).0, "");
    }
}
