//! `mugai quarantine list|show|release|purge` against a quarantine written by the library,
//! with a minimal SMTP server on loopback standing in for the release relay.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::process::Command;

use mugai::Report;
use mugai::quarantine::{Quarantine, QuarantineMeta};

/// Accepts one SMTP session; returns (MAIL FROM, RCPT TO list, DATA).
fn fake_relay(listener: TcpListener) -> std::thread::JoinHandle<(String, Vec<String>, String)> {
    std::thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
        let mut w = stream.try_clone().unwrap();
        let mut r = BufReader::new(stream);
        w.write_all(b"220 fake ESMTP\r\n").unwrap();
        let (mut from, mut rcpts, mut data) = (String::new(), Vec::new(), String::new());
        let mut line = String::new();
        loop {
            line.clear();
            if r.read_line(&mut line).unwrap() == 0 {
                break;
            }
            let upper = line.to_ascii_uppercase();
            if upper.starts_with("EHLO") || upper.starts_with("HELO") {
                w.write_all(b"250 fake\r\n").unwrap();
            } else if upper.starts_with("MAIL FROM:") {
                from = line[10..].trim().to_string();
                w.write_all(b"250 ok\r\n").unwrap();
            } else if upper.starts_with("RCPT TO:") {
                rcpts.push(line[8..].trim().to_string());
                w.write_all(b"250 ok\r\n").unwrap();
            } else if upper.starts_with("DATA") {
                w.write_all(b"354 go\r\n").unwrap();
                loop {
                    line.clear();
                    r.read_line(&mut line).unwrap();
                    if line == ".\r\n" {
                        break;
                    }
                    data.push_str(&line);
                }
                w.write_all(b"250 queued\r\n").unwrap();
            } else if upper.starts_with("QUIT") {
                w.write_all(b"221 bye\r\n").unwrap();
                break;
            } else {
                w.write_all(b"250 ok\r\n").unwrap();
            }
        }
        (from, rcpts, data)
    })
}

fn mugai(config: &std::path::Path, args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_mugai"))
        .arg("quarantine")
        .arg("--config")
        .arg(config)
        .args(args)
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn sha256_hex(data: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(data))
}

/// A quarantine with one entry in a temporary directory, and a policy naming it.
fn one_entry(relay: std::net::SocketAddr) -> (tempfile::TempDir, std::path::PathBuf, String) {
    let dir = tempfile::tempdir().unwrap();
    let qdir = dir.path().join("q");
    let config = dir.path().join("policy.toml");
    std::fs::write(
        &config,
        format!(
            "[quarantine]\ndir = \"{}\"\nrelease_relay = \"{relay}\"\n",
            qdir.display()
        ),
    )
    .unwrap();
    let original = b"From: a@internet.example\r\nSubject: invoice\r\n\r\nbody\r\n";
    let report = Report {
        original_sha256: sha256_hex(original),
        ..Report::default()
    };
    let mut meta = QuarantineMeta::from_report(&report, original.len());
    meta.sender = "a@internet.example".into();
    Quarantine::new(&qdir).store(original, &meta).unwrap();
    (dir, config, meta.id)
}

#[test]
fn a_changed_original_is_neither_shown_nor_released() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let relay = listener.local_addr().unwrap();
    let (dir, config, id) = one_entry(relay);
    let eml = dir.path().join("q").join(format!("{id}.eml"));
    // Untouched: shown.
    let (ok, out, err) = mugai(&config, &["show", &id, "--raw"]);
    assert!(ok && out.contains("Subject: invoice"), "{err}");
    // Tampered with: a payload swapped in, same name.
    std::fs::write(
        &eml,
        b"From: a@internet.example\r\nSubject: invoice\r\n\r\n<script>evil()</script>\r\n",
    )
    .unwrap();
    for args in [
        &["show", id.as_str()][..],
        &["show", id.as_str(), "--raw"],
        &["release", id.as_str(), "--to", "admin@city.lg.jp"],
    ] {
        let (ok, out, err) = mugai(&config, args);
        assert!(!ok, "{args:?} must fail: {out}");
        assert!(!out.contains("evil()"), "{args:?}: {out}");
        assert!(
            err.contains("does not match the SHA-256"),
            "{args:?}: {err}"
        );
    }
    // Nothing reached the relay: it is still waiting for its first connection.
    listener.set_nonblocking(true).unwrap();
    assert!(listener.accept().is_err());
    // And no release was recorded.
    let meta = Quarantine::new(dir.path().join("q")).meta(&id).unwrap();
    assert!(meta.releases.is_empty());
}

#[test]
fn list_show_release_purge() {
    let dir = tempfile::tempdir().unwrap();
    let qdir = dir.path().join("q");
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let relay = listener.local_addr().unwrap();
    let config = dir.path().join("policy.toml");
    std::fs::write(
        &config,
        format!(
            "[quarantine]\ndir = \"{}\"\nrelease_relay = \"{relay}\"\n",
            qdir.display()
        ),
    )
    .unwrap();

    let original =
        b"From: a@internet.example\r\nSubject: original\r\n\r\n<html>original body</html>\r\n";
    let report = Report {
        original_sha256: sha256_hex(original),
        ..Report::default()
    };
    let mut meta = QuarantineMeta::from_report(&report, original.len());
    meta.sender = "a@internet.example".into();
    meta.recipients = vec!["b@city.lg.jp".into()];
    Quarantine::new(&qdir).store(original, &meta).unwrap();
    let id = meta.id.clone();

    let (ok, out, err) = mugai(&config, &["list"]);
    assert!(ok, "{err}");
    assert!(
        out.contains(&id) && out.contains("a@internet.example"),
        "{out}"
    );

    let (ok, out, _) = mugai(&config, &["show", &id]);
    assert!(ok && out.contains("\"original_sha256\""), "{out}");
    let (ok, out, _) = mugai(&config, &["show", &id, "--raw"]);
    assert!(ok);
    assert_eq!(out.as_bytes(), original);
    let (ok, _, err) = mugai(&config, &["show", "../../etc/passwd"]);
    assert!(!ok, "{err}");

    let server = fake_relay(listener);
    let (ok, out, err) = mugai(&config, &["release", &id, "--to", "admin@city.lg.jp"]);
    assert!(ok, "{out}{err}");
    let (from, rcpts, data) = server.join().unwrap();
    assert_eq!(from, "<a@internet.example>");
    assert_eq!(rcpts, vec!["<admin@city.lg.jp>".to_string()]);
    assert_eq!(data.as_bytes(), original);
    let released = Quarantine::new(&qdir).meta(&id).unwrap().releases;
    assert_eq!(released.len(), 1);
    assert_eq!(released[0].to, "admin@city.lg.jp");

    let (ok, out, _) = mugai(&config, &["purge", "--older-than", "30d"]);
    assert!(ok && out.contains("purged 0"), "{out}");
    let (ok, out, _) = mugai(&config, &["purge", "--older-than", "0s"]);
    assert!(ok && out.contains("purged 1"), "{out}");
    let (ok, _, err) = mugai(&config, &["list"]);
    assert!(ok && err.contains("0 entries"), "{err}");
}
