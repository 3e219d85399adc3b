//! `items enrich` / `items add-alternate`: the tutorial's "Enrich the STAC Items" step, run
//! offline, and the alternate fixes over the Python tool.

use serde_json::{json, Value};
use testkit::{run_python, shell, temp_dir, tool_python, write_temp};

const ITEM: &str = r#"{"type":"Feature","stac_version":"1.0.0","stac_extensions":[],"id":"631ee6653cdf1c0006b63c5b","collection":"openaerialmap","geometry":{"type":"Point","coordinates":[16.42,47.2]},"bbox":[16.42,47.2,16.42,47.2],"properties":{"datetime":"2022-07-28T13:20:34Z"},"links":[],"assets":{"metadata":{"href":"https://oin-hotosm-temp.s3.amazonaws.com/631ee60c3cdf1c0006b63c56/0/631ee60c3cdf1c0006b63c57_meta.json","type":"application/json"},"thumbnail":{"href":"https://oin-hotosm-temp.s3.amazonaws.com/631ee60c3cdf1c0006b63c56/0/631ee60c3cdf1c0006b63c57.png","type":"image/png","file:size":793014,"file:checksum":"1220abcd"},"visual":{"href":"https://oin-hotosm-temp.s3.amazonaws.com/631ee60c3cdf1c0006b63c56/0/631ee60c3cdf1c0006b63c57.tif","type":"image/tiff","file:size":9913534}}}"#;

/// The assets of the first row of a Parquet file, nulls dropped (as STAC JSON would show).
const ASSETS_PY: &str = r#"
import json, sys
import pyarrow.parquet as pq
def clean(v):
    if isinstance(v, dict): return {k: clean(x) for k, x in v.items() if x is not None}
    if isinstance(v, list): return [clean(x) for x in v]
    return v
row = pq.read_table(sys.argv[1]).to_pylist()[0]
print(json.dumps({"assets": clean(row["assets"]), "ext": row["stac_extensions"]}))
"#;

fn first_row(path: &std::path::Path) -> Value {
    serde_json::from_str(run_python(ASSETS_PY, [path]).trim()).unwrap()
}

fn prepare(dir: &std::path::Path) {
    write_temp(dir, "items.ndjson", ITEM);
    shell(
        r#"$STACPKG items from-ndjson items.ndjson | $STACPKG items to-parquet items.parquet
$STACPKG items from-parquet items.parquet | $STACPKG asset-lock derive --no-probe-metadata \
  | $STACPKG asset-lock to-parquet lock.parquet
$STACPKG asset-lock from-parquet lock.parquet \
  | $STACPKG asset-lock relocate --dry-run \
      --source-prefix https://oin-hotosm-temp.s3.amazonaws.com/ \
      --store-type s3 --store-container oin-hotosm-temp \
      --store-endpoint-url https://s3.amazonaws.com --layout source-key \
  | $STACPKG asset-lock to-parquet s3.lock.parquet"#,
    )
    .current_dir(dir)
    .assert()
    .success();
}

#[test]
fn tutorial_enrich_step_gives_the_shown_json() {
    if tool_python().is_none() {
        return;
    }
    let work = temp_dir();
    prepare(work.path());
    shell(
        r#"$STACPKG items from-parquet items.parquet \
  | $STACPKG items enrich \
      --asset-lock <($STACPKG asset-lock from-parquet s3.lock.parquet) \
      --alternate-key s3 \
  | $STACPKG items to-parquet enriched.parquet"#,
    )
    .current_dir(work.path())
    .assert()
    .success();
    let row = first_row(&work.path().join("enriched.parquet"));
    let thumb = &row["assets"]["thumbnail"];
    assert_eq!(thumb["href"], "https://oin-hotosm-temp.s3.amazonaws.com/631ee60c3cdf1c0006b63c56/0/631ee60c3cdf1c0006b63c57.png");
    assert_eq!(
        thumb["alternate"],
        json!({"s3": {"href": "s3://oin-hotosm-temp/631ee60c3cdf1c0006b63c56/0/631ee60c3cdf1c0006b63c57.png"}})
    );
    assert_eq!(thumb["file:size"], 793014);
    assert!(
        thumb.get("file:checksum").is_none(),
        "file:checksum removed: {thumb}"
    );
    // metadata assets are not in the lock: untouched.
    assert!(row["assets"]["metadata"].get("alternate").is_none());
    assert_eq!(
        row["ext"],
        json!([
            "https://stac-extensions.github.io/file/v2.1.0/schema.json",
            "https://stac-extensions.github.io/alternate-assets/v1.2.0/schema.json"
        ])
    );
}

#[test]
fn add_alternate_declares_the_extension_and_keeps_names_on_enrich() {
    if tool_python().is_none() {
        return;
    }
    let work = temp_dir();
    prepare(work.path());
    shell(
        r#"$STACPKG items from-parquet items.parquet \
  | $STACPKG items add-alternate --asset-lock <($STACPKG asset-lock from-parquet s3.lock.parquet) --key s3 --name "S3 mirror" \
  | $STACPKG items enrich --asset-lock <($STACPKG asset-lock from-parquet s3.lock.parquet) --alternate-key s3 \
  | $STACPKG items to-parquet out.parquet"#,
    )
    .current_dir(work.path())
    .assert()
    .success();
    let row = first_row(&work.path().join("out.parquet"));
    let alt = &row["assets"]["visual"]["alternate"]["s3"];
    assert_eq!(alt["alternate:name"], "S3 mirror", "{alt}");
    assert_eq!(
        alt["href"],
        "s3://oin-hotosm-temp/631ee60c3cdf1c0006b63c56/0/631ee60c3cdf1c0006b63c57.tif"
    );
    let ext = row["ext"].as_array().unwrap();
    assert!(ext.contains(&json!(
        "https://stac-extensions.github.io/alternate-assets/v1.2.0/schema.json"
    )));

    let refused = testkit::stacpkg()
        .args(["items", "enrich", "--asset-lock", "-"])
        .assert()
        .code(2);
    let err = String::from_utf8_lossy(&refused.get_output().stderr).into_owned();
    assert!(err.contains("not stdin"), "{err}");
    let no_key_alias = testkit::stacpkg()
        .args(["items", "enrich", "--asset-lock", "x", "--key", "s3"])
        .assert()
        .code(2);
    assert!(!no_key_alias.get_output().stderr.is_empty());
}

#[test]
fn promote_switch_replace_and_remove_alternates() {
    if tool_python().is_none() {
        return;
    }
    let work = temp_dir();
    prepare(work.path());
    shell(
        r#"add() { $STACPKG items from-parquet items.parquet \
  | $STACPKG items add-alternate --asset-lock <($STACPKG asset-lock from-parquet s3.lock.parquet) --key s3 --name "S3 mirror"; }
add | $STACPKG items promote-alternate --key s3 --mode switch | $STACPKG items to-parquet switched.parquet
add | $STACPKG items promote-alternate --key s3 | $STACPKG items to-parquet replaced.parquet
add | $STACPKG items remove-alternate --key s3 | $STACPKG items to-parquet removed.parquet"#,
    )
    .current_dir(work.path())
    .assert()
    .success();
    let https = "https://oin-hotosm-temp.s3.amazonaws.com/631ee60c3cdf1c0006b63c56/0/631ee60c3cdf1c0006b63c57.tif";
    let s3 = "s3://oin-hotosm-temp/631ee60c3cdf1c0006b63c56/0/631ee60c3cdf1c0006b63c57.tif";

    let switched = first_row(&work.path().join("switched.parquet"));
    let v = &switched["assets"]["visual"];
    assert_eq!(v["href"], s3);
    assert_eq!(
        v["store_endpoint_url"], "https://s3.amazonaws.com",
        "inferred: {v}"
    );
    assert_eq!(v["alternate:name"], "S3 mirror");
    assert_eq!(
        v["alternate"]["s3"],
        json!({"href": https, "alternate:name": "original"})
    );
    // No alternate on the metadata asset: unchanged.
    assert_eq!(
        switched["assets"]["metadata"]["href"],
        "https://oin-hotosm-temp.s3.amazonaws.com/631ee60c3cdf1c0006b63c56/0/631ee60c3cdf1c0006b63c57_meta.json"
    );

    let replaced = first_row(&work.path().join("replaced.parquet"));
    let v = &replaced["assets"]["visual"];
    assert_eq!(v["href"], s3);
    assert!(
        v.get("alternate").is_none(),
        "no duplicate of the new primary: {v}"
    );

    let removed = first_row(&work.path().join("removed.parquet"));
    let v = &removed["assets"]["visual"];
    assert_eq!(v["href"], https);
    assert!(v.get("alternate").is_none(), "{v}");

    let bad = testkit::stacpkg()
        .args([
            "items",
            "promote-alternate",
            "--key",
            "s3",
            "--mode",
            "switch",
            "--drop-alternates",
        ])
        .assert()
        .code(2);
    let err = String::from_utf8_lossy(&bad.get_output().stderr).into_owned();
    assert!(
        err.contains("--drop-alternates is only used with --mode replace"),
        "{err}"
    );
}
