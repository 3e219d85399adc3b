//! The items commands through the real binary: conversions, schema union, filters, and every
//! kind of bad input (clear one-line error, documented exit code, no partial output).

use std::sync::Arc;

use arrow::array::{Array, AsArray, RecordBatch, StringArray};
use arrow::datatypes::{DataType, Field, Schema};
use serde_json::{json, Value};
use testkit::{fixture, read_ipc_stream, read_parquet, shell, stacpkg, temp_dir, write_temp};

/// stdout, stderr and exit code as one snapshot-friendly text.
fn outcome(output: &std::process::Output) -> String {
    format!(
        "exit: {}\n--- stderr\n{}",
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stderr)
    )
    .replace(env!("CARGO_MANIFEST_DIR"), "[repo]")
}

fn item(id: &str, props: Value) -> Value {
    json!({"type": "Feature", "stac_version": "1.1.0", "id": id, "collection": "c",
        "geometry": {"type": "Point", "coordinates": [1.0, 2.0]}, "bbox": [1.0, 2.0, 1.0, 2.0],
        "properties": props, "links": [],
        "assets": {"data": {"href": format!("https://x/{id}.tif")}}})
}

fn ndjson(items: &[Value]) -> String {
    items.iter().map(|i| format!("{i}\n")).collect()
}

fn ipc_of(args: &[&str], stdin: Vec<u8>) -> (arrow::datatypes::SchemaRef, Vec<RecordBatch>) {
    let out = stacpkg().args(args).write_stdin(stdin).assert().success();
    read_ipc_stream(&out.get_output().stdout)
}

fn column_names(schema: &Schema) -> Vec<&str> {
    schema.fields().iter().map(|f| f.name().as_str()).collect()
}

#[test]
fn version_and_help() {
    let out = stacpkg().arg("--version").assert().success();
    assert_eq!(
        String::from_utf8_lossy(&out.get_output().stdout),
        format!("stacpkg {}\n", env!("CARGO_PKG_VERSION"))
    );
    stacpkg()
        .args(["items", "from-ndjson", "--help"])
        .assert()
        .success();
}

#[test]
fn usage_errors_exit_2() {
    for args in [
        vec!["items"],
        vec!["items", "from-ndjson", "--batch-size", "0"],
        vec!["items", "from-ndjson", "--batch-size", "x"],
        vec!["items", "to-parquet"],
        vec!["items", "from-json", "--no-such-flag"],
    ] {
        let out = stacpkg().args(&args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", outcome(&out));
    }
    let out = stacpkg()
        .args(["items", "from-ndjson", "--batch-size", "0"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("value must be at least 1"));
}

#[test]
fn edge_cases_keep_every_field() {
    let (schema, batches) = ipc_of(
        &[
            "items",
            "from-ndjson",
            fixture("items/edge-cases.ndjson").to_str().unwrap(),
        ],
        vec![],
    );
    assert_eq!(batches.iter().map(RecordBatch::num_rows).sum::<usize>(), 3);
    let names = column_names(&schema);
    assert_eq!(
        &names[..10],
        [
            "type",
            "stac_version",
            "stac_extensions",
            "id",
            "links",
            "assets",
            "collection",
            "datetime",
            "bbox",
            "geometry"
        ]
    );
    // Properties of later items, sorted.
    assert_eq!(
        &names[10..],
        [
            "code",
            "end_datetime",
            "late",
            "mixed",
            "oam:producer_name",
            "provider",
            "providers",
            "score",
            "start_datetime"
        ]
    );
    let ty = |n: &str| schema.field_with_name(n).unwrap().data_type().clone();
    let ts = DataType::Timestamp(arrow::datatypes::TimeUnit::Microsecond, Some("UTC".into()));
    assert_eq!(ty("datetime"), ts);
    assert_eq!(ty("start_datetime"), ts);
    assert_eq!(
        ty("code"),
        DataType::Utf8,
        "identifier-like strings stay text"
    );
    assert_eq!(ty("mixed"), DataType::Utf8);
    assert_eq!(ty("score"), DataType::Float64);
    assert!(!schema.field_with_name("id").unwrap().is_nullable());
    // Link fields beyond href/rel/type/title, a late asset key, 3-D bbox.
    let links = format!("{:?}", ty("links"));
    assert!(
        links.contains("\"method\"") && links.contains("\"body\""),
        "{links}"
    );
    let assets = format!("{:?}", ty("assets"));
    assert!(
        assets.contains("\"signed\"") && assets.contains("\"alternate\""),
        "{assets}"
    );
    let DataType::Struct(bbox) = ty("bbox") else {
        panic!()
    };
    assert_eq!(bbox.len(), 6);
    let geo: Value = serde_json::from_str(&schema.metadata()["geo"]).unwrap();
    assert_eq!(
        geo["columns"]["geometry"]["geometry_types"],
        json!(["Point", "Polygon Z", "GeometryCollection"])
    );
    assert!(geo["columns"]["geometry"].get("crs").is_none());
    let mixed = batches[0].column_by_name("mixed").unwrap();
    let mixed: &StringArray = mixed.as_string();
    assert_eq!(mixed.value(2), "42");
}

#[test]
fn conflicting_types_warn_once() {
    let out = stacpkg()
        .args([
            "items",
            "from-ndjson",
            fixture("items/edge-cases.ndjson").to_str().unwrap(),
        ])
        .output()
        .unwrap();
    insta::assert_snapshot!(outcome(&out));
}

#[test]
fn a_field_first_seen_at_item_70000_survives() {
    let dir = temp_dir();
    let mut text = String::with_capacity(70_000 * 200);
    for i in 0..70_000 {
        let mut props = json!({"datetime": "2025-01-01T00:00:00Z", "n": i});
        if i == 69_999 {
            props["late_property"] = json!("found");
        }
        let mut it = item(&format!("i{i}"), props);
        if i == 69_999 {
            it["assets"]["late_asset"] = json!({"href": "https://x/late.tif", "late:field": true});
            it["bbox"] = json!([0, 0, 1, 1, 1, 2]);
        }
        text.push_str(&it.to_string());
        text.push('\n');
    }
    let input = write_temp(dir.path(), "many.ndjson", text);
    let out = dir.path().join("many.parquet");
    shell(&format!(
        "$STACPKG items from-ndjson --batch-size 10000 {} | $STACPKG items to-parquet {}",
        input.display(),
        out.display()
    ))
    .assert()
    .success();
    let (schema, batches) = read_parquet(&out);
    assert_eq!(
        batches.iter().map(RecordBatch::num_rows).sum::<usize>(),
        70_000
    );
    assert!(schema.field_with_name("late_property").is_ok());
    let last = batches.last().unwrap();
    let late = last.column_by_name("late_property").unwrap();
    let late: &StringArray = late.as_string();
    assert_eq!(late.value(late.len() - 1), "found");
    let assets = format!(
        "{:?}",
        schema.field_with_name("assets").unwrap().data_type()
    );
    assert!(assets.contains("late_asset") && assets.contains("late:field"));
}

#[test]
fn from_json_accepts_items_and_collections() {
    let it = item("one", json!({"datetime": "2025-01-01T00:00:00Z"}));
    let (_, b) = ipc_of(&["items", "from-json"], it.to_string().into_bytes());
    assert_eq!(b[0].num_rows(), 1);
    let fc = testkit::feature_collection(&[it.clone(), item("two", json!({}))]);
    let (_, b) = ipc_of(&["items", "from-json", "-"], fc.to_string().into_bytes());
    assert_eq!(b.iter().map(RecordBatch::num_rows).sum::<usize>(), 2);
    // A bare JSON array of Items, as scripts and test suites write them.
    let array = json!([it.clone(), item("two", json!({})), item("three", json!({}))]);
    let (_, b) = ipc_of(&["items", "from-json"], array.to_string().into_bytes());
    assert_eq!(b.iter().map(RecordBatch::num_rows).sum::<usize>(), 3);
    let (_, b) = ipc_of(
        &[
            "items",
            "from-json",
            fixture("../../assets/sample/search-response.json")
                .to_str()
                .unwrap(),
        ],
        vec![],
    );
    assert_eq!(b.iter().map(RecordBatch::num_rows).sum::<usize>(), 2);
}

#[test]
fn items_without_assets_write_parquet() {
    let dir = temp_dir();
    let mut a = item("a", json!({}));
    a.as_object_mut().unwrap().remove("assets");
    let input = write_temp(dir.path(), "a.ndjson", ndjson(&[a]));
    let out = dir.path().join("a.parquet");
    shell(&format!(
        "$STACPKG items from-ndjson {} | $STACPKG items to-parquet {}",
        input.display(),
        out.display()
    ))
    .assert()
    .success();
    let (schema, batches) = read_parquet(&out);
    assert_eq!(batches[0].num_rows(), 1);
    assert!(schema.field_with_name("assets").is_err());
}

#[test]
fn provider_filter_is_the_same_in_every_command() {
    let dir = temp_dir();
    let src = fixture("items/edge-cases.ndjson");
    let fc = testkit::feature_collection(&testkit::read_ndjson(&src));
    let json_path = write_temp(dir.path(), "fc.json", fc.to_string());
    let parquet = dir.path().join("all.parquet");
    shell(&format!(
        "$STACPKG items from-ndjson {} | $STACPKG items to-parquet {}",
        src.display(),
        parquet.display()
    ))
    .assert()
    .success();
    for provider in ["Provider A", "Provider B", "Provider C"] {
        let mut ids = Vec::new();
        for (cmd, path) in [
            ("from-ndjson", &src),
            ("from-json", &json_path),
            ("from-parquet", &parquet),
        ] {
            let (_, batches) = ipc_of(
                &[
                    "items",
                    cmd,
                    path.to_str().unwrap(),
                    "--providers",
                    provider,
                ],
                vec![],
            );
            let got: Vec<String> = batches
                .iter()
                .flat_map(|b| {
                    let ids: &StringArray = b.column_by_name("id").unwrap().as_string();
                    ids.iter().flatten().map(str::to_owned).collect::<Vec<_>>()
                })
                .collect();
            ids.push(got);
        }
        assert_eq!(ids[0].len(), 1, "{provider}: {ids:?}");
        assert!(ids.iter().all(|i| i == &ids[0]), "{provider}: {ids:?}");
    }
    // Filters AND across options, OR within one.
    let (_, b) = ipc_of(
        &[
            "items",
            "from-ndjson",
            src.to_str().unwrap(),
            "--collections",
            "c1",
            "--item-ids",
            "a",
            "--item-ids",
            "b",
        ],
        vec![],
    );
    assert_eq!(b.iter().map(RecordBatch::num_rows).sum::<usize>(), 1);
}

#[test]
fn round_trip_json_ipc_parquet_is_stable() {
    let dir = temp_dir();
    let first = dir.path().join("first.parquet");
    let second = dir.path().join("second.parquet");
    shell(&format!(
        "$STACPKG items from-ndjson {src} | $STACPKG items to-parquet {first}\n\
         $STACPKG items from-parquet {first} --batch-size 2 | $STACPKG items to-parquet {second}",
        src = fixture("items/edge-cases.ndjson").display(),
        first = first.display(),
        second = second.display()
    ))
    .assert()
    .success();
    let (s1, b1) = read_parquet(&first);
    let (s2, b2) = read_parquet(&second);
    assert_eq!(s1, s2);
    let t1 = arrow::compute::concat_batches(&s1, &b1).unwrap();
    let t2 = arrow::compute::concat_batches(&s2, &b2).unwrap();
    assert_eq!(t1, t2);
}

#[test]
fn empty_input_is_a_valid_empty_stream_with_a_warning() {
    let out = stacpkg().args(["items", "from-ndjson"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let (schema, batches) = read_ipc_stream(&out.stdout);
    assert!(batches.iter().all(|b| b.num_rows() == 0));
    assert!(schema.field_with_name("geometry").is_ok());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no items in the input"));
}

/// A bad input: exit code and stderr snapshot, no stdout, nothing written.
fn bad(name: &str, args: &[&str], stdin: Vec<u8>) {
    let out = stacpkg().args(args).write_stdin(stdin).output().unwrap();
    assert!(out.stdout.is_empty(), "{name}: no partial output on stdout");
    let text = regex_lite_tmp(&outcome(&out));
    insta::assert_snapshot!(name, text);
}

/// Replaces temp-dir paths in messages.
fn regex_lite_tmp(text: &str) -> String {
    text.split(' ')
        .map(|w| {
            if w.contains("stacpkg-test-") {
                "[tmp]"
            } else {
                w
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[test]
fn bad_inputs_fail_clearly() {
    let good = ndjson(&[item("a", json!({}))]);
    bad(
        "malformed_json_line",
        &["items", "from-ndjson"],
        format!("{good}\n{{\"type\": \n").into_bytes(),
    );
    bad(
        "not_an_item",
        &["items", "from-json"],
        br#"{"type":"Collection","id":"c"}"#.to_vec(),
    );
    bad(
        "not_an_item_ndjson",
        &["items", "from-ndjson"],
        b"[1,2]\n".to_vec(),
    );
    bad("empty_json", &["items", "from-json"], vec![]);
    bad(
        "missing_id",
        &["items", "from-ndjson"],
        br#"{"type":"Feature","properties":{}}"#.to_vec(),
    );
    bad(
        "missing_file",
        &["items", "from-ndjson", "no-such-file.ndjson"],
        vec![],
    );
    bad(
        "missing_parquet",
        &["items", "from-parquet", "no-such-file.parquet"],
        vec![],
    );
    bad(
        "not_parquet",
        &[
            "items",
            "from-parquet",
            fixture("items/edge-cases.ndjson").to_str().unwrap(),
        ],
        vec![],
    );
    bad("bad_geometry", &["items", "from-ndjson"],
        br#"{"type":"Feature","id":"g","geometry":{"type":"Curve","coordinates":[]},"properties":{}}"#.to_vec());
}

#[test]
fn to_parquet_refuses_bad_streams_and_writes_nothing() {
    let dir = temp_dir();
    let target = dir.path().join("out.parquet");
    let t = target.to_str().unwrap();
    // Empty stdin, JSON, Parquet bytes.
    bad(
        "to_parquet_empty_stdin",
        &["items", "to-parquet", t],
        vec![],
    );
    bad(
        "to_parquet_json",
        &["items", "to-parquet", t],
        b"{\"type\":\"Feature\"}".to_vec(),
    );
    let src = fixture("items/edge-cases.ndjson");
    let parquet = dir.path().join("good.parquet");
    shell(&format!(
        "$STACPKG items from-ndjson {} | $STACPKG items to-parquet {}",
        src.display(),
        parquet.display()
    ))
    .assert()
    .success();
    bad(
        "to_parquet_parquet_bytes",
        &["items", "to-parquet", t],
        std::fs::read(&parquet).unwrap(),
    );
    // A truncated stream: the producer died before the end-of-stream marker.
    let full = stacpkg()
        .args(["items", "from-ndjson", src.to_str().unwrap()])
        .output()
        .unwrap()
        .stdout;
    bad(
        "to_parquet_truncated_at_boundary",
        &["items", "to-parquet", t],
        full[..full.len() - 8].to_vec(),
    );
    bad(
        "to_parquet_truncated_mid_batch",
        &["items", "to-parquet", t],
        full[..full.len() - 100].to_vec(),
    );
    // An asset-lock stream.
    let lock_schema = Arc::new(Schema::new_with_metadata(
        vec![
            Field::new("item_id", DataType::Utf8, false),
            Field::new("asset_key", DataType::Utf8, false),
        ],
        std::collections::HashMap::from([(
            "stacpkg:schema-kind".to_string(),
            "asset-lock".to_string(),
        )]),
    ));
    let mut lock = Vec::new();
    {
        let mut w = arrow::ipc::writer::StreamWriter::try_new(&mut lock, &lock_schema).unwrap();
        w.finish().unwrap();
    }
    bad("to_parquet_wrong_kind", &["items", "to-parquet", t], lock);
    assert!(!target.exists());
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        leftovers,
        ["good.parquet"],
        "no temporary files left behind"
    );
}

/// A failing command whose stderr reader has gone (a closed pipe) exits with its code (1),
/// not a panic's 101. The pause only lets the reader (`true`) go first; if it has not, the
/// test still passes, it just does not exercise the closed pipe.
#[test]
fn a_failure_with_stderr_gone_keeps_its_exit_code() {
    let dir = temp_dir();
    let out = shell(&format!(
        "set +e; ( sleep 0.2; exec $STACPKG items from-ndjson {} ) 2>&1 >/dev/null | true; \
         echo \"status=${{PIPESTATUS[0]}}\"",
        dir.path().join("missing.ndjson").display()
    ))
    .output()
    .unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "status=1");
}

#[test]
fn broken_pipe_exits_quietly() {
    let dir = temp_dir();
    let items: Vec<Value> = (0..5000)
        .map(|i| item(&format!("i{i}"), json!({"k": "v".repeat(100)})))
        .collect();
    let input = write_temp(dir.path(), "big.ndjson", ndjson(&items));
    let out = shell(&format!(
        "$STACPKG items from-ndjson --batch-size 100 {} | head -c 10 >/dev/null; echo \"status=${{PIPESTATUS[0]}}\"",
        input.display()
    ))
    .output()
    .unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "status=0");
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn stdin_must_not_be_a_terminal_for_ipc() {
    // `script` gives the command a real terminal on stdin and stdout.
    let out = std::process::Command::new("script")
        .args([
            "-qec",
            &format!(
                "{} items to-parquet /tmp/never.parquet",
                testkit::stacpkg_path().display()
            ),
            "/dev/null",
        ])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("stdin is a terminal"), "{text}");
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn terminal_stdout_gets_the_preview_table() {
    let out = std::process::Command::new("script")
        .args([
            "-qec",
            &format!(
                "COLUMNS=60 {} items from-json {}",
                testkit::stacpkg_path().display(),
                fixture("../../assets/sample/search-response.json").display()
            ),
            "/dev/null",
        ])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).replace("\r\n", "\n");
    assert!(text.contains("2 rows x "), "{text}");
    assert!(
        text.lines().next().unwrap().starts_with("type | "),
        "{text}"
    );
}

/// The preview of the Austria sample on a terminal `columns` wide (from `COLUMNS`).
fn preview_at(columns: usize) -> String {
    let out = std::process::Command::new("script")
        .args([
            "-qec",
            &format!(
                "COLUMNS={columns} {} items from-ndjson {}",
                testkit::stacpkg_path().display(),
                fixture("../../assets/sample/openaerialmap-austria.ndjson").display()
            ),
            "/dev/null",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    String::from_utf8_lossy(&out.stdout).replace("\r\n", "\n")
}

/// Up to the Python tool's default width the preview is its table, cell for cell (ids cut to
/// fit every column); a wider terminal keeps the ids whole, narrows the other columns only to
/// a readable width and counts the columns left out.
#[test]
fn terminal_preview_sizes_columns_to_the_width() {
    let id = "631ee6653cdf1c0006b63c5b";
    let narrow = preview_at(100);
    assert!(!narrow.contains(id), "{narrow}");
    insta::assert_snapshot!("preview_100_columns", narrow);
    let wide = preview_at(250);
    let rows: Vec<&str> = wide.lines().skip(2).take(20).collect();
    assert!(rows[0].contains(&format!(" | {id} | ")), "{wide}");
    assert!(wide.lines().all(|l| l.chars().count() <= 250));
    assert!(wide.trim_end().ends_with("columns not shown)"), "{wide}");
    insta::assert_snapshot!("preview_250_columns", wide);
}

/// `from-ndjson INPUT | to-parquet PARQUET`, then `from-parquet PARQUET | to-ndjson`: the
/// NDJSON that comes back.
fn json_through_geoparquet(input: &std::path::Path, parquet: &std::path::Path) -> String {
    let out = shell(&format!(
        r#""$STACPKG" items from-ndjson '{}' | "$STACPKG" items to-parquet '{}'
"$STACPKG" items from-parquet '{}' | "$STACPKG" items to-ndjson"#,
        input.display(),
        parquet.display(),
        parquet.display()
    ))
    .output()
    .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// STAC JSON → items stream → GeoParquet → items stream → STAC JSON gives every item back:
/// the same members and values (absent and null members are both left out; `datetime` stays,
/// null beside a start/end range), doubles bit for bit, times as the same instant.
#[test]
fn items_come_back_as_stac_json_through_geoparquet() {
    let dir = temp_dir();
    let input = fixture("../../assets/demo/items.ndjson");
    let parquet = dir.path().join("rt.parquet");
    let text = json_through_geoparquet(&input, &parquet);
    let original = std::fs::read_to_string(&input).unwrap();
    assert_eq!(text.lines().count(), original.lines().count());
    fn strip(v: &Value) -> Value {
        match v {
            Value::Object(m) => Value::Object(
                m.iter()
                    .filter(|(k, v)| !v.is_null() || k.as_str() == "datetime")
                    .map(|(k, v)| (k.clone(), strip(v)))
                    .collect(),
            ),
            Value::Array(a) => Value::Array(a.iter().map(strip).collect()),
            Value::String(s) => match chrono::DateTime::parse_from_rfc3339(s) {
                Ok(t) => Value::String(t.to_utc().to_rfc3339()),
                Err(_) => v.clone(),
            },
            v => v.clone(),
        }
    }
    for (line, back) in original.lines().zip(text.lines()) {
        let a: Value = serde_json::from_str(line).unwrap();
        let b: Value = serde_json::from_str(back).unwrap();
        assert_eq!(strip(&a), strip(&b), "{back}");
        // STAC's key order.
        let at = |k: &str| back.find(&format!("\"{k}\":")).unwrap();
        assert!(at("type") < at("stac_version") && at("id") < at("geometry"));
        assert!(at("geometry") < at("properties") && at("links") < at("assets"));
    }
    // The same rows as one FeatureCollection, atomically into a file.
    let json = dir.path().join("items.json");
    let out = shell(&format!(
        r#""$STACPKG" items from-parquet '{}' | "$STACPKG" items to-json '{}'"#,
        parquet.display(),
        json.display()
    ))
    .output()
    .unwrap();
    assert!(out.status.success() && out.stdout.is_empty());
    let fc: Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(fc["type"], "FeatureCollection");
    assert_eq!(fc["features"].as_array().unwrap().len(), 240);
    // And `search` of the GeoParquet file writes JSON too (it used to refuse).
    let out = stacpkg()
        .args([
            "search",
            parquet.to_str().unwrap(),
            "--bbox",
            "-20,-40,60,40",
        ])
        .args(["--output-format", "ndjson"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let n = String::from_utf8(out.stdout).unwrap().lines().count();
    assert!(n > 0 && n < 240, "{n}");
}

#[test]
fn to_ndjson_names_a_stdin_that_is_not_an_items_stream() {
    let out = stacpkg()
        .args(["items", "to-ndjson"])
        .write_stdin(b"not arrow".to_vec())
        .output()
        .unwrap();
    assert!(!out.status.success() && out.stdout.is_empty());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.starts_with("stacpkg: error: stdin"), "{err}");
}

/// Shapes the demo does not have, through the same round trip: 3-D coordinates, a
/// GeometryCollection, an antimeridian MultiPolygon, nested `raster:bands` statistics,
/// `proj:transform`, doubles one ulp apart, integers beyond 2^53.
#[test]
fn tricky_items_come_back_exactly() {
    let items = [
        json!({"type": "Feature", "stac_version": "1.0.0", "id": "lidar-3d",
            "geometry": {"type": "Polygon", "coordinates": [[[-105.1, 40.0, 1620.25], [-105.0, 40.0, 1633.5], [-105.0, 40.1, 1641.125], [-105.1, 40.0, 1620.25]]]},
            "bbox": [-105.1, 40.0, 1620.25, -105.0, 40.1, 1641.125],
            "properties": {"datetime": "2020-06-01T12:00:00.123456Z", "pc:count": 9007199254740993_u64,
                "proj:bbox": [2012712.9000000001, 216113.69999999998, 2013000.5, 216500.25],
                "proj:transform": [0.6, 0.0, 2012712.9000000001, 0.0, -0.6, 216500.25]},
            "links": [{"rel": "self", "href": "https://example.test/items/lidar-3d"}],
            "assets": {"data": {"href": "s3://b/lidar.copc.laz", "roles": ["data"],
                "raster:bands": [{"statistics": {"minimum": -0.0, "maximum": 1.7976931348623157e308, "mean": 0.1, "stddev": 5e-324}}]}}}),
        json!({"type": "Feature", "stac_version": "1.0.0", "id": "collection-geom",
            "geometry": {"type": "GeometryCollection", "geometries": [
                {"type": "Point", "coordinates": [1.5, 2.5]},
                {"type": "LineString", "coordinates": [[0.0, 0.0], [1.0, 1.0]]}]},
            "bbox": [0.0, 0.0, 1.5, 2.5],
            "properties": {"datetime": null, "start_datetime": "2021-01-01T00:00:00Z", "end_datetime": "2021-12-31T23:59:59Z"},
            "links": [], "assets": {}}),
        json!({"type": "Feature", "stac_version": "1.0.0", "id": "antimeridian",
            "geometry": {"type": "MultiPolygon", "coordinates": [
                [[[179.5, -17.0], [180.0, -17.0], [180.0, -16.0], [179.5, -17.0]]],
                [[[-180.0, -17.0], [-179.5, -17.0], [-180.0, -16.0], [-180.0, -17.0]]]]},
            "bbox": [179.5, -17.0, -179.5, -16.0],
            "properties": {"datetime": "2022-02-02T02:02:02Z"}, "links": [], "assets": {}}),
    ];
    let dir = temp_dir();
    let input = write_temp(dir.path(), "in.ndjson", ndjson(&items));
    let parquet = dir.path().join("rt.parquet");
    let text = json_through_geoparquet(&input, &parquet);
    for (item, back) in items.iter().zip(text.lines()) {
        let mut expected = item.clone();
        // The one spelling that changes: a time comes back in the same instant's UTC form.
        if expected["id"] == "lidar-3d" {
            expected["properties"]["datetime"] = "2020-06-01T12:00:00.123456Z".into();
        }
        let got: Value = serde_json::from_str(back).unwrap();
        assert_eq!(got, expected, "{back}");
    }
    for literal in [
        "2012712.9000000001",
        "216113.69999999998",
        "9007199254740993",
        "5e-324",
    ] {
        assert!(text.contains(literal), "{literal} not in {text}");
    }
}
