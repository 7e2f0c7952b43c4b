//! Each Japanese guide `docs/X.ja.md` is kept in step with its English `docs/X.md`: the same
//! number of sections (`## ` headings) and the same fenced code blocks — commands and
//! snippets byte for byte, line for line, in the same order — so an administrator reading
//! either pastes the same thing. Only comments may be translated: from a `#` at the start of
//! a line or after a space to the end of the line (a comment line stays a line). Every guide
//! has both (architecture.md and bench.md are developer documents, English only).

use std::path::{Path, PathBuf};

/// Guides that are English only on purpose.
const ENGLISH_ONLY: &[&str] = &["architecture", "bench"];

fn docs() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("docs")
}

/// The fenced code blocks of a Markdown text, fences and info string included.
fn code_blocks(text: &str) -> Vec<String> {
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in text.lines() {
        let fence = line.trim_start().starts_with("```");
        match current.as_mut() {
            None if fence => current = Some(format!("{line}\n")),
            None => {}
            Some(block) => {
                block.push_str(line);
                block.push('\n');
                if fence {
                    blocks.extend(current.take());
                }
            }
        }
    }
    blocks
}

/// A code block with its comments cut (they may be translated); everything else is kept.
fn without_comments(block: &str) -> String {
    block
        .lines()
        .map(|line| {
            let cut = line
                .char_indices()
                .find(|&(i, c)| c == '#' && (i == 0 || line[..i].ends_with([' ', '\t'])))
                .map_or(line, |(i, _)| &line[..i]);
            format!("{}\n", cut.trim_end())
        })
        .collect()
}

/// The `## ` headings outside code blocks.
fn sections(text: &str) -> usize {
    let mut in_code = false;
    let mut n = 0;
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            in_code = !in_code;
        } else if !in_code && line.starts_with("## ") {
            n += 1;
        }
    }
    n
}

/// The English guides (stems) in docs/.
fn guides() -> Vec<String> {
    let mut stems: Vec<String> = std::fs::read_dir(docs())
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter_map(|n| n.strip_suffix(".md").map(str::to_owned))
        .filter(|s| !s.ends_with(".ja") && !ENGLISH_ONLY.contains(&s.as_str()))
        .collect();
    stems.sort();
    stems
}

#[test]
fn every_guide_has_a_japanese_version() {
    let stems = guides();
    for expected in [
        "configuration",
        "operations",
        "postfix",
        "postfix-content-filter",
        "batch",
    ] {
        assert!(stems.iter().any(|s| s == expected), "docs/{expected}.md");
    }
    for stem in &stems {
        assert!(
            docs().join(format!("{stem}.ja.md")).is_file(),
            "docs/{stem}.md has no docs/{stem}.ja.md"
        );
    }
}

#[test]
fn japanese_guides_have_the_same_sections_and_snippets() {
    let mut problems = Vec::new();
    for stem in guides() {
        let Ok(ja) = std::fs::read_to_string(docs().join(format!("{stem}.ja.md"))) else {
            continue;
        };
        let en = std::fs::read_to_string(docs().join(format!("{stem}.md"))).unwrap();
        let (se, sj) = (sections(&en), sections(&ja));
        if se != sj {
            problems.push(format!(
                "{stem}: {se} sections in English, {sj} in Japanese"
            ));
        }
        let (be, bj) = (code_blocks(&en), code_blocks(&ja));
        if be.len() != bj.len() {
            problems.push(format!(
                "{stem}: {} code blocks in English, {} in Japanese",
                be.len(),
                bj.len()
            ));
        }
        for (i, (e, j)) in be.iter().zip(&bj).enumerate() {
            if without_comments(e) != without_comments(j) {
                problems.push(format!(
                    "{stem}: code block {} differs\n--- en\n{e}--- ja\n{j}",
                    i + 1
                ));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn code_blocks_are_found_as_written() {
    let text = "a\n```sh\nls\n```\nb\n```\nx\n\n```\n## s\n";
    assert_eq!(code_blocks(text), ["```sh\nls\n```\n", "```\nx\n\n```\n"]);
    assert_eq!(sections(text), 1);
    assert_eq!(sections("```\n## not a section\n```\n"), 0);
    assert_eq!(
        without_comments("# 設定\nurls = \"remove\"   # 注\nsee a.md#x\n"),
        "\nurls = \"remove\"\nsee a.md#x\n"
    );
    assert_ne!(
        without_comments("urls = \"remove\"\n"),
        without_comments("urls = \"keep\"\n")
    );
}
