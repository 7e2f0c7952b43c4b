//! mugai's reading of Japanese mail charsets against iconv's (glibc) on tricky byte strings.
//!
//! Each row says whether mugai reads the bytes as iconv does, whether both reject them, or
//! where mugai deliberately reads them differently (the reason is in the row and in the
//! `parse::charset` module doc); a deliberate difference must really differ from iconv, so
//! the table stays true if either side changes. Skipped with a note when iconv is missing.

use std::io::Write;
use std::process::{Command, Stdio};

use mugai::parse::charset::decode;

/// What the row expects of mugai compared with iconv.
enum Expect {
    /// iconv accepts the bytes, and mugai reads them the same, without errors.
    Agree,
    /// iconv rejects the bytes, and mugai marks the error (U+FFFD).
    BothReject,
    /// mugai reads this text, which is not iconv's reading; the reason is given.
    Differs(&'static str, &'static str),
}

struct Row {
    name: &'static str,
    bytes: &'static [u8],
    /// The label mugai decodes under.
    label: &'static str,
    /// The charset name given to `iconv -f`.
    iconv: &'static str,
    expect: Expect,
}

const JIS: &str = "ISO-2022-JP-2";

fn rows() -> Vec<Row> {
    use Expect::*;
    let row = |name, bytes, label, iconv, expect| Row {
        name,
        bytes,
        label,
        iconv,
        expect,
    };
    vec![
        row(
            "escape pair between runs",
            b"A\x1b$B$\"$\"\x1b(B\x1b$B$\"\x1b(BZ",
            "iso-2022-jp",
            JIS,
            Agree,
        ),
        row(
            "escape pair at start",
            b"\x1b(B\x1b$B%F%9%H\x1b(B",
            "iso-2022-jp",
            JIS,
            Agree,
        ),
        row(
            "three escapes in a row",
            b"x\x1b$B\x1b(J\x1b$B$\"\x1b(By",
            "iso-2022-jp",
            JIS,
            Agree,
        ),
        row(
            "escape at the very end",
            b"\x1b$B$\"\x1b(B\x1b$B",
            "iso-2022-jp",
            JIS,
            Agree,
        ),
        row(
            "JIS X 0201 Roman",
            b"\x1b(Ja\\b~c\x1b(B",
            "iso-2022-jp",
            JIS,
            Agree,
        ),
        row(
            "old ESC $ @",
            b"\x1b$@F|K\\\x1b(B",
            "iso-2022-jp",
            JIS,
            Agree,
        ),
        row(
            "half-width kana ESC ( I",
            b"\x1b(I12\x1b(B",
            "iso-2022-jp",
            "ISO-2022-JP-3",
            Agree,
        ),
        row(
            "JIS X 0212 ESC $ ( D",
            b"\x1b$(D\"/0!\x1b(B",
            "iso-2022-jp",
            JIS,
            Agree,
        ),
        row(
            "GB 2312 ESC $ A",
            b"\x1b$A0!\x1b(B",
            "iso-2022-jp-2",
            JIS,
            Agree,
        ),
        row(
            "KS C 5601 ESC $ ( C",
            b"\x1b$(C0!\x1b(B",
            "iso-2022-jp-2",
            JIS,
            Agree,
        ),
        row(
            "unterminated double-byte run",
            b"a\x1b$B$\"$$",
            "iso-2022-jp",
            JIS,
            Agree,
        ),
        row(
            "line break inside a run",
            b"\x1b$B$\"\n$\"\x1b(B",
            "iso-2022-jp",
            JIS,
            Agree,
        ),
        row(
            "half a character at the end",
            b"a\x1b$B$\"$",
            "iso-2022-jp",
            JIS,
            BothReject,
        ),
        row(
            "cut escape at the end",
            b"a\x1b$",
            "iso-2022-jp",
            JIS,
            BothReject,
        ),
        row(
            "SO/SI katakana",
            b"a\x0e12\x0fb",
            "iso-2022-jp",
            JIS,
            Differs(
                "aｱｲb",
                "CP50221/50222 write half-width katakana between SO and SI",
            ),
        ),
        row(
            "NEC row 13 in JIS",
            b"\x1b$B-!-j\x1b(B",
            "iso-2022-jp",
            JIS,
            Differs(
                "①㈱",
                "CP50220-50222 extension rows (Outlook, Becky!) are decoded",
            ),
        ),
        row(
            "wave dash in JIS",
            b"\x1b$B!A!]\x1b(B",
            "iso-2022-jp",
            JIS,
            Differs(
                "～－",
                "the Microsoft (CP932) mapping that Windows mailers use",
            ),
        ),
        row(
            "unknown escape",
            b"a\x1b$zb",
            "iso-2022-jp",
            JIS,
            Differs(
                "a\u{FFFD}$zb",
                "an unknown escape is replaced, not passed on as ESC",
            ),
        ),
        row(
            "CP932 kana and kanji",
            b"\x82\xa0\x83\x65\xb1\x93\xfa",
            "cp932",
            "CP932",
            Agree,
        ),
        row(
            "CP932 NEC and IBM rows",
            b"\x87\x40\xed\x40\xfa\x40\xfb\xfc",
            "cp932",
            "CP932",
            Agree,
        ),
        row("CP932 backslash and tilde", b"\\~", "cp932", "CP932", Agree),
        row(
            "CP932 wave dash",
            b"\x81\x60\x81\x7c",
            "cp932",
            "CP932",
            Agree,
        ),
        row(
            "CP932 user-defined area",
            b"\xf0\x40\xf9\xfc",
            "cp932",
            "CP932",
            Agree,
        ),
        row(
            "CP932 lead byte without trail",
            b"a\x82",
            "cp932",
            "CP932",
            BothReject,
        ),
        row(
            "CP932 invalid trail",
            b"\x81\x20x",
            "cp932",
            "CP932",
            BothReject,
        ),
        row("CP932 0xFD", b"a\xfdb", "cp932", "CP932", BothReject),
        row(
            "EUC-JP kanji",
            b"\xc6\xfc\xcb\xdc",
            "euc-jp",
            "EUC-JP",
            Agree,
        ),
        row(
            "EUC-JP SS2 kana",
            b"\x8e\xb1\x8e\xb2",
            "euc-jp",
            "EUC-JP",
            Agree,
        ),
        row(
            "EUC-JP SS3 JIS X 0212",
            b"\x8f\xa2\xaf\x8f\xb0\xa1",
            "euc-jp",
            "EUC-JP",
            Agree,
        ),
        row(
            "eucJP-ms NEC row 13",
            b"\xad\xa1\xad\xea",
            "eucjp-ms",
            "EUC-JP-MS",
            Agree,
        ),
        row(
            "eucJP-ms wave dash",
            b"\xa1\xc1",
            "eucjp-ms",
            "EUC-JP-MS",
            Agree,
        ),
        row(
            "EUC-JP wave dash",
            b"\xa1\xc1",
            "euc-jp",
            "EUC-JP",
            Differs("～", "the Microsoft mapping (eucJP-ms), as for CP932"),
        ),
        row(
            "EUC-JP cut SS3",
            b"\xc6\xfc\xcb\xdc\x8f\xa2",
            "euc-jp",
            "EUC-JP",
            BothReject,
        ),
    ]
}

/// iconv's strict reading, `Some(Err(()))` when it rejects the bytes, `None` when iconv is
/// not installed.
fn iconv(charset: &str, bytes: &[u8]) -> Option<Result<String, ()>> {
    let mut child = Command::new("iconv")
        .args(["-f", charset, "-t", "UTF-8"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .ok()?;
    child.stdin.take()?.write_all(bytes).ok()?;
    let out = child.wait_with_output().ok()?;
    if !out.status.success() {
        return Some(Err(()));
    }
    Some(String::from_utf8(out.stdout).map_err(|_| ()))
}

#[test]
fn japanese_charsets_read_as_iconv_reads_them() {
    if iconv("UTF-8", b"x").is_none() {
        println!("NOTE: iconv is not installed; the comparison with iconv is skipped");
        return;
    }
    let mut failures = Vec::new();
    for row in rows() {
        let (text, how) = decode(row.bytes, Some(row.label.as_bytes()));
        let theirs = iconv(row.iconv, row.bytes).expect("iconv ran for the first row");
        let ok = match (&row.expect, &theirs) {
            (Expect::Agree, Ok(t)) => text == *t && !how.had_errors && !how.detected,
            (Expect::BothReject, Err(())) => how.had_errors && text.contains('\u{FFFD}'),
            (Expect::Differs(ours, why), t) => {
                assert!(
                    !why.is_empty(),
                    "{}: a difference needs its reason",
                    row.name
                );
                text == *ours && t.as_deref() != Ok(*ours)
            }
            _ => false,
        };
        if !ok {
            failures.push(format!(
                "{}: mugai {text:?} (errors {}, detected {}), iconv -f {} {theirs:?}",
                row.name, how.had_errors, how.detected, row.iconv
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
