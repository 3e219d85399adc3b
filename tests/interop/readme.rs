//! README, "Using stacpkg files with other tools": every command of that section runs as
//! written (the registry address `localhost:5000` becomes the test registry's) in a directory
//! holding an `items.parquet` stacpkg wrote from `simple.ndjson`, with the test venv's
//! `python` and `rustac` first on PATH, and prints what the tool should say about the file.

use std::collections::BTreeMap;
use std::path::Path;

use testkit::registry::Registry;
use testkit::*;

use super::{fixture_ids, ours_ndjson_to_parquet, SIMPLE};

const SECTION: &str = "## Using stacpkg files with other tools";
/// The registry address the README's oras command uses.
const README_REGISTRY: &str = "localhost:5000";

/// The section's commands by tool: the bold name before each ```sh block, and its lines.
fn readme_commands() -> BTreeMap<String, String> {
    let readme = std::fs::read_to_string(repo_root().join("README.md")).expect("README.md");
    let start = readme.find(SECTION).expect("README lacks the section");
    let body = &readme[start + SECTION.len()..];
    let body = &body[..body.find("\n## ").unwrap_or(body.len())];
    let mut out = BTreeMap::new();
    let mut tool: Option<String> = None;
    let mut block: Option<Vec<&str>> = None;
    for line in body.lines().map(str::trim_end) {
        if let Some(lines) = block.as_mut() {
            if line == "```" {
                let name = tool
                    .take()
                    .expect("a ```sh block without a **Tool** line before it");
                out.insert(name, lines.join("\n"));
                block = None;
            } else {
                lines.push(line);
            }
        } else if line == "```sh" {
            block = Some(Vec::new());
        } else if let Some(rest) = line.strip_prefix("**") {
            tool = rest.split("**").next().map(str::to_string);
        }
    }
    out
}

fn run(command: &str, dir: &Path, path: &str) -> String {
    let out = shell(command)
        .current_dir(dir)
        .env("PATH", path)
        .assert()
        .success()
        .get_output()
        .clone();
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

#[test]
fn readme_other_tools_commands_work_on_our_files() {
    let Some(python) = tool_python() else { return };
    let Some(rustac) = tool_rustac() else { return };
    let Some(registry) = Registry::start() else {
        return;
    };
    let commands = readme_commands();
    assert_eq!(
        commands.keys().map(String::as_str).collect::<Vec<_>>(),
        [
            "DuckDB",
            "GeoPandas",
            "oras",
            "pyarrow",
            "rustac",
            "stac-geoparquet"
        ]
    );
    let work = temp_dir();
    let dir = work.path();
    let items = ours_ndjson_to_parquet(dir, &fixture(SIMPLE), "items.parquet");
    // A package pushed the README's way.
    let pkg = dir.join("pkg");
    let reference = format!("{}/demo/pkg:v1", registry.host());
    shell(
        r#""$STACPKG" items from-parquet "$ITEMS" | "$STACPKG" build "$PKG" --no-probe-metadata
"$STACPKG" push "$PKG" "$REF" --plain-http"#,
    )
    .env("ITEMS", &items)
    .env("PKG", &pkg)
    .env("REF", &reference)
    .assert()
    .success();

    let path = format!(
        "{}:{}:{}",
        python.parent().unwrap().display(),
        rustac.parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let ids = fixture_ids(SIMPLE);
    for (tool, command) in &commands {
        let command = command.replace(README_REGISTRY, &registry.host());
        let printed = run(&command, dir, &path);
        match tool.as_str() {
            "GeoPandas" => assert_eq!(printed, "['simple-1', 'simple-2'] OGC:CRS84"),
            "DuckDB" => assert_eq!(printed, "[('simple-2',), ('simple-3',)]"),
            "pyarrow" => assert_eq!(printed, "1.1.0 True 10.0 14.0"),
            "rustac" => {
                let back = read_ndjson(&dir.join("items.ndjson"));
                let back: Vec<_> = back.iter().map(|i| i["id"].as_str().unwrap()).collect();
                assert_eq!(back, ids, "rustac translate");
            }
            "stac-geoparquet" => {
                assert_eq!(printed, format!("{ids:?}").replace('"', "'"));
            }
            "oras" => {
                assert!(printed.contains("items.parquet"), "{printed}");
                for file in ["items.parquet", "assets.lock.parquet"] {
                    assert_eq!(
                        std::fs::read(dir.join("pulled").join(file)).unwrap(),
                        std::fs::read(pkg.join(file)).unwrap(),
                        "oras pulled {file}"
                    );
                }
            }
            other => panic!("no check for {other}"),
        }
    }
}
