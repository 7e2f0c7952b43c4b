//! `mugai sanitize` as a user runs it.

use std::io::Write;
use std::process::{Command, Stdio};

fn mugai() -> Command {
    Command::new(env!("CARGO_BIN_EXE_mugai"))
}

const SAMPLE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/testdata/mails/01-sample-ja-html-attachments.eml"
);

#[test]
fn sanitizes_a_file_to_stdout_with_a_json_report() {
    let out = mugai()
        .args(["sanitize", SAMPLE, "--report", "json"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let msg = String::from_utf8(out.stdout).unwrap();
    assert!(msg.contains("Content-Type: text/plain; charset=utf-8"));
    let report: serde_json::Value = serde_json::from_slice(&out.stderr).unwrap();
    assert_eq!(report["removed"].as_array().unwrap().len(), 2);
    assert_eq!(
        report["removed"][0]["name"],
        "令和6年度_特別徴収税額一覧.xlsx"
    );
}

#[test]
fn reads_stdin_and_writes_output_file() {
    let dir = std::env::temp_dir().join(format!("mugai-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let out_path = dir.join("out.eml");
    let mut child = mugai()
        .args(["sanitize", "-o"])
        .arg(&out_path)
        .stdin(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(
            b"Subject: x\r\nContent-Type: text/html\r\n\r\n<p>hello <script>bad()</script></p>\r\n",
        )
        .unwrap();
    assert!(child.wait().unwrap().success());
    let written = std::fs::read_to_string(&out_path).unwrap();
    assert!(written.contains("hello"));
    assert!(!written.contains("bad()"));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn config_errors_name_the_file_and_line() {
    let dir = std::env::temp_dir().join(format!("mugai-cli-cfg-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let cfg = dir.join("bad.toml");
    std::fs::write(&cfg, "[links]\nurls = \"sometimes\"\n").unwrap();
    let out = mugai()
        .args(["sanitize", SAMPLE, "--config"])
        .arg(&cfg)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("bad.toml"), "{err}");
    assert!(err.contains("line 2"), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "one-line error: {err}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn missing_input_is_a_one_line_error() {
    let out = mugai()
        .args(["sanitize", "/nonexistent/mail.eml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("/nonexistent/mail.eml"), "{err}");
}

#[test]
fn default_config_round_trips() {
    let out = mugai()
        .args(["sanitize", "--print-default-config"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(
        mugai::Policy::from_toml_str(&text).unwrap(),
        mugai::Policy::default()
    );
}

#[test]
fn smtp_check_prints_the_configuration() {
    let out = mugai()
        .args([
            "smtp",
            "--check",
            "--lmtp",
            "--listen",
            "127.0.0.1:10025",
            "--forward",
            "127.0.0.1:10026",
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("listen: 127.0.0.1:10025 (LMTP)"), "{text}");
    assert!(text.contains("next hop: 127.0.0.1:10026"), "{text}");
    let bad = mugai()
        .args(["smtp", "--check", "--next-hop", "nowhere"])
        .output()
        .unwrap();
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("bad next hop"));
}

/// `--check` fails on a policy the daemon could not run with: a nonsense release relay, an
/// unusable quarantine directory.
#[test]
fn milter_and_smtp_check_refuse_bad_addresses_and_directories() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("not-a-dir");
    std::fs::write(&file, b"x").unwrap();
    let cases = [
        (
            "[quarantine]\nrelease_relay = \"nonsense\"\n".to_string(),
            "quarantine.release_relay",
        ),
        (
            format!("[quarantine]\ndir = \"{}/q\"\n", file.display()),
            "quarantine.dir",
        ),
        (
            "[limits]\nmax_headers = 0\n".to_string(),
            "limits.max_headers",
        ),
    ];
    for (i, (toml, field)) in cases.iter().enumerate() {
        let cfg = dir.path().join(format!("p{i}.toml"));
        std::fs::write(&cfg, toml).unwrap();
        for front in [&["milter", "--check"][..], &["smtp", "--check"]] {
            let out = mugai()
                .args(front)
                .arg("--config")
                .arg(&cfg)
                .output()
                .unwrap();
            let err = String::from_utf8_lossy(&out.stderr);
            assert!(!out.status.success(), "{front:?} {toml}");
            assert!(err.contains(field), "{front:?}: {err}");
        }
    }
    let good = dir.path().join("good.toml");
    std::fs::write(
        &good,
        format!(
            "[quarantine]\ndir = \"{}/q\"\nrelease_relay = \"127.0.0.1:10026\"\n",
            dir.path().display()
        ),
    )
    .unwrap();
    let out = mugai()
        .args(["milter", "--check", "--config"])
        .arg(&good)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
