//! `mugai smtp` in process over loopback: a client (this test, speaking raw SMTP) → the
//! filter → a tiny next-hop SMTP server (also this test) that records what it receives and
//! answers as told (250, 451, 550) or is down.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use mugai::frontend::Engine;
use mugai::policy::LineEnding;
use mugai::smtp::{RelayConfig, SmtpConfig, SmtpServer};
use mugai::{Outcome, Policy, Sanitizer};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;

// ---- the next hop ------------------------------------------------------------------

#[derive(Debug, Clone, Default)]
struct Received {
    from: String,
    rcpts: Vec<String>,
    mail_params: String,
    data: Vec<u8>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Answer {
    Ok,
    Temp,
    Perm,
}

#[derive(Clone)]
struct NextHop {
    port: u16,
    got: Arc<Mutex<Vec<Received>>>,
    answer: Arc<Mutex<Answer>>,
    conns: Arc<std::sync::atomic::AtomicUsize>,
}

impl NextHop {
    async fn start() -> NextHop {
        let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let hop = NextHop {
            port: l.local_addr().unwrap().port(),
            got: Arc::default(),
            answer: Arc::new(Mutex::new(Answer::Ok)),
            conns: Arc::default(),
        };
        let h = hop.clone();
        tokio::spawn(async move {
            loop {
                let Ok((s, _)) = l.accept().await else { return };
                h.conns.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let h = h.clone();
                tokio::spawn(async move {
                    let _ = h.session(s).await;
                });
            }
        });
        hop
    }

    fn set(&self, a: Answer) {
        *self.answer.lock().unwrap() = a;
    }

    fn connections(&self) -> usize {
        self.conns.load(std::sync::atomic::Ordering::SeqCst)
    }

    fn received(&self) -> Vec<Received> {
        self.got.lock().unwrap().clone()
    }

    async fn session(&self, s: TcpStream) -> std::io::Result<()> {
        let (r, mut w) = s.into_split();
        let mut r = BufReader::new(r);
        w.write_all(b"220 nexthop ESMTP\r\n").await?;
        let mut cur = Received::default();
        loop {
            let mut line = Vec::new();
            if r.read_until(b'\n', &mut line).await? == 0 {
                return Ok(());
            }
            let text = String::from_utf8_lossy(&line).trim_end().to_string();
            let upper = text.to_ascii_uppercase();
            if upper.starts_with("EHLO") {
                w.write_all(b"250-nexthop\r\n250-PIPELINING\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n")
                    .await?;
            } else if upper.starts_with("MAIL FROM:") {
                let rest = &text[10..];
                let end = rest.find('>').unwrap_or(rest.len());
                cur = Received {
                    from: rest[..end].trim_start_matches('<').to_string(),
                    mail_params: rest[end..].trim_start_matches('>').trim().to_string(),
                    ..Received::default()
                };
                w.write_all(b"250 2.1.0 Ok\r\n").await?;
            } else if upper.starts_with("RCPT TO:") {
                let a = text[8..].trim_start_matches('<');
                let a = a[..a.find('>').unwrap_or(a.len())].to_string();
                // Recipients named "unknown..." do not exist here, "full..." are over quota.
                if a.starts_with("unknown") {
                    w.write_all(b"550 5.1.1 Recipient address rejected: User unknown\r\n")
                        .await?;
                } else if a.starts_with("full") {
                    w.write_all(b"452 4.2.2 Mailbox full\r\n").await?;
                } else {
                    cur.rcpts.push(a);
                    w.write_all(b"250 2.1.5 Ok\r\n").await?;
                }
            } else if upper == "DATA" {
                w.write_all(b"354 go ahead\r\n").await?;
                let mut data = Vec::new();
                loop {
                    let mut l = Vec::new();
                    if r.read_until(b'\n', &mut l).await? == 0 {
                        return Ok(());
                    }
                    if l == b".\r\n" {
                        break;
                    }
                    let l = if l.starts_with(b".") { &l[1..] } else { &l[..] };
                    data.extend_from_slice(l);
                }
                cur.data = data;
                let answer = *self.answer.lock().unwrap();
                match answer {
                    Answer::Ok => {
                        // Recorded before the 250 goes out.
                        self.got.lock().unwrap().push(std::mem::take(&mut cur));
                        w.write_all(b"250 2.0.0 Ok: queued as NH1\r\n").await?;
                    }
                    Answer::Temp => w.write_all(b"451 4.3.0 Next hop busy\r\n").await?,
                    Answer::Perm => w.write_all(b"550 5.7.1 Next hop says no\r\n").await?,
                }
            } else if upper == "QUIT" {
                w.write_all(b"221 2.0.0 Bye\r\n").await?;
                return Ok(());
            } else {
                w.write_all(b"250 2.0.0 Ok\r\n").await?;
            }
        }
    }
}

fn dead_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

// ---- the filter ---------------------------------------------------------------------

struct Filter {
    port: u16,
    stop: Option<oneshot::Sender<()>>,
    done: tokio::task::JoinHandle<()>,
}

impl Filter {
    async fn stop(mut self) {
        let _ = self.stop.take().unwrap().send(());
        tokio::time::timeout(Duration::from_secs(20), self.done)
            .await
            .expect("server stops")
            .unwrap();
    }
}

fn policy() -> Policy {
    let mut p = Policy::default();
    p.output.line_ending = LineEnding::Crlf;
    p
}

async fn filter_with(
    policy: Policy,
    engine: Arc<dyn Engine>,
    next_hop_port: u16,
    tweak: impl FnOnce(&mut SmtpConfig),
) -> Filter {
    let mut config = SmtpConfig::new("127.0.0.1:0");
    config.session.hostname = "filter.test".into();
    tweak(&mut config);
    let mut hop = RelayConfig::parse(&format!("127.0.0.1:{next_hop_port}")).unwrap();
    hop.timeout = Duration::from_secs(10);
    let bound = SmtpServer::new(config, &policy, engine, hop)
        .bind()
        .await
        .unwrap();
    let port = bound.local_addr().port();
    let (tx, rx) = oneshot::channel::<()>();
    let done = tokio::spawn(async move {
        bound
            .run(async {
                let _ = rx.await;
            })
            .await
            .unwrap();
    });
    Filter {
        port,
        stop: Some(tx),
        done,
    }
}

async fn filter(next_hop_port: u16) -> Filter {
    let p = policy();
    filter_with(
        p.clone(),
        Arc::new(Sanitizer::new(p)),
        next_hop_port,
        |_| {},
    )
    .await
}

// ---- the client ---------------------------------------------------------------------

struct Client {
    r: BufReader<tokio::net::tcp::OwnedReadHalf>,
    w: tokio::net::tcp::OwnedWriteHalf,
}

impl Client {
    async fn connect(port: u16) -> (Client, String) {
        let s = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
        let (r, w) = s.into_split();
        let mut c = Client {
            r: BufReader::new(r),
            w,
        };
        let greeting = c.reply().await;
        (c, greeting)
    }

    async fn send(&mut self, bytes: &[u8]) {
        self.w.write_all(bytes).await.unwrap();
    }

    /// One whole (possibly multi-line) reply; empty when the connection closed.
    async fn reply(&mut self) -> String {
        let mut all = String::new();
        loop {
            let mut line = String::new();
            let n = tokio::time::timeout(Duration::from_secs(30), self.r.read_line(&mut line))
                .await
                .expect("reply in time")
                .unwrap();
            if n == 0 {
                return all;
            }
            all.push_str(&line);
            if line.len() < 4 || line.as_bytes()[3] != b'-' {
                return all;
            }
        }
    }

    async fn cmd(&mut self, line: &str) -> String {
        self.send(format!("{line}\r\n").as_bytes()).await;
        self.reply().await
    }

    /// EHLO, MAIL, RCPTs, DATA, the data (dot-stuffed here), the final reply.
    async fn mail(&mut self, from: &str, rcpts: &[&str], data: &[u8]) -> String {
        assert!(self.cmd("EHLO client.test").await.starts_with("250"));
        assert!(
            self.cmd(&format!("MAIL FROM:<{from}>"))
                .await
                .starts_with("250")
        );
        for r in rcpts {
            assert!(self.cmd(&format!("RCPT TO:<{r}>")).await.starts_with("250"));
        }
        assert!(self.cmd("DATA").await.starts_with("354"));
        self.send(&stuff(data)).await;
        self.reply().await
    }

    async fn closed(&mut self) -> bool {
        let mut b = [0u8; 64];
        matches!(
            tokio::time::timeout(Duration::from_secs(10), self.r.read(&mut b)).await,
            Ok(Ok(0)) | Ok(Err(_))
        )
    }
}

fn stuff(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    for line in data.split_inclusive(|&b| b == b'\n') {
        if line.starts_with(b".") {
            out.push(b'.');
        }
        out.extend_from_slice(line);
    }
    if !out.ends_with(b"\r\n") {
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b".\r\n");
    out
}

const PAYLOAD: &str = "MUGAI-EVIL-PAYLOAD-7f3a";

fn mail_with_attachment() -> Vec<u8> {
    let att = base64_simd::STANDARD
        .encode_to_string(format!("MZ fake exe {PAYLOAD} {PAYLOAD}").repeat(10));
    format!(
        "From: a@sender.example\r\nTo: x@lgwan.example\r\nSubject: =?UTF-8?B?5re75LuY?=\r\nMessage-ID: <t1@sender.example>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b1\r\n\r\n--b1\r\nContent-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n<p>本文です <script>alert(1)</script></p>\r\n.a line starting with a dot\r\n\r\n--b1\r\nContent-Type: application/octet-stream; name=\"run.exe\"\r\nContent-Disposition: attachment; filename=\"run.exe\"\r\nContent-Transfer-Encoding: base64\r\n\r\n{att}\r\n--b1--\r\n"
    )
    .into_bytes()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

// ---- tests --------------------------------------------------------------------------

#[tokio::test]
async fn delivered_message_is_sanitised_with_the_exact_envelope() {
    let hop = NextHop::start().await;
    let f = filter(hop.port).await;
    let (mut c, greeting) = Client::connect(f.port).await;
    assert!(greeting.starts_with("220 filter.test ESMTP"), "{greeting}");
    let ehlo = c.cmd("EHLO client.test").await;
    for ext in [
        "PIPELINING",
        "SIZE 67108864",
        "8BITMIME",
        "SMTPUTF8",
        "ENHANCEDSTATUSCODES",
        "XFORWARD",
    ] {
        assert!(ehlo.contains(ext), "{ext} in {ehlo}");
    }
    assert!(
        c.cmd("XFORWARD NAME=client.example ADDR=192.0.2.7 PROTO=ESMTP HELO=client.example")
            .await
            .starts_with("250")
    );
    assert!(
        c.cmd("XFORWARD IDENT=4XyZ SOURCE=REMOTE")
            .await
            .starts_with("250")
    );
    let reply = c
        .mail(
            "a@sender.example",
            &["x@lgwan.example", "y@lgwan.example", "z@other.example"],
            &mail_with_attachment(),
        )
        .await;
    assert!(reply.starts_with("250 2.0.0"), "{reply}");
    // The 250 came after the next hop accepted (it records before answering).
    let got = hop.received();
    assert_eq!(got.len(), 1);
    let m = &got[0];
    assert_eq!(m.from, "a@sender.example");
    assert_eq!(
        m.rcpts,
        ["x@lgwan.example", "y@lgwan.example", "z@other.example"]
    );
    let body = text(&m.data);
    let parsed = mailparse::parse_mail(&m.data).unwrap();
    assert_eq!(parsed.ctype.mimetype, "text/plain");
    assert!(parsed.subparts.is_empty());
    let decoded = parsed.get_body().unwrap();
    assert!(decoded.contains("本文です"), "{decoded}");
    assert!(decoded.contains("run.exe"), "removed attachment listed");
    assert!(decoded.contains(".a line starting with a dot"));
    assert!(!body.contains(PAYLOAD) && !decoded.contains(PAYLOAD));
    assert!(!body.contains("<script>") && !decoded.contains("<script>"));
    assert!(!body.contains("multipart"));
    assert!(
        m.data.windows(2).all(|w| w[1] != b'\n' || w[0] == b'\r'),
        "CRLF only"
    );
    assert!(c.cmd("QUIT").await.starts_with("221"));
    f.stop().await;
}

#[tokio::test]
async fn next_hop_down_or_4xx_is_451_and_5xx_is_passed_back() {
    // Down: the sender is already answered 451 (the next hop decides in step).
    let f = filter(dead_port()).await;
    let (mut c, _) = Client::connect(f.port).await;
    assert!(c.cmd("EHLO x").await.starts_with("250"));
    let r = c.cmd("MAIL FROM:<a@b.example>").await;
    assert!(r.starts_with("451 4."), "{r}");
    assert!(c.cmd("RCPT TO:<c@d.example>").await.starts_with("503"));
    // The session goes on after a failed delivery.
    assert!(c.cmd("NOOP").await.starts_with("250"));
    f.stop().await;

    let hop = NextHop::start().await;
    let f = filter(hop.port).await;
    let (mut c, _) = Client::connect(f.port).await;
    hop.set(Answer::Temp);
    let r = c
        .mail("a@b.example", &["c@d.example"], b"Subject: x\r\n\r\nhi\r\n")
        .await;
    assert!(r.starts_with("451 4."), "{r}");
    hop.set(Answer::Perm);
    let r = c
        .mail("a@b.example", &["c@d.example"], b"Subject: x\r\n\r\nhi\r\n")
        .await;
    assert!(r.starts_with("550 5.7.1"), "{r}");
    assert!(r.contains("Next hop says no"), "{r}");
    assert!(hop.received().is_empty(), "nothing was accepted");
    hop.set(Answer::Ok);
    let r = c
        .mail("a@b.example", &["c@d.example"], b"Subject: x\r\n\r\nhi\r\n")
        .await;
    assert!(r.starts_with("250"), "{r}");
    assert_eq!(hop.received().len(), 1);
    f.stop().await;
}

#[tokio::test]
async fn internal_errors_and_panics_are_451_never_the_original() {
    let hop = NextHop::start().await;
    let engine: Arc<dyn Engine> = Arc::new(|m: &[u8]| -> mugai::Result<Outcome> {
        if m.windows(5).any(|w| w == b"PANIC") {
            panic!("sanitiser blew up");
        }
        Err(mugai::Error::PolicyValue {
            field: "test",
            message: "broken".into(),
        })
    });
    let f = filter_with(policy(), engine, hop.port, |_| {}).await;
    let (mut c, _) = Client::connect(f.port).await;
    let r = c
        .mail(
            "a@b.example",
            &["c@d.example"],
            b"Subject: PANIC\r\n\r\nhi\r\n",
        )
        .await;
    assert!(r.starts_with("451"), "{r}");
    let r = c
        .mail("a@b.example", &["c@d.example"], b"Subject: x\r\n\r\nhi\r\n")
        .await;
    assert!(r.starts_with("451"), "{r}");
    assert!(hop.received().is_empty());
    f.stop().await;
}

#[tokio::test]
async fn pipelining_dot_stuffing_and_8bit_through_bypass() {
    // Bypass relays the original untouched: the next hop must get it byte for byte.
    let hop = NextHop::start().await;
    let mut p = policy();
    p.bypass.senders = vec!["trusted@lgwan.example".into()];
    let f = filter_with(p.clone(), Arc::new(Sanitizer::new(p)), hop.port, |_| {}).await;
    let (mut c, _) = Client::connect(f.port).await;
    let original = "Subject: 8bit テスト\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n.\r\n..\r\n.leading\r\n本文 ａｂｃ\r\nlast line\r\n".as_bytes();
    // All commands in one write (PIPELINING), then the data.
    c.send(
        b"EHLO client.test\r\nMAIL FROM:<trusted@lgwan.example> BODY=8BITMIME SMTPUTF8\r\nRCPT TO:<x@lgwan.example>\r\nRCPT TO:<y@lgwan.example>\r\nDATA\r\n",
    )
    .await;
    assert!(c.reply().await.starts_with("250-"));
    assert!(c.reply().await.starts_with("250 2.1.0"));
    assert!(c.reply().await.starts_with("250 2.1.5"));
    assert!(c.reply().await.starts_with("250 2.1.5"));
    assert!(c.reply().await.starts_with("354"));
    // Data, end and the next transaction's commands in one write.
    let mut burst = stuff(original);
    burst.extend_from_slice(b"RSET\r\nNOOP\r\n");
    c.send(&burst).await;
    let r = c.reply().await;
    assert!(r.starts_with("250 2.0.0"), "{r}");
    assert!(c.reply().await.starts_with("250"));
    assert!(c.reply().await.starts_with("250"));
    let got = hop.received();
    assert_eq!(got.len(), 1);
    assert_eq!(text(&got[0].data), text(original));
    assert_eq!(got[0].data, original);
    assert_eq!(got[0].rcpts, ["x@lgwan.example", "y@lgwan.example"]);
    assert!(
        got[0].mail_params.contains("8BITMIME"),
        "{}",
        got[0].mail_params
    );

    // The sanitised path keeps a leading dot and 8-bit text too.
    let r = c
        .mail("other@sender.example", &["x@lgwan.example"], original)
        .await;
    assert!(r.starts_with("250"), "{r}");
    let got = hop.received();
    let parsed = mailparse::parse_mail(&got[1].data).unwrap();
    let body = parsed.get_body().unwrap();
    assert!(body.contains(".leading"), "{body}");
    assert!(body.contains("本文 ａｂｃ"));
    assert!(text(&got[1].data).contains("X-Mugai"));
    f.stop().await;
}

#[tokio::test]
async fn malformed_commands_get_5xx_and_garbage_is_disconnected() {
    let hop = NextHop::start().await;
    let f = filter(hop.port).await;
    let (mut good, _) = Client::connect(f.port).await;
    assert!(good.cmd("EHLO good").await.starts_with("250"));

    let (mut c, _) = Client::connect(f.port).await;
    assert!(c.cmd("MAIL FROM:<a@b.example>").await.starts_with("503"));
    assert!(c.cmd("HELO").await.starts_with("501"));
    assert!(c.cmd("EHLO x").await.starts_with("250"));
    assert!(c.cmd("RCPT TO:<c@d.example>").await.starts_with("503"));
    assert!(c.cmd("DATA").await.starts_with("503"));
    assert!(c.cmd("MAIL FROM:a@b.example").await.starts_with("501"));
    assert!(
        c.cmd("MAIL FROM:<a@b.example> XYZZY=1")
            .await
            .starts_with("555")
    );
    assert!(
        c.cmd("MAIL FROM:<a@b.example> SIZE=999999999999")
            .await
            .starts_with("552")
    );
    assert!(c.cmd("MAIL FROM:<a@b.example>").await.starts_with("250"));
    assert!(c.cmd("RCPT TO:<not an address>").await.starts_with("5"));
    assert!(c.cmd("DATA").await.starts_with("554"));
    assert!(c.cmd("BDAT 100 LAST").await.starts_with("502"));
    let long = format!("NOOP {}", "x".repeat(5000));
    assert!(c.cmd(&long).await.starts_with("500 5.5.2"));
    assert!(c.cmd("NOOP").await.starts_with("250"));
    assert!(c.cmd("RSET").await.starts_with("250"));

    // Binary garbage: a few errors, then 421 and the connection is closed.
    let (mut g, _) = Client::connect(f.port).await;
    let mut last = String::new();
    for i in 0..30u8 {
        g.send(&[0x16, 0x03, 0x01, i, 0xff, 0x00, b'\r', b'\n'])
            .await;
        last = g.reply().await;
        if last.starts_with("421") || last.is_empty() {
            break;
        }
        assert!(last.starts_with("500"), "{last}");
    }
    assert!(last.starts_with("421"), "{last}");
    assert!(g.closed().await);

    // The others are unaffected.
    let r = good
        .mail("a@b.example", &["c@d.example"], b"Subject: x\r\n\r\nhi\r\n")
        .await;
    assert!(r.starts_with("250"), "{r}");
    assert!(c.cmd("QUIT").await.starts_with("221"));
    f.stop().await;
}

#[tokio::test]
async fn size_limit_recipient_limit_and_session_limit() {
    let hop = NextHop::start().await;
    let mut p = policy();
    p.limits.max_message_bytes = 2000;
    p.limits.on_limit = mugai::policy::OnLimit::Reject;
    let f = filter_with(p.clone(), Arc::new(Sanitizer::new(p)), hop.port, |c| {
        c.session.max_recipients = 2;
        c.max_sessions = 2;
    })
    .await;
    let (mut c, _) = Client::connect(f.port).await;
    assert!(c.cmd("EHLO x").await.contains("SIZE 2000"));
    assert!(
        c.cmd("MAIL FROM:<a@b.example> SIZE=3000")
            .await
            .starts_with("552")
    );
    assert!(c.cmd("MAIL FROM:<a@b.example>").await.starts_with("250"));
    assert!(c.cmd("RCPT TO:<c@d.example>").await.starts_with("250"));
    assert!(c.cmd("RCPT TO:<e@d.example>").await.starts_with("250"));
    assert!(
        c.cmd("RCPT TO:<f@d.example>")
            .await
            .starts_with("452 4.5.3")
    );
    assert!(c.cmd("DATA").await.starts_with("354"));
    let big = format!("Subject: big\r\n\r\n{}\r\n", "y".repeat(70).repeat(50));
    c.send(&stuff(big.as_bytes())).await;
    assert!(c.reply().await.starts_with("552 5.3.4"));
    assert!(hop.received().is_empty());

    // A second connection is fine, a third is refused with 421.
    let (_c2, g2) = Client::connect(f.port).await;
    assert!(g2.starts_with("220"));
    let (mut c3, g3) = Client::connect(f.port).await;
    assert!(g3.starts_with("421"), "{g3}");
    assert!(c3.closed().await);
    f.stop().await;
}

#[tokio::test]
async fn lmtp_gives_one_reply_per_recipient() {
    let hop = NextHop::start().await;
    let p = policy();
    let f = filter_with(p.clone(), Arc::new(Sanitizer::new(p)), hop.port, |c| {
        c.session.lmtp = true;
    })
    .await;
    let (mut c, greeting) = Client::connect(f.port).await;
    assert!(greeting.contains("LMTP"), "{greeting}");
    assert!(c.cmd("EHLO x").await.starts_with("500"));
    assert!(c.cmd("LHLO x").await.starts_with("250"));
    let send = async |c: &mut Client| {
        assert!(c.cmd("MAIL FROM:<a@b.example>").await.starts_with("250"));
        for r in ["x@lgwan.example", "y@lgwan.example", "z@lgwan.example"] {
            assert!(c.cmd(&format!("RCPT TO:<{r}>")).await.starts_with("250"));
        }
        assert!(c.cmd("DATA").await.starts_with("354"));
        c.send(&stuff(&mail_with_attachment())).await;
        let mut replies = Vec::new();
        for _ in 0..3 {
            replies.push(c.reply().await);
        }
        replies
    };
    let replies = send(&mut c).await;
    assert!(
        replies.iter().all(|r| r.starts_with("250 2.0.0")),
        "{replies:?}"
    );
    assert_eq!(hop.received()[0].rcpts.len(), 3);
    hop.set(Answer::Perm);
    let replies = send(&mut c).await;
    assert!(
        replies.iter().all(|r| r.starts_with("550 5.7.1")),
        "{replies:?}"
    );
    hop.set(Answer::Temp);
    let replies = send(&mut c).await;
    assert!(replies.iter().all(|r| r.starts_with("451")), "{replies:?}");
    assert!(c.cmd("NOOP").await.starts_with("250"));
    assert_eq!(hop.received().len(), 1);
    f.stop().await;
}

#[tokio::test]
async fn quarantine_keeps_the_original() {
    let hop = NextHop::start().await;
    let dir = tempfile::tempdir().unwrap();
    let mut p = policy();
    p.quarantine.dir = dir.path().to_path_buf();
    let f = filter_with(p.clone(), Arc::new(Sanitizer::new(p)), hop.port, |_| {}).await;
    let (mut c, _) = Client::connect(f.port).await;
    let original = mail_with_attachment();
    let r = c.mail("a@b.example", &["c@d.example"], &original).await;
    assert!(r.starts_with("250"), "{r}");
    let emls: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.path().extension().is_some_and(|x| x == "eml"))
        .collect();
    assert_eq!(emls.len(), 1);
    assert_eq!(std::fs::read(emls[0].path()).unwrap(), original);
    let meta = std::fs::read_to_string(emls[0].path().with_extension("json")).unwrap();
    assert!(
        meta.contains("\"smtp\"") && meta.contains("c@d.example"),
        "{meta}"
    );
    f.stop().await;
}

#[tokio::test]
async fn shutdown_closes_idle_connections_with_421() {
    let hop = NextHop::start().await;
    let f = filter(hop.port).await;
    let (mut c, _) = Client::connect(f.port).await;
    assert!(c.cmd("EHLO x").await.starts_with("250"));
    let stop = tokio::spawn(f.stop());
    let r = c.reply().await;
    assert!(r.starts_with("421 4.3.2"), "{r}");
    assert!(c.closed().await);
    stop.await.unwrap();
}

#[tokio::test]
async fn next_hop_connections_are_reused() {
    let hop = NextHop::start().await;
    let f = filter(hop.port).await;
    let (mut c, _) = Client::connect(f.port).await;
    for i in 0..3 {
        let r = c
            .mail(
                "a@b.example",
                &["c@d.example"],
                format!("Subject: {i}\r\n\r\nhi\r\n").as_bytes(),
            )
            .await;
        assert!(r.starts_with("250"), "{r}");
    }
    assert_eq!(hop.received().len(), 3);
    assert_eq!(
        hop.connections(),
        1,
        "one connection to the next hop for three mails"
    );
    f.stop().await;
}

#[tokio::test]
async fn international_and_quoted_addresses_reach_the_next_hop_unchanged() {
    let hop = NextHop::start().await;
    let f = filter(hop.port).await;
    let (mut c, _) = Client::connect(f.port).await;
    let r = c
        .mail(
            "送信者@例え.jp",
            &[
                "受信者@lgwan.example",
                "\"quoted local\"@lgwan.example",
                "a.b+c@lgwan.example",
            ],
            b"Subject: x\r\n\r\nhi\r\n",
        )
        .await;
    assert!(r.starts_with("250"), "{r}");
    let got = hop.received();
    assert_eq!(got[0].from, "送信者@例え.jp");
    assert_eq!(
        got[0].rcpts,
        [
            "受信者@lgwan.example",
            "\"quoted local\"@lgwan.example",
            "a.b+c@lgwan.example"
        ]
    );
    assert!(
        got[0].mail_params.contains("SMTPUTF8"),
        "{}",
        got[0].mail_params
    );
    f.stop().await;
}

/// The next hop refuses one of two recipients: that one alone is refused (with the next
/// hop's own code), the other gets the sanitised message.
#[tokio::test]
async fn each_recipient_gets_the_next_hops_own_verdict() {
    let hop = NextHop::start().await;
    let f = filter(hop.port).await;
    let (mut c, _) = Client::connect(f.port).await;
    assert!(c.cmd("EHLO x").await.starts_with("250"));
    assert!(c.cmd("MAIL FROM:<a@b.example>").await.starts_with("250"));
    assert!(
        c.cmd("RCPT TO:<good@lgwan.example>")
            .await
            .starts_with("250")
    );
    let r = c.cmd("RCPT TO:<unknown@lgwan.example>").await;
    assert!(
        r.starts_with("550 5.1.1") && r.contains("User unknown"),
        "{r}"
    );
    let r = c.cmd("RCPT TO:<full@lgwan.example>").await;
    assert!(r.starts_with("451 4."), "{r}");
    assert!(c.cmd("DATA").await.starts_with("354"));
    c.send(&stuff(&mail_with_attachment())).await;
    let r = c.reply().await;
    assert!(r.starts_with("250"), "{r}");
    let got = hop.received();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].rcpts, ["good@lgwan.example"]);
    assert!(!text(&got[0].data).contains(PAYLOAD), "sanitised");
    // All refused: DATA is refused, nothing relayed, the session goes on.
    assert!(c.cmd("MAIL FROM:<a@b.example>").await.starts_with("250"));
    assert!(
        c.cmd("RCPT TO:<unknown2@lgwan.example>")
            .await
            .starts_with("550")
    );
    assert!(c.cmd("DATA").await.starts_with("554"));
    assert!(c.cmd("RSET").await.starts_with("250"));
    let r = c
        .mail("a@b.example", &["c@d.example"], b"Subject: x\r\n\r\nhi\r\n")
        .await;
    assert!(r.starts_with("250"), "{r}");
    assert_eq!(hop.received().len(), 2);
    f.stop().await;
}

/// The same in LMTP: one reply per recipient the next hop accepted.
#[tokio::test]
async fn lmtp_replies_for_the_accepted_recipients() {
    let hop = NextHop::start().await;
    let p = policy();
    let f = filter_with(p.clone(), Arc::new(Sanitizer::new(p)), hop.port, |c| {
        c.session.lmtp = true;
    })
    .await;
    let (mut c, _) = Client::connect(f.port).await;
    assert!(c.cmd("LHLO x").await.starts_with("250"));
    assert!(c.cmd("MAIL FROM:<a@b.example>").await.starts_with("250"));
    assert!(c.cmd("RCPT TO:<x@lgwan.example>").await.starts_with("250"));
    assert!(
        c.cmd("RCPT TO:<unknown@lgwan.example>")
            .await
            .starts_with("550")
    );
    assert!(c.cmd("RCPT TO:<y@lgwan.example>").await.starts_with("250"));
    assert!(c.cmd("DATA").await.starts_with("354"));
    c.send(&stuff(b"Subject: x\r\n\r\nhi\r\n")).await;
    let replies = [c.reply().await, c.reply().await];
    assert!(replies.iter().all(|r| r.starts_with("250")), "{replies:?}");
    assert!(
        c.cmd("NOOP").await.starts_with("250"),
        "exactly two replies"
    );
    assert_eq!(
        hop.received()[0].rcpts,
        ["x@lgwan.example", "y@lgwan.example"]
    );
    f.stop().await;
}

/// SMTP smuggling: `<LF>.<LF>` does not end the data; a second transaction with a spoofed
/// sender hidden behind it is not relayed, and the message holding it is rejected.
#[tokio::test]
async fn bare_lf_dot_does_not_end_data_and_smuggled_mail_is_not_relayed() {
    for end in ["\n.\n", "\r\n.\n", "\n.\r\n"] {
        let hop = NextHop::start().await;
        let f = filter(hop.port).await;
        let (mut c, _) = Client::connect(f.port).await;
        assert!(c.cmd("EHLO x").await.starts_with("250"));
        assert!(c.cmd("MAIL FROM:<a@b.example>").await.starts_with("250"));
        assert!(c.cmd("RCPT TO:<c@lgwan.example>").await.starts_with("250"));
        assert!(c.cmd("DATA").await.starts_with("354"));
        let wire = format!(
            "Subject: first\r\n\r\nhello{end}MAIL FROM:<ceo@city.lg.jp>\r\n\
             RCPT TO:<c@lgwan.example>\r\nDATA\r\nSubject: smuggled\r\n\r\n\
             transfer the money\r\n.\r\nNOOP\r\n"
        );
        c.send(wire.as_bytes()).await;
        let r = c.reply().await;
        assert!(
            r.starts_with("550 5.5.2") && r.contains("bare <LF>"),
            "{end:?}: {r}"
        );
        // The next reply is the NOOP's: the smuggled commands were data.
        assert!(c.reply().await.starts_with("250 2.0.0"), "{end:?}");
        assert!(hop.received().is_empty(), "{end:?}: {:?}", hop.received());
        // The connection goes on.
        let r = c
            .mail(
                "a@b.example",
                &["c@lgwan.example"],
                b"Subject: ok\r\n\r\nhi\r\n",
            )
            .await;
        assert!(r.starts_with("250"), "{r}");
        let got = hop.received();
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].from, "a@b.example");
        assert!(!text(&got[0].data).contains("transfer the money"));
        f.stop().await;
    }
}

/// Address literals (IPv4 and IPv6) and `<postmaster>` are valid RFC 5321 forms; they
/// reach the next hop unchanged.
#[tokio::test]
async fn address_literals_and_postmaster_are_accepted() {
    let hop = NextHop::start().await;
    let f = filter(hop.port).await;
    let (mut c, _) = Client::connect(f.port).await;
    let r = c
        .mail(
            "a@[192.0.2.1]",
            &["postmaster", "b@[IPv6:2001:db8::1]"],
            b"Subject: x\r\n\r\nhi\r\n",
        )
        .await;
    assert!(r.starts_with("250"), "{r}");
    let got = hop.received();
    assert_eq!(got[0].from, "a@[192.0.2.1]");
    assert_eq!(got[0].rcpts, ["postmaster", "b@[IPv6:2001:db8::1]"]);
    // The null sender stays null; <postmaster> as a sender is refused, never made null.
    assert!(c.cmd("MAIL FROM:<postmaster>").await.starts_with("553"));
    let r = c.cmd("RCPT TO:<x@[192.0.2.999]>").await;
    assert!(r.starts_with("503") || r.starts_with("553"), "{r}");
    f.stop().await;
}

/// A stand-in for the core facing a hostile mail (`SLOW-MAIL` in it): on its own it would
/// work for a minute, but with a deadline it stops there, as the core's time budget does.
struct SlowUntilDeadline(Sanitizer);

impl Engine for SlowUntilDeadline {
    fn sanitize(&self, input: &[u8]) -> mugai::Result<Outcome> {
        self.sanitize_until(input, std::time::Instant::now() + Duration::from_secs(60))
    }

    fn sanitize_until(&self, input: &[u8], deadline: std::time::Instant) -> mugai::Result<Outcome> {
        if !text(input).contains("SLOW-MAIL") {
            return self.0.sanitize(input);
        }
        while std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        Err(mugai::Error::Internal("time budget exhausted".into()))
    }
}

/// `--max-concurrent 1 --timeout 3`: 8 slow mails are answered 451 at their time-out and
/// their work stops with it, so the 100 good mails after them are all relayed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_mails_past_their_time_out_do_not_starve_the_next_ones() {
    let hop = NextHop::start().await;
    let p = policy();
    let engine = Arc::new(SlowUntilDeadline(Sanitizer::new(p.clone())));
    let f = filter_with(p, engine, hop.port, |c| {
        c.max_concurrent = 1;
        c.sanitize_timeout = Duration::from_secs(3);
    })
    .await;
    let port = f.port;
    let send = move |body: String| async move {
        let (mut c, _) = Client::connect(port).await;
        c.mail("a@b.example", &["c@lgwan.example"], body.as_bytes())
            .await
    };
    let slow: Vec<_> = (0..8)
        .map(|i| tokio::spawn(send(format!("Subject: slow {i}\r\n\r\nSLOW-MAIL\r\n"))))
        .collect();
    for h in slow {
        let r = h.await.unwrap();
        assert!(r.starts_with("451"), "{r}");
    }
    for round in 0..10 {
        let batch: Vec<_> = (0..10)
            .map(|i| tokio::spawn(send(format!("Subject: good {round}-{i}\r\n\r\nhello\r\n"))))
            .collect();
        for h in batch {
            let r = h.await.unwrap();
            assert!(r.starts_with("250"), "good mail after the slow ones: {r}");
        }
    }
    assert_eq!(hop.received().len(), 100);
    f.stop().await;
}
