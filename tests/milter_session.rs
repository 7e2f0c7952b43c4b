//! The milter server over a real loopback socket, driven by an in-process client that plays
//! the MTA (as Postfix does: negotiation, macros, envelope, header fields, a chunked body,
//! end of message), asserting the replies.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use mugai::milter::codec::*;
use mugai::milter::{Engine, ListenAddr, MilterServer, ServerConfig};
use mugai::{Error, HeaderEdit, Outcome, Policy, Report, Sanitizer};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::oneshot;

/// The MTA side of one milter connection.
struct Mta<S> {
    stream: S,
    buf: BytesMut,
}

fn b(s: &str) -> Bytes {
    Bytes::copy_from_slice(s.as_bytes())
}

impl<S: AsyncRead + AsyncWrite + Unpin> Mta<S> {
    async fn send(&mut self, cmd: Command) {
        let mut out = BytesMut::new();
        cmd.encode(&mut out);
        self.stream.write_all(&out).await.unwrap();
    }

    /// The next reply, or `None` if the filter closed the connection.
    async fn recv(&mut self) -> Option<Response> {
        loop {
            if let Some(frame) = Frame::parse(&mut self.buf, MAX_FRAME_LEN).unwrap() {
                return Some(Response::from_frame(frame).unwrap());
            }
            let n =
                tokio::time::timeout(Duration::from_secs(20), self.stream.read_buf(&mut self.buf))
                    .await
                    .expect("reply within 20 s")
                    .unwrap_or(0);
            if n == 0 {
                return None;
            }
        }
    }

    /// Replies up to and including the final one of a message, skipping progress.
    async fn final_replies(&mut self) -> Vec<Response> {
        let mut out = Vec::new();
        loop {
            let r = self.recv().await.expect("connection open");
            match r {
                Response::Progress => continue,
                Response::Accept
                | Response::Continue
                | Response::TempFail
                | Response::Reject
                | Response::Discard
                | Response::ReplyCode(_) => {
                    out.push(r);
                    return out;
                }
                other => out.push(other),
            }
        }
    }

    async fn negotiate(&mut self) -> Response {
        self.send(Command::OptNeg {
            version: 6,
            actions: 0x1ff,
            protocol: 0x001f_ffff,
        })
        .await;
        self.recv().await.unwrap()
    }

    /// Envelope and header fields as Postfix sends them; returns the reply to EOH.
    async fn envelope(
        &mut self,
        sender: &str,
        rcpts: &[&str],
        headers: &[(&str, &str)],
    ) -> Response {
        self.send(Command::Macro {
            stage: SMFIC_MAIL,
            pairs: vec![(b("i"), b("4QUEUE1")), (b("{mail_addr}"), b(sender))],
        })
        .await;
        self.send(Command::Mail(vec![
            b(&format!("<{sender}>")),
            b("SIZE=100"),
        ]))
        .await;
        for r in rcpts {
            self.send(Command::Macro {
                stage: SMFIC_RCPT,
                pairs: vec![(b("{rcpt_addr}"), b(r))],
            })
            .await;
            self.send(Command::Rcpt(vec![b(&format!("<{r}>"))])).await;
        }
        for (n, v) in headers {
            self.send(Command::Header {
                name: b(n),
                value: b(v),
            })
            .await;
        }
        self.send(Command::Eoh).await;
        self.recv().await.unwrap()
    }

    async fn body(&mut self, body: &[u8], chunk: usize) -> Vec<Response> {
        for c in body.chunks(chunk) {
            self.send(Command::Body(Bytes::copy_from_slice(c))).await;
        }
        self.send(Command::BodyEob(Bytes::new())).await;
        self.final_replies().await
    }
}

struct Running {
    addr: String,
    stop: Option<oneshot::Sender<()>>,
    done: tokio::task::JoinHandle<()>,
}

impl Running {
    async fn connect(&self) -> Mta<TcpStream> {
        let a = self.addr.strip_prefix("inet:").unwrap();
        Mta {
            stream: TcpStream::connect(a).await.unwrap(),
            buf: BytesMut::new(),
        }
    }

    async fn stop(mut self) {
        let _ = self.stop.take().unwrap().send(());
        tokio::time::timeout(Duration::from_secs(20), self.done)
            .await
            .expect("server stops")
            .unwrap();
    }
}

async fn start_with(
    policy: Policy,
    engine: Arc<dyn Engine>,
    tweak: impl FnOnce(&mut ServerConfig),
) -> Running {
    let mut config = ServerConfig::new(ListenAddr::Tcp("127.0.0.1:0".into()));
    config.progress_interval = Duration::from_millis(100);
    tweak(&mut config);
    let bound = MilterServer::new(config, &policy, engine)
        .bind()
        .await
        .unwrap();
    let addr = bound.local_addr().to_string();
    let (tx, rx) = oneshot::channel::<()>();
    let done = tokio::spawn(async move {
        bound
            .run(async {
                let _ = rx.await;
            })
            .await
            .unwrap();
    });
    Running {
        addr,
        stop: Some(tx),
        done,
    }
}

async fn start(engine: Arc<dyn Engine>) -> Running {
    start_with(Policy::default(), engine, |_| {}).await
}

/// A stand-in for the core: deletes Content-Type, tags the Subject, adds a header and
/// replaces the body with a text that shows what it received.
fn fake_engine() -> Arc<dyn Engine> {
    Arc::new(|input: &[u8]| -> mugai::Result<Outcome> {
        let text = String::from_utf8_lossy(input).into_owned();
        let mut report = Report {
            original_sha256: "ab".repeat(32),
            message_id: Some("<fake@x>".into()),
            ..Report::default()
        };
        report.act(mugai::Action::AttachmentsRemoved);
        Ok(Outcome {
            header_edits: vec![
                HeaderEdit::Delete {
                    name: "Content-Type".into(),
                    index: 1,
                },
                HeaderEdit::Change {
                    name: "Subject".into(),
                    index: 1,
                    value: "[sanitised] hello".into(),
                },
                HeaderEdit::Add {
                    name: "X-Mugai-Sanitized".into(),
                    value: "attachments-removed;\r\n policy=default".into(),
                },
            ],
            headers: Vec::new(),
            body: format!("received {} bytes\r\n{}", input.len(), text.len()).into_bytes(),
            line_ending: "\r\n",
            report,
            not_a_mail: false,
        })
    })
}

const HTML_MAIL_HEADERS: &[(&str, &str)] = &[
    ("From", "Sender <a@internet.example>"),
    ("To", "b@city.lg.jp"),
    ("Subject", "hello"),
    ("Message-ID", "<m1@internet.example>"),
    ("MIME-Version", "1.0"),
    ("Content-Type", "multipart/mixed;\n\tboundary=\"XX\""),
];

fn html_mail_body() -> Vec<u8> {
    let mut body = String::from(
        "--XX\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<html><body><p>本文 <b>bold</b> <a href=\"https://evil.example/x\">link</a></p><script>alert(1)</script></body></html>\r\n\
         --XX\r\nContent-Type: application/octet-stream; name=\"invoice.exe\"\r\nContent-Transfer-Encoding: base64\r\nContent-Disposition: attachment; filename=\"invoice.exe\"\r\n\r\n",
    );
    for _ in 0..3000 {
        body.push_str("TVqQAAMAAAAEAAAA//8AALgAAAAAAAAAQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\r\n");
    }
    body.push_str("--XX--\r\n");
    body.into_bytes()
}

#[tokio::test]
async fn negotiation_offers_the_needed_actions_only() {
    let server = start(fake_engine()).await;
    let mut mta = server.connect().await;
    let Response::OptNeg {
        version,
        actions,
        protocol,
    } = mta.negotiate().await
    else {
        panic!()
    };
    assert_eq!(version, 6);
    assert_eq!(actions, SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_CHGBODY);
    assert_ne!(protocol & SMFIP_NR_BODY, 0);
    assert_ne!(protocol & SMFIP_NOHELO, 0);
    mta.send(Command::Quit).await;
    assert_eq!(mta.recv().await, None);
    server.stop().await;
}

#[tokio::test]
async fn refuses_an_mta_that_cannot_replace_the_body() {
    let server = start(fake_engine()).await;
    let mut mta = server.connect().await;
    mta.send(Command::OptNeg {
        version: 6,
        actions: SMFIF_ADDHDRS | SMFIF_CHGHDRS,
        protocol: 0x1fffff,
    })
    .await;
    assert_eq!(
        mta.recv().await,
        None,
        "connection closed without an answer"
    );
    server.stop().await;
}

#[tokio::test]
async fn message_gets_header_edits_and_new_body_in_order() {
    let server = start(fake_engine()).await;
    let mut mta = server.connect().await;
    mta.negotiate().await;
    mta.send(Command::Connect {
        hostname: b("mx.internet.example"),
        family: b'4',
        port: 40000,
        address: b("192.0.2.1"),
    })
    .await;
    assert_eq!(
        mta.envelope("a@internet.example", &["b@city.lg.jp"], HTML_MAIL_HEADERS)
            .await,
        Response::Continue
    );
    let body = html_mail_body();
    let replies = mta.body(&body, 65535).await;
    let header_len: usize = HTML_MAIL_HEADERS
        .iter()
        .map(|(n, v)| n.len() + 2 + v.len() + v.matches('\n').count() + 2)
        .sum();
    let expected_len = header_len + 2 + body.len();
    assert_eq!(
        replies,
        vec![
            Response::ChgHeader {
                index: 1,
                name: b("Content-Type"),
                value: Bytes::new()
            },
            Response::ChgHeader {
                index: 1,
                name: b("Subject"),
                value: b("[sanitised] hello")
            },
            Response::AddHeader {
                name: b("X-Mugai-Sanitized"),
                value: b("attachments-removed;\n policy=default")
            },
            Response::ReplBody(b(&format!(
                "received {expected_len} bytes\r\n{expected_len}"
            ))),
            Response::Accept,
        ]
    );
    server.stop().await;
}

#[tokio::test]
async fn internal_error_panic_and_timeout_answer_tempfail() {
    let engines: Vec<(Arc<dyn Engine>, &str)> = vec![
        (
            Arc::new(|_: &[u8]| -> mugai::Result<Outcome> { Err(Error::Internal("test".into())) }),
            "error",
        ),
        (
            Arc::new(|_: &[u8]| -> mugai::Result<Outcome> { panic!("test panic") }),
            "panic",
        ),
        (
            Arc::new(|_: &[u8]| -> mugai::Result<Outcome> {
                std::thread::sleep(Duration::from_secs(3));
                Err(Error::Internal("late".into()))
            }),
            "timeout",
        ),
    ];
    for (engine, what) in engines {
        let server = start_with(Policy::default(), engine, |c| {
            c.sanitize_timeout = Duration::from_millis(700);
        })
        .await;
        let mut mta = server.connect().await;
        mta.negotiate().await;
        mta.envelope("a@internet.example", &["b@city.lg.jp"], HTML_MAIL_HEADERS)
            .await;
        let replies = mta.body(b"text\r\n", 100).await;
        assert_eq!(replies, vec![Response::TempFail], "{what}");
        // The connection stays usable.
        mta.send(Command::Abort).await;
        mta.send(Command::Quit).await;
        assert_eq!(mta.recv().await, None);
        server.stop().await;
    }
}

#[tokio::test]
async fn policy_rejection_answers_a_reply_code() {
    let engine: Arc<dyn Engine> = Arc::new(|_: &[u8]| -> mugai::Result<Outcome> {
        Err(Error::Rejected {
            reason: "too many MIME parts".into(),
        })
    });
    let server = start(engine).await;
    let mut mta = server.connect().await;
    mta.negotiate().await;
    mta.envelope("a@x.example", &["b@city.lg.jp"], &[("Subject", "x")])
        .await;
    let replies = mta.body(b"text\r\n", 100).await;
    let [Response::ReplyCode(code)] = &replies[..] else {
        panic!("{replies:?}")
    };
    assert!(code.starts_with(b"554 5.6.0 "), "{code:?}");
    server.stop().await;
}

#[tokio::test]
async fn bypassed_envelope_is_accepted_untouched() {
    let mut policy = Policy::default();
    policy.bypass.senders = vec!["city.lg.jp".into()];
    let calls = Arc::new(AtomicUsize::new(0));
    let c = calls.clone();
    let engine: Arc<dyn Engine> = Arc::new(move |i: &[u8]| {
        c.fetch_add(1, Ordering::SeqCst);
        fake_engine().sanitize(i)
    });
    let server = start_with(policy, engine, |_| {}).await;
    let mut mta = server.connect().await;
    mta.negotiate().await;
    assert_eq!(
        mta.envelope("clerk@sub.city.lg.jp", &["b@city.lg.jp"], HTML_MAIL_HEADERS)
            .await,
        Response::Accept
    );
    // The next message on the connection, from outside, is sanitised.
    mta.envelope("a@internet.example", &["b@city.lg.jp"], HTML_MAIL_HEADERS)
        .await;
    let replies = mta.body(b"x\r\n", 10).await;
    assert_eq!(replies.last(), Some(&Response::Accept));
    assert!(replies.iter().any(|r| matches!(r, Response::ReplBody(_))));
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    server.stop().await;
}

#[tokio::test]
async fn several_messages_per_connection_and_abort() {
    let server = start(fake_engine()).await;
    let mut mta = server.connect().await;
    mta.negotiate().await;
    for i in 0..5 {
        mta.envelope(
            "a@internet.example",
            &["b@city.lg.jp", "c@city.lg.jp"],
            HTML_MAIL_HEADERS,
        )
        .await;
        if i == 2 {
            // RSET in the middle of the body: no answer, state reset.
            mta.send(Command::Body(b("partial"))).await;
            mta.send(Command::Abort).await;
            continue;
        }
        let body = format!("message {i}\r\n");
        let replies = mta.body(body.as_bytes(), 3).await;
        assert_eq!(replies.last(), Some(&Response::Accept), "message {i}");
        let Some(Response::ReplBody(new)) =
            replies.iter().find(|r| matches!(r, Response::ReplBody(_)))
        else {
            panic!()
        };
        let header_len: usize = HTML_MAIL_HEADERS
            .iter()
            .map(|(n, v)| n.len() + 2 + v.len() + v.matches('\n').count() + 2)
            .sum();
        let expected = header_len + 2 + body.len();
        assert!(
            new.starts_with(format!("received {expected} bytes").as_bytes()),
            "message {i}: {new:?}"
        );
    }
    mta.send(Command::QuitNc).await;
    // A new SMTP session on the same socket.
    mta.envelope(
        "a@internet.example",
        &["b@city.lg.jp"],
        &[("Subject", "again")],
    )
    .await;
    assert_eq!(mta.body(b"x\r\n", 10).await.last(), Some(&Response::Accept));
    server.stop().await;
}

#[tokio::test]
async fn malformed_unknown_and_oversized_frames_close_the_connection() {
    let server = start(fake_engine()).await;
    let cases: Vec<Vec<u8>> = vec![
        vec![0, 0, 0, 1, b'Z'],                   // unknown command
        vec![0, 0, 0, 5, b'O', 0, 0, 0, 6],       // short OPTNEG
        vec![0x7f, 0xff, 0xff, 0xff, b'B', 1, 2], // oversized
        vec![0, 0, 0, 0],                         // empty
    ];
    for raw in cases {
        let mut mta = server.connect().await;
        mta.stream.write_all(&raw).await.unwrap();
        assert_eq!(mta.recv().await, None, "{raw:?}");
    }
    // Commands before negotiation.
    let mut mta = server.connect().await;
    mta.send(Command::Eoh).await;
    assert_eq!(mta.recv().await, None);
    // The server is still fine.
    let mut mta = server.connect().await;
    assert!(matches!(mta.negotiate().await, Response::OptNeg { .. }));
    server.stop().await;
}

#[tokio::test]
async fn oversized_message_is_refused_per_policy() {
    let mut policy = Policy::default();
    policy.limits.max_message_bytes = 10_000;
    policy.limits.on_limit = mugai::policy::OnLimit::Reject;
    let server = start_with(policy, fake_engine(), |_| {}).await;
    let mut mta = server.connect().await;
    mta.negotiate().await;
    mta.envelope("a@internet.example", &["b@city.lg.jp"], HTML_MAIL_HEADERS)
        .await;
    let replies = mta.body(&vec![b'a'; 50_000], 4096).await;
    let [Response::ReplyCode(code)] = &replies[..] else {
        panic!("{replies:?}")
    };
    assert!(code.starts_with(b"552 5.3.4 "), "{code:?}");
    server.stop().await;
}

#[tokio::test]
async fn slow_sanitising_does_not_stall_other_connections() {
    // Two slots, each message takes 1.5 s: a bypassed message on another connection is
    // still answered at once, and the queued ones get SMFIR_PROGRESS while they wait.
    let mut policy = Policy::default();
    policy.bypass.senders = vec!["city.lg.jp".into()];
    let engine: Arc<dyn Engine> = Arc::new(|i: &[u8]| {
        std::thread::sleep(Duration::from_millis(1500));
        fake_engine().sanitize(i)
    });
    let server = Arc::new(start_with(policy, engine, |c| c.max_concurrent = 2).await);
    let mut slow = Vec::new();
    for _ in 0..4 {
        let mut mta = server.connect().await;
        mta.negotiate().await;
        mta.envelope("a@internet.example", &["b@city.lg.jp"], HTML_MAIL_HEADERS)
            .await;
        slow.push(tokio::spawn(async move {
            let started = Instant::now();
            for c in [&b"x\r\n"[..]] {
                mta.send(Command::Body(Bytes::copy_from_slice(c))).await;
            }
            mta.send(Command::BodyEob(Bytes::new())).await;
            let mut progress = 0;
            loop {
                match mta.recv().await.unwrap() {
                    Response::Progress => progress += 1,
                    Response::Accept => break,
                    _ => {}
                }
            }
            (started.elapsed(), progress)
        }));
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let t = Instant::now();
    let mut mta = server.connect().await;
    mta.negotiate().await;
    assert_eq!(
        mta.envelope("clerk@city.lg.jp", &["b@city.lg.jp"], HTML_MAIL_HEADERS)
            .await,
        Response::Accept
    );
    assert!(
        t.elapsed() < Duration::from_millis(500),
        "{:?}",
        t.elapsed()
    );
    let mut results = Vec::new();
    for h in slow {
        results.push(h.await.unwrap());
    }
    results.sort();
    // Two ran at once, two waited for a slot.
    assert!(results[3].0 >= Duration::from_millis(2800), "{results:?}");
    assert!(
        results[3].1 >= 5,
        "progress sent while waiting: {results:?}"
    );
    Arc::try_unwrap(server).ok().unwrap().stop().await;
}

#[tokio::test]
async fn shutdown_finishes_the_message_in_flight() {
    let engine: Arc<dyn Engine> = Arc::new(|i: &[u8]| {
        std::thread::sleep(Duration::from_millis(800));
        fake_engine().sanitize(i)
    });
    let server = start(engine).await;
    let mut idle = server.connect().await;
    idle.negotiate().await;
    let mut mta = server.connect().await;
    mta.negotiate().await;
    mta.envelope("a@internet.example", &["b@city.lg.jp"], HTML_MAIL_HEADERS)
        .await;
    mta.send(Command::BodyEob(b("x\r\n"))).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    let addr = server.addr.clone();
    let stopping = tokio::spawn(server.stop());
    let replies = mta.final_replies().await;
    assert_eq!(replies.last(), Some(&Response::Accept));
    assert_eq!(idle.recv().await, None, "idle connection closed");
    tokio::time::timeout(Duration::from_secs(5), stopping)
        .await
        .unwrap()
        .unwrap();
    assert!(
        TcpStream::connect(addr.strip_prefix("inet:").unwrap())
            .await
            .is_err(),
        "no longer listening"
    );
}

#[tokio::test]
async fn quarantine_keeps_the_original() {
    let dir = tempfile::tempdir().unwrap();
    let mut policy = Policy::default();
    policy.quarantine.dir = dir.path().join("q");
    let server = start_with(policy.clone(), fake_engine(), |_| {}).await;
    let mut mta = server.connect().await;
    mta.negotiate().await;
    mta.envelope("a@internet.example", &["b@city.lg.jp"], HTML_MAIL_HEADERS)
        .await;
    let replies = mta.body(b"original body\r\n", 100).await;
    assert_eq!(replies.last(), Some(&Response::Accept));
    let q = mugai::quarantine::Quarantine::new(policy.quarantine.dir.clone());
    let entries = q.list().unwrap();
    assert_eq!(entries.len(), 1);
    let meta = &entries[0];
    assert_eq!(meta.id, "ab".repeat(12));
    assert_eq!(meta.sender, "a@internet.example");
    assert_eq!(meta.recipients, vec!["b@city.lg.jp".to_string()]);
    assert_eq!(meta.queue_id.as_deref(), Some("4QUEUE1"));
    let original = String::from_utf8(q.original(&meta.id).unwrap()).unwrap();
    assert!(original.starts_with("From: Sender <a@internet.example>\r\n"));
    assert!(
        original.contains(
            "Content-Type: multipart/mixed;\r\n\tboundary=\"XX\"\r\n\r\noriginal body\r\n"
        )
    );
    server.stop().await;

    // A quarantine that cannot be written: fail closed.
    let mut policy = Policy::default();
    let blocker = dir.path().join("file");
    std::fs::write(&blocker, b"x").unwrap();
    policy.quarantine.dir = blocker.join("q");
    let server = start_with(policy, fake_engine(), |_| {}).await;
    let mut mta = server.connect().await;
    mta.negotiate().await;
    mta.envelope("a@internet.example", &["b@city.lg.jp"], HTML_MAIL_HEADERS)
        .await;
    assert_eq!(mta.body(b"x\r\n", 100).await, vec![Response::TempFail]);
    server.stop().await;
}

#[tokio::test]
async fn unix_socket_listener() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("milter.sock");
    let config = ServerConfig::new(format!("unix:{}", path.display()).parse().unwrap());
    let bound = MilterServer::new(config, &Policy::default(), fake_engine())
        .bind()
        .await
        .unwrap();
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
        0o660
    );
    let (tx, rx) = oneshot::channel::<()>();
    let done = tokio::spawn(bound.run(async {
        let _ = rx.await;
    }));
    let mut mta = Mta {
        stream: tokio::net::UnixStream::connect(&path).await.unwrap(),
        buf: BytesMut::new(),
    };
    mta.negotiate().await;
    mta.envelope("a@internet.example", &["b@city.lg.jp"], HTML_MAIL_HEADERS)
        .await;
    assert_eq!(mta.body(b"x\r\n", 10).await.last(), Some(&Response::Accept));
    tx.send(()).unwrap();
    done.await.unwrap().unwrap();
    assert!(!path.exists(), "socket removed on shutdown");
}

/// With the real core: the HTML mail with an executable comes back as text/plain.
#[tokio::test]
async fn real_sanitizer_replaces_html_and_attachment_with_text() {
    let policy = Policy::default();
    let server = start_with(policy.clone(), Arc::new(Sanitizer::new(policy)), |_| {}).await;
    let mut mta = server.connect().await;
    mta.negotiate().await;
    mta.envelope("a@internet.example", &["b@city.lg.jp"], HTML_MAIL_HEADERS)
        .await;
    let replies = mta.body(&html_mail_body(), 65535).await;
    assert_eq!(replies.last(), Some(&Response::Accept), "{replies:?}");
    let body: Vec<u8> = replies
        .iter()
        .filter_map(|r| match r {
            Response::ReplBody(c) => Some(c.to_vec()),
            _ => None,
        })
        .flatten()
        .collect();
    assert!(!body.is_empty());
    assert!(
        replies
            .iter()
            .all(|r| !matches!(r, Response::ReplBody(c) if c.len() > MILTER_CHUNK_SIZE))
    );
    // Every line ends with CRLF.
    assert!(!body.windows(2).any(|w| w[1] == b'\n' && w[0] != b'\r'));
    let text = String::from_utf8_lossy(&body);
    assert!(!text.contains("<script"), "{text}");
    assert!(!text.contains("TVqQAAMAAAAEAAAA"), "{text}");
    assert!(
        text.contains("hxxps://evil[.]example/x"),
        "link defanged: {text}"
    );
    assert!(text.contains("invoice.exe"), "removed item listed: {text}");
    assert!(
        text.contains("=E6=9C=AC=E6=96=87"),
        "Japanese text kept: {text}"
    );
    // The Content-Type becomes text/plain.
    let ct = replies.iter().find_map(|r| match r {
        Response::ChgHeader { name, value, .. }
            if name.eq_ignore_ascii_case(b"content-type") && !value.is_empty() =>
        {
            Some(String::from_utf8_lossy(value).into_owned())
        }
        Response::AddHeader { name, value } if name.eq_ignore_ascii_case(b"content-type") => {
            Some(String::from_utf8_lossy(value).into_owned())
        }
        _ => None,
    });
    assert!(
        ct.as_deref().is_some_and(|v| v.starts_with("text/plain")),
        "{replies:?}"
    );
    server.stop().await;
}

/// The `mugai milter` binary: start-up line, a real message, SIGTERM → exit 0.
#[tokio::test]
async fn milter_binary_serves_and_exits_zero_on_sigterm() {
    use std::io::{BufRead, BufReader};
    use std::process::{Command as Proc, Stdio};
    let mut child = Proc::new(env!("CARGO_BIN_EXE_mugai"))
        .args(["milter", "--listen", "inet:127.0.0.1:0"])
        .env("RUST_LOG", "info")
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut addr = None;
    let mut line = String::new();
    while stderr.read_line(&mut line).unwrap() > 0 {
        if let Some(i) = line.find("listening on inet:") {
            let rest = &line[i + "listening on inet:".len()..];
            addr = Some(rest.split_whitespace().next().unwrap().to_string());
            assert!(line.contains("policy `default`"), "{line}");
            break;
        }
        line.clear();
    }
    let addr = addr.expect("start-up line");
    let mut mta = Mta {
        stream: TcpStream::connect(&addr).await.unwrap(),
        buf: BytesMut::new(),
    };
    mta.negotiate().await;
    mta.envelope("a@internet.example", &["b@city.lg.jp"], HTML_MAIL_HEADERS)
        .await;
    let replies = mta.body(&html_mail_body(), 65535).await;
    assert_eq!(replies.last(), Some(&Response::Accept), "{replies:?}");
    // The rest of the log (audit line, shutdown) is read on a thread.
    let log = std::thread::spawn(move || {
        let mut rest = String::new();
        let _ = std::io::Read::read_to_string(&mut stderr, &mut rest);
        rest
    });
    let pid = child.id().to_string();
    assert!(
        Proc::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    let status = child.wait().unwrap();
    assert!(status.success(), "{status:?}");
    let log = log.join().unwrap();
    assert!(log.contains("mugai::audit"), "{log}");
    assert!(log.contains("invoice.exe"), "{log}");
    assert!(log.contains("mugai milter stopped"), "{log}");
}

/// With the real core and quarantine on: the original is stored under the id the notice
/// shows.
#[tokio::test]
async fn real_sanitizer_notice_shows_the_quarantine_id() {
    let dir = tempfile::tempdir().unwrap();
    let mut policy = Policy::default();
    policy.quarantine.dir = dir.path().join("q");
    let server = start_with(
        policy.clone(),
        Arc::new(Sanitizer::new(policy.clone())),
        |_| {},
    )
    .await;
    let mut mta = server.connect().await;
    mta.negotiate().await;
    mta.envelope("a@internet.example", &["b@city.lg.jp"], HTML_MAIL_HEADERS)
        .await;
    let replies = mta.body(&html_mail_body(), 65535).await;
    assert_eq!(replies.last(), Some(&Response::Accept));
    let body: Vec<u8> = replies
        .iter()
        .filter_map(|r| match r {
            Response::ReplBody(c) => Some(c.to_vec()),
            _ => None,
        })
        .flatten()
        .collect();
    let text = String::from_utf8_lossy(&body).replace("=\r\n", "");
    let entries = mugai::quarantine::Quarantine::new(&policy.quarantine.dir)
        .list()
        .unwrap();
    assert_eq!(entries.len(), 1);
    assert!(
        text.contains(&entries[0].id),
        "{} not in {text}",
        entries[0].id
    );
    server.stop().await;
}

/// A stand-in for the core facing a hostile mail (body `SLOW-MAIL`): on its own it would
/// work for a minute, but with a deadline it stops there, as the core's time budget does.
/// Other mails go to [`fake_engine`].
struct SlowUntilDeadline;

impl Engine for SlowUntilDeadline {
    fn sanitize(&self, input: &[u8]) -> mugai::Result<Outcome> {
        self.sanitize_until(input, Instant::now() + Duration::from_secs(60))
    }

    fn sanitize_until(&self, input: &[u8], deadline: Instant) -> mugai::Result<Outcome> {
        if !input.ends_with(b"SLOW-MAIL\r\n") {
            return fake_engine().sanitize(input);
        }
        while Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        Err(Error::Internal("time budget exhausted".into()))
    }
}

/// One message on a new connection; the final reply.
async fn one_message(server: &Running, body: &[u8]) -> Response {
    let mut mta = server.connect().await;
    mta.negotiate().await;
    mta.envelope("a@internet.example", &["b@city.lg.jp"], HTML_MAIL_HEADERS)
        .await;
    let replies = mta.body(body, 65535).await;
    replies.last().cloned().expect("a final reply")
}

/// `--max-concurrent 1 --timeout 3`: 8 slow mails run into their time-out (tempfail), and
/// their work stops with it, so the 100 good mails after them all get through. (Before
/// the deadline was passed to the engine, each slow mail kept the only slot for its whole
/// minute and every good mail behind it was answered TEMPFAIL.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_mails_past_their_time_out_do_not_starve_the_next_ones() {
    let server = Arc::new(
        start_with(Policy::default(), Arc::new(SlowUntilDeadline), |c| {
            c.max_concurrent = 1;
            c.sanitize_timeout = Duration::from_secs(3);
        })
        .await,
    );
    let slow: Vec<_> = (0..8)
        .map(|_| {
            let s = server.clone();
            tokio::spawn(async move { one_message(&s, b"SLOW-MAIL\r\n").await })
        })
        .collect();
    for h in slow {
        assert_eq!(h.await.unwrap(), Response::TempFail);
    }
    let mut good = 0;
    for round in 0..10 {
        let batch: Vec<_> = (0..10)
            .map(|i| {
                let s = server.clone();
                let body = format!("good mail {round}-{i}\r\n");
                tokio::spawn(async move { one_message(&s, body.as_bytes()).await })
            })
            .collect();
        for h in batch {
            let r = h.await.unwrap();
            assert_eq!(r, Response::Accept, "good mail after the slow ones");
            good += 1;
        }
    }
    assert_eq!(good, 100);
    Arc::try_unwrap(server).ok().unwrap().stop().await;
}
