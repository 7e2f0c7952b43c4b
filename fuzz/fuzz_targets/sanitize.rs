//! Arbitrary bytes → the sanitiser: no panic, the output re-parses as one text/plain part,
//! every line ≤ 998 octets, the output size bounded relative to the input.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mugai::{Policy, Sanitizer};
use std::sync::OnceLock;

static SANITIZER: OnceLock<Sanitizer> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let s = SANITIZER.get_or_init(|| Sanitizer::new(Policy::default()));
    let outcome = s.sanitize(data).expect("malformed input is never an error");
    let out = outcome.to_message();
    assert!(out.len() <= 5 * data.len() + 256 * 1024, "output too large");
    assert!(out.is_ascii(), "output not 7-bit");
    for line in out.split(|&b| b == b'\n') {
        assert!(line.len() <= 999, "line of {} octets", line.len());
    }
    let parsed = mailparse::parse_mail(&out).expect("output parses");
    assert!(parsed.subparts.is_empty(), "output has subparts");
    assert_eq!(parsed.ctype.mimetype, "text/plain");
});
