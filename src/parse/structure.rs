//! The zero-copy MIME structure pass.
//!
//! The tree is a flat arena of [`Part`]s whose header and body are byte ranges of the
//! borrowed input; nothing is decoded here. Delimiter lines are found with `memchr::memmem`.
//! Malformed structure is read the way that exposes *more* parts (so that everything that
//! could be an attachment is seen and removed): duplicate `Content-Type` fields or `boundary`
//! parameters make every candidate boundary be tried and the one with the most delimiters
//! win; a multipart without a usable boundary parameter has its boundary guessed from the
//! body; an unclosed multipart ends at the end of the input. Depth and part-count limits cut
//! the tree: what lies beyond becomes a single part marked [`Part::limited`].

use std::collections::HashMap;

use memchr::memmem;

use crate::budget::{Deadline, TIME_BUDGET};

use super::header::{HeaderBlock, MimeInfo, TransferEncoding};
use super::lines::split_header_body;

/// How the body of a part is structured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PartBody {
    /// A leaf: the body is content (text, attachment…).
    Leaf,
    /// A multipart: child indexes into [`MimeTree::parts`], in order.
    Multipart {
        /// Children, in order.
        children: Vec<usize>,
        /// Whether the closing delimiter was found.
        closed: bool,
        /// The boundary that was used.
        boundary: String,
    },
    /// An encapsulated message (message/rfc822, message/global): its root part.
    Message {
        /// Index of the encapsulated message's root part.
        child: usize,
    },
}

/// One MIME part: ranges of the input and what its header says.
#[derive(Debug, Clone)]
pub struct Part<'a> {
    /// Position in the tree: `[]` for the root, `[2, 1]` for the first part of the second
    /// part.
    pub path: Vec<u32>,
    /// Nesting depth (0 for the root; each multipart or encapsulated message adds one).
    pub depth: usize,
    /// Raw header block.
    pub header: &'a [u8],
    /// Raw (still transfer-encoded) body.
    pub body: &'a [u8],
    /// Header fields.
    pub fields: HeaderBlock<'a>,
    /// MIME facts from the header.
    pub info: MimeInfo,
    /// Structure of the body.
    pub content: PartBody,
    /// The part lies beyond a structural limit and was not looked into.
    pub limited: bool,
}

impl Part<'_> {
    /// The path as dotted text (`0` for the root).
    pub fn path_string(&self) -> String {
        if self.path.is_empty() {
            return "0".into();
        }
        let mut s = String::new();
        for (i, n) in self.path.iter().enumerate() {
            if i > 0 {
                s.push('.');
            }
            s.push_str(&n.to_string());
        }
        s
    }
}

/// Limits applied while building the tree.
#[derive(Debug, Clone, Copy)]
pub struct TreeLimits {
    /// Deepest nesting followed.
    pub max_depth: usize,
    /// Most parts.
    pub max_parts: usize,
    /// Most header fields per part.
    pub max_headers: usize,
}

/// What bounds one structure pass.
#[derive(Debug, Clone, Copy)]
struct Scope {
    limits: TreeLimits,
    deadline: Deadline,
}

/// The MIME tree of one message.
#[derive(Debug, Clone)]
pub struct MimeTree<'a> {
    /// All parts; index 0 is the root.
    pub parts: Vec<Part<'a>>,
    /// Unusual structure, for the report.
    pub warnings: Vec<String>,
    /// Limits that were reached.
    pub limits_hit: Vec<String>,
}

impl<'a> MimeTree<'a> {
    /// Builds the tree of `message` (header block and body).
    ///
    /// ```
    /// use mugai::parse::structure::{MimeTree, TreeLimits};
    /// let mail = b"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\r\nhi\r\n--b\r\nContent-Type: image/png\r\n\r\nPNG\r\n--b--\r\n";
    /// let tree = MimeTree::parse(mail, TreeLimits { max_depth: 10, max_parts: 100, max_headers: 100 });
    /// assert_eq!(tree.parts.len(), 3);
    /// assert_eq!(tree.parts[1].body, b"hi");
    /// assert_eq!(tree.parts[2].info.mime_type(), "image/png");
    /// ```
    pub fn parse(message: &'a [u8], limits: TreeLimits) -> Self {
        Self::parse_until(message, limits, Deadline::never())
    }

    /// Builds the tree of `message`, stopping at `deadline`: a container reached after it
    /// is not looked into, and the children not yet split off become one part, both marked
    /// [`Part::limited`]; `limits_hit` then holds [`TIME_BUDGET`].
    pub fn parse_until(message: &'a [u8], limits: TreeLimits, deadline: Deadline) -> Self {
        let mut tree = MimeTree {
            parts: Vec::new(),
            warnings: Vec::new(),
            limits_hit: Vec::new(),
        };
        let scope = Scope { limits, deadline };
        tree.add_part(message, Vec::new(), 0, ("text", "plain"), scope);
        tree
    }

    /// Builds the tree of a message found inside another one at `path` and `depth` (an
    /// encapsulated message whose body had to be transfer-decoded first), so that its parts
    /// carry their paths in the outer message and the depth limit keeps counting.
    ///
    /// ```
    /// use mugai::parse::structure::{MimeTree, TreeLimits};
    /// let inner = b"Subject: x\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\r\nhi\r\n--b--\r\n";
    /// let limits = TreeLimits { max_depth: 10, max_parts: 100, max_headers: 100 };
    /// let tree = MimeTree::parse_nested(inner, limits, vec![2, 1], 2);
    /// assert_eq!(tree.parts[1].path_string(), "2.1.1");
    /// assert_eq!(tree.parts[1].depth, 3);
    /// ```
    pub fn parse_nested(
        message: &'a [u8],
        limits: TreeLimits,
        path: Vec<u32>,
        depth: usize,
    ) -> Self {
        Self::parse_nested_until(message, limits, path, depth, Deadline::never())
    }

    /// [`MimeTree::parse_nested`] stopping at `deadline`, like [`MimeTree::parse_until`].
    pub fn parse_nested_until(
        message: &'a [u8],
        limits: TreeLimits,
        path: Vec<u32>,
        depth: usize,
        deadline: Deadline,
    ) -> Self {
        let mut tree = MimeTree {
            parts: Vec::new(),
            warnings: Vec::new(),
            limits_hit: Vec::new(),
        };
        if depth > limits.max_depth {
            tree.limit("max_mime_depth");
            let limits = TreeLimits {
                max_depth: 0,
                ..limits
            };
            let scope = Scope { limits, deadline };
            let index = tree.add_part(message, path, depth, ("text", "plain"), scope);
            tree.parts[index].limited = true;
            return tree;
        }
        let scope = Scope { limits, deadline };
        tree.add_part(message, path, depth, ("text", "plain"), scope);
        tree
    }

    fn warn(&mut self, w: String) {
        if self.warnings.len() < 50 && !self.warnings.contains(&w) {
            self.warnings.push(w);
        }
    }

    fn limit(&mut self, w: &str) {
        if !self.limits_hit.iter().any(|l| l == w) {
            self.limits_hit.push(w.to_owned());
        }
    }

    fn add_part(
        &mut self,
        raw: &'a [u8],
        path: Vec<u32>,
        depth: usize,
        default_type: (&str, &str),
        scope: Scope,
    ) -> usize {
        let limits = scope.limits;
        let (header, body) = split_header_body(raw);
        let fields = HeaderBlock::parse(header, limits.max_headers);
        if fields.truncated {
            self.limit("max_headers");
        }
        let info = MimeInfo::from_block(&fields, default_type);
        let index = self.parts.len();
        self.parts.push(Part {
            path,
            depth,
            header,
            body,
            fields,
            info,
            content: PartBody::Leaf,
            limited: false,
        });
        let part = &self.parts[index];
        let is_multipart = part.info.ctype == "multipart";
        let is_message = part.info.ctype == "message"
            && matches!(part.info.subtype.as_str(), "rfc822" | "global");
        if !(is_multipart || is_message) {
            return index;
        }
        if depth + 1 > limits.max_depth {
            self.limit("max_mime_depth");
            self.parts[index].limited = true;
            return index;
        }
        if scope.deadline.passed() {
            self.limit(TIME_BUDGET);
            self.parts[index].limited = true;
            return index;
        }
        if is_message {
            if part.info.transfer != TransferEncoding::Identity {
                // An encoded message/rfc822 is not allowed, but it is a message all the same:
                // it stays a leaf here (the tree borrows the raw input) and the walker decodes
                // it and parses it with `parse_nested`.
                self.warn(format!(
                    "part {}: encoded message/rfc822 (transfer encoding not allowed)",
                    part.path_string()
                ));
                return index;
            }
            let mut child_path = part.path.clone();
            child_path.push(1);
            let child = self.add_part(body, child_path, depth + 1, ("text", "plain"), scope);
            self.parts[index].content = PartBody::Message { child };
            return index;
        }
        // Multipart.
        let candidates = part.info.boundaries.clone();
        let digest = part.info.subtype == "digest";
        let path = part.path.clone();
        if part.info.transfer != TransferEncoding::Identity {
            let w = format!(
                "part {}: Content-Transfer-Encoding on a multipart ignored",
                part.path_string()
            );
            self.warn(w);
        }
        let (boundary, pieces, closed) = match best_split(body, &candidates, scope.deadline) {
            Some(found) => found,
            None => match guess_boundary(body).and_then(|b| best_split(body, &[b], scope.deadline))
            {
                Some(found) => {
                    self.warn(format!(
                        "part {}: multipart without a usable boundary; boundary guessed",
                        self.parts[index].path_string()
                    ));
                    found
                }
                None => {
                    self.warn(format!(
                        "part {}: multipart without delimiters treated as an attachment",
                        self.parts[index].path_string()
                    ));
                    return index;
                }
            },
        };
        if !closed {
            self.warn(format!(
                "part {}: multipart not closed (truncated message?)",
                self.parts[index].path_string()
            ));
        }
        if candidates.len() > 1 {
            self.warn(format!(
                "part {}: {} candidate boundaries; the one with most parts used",
                self.parts[index].path_string(),
                candidates.len()
            ));
        }
        let mut children = Vec::with_capacity(pieces.len());
        let default_child = if digest {
            ("message", "rfc822")
        } else {
            ("text", "plain")
        };
        for (n, piece) in pieces.iter().enumerate() {
            let mut child_path = path.clone();
            child_path.push(n as u32 + 1);
            let out_of_time = scope.deadline.passed();
            if self.parts.len() >= limits.max_parts || out_of_time {
                self.limit(if out_of_time {
                    TIME_BUDGET
                } else {
                    "max_parts"
                });
                // Everything that is left becomes one opaque part.
                let rest_start = piece.as_ptr() as usize - body.as_ptr() as usize;
                let rest = &body[rest_start..];
                let child = self.parts.len();
                self.parts.push(Part {
                    path: child_path,
                    depth: depth + 1,
                    header: &rest[..0],
                    body: rest,
                    fields: HeaderBlock::default(),
                    info: MimeInfo::from_block(
                        &HeaderBlock::default(),
                        ("application", "octet-stream"),
                    ),
                    content: PartBody::Leaf,
                    limited: true,
                });
                children.push(child);
                break;
            }
            let child = self.add_part(piece, child_path, depth + 1, default_child, scope);
            children.push(child);
        }
        self.parts[index].content = PartBody::Multipart {
            children,
            closed,
            boundary,
        };
        index
    }
}

/// Splits `body` with each candidate boundary and keeps the split with the most parts
/// (trying no more candidates once `deadline` has passed).
fn best_split<'a>(
    body: &'a [u8],
    candidates: &[String],
    deadline: Deadline,
) -> Option<(String, Vec<&'a [u8]>, bool)> {
    let mut best: Option<(String, Vec<&'a [u8]>, bool)> = None;
    for (i, b) in candidates.iter().enumerate() {
        if b.len() > 200 || candidates[..i].contains(b) {
            continue;
        }
        if best.is_some() && deadline.passed() {
            break;
        }
        if let Some((pieces, closed)) = split(body, b.as_bytes())
            && best.as_ref().is_none_or(|(_, p, _)| pieces.len() > p.len())
        {
            best = Some((b.clone(), pieces, closed));
        }
    }
    best
}

/// Splits a multipart body at its delimiter lines. Returns the parts (without the line
/// ending before each delimiter) and whether the close delimiter was seen; `None` when no
/// delimiter line exists.
pub fn split<'a>(body: &'a [u8], boundary: &[u8]) -> Option<(Vec<&'a [u8]>, bool)> {
    let mut needle = Vec::with_capacity(boundary.len() + 2);
    needle.extend_from_slice(b"--");
    needle.extend_from_slice(boundary);
    let finder = memmem::Finder::new(&needle);
    let mut pieces = Vec::new();
    let mut part_start: Option<usize> = None;
    let mut search = 0;
    while let Some(i) = finder.find(&body[search..]) {
        let at = search + i;
        search = at + needle.len();
        if at != 0 && body[at - 1] != b'\n' {
            continue;
        }
        let after = &body[at + needle.len()..];
        let is_close = after.starts_with(b"--");
        let rest_of_line_start = if is_close { 2 } else { 0 };
        let line_len = memchr::memchr(b'\n', after).unwrap_or(after.len());
        let rest = &after[rest_of_line_start..line_len.max(rest_of_line_start)];
        if !rest.iter().all(|b| b.is_ascii_whitespace()) {
            continue;
        }
        if let Some(start) = part_start {
            // The line ending before the delimiter belongs to the delimiter.
            let mut end = at;
            if end > start && body[end - 1] == b'\n' {
                end -= 1;
                if end > start && body[end - 1] == b'\r' {
                    end -= 1;
                }
            }
            pieces.push(&body[start..end.max(start)]);
        }
        if is_close {
            return Some((pieces, true));
        }
        let next = (at + needle.len() + line_len + 1).min(body.len());
        part_start = Some(next);
        search = next;
    }
    let start = part_start?;
    if start < body.len() {
        pieces.push(&body[start..]);
    }
    Some((pieces, false))
}

/// Guesses a boundary from the body: the first token of a line starting with `--` (among
/// the first 200 lines) that at least two delimiter lines (`--token`, `--token--`) carry.
/// One pass over the body counts every candidate at once.
fn guess_boundary(body: &[u8]) -> Option<String> {
    let candidates: Vec<&[u8]> = super::lines::lines(body)
        .take(200)
        .filter_map(|line| line.strip_prefix(b"--"))
        .map(<[u8]>::trim_ascii_end)
        .filter(|t| t.len() >= 2 && t.len() <= 200 && !t.contains(&b' '))
        .collect();
    if candidates.is_empty() {
        return None;
    }
    let mut counts: HashMap<&[u8], usize> = candidates.iter().map(|c| (*c, 0)).collect();
    for line in super::lines::lines(body) {
        let Some(token) = line.strip_prefix(b"--").map(<[u8]>::trim_ascii_end) else {
            continue;
        };
        if let Some(n) = counts.get_mut(token) {
            *n += 1;
        }
        if let Some(n) = token.strip_suffix(b"--").and_then(|t| counts.get_mut(t)) {
            *n += 1;
        }
    }
    candidates
        .into_iter()
        .find(|c| counts.get(c).is_some_and(|&n| n >= 2))
        .and_then(|t| std::str::from_utf8(t).ok().map(str::to_owned))
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: TreeLimits = TreeLimits {
        max_depth: 8,
        max_parts: 50,
        max_headers: 100,
    };

    #[test]
    fn nested_and_message() {
        let mail = b"Content-Type: multipart/mixed; boundary=\"o\"\r\n\r\npreamble\r\n--o\r\nContent-Type: multipart/alternative; boundary=i\r\n\r\n--i\r\n\r\ntext\r\n--i\r\nContent-Type: text/html\r\n\r\n<p>x</p>\r\n--i--\r\n--o\r\nContent-Type: message/rfc822\r\n\r\nSubject: inner\r\n\r\ninner body\r\n--o--\r\nepilogue";
        let t = MimeTree::parse(mail, LIMITS);
        let paths: Vec<String> = t.parts.iter().map(|p| p.path_string()).collect();
        assert_eq!(paths, ["0", "1", "1.1", "1.2", "2", "2.1"]);
        assert_eq!(t.parts[2].body, b"text");
        assert_eq!(t.parts[5].body, b"inner body");
        assert!(t.warnings.is_empty(), "{:?}", t.warnings);
    }

    #[test]
    fn unclosed_multipart_runs_to_end() {
        let mail = b"Content-Type: multipart/mixed; boundary=b\n\n--b\n\na\n--b\nContent-Type: application/zip\n\nUEsDBB";
        let t = MimeTree::parse(mail, LIMITS);
        assert_eq!(t.parts.len(), 3);
        assert_eq!(t.parts[2].body, b"UEsDBB");
        assert!(t.warnings.iter().any(|w| w.contains("not closed")));
    }

    #[test]
    fn missing_boundary_is_guessed() {
        let mail = b"Content-Type: multipart/mixed\r\n\r\n--zz\r\n\r\na\r\n--zz\r\nContent-Type: image/gif\r\n\r\nGIF\r\n--zz--\r\n";
        let t = MimeTree::parse(mail, LIMITS);
        assert_eq!(t.parts.len(), 3);
    }

    #[test]
    fn boundary_prefix_is_not_a_delimiter() {
        let (pieces, closed) = split(b"--ab\r\nx\r\n--abc\r\ny\r\n--ab--", b"ab").unwrap();
        assert_eq!(pieces, vec![&b"x\r\n--abc\r\ny"[..]]);
        assert!(closed);
    }

    #[test]
    fn depth_limit_marks_part() {
        let mut mail = Vec::new();
        for i in 0..20 {
            mail.extend_from_slice(
                format!("Content-Type: multipart/mixed; boundary=b{i}\r\n\r\n--b{i}\r\n")
                    .as_bytes(),
            );
        }
        mail.extend_from_slice(b"\r\nleaf\r\n");
        let t = MimeTree::parse(&mail, LIMITS);
        assert!(t.limits_hit.contains(&"max_mime_depth".to_string()));
        assert!(t.parts.iter().any(|p| p.limited));
        assert!(t.parts.len() <= 10);
    }

    #[test]
    fn past_deadline_containers_are_limited() {
        let mail = b"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\r\nx\r\n--b--\r\n";
        let past = Deadline::at(std::time::Instant::now());
        let t = MimeTree::parse_until(mail, LIMITS, past);
        assert_eq!(t.parts.len(), 1);
        assert!(t.parts[0].limited);
        assert_eq!(t.limits_hit, vec![TIME_BUDGET.to_string()]);
        let t = MimeTree::parse_until(mail, LIMITS, Deadline::never());
        assert_eq!(t.parts.len(), 2);
        assert!(t.limits_hit.is_empty());
    }

    #[test]
    fn boundary_guess_counts_delimiter_lines_only() {
        assert_eq!(
            guess_boundary(b"--zz\r\na\r\n--zz--\r\n").as_deref(),
            Some("zz")
        );
        assert_eq!(guess_boundary(b"--zz\r\na\r\n--zzz\r\n"), None);
        let many: Vec<u8> = (0..300)
            .flat_map(|i| format!("--tok{i}\r\nx\r\n").into_bytes())
            .chain(b"--tok250\r\n".iter().copied())
            .collect();
        assert_eq!(
            guess_boundary(&many),
            None,
            "only the first 200 lines give candidates"
        );
    }

    #[test]
    fn part_limit_keeps_remainder() {
        let mut mail = b"Content-Type: multipart/mixed; boundary=b\r\n\r\n".to_vec();
        for _ in 0..100 {
            mail.extend_from_slice(b"--b\r\nContent-Type: image/png\r\n\r\nX\r\n");
        }
        mail.extend_from_slice(b"--b--\r\n");
        let t = MimeTree::parse(&mail, LIMITS);
        assert_eq!(t.parts.len(), 51);
        assert!(t.parts[50].limited);
    }
}
