//! What an administrator pastes on the first day must work: the Postfix size limit in the
//! guides fits Postfix's own mailbox limits and mugai's, the guides point at logs that exist
//! (the journal), carry no "to be added" placeholders, and README.ja's sample summary is what
//! the command really prints.

use std::path::Path;

use mugai::{Policy, Sanitizer};

/// Postfix's default `mailbox_size_limit` and `virtual_mailbox_limit`.
const POSTFIX_MAILBOX_LIMIT: u64 = 51_200_000;

fn read(path: &str) -> String {
    let full = Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
    std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("{}: {e}", full.display()))
}

/// The guides and READMEs an administrator reads.
fn guides() -> Vec<(String, String)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs");
    let mut out: Vec<(String, String)> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "md"))
        .map(|p| {
            (
                p.display().to_string(),
                std::fs::read_to_string(&p).unwrap(),
            )
        })
        .collect();
    for readme in ["README.md", "README.ja.md"] {
        out.push((readme.to_owned(), read(readme)));
    }
    out
}

/// The value of `key = N` on a main.cf line, if the line sets it.
fn setting(line: &str, key: &str) -> Option<u64> {
    let (k, v) = line.split_once('=')?;
    (k.trim() == key).then(|| v.trim().parse().ok())?
}

#[test]
fn pasted_message_size_limit_fits_postfix_and_mugai() {
    let mugai_limit = Policy::default().limits.max_message_bytes as u64;
    let mut seen = 0;
    for (name, text) in guides() {
        let lines: Vec<&str> = text.lines().collect();
        for line in &lines {
            let Some(size) = setting(line, "message_size_limit") else {
                continue;
            };
            seen += 1;
            // Larger than the mailbox limits only when the same guide raises both of them.
            let raised = |key: &str| {
                lines
                    .iter()
                    .filter_map(|l| setting(l, key))
                    .any(|v| v >= size)
            };
            assert!(
                size <= POSTFIX_MAILBOX_LIMIT
                    || (raised("mailbox_size_limit") && raised("virtual_mailbox_limit")),
                "{name}: message_size_limit = {size} is above Postfix's mailbox limits \
                 ({POSTFIX_MAILBOX_LIMIT}): local/virtual delivery would stop"
            );
            assert!(
                size <= mugai_limit,
                "{name}: message_size_limit = {size} is above limits.max_message_bytes"
            );
        }
    }
    assert!(
        seen >= 3,
        "the guides set message_size_limit ({seen} found)"
    );
}

#[test]
fn configuration_docs_state_the_real_default_size() {
    let default = Policy::default().limits.max_message_bytes;
    for doc in ["docs/configuration.md", "docs/configuration.ja.md"] {
        let text = read(doc);
        let row = text
            .lines()
            .find(|l| l.starts_with("| `limits.max_message_bytes`"))
            .unwrap_or_else(|| panic!("{doc}: no limits.max_message_bytes row"));
        assert!(row.contains(&format!("`{default}`")), "{doc}: {row}");
        assert!(
            !text.contains("same as Postfix message_size_limit"),
            "{doc} contradicts postfix.md"
        );
    }
}

#[test]
fn guides_point_at_the_journal_and_hold_no_placeholders() {
    for (name, text) in guides() {
        for stale in [
            "/var/log/mugai.log",
            "To be filled in",
            "being added",
            "追加予定",
            "追加作業中",
            "記入予定",
        ] {
            assert!(!text.contains(stale), "{name} still says {stale:?}");
        }
    }
    let filter = read("docs/postfix-content-filter.md");
    assert!(filter.contains("journalctl -u mugai-smtp"));
}

#[test]
fn readme_ja_sample_summary_is_what_the_command_prints() {
    let sample = read_bytes("testdata/mails/01-sample-ja-html-attachments.eml");
    let out = Sanitizer::new(Policy::default()).sanitize(&sample).unwrap();
    let line = format!(
        "testdata/mails/01-sample-ja-html-attachments.eml: {} -> {} bytes",
        sample.len(),
        out.to_message().len()
    );
    assert!(
        read("README.ja.md").contains(&line),
        "README.ja.md must show `{line}` (run its first command and copy the summary)"
    );
}

fn read_bytes(path: &str) -> Vec<u8> {
    std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join(path)).unwrap()
}
