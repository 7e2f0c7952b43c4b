//! Checks shared by the integration tests: an independent parser (the `mailparse` crate)
//! reads the sanitised output and the tests assert what a reader would get.

#![allow(dead_code)]

pub mod attacker;
pub mod live_links;
pub mod trees;

/// What an independent parser saw in a sanitised message.
pub struct Parsed {
    /// Decoded body text.
    pub body: String,
    /// Decoded Subject, if any.
    pub subject: Option<String>,
}

/// Parses `output` with `mailparse` and asserts the structural guarantees: exactly one
/// part, `text/plain`, a 7-bit-safe transfer encoding, every line at most 998 octets.
pub fn check_structure(output: &[u8], context: &str) -> Parsed {
    for (n, line) in output.split(|&b| b == b'\n').enumerate() {
        assert!(
            line.len() <= 999,
            "{context}: line {} is {} octets",
            n + 1,
            line.len()
        );
    }
    assert!(output.is_ascii(), "{context}: output is not 7-bit ASCII");
    let parsed = mailparse::parse_mail(output)
        .unwrap_or_else(|e| panic!("{context}: output does not parse: {e}"));
    assert!(
        parsed.subparts.is_empty(),
        "{context}: output has {} subparts",
        parsed.subparts.len()
    );
    assert_eq!(
        parsed.ctype.mimetype, "text/plain",
        "{context}: output is {}",
        parsed.ctype.mimetype
    );
    let content_types = parsed
        .headers
        .iter()
        .filter(|h| h.get_key().eq_ignore_ascii_case("Content-Type"))
        .count();
    assert_eq!(
        content_types, 1,
        "{context}: {content_types} Content-Type fields"
    );
    let body = parsed
        .get_body()
        .unwrap_or_else(|e| panic!("{context}: body does not decode: {e}"));
    let subject = parsed
        .headers
        .iter()
        .find(|h| h.get_key().eq_ignore_ascii_case("Subject"))
        .map(|h| h.get_value());
    Parsed { body, subject }
}

/// Asserts that `payload` appears nowhere in `output`: not raw, not in the decoded body, and
/// not inside any base64 or quoted-printable run of the decoded body.
pub fn assert_payload_absent(output: &[u8], body: &str, payload: &str, context: &str) {
    let p = payload.as_bytes();
    let contains = |hay: &[u8]| memchr::memmem::find(hay, p).is_some();
    assert!(
        !contains(output),
        "{context}: payload {payload:?} in raw output"
    );
    assert!(
        !contains(body.as_bytes()),
        "{context}: payload {payload:?} in body"
    );
    let qp = mugai::parse::transfer::quoted_printable(body.as_bytes());
    assert!(!contains(&qp), "{context}: payload {payload:?} QP-decoded");
    let b64 = mugai::parse::transfer::base64(output);
    assert!(
        !contains(&b64),
        "{context}: payload {payload:?} in base64 of raw output"
    );
    for run in base64_runs(body.as_bytes()) {
        for shift in 0..4 {
            if run.len() > shift {
                let decoded = mugai::parse::transfer::base64(&run[shift..]);
                assert!(
                    !contains(&decoded),
                    "{context}: payload {payload:?} base64-decoded from the body"
                );
            }
        }
    }
}

/// Runs of base64 alphabet (at least 16 characters, whitespace allowed inside).
fn base64_runs(text: &[u8]) -> Vec<Vec<u8>> {
    let mut runs = Vec::new();
    let mut cur = Vec::new();
    for &b in text {
        if b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=') {
            cur.push(b);
        } else if b.is_ascii_whitespace() && !cur.is_empty() {
            continue;
        } else {
            if cur.len() >= 16 {
                runs.push(std::mem::take(&mut cur));
            }
            cur.clear();
        }
    }
    if cur.len() >= 16 {
        runs.push(cur);
    }
    runs
}

/// Whitespace-insensitive containment (HTML conversion may wrap or re-space text).
pub fn contains_loosely(body: &str, needle: &str) -> bool {
    let squash = |s: &str| s.chars().filter(|c| !c.is_whitespace()).collect::<String>();
    body.contains(needle) || squash(body).contains(&squash(needle))
}
