//! Policy switches change the output as documented.

mod common;

use mugai::policy::{LineEnding, LinkMode, NoticePosition, OnLimit, OutputCharset};
use mugai::{Action, Error, Language, Policy, Sanitizer};

const HTML_MAIL: &[u8] = b"From: a@example.jp\r\nSubject: =?UTF-8?B?44GK55+l44KJ44Gb?=\r\nContent-Type: multipart/alternative; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nPLAIN-VERSION https://www.example.jp/x\r\n--b\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>HTML-VERSION <a href=\"https://www.example.jp/x\">here</a> <a href=\"mailto:info@example.jp\">mail</a></p>\r\n--b--\r\n";

const ATTACH_MAIL: &[u8] = b"From: a@example.jp\r\nSubject: files\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nhello\r\n--b\r\nContent-Type: application/pdf; name=a.pdf\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQK\r\n--b--\r\n";

fn run(policy: Policy, input: &[u8]) -> (mugai::Outcome, common::Parsed) {
    let out = Sanitizer::new(policy).sanitize(input).unwrap();
    let parsed = common::check_structure(&out.to_message(), "policy");
    (out, parsed)
}

#[test]
fn link_modes() {
    let (_, p) = run(Policy::default(), HTML_MAIL);
    assert!(p.body.contains("hxxps://www[.]example[.]jp/x"));
    assert!(!p.body.contains("https://"));

    let mut keep = Policy::default();
    keep.links.urls = LinkMode::Keep;
    let (_, p) = run(keep, HTML_MAIL);
    assert!(p.body.contains("https://www.example.jp/x"));

    let mut remove = Policy::default();
    remove.links.urls = LinkMode::Remove;
    let (out, p) = run(remove, HTML_MAIL);
    assert!(!p.body.contains("example[.]jp/x") && !p.body.contains("www.example.jp/x"));
    assert!(out.report.actions.contains(&Action::LinksRemoved));
}

#[test]
fn prefer_html_and_mailto() {
    let mut policy = Policy::default();
    policy.output.prefer_html = true;
    policy.links.mailto = LinkMode::Defang;
    let (_, p) = run(policy, HTML_MAIL);
    assert!(p.body.contains("HTML-VERSION"));
    assert!(!p.body.contains("PLAIN-VERSION"));
    assert!(p.body.contains("info[@]example[.]jp"), "{}", p.body);
}

#[test]
fn english_notice_at_the_bottom_and_subject_tag() {
    let mut policy = Policy::default();
    policy.notice.language = Language::En;
    policy.notice.position = NoticePosition::Bottom;
    policy.notice.subject_tag = "[SANITISED]".into();
    let (_, p) = run(policy, ATTACH_MAIL);
    let notice_at = p.body.find("Sanitisation notice").expect("English notice");
    assert!(p.body.find("hello").unwrap() < notice_at);
    assert!(p.body.contains("a.pdf"));
    assert_eq!(p.subject.as_deref(), Some("[SANITISED] files"));
}

#[test]
fn iso2022jp_output() {
    let mut policy = Policy::default();
    policy.output.charset = OutputCharset::Iso2022Jp;
    let (out, p) = run(policy, HTML_MAIL);
    assert!(String::from_utf8_lossy(&out.headers).contains("charset=ISO-2022-JP"));
    assert!(p.body.contains("無害化処理のお知らせ"));
}

#[test]
fn lf_output_and_quarantine_id() {
    let mut policy = Policy::default();
    policy.output.line_ending = LineEnding::Lf;
    policy.quarantine.dir = "/var/lib/mugai/quarantine".into();
    let (out, p) = run(policy, ATTACH_MAIL);
    let msg = out.to_message();
    assert!(!msg.contains(&b'\r'));
    assert!(p.body.contains(out.report.quarantine_id()));
}

#[test]
fn limits_remove_or_reject() {
    let mut policy = Policy::default();
    policy.limits.max_message_bytes = 100;
    let (out, p) = run(policy.clone(), ATTACH_MAIL);
    assert!(
        out.report
            .limits_hit
            .iter()
            .any(|l| l == "max_message_bytes")
    );
    assert!(
        !p.body.contains("hello"),
        "body past the size limit is removed"
    );
    policy.limits.on_limit = OnLimit::Reject;
    let err = Sanitizer::new(policy).sanitize(ATTACH_MAIL).unwrap_err();
    assert!(matches!(err, Error::Rejected { .. }));
}

#[test]
fn clean_mail_gets_no_notice_and_says_clean() {
    let (out, p) = run(Policy::default(), b"Subject: hi\r\n\r\njust text\r\n");
    assert!(!p.body.contains("mugai"));
    let headers = String::from_utf8(out.headers).unwrap();
    assert!(
        headers.contains("X-Mugai-Sanitized: clean; policy=default"),
        "{headers}"
    );
}

/// A Japanese policy name reaches the header whole (RFC 2231 extended parameter), so the
/// mail still says which approved policy handled it.
#[test]
fn japanese_policy_name_is_carried_in_the_header() {
    let policy = Policy::from_toml_str("name = \"県庁ポリシー\"\n").unwrap();
    let (out, _) = run(policy, b"Subject: hi\r\n\r\njust text\r\n");
    let headers = String::from_utf8(out.headers).unwrap();
    let line = headers
        .lines()
        .find(|l| l.starts_with("X-Mugai-Sanitized:"))
        .unwrap();
    let encoded = line.split("policy*=UTF-8''").nth(1).unwrap_or_default();
    let bytes: Vec<u8> = encoded
        .split('%')
        .skip(1)
        .map(|h| u8::from_str_radix(h, 16).unwrap())
        .collect();
    assert_eq!(String::from_utf8(bytes).unwrap(), "県庁ポリシー", "{line}");
    assert!(!line.contains("policy=;") && !line.ends_with("policy="));
}

#[test]
fn spoofed_mugai_headers_are_replaced() {
    let (out, _) = run(
        Policy::default(),
        b"Subject: hi\r\nX-Mugai-Sanitized: clean; policy=fake\r\nContent-Type: text/html\r\n\r\n<b>x</b>\r\n",
    );
    let headers = String::from_utf8(out.headers).unwrap();
    assert_eq!(headers.matches("X-Mugai-Sanitized").count(), 1);
    assert!(!headers.contains("policy=fake"));
}

/// Type errors in a policy read in plain words (no Rust type names such as `usize`).
#[test]
fn type_errors_are_in_plain_words() {
    for (toml, says) in [
        (
            "[limits]\nmax_parts = \"lots\"\n",
            "expected a whole number (0 or more), found the text \"lots\"",
        ),
        (
            "[limits]\nmax_parts = -1\n",
            "expected a whole number (0 or more), found the number -1",
        ),
        ("[limits]\nmax_parts = 1.5\n", "found the number 1.5"),
        (
            "name = 5\n",
            "expected text in double quotes, found the number 5",
        ),
        (
            "[links]\nurls = 3\n",
            "expected one of the listed words, in double quotes",
        ),
        (
            "[links]\nurls = \"zap\"\n",
            "unknown value `zap`, expected one of",
        ),
    ] {
        let err = Policy::from_toml_str(toml).unwrap_err().to_string();
        assert!(err.contains(says), "{toml:?}: {err}");
        assert!(err.contains("line "), "{err}");
        for jargon in ["usize", "u64", "i64", "wanted string", "variant"] {
            assert!(!err.contains(jargon), "{toml:?}: {err}");
        }
    }
}

/// Values that would break every mail are refused at load, naming the field with a reason.
#[test]
fn out_of_range_values_name_the_field() {
    for (toml, field) in [
        ("[limits]\nmax_headers = 0\n", "limits.max_headers"),
        ("[limits]\nmax_headers = 5\n", "limits.max_headers"),
        (
            "[limits]\nmax_message_bytes = 0\n",
            "limits.max_message_bytes",
        ),
        ("[limits]\nmax_text_bytes = 0\n", "limits.max_text_bytes"),
        (
            "[limits]\nmax_header_bytes = 10\n",
            "limits.max_header_bytes",
        ),
        ("[limits]\nmax_parts = 0\n", "limits.max_parts"),
        ("[html]\nmax_bytes = 0\n", "html.max_bytes"),
        ("[html]\nmax_depth = 0\n", "html.max_depth"),
        (
            "[quarantine]\nrelease_relay = \"nonsense\"\n",
            "quarantine.release_relay",
        ),
        (
            "[quarantine]\nrelease_relay = \"host:0\"\n",
            "quarantine.release_relay",
        ),
        (
            "[quarantine]\nrelease_relay = \"bad host:25\"\n",
            "quarantine.release_relay",
        ),
        (
            "[quarantine]\nrelease_relay = \"[::zz]:25\"\n",
            "quarantine.release_relay",
        ),
    ] {
        let err = Policy::from_toml_str(toml).unwrap_err();
        match &err {
            Error::PolicyValue { field: f, message } => {
                assert_eq!(*f, field, "{toml}");
                assert!(!message.is_empty() && !message.contains('\n'), "{message}");
            }
            other => panic!("{toml}: {other}"),
        }
    }
    for ok in [
        "[limits]\nmax_headers = 32\nmax_text_bytes = 1024\n",
        "[html]\nmax_bytes = 4096\n",
        "[quarantine]\nrelease_relay = \"127.0.0.1:10026\"\n",
        "[quarantine]\nrelease_relay = \"[::1]:25\"\n",
        "[quarantine]\nrelease_relay = \"relay.city.lg.jp:25\"\n",
    ] {
        Policy::from_toml_str(ok).unwrap_or_else(|e| panic!("{ok}: {e}"));
    }
}

/// The quarantine directory must exist or be creatable, and be writable.
#[test]
fn quarantine_directory_is_checked() {
    let dir = tempfile::tempdir().unwrap();
    let mut p = Policy::default();
    p.check_directories().unwrap(); // no quarantine
    p.quarantine.dir = dir.path().join("new/sub");
    p.check_directories().unwrap(); // creatable
    assert!(!dir.path().join("new").exists(), "nothing created");
    let file = dir.path().join("file");
    std::fs::write(&file, b"x").unwrap();
    p.quarantine.dir = file.join("q");
    let err = p.check_directories().unwrap_err().to_string();
    assert!(
        err.contains("quarantine.dir") && err.contains("not a directory"),
        "{err}"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let open = dir.path().join("open");
        std::fs::create_dir(&open).unwrap();
        std::fs::set_permissions(&open, std::fs::Permissions::from_mode(0o777)).unwrap();
        p.quarantine.dir = open;
        let err = p.check_directories().unwrap_err().to_string();
        assert!(err.contains("writable by every user"), "{err}");
    }
}
