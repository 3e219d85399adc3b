//! Package fixtures for the package, inspect and OCI tests: a real `items.parquet` (made by
//! the binary under test from `tests/data/interop/simple.ndjson`), an asset lock written with
//! arrow-rs in the lock schema, copied assets, a stale asset, an include file and directory,
//! and a hidden file.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow::array::{ArrayRef, Int64Array, RecordBatch, StringArray};
use arrow::datatypes::{DataType, Field, Schema};

use super::{fixture, shell, write_temp};

/// One lock row: item_id, asset_key, store_type, store_container, key, size_bytes.
pub type LockRow<'a> = (
    &'a str,
    &'a str,
    &'a str,
    Option<&'a str>,
    &'a str,
    Option<i64>,
);

/// Writes an asset lock Parquet file (the 9-column lock schema with its metadata).
pub fn write_lock(path: &Path, rows: &[LockRow<'_>]) {
    let s = |f: &dyn Fn(&LockRow<'_>) -> Option<String>| -> ArrayRef {
        Arc::new(StringArray::from(rows.iter().map(f).collect::<Vec<_>>()))
    };
    let schema = Schema::new(vec![
        Field::new("item_id", DataType::Utf8, false),
        Field::new("asset_key", DataType::Utf8, false),
        Field::new("store_type", DataType::Utf8, true),
        Field::new("store_container", DataType::Utf8, true),
        Field::new("store_endpoint_url", DataType::Utf8, true),
        Field::new("key", DataType::Utf8, true),
        Field::new("size_bytes", DataType::Int64, true),
        Field::new("etag", DataType::Utf8, true),
        Field::new("last_modified", DataType::Utf8, true),
    ])
    .with_metadata(
        [
            ("stacpkg:schema-kind".to_string(), "asset-lock".to_string()),
            ("stacpkg:schema-version".to_string(), "v1".to_string()),
        ]
        .into_iter()
        .collect::<std::collections::HashMap<String, String>>(),
    );
    let columns: Vec<ArrayRef> = vec![
        s(&|r| Some(r.0.to_string())),
        s(&|r| Some(r.1.to_string())),
        s(&|r| Some(r.2.to_string())),
        s(&|r| r.3.map(str::to_string)),
        s(&|_| None),
        s(&|r| Some(r.4.to_string())),
        Arc::new(Int64Array::from(
            rows.iter().map(|r| r.5).collect::<Vec<_>>(),
        )),
        s(&|_| None),
        s(&|_| None),
    ];
    let batch = RecordBatch::try_new(Arc::new(schema), columns).unwrap();
    let file = std::fs::File::create(path).unwrap();
    let mut writer = parquet::arrow::ArrowWriter::try_new(file, batch.schema(), None).unwrap();
    writer.write(&batch).unwrap();
    writer.close().unwrap();
}

/// Deterministic pseudo-random bytes (xorshift), so blobs do not compress or repeat.
pub fn noise(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

/// Writes `items.parquet` into `pkg` with the binary under test.
pub fn write_items(pkg: &Path) {
    std::fs::create_dir_all(pkg).unwrap();
    shell(r#"$STACPKG items from-ndjson "$1" | $STACPKG items to-parquet "$2""#)
        .arg("--")
        .arg(fixture("interop/simple.ndjson"))
        .arg(pkg.join("items.parquet"))
        .assert()
        .success();
}

/// A package with two copied assets (one of 3 MiB, more than one transfer chunk), a stale
/// unreferenced asset, `README.md`, `incdir/sub/n.txt` and a hidden `.DS_Store`.
pub fn full_package(parent: &Path) -> PathBuf {
    let pkg = parent.join("pkg");
    write_items(&pkg);
    write_temp(&pkg, "assets/simple-1/visual.tif", noise(3 << 20, 7));
    write_temp(&pkg, "assets/simple-1/thumbnail.png", b"\x89PNG tiny");
    write_temp(&pkg, "assets/old/stale.bin", b"left by an earlier build");
    write_temp(&pkg, "README.md", b"# demo package\n");
    write_temp(&pkg, "incdir/sub/n.txt", b"n\n");
    write_temp(&pkg, "incdir/a.json", br#"{"a":1}"#);
    write_temp(&pkg, ".DS_Store", b"junk");
    write_lock(
        &pkg.join("assets.lock.parquet"),
        &[
            (
                "simple-1",
                "visual",
                "file",
                None,
                "assets/simple-1/visual.tif",
                Some(3 << 20),
            ),
            (
                "simple-1",
                "thumbnail",
                "file",
                None,
                "assets/simple-1/thumbnail.png",
                Some(9),
            ),
            (
                "simple-2",
                "visual",
                "https",
                Some("https://example.com"),
                "simple-2/visual.tif",
                Some(1234),
            ),
        ],
    );
    pkg
}

/// Every regular file under `dir`, as package-relative path → bytes.
pub fn tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                let rel = path
                    .strip_prefix(root)
                    .unwrap()
                    .to_string_lossy()
                    .replace('\\', "/");
                out.insert(rel, std::fs::read(&path).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

/// The package files push uploads: everything but hidden files and unreferenced assets.
pub fn shipped(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    tree(dir)
        .into_iter()
        .filter(|(p, _)| !p.split('/').any(|c| c.starts_with('.')) && p != "assets/old/stale.bin")
        .collect()
}
