//! The layout of `sim-net/src/model` that its module docs promise: no
//! import cycle between its files (data types never reach back to the
//! `Network` that holds them), and `network.rs` small enough to read.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Each module of the model (as a path like `tcp/conn`) with its source.
fn modules(root: &Path) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut dirs = vec![PathBuf::from(root)];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let rel = path.strip_prefix(root).unwrap().with_extension("");
            let mut name = rel.to_string_lossy().replace('\\', "/");
            if name == "mod" {
                name = String::new();
            } else if let Some(parent) = name.strip_suffix("/mod") {
                name = parent.to_string();
            }
            out.insert(name, std::fs::read_to_string(&path).unwrap());
        }
    }
    out
}

/// The source without line comments and without its inline test module
/// (tests may reach anywhere).
fn code_of(source: &str) -> String {
    let source = source
        .split("#[cfg(test)]\nmod tests {")
        .next()
        .unwrap_or("");
    source
        .lines()
        .map(|l| l.split("//").next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The modules `name` names through `super::`, `self::` or
/// `crate::model::` paths.
fn imports(
    name: &str,
    source: &str,
    all: &BTreeMap<String, String>,
    root: &Path,
) -> BTreeSet<String> {
    let segments: Vec<&str> = if name.is_empty() {
        vec![]
    } else {
        name.split('/').collect()
    };
    // A `mod.rs` (or the root) is its own directory: `super` is one up.
    let is_dir = name.is_empty() || root.join(name).is_dir();
    let here: Vec<&str> = if is_dir {
        segments.clone()
    } else {
        segments[..segments.len() - 1].to_vec()
    };
    let code = code_of(source);
    let mut found = BTreeSet::new();
    let bytes = code.as_bytes();
    let mut i = 0;
    while i < code.len() {
        let rest = &code[i..];
        let starts_word = i == 0
            || !(bytes[i - 1].is_ascii_alphanumeric()
                || bytes[i - 1] == b'_'
                || bytes[i - 1] == b':');
        let (base, after): (Vec<&str>, &str) = if !starts_word {
            i += 1;
            continue;
        } else if let Some(r) = rest.strip_prefix("crate::model::") {
            (vec![], r)
        } else if let Some(r) = rest.strip_prefix("self::") {
            (segments.clone(), r)
        } else if rest.starts_with("super::") {
            let mut r = rest;
            let mut up = 0;
            while let Some(next) = r.strip_prefix("super::") {
                r = next;
                up += 1;
            }
            let mut base = if is_dir {
                segments.clone()
            } else {
                here.clone()
            };
            if is_dir {
                base.truncate(base.len().saturating_sub(up));
            } else {
                base.truncate(base.len().saturating_sub(up - 1));
            }
            (base, r)
        } else {
            i += 1;
            continue;
        };
        let path: Vec<&str> = after
            .split(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
            .next()
            .unwrap_or("")
            .split("::")
            .filter(|s| !s.is_empty())
            .collect();
        let mut full = base.clone();
        full.extend(path);
        // The longest prefix that is a module of the model.
        for n in (1..=full.len()).rev() {
            let candidate = full[..n].join("/");
            if all.contains_key(&candidate) {
                if candidate != name {
                    found.insert(candidate);
                }
                break;
            }
        }
        i += 1;
    }
    found
}

/// A cycle in the graph, if there is one, as the modules along it.
fn find_cycle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        state: &mut BTreeMap<String, u8>,
        stack: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        state.insert(node.to_string(), 1);
        stack.push(node.to_string());
        for next in graph.get(node).into_iter().flatten() {
            match state.get(next.as_str()).copied().unwrap_or(0) {
                1 => {
                    let at = stack.iter().position(|n| n == next).unwrap();
                    let mut cycle = stack[at..].to_vec();
                    cycle.push(next.clone());
                    return Some(cycle);
                }
                0 => {
                    if let Some(c) = visit(next, graph, state, stack) {
                        return Some(c);
                    }
                }
                _ => {}
            }
        }
        stack.pop();
        state.insert(node.to_string(), 2);
        None
    }
    let mut state = BTreeMap::new();
    for node in graph.keys() {
        if state.get(node.as_str()).copied().unwrap_or(0) == 0 {
            if let Some(c) = visit(node, graph, &mut state, &mut Vec::new()) {
                return Some(c);
            }
        }
    }
    None
}

fn model_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src/model")
}

fn import_graph(root: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let all = modules(root);
    all.iter()
        .filter(|(name, _)| !name.is_empty() && !name.starts_with("tcp/tests"))
        .map(|(name, source)| (name.clone(), imports(name, source, &all, root)))
        .collect()
}

#[test]
fn the_model_has_no_import_cycle() {
    let graph = import_graph(&model_root());
    assert!(graph.len() > 30, "only {} modules found", graph.len());
    assert!(
        graph["tcp/mod".trim_end_matches("/mod")].contains("network"),
        "the scan sees tcp's use of the network"
    );
    if let Some(cycle) = find_cycle(&graph) {
        panic!("import cycle in sim-net/src/model: {}", cycle.join(" -> "));
    }
}

#[test]
fn the_cycle_finder_finds_a_cycle() {
    let mut graph = BTreeMap::new();
    graph.insert(
        "network".to_string(),
        BTreeSet::from(["socket".to_string()]),
    );
    graph.insert(
        "socket".to_string(),
        BTreeSet::from(["network".to_string()]),
    );
    assert_eq!(
        find_cycle(&graph),
        Some(vec!["network".into(), "socket".into(), "network".into()])
    );
}

#[test]
fn network_rs_fits_on_a_few_screens() {
    let lines = std::fs::read_to_string(model_root().join("network.rs"))
        .unwrap()
        .lines()
        .count();
    assert!(
        lines < 400,
        "sim-net/src/model/network.rs has {lines} lines"
    );
}
