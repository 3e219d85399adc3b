//! Interoperability: independent readers read what stacpkg writes, and what they write feeds
//! stacpkg.
//!
//! The independent tools are installed by `scripts/test` (see `docs/TESTING.md`):
//!
//! * pyarrow 26 (reads our Parquet files and IPC streams, checks types and metadata, decodes
//!   our WKB with a small pure-Python decoder),
//! * the `rustac` CLI 0.9 (stac-rs; `rustac translate` reads and writes stac-geoparquet),
//! * the Python stacpkg 0.1.4, the tool we replace (its items commands on both sides of a
//!   pipe with ours).
//!
//! Inputs live in `tests/data/interop/`:
//!
//! * `rich.ndjson`: four items that exercise the schema contract: a 3-D polygon with a 6-value
//!   bbox, a polygon with a hole, a point, a multipolygon; properties and asset keys that only
//!   some items have; links with extra fields (`method`, `body`); datetimes with offsets,
//!   nanoseconds and `null`; identifier-like strings (`"20250101"`) that must stay strings.
//! * `simple.ndjson`: three 2-D items with the same properties and asset keys, the shape the
//!   Python stacpkg 0.1.4 handles (it keeps only the first item's columns and drops Z).
//!
//! `corpus.rs` runs the round-trip corpus (`tests/data/corpus/`, real catalogues' items)
//! through stacpkg, rustac and stac-geoparquet (also in the test venv) and checks the table of
//! their differences in `docs/COMPATIBILITY.md`.
//!
//! Known limitation of the reference reader: rustac 0.9 writes 2-D GeoJSON coordinates even
//! when the WKB has Z (it does so for its own files too), so the rustac comparisons look at x/y
//! and the Z check is done on our WKB with pyarrow.

mod corpus;

use std::collections::BTreeSet;
use std::ffi::OsStr;
use std::path::{Path, PathBuf};

use serde_json::{json, Value};
use testkit::*;

mod geoparquet;
mod readme;

const RICH: &str = "interop/rich.ndjson";
const SIMPLE: &str = "interop/simple.ndjson";

/// The leading columns of every items stream and file, in order.
const LEADING_COLUMNS: [&str; 10] = [
    "type",
    "stac_version",
    "stac_extensions",
    "id",
    "links",
    "assets",
    "collection",
    "datetime",
    "bbox",
    "geometry",
];

/// Properties that become `timestamp[us, tz=UTC]` in `rich.ndjson`.
const RICH_DATETIME_COLUMNS: [&str; 5] = [
    "datetime",
    "start_datetime",
    "end_datetime",
    "created",
    "updated",
];

const TIMESTAMP_UTC: &str = "timestamp[us, tz=UTC]";

// ----------------------------------------------------------------------------------------
// Helpers
// ----------------------------------------------------------------------------------------

/// Which implementation runs one side of a pipe.
#[derive(Clone, Copy)]
enum Tool<'a> {
    /// This crate's binary.
    Ours,
    /// The Python stacpkg 0.1.4 at this path.
    Py(&'a Path),
}

impl Tool<'_> {
    fn program(self) -> PathBuf {
        match self {
            Tool::Ours => stacpkg_path(),
            Tool::Py(path) => path.to_path_buf(),
        }
    }
}

/// `FROM items SOURCE_ARGS IN | TO items to-parquet OUT`, asserting success; returns OUT.
fn pipe(from: Tool, source_args: &str, to: Tool, input: &Path, out: &Path) -> PathBuf {
    shell(&format!(
        r#""$FROM" items {source_args} "$IN" | "$TO" items to-parquet "$OUT""#
    ))
    .env("FROM", from.program())
    .env("TO", to.program())
    .env("IN", input)
    .env("OUT", out)
    .assert()
    .success();
    assert!(out.is_file(), "to-parquet wrote no {}", out.display());
    out.to_path_buf()
}

/// `stacpkg items from-ndjson IN | stacpkg items to-parquet OUT`, asserting success.
fn ours_ndjson_to_parquet(dir: &Path, input: &Path, out: &str) -> PathBuf {
    pipe(Tool::Ours, "from-ndjson", Tool::Ours, input, &dir.join(out))
}

/// The items of an NDJSON file as one FeatureCollection in `dir/items.json`.
fn collection_file(dir: &Path, ndjson: &Path) -> PathBuf {
    write_temp(
        dir,
        "items.json",
        feature_collection(&read_ndjson(ndjson)).to_string(),
    )
}

/// The `id` of every item in an NDJSON fixture, in order.
fn fixture_ids(name: &str) -> Vec<String> {
    read_ndjson(&fixture(name))
        .iter()
        .map(|item| {
            item["id"]
                .as_str()
                .expect("fixture item without id")
                .to_owned()
        })
        .collect()
}

/// The `values.id` list of a [`pyarrow_describe`] result (which must have asked for `id`).
fn described_ids(described: &Value) -> Vec<String> {
    described["values"]["id"]
        .as_array()
        .unwrap_or_else(|| panic!("no id values in {described}"))
        .iter()
        .map(|v| v.as_str().unwrap_or("<null>").to_owned())
        .collect()
}

fn metadata_str<'a>(described: &'a Value, key: &str) -> &'a str {
    described["metadata"][key]
        .as_str()
        .unwrap_or_else(|| panic!("schema metadata lacks {key:?}: {}", described["metadata"]))
}

/// Asserts the five stacpkg schema-metadata keys; returns the parsed `geo` object.
fn assert_items_metadata(described: &Value) -> Value {
    assert_eq!(metadata_str(described, "stacpkg:schema-kind"), "items");
    assert_eq!(metadata_str(described, "stacpkg:schema-version"), "v1");
    assert_eq!(metadata_str(described, "stac_geoparquet:version"), "1.0.0");
    let sgp: Value = serde_json::from_str(metadata_str(described, "stac-geoparquet"))
        .expect("stac-geoparquet metadata is JSON");
    assert_eq!(sgp, json!({"version": "1.0.0"}));
    let geo: Value =
        serde_json::from_str(metadata_str(described, "geo")).expect("geo metadata is JSON");
    assert_eq!(geo["primary_column"], "geometry", "geo: {geo}");
    assert_eq!(geo["columns"]["geometry"]["encoding"], "WKB", "geo: {geo}");
    assert!(
        geo["version"].as_str().is_some_and(|v| v.starts_with("1.")),
        "geo version: {geo}"
    );
    geo
}

/// Asserts that `geometry` is `binary` tagged `geoarrow.wkb`.
fn assert_wkb_geometry_column(described: &Value) {
    let geometry = described_column(described, "geometry");
    assert_eq!(geometry["type"], "binary", "geometry: {geometry}");
    assert_eq!(
        geometry["metadata"]["ARROW:extension:name"], "geoarrow.wkb",
        "geometry field metadata: {geometry}"
    );
}

/// Canonical form for comparing STAC JSON from different writers: numbers as f64, RFC 3339
/// strings as the UTC instant in microseconds (our precision), `null` members dropped
/// (a column union gives absent properties as null).
fn normalize(value: &Value) -> Value {
    match value {
        Value::Number(n) => json!(n.as_f64().expect("finite number")),
        Value::String(s) => match chrono::DateTime::parse_from_rfc3339(s) {
            Ok(t) => json!(format!("instant-us:{}", t.timestamp_micros())),
            Err(_) => value.clone(),
        },
        Value::Array(items) => Value::Array(items.iter().map(normalize).collect()),
        Value::Object(map) => Value::Object(
            map.iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k.clone(), normalize(v)))
                .collect(),
        ),
        _ => value.clone(),
    }
}

/// GeoJSON coordinates reduced to x/y (for readers that drop Z), numbers as f64.
fn xy(coords: &Value) -> Value {
    match coords {
        Value::Array(items) if items.iter().all(Value::is_number) => Value::Array(
            items
                .iter()
                .take(2)
                .map(|n| json!(n.as_f64().unwrap()))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(xy).collect()),
        other => other.clone(),
    }
}

/// Compares items read back by another tool with the input items, by id: collection,
/// geometry (x/y), bbox, properties, assets, and the link fields every writer keeps.
fn assert_same_items(input: &[Value], output: &[Value], who: &str) {
    let ids = |items: &[Value]| -> Vec<String> {
        items
            .iter()
            .map(|i| i["id"].as_str().unwrap_or("<none>").to_owned())
            .collect()
    };
    assert_eq!(ids(input), ids(output), "{who}: ids differ");
    for (want, got) in input.iter().zip(output) {
        let id = want["id"].as_str().unwrap();
        assert_eq!(got["type"], "Feature", "{who}: {id} type");
        assert_eq!(
            want["collection"], got["collection"],
            "{who}: {id} collection"
        );
        assert_eq!(
            want["geometry"]["type"], got["geometry"]["type"],
            "{who}: {id} geometry type"
        );
        assert_eq!(
            xy(&want["geometry"]["coordinates"]),
            xy(&got["geometry"]["coordinates"]),
            "{who}: {id} geometry coordinates (x/y)"
        );
        assert_eq!(
            normalize(&want["bbox"]),
            normalize(&got["bbox"]),
            "{who}: {id} bbox"
        );
        assert_eq!(
            normalize(&want["properties"]),
            normalize(&got["properties"]),
            "{who}: {id} properties (datetimes compared as instants, nulls dropped)"
        );
        assert_eq!(
            normalize(&want["assets"]),
            normalize(&got["assets"]),
            "{who}: {id} assets"
        );
        let link_keys = |item: &Value| -> Vec<Value> {
            item["links"]
                .as_array()
                .map(|links| {
                    links
                        .iter()
                        .map(|l| {
                            normalize(&json!({
                                "href": l["href"], "rel": l["rel"], "type": l["type"],
                                "title": l["title"], "method": l["method"],
                            }))
                        })
                        .collect()
                })
                .unwrap_or_default()
        };
        assert_eq!(link_keys(want), link_keys(got), "{who}: {id} links");
    }
}

/// Python: decode the WKB `geometry` column of a Parquet file into GeoJSON-like objects,
/// independently of stacpkg. Prints `[{"id", "byte_order", "wkb_type", "geometry"}...]`.
const DECODE_WKB_PY: &str = r#"
import json, struct, sys
import pyarrow.parquet as pq

def read(buf, off):
    order = buf[off]
    e = "<" if order == 1 else ">"
    (code,) = struct.unpack_from(e + "I", buf, off + 1)
    off += 5
    base, dims = code % 1000, {0: 2, 1: 3, 2: 3, 3: 4}[code // 1000]
    def point(off):
        return list(struct.unpack_from(e + "d" * dims, buf, off)), off + 8 * dims
    def count(off):
        return struct.unpack_from(e + "I", buf, off)[0], off + 4
    def points(off):
        n, off = count(off)
        out = []
        for _ in range(n):
            p, off = point(off)
            out.append(p)
        return out, off
    if base == 1:
        c, off = point(off)
        return {"type": "Point", "coordinates": c}, off
    if base == 2:
        c, off = points(off)
        return {"type": "LineString", "coordinates": c}, off
    if base == 3:
        n, off = count(off)
        rings = []
        for _ in range(n):
            r, off = points(off)
            rings.append(r)
        return {"type": "Polygon", "coordinates": rings}, off
    if base in (4, 5, 6, 7):
        n, off = count(off)
        parts = []
        for _ in range(n):
            g, off = read(buf, off)
            parts.append(g)
        if base == 7:
            return {"type": "GeometryCollection", "geometries": parts}, off
        name = {4: "MultiPoint", 5: "MultiLineString", 6: "MultiPolygon"}[base]
        return {"type": name, "coordinates": [p["coordinates"] for p in parts]}, off
    raise ValueError(f"unknown WKB type {code}")

table = pq.read_table(sys.argv[1], columns=["id", "geometry"])
out = []
for row in table.to_pylist():
    wkb = row["geometry"]
    if wkb is None:
        out.append({"id": row["id"], "geometry": None})
        continue
    geometry, end = read(wkb, 0)
    assert end == len(wkb), f"{row['id']}: {len(wkb) - end} trailing WKB bytes"
    out.append({"id": row["id"], "byte_order": wkb[0],
                "wkb_type": struct.unpack_from("<I" if wkb[0] == 1 else ">I", wkb, 1)[0],
                "geometry": geometry})
print(json.dumps(out))
"#;

/// Python: nested field names of the `assets` and `links` structs, and the bbox fields.
const STRUCT_FIELDS_PY: &str = r#"
import json, sys
import pyarrow.parquet as pq
schema = pq.read_schema(sys.argv[1])
assets = schema.field("assets").type
links = schema.field("links").type.value_type
print(json.dumps({
    "assets": {f.name: [g.name for g in f.type] for f in assets},
    "links": [f.name for f in links],
    "bbox": [f.name for f in schema.field("bbox").type],
}))
"#;

/// Python: compare two Parquet files as tables (`equals`) and their schema metadata.
const COMPARE_TABLES_PY: &str = r#"
import json, sys
import pyarrow.parquet as pq
a, b = pq.read_table(sys.argv[1]), pq.read_table(sys.argv[2])
def md(m):
    return {k.decode(): v.decode() for k, v in (m or {}).items()}
print(json.dumps({
    "rows": [a.num_rows, b.num_rows],
    "data_equal": a.equals(b),
    "equal_with_metadata": a.equals(b, check_metadata=True),
    "schema_equal_with_metadata": a.schema.equals(b.schema, check_metadata=True),
    "schemas": [str(a.schema), str(b.schema)],
    "metadata": [md(a.schema.metadata), md(b.schema.metadata)],
}))
"#;

fn compare_tables(a: &Path, b: &Path) -> Value {
    let out = run_python(COMPARE_TABLES_PY, [a, b]);
    serde_json::from_str(&out).expect("compare output is JSON")
}

// ----------------------------------------------------------------------------------------
// a. ours -> pyarrow
// ----------------------------------------------------------------------------------------

#[test]
fn ours_to_pyarrow_parquet_schema_metadata_and_values() {
    let Some(_python) = tool_python() else { return };
    let dir = temp_dir();
    let input = fixture(RICH);
    let parquet = ours_ndjson_to_parquet(dir.path(), &input, "out.parquet");
    let items = read_ndjson(&input);

    let d = pyarrow_describe(
        &parquet,
        &[
            "id",
            "type",
            "datetime",
            "s2:datatake_id",
            "landsat:wrs_path",
        ],
    );
    assert_eq!(d["num_rows"], 4);
    assert_eq!(described_ids(&d), fixture_ids(RICH));

    // Column order: the fixed leading columns, then the union of all properties, sorted.
    let properties: BTreeSet<String> = items
        .iter()
        .flat_map(|i| i["properties"].as_object().unwrap().keys().cloned())
        .filter(|k| k != "datetime")
        .collect();
    let mut expected: Vec<String> = LEADING_COLUMNS.iter().map(|c| c.to_string()).collect();
    expected.extend(properties);
    assert_eq!(column_names(&d), expected);

    // Types.
    assert_eq!(described_column(&d, "type")["type"], "string");
    assert_eq!(described_column(&d, "stac_version")["type"], "string");
    assert_eq!(described_column(&d, "collection")["type"], "string");
    let id = described_column(&d, "id");
    assert_eq!(id["type"], "string");
    assert_eq!(id["nullable"], false, "id must be non-nullable");
    let extensions = described_column(&d, "stac_extensions")["type"]
        .as_str()
        .unwrap();
    assert!(
        extensions.starts_with("list<") && extensions.ends_with(": string>"),
        "stac_extensions: {extensions}"
    );
    for column in RICH_DATETIME_COLUMNS {
        assert_eq!(
            described_column(&d, column)["type"],
            TIMESTAMP_UTC,
            "{column} must be a UTC timestamp"
        );
    }
    for column in [
        "s2:datatake_id",
        "landsat:wrs_path",
        "platform",
        "description",
    ] {
        assert_eq!(
            described_column(&d, column)["type"],
            "string",
            "{column} must stay a string"
        );
    }
    assert_eq!(described_column(&d, "eo:cloud_cover")["type"], "double");
    assert_wkb_geometry_column(&d);

    // Values as pyarrow sees them.
    assert_eq!(
        d["values"]["type"],
        json!(["Feature", "Feature", "Feature", "Feature"])
    );
    assert_eq!(
        d["values"]["datetime"],
        json!([
            "2025-01-01T10:00:00+00:00",
            "2025-03-04T05:06:07.123456+00:00",
            "2025-06-01T04:30:00+00:00",
            null
        ])
    );
    assert_eq!(
        d["values"]["s2:datatake_id"],
        json!(["20250101", "20250304", null, "20241231"])
    );
    assert_eq!(
        d["values"]["landsat:wrs_path"],
        json!([null, null, "194", null])
    );

    // Schema metadata, also present as plain Parquet key-value metadata (GeoParquet readers
    // such as GDAL read the file's `geo` key, not the Arrow schema).
    let geo = assert_items_metadata(&d);
    let types: BTreeSet<&str> = geo["columns"]["geometry"]["geometry_types"]
        .as_array()
        .unwrap_or_else(|| panic!("geometry_types is not a list: {geo}"))
        .iter()
        .map(|t| t.as_str().unwrap())
        .collect();
    assert_eq!(
        types,
        BTreeSet::from(["MultiPolygon", "Point", "Polygon", "Polygon Z"]),
        "geo: {geo}"
    );
    assert!(
        geo["columns"]["geometry"].get("crs").is_none(),
        "geo must not declare a crs (absent means OGC:CRS84): {geo}"
    );
    for key in ["geo", "stac-geoparquet", "stacpkg:schema-kind"] {
        assert!(
            d["file_metadata"].get(key).is_some(),
            "Parquet key-value metadata lacks {key}: {}",
            d["file_metadata"]
        );
    }
}

#[test]
fn ours_to_pyarrow_nested_struct_fields() {
    let Some(_python) = tool_python() else { return };
    let dir = temp_dir();
    let parquet = ours_ndjson_to_parquet(dir.path(), &fixture(RICH), "out.parquet");
    let fields: Value =
        serde_json::from_str(&run_python(STRUCT_FIELDS_PY, [&parquet])).expect("JSON");

    // Asset keys: the union over all items; inside each asset, fields sorted.
    let assets = fields["assets"].as_object().unwrap();
    let keys: BTreeSet<&str> = assets.keys().map(String::as_str).collect();
    assert_eq!(keys, BTreeSet::from(["signed", "thumbnail", "visual"]));
    assert_eq!(
        fields["assets"]["visual"],
        json!(["file:size", "href", "roles", "title", "type"])
    );
    assert_eq!(fields["assets"]["signed"], json!(["href", "roles"]));

    // Links keep the four standard fields first, and the extra ones.
    let links: Vec<&str> = fields["links"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap())
        .collect();
    assert_eq!(
        links[..4],
        ["href", "rel", "type", "title"],
        "links: {links:?}"
    );
    for extra in ["method", "body"] {
        assert!(links.contains(&extra), "links lost {extra}: {links:?}");
    }

    // A 6-value bbox anywhere adds zmin/zmax.
    let bbox: BTreeSet<&str> = fields["bbox"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap())
        .collect();
    assert_eq!(
        bbox,
        BTreeSet::from(["xmin", "ymin", "xmax", "ymax", "zmin", "zmax"])
    );
}

#[test]
fn ours_to_pyarrow_wkb_decodes_to_input_geometry_with_z() {
    let Some(_python) = tool_python() else { return };
    let dir = temp_dir();
    let input = fixture(RICH);
    let parquet = ours_ndjson_to_parquet(dir.path(), &input, "out.parquet");
    let decoded: Value =
        serde_json::from_str(&run_python(DECODE_WKB_PY, [&parquet])).expect("JSON");
    let decoded = decoded.as_array().unwrap();
    let items = read_ndjson(&input);
    assert_eq!(decoded.len(), items.len());
    for (row, item) in decoded.iter().zip(&items) {
        let id = item["id"].as_str().unwrap();
        assert_eq!(row["id"], id);
        assert_eq!(row["byte_order"], 1, "{id}: WKB must be little-endian");
        assert_eq!(
            normalize(&row["geometry"]),
            normalize(&item["geometry"]),
            "{id}: decoded WKB differs from the input geometry"
        );
    }
    // ISO WKB type codes: Polygon Z = 1003, Polygon = 3, Point = 1, MultiPolygon = 6.
    let codes: Vec<&Value> = decoded.iter().map(|r| &r["wkb_type"]).collect();
    assert_eq!(codes, [&json!(1003), &json!(3), &json!(1), &json!(6)]);
}

#[test]
fn ours_ipc_stream_read_by_pyarrow() {
    let Some(_python) = tool_python() else { return };
    let dir = temp_dir();
    let stream = dir.path().join("items.arrow");
    shell(r#""$STACPKG" items from-ndjson "$IN" > "$OUT""#)
        .env("IN", fixture(RICH))
        .env("OUT", &stream)
        .assert()
        .success();

    let d = pyarrow_describe(&stream, &["id"]);
    assert_eq!(d["num_rows"], 4);
    assert_eq!(described_ids(&d), fixture_ids(RICH));
    assert_items_metadata(&d);
    assert_wkb_geometry_column(&d);
    assert_eq!(described_column(&d, "datetime")["type"], TIMESTAMP_UTC);

    // arrow-rs agrees with pyarrow on the same bytes.
    let (schema, batches) = read_ipc_stream(&std::fs::read(&stream).unwrap());
    assert_eq!(batches.iter().map(|b| b.num_rows()).sum::<usize>(), 4);
    assert_eq!(
        schema.fields().len(),
        d["columns"].as_array().unwrap().len()
    );
}

#[test]
fn ours_small_batches_keep_the_union_schema() {
    let Some(_python) = tool_python() else { return };
    let dir = temp_dir();
    let out = dir.path().join("batched.parquet");
    shell(
        r#""$STACPKG" items from-ndjson --batch-size 1 "$IN" | "$STACPKG" items to-parquet "$OUT""#,
    )
    .env("IN", fixture(RICH))
    .env("OUT", &out)
    .assert()
    .success();
    let batched = pyarrow_describe(&out, &["id", "provider", "description"]);
    assert_eq!(described_ids(&batched), fixture_ids(RICH));
    // Properties that only later items have are not dropped (the Python tool drops them).
    assert_eq!(
        batched["values"]["provider"],
        json!([null, "Provider B", null, null])
    );
    assert_eq!(
        batched["values"]["description"],
        json!([null, null, null, "monthly mosaic"])
    );
    let whole = ours_ndjson_to_parquet(dir.path(), &fixture(RICH), "whole.parquet");
    let cmp = compare_tables(&whole, &out);
    assert_eq!(
        cmp["data_equal"], true,
        "--batch-size 1 changed the table: {cmp}"
    );
}

// ----------------------------------------------------------------------------------------
// b. ours -> rustac
// ----------------------------------------------------------------------------------------

#[test]
fn ours_to_rustac_translate_round_trips_items() {
    let Some(rustac) = tool_rustac() else { return };
    let dir = temp_dir();
    let input = fixture(RICH);
    let parquet = ours_ndjson_to_parquet(dir.path(), &input, "out.parquet");
    let back = dir.path().join("back.ndjson");
    run_tool(
        &rustac,
        [
            OsStr::new("translate"),
            parquet.as_os_str(),
            back.as_os_str(),
        ],
    );
    assert_same_items(&read_ndjson(&input), &read_ndjson(&back), "rustac");
}

// ----------------------------------------------------------------------------------------
// c. rustac -> ours
// ----------------------------------------------------------------------------------------

/// `rustac translate IN theirs.parquet`.
fn rustac_parquet(rustac: &Path, dir: &Path, input: &Path) -> PathBuf {
    let theirs = dir.join("theirs.parquet");
    run_tool(
        rustac,
        [
            OsStr::new("translate"),
            input.as_os_str(),
            theirs.as_os_str(),
        ],
    );
    theirs
}

/// rustac's GeoParquet of `rich.ndjson` (`theirs.parquet`), then `stacpkg items from-parquet
/// theirs | stacpkg items to-parquet again.parquet`: (theirs, again).
fn rustac_parquet_through_ours(rustac: &Path, dir: &Path) -> (PathBuf, PathBuf) {
    let theirs = rustac_parquet(rustac, dir, &fixture(RICH));
    let again = dir.join("again.parquet");
    pipe(Tool::Ours, "from-parquet", Tool::Ours, &theirs, &again);
    (theirs, again)
}

#[test]
fn rustac_parquet_through_ours_reads_in_pyarrow() {
    let Some(rustac) = tool_rustac() else { return };
    let Some(_python) = tool_python() else { return };
    let dir = temp_dir();
    let (_, again) = rustac_parquet_through_ours(&rustac, dir.path());

    let d = pyarrow_describe(&again, &["id"]);
    assert_eq!(d["num_rows"], 4);
    assert_eq!(described_ids(&d), fixture_ids(RICH));
    // to-parquet adds our metadata and normalises the known columns (rustac writes
    // dictionary-encoded `type`/`stac_version`/`collection` and millisecond timestamps).
    assert_items_metadata(&d);
    assert_wkb_geometry_column(&d);
    for column in ["stac_version", "collection", "id"] {
        assert_eq!(
            described_column(&d, column)["type"],
            "string",
            "{column} after to-parquet"
        );
    }
}

#[test]
fn rustac_parquet_ipc_stream_read_by_pyarrow() {
    let Some(rustac) = tool_rustac() else { return };
    let Some(_python) = tool_python() else { return };
    let dir = temp_dir();
    let theirs = rustac_parquet(&rustac, dir.path(), &fixture(RICH));
    let stream = dir.path().join("theirs.arrow");
    shell(r#""$STACPKG" items from-parquet --batch-size 2 "$IN" > "$OUT""#)
        .env("IN", &theirs)
        .env("OUT", &stream)
        .assert()
        .success();
    let d = pyarrow_describe(&stream, &["id"]);
    assert_eq!(d["num_rows"], 4);
    assert_eq!(described_ids(&d), fixture_ids(RICH));
}

#[test]
fn rustac_parquet_through_ours_back_to_rustac_keeps_items() {
    let Some(rustac) = tool_rustac() else { return };
    let dir = temp_dir();
    let (theirs, again) = rustac_parquet_through_ours(&rustac, dir.path());
    // Compare with what rustac reads from its own file, not with the input: rustac writes
    // millisecond timestamps, so sub-millisecond digits are gone before stacpkg sees them.
    let direct = dir.path().join("direct.ndjson");
    let via_ours = dir.path().join("via-ours.ndjson");
    for (parquet, ndjson) in [(&theirs, &direct), (&again, &via_ours)] {
        run_tool(
            &rustac,
            [
                OsStr::new("translate"),
                parquet.as_os_str(),
                ndjson.as_os_str(),
            ],
        );
    }
    assert_same_items(
        &read_ndjson(&direct),
        &read_ndjson(&via_ours),
        "rustac -> stacpkg -> rustac",
    );
}

// ----------------------------------------------------------------------------------------
// d. Python stacpkg 0.1.4 <-> ours
// ----------------------------------------------------------------------------------------

/// `$PYSTACPKG items from-ndjson IN | $PYSTACPKG items to-parquet OUT`.
fn py_ndjson_to_parquet(py: &Path, dir: &Path, input: &Path, out: &str) -> PathBuf {
    pipe(
        Tool::Py(py),
        "from-ndjson",
        Tool::Py(py),
        input,
        &dir.join(out),
    )
}

/// A pyarrow type string without list child names: pyarrow reads the Parquet files it
/// wrote with `list<element: ..>` (Parquet's compliant nested names), while arrow-rs keeps
/// the Arrow default `item`. Readers treat both alike, so the comparison ignores the name.
fn arrow_type_without_list_names(ty: &Value) -> String {
    ty.as_str()
        .expect("type string")
        .replace("list<element: ", "list<")
        .replace("list<item: ", "list<")
}

fn assert_simple_ids(parquet: &Path) -> Value {
    let d = pyarrow_describe(parquet, &["id"]);
    assert_eq!(d["num_rows"], 3, "{}", parquet.display());
    assert_eq!(
        described_ids(&d),
        fixture_ids(SIMPLE),
        "{}",
        parquet.display()
    );
    d
}

#[test]
fn pystacpkg_stream_into_our_to_parquet() {
    let Some(py) = tool_pystacpkg() else { return };
    let Some(_python) = tool_python() else { return };
    let dir = temp_dir();
    let input = fixture(SIMPLE);
    let from_ndjson = dir.path().join("a.parquet");
    pipe(
        Tool::Py(&py),
        "from-ndjson",
        Tool::Ours,
        &input,
        &from_ndjson,
    );
    let d = assert_simple_ids(&from_ndjson);
    assert_items_metadata(&d);
    assert_wkb_geometry_column(&d);

    let collection = collection_file(dir.path(), &input);
    let from_json = dir.path().join("a-json.parquet");
    pipe(
        Tool::Py(&py),
        "from-json",
        Tool::Ours,
        &collection,
        &from_json,
    );
    assert_simple_ids(&from_json);
}

#[test]
fn our_stream_into_pystacpkg_to_parquet() {
    let Some(py) = tool_pystacpkg() else { return };
    let Some(_python) = tool_python() else { return };
    let dir = temp_dir();
    let input = fixture(SIMPLE);
    let from_ndjson = dir.path().join("b.parquet");
    pipe(
        Tool::Ours,
        "from-ndjson",
        Tool::Py(&py),
        &input,
        &from_ndjson,
    );
    assert_simple_ids(&from_ndjson);

    let collection = collection_file(dir.path(), &input);
    let from_json = dir.path().join("b-json.parquet");
    pipe(
        Tool::Ours,
        "from-json",
        Tool::Py(&py),
        &collection,
        &from_json,
    );
    assert_simple_ids(&from_json);
}

#[test]
fn pystacpkg_from_parquet_reads_our_file() {
    let Some(py) = tool_pystacpkg() else { return };
    let Some(_python) = tool_python() else { return };
    let dir = temp_dir();
    let ours = ours_ndjson_to_parquet(dir.path(), &fixture(SIMPLE), "ours.parquet");
    let through_py = dir.path().join("c.parquet");
    pipe(
        Tool::Py(&py),
        "from-parquet",
        Tool::Ours,
        &ours,
        &through_py,
    );
    assert_simple_ids(&through_py);
    let cmp = compare_tables(&ours, &through_py);
    assert_eq!(
        cmp["data_equal"], true,
        "our file through the Python from-parquet changed: {cmp}"
    );
}

#[test]
fn our_from_parquet_reads_pystacpkg_file() {
    let Some(py) = tool_pystacpkg() else { return };
    let Some(_python) = tool_python() else { return };
    let dir = temp_dir();
    let py_written = py_ndjson_to_parquet(&py, dir.path(), &fixture(SIMPLE), "py.parquet");

    let into_py = dir.path().join("d-py.parquet");
    pipe(
        Tool::Ours,
        "from-parquet",
        Tool::Py(&py),
        &py_written,
        &into_py,
    );
    assert_simple_ids(&into_py);
    let cmp = compare_tables(&py_written, &into_py);
    assert_eq!(cmp["data_equal"], true, "{cmp}");

    let into_ours = dir.path().join("d-ours.parquet");
    pipe(
        Tool::Ours,
        "from-parquet",
        Tool::Ours,
        &py_written,
        &into_ours,
    );
    let d = assert_simple_ids(&into_ours);
    assert_items_metadata(&d);
}

#[test]
fn pystacpkg_and_ours_agree_on_simple_items() {
    let Some(py) = tool_pystacpkg() else { return };
    let Some(_python) = tool_python() else { return };
    let dir = temp_dir();
    let input = fixture(SIMPLE);
    let theirs = py_ndjson_to_parquet(&py, dir.path(), &input, "py.parquet");
    let ours = ours_ndjson_to_parquet(dir.path(), &input, "ours.parquet");
    let shared = [
        "stac_version",
        "stac_extensions",
        "id",
        "assets",
        "collection",
        "datetime",
        "bbox",
        "geometry",
        "eo:cloud_cover",
        "platform",
    ];
    let theirs = pyarrow_describe(&theirs, &shared);
    let ours = pyarrow_describe(&ours, &shared);

    // Same columns in the same order, except our extra leading `type`.
    let mut our_columns = column_names(&ours);
    assert_eq!(our_columns.remove(0), "type");
    assert_eq!(our_columns, column_names(&theirs));

    for column in shared {
        assert_eq!(
            normalize(&ours["values"][column]),
            normalize(&theirs["values"][column]),
            "{column}: values differ between ours and the Python stacpkg 0.1.4"
        );
        assert_eq!(
            arrow_type_without_list_names(&described_column(&ours, column)["type"]),
            arrow_type_without_list_names(&described_column(&theirs, column)["type"]),
            "{column}: Arrow type differs"
        );
    }
    for key in [
        "stacpkg:schema-kind",
        "stacpkg:schema-version",
        "stac_geoparquet:version",
        "stac-geoparquet",
    ] {
        assert_eq!(ours["metadata"][key], theirs["metadata"][key], "{key}");
    }
}

// ----------------------------------------------------------------------------------------
// e. JSON -> IPC -> Parquet -> IPC -> Parquet
// ----------------------------------------------------------------------------------------

fn json_round_trip(from_parquet_args: &str) {
    let Some(_python) = tool_python() else { return };
    let dir = temp_dir();
    let collection = collection_file(dir.path(), &fixture(RICH));
    let first = dir.path().join("first.parquet");
    let second = dir.path().join("second.parquet");
    shell(&format!(
        r#""$STACPKG" items from-json "$IN" | "$STACPKG" items to-parquet "$FIRST"
"$STACPKG" items from-parquet {from_parquet_args} "$FIRST" | "$STACPKG" items to-parquet "$SECOND""#
    ))
    .env("IN", &collection)
    .env("FIRST", &first)
    .env("SECOND", &second)
    .assert()
    .success();

    let cmp = compare_tables(&first, &second);
    assert_eq!(cmp["rows"], json!([4, 4]));
    assert_eq!(cmp["equal_with_metadata"], true, "tables differ: {cmp}");
    assert_eq!(
        cmp["schema_equal_with_metadata"], true,
        "schemas differ: {cmp}"
    );
    assert_eq!(cmp["metadata"][0], cmp["metadata"][1]);

    // arrow-rs sees the same schema (with field metadata) in both files.
    let (schema_a, _) = read_parquet(&first);
    let (schema_b, _) = read_parquet(&second);
    assert_eq!(schema_a, schema_b);
}

#[test]
fn json_ipc_parquet_ipc_parquet_is_stable() {
    json_round_trip("");
}

#[test]
fn json_ipc_parquet_ipc_parquet_is_stable_in_small_batches() {
    json_round_trip("--batch-size 1");
}
