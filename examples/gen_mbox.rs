//! Writes a deterministic mixed mbox for benchmarks: `cargo run --release --example gen_mbox
//! -- OUT.mbox N`. A third each of plain text, HTML with links, and multipart with a text part
//! and a ~`ATTACH` KiB binary attachment (default 8; set `MUGAI_GEN_ATTACH_KIB`).

use std::io::{BufWriter, Write};

fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let path = args.next().unwrap_or_else(|| "bench.mbox".into());
    let n: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(10_000);
    let attach_kib: usize = std::env::var("MUGAI_GEN_ATTACH_KIB")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(8);
    let mut out = BufWriter::new(std::fs::File::create(&path)?);
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    for i in 0..n {
        writeln!(out, "From sender@example.jp Mon Jan  2 03:04:05 2023")?;
        write!(
            out,
            "From: Sender {i} <sender{i}@example.jp>\nTo: user@city.lg.jp\nSubject: =?UTF-8?B?5rWL6Kmm?= {i}\n\
             Message-ID: <msg{i}@example.jp>\nDate: Mon, 2 Jan 2023 03:04:05 +0900\nMIME-Version: 1.0\n"
        )?;
        let para = "今日は良い天気です。The quick brown fox jumps over the lazy dog. ";
        match i % 3 {
            0 => {
                write!(out, "Content-Type: text/plain; charset=utf-8\n\n")?;
                for _ in 0..20 {
                    writeln!(out, "{para}")?;
                }
                writeln!(out, "\n>From the escaped line\nmarker-{i}")?;
            }
            1 => {
                write!(
                    out,
                    "Content-Type: text/html; charset=utf-8\n\n<html><body>"
                )?;
                for k in 0..20 {
                    writeln!(
                        out,
                        "<p>{para}<a href=\"https://example.com/{i}/{k}\">link {k}</a></p>"
                    )?;
                }
                writeln!(out, "<p>marker-{i}</p></body></html>")?;
            }
            _ => {
                write!(
                    out,
                    "Content-Type: multipart/mixed; boundary=\"b{i}\"\n\n--b{i}\n\
                     Content-Type: text/plain; charset=utf-8\n\n{para}\nmarker-{i}\n--b{i}\n\
                     Content-Type: application/octet-stream; name=\"tool{i}.exe\"\n\
                     Content-Transfer-Encoding: base64\n\n"
                )?;
                let mut bin = Vec::with_capacity(attach_kib * 1024);
                bin.extend_from_slice(b"MZ\x90\x00");
                while bin.len() < attach_kib * 1024 {
                    seed ^= seed << 13;
                    seed ^= seed >> 7;
                    seed ^= seed << 17;
                    bin.extend_from_slice(&seed.to_le_bytes());
                }
                let b64 = base64_simd::STANDARD.encode_to_string(&bin);
                for line in b64.as_bytes().chunks(76) {
                    out.write_all(line)?;
                    out.write_all(b"\n")?;
                }
                writeln!(out, "--b{i}--")?;
            }
        }
        writeln!(out)?;
    }
    out.flush()
}
