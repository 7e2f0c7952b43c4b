//! The shape guard in front of the HTML converter: one linear pass that estimates what
//! html5ever will build, so that input that would make html2text slow or large goes to the
//! simple extractor instead.
//!
//! html5ever's tree builder costs time proportional to the depth of the tree for each tag,
//! and html2text renders recursively, so depth must be known *before* conversion, and known
//! from above: the estimate may be larger than the real depth, never much smaller. The pass
//! therefore follows the HTML tokenizer where it matters (attribute quoting, comments, raw
//! text elements, script escapes) and the tree builder's rules for what nests:
//!
//! * only void elements (`br`, `img`…) are self-closing; `<div/>` opens a div (outside SVG
//!   and MathML, where `/>` does close);
//! * an end tag pops only an element that is open, and not across an element that stops
//!   it (a "special" element for `</span>`, a scope boundary for `</div>`): `</x>` with no
//!   open `x` pops nothing;
//! * elements that close each other (`p`, `li`, `td`, `tr`…) do not count; the containers
//!   around them count for the levels they imply (a `table` counts 4: table, tbody, tr, td);
//! * formatting elements (`b`, `font`, `a`…) count until their own end tag, since html5ever
//!   reopens them after other elements close.
//!
//! Besides depth: more than [`MAX_NODES`] elements, text runs and comments (html2text
//! needs about 1.3 KB per node: 2 MB of `<p>a` took 1.36 GB), an element with more than
//! [`MAX_ATTRIBUTES`] attributes (html5ever's duplicate check is quadratic), a table row
//! with more than [`MAX_ROW_CELLS`] cells, and a `colspan`/`rowspan`/`span` above
//! [`MAX_SPAN`] (html2text's memory grows with columns).
//!
//! Every byte is looked at a bounded number of times; the open-element stack is cut off as
//! soon as the depth limit is passed, so memory is bounded by the limit.

use std::collections::HashMap;

use memchr::{memchr, memchr2, memmem};

/// Most nodes (elements, text runs, comments) a document may have for the converter:
/// about 130 MB of html2text's memory at worst.
pub const MAX_NODES: usize = 100_000;
/// Most attributes one element may have for the converter.
pub const MAX_ATTRIBUTES: usize = 1000;
/// Most cells in one table row for the converter.
pub const MAX_ROW_CELLS: usize = 1000;
/// Largest `colspan`, `rowspan` or `span` for the converter.
pub const MAX_SPAN: u64 = 1000;

/// Elements that never have content.
const VOID: &[&str] = &[
    "area", "base", "basefont", "bgsound", "br", "col", "embed", "frame", "hr", "image", "img",
    "input", "keygen", "link", "meta", "param", "source", "track", "wbr",
];
/// Elements that close one another or are implied: their nesting is bounded by the
/// containers around them, which count instead.
const IMPLIED: &[&str] = &[
    "p", "li", "dt", "dd", "td", "th", "tr", "tbody", "thead", "tfoot", "option", "optgroup", "rb",
    "rt", "rtc", "rp", "caption", "colgroup", "html", "head", "body",
];
/// Formatting elements (reopened by html5ever after other elements close).
const FORMATTING: &[&str] = &[
    "a", "b", "big", "code", "em", "font", "i", "nobr", "s", "small", "strike", "strong", "tt", "u",
];
/// Elements whose content is text up to their end tag.
const RAW_TEXT: &[&str] = &[
    "style", "xmp", "iframe", "noembed", "noframes", "noscript", "title", "textarea",
];
/// Scope boundaries: `</div>` and the like do not pop across them.
const BOUNDARY: &[&str] = &[
    "applet",
    "caption",
    "html",
    "table",
    "td",
    "th",
    "marquee",
    "object",
    "template",
    "foreignobject",
    "desc",
    "title",
    "mi",
    "mo",
    "mn",
    "ms",
    "mtext",
    "annotation-xml",
];
/// Special elements (besides the boundaries): `</span>` and the like do not pop across them.
const SPECIAL: &[&str] = &[
    "address",
    "article",
    "aside",
    "blockquote",
    "button",
    "center",
    "details",
    "dialog",
    "dir",
    "div",
    "dl",
    "fieldset",
    "figcaption",
    "figure",
    "footer",
    "form",
    "frameset",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "header",
    "hgroup",
    "iframe",
    "listing",
    "main",
    "menu",
    "nav",
    "noembed",
    "noframes",
    "noscript",
    "ol",
    "plaintext",
    "pre",
    "script",
    "search",
    "section",
    "select",
    "style",
    "summary",
    "textarea",
    "ul",
    "xmp",
    "svg",
    "math",
];

fn is(set: &[&str], name: &[u8]) -> bool {
    set.iter().any(|s| s.as_bytes() == name)
}

/// Levels of html5ever's tree one open element stands for.
fn weight(name: &[u8]) -> usize {
    match name {
        b"table" => 4,
        b"ul" | b"ol" | b"dl" | b"menu" | b"button" | b"object" | b"applet" | b"marquee"
        | b"select" | b"template" | b"ruby" => 2,
        _ => 1,
    }
}

/// A tag name, lowercased and cut to 24 bytes (enough to tell every known element apart).
type Name = ([u8; 24], u8);

fn name_of(raw: &[u8]) -> Name {
    let mut n = [0u8; 24];
    let len = raw.len().min(24);
    for (d, s) in n.iter_mut().zip(raw) {
        *d = s.to_ascii_lowercase();
    }
    (n, len as u8)
}

fn text(name: &Name) -> &[u8] {
    &name.0[..usize::from(name.1)]
}

/// One open element on the estimated stack.
struct Open {
    name: Name,
    weight: usize,
}

/// The estimated stack of open elements.
#[derive(Default)]
struct Stack {
    open: Vec<Open>,
    /// Stack positions of each open name.
    by_name: HashMap<Name, Vec<usize>>,
    /// Stack positions of special elements and of scope boundaries.
    specials: Vec<usize>,
    boundaries: Vec<usize>,
    /// Open SVG/MathML elements (where `/>` closes).
    foreign: usize,
    depth: usize,
    /// Formatting elements not yet closed by their own end tag, by name.
    formatting: HashMap<Name, usize>,
    formatting_total: usize,
}

impl Stack {
    fn estimate(&self) -> usize {
        self.depth + self.formatting_total
    }

    fn start(&mut self, name: Name, self_closing: bool) {
        let t = text(&name);
        if is(VOID, t) || is(IMPLIED, t) || (self_closing && self.foreign > 0) {
            return;
        }
        if is(FORMATTING, t) {
            *self.formatting.entry(name).or_default() += 1;
            self.formatting_total += 1;
            return;
        }
        let at = self.open.len();
        if is(BOUNDARY, t) {
            self.boundaries.push(at);
        } else if is(SPECIAL, t) {
            self.specials.push(at);
        }
        if matches!(t, b"svg" | b"math") {
            self.foreign += 1;
        }
        let w = weight(t);
        self.depth += w;
        self.by_name.entry(name).or_default().push(at);
        self.open.push(Open { name, weight: w });
    }

    fn end(&mut self, name: Name) {
        let t = text(&name);
        if is(FORMATTING, t) {
            if let Some(n) = self.formatting.get_mut(&name).filter(|n| **n > 0) {
                *n -= 1;
                self.formatting_total -= 1;
            }
            return;
        }
        let Some(&at) = self.by_name.get(&name).and_then(|v| v.last()) else {
            return;
        };
        let stopper = if is(SPECIAL, t) || is(BOUNDARY, t) {
            self.boundaries.last()
        } else {
            self.specials.last().max(self.boundaries.last())
        };
        if stopper.is_some_and(|&s| s > at) {
            return;
        }
        while self.open.len() > at {
            self.pop();
        }
    }

    fn pop(&mut self) {
        let Some(top) = self.open.pop() else { return };
        let at = self.open.len();
        self.depth -= top.weight;
        if let Some(v) = self.by_name.get_mut(&top.name) {
            v.pop();
            if v.is_empty() {
                self.by_name.remove(&top.name);
            }
        }
        if self.specials.last() == Some(&at) {
            self.specials.pop();
        }
        if self.boundaries.last() == Some(&at) {
            self.boundaries.pop();
        }
        if matches!(text(&top.name), b"svg" | b"math") {
            self.foreign -= 1;
        }
    }
}

/// What one tag looked like.
struct Tag {
    /// Index just after the tag.
    end: usize,
    self_closing: bool,
    attributes: usize,
    /// Largest span attribute value.
    span: u64,
}

/// Reads the attributes of a tag from `i` (just after its name) as the HTML tokenizer does.
fn attributes(b: &[u8], mut i: usize) -> Tag {
    let mut tag = Tag {
        end: b.len(),
        self_closing: false,
        attributes: 0,
        span: 0,
    };
    loop {
        while i < b.len() && (b[i].is_ascii_whitespace() || b[i] == b'/') {
            tag.self_closing = b[i] == b'/' && b.get(i + 1) == Some(&b'>');
            i += 1;
        }
        match b.get(i) {
            None => return tag,
            Some(b'>') => {
                tag.end = i + 1;
                return tag;
            }
            Some(_) => {}
        }
        tag.self_closing = false;
        tag.attributes += 1;
        let name_start = i;
        i += 1; // The first character may be '='.
        while i < b.len()
            && !matches!(
                b[i],
                b'\t' | b'\n' | b'\x0c' | b'\r' | b' ' | b'/' | b'>' | b'='
            )
        {
            i += 1;
        }
        let name = &b[name_start..i];
        while i < b.len() && b[i].is_ascii_whitespace() {
            i += 1;
        }
        if b.get(i) != Some(&b'=') {
            continue;
        }
        i += 1;
        while i < b.len() && b[i].is_ascii_whitespace() {
            i += 1;
        }
        let (value, next) = attribute_value(b, i);
        i = next;
        if name.eq_ignore_ascii_case(b"colspan")
            || name.eq_ignore_ascii_case(b"rowspan")
            || name.eq_ignore_ascii_case(b"span")
        {
            tag.span = tag.span.max(span_value(&b[value]));
        }
    }
}

/// The value of an attribute starting at `i` (after `=` and blanks), quoted or not: its
/// range, and where reading goes on.
fn attribute_value(b: &[u8], mut i: usize) -> (std::ops::Range<usize>, usize) {
    match b.get(i) {
        Some(&q @ (b'"' | b'\'')) => {
            let start = i + 1;
            let end = memchr(q, &b[start..]).map_or(b.len(), |e| start + e);
            (start..end, (end + 1).min(b.len()))
        }
        _ => {
            let start = i;
            while i < b.len() && !b[i].is_ascii_whitespace() && b[i] != b'>' {
                i += 1;
            }
            (start..i, i)
        }
    }
}

/// A span attribute's number; huge when its digits do not fit, 0 without digits.
fn span_value(v: &[u8]) -> u64 {
    let v = v.trim_ascii();
    let digits = v.iter().take_while(|c| c.is_ascii_digit()).take(20).count();
    let n = std::str::from_utf8(&v[..digits])
        .ok()
        .and_then(|d| d.parse().ok());
    n.unwrap_or(if digits > 0 { u64::MAX } else { 0 })
}

/// The end of a comment starting at `lt` (`<!--`), as the HTML tokenizer ends it: at the
/// first `>` that is the comment's start (`<!-->`, `<!--->`) or follows `--` or `--!`.
fn comment_end(b: &[u8], lt: usize) -> usize {
    let s = lt + 4;
    let mut from = s;
    while let Some(g) = memchr(b'>', &b[from..]).map(|e| from + e) {
        let ends = g == s
            || (g == s + 1 && b[s] == b'-')
            || (g >= s + 2 && &b[g - 2..g] == b"--")
            || (g >= s + 3 && &b[g - 3..g] == b"--!");
        if ends {
            return g + 1;
        }
        from = g + 1;
    }
    b.len()
}

/// Whether `b[i..]` starts with `</name` followed by a tag-name delimiter (or the end).
fn is_end_tag_of(b: &[u8], i: usize, name: &[u8]) -> bool {
    b.get(i + 1) == Some(&b'/')
        && b.len() >= i + 2 + name.len()
        && b[i + 2..i + 2 + name.len()].eq_ignore_ascii_case(name)
        && b.get(i + 2 + name.len())
            .is_none_or(|c| matches!(c, b'\t' | b'\n' | b'\x0c' | b'\r' | b' ' | b'/' | b'>'))
}

/// Where the text content of the raw text element `name` ends (the `<` of its end tag).
fn raw_text_end(b: &[u8], from: usize, name: &[u8]) -> usize {
    let mut i = from;
    while let Some(lt) = memchr(b'<', &b[i..]).map(|e| i + e) {
        if is_end_tag_of(b, lt, name) {
            return lt;
        }
        i = lt + 1;
    }
    b.len()
}

/// Where a script's content ends, following the tokenizer's escaped and double-escaped
/// states (`<!--`, `<script>` inside it, `-->`).
fn script_end(b: &[u8], from: usize) -> usize {
    #[derive(PartialEq)]
    enum State {
        Data,
        Escaped,
        Double,
    }
    let mut state = State::Data;
    let mut i = from;
    while let Some(at) = memchr2(b'<', b'-', &b[i..]).map(|e| i + e) {
        let rest = &b[at..];
        if state == State::Data && rest.starts_with(b"<!--") {
            state = State::Escaped;
            i = at + 4;
            if b.get(i) == Some(&b'>') {
                state = State::Data;
            }
        } else if state != State::Data && rest.starts_with(b"-->") {
            state = State::Data;
            i = at + 3;
        } else if is_end_tag_of(b, at, b"script") {
            if state == State::Double {
                state = State::Escaped;
                i = at + 8;
            } else {
                return at;
            }
        } else if state == State::Escaped
            && rest.len() >= 7
            && rest[1..7].eq_ignore_ascii_case(b"script")
            && rest
                .get(7)
                .is_none_or(|c| matches!(c, b'\t' | b'\n' | b'\x0c' | b'\r' | b' ' | b'/' | b'>'))
        {
            state = State::Double;
            i = at + 7;
        } else {
            i = at + 1;
        }
    }
    b.len()
}

/// Counts the start tags in text that html5ever may read differently (raw text, CDATA),
/// so that markup hidden there never lowers the estimate; stops past `max_depth`.
fn phantom(stack: &mut Stack, region: &[u8], max_depth: usize) {
    for lt in memchr::memchr_iter(b'<', region) {
        if stack.estimate() > max_depth {
            return;
        }
        if region.get(lt + 1).is_some_and(u8::is_ascii_alphabetic) {
            let len = region[lt + 1..]
                .iter()
                .take_while(|c| c.is_ascii_alphanumeric() || **c == b'-')
                .count();
            stack.start(name_of(&region[lt + 1..lt + 1 + len]), false);
        }
    }
}

/// Why `html` must not go to the converter, or `None` when it may.
///
/// ```
/// use mugai::render::html_guard::check;
/// assert_eq!(check(b"<div><p>hi</p></div>", 256), None);
/// // `<div/>` opens a div: 1000 of them nest 1000 deep.
/// assert!(check("<div/>".repeat(1000).as_bytes(), 256).is_some());
/// // Unmatched end tags pop nothing.
/// assert!(check("<div></x>".repeat(1000).as_bytes(), 256).is_some());
/// // Void elements do not nest.
/// assert_eq!(check("<br/><img src=x>".repeat(1000).as_bytes(), 256), None);
/// ```
pub fn check(html: &[u8], max_depth: usize) -> Option<String> {
    measure(html, max_depth).err()
}

/// The number of nodes (elements, text runs, comments; end tags count too) html2text will
/// be given, or why it must not be given `html` (see [`check`]).
pub fn measure(html: &[u8], max_depth: usize) -> Result<usize, String> {
    let b = html;
    let mut stack = Stack::default();
    let mut row_cells = 0usize;
    let mut nodes = 0usize;
    let mut i = 0;
    while let Some(lt) = memchr(b'<', &b[i..]).map(|e| i + e) {
        if stack.estimate() > max_depth {
            return Err(format!("HTML nested more than {max_depth} deep"));
        }
        // A text run before this '<', and whatever starts here.
        nodes += usize::from(lt > i) + 1;
        if nodes > MAX_NODES {
            return Err(format!("HTML with more than {MAX_NODES} nodes"));
        }
        if let Some(end) = skip_markup(b, lt, &mut stack, max_depth) {
            i = end;
            continue;
        }
        let closing = b.get(lt + 1) == Some(&b'/');
        let name_start = lt + 1 + usize::from(closing);
        if !b.get(name_start).is_some_and(u8::is_ascii_alphabetic) {
            i = lt + 1;
            continue;
        }
        let mut el = Element {
            stack: &mut stack,
            row_cells: &mut row_cells,
            max_depth,
        };
        match el.measure(b, name_start, closing)? {
            Some(end) => i = end,
            None => break,
        }
    }
    if stack.estimate() > max_depth {
        return Err(format!("HTML nested more than {max_depth} deep"));
    }
    Ok(nodes)
}

/// Markup at `lt` that is not an element (comment, CDATA, doctype, processing instruction,
/// bogus comment): where it ends, its content counted as phantom depth for CDATA. `None`
/// for anything else.
fn skip_markup(b: &[u8], lt: usize, stack: &mut Stack, max_depth: usize) -> Option<usize> {
    let rest = &b[lt..];
    if rest.starts_with(b"<!--") {
        return Some(comment_end(b, lt));
    }
    if rest.starts_with(b"<![CDATA[") {
        let end = memmem::find(&rest[9..], b"]]>").map_or(b.len(), |e| lt + 9 + e + 3);
        phantom(stack, &b[lt + 9..end], max_depth);
        return Some(end);
    }
    let closing = rest.get(1) == Some(&b'/');
    let name_start = lt + 1 + usize::from(closing);
    let letter = b.get(name_start).is_some_and(u8::is_ascii_alphabetic);
    if rest.starts_with(b"<!") || rest.starts_with(b"<?") || (closing && !letter) {
        // Doctype and bogus comments end at the first '>'.
        return Some(memchr(b'>', &b[lt + 1..]).map_or(b.len(), |e| lt + 1 + e + 1));
    }
    None
}

/// The state [`measure`] keeps across elements.
struct Element<'s> {
    stack: &'s mut Stack,
    row_cells: &'s mut usize,
    max_depth: usize,
}

impl Element<'_> {
    /// The tag whose name starts at `name_start`: its attributes checked, the open elements
    /// and the row's cells updated, raw text after it skipped. Where measuring goes on, or
    /// `None` after `<plaintext>` (everything after it is text).
    fn measure(
        &mut self,
        b: &[u8],
        name_start: usize,
        closing: bool,
    ) -> Result<Option<usize>, String> {
        let name_len = b[name_start..]
            .iter()
            .take_while(|c| !matches!(c, b'\t' | b'\n' | b'\x0c' | b'\r' | b' ' | b'/' | b'>'))
            .count();
        let name = name_of(&b[name_start..name_start + name_len]);
        let tag = attributes(b, name_start + name_len);
        let i = tag.end;
        if tag.attributes > MAX_ATTRIBUTES {
            return Err(format!("HTML element with {} attributes", tag.attributes));
        }
        if tag.span > MAX_SPAN {
            return Err(format!("HTML table span of {}", tag.span));
        }
        let t = text(&name);
        if closing {
            self.stack.end(name);
            if t == b"tr" {
                *self.row_cells = 0;
            }
            return Ok(Some(i));
        }
        self.stack.start(name, tag.self_closing);
        match t {
            b"tr" | b"table" => *self.row_cells = 0,
            b"td" | b"th" => {
                *self.row_cells += 1;
                if *self.row_cells > MAX_ROW_CELLS {
                    return Err(format!(
                        "HTML table row with more than {MAX_ROW_CELLS} cells"
                    ));
                }
            }
            b"plaintext" => return Ok(None),
            b"script" => return Ok(Some(self.phantom(b, i, script_end(b, i)))),
            _ if is(RAW_TEXT, t) => return Ok(Some(self.phantom(b, i, raw_text_end(b, i, t)))),
            _ => {}
        }
        Ok(Some(i))
    }

    /// Raw text `b[i..end]` (script, style…) counted as phantom depth; returns `end`.
    fn phantom(&mut self, b: &[u8], i: usize, end: usize) -> usize {
        phantom(self.stack, &b[i..end], self.max_depth);
        end
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn deep(html: &str) -> bool {
        check(html.as_bytes(), 64).is_some()
    }

    #[test]
    fn ordinary_html_passes() {
        let page = "<html><head><style>p{}</style></head><body><table><tr><td><p>a<br>b</p>\
                    <ul><li>x<li>y</ul></td></tr></table><!-- <div><div> --></body></html>"
            .repeat(200);
        assert_eq!(check(page.as_bytes(), 64), None);
    }

    #[test]
    fn end_tags_only_pop_what_is_open_and_reachable() {
        assert!(deep(&"<div></x>".repeat(100)));
        assert!(deep(&"<div></span>".repeat(100)));
        // </x> does not pop across a div (special).
        assert!(deep(&"<x><div></x>".repeat(100)));
        // </div> does not pop across a table (scope boundary).
        assert!(!deep(&"<div><span></div>".repeat(100)));
        assert!(deep(&"<div><table></div>".repeat(30)));
    }

    #[test]
    fn self_closing_only_for_void_and_foreign() {
        assert!(deep(&"<div/>".repeat(100)));
        assert!(!deep(&"<br/>".repeat(1000)));
        let svg = format!("<svg>{}</svg>", "<path d='M0'/>".repeat(1000));
        assert!(!deep(&svg));
    }

    #[test]
    fn formatting_elements_count_until_their_own_end() {
        assert!(deep(&"<p><b></p>".repeat(100)));
        assert!(!deep(&"<b>x</b><i>y</i>".repeat(1000)));
    }

    #[test]
    fn hidden_end_tags_do_not_pop() {
        // End tags inside comments, quotes, raw text and escaped scripts are text.
        assert!(deep(&"<div><!-- </div> -->".repeat(100)));
        assert!(deep(&"<div title='</div>'>".repeat(100)));
        assert!(deep(&"<div><style></div></style>".repeat(100)));
        assert!(deep(
            &"<div><script><!--<script></script></div>--></script>".repeat(100)
        ));
        // Starts in raw text still count.
        assert!(deep(&format!(
            "<textarea>{}</textarea>",
            "<div>".repeat(100)
        )));
    }

    #[test]
    fn attributes_cells_and_spans_are_bounded() {
        let dense = "<p>a".repeat(MAX_NODES / 2 + 1);
        assert!(check(dense.as_bytes(), 256).unwrap().contains("nodes"));
        assert_eq!(check("<p>a".repeat(MAX_NODES / 4).as_bytes(), 256), None);
        let many = format!("<p {}>x</p>", "a=1 ".repeat(MAX_ATTRIBUTES + 1));
        assert!(check(many.as_bytes(), 256).unwrap().contains("attributes"));
        let row = format!(
            "<table><tr>{}</tr></table>",
            "<td>a</td>".repeat(MAX_ROW_CELLS + 1)
        );
        assert!(check(row.as_bytes(), 256).unwrap().contains("cells"));
        let rows = format!(
            "<table>{}</table>",
            "<tr><td>a</td><td>b</td></tr>".repeat(5000)
        );
        assert_eq!(check(rows.as_bytes(), 256), None);
        assert!(check(b"<table><tr><td colspan=99999999>x</td></tr></table>", 256).is_some());
    }

    #[test]
    fn unterminated_constructs_end_the_scan() {
        for s in [
            "<div",
            "<div a='",
            "<!--",
            "<script>",
            "<![CDATA[",
            "<p a=\"1",
            "</",
        ] {
            assert_eq!(check(s.as_bytes(), 8), None, "{s}");
        }
    }
}
