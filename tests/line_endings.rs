//! Line endings are decided once: the core writes exactly what `output.line_ending` asks for,
//! whatever line endings the input mixes, so a front end that sets it (CRLF for the milter
//! and the SMTP filter, LF for `mugai batch` into mbox or Maildir) never has to normalise
//! the output again. Runs in the core configuration (`--no-default-features`).

use mugai::policy::LineEnding;
use mugai::{Policy, Sanitizer};
use proptest::prelude::*;

fn sanitizer(line_ending: LineEnding) -> Sanitizer {
    let mut policy = Policy::default();
    policy.output.line_ending = line_ending;
    Sanitizer::new(policy)
}

/// Offsets of line feeds not preceded by a carriage return.
fn bare_lfs(bytes: &[u8]) -> Vec<usize> {
    (0..bytes.len())
        .filter(|&i| bytes[i] == b'\n' && (i == 0 || bytes[i - 1] != b'\r'))
        .collect()
}

/// A mail whose lines end in the given mix of CRLF, LF and CR.
fn mail(lines: &[(String, u8)]) -> Vec<u8> {
    let mut out = Vec::new();
    for (line, end) in lines {
        out.extend_from_slice(line.as_bytes());
        out.extend_from_slice(match end % 3 {
            0 => b"\r\n",
            1 => b"\n",
            _ => b"\r",
        });
    }
    out
}

fn lines() -> impl Strategy<Value = Vec<(String, u8)>> {
    let line = prop_oneof![
        Just("Subject: hello\r there".to_string()),
        Just("From: a@b.example".to_string()),
        Just("X-Long: folded".to_string()),
        Just(" continuation".to_string()),
        Just("Content-Type: multipart/mixed; boundary=b".to_string()),
        Just("Content-Type: text/html".to_string()),
        Just("Content-Transfer-Encoding: quoted-printable".to_string()),
        Just("--b".to_string()),
        Just("--b--".to_string()),
        Just(String::new()),
        Just("<p>line one<br>line two=0D=0Athree</p>".to_string()),
        Just("本文です お知らせ".to_string()),
        "[ -~]{0,90}",
    ];
    prop::collection::vec((line, any::<u8>()), 0..40)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn crlf_output_has_no_bare_lf(lines in lines()) {
        let input = mail(&lines);
        let outcome = sanitizer(LineEnding::Crlf).sanitize(&input).expect("never an error");
        prop_assert_eq!(outcome.line_ending, "\r\n");
        let message = outcome.to_message();
        prop_assert_eq!(bare_lfs(&message), Vec::<usize>::new());
        prop_assert!(!outcome.body.is_empty());
    }

    #[test]
    fn lf_output_has_no_cr(lines in lines()) {
        let input = mail(&lines);
        let outcome = sanitizer(LineEnding::Lf).sanitize(&input).expect("never an error");
        prop_assert_eq!(outcome.line_ending, "\n");
        prop_assert!(!outcome.to_message().contains(&b'\r'));
    }
}

/// The same mail in CRLF and in LF comes out the same under one fixed line ending: the
/// decision is the policy's, not the input's.
#[test]
fn a_fixed_line_ending_ignores_the_input_s() {
    let crlf = b"Subject: s\r\nContent-Type: text/html\r\n\r\n<p>one<br>two</p>\r\n".to_vec();
    let lf: Vec<u8> = crlf.iter().copied().filter(|&b| b != b'\r').collect();
    for le in [LineEnding::Crlf, LineEnding::Lf] {
        let a = sanitizer(le).sanitize(&crlf).expect("sanitised");
        let b = sanitizer(le).sanitize(&lf).expect("sanitised");
        assert_eq!(a.body, b.body, "{le:?}");
        assert_eq!(a.line_ending, b.line_ending, "{le:?}");
    }
}
