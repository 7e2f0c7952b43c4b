//! `mugai generate`: man pages and completions come from the command-line definitions, so
//! every subcommand has a page and the help texts are complete.

use std::process::Command;

fn mugai(args: &[&str]) -> std::process::Output {
    let out = Command::new(env!("CARGO_BIN_EXE_mugai"))
        .args(args)
        .output()
        .expect("run mugai");
    assert!(out.status.success(), "mugai {args:?}: {out:?}");
    out
}

#[test]
fn man_pages_for_every_command() {
    let dir = tempfile::tempdir().unwrap();
    mugai(&["generate", "man", dir.path().to_str().unwrap()]);
    for page in [
        "mugai.1",
        "mugai-sanitize.1",
        "mugai-batch.1",
        "mugai-milter.1",
        "mugai-quarantine.1",
        "mugai-quarantine-list.1",
        "mugai-quarantine-show.1",
        "mugai-quarantine-release.1",
        "mugai-quarantine-purge.1",
    ] {
        let text = std::fs::read_to_string(dir.path().join(page))
            .unwrap_or_else(|e| panic!("{page}: {e}"));
        assert!(text.starts_with(".ie") || text.contains(".TH"), "{page}");
        assert!(text.contains(".SH NAME"), "{page}");
    }
    // The packaging helper itself is hidden.
    assert!(!dir.path().join("mugai-generate.1").exists());
    let top = std::fs::read_to_string(dir.path().join("mugai.1")).unwrap();
    assert!(top.contains("sanitize") && top.contains("milter"), "{top}");
}

#[test]
fn completions_for_common_shells() {
    for shell in ["bash", "zsh", "fish"] {
        let out = mugai(&["generate", "completions", shell]);
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(
            text.contains("sanitize") && text.contains("--print-default-config"),
            "{shell}"
        );
    }
}

/// Every option and argument of every command has a help text.
#[test]
fn every_argument_is_documented() {
    let out = mugai(&["--help"]);
    let top = String::from_utf8(out.stdout).unwrap();
    for cmd in ["sanitize", "batch", "milter", "quarantine"] {
        assert!(top.contains(cmd), "{cmd} missing from mugai --help");
    }
    for cmd in [
        &["sanitize"][..],
        &["batch"],
        &["milter"],
        &["quarantine"],
        &["quarantine", "list"],
        &["quarantine", "show"],
        &["quarantine", "release"],
        &["quarantine", "purge"],
    ] {
        let mut args = cmd.to_vec();
        args.push("-h");
        let text = String::from_utf8(mugai(&args).stdout).unwrap();
        for line in text.lines() {
            let t = line.trim_start();
            // An option or argument line without a description: "--flag <X>" alone.
            if (t.starts_with('-') || t.starts_with('<') || t.starts_with('[')) && !t.contains("  ")
            {
                panic!("mugai {cmd:?}: no help text for `{t}`");
            }
        }
    }
}
