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

/// An armour block of a kept type starting at `line` and closed by an END line: the
/// payload it holds (if it decodes to one) and the offset after the block.
pub fn at(text: &[u8], line: &Line<'_>, memo: &mut Memo) -> Option<(Option<Smuggled>, usize)> {
    let kind = armour_type(lines::core(line.text))?;
    if !KEPT.contains(&kind) {
        return None;
    }
    let is_end = |t: &[u8]| lines::core(t).starts_with(b"-----END ");
    let end = memo.end.find(text, line.next, is_end)?;
    let mut chars = Vec::new();
    for l in lines::from(text, line.next).take_while(|l| l.start < end.start) {
        let core = lines::core(l.text);
        // Armour headers (`Version: …`, `Hash: …`) and the `=XXXX` checksum are not data.
        if core.contains(&b':') || core.starts_with(b"=") {
            continue;
        }
        chars.extend_from_slice(core);
    }
    let data = transfer::base64_lenient(&chars);
    let s = matches!(judge(&data), Verdict::Dangerous(_)).then(|| Smuggled {
        range: line.start..end.next,
        kind: "base64",
        name: None,
        data,
    });
    Some((s, end.next))
}
