//! The console's source tree keeps its shape: every pane is a folder with the same four files,
//! and no file inside `src/tui` imports, directly or through others, a file that imports it
//! back (test modules aside). Read from the source, so a new circle fails here, naming it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// A module path under `src`, e.g. `["tui", "panes", "lock", "update"]`.
type ModPath = Vec<String>;

fn src_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// Every `.rs` file under `src/<top>`, by module path.
fn modules(top: &str) -> BTreeMap<ModPath, PathBuf> {
    let mut out = BTreeMap::new();
    let mut dirs = vec![src_dir().join(top)];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
                continue;
            }
            if path.extension().and_then(|e| e.to_str()) != Some("rs") {
                continue;
            }
            let rel = path.strip_prefix(src_dir()).unwrap().with_extension("");
            let mut module: ModPath = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            if module.last().map(String::as_str) == Some("mod") {
                module.pop();
            }
            out.insert(module, path);
        }
    }
    out
}

/// The source without test modules and comments.
fn code_of(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap();
    let text = text.split("#[cfg(test)]").next().unwrap_or_default();
    text.lines()
        .map(|l| l.split("//").next().unwrap_or_default())
        .collect::<Vec<_>>()
        .join("\n")
}

/// The paths a file names: `crate::a::b`, `super::a`, `self::a`, with `use x::{a, b::c}`
/// groups expanded (one level, which is all the tree uses) and `use child::X` in a `mod.rs`.
fn named_paths(module: &[String], code: &str) -> Vec<ModPath> {
    let ident = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let mut found = Vec::new();
    let bytes: Vec<char> = code.chars().collect();
    let mut i = 0;
    while i < bytes.len() {
        let starts_word = i == 0 || !ident(bytes[i - 1]);
        let rest: String = bytes[i..bytes.len().min(i + 8)].iter().collect();
        let head = ["crate::", "super::", "self::"]
            .into_iter()
            .find(|h| rest.starts_with(h));
        let Some(head) = head.filter(|_| starts_word) else {
            i += 1;
            continue;
        };
        // Read `seg::seg::…` and an optional `{…}` group.
        let mut j = i;
        let mut segs: Vec<String> = Vec::new();
        loop {
            let start = j;
            while j < bytes.len() && ident(bytes[j]) {
                j += 1;
            }
            segs.push(bytes[start..j].iter().collect());
            if bytes.get(j) == Some(&':') && bytes.get(j + 1) == Some(&':') {
                j += 2;
                if bytes.get(j) == Some(&'{') {
                    let end = (j..bytes.len()).find(|&k| bytes[k] == '}').unwrap_or(j);
                    let group: String = bytes[j + 1..end].iter().collect();
                    for item in group.split(',') {
                        let item: Vec<String> = item
                            .trim()
                            .split("::")
                            .map(|s| s.trim().to_string())
                            .filter(|s| !s.is_empty() && s != "self")
                            .collect();
                        if !item.is_empty() {
                            let mut path = segs.clone();
                            path.extend(item);
                            found.push(resolve_head(module, head, &path));
                        }
                    }
                    j = end;
                    break;
                }
                continue;
            }
            break;
        }
        found.push(resolve_head(module, head, &segs));
        i = j.max(i + 1);
    }
    for line in code.lines() {
        if let Some(rest) = line.trim().strip_prefix("use ") {
            let first = rest.split("::").next().unwrap_or_default();
            if !["std", "crate", "super", "self"].contains(&first) && !first.contains(' ') {
                let mut path = module.to_vec();
                path.extend(rest.trim_end_matches(';').split("::").map(String::from));
                found.push(path);
            }
        }
    }
    found
}

/// `segs` starts with the head word (`crate`, `super`, `self`); the absolute module path.
fn resolve_head(module: &[String], head: &str, segs: &[String]) -> ModPath {
    let mut rest: &[String] = &segs[1..];
    let mut base: ModPath = match head {
        "crate::" => Vec::new(),
        "self::" => module.to_vec(),
        _ => module[..module.len().saturating_sub(1)].to_vec(),
    };
    while rest.first().map(String::as_str) == Some("super") {
        base.pop();
        rest = &rest[1..];
    }
    base.extend(rest.iter().cloned());
    base
}

/// The longest prefix of `path` that is a file.
fn file_of<'a>(path: &[String], files: &'a BTreeMap<ModPath, PathBuf>) -> Option<&'a ModPath> {
    (1..=path.len())
        .rev()
        .find_map(|n| files.get_key_value(&path[..n]).map(|(k, _)| k))
}

fn import_graph(top: &str) -> BTreeMap<ModPath, BTreeSet<ModPath>> {
    let files = modules(top);
    files
        .iter()
        .map(|(module, path)| {
            let targets = named_paths(module, &code_of(path))
                .iter()
                .filter_map(|p| file_of(p, &files))
                .filter(|t| *t != module)
                .cloned()
                .collect();
            (module.clone(), targets)
        })
        .collect()
}

/// Every import circle, each as the files along it.
fn circles(graph: &BTreeMap<ModPath, BTreeSet<ModPath>>) -> Vec<String> {
    fn visit(
        node: &ModPath,
        graph: &BTreeMap<ModPath, BTreeSet<ModPath>>,
        state: &mut BTreeMap<ModPath, u8>,
        stack: &mut Vec<ModPath>,
        out: &mut Vec<String>,
    ) {
        state.insert(node.clone(), 1);
        stack.push(node.clone());
        for next in graph.get(node).into_iter().flatten() {
            match state.get(next) {
                Some(1) => {
                    let at = stack.iter().position(|m| m == next).unwrap();
                    let names: Vec<String> = stack[at..]
                        .iter()
                        .chain([next])
                        .map(|m| m.join("/"))
                        .collect();
                    out.push(names.join(" -> "));
                }
                Some(_) => {}
                None => visit(next, graph, state, stack, out),
            }
        }
        stack.pop();
        state.insert(node.clone(), 2);
    }
    let mut state = BTreeMap::new();
    let mut out = Vec::new();
    for node in graph.keys() {
        if !state.contains_key(node) {
            visit(node, graph, &mut state, &mut Vec::new(), &mut out);
        }
    }
    out
}

#[test]
fn no_import_circle_inside_the_console_or_the_demo() {
    for top in ["tui", "demo"] {
        let graph = import_graph(top);
        assert!(graph.len() >= 5, "{top}: read {} files", graph.len());
        let found = circles(&graph);
        assert!(
            found.is_empty(),
            "import circles in src/{top}:\n{}",
            found.join("\n")
        );
    }
}

#[test]
fn the_checker_sees_a_circle_when_there_is_one() {
    let m = |s: &str| s.split('/').map(String::from).collect::<ModPath>();
    let mut graph = BTreeMap::new();
    graph.insert(m("tui/a"), BTreeSet::from([m("tui/b")]));
    graph.insert(m("tui/b"), BTreeSet::from([m("tui/c")]));
    graph.insert(m("tui/c"), BTreeSet::from([m("tui/a")]));
    assert_eq!(circles(&graph), ["tui/a -> tui/b -> tui/c -> tui/a"]);
    // And the reader finds imports in the forms the tree uses.
    let code = "use super::{form::FIELDS, Picker};\nuse crate::tui::model::Model;\nuse view::X;\n\
                fn f() { crate::tui::panes::lock::update::open_lock(); }";
    let module = m("tui/panes/search");
    let named = named_paths(&module, code);
    for expected in [
        "tui/panes/form/FIELDS",
        "tui/panes/Picker",
        "tui/model/Model",
        "tui/panes/search/view/X",
        "tui/panes/lock/update/open_lock",
    ] {
        assert!(named.contains(&m(expected)), "{expected} not in {named:?}");
    }
}

#[test]
fn every_pane_is_a_folder_with_the_same_four_files() {
    let panes = src_dir().join("tui/panes");
    let mut seen = Vec::new();
    for entry in std::fs::read_dir(&panes).unwrap() {
        let path = entry.unwrap().path();
        if !path.is_dir() {
            continue;
        }
        for file in ["mod.rs", "update.rs", "jobs.rs", "view.rs"] {
            assert!(
                path.join(file).is_file(),
                "{} has no {file}",
                path.display()
            );
        }
        seen.push(path.file_name().unwrap().to_string_lossy().into_owned());
    }
    seen.sort();
    assert_eq!(
        seen,
        ["items", "lock", "map", "package", "search", "validation"]
    );
}
