//! The adversarial input families of issue 11 ("bombs"), built at any size. Shared by
//! tests/bounds.rs, benches/bombs.rs and fuzz/fuzz_targets/bombs.rs; scripts/bombs.py
//! writes the same families for scripts/bombs.sh.

#![allow(dead_code)]

const HEAD: &str = "From: a@example.jp\r\nTo: b@example.lg.jp\r\nSubject: bomb\r\n";

/// One family: a prefix, a unit repeated to fill the size, and a suffix.
#[derive(Debug, Clone, Copy)]
pub struct Family {
    /// Short name (as in docs/bench.md).
    pub name: &'static str,
    /// Content-Type of the body (`None`: the unit goes into a header field).
    pub content_type: Option<&'static str>,
    /// Written once before the units (after the header).
    pub prefix: &'static str,
    /// The repeated unit; a `#` in it becomes the repetition's number.
    pub unit: &'static str,
    /// Written once after the units.
    pub suffix: &'static str,
}

/// Every family.
pub const FAMILIES: &[Family] = &[
    // A header field of encoded-word starts that never close.
    Family {
        name: "encoded-words",
        content_type: None,
        prefix: "",
        unit: "=?a?B?Q",
        suffix: "",
    },
    // HTML full of '&' without ';' (over the size guard at 4 MB and more).
    Family {
        name: "amp",
        content_type: Some("text/html"),
        prefix: "<p>",
        unit: "a&b ",
        suffix: "",
    },
    // The same text forced into the fallback extractor by nesting.
    Family {
        name: "amp-nested",
        content_type: Some("text/html"),
        prefix: NESTED_300,
        unit: "a&b ",
        suffix: "",
    },
    // <div/> opens a div in HTML.
    Family {
        name: "div-selfclose",
        content_type: Some("text/html"),
        prefix: "",
        unit: "<div/>",
        suffix: "",
    },
    // Unmatched end tags pop nothing.
    Family {
        name: "div-unmatched",
        content_type: Some("text/html"),
        prefix: "",
        unit: "<div></x>",
        suffix: "",
    },
    // One element with a huge number of distinct attributes.
    Family {
        name: "attributes",
        content_type: Some("text/html"),
        prefix: "<p ",
        unit: "a#=1 ",
        suffix: ">x</p>",
    },
    // One table row with a huge number of cells.
    Family {
        name: "table-cells",
        content_type: Some("text/html"),
        prefix: "<table><tr>",
        unit: "<td>a</td>",
        suffix: "</tr></table>",
    },
    // Dense small elements (html2text needs about 1.3 KB per node).
    Family {
        name: "dense-p",
        content_type: Some("text/html"),
        prefix: "",
        unit: "<p>a",
        suffix: "",
    },
    // Letters that could start a URL, all in one case, the other case's next one far away.
    Family {
        name: "url-letters",
        content_type: Some("text/plain"),
        prefix: "",
        unit: "W",
        suffix: "\r\nwww.example.jp\r\n",
    },
    // uuencode begin lines without end.
    Family {
        name: "uu-noend",
        content_type: Some("text/plain"),
        prefix: "",
        unit: "begin 644 a.bin\r\nM86)C\r\n",
        suffix: "",
    },
    // Many empty uuencode blocks, each one a removed item.
    Family {
        name: "uu-empty",
        content_type: Some("text/plain"),
        prefix: "",
        unit: "begin 644 a\r\n`\r\nend\r\n",
        suffix: "",
    },
];

/// 300 nested divs.
const NESTED_300: &str = concat!(
    "<div><div><div><div><div><div><div><div><div><div>",
    "<div><div><div><div><div><div><div><div><div><div>",
    "<div><div><div><div><div><div><div><div><div><div>",
    "<div><div><div><div><div><div><div><div><div><div>",
    "<div><div><div><div><div><div><div><div><div><div>",
    "<div><div><div><div><div><div><div><div><div><div>",
    "<div><div><div><div><div><div><div><div><div><div>",
    "<div><div><div><div><div><div><div><div><div><div>",
    "<div><div><div><div><div><div><div><div><div><div>",
    "<div><div><div><div><div><div><div><div><div><div>",
    "<div><div><div><div><div><div><div><div><div><div>",
    "<div><div><div><div><div><div><div><div><div><div>",
    "<div><div><div><div><div><div><div><div><div><div>",
    "<div><div><div><div><div><div><div><div><div><div>",
    "<div><div><div><div><div><div><div><div><div><div>",
    "<div><div><div><div><div><div><div><div><div><div>",
    "<div><div><div><div><div><div><div><div><div><div>",
    "<div><div><div><div><div><div><div><div><div><div>",
    "<div><div><div><div><div><div><div><div><div><div>",
    "<div><div><div><div><div><div><div><div><div><div>",
    "<div><div><div><div><div><div><div><div><div><div>",
    "<div><div><div><div><div><div><div><div><div><div>",
    "<div><div><div><div><div><div><div><div><div><div>",
    "<div><div><div><div><div><div><div><div><div><div>",
    "<div><div><div><div><div><div><div><div><div><div>",
    "<div><div><div><div><div><div><div><div><div><div>",
    "<div><div><div><div><div><div><div><div><div><div>",
    "<div><div><div><div><div><div><div><div><div><div>",
    "<div><div><div><div><div><div><div><div><div><div>",
    "<div><div><div><div><div><div><div><div><div><div>",
);

/// The family called `name`.
pub fn family(name: &str) -> Family {
    *FAMILIES
        .iter()
        .find(|f| f.name == name)
        .unwrap_or_else(|| panic!("no family {name}"))
}

/// `unit` repeated `count` times, each `#` replaced by the repetition's number.
fn units(out: &mut Vec<u8>, unit: &[u8], count: usize) {
    if !unit.contains(&b'#') {
        for _ in 0..count {
            out.extend_from_slice(unit);
        }
        return;
    }
    for i in 0..count {
        for &b in unit {
            if b == b'#' {
                out.extend_from_slice(i.to_string().as_bytes());
            } else {
                out.push(b);
            }
        }
    }
}

/// A mail of `f` with `unit` repeated `count` times.
pub fn build_with(f: &Family, unit: &[u8], count: usize) -> Vec<u8> {
    let mut m = Vec::with_capacity(HEAD.len() + 64 + unit.len() * count);
    match f.content_type {
        None => {
            m.extend_from_slice(b"From: a@example.jp\r\nSubject: bomb\r\nMessage-ID: ");
            m.extend_from_slice(f.prefix.as_bytes());
            units(&mut m, unit, count);
            m.extend_from_slice(f.suffix.as_bytes());
            m.extend_from_slice(b"\r\n\r\nbody\r\n");
        }
        Some(ct) => {
            m.extend_from_slice(HEAD.as_bytes());
            m.extend_from_slice(format!("Content-Type: {ct}; charset=utf-8\r\n\r\n").as_bytes());
            m.extend_from_slice(f.prefix.as_bytes());
            units(&mut m, unit, count);
            m.extend_from_slice(f.suffix.as_bytes());
        }
    }
    m
}

/// A mail of `f` of about `size` bytes.
pub fn build(f: &Family, size: usize) -> Vec<u8> {
    // A numbered unit grows by the digits of its number (about 5 at these sizes).
    let unit_len = f.unit.len() + if f.unit.contains('#') { 4 } else { 0 };
    let count = (size.saturating_sub(f.prefix.len() + f.suffix.len() + 100) / unit_len).max(1);
    build_with(f, f.unit.as_bytes(), count)
}
