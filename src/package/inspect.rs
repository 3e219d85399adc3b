//! `inspect`: what a package holds, as YAML, JSON or Markdown.
//!
//! The keys and renderings are the Python stacpkg 0.1.4's (`package`, `files`, `items`,
//! `assets`; its hand-written YAML, `json.dumps(indent=2, sort_keys=True)`, its Markdown), so
//! scripts reading either tool's output keep working. What it lacks is added under new keys
//! that appear only when there is something to say: `skipped_files` (in the directory but not
//! part of the package, so never pushed), `missing_files` (referenced by the lock but absent)
//! and `validation` (the state recorded in an `asset-lock validate` report). A directory that
//! is not a package is an error, not a summary of zeros.
//!
//! Speed: row counts come from Parquet footers and only the needed columns are decoded
//! (`collection`; `asset_key`, `size_bytes`), so a 20,000-item package inspects in
//! milliseconds plus the time to hash its files.

use std::collections::{BTreeSet, HashSet};
use std::fs::File;
use std::io::BufRead;
use std::path::Path;

use arrow_array::{Array, Int64Array, StringArray};
use arrow_schema::DataType;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::arrow::ProjectionMask;
use serde_json::Value;

use super::files::{list_package, sha256_file};
use super::{media, ITEMS_FILE, LOCK_FILE};
use crate::{Error, Result};

/// A value of the inspect document: ordered maps, so YAML keeps the Python key order.
#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    /// A string.
    Str(String),
    /// An integer.
    Int(i64),
    /// A boolean.
    Bool(bool),
    /// A list.
    List(Vec<Node>),
    /// A map in insertion order.
    Map(Vec<(String, Node)>),
}

impl Node {
    fn str(s: impl Into<String>) -> Self {
        Node::Str(s.into())
    }

    fn int(n: impl TryInto<i64>) -> Self {
        Node::Int(n.try_into().unwrap_or(i64::MAX))
    }

    /// The value of a map entry.
    pub fn get(&self, key: &str) -> Option<&Node> {
        match self {
            Node::Map(entries) => entries.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }
}

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// The Python tool's YAML (default).
    Yaml,
    /// JSON, keys sorted, indent 2.
    Json,
    /// Markdown.
    Markdown,
}

/// Builds the inspect document of the package in `dir`; `package` is the path as typed.
/// `validation` is an `asset-lock validate` report (JSON lines) to summarise.
pub fn inspect(dir: &Path, package: &str, validation: Option<&Path>) -> Result<Node> {
    let listing = list_package(dir)?;
    let mut files = Vec::new();
    for f in listing.files() {
        let name = f.path.rsplit('/').next().unwrap_or(&f.path);
        files.push(Node::Map(vec![
            ("path".into(), Node::str(&f.path)),
            ("mediaType".into(), Node::str(media::media_type(name))),
            ("size".into(), Node::int(f.size)),
            ("digest".into(), Node::str(sha256_file(&f.source)?)),
        ]));
    }
    let items = items_summary(&dir.join(ITEMS_FILE))?;
    let lock = lock_summary(&dir.join(LOCK_FILE))?;
    let mut doc = vec![
        ("package".to_string(), Node::str(package)),
        ("files".to_string(), Node::List(files)),
        (
            "items".to_string(),
            Node::Map(vec![
                ("count".into(), Node::int(items.0)),
                ("collections".into(), strings(items.1)),
            ]),
        ),
        (
            "assets".to_string(),
            Node::Map(vec![
                ("count".into(), Node::int(lock.rows)),
                ("asset_keys".into(), strings(lock.asset_keys.clone())),
                ("known_size_bytes".into(), Node::int(lock.known_size_bytes)),
                ("known_size_count".into(), Node::int(lock.known_size_count)),
            ]),
        ),
    ];
    if !listing.skipped.is_empty() {
        let skipped = listing
            .skipped
            .iter()
            .map(|(p, why)| {
                Node::Map(vec![
                    ("path".into(), Node::str(p)),
                    ("reason".into(), Node::str(why.describe())),
                ])
            })
            .collect();
        doc.push(("skipped_files".into(), Node::List(skipped)));
    }
    if !listing.missing.is_empty() {
        doc.push((
            "missing_files".into(),
            strings(listing.missing.iter().cloned().collect()),
        ));
    }
    if let Some(report) = validation {
        doc.push((
            "validation".into(),
            validation_summary(report, &lock.pairs)?,
        ));
    }
    Ok(Node::Map(doc))
}

fn strings(values: BTreeSet<String>) -> Node {
    Node::List(values.into_iter().map(Node::Str).collect())
}

fn open_columns(
    path: &Path,
    columns: &[&str],
) -> Result<(
    usize,
    Vec<Option<usize>>,
    parquet::arrow::arrow_reader::ParquetRecordBatchReader,
)> {
    let name = path.display().to_string();
    let file = File::open(path).map_err(|e| Error::io(&name, e))?;
    let builder = ParquetRecordBatchReaderBuilder::try_new(file)
        .map_err(|e| Error::input(&name, format!("not a readable Parquet file ({e})")))?;
    let rows = usize::try_from(builder.metadata().file_metadata().num_rows()).unwrap_or(0);
    let schema = builder.schema().clone();
    let indices: Vec<Option<usize>> = columns.iter().map(|c| schema.index_of(c).ok()).collect();
    let present: Vec<usize> = indices.iter().flatten().copied().collect();
    let mask = ProjectionMask::roots(builder.parquet_schema(), present.iter().copied());
    let reader = builder
        .with_projection(mask)
        .with_batch_size(64 * 1024)
        .build()
        .map_err(|e| Error::parquet(&name, e))?;
    // Positions of the requested columns within the projected batches.
    let mut sorted = present.clone();
    sorted.sort_unstable();
    let positions = indices
        .iter()
        .map(|i| i.map(|i| sorted.iter().position(|p| *p == i).expect("projected")))
        .collect();
    Ok((rows, positions, reader))
}

fn as_strings(array: &dyn Array, name: &str) -> Result<StringArray> {
    let cast = arrow_cast::cast(array, &DataType::Utf8)
        .map_err(|e| Error::arrow(format!("{name}: reading"), e))?;
    Ok(cast
        .as_any()
        .downcast_ref::<StringArray>()
        .expect("utf8")
        .clone())
}

/// Rows and distinct collections of `items.parquet`.
fn items_summary(path: &Path) -> Result<(usize, BTreeSet<String>)> {
    let name = path.display().to_string();
    let (rows, pos, reader) = open_columns(path, &["collection"])?;
    let mut collections = BTreeSet::new();
    if let Some(p) = pos[0] {
        for batch in reader {
            let batch = batch.map_err(|e| Error::arrow(format!("{name}: reading"), e))?;
            let col = as_strings(batch.column(p), &name)?;
            collections.extend(col.iter().flatten().map(str::to_string));
        }
    }
    Ok((rows, collections))
}

struct LockSummary {
    rows: usize,
    asset_keys: BTreeSet<String>,
    known_size_bytes: i64,
    known_size_count: usize,
    pairs: HashSet<(String, String)>,
}

fn lock_summary(path: &Path) -> Result<LockSummary> {
    let name = path.display().to_string();
    let (rows, pos, reader) = open_columns(path, &["item_id", "asset_key", "size_bytes"])?;
    let mut s = LockSummary {
        rows,
        asset_keys: BTreeSet::new(),
        known_size_bytes: 0,
        known_size_count: 0,
        pairs: HashSet::new(),
    };
    for batch in reader {
        let batch = batch.map_err(|e| Error::arrow(format!("{name}: reading"), e))?;
        let keys = pos[1]
            .map(|p| as_strings(batch.column(p), &name))
            .transpose()?;
        if let Some(keys) = &keys {
            s.asset_keys
                .extend(keys.iter().flatten().map(str::to_string));
        }
        if let (Some(ids), Some(keys)) = (pos[0], &keys) {
            let ids = as_strings(batch.column(ids), &name)?;
            for (id, key) in ids.iter().zip(keys.iter()) {
                if let (Some(id), Some(key)) = (id, key) {
                    s.pairs.insert((id.to_string(), key.to_string()));
                }
            }
        }
        if let Some(p) = pos[2] {
            let sizes = arrow_cast::cast(batch.column(p), &DataType::Int64)
                .map_err(|e| Error::arrow(format!("{name}: size_bytes"), e))?;
            let sizes = sizes.as_any().downcast_ref::<Int64Array>().expect("int64");
            for v in sizes.iter().flatten() {
                s.known_size_bytes = s.known_size_bytes.saturating_add(v);
                s.known_size_count += 1;
            }
        }
    }
    Ok(s)
}

/// Summarises an `asset-lock validate` report against the lock's (item_id, asset_key) rows.
fn validation_summary(report: &Path, lock: &HashSet<(String, String)>) -> Result<Node> {
    let name = report.display().to_string();
    let file = File::open(report).map_err(|e| Error::io(&name, e))?;
    let (mut valid, mut invalid, mut not_in_lock) = (0usize, 0usize, 0usize);
    let mut seen = HashSet::new();
    let mut failures = Vec::new();
    for (i, line) in std::io::BufReader::new(file).lines().enumerate() {
        let line = line.map_err(|e| Error::io(&name, e))?;
        if line.trim().is_empty() {
            continue;
        }
        let row: Value = serde_json::from_str(&line).map_err(|e| Error::Json {
            input: name.clone(),
            line: i + 1,
            source: e,
        })?;
        let field = |k: &str| row.get(k).and_then(Value::as_str).map(str::to_string);
        let (Some(id), Some(key), Some(ok)) = (
            field("item_id"),
            field("asset_key"),
            row.get("valid").and_then(Value::as_bool),
        ) else {
            return Err(Error::input(
                format!("{name}: line {}", i + 1),
                "not an `asset-lock validate` result (needs item_id, asset_key, valid)",
            ));
        };
        let pair = (id, key);
        if !lock.contains(&pair) {
            not_in_lock += 1;
            continue;
        }
        seen.insert(pair.clone());
        if ok {
            valid += 1;
        } else {
            invalid += 1;
            let errors = row
                .get("errors")
                .and_then(Value::as_array)
                .map(|errs| {
                    errs.iter()
                        .map(|e| {
                            Node::str(e.as_str().map_or_else(|| e.to_string(), str::to_string))
                        })
                        .collect()
                })
                .unwrap_or_default();
            failures.push(Node::Map(vec![
                ("item_id".into(), Node::str(pair.0)),
                ("asset_key".into(), Node::str(pair.1)),
                ("errors".into(), Node::List(errors)),
            ]));
        }
    }
    let unchecked = lock.len().saturating_sub(seen.len());
    let state = if invalid > 0 {
        "invalid"
    } else if unchecked > 0 {
        "incomplete"
    } else {
        "valid"
    };
    let mut map = vec![
        ("report".into(), Node::str(name)),
        ("state".into(), Node::str(state)),
        ("valid".into(), Node::int(valid)),
        ("invalid".into(), Node::int(invalid)),
        ("unchecked".into(), Node::int(unchecked)),
    ];
    if not_in_lock > 0 {
        map.push(("not_in_lock".into(), Node::int(not_in_lock)));
    }
    map.push(("failures".into(), Node::List(failures)));
    Ok(Node::Map(map))
}

/// Renders the document.
pub fn render(doc: &Node, format: Format) -> String {
    match format {
        Format::Yaml => {
            let mut out = String::new();
            if let Node::Map(entries) = doc {
                yaml_map(entries, 0, &mut out);
            }
            out
        }
        Format::Json => {
            let mut text = serde_json::to_string_pretty(&to_sorted_json(doc)).expect("json");
            text.push('\n');
            ascii_escape(&text)
        }
        Format::Markdown => markdown(doc),
    }
}

/// A JSON string literal as Python's `json.dumps` writes it (non-ASCII escaped).
fn quote(s: &str) -> String {
    ascii_escape(&serde_json::to_string(s).expect("string"))
}

/// Python's `ensure_ascii`: every non-ASCII character as `\uXXXX` (UTF-16 pairs above BMP).
fn ascii_escape(text: &str) -> String {
    if text.is_ascii() {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if c.is_ascii() {
            out.push(c);
        } else {
            let mut buf = [0u16; 2];
            for unit in c.encode_utf16(&mut buf) {
                out.push_str(&format!("\\u{unit:04x}"));
            }
        }
    }
    out
}

fn scalar(node: &Node) -> Option<String> {
    match node {
        Node::Str(s) => Some(quote(s)),
        Node::Int(n) => Some(n.to_string()),
        Node::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn yaml_map(entries: &[(String, Node)], indent: usize, out: &mut String) {
    let pad = " ".repeat(indent);
    for (key, value) in entries {
        match scalar(value) {
            Some(s) => out.push_str(&format!("{pad}{key}: {s}\n")),
            None => {
                out.push_str(&format!("{pad}{key}:\n"));
                yaml_block(value, indent + 2, out);
            }
        }
    }
}

fn yaml_block(node: &Node, indent: usize, out: &mut String) {
    let pad = " ".repeat(indent);
    match node {
        Node::Map(entries) if entries.is_empty() => out.push_str(&format!("{pad}{{}}\n")),
        Node::Map(entries) => yaml_map(entries, indent, out),
        Node::List(items) if items.is_empty() => out.push_str(&format!("{pad}[]\n")),
        Node::List(items) => {
            for item in items {
                match scalar(item) {
                    Some(s) => out.push_str(&format!("{pad}- {s}\n")),
                    None => {
                        out.push_str(&format!("{pad}-\n"));
                        yaml_block(item, indent + 2, out);
                    }
                }
            }
        }
        other => out.push_str(&format!("{pad}{}\n", scalar(other).unwrap_or_default())),
    }
}

fn to_sorted_json(node: &Node) -> Value {
    match node {
        Node::Str(s) => Value::String(s.clone()),
        Node::Int(n) => Value::from(*n),
        Node::Bool(b) => Value::Bool(*b),
        Node::List(items) => Value::Array(items.iter().map(to_sorted_json).collect()),
        Node::Map(entries) => {
            let mut sorted: Vec<&(String, Node)> = entries.iter().collect();
            sorted.sort_by(|a, b| a.0.cmp(&b.0));
            let mut map = serde_json::Map::new();
            for (k, v) in sorted {
                map.insert(k.clone(), to_sorted_json(v));
            }
            Value::Object(map)
        }
    }
}

fn list_text(node: Option<&Node>) -> String {
    let values: Vec<String> = match node {
        Some(Node::List(items)) => items
            .iter()
            .filter_map(|i| match i {
                Node::Str(s) => Some(s.clone()),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    };
    if values.is_empty() {
        "none".into()
    } else {
        values.join(", ")
    }
}

fn int_text(node: Option<&Node>) -> String {
    match node {
        Some(Node::Int(n)) => n.to_string(),
        _ => "0".into(),
    }
}

fn str_text(node: Option<&Node>) -> String {
    match node {
        Some(Node::Str(s)) => s.clone(),
        _ => String::new(),
    }
}

fn markdown(doc: &Node) -> String {
    let items = doc.get("items");
    let assets = doc.get("assets");
    let mut out = String::from("# stacpkg Inspect\n\n");
    out.push_str(&format!("- Package: `{}`\n", str_text(doc.get("package"))));
    out.push_str(&format!(
        "- Items: {}\n",
        int_text(items.and_then(|i| i.get("count")))
    ));
    out.push_str(&format!(
        "- Collections: {}\n",
        list_text(items.and_then(|i| i.get("collections")))
    ));
    out.push_str(&format!(
        "- Assets: {}\n",
        int_text(assets.and_then(|a| a.get("count")))
    ));
    out.push_str(&format!(
        "- Asset keys: {}\n",
        list_text(assets.and_then(|a| a.get("asset_keys")))
    ));
    out.push_str(&format!(
        "- Known asset bytes: {}\n",
        int_text(assets.and_then(|a| a.get("known_size_bytes")))
    ));
    out.push_str("\n## Files\n\n");
    match doc.get("files") {
        Some(Node::List(files)) if !files.is_empty() => {
            for f in files {
                out.push_str(&format!(
                    "- `{}` ({}, {} bytes)\n",
                    str_text(f.get("path")),
                    str_text(f.get("mediaType")),
                    int_text(f.get("size"))
                ));
            }
        }
        _ => out.push_str("No files recorded.\n"),
    }
    if let Some(Node::List(skipped)) = doc.get("skipped_files") {
        out.push_str("\n## Not part of the package\n\n");
        for s in skipped {
            out.push_str(&format!(
                "- `{}` ({})\n",
                str_text(s.get("path")),
                str_text(s.get("reason"))
            ));
        }
    }
    if let Some(Node::List(missing)) = doc.get("missing_files") {
        out.push_str("\n## Missing files\n\n");
        for m in missing {
            out.push_str(&format!(
                "- `{}`\n",
                scalar(m).unwrap_or_default().trim_matches('"')
            ));
        }
    }
    if let Some(v) = doc.get("validation") {
        out.push_str("\n## Validation\n\n");
        out.push_str(&format!("- Report: `{}`\n", str_text(v.get("report"))));
        out.push_str(&format!("- State: {}\n", str_text(v.get("state"))));
        out.push_str(&format!(
            "- Valid: {}, invalid: {}, unchecked: {}\n",
            int_text(v.get("valid")),
            int_text(v.get("invalid")),
            int_text(v.get("unchecked"))
        ));
        if let Some(Node::List(failures)) = v.get("failures") {
            for f in failures {
                out.push_str(&format!(
                    "- `{}` / `{}`: {}\n",
                    str_text(f.get("item_id")),
                    str_text(f.get("asset_key")),
                    list_text(f.get("errors"))
                ));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml_like_python() {
        let doc = Node::Map(vec![
            ("package".into(), Node::str("pkg1")),
            (
                "files".into(),
                Node::List(vec![Node::Map(vec![
                    ("path".into(), Node::str("README.md")),
                    ("size".into(), Node::int(7)),
                ])]),
            ),
            (
                "items".into(),
                Node::Map(vec![
                    ("count".into(), Node::int(1)),
                    ("collections".into(), Node::List(vec![])),
                ]),
            ),
        ]);
        assert_eq!(
            render(&doc, Format::Yaml),
            "package: \"pkg1\"\nfiles:\n  -\n    path: \"README.md\"\n    size: 7\nitems:\n  count: 1\n  collections:\n    []\n"
        );
        assert_eq!(
            render(&doc, Format::Json),
            "{\n  \"files\": [\n    {\n      \"path\": \"README.md\",\n      \"size\": 7\n    }\n  ],\n  \"items\": {\n    \"collections\": [],\n    \"count\": 1\n  },\n  \"package\": \"pkg1\"\n}\n"
        );
    }

    #[test]
    fn escapes_like_python() {
        assert_eq!(quote("grüß 🌍"), "\"gr\\u00fc\\u00df \\ud83c\\udf0d\"");
    }
}
