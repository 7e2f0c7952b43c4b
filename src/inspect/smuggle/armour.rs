//! PGP and PEM armour (`-----BEGIN PGP SIGNATURE-----` … `-----END …-----`): signatures,
//! public keys and certificates are binary by nature and stay, unless what they decode to is
//! a payload.

use super::Smuggled;
use super::judge::{Verdict, judge};
use super::lines::{self, Line, NextLine};
use crate::parse::transfer;

/// Armour types that are kept when harmless.
const KEPT: &[&[u8]] = &[
    b"PGP SIGNATURE",
    b"PGP PUBLIC KEY BLOCK",
    b"CERTIFICATE",
    b"PUBLIC KEY",
    b"SSH2 PUBLIC KEY",
];

/// Searches shared by every armour line of one scan.
pub struct Memo {
    end: NextLine,
}

impl Memo {
    /// Nothing searched yet.
    pub fn new() -> Self {
        Memo {
            end: NextLine::new(),
        }
    }
}

fn armour_type(core: &[u8]) -> Option<&[u8]> {
    core.strip_prefix(b"-----BEGIN ")?.strip_suffix(b"-----")
}

/// An armour block of a kept type starting at line `i` and closed by an END line: the
/// payload it holds (if it decodes to one) and the index of the line after it.
pub fn at(lines: &[Line<'_>], i: usize, memo: &mut Memo) -> Option<(Option<Smuggled>, usize)> {
    let kind = armour_type(lines::core(lines[i].text))?;
    if !KEPT.contains(&kind) {
        return None;
    }
    let is_end = |t: &[u8]| lines::core(t).starts_with(b"-----END ");
    let end = memo.end.find(lines, i + 1, is_end)?;
    let mut chars = Vec::new();
    for line in &lines[i + 1..end] {
        let core = lines::core(line.text);
        // Armour headers (`Version: …`, `Hash: …`) and the `=XXXX` checksum are not data.
        if core.contains(&b':') || core.starts_with(b"=") {
            continue;
        }
        chars.extend_from_slice(core);
    }
    let data = transfer::base64_lenient(&chars);
    let s = matches!(judge(&data), Verdict::Dangerous(_)).then(|| Smuggled {
        range: lines[i].start..lines[end].next,
        kind: "base64",
        name: None,
        data,
    });
    Some((s, end + 1))
}
