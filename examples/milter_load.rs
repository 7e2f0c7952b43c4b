//! Load generator for a running `mugai milter`: plays the MTA side (as Postfix does) for a
//! set of `.eml` files over several connections and reports throughput, latency and, when
//! given the milter's pid, its CPU time per message (from `/proc/PID/stat`).
//!
//! ```text
//! cargo run --release --example milter_load -- inet:127.0.0.1:8890 testdata/mails 2000 8 [PID]
//! ```
//! Only for loopback or unix sockets of a milter you started yourself.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use mugai::milter::codec::{Command, Frame, MAX_FRAME_LEN, Response};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

fn split_message(raw: &[u8]) -> (Vec<(Bytes, Bytes)>, Vec<u8>) {
    let text = raw;
    let (head, body) = match memchr::memmem::find(text, b"\r\n\r\n") {
        Some(i) => (&text[..i + 2], &text[i + 4..]),
        None => match memchr::memmem::find(text, b"\n\n") {
            Some(i) => (&text[..i + 1], &text[i + 2..]),
            None => (text, &text[text.len()..]),
        },
    };
    let head = String::from_utf8_lossy(head).replace("\r\n", "\n");
    let mut fields: Vec<(String, String)> = Vec::new();
    for line in head.split('\n') {
        if line.is_empty() {
            continue;
        }
        if line.starts_with([' ', '\t']) {
            if let Some(last) = fields.last_mut() {
                last.1.push('\n');
                last.1.push_str(line);
            }
        } else if let Some((n, v)) = line.split_once(':') {
            fields.push((n.to_string(), v.strip_prefix(' ').unwrap_or(v).to_string()));
        }
    }
    // Body with CRLF line ends, as the MTA sends it.
    let mut crlf = Vec::with_capacity(body.len() + body.len() / 30);
    let mut prev = 0u8;
    for &c in body {
        if c == b'\n' && prev != b'\r' {
            crlf.push(b'\r');
        }
        crlf.push(c);
        prev = c;
    }
    (
        fields
            .into_iter()
            .map(|(n, v)| (Bytes::from(n), Bytes::from(v)))
            .collect(),
        crlf,
    )
}

struct Client<S> {
    s: S,
    buf: BytesMut,
}

impl<S: AsyncRead + AsyncWrite + Unpin> Client<S> {
    async fn send(&mut self, cmds: &[Command]) {
        let mut out = BytesMut::new();
        for c in cmds {
            c.encode(&mut out);
        }
        self.s.write_all(&out).await.expect("write");
    }
    async fn recv(&mut self) -> Response {
        loop {
            if let Some(f) = Frame::parse(&mut self.buf, MAX_FRAME_LEN).expect("frame") {
                return Response::from_frame(f).expect("reply");
            }
            let n = self.s.read_buf(&mut self.buf).await.expect("read");
            assert!(n > 0, "milter closed the connection");
        }
    }
}

type Mail = (Vec<(Bytes, Bytes)>, Vec<u8>);

async fn run_conn<S: AsyncRead + AsyncWrite + Unpin>(
    s: S,
    mails: Arc<Vec<Mail>>,
    start: usize,
    count: usize,
) -> (Vec<Duration>, usize) {
    let mut c = Client {
        s,
        buf: BytesMut::new(),
    };
    c.send(&[Command::OptNeg {
        version: 6,
        actions: 0x1ff,
        protocol: 0x1f_ffff,
    }])
    .await;
    c.recv().await;
    let mut lat = Vec::with_capacity(count);
    let mut failed = 0;
    for k in 0..count {
        let (headers, body) = &mails[(start + k) % mails.len()];
        let t = Instant::now();
        let mut cmds = vec![
            Command::Macro {
                stage: b'M',
                pairs: vec![(
                    Bytes::from_static(b"i"),
                    Bytes::from(format!("Q{start}x{k}")),
                )],
            },
            Command::Mail(vec![Bytes::from_static(b"<sender@internet.example>")]),
            Command::Rcpt(vec![Bytes::from_static(b"<user@city.lg.jp>")]),
        ];
        for (n, v) in headers {
            cmds.push(Command::Header {
                name: n.clone(),
                value: v.clone(),
            });
        }
        cmds.push(Command::Eoh);
        c.send(&cmds).await;
        c.recv().await; // EOH continue
        let mut cmds = Vec::new();
        for chunk in body.chunks(65_535) {
            cmds.push(Command::Body(Bytes::copy_from_slice(chunk)));
        }
        cmds.push(Command::BodyEob(Bytes::new()));
        c.send(&cmds).await;
        loop {
            match c.recv().await {
                Response::Accept | Response::Continue => break,
                Response::TempFail | Response::Reject | Response::ReplyCode(_) => {
                    failed += 1;
                    break;
                }
                _ => {}
            }
        }
        lat.push(t.elapsed());
    }
    c.send(&[Command::Quit]).await;
    (lat, failed)
}

fn cpu_ticks(pid: &str) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = &stat[stat.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    Some(f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?)
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 5 {
        eprintln!("usage: milter_load ADDR DIR|FILE.eml TOTAL CONNECTIONS [MILTER_PID]");
        std::process::exit(2);
    }
    let addr = args[1].clone();
    let src = PathBuf::from(&args[2]);
    let total: usize = args[3].parse().expect("TOTAL");
    let conns: usize = args[4].parse().expect("CONNECTIONS");
    let pid = args.get(5).cloned();
    let files: Vec<PathBuf> = if src.is_dir() {
        let mut v: Vec<_> = std::fs::read_dir(&src)
            .expect("read dir")
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "eml"))
            .collect();
        v.sort();
        v
    } else {
        vec![src]
    };
    let mails: Arc<Vec<Mail>> = Arc::new(
        files
            .iter()
            .map(|p| split_message(&std::fs::read(p).expect("read mail")))
            .collect(),
    );
    let bytes: usize = mails
        .iter()
        .map(|(h, b)| b.len() + h.iter().map(|(n, v)| n.len() + v.len() + 4).sum::<usize>())
        .sum();
    eprintln!(
        "{} mails ({} bytes on average), {total} messages over {conns} connections",
        mails.len(),
        bytes / mails.len().max(1)
    );
    let ticks0 = pid.as_deref().and_then(cpu_ticks);
    let t0 = Instant::now();
    let mut tasks = Vec::new();
    for i in 0..conns {
        let n = total / conns + usize::from(i < total % conns);
        let mails = mails.clone();
        let addr = addr.clone();
        tasks.push(tokio::spawn(async move {
            if let Some(path) = addr.strip_prefix("unix:") {
                let s = tokio::net::UnixStream::connect(path)
                    .await
                    .expect("connect");
                run_conn(s, mails, i * 7, n).await
            } else {
                let a = addr.strip_prefix("inet:").unwrap_or(&addr).to_string();
                let s = tokio::net::TcpStream::connect(a).await.expect("connect");
                s.set_nodelay(true).ok();
                run_conn(s, mails, i * 7, n).await
            }
        }));
    }
    let mut lat = Vec::new();
    let mut failed = 0;
    for t in tasks {
        let (l, f) = t.await.expect("task");
        lat.extend(l);
        failed += f;
    }
    let secs = t0.elapsed().as_secs_f64();
    lat.sort();
    let pct = |p: f64| lat[((lat.len() as f64 * p) as usize).min(lat.len() - 1)];
    println!(
        "{} messages in {secs:.2} s = {:.1} msg/s; failed {failed}; latency p50 {:?} p99 {:?} max {:?}",
        lat.len(),
        lat.len() as f64 / secs,
        pct(0.5),
        pct(0.99),
        lat[lat.len() - 1]
    );
    if let (Some(p), Some(a)) = (pid.as_deref(), ticks0)
        && let Some(b) = cpu_ticks(p)
    {
        let hz = 100.0; // USER_HZ on Linux
        let cpu = (b - a) as f64 / hz;
        println!(
            "milter CPU {cpu:.2} s = {:.2} ms per message",
            cpu * 1000.0 / lat.len() as f64
        );
    }
}
