//! Labels that lie (issue 10, classes 1, 3, 5, 7 and 8): a payload — a PE with a unique
//! token, a ZIP holding the token, or a script — is placed in every carrier a label can lie
//! about (part type, disposition, file name, charset label, transfer encoding, a second
//! Content-Type, HTML sent as text/plain, an alternative, a forwarded message/rfc822 with or
//! without an illegal transfer encoding, a header field of the mail or of a forwarded
//! message, hidden HTML), between text parts with markers. The token must never survive
//! (raw, base64- or QP-decoded), the markers must.

mod common;

use mugai::{Policy, Sanitizer};
use proptest::prelude::*;

/// What is smuggled.
#[derive(Debug, Clone, Copy)]
enum Payload {
    Pe,
    Zip,
    Script,
}

/// The part that carries the payload and how its labels lie.
#[derive(Debug, Clone, Copy)]
enum Carrier {
    /// A nameless inline text/plain or text/html.
    Text { html: bool },
    /// A text/plain with a file name (`name=`, `filename=` on an inline disposition, RFC 2231
    /// `name*=`, or a misplaced `name=` on the disposition).
    Named(u8),
    /// Content-Disposition inline, then attachment.
    DoubleDisposition,
    /// Content-Type text/plain, then application/octet-stream.
    TwoTypes,
    /// A text/plain with a lying charset label (UTF-7, UTF-16, ISO-2022-JP, us-ascii).
    Charset(u8),
    /// multipart/alternative: text/plain carries the payload, text/html a marker.
    Alternative,
    /// The payload as folded base64 in a header field of the mail: a custom `X-` field (not
    /// on the allow-list) or the Subject (kept, so its value is scanned).
    Header { subject: bool },
    /// The payload as folded base64 in the Subject of a forwarded message.
    ForwardHeader,
    /// An HTML part whose payload (base64, or the script itself) sits in hidden content:
    /// the `hidden` attribute, `display:none`, or `<template>`.
    Hidden(u8),
}

/// Around the carrier: nothing, or a forwarded message (identity, base64, QP, or a named
/// .eml attachment).
#[derive(Debug, Clone, Copy)]
enum Wrap {
    None,
    Forward,
    ForwardBase64,
    ForwardQp,
    ForwardNamed,
}

#[derive(Debug, Clone, Copy)]
enum Cte {
    Identity,
    Base64,
    Qp,
}

fn payload() -> impl Strategy<Value = Payload> {
    prop_oneof![Just(Payload::Pe), Just(Payload::Zip), Just(Payload::Script)]
}

fn carrier() -> impl Strategy<Value = Carrier> {
    prop_oneof![
        any::<bool>().prop_map(|html| Carrier::Text { html }),
        (0u8..4).prop_map(Carrier::Named),
        Just(Carrier::DoubleDisposition),
        Just(Carrier::TwoTypes),
        (0u8..4).prop_map(Carrier::Charset),
        Just(Carrier::Alternative),
        any::<bool>().prop_map(|subject| Carrier::Header { subject }),
        Just(Carrier::ForwardHeader),
        (0u8..3).prop_map(Carrier::Hidden),
    ]
}

fn wrap() -> impl Strategy<Value = Wrap> {
    prop_oneof![
        Just(Wrap::None),
        Just(Wrap::Forward),
        Just(Wrap::ForwardBase64),
        Just(Wrap::ForwardQp),
        Just(Wrap::ForwardNamed),
    ]
}

fn cte() -> impl Strategy<Value = Cte> {
    prop_oneof![Just(Cte::Identity), Just(Cte::Base64), Just(Cte::Qp)]
}

fn pe(token: &str) -> Vec<u8> {
    let mut v = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00\xb8".to_vec();
    v.resize(0x3c, 0);
    v.extend_from_slice(&0x80u32.to_le_bytes());
    v.extend_from_slice(
        b"\x0e\x1f\xba\x0e\x00\xb4\x09\xcd\x21This program cannot be run in DOS mode.\r\r\n$",
    );
    v.resize(0x80, 0);
    v.extend_from_slice(b"PE\x00\x00\x4c\x01");
    v.extend_from_slice(token.as_bytes());
    v.extend_from_slice(&[0; 32]);
    v
}

/// A stored ZIP with one entry (benign name; the notice lists entry names) holding the token.
fn zip(token: &str) -> Vec<u8> {
    let data = format!("WScript.Echo \"{token}\"\r\n").into_bytes();
    let name = b"readme.vbs";
    let crc = crc32(&data);
    let mut v = Vec::new();
    v.extend_from_slice(b"PK\x03\x04\x0a\x00\x00\x00\x00\x00\x00\x00\x21\x00");
    v.extend_from_slice(&crc.to_le_bytes());
    v.extend_from_slice(&(data.len() as u32).to_le_bytes());
    v.extend_from_slice(&(data.len() as u32).to_le_bytes());
    v.extend_from_slice(&(name.len() as u16).to_le_bytes());
    v.extend_from_slice(&[0, 0]);
    v.extend_from_slice(name);
    v.extend_from_slice(&data);
    let central = v.len() as u32;
    v.extend_from_slice(b"PK\x01\x02\x14\x00\x0a\x00\x00\x00\x00\x00\x00\x00\x21\x00");
    v.extend_from_slice(&crc.to_le_bytes());
    v.extend_from_slice(&(data.len() as u32).to_le_bytes());
    v.extend_from_slice(&(data.len() as u32).to_le_bytes());
    v.extend_from_slice(&(name.len() as u16).to_le_bytes());
    v.extend_from_slice(&[0; 12]);
    v.extend_from_slice(&0u32.to_le_bytes());
    v.extend_from_slice(name);
    let size = v.len() as u32 - central;
    v.extend_from_slice(b"PK\x05\x06\x00\x00\x00\x00\x01\x00\x01\x00");
    v.extend_from_slice(&size.to_le_bytes());
    v.extend_from_slice(&central.to_le_bytes());
    v.extend_from_slice(&[0, 0]);
    v
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xffff_ffffu32;
    for &b in data {
        crc ^= b as u32;
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xedb8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// A script: as an HTML document (its content shows it is HTML) when the carrier is judged by
/// content, else as a VBScript text (only its labels show it is a file).
fn script(token: &str, as_html: bool) -> Vec<u8> {
    if as_html {
        format!(
            "<!DOCTYPE html>\r\n<html><body><p>x</p><script>location='{token}'</script></body></html>\r\n"
        )
        .into_bytes()
    } else {
        format!("Set s = CreateObject(\"WScript.Shell\")\r\ns.Run \"{token}\"\r\n").into_bytes()
    }
}

fn b64(data: &[u8]) -> String {
    let s = base64_simd::STANDARD.encode_to_string(data);
    let mut out = String::new();
    for chunk in s.as_bytes().chunks(76) {
        out.push_str(std::str::from_utf8(chunk).unwrap());
        out.push_str("\r\n");
    }
    out
}

/// Quoted-printable; CRLF in the data stays a hard line break.
fn qp(data: &[u8]) -> String {
    let mut out = String::new();
    let mut col = 0;
    let mut i = 0;
    while i < data.len() {
        let b = data[i];
        if b == b'\r' && data.get(i + 1) == Some(&b'\n') {
            out.push_str("\r\n");
            col = 0;
            i += 2;
            continue;
        }
        let piece = if (b' '..=b'~').contains(&b) && b != b'=' {
            (b as char).to_string()
        } else {
            format!("={b:02X}")
        };
        if col + piece.len() > 75 {
            out.push_str("=\r\n");
            col = 0;
        }
        col += piece.len();
        out.push_str(&piece);
        i += 1;
    }
    out.push_str("\r\n");
    out
}

/// UTF-7 that encodes everything but letters, digits, space and line breaks.
fn utf7(text: &str) -> String {
    let mut out = String::new();
    let mut run: Vec<u16> = Vec::new();
    let flush = |run: &mut Vec<u16>, out: &mut String| {
        if run.is_empty() {
            return;
        }
        let bytes: Vec<u8> = run.iter().flat_map(|u| u.to_be_bytes()).collect();
        let enc = base64_simd::STANDARD_NO_PAD.encode_to_string(&bytes);
        out.push('+');
        out.push_str(&enc);
        out.push('-');
        run.clear();
    };
    for c in text.chars() {
        if c.is_ascii_alphanumeric() || matches!(c, ' ' | '\r' | '\n') {
            flush(&mut run, &mut out);
            out.push(c);
        } else {
            let mut buf = [0u16; 2];
            run.extend_from_slice(c.encode_utf16(&mut buf));
        }
    }
    flush(&mut run, &mut out);
    out
}

fn encode(data: &[u8], cte: Cte) -> (&'static str, Vec<u8>) {
    match cte {
        Cte::Identity => ("8bit", data.to_vec()),
        Cte::Base64 => ("base64", b64(data).into_bytes()),
        Cte::Qp => ("quoted-printable", qp(data).into_bytes()),
    }
}

fn text_part(marker: &str) -> Vec<u8> {
    format!(
        "Content-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\nお知らせ {marker} です。\r\n"
    )
    .into_bytes()
}

/// The carrier part (header and body) and the markers it adds.
fn carrier_part(c: Carrier, p: Payload, cte: Cte, token: &str, n: u32) -> (Vec<u8>, Vec<String>) {
    let data = |as_html: bool| match p {
        Payload::Pe => pe(token),
        Payload::Zip => zip(token),
        Payload::Script => script(token, as_html),
    };
    let mut markers = Vec::new();
    let (head, body): (String, Vec<u8>) = match c {
        Carrier::Text { html } => {
            let sub = if html { "html" } else { "plain" };
            (
                format!("Content-Type: text/{sub}; charset=UTF-8\r\n"),
                data(true),
            )
        }
        Carrier::Named(k) => {
            let h = match k {
                0 => "Content-Type: text/plain; charset=UTF-8; name=\"notes.txt\"\r\n",
                1 => "Content-Type: text/plain; charset=UTF-8\r\nContent-Disposition: inline; filename=\"notes.txt\"\r\n",
                2 => "Content-Type: text/plain;\r\n name*=UTF-8''%E8%B3%87%E6%96%99.txt\r\n",
                _ => "Content-Type: text/plain\r\nContent-Disposition: inline; name=\"notes.vbs\"\r\n",
            };
            (h.to_owned(), data(false))
        }
        Carrier::DoubleDisposition => (
            "Content-Type: text/plain; charset=UTF-8\r\nContent-Disposition: inline\r\nContent-Disposition: attachment\r\n".to_owned(),
            data(false),
        ),
        Carrier::TwoTypes => (
            "Content-Type: text/plain; charset=UTF-8\r\nContent-Type: application/octet-stream\r\n"
                .to_owned(),
            data(false),
        ),
        Carrier::Charset(k) => match (k, p) {
            (0, Payload::Script) => {
                // The markup itself is UTF-7: only decoding shows the <script>.
                let doc = String::from_utf8(script(token, true)).unwrap();
                (
                    "Content-Type: text/html; charset=utf-7\r\n".to_owned(),
                    utf7(&doc).into_bytes(),
                )
            }
            _ => {
                let label = ["utf-7", "utf-16", "iso-2022-jp", "us-ascii"][k as usize % 4];
                (
                    format!("Content-Type: text/plain; charset={label}\r\n"),
                    data(true),
                )
            }
        },
        Carrier::Header { .. } => {
            // The field is added to the mail's header by `build`; the part is plain text.
            let m = format!("HDRMARK{n:05}Q");
            markers.push(m.clone());
            return (text_part(&m), markers);
        }
        Carrier::ForwardHeader => {
            let m = format!("FWDHDRMARK{n:05}Q");
            markers.push(m.clone());
            let mut v = format!(
                "Content-Type: message/rfc822\r\n\r\nFrom: a@example.jp\r\nSubject: data\r\n{}MIME-Version: 1.0\r\n",
                folded_field("X-Note", &data(false))
            )
            .into_bytes();
            v.extend_from_slice(&text_part(&m));
            // The inner Subject itself carries the payload too.
            let subject = folded_field("Subject", &data(false));
            let at = memchr::memmem::find(&v, b"Subject: data\r\n").unwrap();
            v.splice(at..at + 15, subject.into_bytes());
            return (v, markers);
        }
        Carrier::Hidden(k) => {
            let inner = match p {
                Payload::Script => String::from_utf8(script(token, false)).unwrap(),
                _ => b64(&data(false)),
            };
            let m = format!("HIDMARK{n:05}Q");
            markers.push(m.clone());
            let hidden = match k {
                0 => format!("<div hidden>{inner}</div>"),
                1 => format!("<div style=\"display:none\">{inner}</div>"),
                _ => format!("<template><p>{inner}</p></template>"),
            };
            (
                "Content-Type: text/html; charset=UTF-8\r\n".to_owned(),
                format!("<html><body><p>{m}</p>{hidden}<p>end</p></body></html>\r\n").into_bytes(),
            )
        }
        Carrier::Alternative => {
            let m = format!("ALTMARK{n:05}Q");
            markers.push(m.clone());
            let (cte_name, enc) = encode(&data(true), cte);
            let mut v = format!(
                "Content-Type: multipart/alternative; boundary=\"alt{n}\"\r\n\r\n--alt{n}\r\nContent-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: {cte_name}\r\n\r\n"
            )
            .into_bytes();
            v.extend_from_slice(&enc);
            v.extend_from_slice(
                format!("\r\n--alt{n}\r\nContent-Type: text/html; charset=UTF-8\r\n\r\n<p>{m}</p>\r\n--alt{n}--\r\n").as_bytes(),
            );
            return (v, markers);
        }
    };
    let (cte_name, enc) = encode(&body, cte);
    let mut v = head.into_bytes();
    v.extend_from_slice(format!("Content-Transfer-Encoding: {cte_name}\r\n\r\n").as_bytes());
    v.extend_from_slice(&enc);
    v.extend_from_slice(b"\r\n");
    (v, markers)
}

/// A forwarded message around `inner` (a part), with its own marker.
fn wrap_part(w: Wrap, inner: Vec<u8>, n: u32, markers: &mut Vec<String>) -> Vec<u8> {
    let m = format!("FWDMARK{n:05}Q");
    let mut msg = format!(
        "From: a@example.jp\r\nSubject: fwd\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"in{n}\"\r\n\r\n--in{n}\r\n"
    )
    .into_bytes();
    msg.extend_from_slice(&text_part(&m));
    msg.extend_from_slice(format!("--in{n}\r\n").as_bytes());
    msg.extend_from_slice(&inner);
    msg.extend_from_slice(format!("--in{n}--\r\n").as_bytes());
    let (head, cte) = match w {
        Wrap::None => return inner,
        Wrap::Forward => ("Content-Type: message/rfc822\r\n", Cte::Identity),
        Wrap::ForwardBase64 => ("Content-Type: message/rfc822\r\n", Cte::Base64),
        Wrap::ForwardQp => ("Content-Type: message/rfc822\r\n", Cte::Qp),
        Wrap::ForwardNamed => (
            "Content-Type: message/rfc822; name=\"fwd.eml\"\r\nContent-Disposition: attachment; filename=\"fwd.eml\"\r\n",
            Cte::Identity,
        ),
    };
    markers.push(m);
    let mut v = head.as_bytes().to_vec();
    match cte {
        Cte::Identity => {
            v.extend_from_slice(b"\r\n");
            v.extend_from_slice(&msg);
        }
        _ => {
            let (name, enc) = encode(&msg, cte);
            v.extend_from_slice(format!("Content-Transfer-Encoding: {name}\r\n\r\n").as_bytes());
            v.extend_from_slice(&enc);
        }
    }
    v
}

/// `name: ` and `data` as base64 folded over continuation lines (76 columns).
fn folded_field(name: &str, data: &[u8]) -> String {
    let enc = base64_simd::STANDARD.encode_to_string(data);
    let lines: Vec<&str> = enc
        .as_bytes()
        .chunks(76)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect();
    format!("{name}: {}\r\n", lines.join("\r\n "))
}

fn build(c: Carrier, p: Payload, cte: Cte, w: Wrap, n: u32) -> (Vec<u8>, Vec<String>, String) {
    let token = format!("PAYLOAD-CARRIER-{n:08x}");
    let (before, after) = (format!("BEFORE{n:05}Q"), format!("AFTER{n:05}Q"));
    let (part, mut markers) = carrier_part(c, p, cte, &token, n);
    let part = wrap_part(w, part, n, &mut markers);
    let data = || match p {
        Payload::Pe => pe(&token),
        Payload::Zip => zip(&token),
        Payload::Script => script(&token, false),
    };
    let field = match c {
        Carrier::Header { subject: false } => folded_field("X-Data", &data()),
        Carrier::Header { subject: true } => folded_field("Subject", &data()),
        _ => "Subject: test\r\n".to_owned(),
    };
    let mut mail = format!("From: s@example.jp\r\nTo: u@lgwan.example\r\n{field}MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"outer\"\r\n\r\n--outer\r\n").into_bytes();
    mail.extend_from_slice(&text_part(&before));
    mail.extend_from_slice(b"--outer\r\n");
    mail.extend_from_slice(&part);
    mail.extend_from_slice(b"--outer\r\n");
    mail.extend_from_slice(&text_part(&after));
    mail.extend_from_slice(b"--outer--\r\n");
    markers.push(before);
    markers.push(after);
    (mail, markers, token)
}

fn check(c: Carrier, p: Payload, cte: Cte, w: Wrap, n: u32) {
    let (mail, markers, token) = build(c, p, cte, w, n);
    let context = format!("{c:?} {p:?} {cte:?} {w:?}");
    let outcome = Sanitizer::new(Policy::default())
        .sanitize(&mail)
        .expect("never an error");
    let out = outcome.to_message();
    let parsed = common::check_structure(&out, &context);
    for m in &markers {
        assert!(
            parsed.body.contains(m.as_str()),
            "{context}: marker {m} missing:\n{}",
            parsed.body
        );
    }
    common::assert_payload_absent(&out, &parsed.body, &token, &context);
    // A field off the allow-list is dropped unread (counted, not an action on the content).
    if !matches!(c, Carrier::Header { subject: false }) {
        assert!(outcome.report.changed(), "{context}: labelled clean");
    }
    if matches!(w, Wrap::ForwardNamed) {
        assert!(
            parsed.body.contains("fwd.eml"),
            "{context}: fwd.eml not named"
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn payloads_never_survive_lying_labels(
        c in carrier(), p in payload(), cte in cte(), w in wrap(), n in any::<u32>()
    ) {
        check(c, p, cte, w, n);
    }
}

/// Every carrier × payload × transfer encoding once, without forwarding, and every wrap once
/// per carrier: the exhaustive core the random cases vary around.
#[test]
fn every_carrier_and_payload() {
    let carriers = [
        Carrier::Text { html: false },
        Carrier::Text { html: true },
        Carrier::Named(0),
        Carrier::Named(1),
        Carrier::Named(2),
        Carrier::Named(3),
        Carrier::DoubleDisposition,
        Carrier::TwoTypes,
        Carrier::Charset(0),
        Carrier::Charset(1),
        Carrier::Charset(2),
        Carrier::Charset(3),
        Carrier::Alternative,
        Carrier::Header { subject: false },
        Carrier::Header { subject: true },
        Carrier::ForwardHeader,
        Carrier::Hidden(0),
        Carrier::Hidden(1),
        Carrier::Hidden(2),
    ];
    let mut n = 0;
    for c in carriers {
        for p in [Payload::Pe, Payload::Zip, Payload::Script] {
            for cte in [Cte::Identity, Cte::Base64, Cte::Qp] {
                n += 1;
                check(c, p, cte, Wrap::None, n);
            }
        }
        for w in [
            Wrap::Forward,
            Wrap::ForwardBase64,
            Wrap::ForwardQp,
            Wrap::ForwardNamed,
        ] {
            n += 1;
            check(c, Payload::Pe, Cte::Base64, w, n);
        }
    }
}

/// The generator is not vacuous: without sanitising, the token is in the mail (raw or in a
/// transfer-encoded form the common checks decode).
#[test]
fn token_is_really_in_the_input() {
    let (mail, _, token) = build(Carrier::Named(0), Payload::Pe, Cte::Identity, Wrap::None, 7);
    assert!(memchr::memmem::find(&mail, token.as_bytes()).is_some());
    // A header carrier: the folded X-Data value decodes to the PE with the token.
    let (mail, _, token) = build(
        Carrier::Header { subject: false },
        Payload::Pe,
        Cte::Identity,
        Wrap::None,
        9,
    );
    let text = String::from_utf8_lossy(&mail);
    let value = text
        .split("X-Data: ")
        .nth(1)
        .unwrap()
        .split("\r\nMIME")
        .next()
        .unwrap();
    let decoded = mugai::parse::transfer::base64(value.as_bytes());
    assert!(memchr::memmem::find(&decoded, token.as_bytes()).is_some());
    let (mail, _, token) = build(
        Carrier::Charset(0),
        Payload::Script,
        Cte::Identity,
        Wrap::None,
        8,
    );
    let (decoded, _) = mugai::parse::charset::utf7_decode(&mail);
    assert!(decoded.contains(&token));
    assert!(decoded.contains("<script>"));
    assert!(memchr::memmem::find(&mail, b"<script").is_none());
}
