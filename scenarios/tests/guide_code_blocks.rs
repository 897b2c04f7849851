//! Every `rust` code block of the guide (docs/src) and of the README is
//! compiled, one of three ways, or says why not:
//!
//! - its chapter is compiled as doctests of this crate (the `guide` module
//!   of `src/lib.rs` includes it), and the block is not marked `ignore`;
//! - an HTML comment `<!-- compiled: PATH -->` right before it names a file
//!   of the workspace that contains the block verbatim (an example or a
//!   build script that is compiled and tested);
//! - it is marked `ignore` and a comment `<!-- ignore: REASON -->` right
//!   before it says why.

use std::path::Path;

/// One fenced `rust` block: where it is, its info string, its text and the
/// line before its opening fence.
struct Block {
    file: String,
    line: usize,
    info: String,
    body: String,
    before: String,
}

fn rust_blocks(file: &str, text: &str) -> Vec<Block> {
    let lines: Vec<&str> = text.lines().collect();
    let mut blocks = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let Some(info) = lines[i].strip_prefix("```") else {
            i += 1;
            continue;
        };
        let start = i;
        i += 1;
        while i < lines.len() && !lines[i].starts_with("```") {
            i += 1;
        }
        if info.split(',').next() == Some("rust") {
            blocks.push(Block {
                file: file.to_string(),
                line: start + 1,
                info: info.to_string(),
                body: lines[start + 1..i].join("\n"),
                before: if start > 0 { lines[start - 1] } else { "" }.to_string(),
            });
        }
        i += 1;
    }
    blocks
}

/// The verdict on one block: `Ok` or what is wrong.
fn check(block: &Block, root: &Path, doctested: &str) -> Result<(), String> {
    let at = format!("{}:{}", block.file, block.line);
    if let Some(path) = comment(&block.before, "compiled:") {
        let source = std::fs::read_to_string(root.join(path))
            .map_err(|e| format!("{at}: cannot read {path} named as its source: {e}"))?;
        return if source.contains(block.body.trim()) {
            Ok(())
        } else {
            Err(format!("{at}: the block is not a verbatim copy of {path}"))
        };
    }
    let ignored = block.info.split(',').any(|a| a == "ignore");
    if ignored {
        return match comment(&block.before, "ignore:") {
            Some(reason) if !reason.is_empty() => Ok(()),
            _ => Err(format!(
                "{at}: an `ignore` block needs `<!-- ignore: REASON -->` on the line before"
            )),
        };
    }
    let chapter = block.file.strip_prefix("docs/src/").unwrap_or("");
    let included = format!("include_str!(\"../../docs/src/{chapter}\")");
    if !chapter.is_empty() && doctested.contains(&included) {
        Ok(())
    } else {
        Err(format!(
            "{at}: not compiled: include its chapter in scenarios/src/lib.rs's `guide` \
             module, name its source with `<!-- compiled: PATH -->`, or mark it \
             `ignore` with `<!-- ignore: REASON -->`"
        ))
    }
}

/// The text after `<!-- KEY` in an HTML comment line, trimmed.
fn comment<'a>(line: &'a str, key: &str) -> Option<&'a str> {
    let inner = line
        .trim()
        .strip_prefix("<!--")?
        .strip_suffix("-->")?
        .trim();
    Some(inner.strip_prefix(key)?.trim())
}

#[test]
fn every_rust_block_of_the_guide_and_readme_is_compiled_or_says_why_not() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let doctested = include_str!("../src/lib.rs");
    let mut files = vec!["README.md".to_string()];
    let mut chapters: Vec<_> = std::fs::read_dir(root.join("docs/src"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with(".md"))
        .collect();
    chapters.sort();
    files.extend(chapters.into_iter().map(|n| format!("docs/src/{n}")));
    let mut problems = Vec::new();
    let mut count = 0;
    for file in &files {
        let text = std::fs::read_to_string(root.join(file)).unwrap();
        for block in rust_blocks(file, &text) {
            count += 1;
            if let Err(p) = check(&block, &root, doctested) {
                problems.push(p);
            }
        }
    }
    assert!(
        count >= 10,
        "only {count} rust blocks found: is the scan broken?"
    );
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_check_catches_an_uncompiled_block_and_a_stale_copy() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let text = "intro\n```rust\nlet x = 1;\n```\n<!-- compiled: scenarios/build.rs -->\n```rust\nfn not_there() {}\n```\n```rust,ignore\nx\n```\n";
    let blocks = rust_blocks("docs/src/new-chapter.md", text);
    assert_eq!(blocks.len(), 3);
    let verdicts: Vec<_> = blocks.iter().map(|b| check(b, &root, "")).collect();
    assert!(verdicts[0].as_ref().unwrap_err().contains("not compiled"));
    assert!(verdicts[1]
        .as_ref()
        .unwrap_err()
        .contains("not a verbatim copy"));
    assert!(verdicts[2]
        .as_ref()
        .unwrap_err()
        .contains("needs `<!-- ignore"));
}
