//! The round-trip corpus (`tests/data/corpus/`, items of thirteen real catalogues) through a
//! package: every catalogue's items in one items stream (one union schema over all of them),
//! `build` → `push` to a real registry → `pull` → `items to-ndjson`, compared field by field
//! with the input. The per-tool comparison (rustac, stac-geoparquet) is in
//! `tests/interop/corpus.rs`.

use serde_json::Value;
use testkit::oci::{pull, push};
use testkit::registry::Registry;
use testkit::stac_diff::{differences, Change};
use testkit::*;

/// Every corpus item, catalogue by catalogue (file name order).
fn corpus_items() -> Vec<Value> {
    let mut files: Vec<_> = std::fs::read_dir(fixture("corpus"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    files
        .iter()
        .flat_map(|p| {
            let items: Vec<Value> =
                serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap();
            items
        })
        .collect()
}

#[test]
fn corpus_comes_back_exactly_through_build_push_pull() {
    let Some(registry) = Registry::start() else {
        return;
    };
    let dir = temp_dir();
    let items = corpus_items();
    assert!(items.len() >= 50, "{}", items.len());
    // A bare JSON array of items, as the catalogues' sample files are written.
    let input = write_temp(
        dir.path(),
        "corpus.json",
        Value::Array(items.clone()).to_string(),
    );
    let pkg = dir.path().join("corpus.pkg");
    shell(r#""$STACPKG" items from-json "$IN" | "$STACPKG" build "$PKG" --no-probe-metadata"#)
        .env("IN", &input)
        .env("PKG", &pkg)
        .assert()
        .success();
    let target = registry.reference("corpus/all:v1");
    push(&pkg, &target, &[]).success();
    let pulled = dir.path().join("pulled");
    pull(&target, &pulled, &[]).success();
    let out = dir.path().join("back.ndjson");
    shell(
        r#""$STACPKG" items from-parquet "$PKG/items.parquet" | "$STACPKG" items to-ndjson "$OUT""#,
    )
    .env("PKG", &pulled)
    .env("OUT", &out)
    .assert()
    .success();
    let back = read_ndjson(&out);
    assert_eq!(back.len(), items.len());
    let mut checked = 0;
    for (a, b) in items.iter().zip(&back) {
        assert_eq!(a["id"], b["id"]);
        for d in differences(a, b) {
            // The documented changes (docs/COMPATIBILITY.md, "Items back to JSON").
            assert!(
                matches!(
                    d.change,
                    Change::NullDropped | Change::TimeRespelled | Change::IntegerToFloat
                ),
                "{}: {d}",
                a["id"]
            );
        }
        checked += 1;
    }
    assert_eq!(checked, items.len());
    // The lock has one row per asset (metadata assets are skipped by default).
    let assets: usize = items
        .iter()
        .map(|i| {
            i["assets"]
                .as_object()
                .unwrap()
                .keys()
                .filter(|k| k.as_str() != "metadata")
                .count()
        })
        .sum();
    let (_, batches) = read_parquet(&pulled.join("assets.lock.parquet"));
    let rows: usize = batches.iter().map(|b| b.num_rows()).sum();
    assert_eq!(rows, assets);
}
