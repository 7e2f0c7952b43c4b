//! Keeps docs/configuration.md and docs/configuration.ja.md in sync with the code: each holds
//! the complete default configuration in a ```toml block right after the marker
//! `<!-- default-config -->`; that block must equal `Policy::default()` and the output of
//! `mugai sanitize --print-default-config`, every field of it must be described in the
//! field tables, and every other ```toml example must be a valid policy.

use std::path::Path;
use std::process::Command;

use mugai::Policy;

const DOCS: [&str; 2] = ["docs/configuration.md", "docs/configuration.ja.md"];
const MARKER: &str = "<!-- default-config -->";

fn read_doc(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Every fenced ```toml block of `doc`, with the byte offset where it starts.
fn toml_blocks(doc: &str) -> Vec<(usize, String)> {
    let mut blocks = Vec::new();
    let mut current: Option<(usize, String)> = None;
    let mut offset = 0;
    for line in doc.split_inclusive('\n') {
        let trimmed = line.trim();
        match current.as_mut() {
            None if trimmed == "```toml" => current = Some((offset, String::new())),
            Some(_) if trimmed == "```" => blocks.push(current.take().unwrap()),
            Some((_, text)) => text.push_str(line),
            None => {}
        }
        offset += line.len();
    }
    assert!(current.is_none(), "unterminated ```toml block");
    blocks
}

/// The block that follows the marker.
fn default_block(name: &str, doc: &str) -> String {
    let at = doc
        .find(MARKER)
        .unwrap_or_else(|| panic!("{name}: no {MARKER} marker"));
    toml_blocks(doc)
        .into_iter()
        .find(|(start, _)| *start > at)
        .unwrap_or_else(|| panic!("{name}: no ```toml block after {MARKER}"))
        .1
}

/// `section.key` (or `key` at the top level) of every value in a TOML table.
fn field_names(value: &toml::Value, prefix: &str, out: &mut Vec<String>) {
    if let toml::Value::Table(table) = value {
        for (key, v) in table {
            let name = if prefix.is_empty() {
                key.clone()
            } else {
                format!("{prefix}.{key}")
            };
            if v.is_table() {
                field_names(v, &name, out);
            } else {
                out.push(name);
            }
        }
    }
}

fn printed_default() -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_mugai"))
        .args(["sanitize", "--print-default-config"])
        .output()
        .expect("run mugai");
    assert!(out.status.success(), "{out:?}");
    String::from_utf8(out.stdout).expect("UTF-8")
}

#[test]
fn documented_default_config_is_the_real_default() {
    let printed: toml::Value = toml::from_str(&printed_default()).expect("printed TOML");
    for name in DOCS {
        let doc = read_doc(name);
        let block = default_block(name, &doc);
        let policy = Policy::from_toml_str(&block)
            .unwrap_or_else(|e| panic!("{name}: default block is not a valid policy: {e}"));
        assert_eq!(
            policy,
            Policy::default(),
            "{name}: documented default differs"
        );
        let documented: toml::Value = toml::from_str(&block).expect("documented TOML");
        assert_eq!(
            documented, printed,
            "{name}: the default block must list exactly what --print-default-config prints"
        );
    }
}

#[test]
fn every_field_is_in_a_field_table() {
    let printed: toml::Value = toml::from_str(&printed_default()).expect("printed TOML");
    let mut fields = Vec::new();
    field_names(&printed, "", &mut fields);
    assert!(fields.len() > 20, "{fields:?}");
    for name in DOCS {
        let doc = read_doc(name);
        let rows: Vec<&str> = doc.lines().filter(|l| l.starts_with('|')).collect();
        let missing: Vec<&String> = fields
            .iter()
            .filter(|f| {
                let cell = format!("| `{f}` |");
                !rows.iter().any(|r| r.starts_with(&cell))
            })
            .collect();
        assert!(
            missing.is_empty(),
            "{name}: no table row starting with | `field` | for {missing:?}"
        );
    }
}

#[test]
fn every_toml_example_is_a_valid_policy() {
    for name in DOCS {
        let doc = read_doc(name);
        let blocks = toml_blocks(&doc);
        assert!(blocks.len() >= 3, "{name}: expected examples");
        for (at, block) in blocks {
            if let Err(e) = Policy::from_toml_str(&block) {
                panic!("{name}: example at byte {at} is not a valid policy: {e}\n{block}");
            }
        }
    }
}

#[test]
fn dist_config_is_a_valid_policy() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("dist/mugai.toml");
    let policy = Policy::from_file(&path).expect("dist/mugai.toml");
    // The packaged configuration keeps the recommended defaults, with quarantine on.
    assert_eq!(policy.links, Policy::default().links);
    assert_eq!(policy.limits, Policy::default().limits);
    assert!(!policy.quarantine.dir.as_os_str().is_empty());
}
