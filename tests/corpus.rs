//! Every mail in `testdata/mails/` and in every case group `testdata/<group>/` (a folder of
//! `NN-name.eml` + `NN-name.toml`) is sanitised and the output is checked by an independent
//! parser against the facts file next to it: only text/plain, markers present, removed items
//! listed, payloads absent in every encoding, every line at most 998 octets.

mod common;

use std::path::{Path, PathBuf};

use mugai::{Policy, Sanitizer};
use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Facts {
    description: String,
    #[serde(default)]
    markers: Vec<String>,
    #[serde(default)]
    listed: Vec<String>,
    #[serde(default)]
    payloads: Vec<String>,
    subject: Option<String>,
    /// Literal strings that must not occur in the output (whole message or decoded body),
    /// e.g. raw markup such as `<script` or a header field name.
    #[serde(default)]
    absent: Vec<String>,
    /// The report lists at least this many removed items.
    #[serde(default)]
    min_removed: usize,
    /// The report lists at most this many removed items (0 for mails that must come
    /// through untouched, e.g. false-positive guards of the smuggling scan).
    max_removed: Option<usize>,
    /// The output must not be labelled `clean` (something had to be removed or converted).
    #[serde(default)]
    changed: bool,
}

/// The case folders: `testdata/mails` and every other folder of `testdata/` except
/// `regressions` (inputs without facts).
fn case_dirs() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&root)
        .expect("testdata exists")
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir() && !p.ends_with("regressions"))
        .collect();
    dirs.sort();
    dirs
}

fn cases() -> Vec<(PathBuf, Facts)> {
    let mut out = Vec::new();
    for dir in case_dirs() {
        out.extend(cases_in(&dir));
    }
    out
}

fn cases_in(dir: &Path) -> Vec<(PathBuf, Facts)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).expect("case folder readable") {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("eml") {
            continue;
        }
        let facts_path = path.with_extension("toml");
        let text = std::fs::read_to_string(&facts_path)
            .unwrap_or_else(|e| panic!("{}: {e}", facts_path.display()));
        let facts: Facts =
            toml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", facts_path.display()));
        out.push((path, facts));
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

#[test]
fn corpus_has_at_least_forty_cases() {
    assert!(cases().len() >= 40, "only {} cases", cases().len());
}

#[test]
fn every_testdata_mail_is_sanitised_as_its_facts_say() {
    let sanitizer = Sanitizer::new(Policy::default());
    let mut failures = Vec::new();
    // Failures are collected and reported together; silence the per-case panic output.
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    for (path, facts) in cases() {
        let name = path
            .strip_prefix(Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata"))
            .unwrap_or(&path)
            .display()
            .to_string();
        let input = std::fs::read(&path).unwrap();
        let result = std::panic::catch_unwind(|| {
            let outcome = sanitizer
                .sanitize(&input)
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            let output = outcome.to_message();
            let parsed = common::check_structure(&output, &name);
            for m in &facts.markers {
                assert!(
                    common::contains_loosely(&parsed.body, m),
                    "{name} ({}): marker {m:?} missing from:\n{}",
                    facts.description,
                    parsed.body
                );
            }
            for l in &facts.listed {
                let listed = outcome
                    .report
                    .removed
                    .iter()
                    .any(|r| r.name.as_deref().is_some_and(|n| n.contains(l.as_str())));
                assert!(listed, "{name}: {l:?} not in the report's removed items");
                assert!(
                    common::contains_loosely(&parsed.body, l),
                    "{name}: {l:?} not listed in the notice:\n{}",
                    parsed.body
                );
            }
            for p in &facts.payloads {
                common::assert_payload_absent(&output, &parsed.body, p, &name);
                common::attacker::assert_not_decodable(&parsed.body, p, &name);
            }
            common::live_links::assert_no_live_links(&output, &parsed.body, &name);
            for a in &facts.absent {
                let raw = memchr::memmem::find(&output, a.as_bytes()).is_some();
                assert!(
                    !raw && !parsed.body.contains(a.as_str()),
                    "{name} ({}): {a:?} must not occur in the output:\n{}",
                    facts.description,
                    parsed.body
                );
            }
            assert!(
                outcome.report.removed.len() >= facts.min_removed,
                "{name}: {} removed item(s), at least {} expected",
                outcome.report.removed.len(),
                facts.min_removed
            );
            if let Some(max) = facts.max_removed {
                let removed: Vec<&str> = outcome
                    .report
                    .removed
                    .iter()
                    .map(|r| r.path.as_str())
                    .collect();
                assert!(
                    removed.len() <= max,
                    "{name} ({}): {} removed item(s) {removed:?}, at most {max} expected:\n{}",
                    facts.description,
                    removed.len(),
                    parsed.body
                );
            }
            if facts.changed {
                assert!(
                    outcome.report.changed(),
                    "{name}: labelled clean but something had to be removed:\n{}",
                    parsed.body
                );
            }
            if let Some(s) = &facts.subject {
                assert_eq!(
                    parsed.subject.as_deref(),
                    Some(s.as_str()),
                    "{name}: subject"
                );
            }
        });
        if let Err(e) = result {
            let msg = e
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            failures.push(msg);
        }
    }
    std::panic::set_hook(default_hook);
    assert!(
        failures.is_empty(),
        "{} case(s) failed:\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

/// With `links.urls = "remove"` no link of any kind survives in the link and header cases:
/// no live one, and no defanged one either (every scheme is removed, not only web URLs).
#[test]
fn link_cases_under_remove_policy_keep_no_link_at_all() {
    let policy = Policy::from_toml_str("[links]\nurls = \"remove\"\n").unwrap();
    let sanitizer = Sanitizer::new(policy);
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata");
    let mut n = 0;
    for group in ["links", "headers"] {
        for (path, _) in cases_in(&root.join(group)) {
            let name = path.display().to_string();
            let output = sanitizer
                .sanitize(&std::fs::read(&path).unwrap())
                .unwrap()
                .to_message();
            let parsed = common::check_structure(&output, &name);
            common::live_links::assert_no_live_links(&output, &parsed.body, &name);
            for defanged in ["hxxp", "[:]", "[\\\\]"] {
                assert!(
                    !parsed.body.contains(defanged),
                    "{name}: {defanged:?} left under remove:\n{}",
                    parsed.body
                );
            }
            n += 1;
        }
    }
    assert!(n >= 20, "{n} cases");
}

/// Inputs that once broke a guarantee (found by fuzzing or cross-checking): each must give a
/// single text/plain part within the size bound of the fuzz target.
#[test]
fn regression_inputs_stay_safe_and_bounded() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/regressions");
    let sanitizer = Sanitizer::new(Policy::default());
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.display().to_string();
        let input = std::fs::read(&path).unwrap();
        let out = sanitizer.sanitize(&input).unwrap().to_message();
        assert!(
            out.len() <= 8 * input.len() + 256 * 1024,
            "{name}: {} bytes out",
            out.len()
        );
        common::check_structure(&out, &name);
        n += 1;
    }
    assert!(n >= 2);
}

/// The attacker's decoder really finds a token in each encoding it claims to undo (so that
/// its silence on the corpus means something).
#[test]
fn attacker_decoder_sees_every_encoding() {
    let token = "PAYLOAD-SELFTEST-4711";
    let t = token.as_bytes();
    let mut data = b"\x00\x01junk".to_vec();
    data.extend_from_slice(t);
    data.extend_from_slice(b"\xff\xfe tail");
    let b64 = base64_simd::STANDARD.encode_to_string(&data);
    let url = base64_simd::URL_SAFE_NO_PAD.encode_to_string(&data);
    let hex: String = data.iter().map(|b| format!("{b:02x}")).collect();
    let xxd: String = data
        .chunks(16)
        .enumerate()
        .map(|(i, c)| {
            let h: Vec<String> = c.iter().map(|b| format!("{b:02x}")).collect();
            format!("{:08x}: {}  ascii\n", i * 16, h.join(" "))
        })
        .collect();
    let uu: String = data
        .chunks(45)
        .map(|c| {
            let mut l = vec![b' ' + c.len() as u8];
            for g in c.chunks(3) {
                let v = g
                    .iter()
                    .enumerate()
                    .fold(0u32, |a, (i, &b)| a | u32::from(b) << (16 - 8 * i));
                l.extend((0..4).map(|k| match ((v >> (18 - 6 * k)) & 63) as u8 {
                    0 => b'`',
                    x => b' ' + x,
                }));
            }
            String::from_utf8(l).unwrap() + "\n"
        })
        .collect();
    let yenc: String = t.iter().map(|&b| char::from(b.wrapping_add(42))).collect();
    let mut a85 = String::from("<~");
    for c in t.chunks(4) {
        let mut g = [0u8; 4];
        g[..c.len()].copy_from_slice(c);
        let mut v = u64::from(u32::from_be_bytes(g));
        let mut d = [0u8; 5];
        for x in d.iter_mut().rev() {
            *x = (v % 85) as u8 + b'!';
            v /= 85;
        }
        a85.push_str(std::str::from_utf8(&d[..c.len() + 1]).unwrap());
    }
    let qp: String = t.iter().map(|b| format!("={b:02X}")).collect();
    let utf16: Vec<u8> = token.encode_utf16().flat_map(u16::to_be_bytes).collect();
    let utf7 = format!(
        "+{}-",
        base64_simd::STANDARD_NO_PAD.encode_to_string(&utf16)
    );
    let bodies = [
        format!("> > {}", &b64[..]),
        format!("x{b64}"),
        url,
        hex.clone(),
        format!("x{hex}"),
        xxd,
        uu,
        yenc,
        a85,
        qp,
        utf7,
    ];
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let missed: Vec<String> = bodies
        .iter()
        .filter(|b| {
            std::panic::catch_unwind(|| {
                common::attacker::assert_not_decodable(b, token, "self-test")
            })
            .is_ok()
        })
        .cloned()
        .collect();
    std::panic::set_hook(hook);
    assert!(missed.is_empty(), "not decoded: {missed:?}");
}
