//! A proptest generator of well-formed MIME trees, serialised to mail bytes, with the
//! markers that must survive sanitising and the payloads that must not.

#![allow(dead_code)]

use proptest::prelude::*;

/// How a text part is transfer-encoded.
#[derive(Debug, Clone, Copy)]
pub enum Cte {
    SevenBit,
    Base64,
    Qp,
}

/// Charset of a text part.
#[derive(Debug, Clone, Copy)]
pub enum Cs {
    Utf8,
    Iso2022Jp,
    ShiftJis,
}

/// A node of a generated tree. Numbers are turned into unique marker/payload tokens.
#[derive(Debug, Clone)]
pub enum Node {
    Text(u32, Cte, Cs),
    Html(u32, Cte),
    Attachment(u32, &'static str, &'static str),
    Alternative(u32),
    Mixed(Vec<Node>),
    Forward(Box<Node>),
}

/// A serialised tree.
#[derive(Debug, Clone)]
pub struct Generated {
    pub bytes: Vec<u8>,
    pub markers: Vec<String>,
    pub payloads: Vec<String>,
    pub names: Vec<String>,
}

pub fn marker(n: u32) -> String {
    format!("MARKER{n:05}Q")
}

pub fn payload(n: u32) -> String {
    format!("PAYLOAD{n:05}ZZ")
}

fn leaf() -> impl Strategy<Value = Node> {
    let cte = prop_oneof![Just(Cte::SevenBit), Just(Cte::Base64), Just(Cte::Qp)];
    let cs = prop_oneof![Just(Cs::Utf8), Just(Cs::Iso2022Jp), Just(Cs::ShiftJis)];
    let kind = prop_oneof![
        Just(("application/pdf", "資料.pdf")),
        Just(("application/octet-stream", "setup.exe")),
        Just(("image/png", "画像.png")),
        Just(("application/zip", "archive.zip")),
        Just(("text/csv", "一覧.csv")),
    ];
    prop_oneof![
        (any::<u16>(), cte.clone(), cs).prop_map(|(n, c, s)| Node::Text(n as u32, c, s)),
        (any::<u16>(), cte).prop_map(|(n, c)| Node::Html(n as u32, c)),
        (any::<u16>(), kind).prop_map(|(n, (t, f))| Node::Attachment(n as u32, t, f)),
        any::<u16>().prop_map(|n| Node::Alternative(n as u32)),
    ]
}

/// Trees up to 4 levels deep with up to 5 children per multipart.
pub fn tree() -> impl Strategy<Value = Node> {
    leaf().prop_recursive(4, 24, 5, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 1..5).prop_map(Node::Mixed),
            inner.prop_map(|n| Node::Forward(Box::new(n))),
        ]
    })
}

struct Writer {
    out: Vec<u8>,
    markers: Vec<String>,
    payloads: Vec<String>,
    names: Vec<String>,
    boundary: u32,
    seq: u32,
}

impl Writer {
    fn next(&mut self, n: u32) -> u32 {
        // Unique per occurrence, whatever proptest generated.
        self.seq += 1;
        n % 1000 * 100 + self.seq
    }

    fn body(&mut self, data: &[u8], cte: Cte) {
        match cte {
            Cte::SevenBit => {
                self.out
                    .extend_from_slice(b"Content-Transfer-Encoding: 8bit\r\n\r\n");
                self.out.extend_from_slice(data);
                self.out.extend_from_slice(b"\r\n");
            }
            Cte::Base64 => {
                self.out
                    .extend_from_slice(b"Content-Transfer-Encoding: base64\r\n\r\n");
                let enc = base64_simd::STANDARD.encode_to_string(data);
                for chunk in enc.as_bytes().chunks(76) {
                    self.out.extend_from_slice(chunk);
                    self.out.extend_from_slice(b"\r\n");
                }
            }
            Cte::Qp => {
                self.out
                    .extend_from_slice(b"Content-Transfer-Encoding: quoted-printable\r\n\r\n");
                let text = String::from_utf8_lossy(data);
                if data.is_ascii() || std::str::from_utf8(data).is_ok() {
                    self.out
                        .extend_from_slice(&mugai::rebuild::quoted_printable(&text, "\r\n"));
                } else {
                    // Not UTF-8: escape every byte.
                    for b in data {
                        self.out.extend_from_slice(format!("={b:02X}").as_bytes());
                    }
                    self.out.extend_from_slice(b"\r\n");
                }
            }
        }
    }

    fn node(&mut self, node: &Node) {
        match node {
            Node::Text(n, cte, cs) => {
                let m = marker(self.next(*n));
                let text = format!("本文です {m} お知らせ\r\n二行目\r\n");
                let (label, bytes): (&str, Vec<u8>) = match cs {
                    Cs::Utf8 => ("utf-8", text.into_bytes()),
                    Cs::Iso2022Jp => (
                        "ISO-2022-JP",
                        encoding_rs::ISO_2022_JP.encode(&text).0.into_owned(),
                    ),
                    Cs::ShiftJis => (
                        "Shift_JIS",
                        encoding_rs::SHIFT_JIS.encode(&text).0.into_owned(),
                    ),
                };
                self.markers.push(m);
                self.out.extend_from_slice(
                    format!("Content-Type: text/plain; charset={label}\r\n").as_bytes(),
                );
                self.body(&bytes, *cte);
            }
            Node::Html(n, cte) => {
                let id = self.next(*n);
                let m = marker(id);
                let p = payload(id);
                let html = format!(
                    "<html><head><style>p{{color:red}}</style></head><body><p>見出し {m}</p><script>var x='{p}';</script></body></html>"
                );
                self.markers.push(m);
                self.payloads.push(p);
                self.out
                    .extend_from_slice(b"Content-Type: text/html; charset=utf-8\r\n");
                self.body(html.as_bytes(), *cte);
            }
            Node::Attachment(n, ctype, name) => {
                let p = payload(self.next(*n));
                let mut data = match *ctype {
                    "application/pdf" => b"%PDF-1.4\n".to_vec(),
                    "application/octet-stream" => b"MZ\x90\x00".to_vec(),
                    "image/png" => b"\x89PNG\r\n\x1a\n".to_vec(),
                    "application/zip" => b"PK\x03\x04".to_vec(),
                    _ => Vec::new(),
                };
                data.extend_from_slice(p.as_bytes());
                data.extend_from_slice(&[0, 1, 2, 255]);
                self.payloads.push(p);
                self.names.push(name.to_string());
                let encoded_name = format!(
                    "=?UTF-8?B?{}?=",
                    base64_simd::STANDARD.encode_to_string(name.as_bytes())
                );
                self.out.extend_from_slice(
                    format!(
                        "Content-Type: {ctype}; name=\"{encoded_name}\"\r\nContent-Disposition: attachment; filename=\"{encoded_name}\"\r\n"
                    )
                    .as_bytes(),
                );
                self.body(&data, Cte::Base64);
            }
            Node::Alternative(n) => {
                let id = self.next(*n);
                let m = marker(id);
                let p = payload(id);
                self.markers.push(m.clone());
                self.payloads.push(p.clone());
                self.boundary += 1;
                let b = format!("alt{}x", self.boundary);
                self.out.extend_from_slice(
                    format!("Content-Type: multipart/alternative; boundary=\"{b}\"\r\n\r\n--{b}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nテキスト {m}\r\n--{b}\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>HTML {m}</p><!-- {p} -->\r\n--{b}--\r\n").as_bytes(),
                );
            }
            Node::Mixed(children) => {
                self.boundary += 1;
                let b = format!("mix{}x", self.boundary);
                self.out.extend_from_slice(
                    format!("Content-Type: multipart/mixed; boundary=\"{b}\"\r\n\r\n").as_bytes(),
                );
                for c in children {
                    self.out.extend_from_slice(format!("--{b}\r\n").as_bytes());
                    self.node(c);
                }
                self.out
                    .extend_from_slice(format!("--{b}--\r\n").as_bytes());
            }
            Node::Forward(inner) => {
                self.out.extend_from_slice(
                    b"Content-Type: message/rfc822\r\n\r\nFrom: fwd@example.jp\r\nSubject: =?UTF-8?B?6Lui6YCB?=\r\nMIME-Version: 1.0\r\n",
                );
                self.node(inner);
            }
        }
    }
}

/// Serialises `node` as a complete message.
pub fn serialise(node: &Node) -> Generated {
    let mut w = Writer {
        out: b"From: sender@example.jp\r\nTo: user@lgwan.example\r\nSubject: =?UTF-8?B?44OG44K544OI?=\r\nMessage-ID: <gen@example.jp>\r\nMIME-Version: 1.0\r\n".to_vec(),
        markers: Vec::new(),
        payloads: Vec::new(),
        names: Vec::new(),
        boundary: 0,
        seq: 0,
    };
    w.node(node);
    Generated {
        bytes: w.out,
        markers: w.markers,
        payloads: w.payloads,
        names: w.names,
    }
}
