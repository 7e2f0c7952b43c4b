//! Property tests: any input gives a safe, single text/plain output of bounded size without
//! panicking; generated MIME trees keep their text and lose their payloads.

mod common;

use common::trees;
use mugai::{Policy, Sanitizer};
use proptest::prelude::*;

fn sanitizer() -> Sanitizer {
    Sanitizer::new(Policy::default())
}

/// The output may grow (quoted-printable, the notice) but stays bounded.
fn size_bound(input: usize) -> usize {
    5 * input + 256 * 1024
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_give_one_text_plain_part(input in prop::collection::vec(any::<u8>(), 0..4096)) {
        let outcome = sanitizer().sanitize(&input).expect("malformed input is never an error");
        let out = outcome.to_message();
        prop_assert!(out.len() <= size_bound(input.len()));
        common::check_structure(&out, "arbitrary bytes");
    }

    #[test]
    fn mail_like_bytes_give_one_text_plain_part(
        headers in prop::collection::vec("[A-Za-z-]{1,12}: [ -~]{0,40}", 0..8),
        ctype in prop_oneof![
            Just("multipart/mixed; boundary=b"),
            Just("multipart/alternative; boundary=b"),
            Just("message/rfc822"),
            Just("text/html"),
            Just("text/plain; charset=iso-2022-jp"),
        ],
        body in prop::collection::vec(prop_oneof![
            Just(b"--b\r\n".to_vec()),
            Just(b"--b--\r\n".to_vec()),
            Just(b"Content-Type: text/html\r\n\r\n".to_vec()),
            Just(b"Content-Transfer-Encoding: base64\r\n\r\n".to_vec()),
            Just(b"<div><a href='http://x.example/'>x</a>".to_vec()),
            Just(b"begin 644 a.exe\r\n".to_vec()),
            Just(b"\x1b$B".to_vec()),
            prop::collection::vec(any::<u8>(), 0..40),
        ], 0..40),
    ) {
        let mut input = headers.join("\r\n").into_bytes();
        input.extend_from_slice(format!("\r\nContent-Type: {ctype}\r\n\r\n").as_bytes());
        for piece in &body {
            input.extend_from_slice(piece);
        }
        let outcome = sanitizer().sanitize(&input).expect("never an error");
        let out = outcome.to_message();
        prop_assert!(out.len() <= size_bound(input.len()));
        common::check_structure(&out, "mail-like bytes");
    }

    #[test]
    fn generated_trees_keep_markers_and_lose_payloads(tree in trees::tree()) {
        let g = trees::serialise(&tree);
        let outcome = sanitizer().sanitize(&g.bytes).expect("never an error");
        let out = outcome.to_message();
        let parsed = common::check_structure(&out, "generated tree");
        for m in &g.markers {
            prop_assert!(parsed.body.contains(m.as_str()), "marker {} missing:\n{}", m, parsed.body);
        }
        for p in &g.payloads {
            common::assert_payload_absent(&out, &parsed.body, p, "generated tree");
        }
        for n in &g.names {
            prop_assert!(parsed.body.contains(n.as_str()), "name {} not listed", n);
        }
        prop_assert_eq!(outcome.report.removed.len(), g.names.len());
    }
}
