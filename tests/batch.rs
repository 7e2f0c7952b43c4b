//! End-to-end tests of `mugai batch` with the real sanitisation core.
//!
//! The big round trip uses 10,000 messages (about 5 s in a debug build on 2 cores, well
//! under a second in release); `MUGAI_BATCH_TEST_MESSAGES` overrides the count.

use std::fs;
use std::path::Path;
use std::process::Command;

use mugai::Policy;
use mugai::batch::mbox::{MboxVariant, Splitter};
use mugai::batch::{BatchOptions, run};

fn message_count() -> usize {
    std::env::var("MUGAI_BATCH_TEST_MESSAGES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000)
}

const POSTMARK: &str = "From sender@example.jp Mon Jan  2 03:04:05 2023";

fn payload(i: usize) -> String {
    format!("PAYLOAD-{i:05}-MZ-EVIL-BYTES")
}

/// A deterministic mixed mbox: plain text (with `From ` lines in the body), HTML, and
/// multipart with an attachment carrying a payload token.
fn generate_mbox(n: usize) -> String {
    let mut s = String::with_capacity(n * 900);
    for i in 0..n {
        s.push_str(POSTMARK);
        s.push('\n');
        s.push_str(&format!(
            "From: Sender {i} <sender{i}@example.jp>\nTo: user@city.lg.jp\nSubject: test {i}\n\
             Message-ID: <msg{i}@example.jp>\nDate: Mon, 2 Jan 2023 03:04:05 +0900\nMIME-Version: 1.0\n"
        ));
        match i % 3 {
            0 => s.push_str(&format!(
                "Content-Type: text/plain; charset=utf-8\n\nmarker-{i:05} plain text\n\n\
                 >From the escaped line\nlast line\n"
            )),
            1 => s.push_str(&format!(
                "Content-Type: text/html; charset=utf-8\n\n<html><body><p>marker-{i:05} \
                 <b>bold</b></p><p><a href=\"https://example.com/{i}\">link</a></p></body></html>\n"
            )),
            _ => {
                let b64 = base64_simd::STANDARD.encode_to_string(payload(i));
                s.push_str(&format!(
                    "Content-Type: multipart/mixed; boundary=\"b{i}\"\n\n--b{i}\n\
                     Content-Type: text/plain; charset=utf-8\n\nmarker-{i:05} see attachment\n\
                     --b{i}\nContent-Type: application/octet-stream; name=\"tool{i}.exe\"\n\
                     Content-Disposition: attachment; filename=\"tool{i}.exe\"\n\
                     Content-Transfer-Encoding: base64\n\n{b64}\n--b{i}--\n"
                ));
            }
        }
        s.push('\n');
    }
    s
}

fn check_output_mbox(out: &[u8], expected: &[usize]) {
    let messages: Vec<_> = Splitter::new(out).collect();
    assert_eq!(messages.len(), expected.len(), "output message count");
    for (m, &i) in messages.iter().zip(expected) {
        let raw = m.unescaped(MboxVariant::Mboxrd);
        let parsed = mailparse::parse_mail(&raw).expect("output parses");
        assert!(parsed.subparts.is_empty(), "message {i}: not a single part");
        assert_eq!(parsed.ctype.mimetype, "text/plain", "message {i}");
        let body = parsed.get_body().expect("body decodes");
        let marker = format!("marker-{i:05}");
        assert!(
            body.contains(&marker),
            "message {i}: marker missing:\n{body}"
        );
        let raw_text = String::from_utf8_lossy(&raw);
        assert!(!body.contains("PAYLOAD"), "message {i}: payload in body");
        assert!(
            !raw_text.contains("PAYLOAD"),
            "message {i}: payload in raw output"
        );
        let b64 = base64_simd::STANDARD.encode_to_string(payload(i));
        assert!(
            !raw_text.contains(&b64[..20]),
            "message {i}: encoded payload kept"
        );
        assert!(!body.contains("<b>"), "message {i}: HTML kept");
        if i % 3 == 2 {
            assert!(
                body.contains(&format!("tool{i}.exe")),
                "message {i}: notice missing"
            );
        }
    }
}

#[test]
fn mixed_mbox_round_trip() {
    let n = message_count();
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("archive.mbox");
    fs::write(&input, generate_mbox(n)).unwrap();
    let output = dir.path().join("clean.mbox");
    let report = dir.path().join("report.jsonl");
    let mut opts = BatchOptions::new(&input, &output);
    opts.jobs = 2;
    opts.report = Some(report.clone());
    let summary = run(Policy::default(), &opts).unwrap();
    assert_eq!(summary.messages_in, n as u64);
    assert_eq!(summary.messages_out, n as u64);
    assert_eq!(summary.messages_failed, 0);
    assert_eq!(
        summary.html_converted,
        (n / 3 + usize::from(n % 3 > 1)) as u64
    );
    assert_eq!(summary.attachments_removed, (n / 3) as u64);
    assert!(summary.success());
    let expected: Vec<usize> = (0..n).collect();
    check_output_mbox(&fs::read(&output).unwrap(), &expected);

    let text = fs::read_to_string(&report).unwrap();
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), n + 1);
    let att = &lines[2];
    assert_eq!(att["message_id"], "<msg2@example.jp>");
    assert_eq!(att["removed"][0]["sha256"].as_str().unwrap().len(), 64);
    assert!(att["source"]["offset"].as_u64().unwrap() > 0);
    assert_eq!(lines[n]["type"], "summary");
    assert_eq!(lines[n]["messages_out"], n as u64);
}

/// A policy under which messages over 20,000 bytes are rejected by the core.
const REJECT_BIG: &str = "[limits]\non_limit = \"reject\"\nmax_message_bytes = 20000\n";

#[test]
fn garbage_goes_to_failed_and_the_rest_converts() {
    let dir = tempfile::tempdir().unwrap();
    let mut mbox = generate_mbox(6);
    // A big garbage "message" in the middle: binary noise without headers.
    let garbage: String = (0..30_000u32)
        .map(|i| char::from(b'!' + (i.wrapping_mul(7919) % 90) as u8))
        .collect();
    let cut = mbox.find(&format!("{POSTMARK}\nFrom: Sender 3 ")).unwrap();
    mbox.insert_str(cut, &format!("{POSTMARK}\n{garbage}\n\n"));
    let input = dir.path().join("in.mbox");
    fs::write(&input, mbox).unwrap();
    let output = dir.path().join("out.mbox");
    let mut opts = BatchOptions::new(&input, &output);
    opts.jobs = 2;
    let policy = Policy::from_toml_str(REJECT_BIG).unwrap();
    let summary = run(policy, &opts).unwrap();
    assert_eq!(summary.messages_in, 7);
    assert_eq!(summary.messages_out, 6);
    assert_eq!(summary.messages_failed, 1);
    check_output_mbox(&fs::read(&output).unwrap(), &[0, 1, 2, 3, 4, 5]);
    let failed = dir.path().join("out.mbox.failed");
    assert_eq!(
        fs::read(failed.join("00000003.eml")).unwrap().len(),
        garbage.len() + 1
    );
    let reason = fs::read_to_string(failed.join("00000003.eml.reason.txt")).unwrap();
    assert!(reason.contains("reject"), "{reason}");
}

fn mugai() -> Command {
    Command::new(env!("CARGO_BIN_EXE_mugai"))
}

#[test]
fn cli_maildir_round_trip_and_exit_codes() {
    let dir = tempfile::tempdir().unwrap();
    let md = dir.path().join("Maildir");
    for sub in ["cur", "new", "tmp"] {
        fs::create_dir_all(md.join(sub)).unwrap();
    }
    let mbox = generate_mbox(3);
    let msgs: Vec<_> = Splitter::new(mbox.as_bytes()).collect();
    fs::write(md.join("cur/1700000000.M1P1.host:2,FS"), msgs[0].raw).unwrap();
    fs::write(md.join("cur/1700000001.M2P1.host:2,RS"), msgs[2].raw).unwrap();
    fs::write(md.join("new/1700000002.M3P1.host"), msgs[1].raw).unwrap();
    let out = dir.path().join("Clean");
    let report = dir.path().join("r.jsonl");
    let status = mugai()
        .args(["batch", "--quiet", "--jobs", "2", "--report"])
        .arg(&report)
        .arg(&md)
        .arg("-o")
        .arg(&out)
        .status()
        .unwrap();
    assert_eq!(status.code(), Some(0));
    let mut names: Vec<String> = ["cur", "new"]
        .iter()
        .flat_map(|s| fs::read_dir(out.join(s)).unwrap())
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "1700000000.M1P1.host:2,FS",
            "1700000001.M2P1.host:2,RS",
            "1700000002.M3P1.host"
        ]
    );
    let flagged = fs::read(out.join("cur/1700000001.M2P1.host:2,RS")).unwrap();
    let parsed = mailparse::parse_mail(&flagged).unwrap();
    assert!(parsed.subparts.is_empty());
    assert!(!String::from_utf8_lossy(&flagged).contains("PAYLOAD"));

    // Writing into the input is refused (exit 2); an existing output too.
    let status = mugai()
        .args(["batch", "--quiet"])
        .arg(&md)
        .arg("-o")
        .arg(md.join("out"))
        .status()
        .unwrap();
    assert_eq!(status.code(), Some(2));
    let status = mugai()
        .args(["batch", "--quiet"])
        .arg(&md)
        .arg("-o")
        .arg(&out)
        .status()
        .unwrap();
    assert_eq!(status.code(), Some(2));

    // A failed message makes the exit code 1.
    let cfg = dir.path().join("reject.toml");
    fs::write(
        &cfg,
        "[limits]\non_limit = \"reject\"\nmax_message_bytes = 10\n",
    )
    .unwrap();
    let out2 = dir.path().join("eml-out");
    let output = mugai()
        .args(["batch", "--output-format", "eml", "--config"])
        .arg(&cfg)
        .arg(&md)
        .arg("-o")
        .arg(&out2)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("3 failed"), "{stderr}");
    assert!(out2.join("failed/new/1700000002.M3P1.host.eml").exists());
    assert!(Path::new(&out2.join("failed/new/1700000002.M3P1.host.eml.reason.txt")).exists());
}

#[test]
fn cli_ctrl_c_then_resume_gives_the_uninterrupted_output() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.mbox");
    fs::write(&input, generate_mbox(message_count())).unwrap();
    let reference = dir.path().join("ref.mbox");
    let mut opts = BatchOptions::new(&input, &reference);
    opts.jobs = 2;
    run(Policy::default(), &opts).unwrap();

    let output = dir.path().join("out.mbox");
    let partial = dir.path().join("out.mbox.mugai-partial");
    let report = dir.path().join("r.jsonl");
    let mut child = mugai()
        .args(["batch", "--jobs", "1", "--report"])
        .arg(&report)
        .arg(&input)
        .arg("-o")
        .arg(&output)
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Interrupt once some output has been written.
    let started = std::time::Instant::now();
    while fs::metadata(&partial).map_or(0, |m| m.len()) < 200_000
        && started.elapsed() < std::time::Duration::from_secs(60)
        && child.try_wait().unwrap().is_none()
    {
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    let _ = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status();
    let first = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&first.stderr);
    match first.status.code() {
        Some(130) => {
            eprintln!("interrupted, resuming");
            assert!(stderr.contains("INTERRUPTED"), "{stderr}");
            assert!(!output.exists());
            assert!(partial.exists());
            let status = mugai()
                .args(["batch", "--quiet", "--resume", "--jobs", "2", "--report"])
                .arg(&report)
                .arg(&input)
                .arg("-o")
                .arg(&output)
                .status()
                .unwrap();
            assert_eq!(status.code(), Some(0));
        }
        // The run finished before the signal arrived: nothing to resume.
        Some(0) => eprintln!("finished before the signal"),
        other => panic!("unexpected exit {other:?}: {stderr}"),
    }
    assert!(fs::read(&output).unwrap() == fs::read(&reference).unwrap());
    assert!(!partial.exists());
    let text = fs::read_to_string(&report).unwrap();
    let messages = text
        .lines()
        .filter(|l| l.starts_with("{\"type\":\"message\""))
        .count();
    assert_eq!(messages, message_count());
}

#[test]
fn quarantine_dir_is_not_promised_by_batch() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.mbox");
    fs::write(&input, generate_mbox(3)).unwrap();
    let output = dir.path().join("out.mbox");
    let policy = Policy::from_toml_str(&format!(
        "[quarantine]\ndir = \"{}\"\n",
        dir.path().join("q").display()
    ))
    .unwrap();
    run(policy, &BatchOptions::new(&input, &output)).unwrap();
    let out = fs::read(&output).unwrap();
    let messages: Vec<_> = Splitter::new(&out).collect();
    assert_eq!(messages.len(), 3);
    let body = mailparse::parse_mail(messages[2].raw)
        .unwrap()
        .get_body()
        .unwrap();
    assert!(body.contains("tool2.exe"), "{body}");
    assert!(
        !body.contains("保管 ID") && !body.contains("Original kept"),
        "{body}"
    );
    assert!(!dir.path().join("q").exists());
}
