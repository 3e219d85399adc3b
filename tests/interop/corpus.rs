//! The round-trip corpus (`tests/data/corpus/`: items of thirteen real catalogues) through
//! stacpkg, rustac and stac-geoparquet, and across them: STAC JSON → GeoParquet → STAC JSON,
//! compared field by field with the input ([`testkit::stac_diff`]).
//!
//! stacpkg's own round trip must give every item back (the only changes are the ones
//! `docs/COMPATIBILITY.md` documents: a `null` member left out, a time respelled as the same
//! instant). For the other tools and the cross-tool pipelines the test renders what changed
//! as a table and compares it with the one in `docs/COMPATIBILITY.md` ("Round trip on real
//! catalogues"), so the documented differences are the measured ones: a tool upgrade that
//! changes them fails here. `STACPKG_UPDATE_DOCS=1` rewrites the table instead.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use std::process::{Command, Stdio};

use serde_json::Value;
use testkit::stac_diff::{differences, Change};
use testkit::*;

/// stac-geoparquet 0.8.3 in both directions: `write JSON PARQUET` (a JSON array of items to
/// its GeoParquet) and `read PARQUET NDJSON` (its GeoParquet back to items).
const STAC_GEOPARQUET: &str = r#"
import json, sys
import pyarrow.parquet as pq
import stac_geoparquet.arrow as sga
mode, src, dst = sys.argv[1:4]
if mode == "write":
    with open(src) as f:
        sga.to_parquet(sga.parse_stac_items_to_arrow(json.load(f)), dst)
else:
    with open(dst, "w") as f:
        for item in sga.stac_table_to_items(pq.read_table(src)):
            f.write(json.dumps(item) + "\n")
"#;

/// A tool that writes and reads stac-geoparquet.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Writer {
    Stacpkg,
    Rustac,
    StacGeoparquet,
}

impl Writer {
    fn name(self) -> &'static str {
        match self {
            Writer::Stacpkg => "stacpkg",
            Writer::Rustac => "rustac",
            Writer::StacGeoparquet => "stac-geoparquet",
        }
    }

    /// Writes the items of the JSON array `input` (also given as NDJSON) as GeoParquet.
    fn write(self, rustac: &Path, input: &Path, ndjson: &Path, parquet: &Path) {
        match self {
            Writer::Stacpkg => {
                shell(r#""$STACPKG" items from-json "$IN" | "$STACPKG" items to-parquet "$OUT""#)
                    .env("IN", input)
                    .env("OUT", parquet)
                    .assert()
                    .success();
            }
            // rustac reads an ItemCollection or NDJSON, not a bare array.
            Writer::Rustac => {
                run_tool(
                    rustac,
                    [
                        "translate".as_ref(),
                        ndjson.as_os_str(),
                        parquet.as_os_str(),
                    ],
                );
            }
            Writer::StacGeoparquet => {
                run_python(
                    STAC_GEOPARQUET,
                    ["write".as_ref(), input.as_os_str(), parquet.as_os_str()],
                );
            }
        }
    }

    /// Reads GeoParquet back as items, one JSON document per line; a tool that cannot read
    /// the file gives the last line of its error.
    fn read(self, rustac: &Path, parquet: &Path, out: &Path) -> Result<Vec<Value>, String> {
        let mut command = match self {
            Writer::Stacpkg => {
                let mut c = Command::new("bash");
                c.args([
                    "-o",
                    "pipefail",
                    "-c",
                    r#""$STACPKG" items from-parquet "$IN" | "$STACPKG" items to-ndjson "$OUT""#,
                ]);
                c.env("STACPKG", stacpkg_path())
                    .env("IN", parquet)
                    .env("OUT", out);
                c
            }
            Writer::Rustac => {
                let mut c = Command::new(rustac);
                c.arg("translate").arg(parquet).arg(out);
                c
            }
            Writer::StacGeoparquet => {
                let mut c = Command::new(tool_python().unwrap());
                c.args(["-c", STAC_GEOPARQUET, "read"])
                    .arg(parquet)
                    .arg(out);
                c
            }
        };
        let output = command.stdin(Stdio::null()).output().unwrap();
        if !output.status.success() {
            let err = String::from_utf8_lossy(&output.stderr);
            let last = err
                .lines()
                .rev()
                .find(|l| !l.trim().is_empty())
                .unwrap_or("");
            return Err(last.trim().to_string());
        }
        Ok(read_ndjson(out))
    }
}

const TOOLS: [Writer; 3] = [Writer::Stacpkg, Writer::Rustac, Writer::StacGeoparquet];

/// The corpus files: `(catalogue, path)`, e.g. `("naip", …/naip-pc.json)`.
fn corpus() -> Vec<(String, PathBuf)> {
    let dir = fixture("corpus");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .map(|p| {
            let stem = p.file_stem().unwrap().to_string_lossy();
            (stem.trim_end_matches("-pc").to_string(), p)
        })
        .collect();
    files.sort();
    files
}

/// What changed in one pipeline: (what, where) → catalogues where it happens. `what` is a
/// [`Change`], or "cannot read the file" with the reader's error as `where`.
type Findings = BTreeMap<(String, String), BTreeSet<String>>;

/// Every change kind found, per pipeline (for the assertion on stacpkg's own round trip).
type Kinds = BTreeSet<Change>;

fn note(
    findings: &mut Findings,
    kinds: &mut Kinds,
    catalogue: &str,
    before: &[Value],
    after: Result<Vec<Value>, String>,
) {
    let after = match after {
        Ok(after) => after,
        Err(error) => {
            findings
                .entry(("cannot read the file".to_string(), error))
                .or_default()
                .insert(catalogue.to_string());
            return;
        }
    };
    assert_eq!(before.len(), after.len(), "{catalogue}: item count");
    for (a, b) in before.iter().zip(&after) {
        assert_eq!(a["id"], b["id"], "{catalogue}: items out of order");
        for d in differences(a, b) {
            kinds.insert(d.change);
            findings
                .entry((d.change.to_string(), format!("`{}`", d.pattern())))
                .or_default()
                .insert(catalogue.to_string());
        }
    }
}

/// The Markdown table of every pipeline's findings.
fn render(pipelines: &BTreeMap<(Writer, Writer), Findings>, catalogues: usize) -> String {
    let mut out = String::from(
        "| written by → read by | what changes | where | catalogues |\n|---|---|---|---|\n",
    );
    for ((w, r), findings) in pipelines {
        let pipeline = format!("{} → {}", w.name(), r.name());
        if findings.is_empty() {
            out.push_str(&format!("| {pipeline} | nothing | | all {catalogues} |\n"));
        }
        // One row per kind of change: every path it touches, every catalogue it touches.
        let mut rows: BTreeMap<&str, (Vec<&str>, BTreeSet<&str>)> = BTreeMap::new();
        for ((change, path), where_) in findings {
            let row = rows.entry(change.as_str()).or_default();
            row.0.push(path);
            row.1.extend(where_.iter().map(String::as_str));
        }
        for (change, (paths, where_)) in rows {
            let which = if where_.len() == catalogues {
                format!("all {catalogues}")
            } else {
                where_.into_iter().collect::<Vec<_>>().join(", ")
            };
            let paths = paths.join(", ");
            out.push_str(&format!("| {pipeline} | {change} | {paths} | {which} |\n"));
        }
    }
    out
}

const BEGIN: &str = "<!-- corpus-table:begin (written by tests/interop/corpus.rs) -->\n";
const END: &str = "<!-- corpus-table:end -->";

#[test]
fn corpus_round_trips_through_stacpkg_rustac_and_stac_geoparquet() {
    let (Some(_python), Some(rustac)) = (tool_python(), tool_rustac()) else {
        return;
    };
    let dir = temp_dir();
    let corpus = corpus();
    assert!(corpus.len() >= 13, "{corpus:?}");
    let mut pipelines: BTreeMap<(Writer, Writer), Findings> = BTreeMap::new();
    let mut kinds: BTreeMap<(Writer, Writer), Kinds> = BTreeMap::new();
    for (catalogue, input) in &corpus {
        let items: Vec<Value> =
            serde_json::from_str(&std::fs::read_to_string(input).unwrap()).unwrap();
        let ndjson = dir.path().join(format!("{catalogue}.ndjson"));
        let lines: Vec<String> = items.iter().map(Value::to_string).collect();
        std::fs::write(&ndjson, lines.join("\n") + "\n").unwrap();
        for w in TOOLS {
            let parquet = dir.path().join(format!("{catalogue}.{}.parquet", w.name()));
            w.write(&rustac, input, &ndjson, &parquet);
            for r in TOOLS {
                // Each tool's own round trip, and stacpkg with each of the others.
                if w != r && w != Writer::Stacpkg && r != Writer::Stacpkg {
                    continue;
                }
                let out = dir
                    .path()
                    .join(format!("{catalogue}.{}.{}.ndjson", w.name(), r.name()));
                let back = r.read(&rustac, &parquet, &out);
                note(
                    pipelines.entry((w, r)).or_default(),
                    kinds.entry((w, r)).or_default(),
                    catalogue,
                    &items,
                    back,
                );
            }
        }
    }
    let table = render(&pipelines, corpus.len());
    let doc_path = repo_root().join("docs/COMPATIBILITY.md");
    let doc = std::fs::read_to_string(&doc_path).unwrap();
    let (start, end) = (
        doc.find(BEGIN)
            .expect("docs/COMPATIBILITY.md has the corpus table markers")
            + BEGIN.len(),
        doc.find(END)
            .expect("docs/COMPATIBILITY.md has the corpus table end marker"),
    );
    if std::env::var("STACPKG_UPDATE_DOCS").as_deref() == Ok("1") {
        let updated = format!("{}{table}{}", &doc[..start], &doc[end..]);
        std::fs::write(&doc_path, updated).unwrap();
    } else {
        assert_eq!(
            &doc[start..end],
            table,
            "the corpus table in docs/COMPATIBILITY.md is not what the tools do now \
             (STACPKG_UPDATE_DOCS=1 rewrites it; then explain any new row)"
        );
    }
    // stacpkg's own round trip changes nothing but what the docs allow.
    let ours = &pipelines[&(Writer::Stacpkg, Writer::Stacpkg)];
    let allowed = [
        Change::NullDropped,
        Change::TimeRespelled,
        Change::IntegerToFloat,
    ];
    assert!(
        ours.keys().all(|(what, _)| what != "cannot read the file")
            && kinds[&(Writer::Stacpkg, Writer::Stacpkg)]
                .iter()
                .all(|k| allowed.contains(k)),
        "stacpkg's own round trip: {ours:#?}"
    );
}
