//! GeoParquet 1.1 as the ecosystem reads it: the `geo` metadata (version, `covering.bbox`, the
//! file's `bbox`, `geometry_types`), the 3-D bbox order, float statistics pyarrow uses to skip
//! row groups on a bbox-filtered read (GeoPandas `read_parquet(bbox=…)`, a pyarrow dataset
//! filter), the CRS GeoPandas gets from our Arrow stream and files, and other tools' 1.1
//! metadata (PROJJSON CRS, stac-geoparquet `collections`) kept through
//! `from-parquet | to-parquet`.

use std::path::Path;

use serde_json::{json, Value};
use testkit::stac_api::generate_items;
use testkit::*;

use super::{ours_ndjson_to_parquet, pipe, rustac_parquet_through_ours, Tool, RICH, SIMPLE};

/// Python: the `geo` and `stac-geoparquet` metadata, the bbox struct's fields and rows, and
/// the geometry field's metadata of a Parquet file.
const GEO_PY: &str = r#"
import json, sys
import pyarrow.parquet as pq
pf = pq.ParquetFile(sys.argv[1])
md = pf.metadata.metadata
schema = pf.schema_arrow
table = pf.read(columns=["id", "bbox"])
print(json.dumps({
    "geo": json.loads(md[b"geo"]),
    "stac_geoparquet": json.loads(md[b"stac-geoparquet"]),
    "bbox_fields": [f.name for f in schema.field("bbox").type],
    "bbox": dict(zip(table.column("id").to_pylist(), table.column("bbox").to_pylist())),
    "geometry_metadata": {k.decode(): v.decode() for k, v in (schema.field("geometry").metadata or {}).items()},
}))
"#;

fn geo_of(path: &Path) -> Value {
    serde_json::from_str(&run_python(GEO_PY, [path])).expect("GEO_PY prints JSON")
}

/// Every position of a GeoJSON geometry's coordinates.
fn positions<'a>(coords: &'a Value, out: &mut Vec<&'a [Value]>) {
    match coords.as_array() {
        Some(a) if a.first().is_some_and(Value::is_number) => out.push(a),
        Some(a) => a.iter().for_each(|c| positions(c, out)),
        None => {}
    }
}

/// The x/y extent of the fixture's geometries.
fn extent(items: &[Value]) -> [f64; 4] {
    let mut all = Vec::new();
    for item in items {
        positions(&item["geometry"]["coordinates"], &mut all);
    }
    let xs = all.iter().map(|p| p[0].as_f64().unwrap());
    let ys = all.iter().map(|p| p[1].as_f64().unwrap());
    [
        xs.clone().fold(f64::INFINITY, f64::min),
        ys.clone().fold(f64::INFINITY, f64::min),
        xs.fold(f64::NEG_INFINITY, f64::max),
        ys.fold(f64::NEG_INFINITY, f64::max),
    ]
}

#[test]
fn ours_is_geoparquet_1_1_with_bbox_covering_extent_and_types() {
    let Some(_python) = tool_python() else { return };
    let dir = temp_dir();
    let input = fixture(RICH);
    let parquet = ours_ndjson_to_parquet(dir.path(), &input, "out.parquet");
    let got = geo_of(&parquet);
    let geo = &got["geo"];
    assert_eq!(geo["version"], "1.1.0", "{geo}");
    assert_eq!(geo["primary_column"], "geometry");
    let column = &geo["columns"]["geometry"];
    assert!(
        column.get("crs").is_none(),
        "no crs means OGC:CRS84: {column}"
    );
    let mut types: Vec<&str> = column["geometry_types"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap())
        .collect();
    types.sort_unstable();
    assert_eq!(types, ["MultiPolygon", "Point", "Polygon", "Polygon Z"]);
    let items = read_ndjson(&input);
    assert_eq!(column["bbox"], json!(extent(&items)));
    let field = |n: &str| json!(["bbox", n]);
    assert_eq!(
        column["covering"],
        json!({"bbox": {"xmin": field("xmin"), "ymin": field("ymin"), "zmin": field("zmin"),
                        "xmax": field("xmax"), "ymax": field("ymax"), "zmax": field("zmax")}})
    );
    // GeoParquet 1.1's 3-D order, and a 6-number bbox lands in it unchanged.
    assert_eq!(
        got["bbox_fields"],
        json!(["xmin", "ymin", "zmin", "xmax", "ymax", "zmax"])
    );
    let names = ["xmin", "ymin", "zmin", "xmax", "ymax", "zmax"];
    for item in &items {
        let id = item["id"].as_str().unwrap();
        let row = &got["bbox"][id];
        let values = item["bbox"].as_array().unwrap();
        if values.len() == 6 {
            for (name, v) in names.iter().zip(values) {
                assert_eq!(row[name].as_f64(), v.as_f64(), "{id} {name}");
            }
        } else {
            let want = [
                values[0].as_f64(),
                values[1].as_f64(),
                None,
                values[2].as_f64(),
                values[3].as_f64(),
                None,
            ];
            for (name, v) in names.iter().zip(want) {
                assert_eq!(row[name].as_f64(), v, "{id} {name}");
            }
        }
    }
    assert_eq!(
        got["geometry_metadata"],
        json!({"ARROW:extension:name": "geoarrow.wkb",
               "ARROW:extension:metadata": r#"{"crs":"OGC:CRS84","crs_type":"authority_code"}"#})
    );
}

/// Python: the CRS GeoPandas gives our Arrow stream (`GeoDataFrame.from_arrow`) and our file
/// (`read_parquet`), compared with OGC:CRS84.
const CRS_PY: &str = r#"
import json, sys
import geopandas, pyarrow as pa
from pyproj import CRS
with open(sys.argv[1], "rb") as f:
    stream = pa.ipc.open_stream(f).read_all()
crs84 = CRS.from_user_input("OGC:CRS84")
out = {}
for name, gdf in [("from_arrow", geopandas.GeoDataFrame.from_arrow(stream)),
                  ("read_parquet", geopandas.read_parquet(sys.argv[2]))]:
    out[name] = {"crs": None if gdf.crs is None else gdf.crs.to_string(),
                 "is_crs84": gdf.crs == crs84, "rows": len(gdf)}
print(json.dumps(out))
"#;

#[test]
fn geopandas_gets_crs84_from_our_stream_and_file() {
    let Some(_python) = tool_python() else { return };
    let dir = temp_dir();
    let input = fixture(RICH);
    let stream = dir.path().join("items.arrow");
    shell(r#""$STACPKG" items from-ndjson "$IN" > "$OUT""#)
        .env("IN", &input)
        .env("OUT", &stream)
        .assert()
        .success();
    let parquet = ours_ndjson_to_parquet(dir.path(), &input, "out.parquet");
    let got: Value = serde_json::from_str(&run_python(CRS_PY, [&stream, &parquet])).unwrap();
    for reader in ["from_arrow", "read_parquet"] {
        assert_eq!(
            got[reader],
            json!({"crs": "OGC:CRS84", "is_crs84": true, "rows": 4}),
            "{reader}"
        );
    }
}

/// Python: row-group statistics of the bbox fields, the row groups a pyarrow dataset filter on
/// them keeps (pruned by statistics alone), and the ids GeoPandas reads with `bbox=`.
const PRUNE_PY: &str = r#"
import json, sys
import geopandas, pyarrow.compute as pc, pyarrow.dataset as ds, pyarrow.parquet as pq
path = sys.argv[1]
w, s, e, n = map(float, sys.argv[2:6])
pf = pq.ParquetFile(path)
meta = pf.metadata
paths = [meta.schema.column(i).path for i in range(meta.num_columns)]
stats = {}
for col in ["bbox.xmin", "bbox.ymin", "bbox.xmax", "bbox.ymax", "gsd"]:
    i = paths.index(col)
    stats[col] = [bool(meta.row_group(r).column(i).statistics is not None
                       and meta.row_group(r).column(i).statistics.has_min_max)
                  for r in range(meta.num_row_groups)]
flt = ((pc.field("bbox", "xmin") <= e) & (pc.field("bbox", "xmax") >= w)
       & (pc.field("bbox", "ymin") <= n) & (pc.field("bbox", "ymax") >= s))
fragment = next(iter(ds.dataset(path, format="parquet").get_fragments()))
kept = fragment.split_by_row_group(flt)
gdf = geopandas.read_parquet(path, bbox=(w, s, e, n))
print(json.dumps({"row_groups": meta.num_row_groups, "has_min_max": stats,
                  "row_groups_kept": len(kept), "ids": sorted(gdf["id"].tolist())}))
"#;

#[test]
fn float_statistics_let_a_bbox_read_skip_row_groups() {
    let Some(_python) = tool_python() else { return };
    let dir = temp_dir();
    // 40,000 items: three row groups of at most 16,384 rows. Sorted by west edge so that each
    // row group covers its own band of longitudes, as a spatially ordered file would.
    let generated = generate_items(dir.path(), 40_000, 7).unwrap();
    let mut items = read_ndjson(&generated);
    items.sort_by(|a, b| item_bbox(a)[0].total_cmp(&item_bbox(b)[0]));
    let sorted: String = items.iter().map(|i| format!("{i}\n")).collect();
    let input = write_temp(dir.path(), "sorted.ndjson", sorted);
    let parquet = ours_ndjson_to_parquet(dir.path(), &input, "big.parquet");
    // A query box over the first 100 items' west edges, every latitude.
    let (w, e) = (item_bbox(&items[0])[0], item_bbox(&items[99])[0]);
    let (s, n) = (-90.0, 90.0);
    let mut expected: Vec<String> = items
        .iter()
        .filter(|i| {
            let b = item_bbox(i);
            b[0] <= e && b[2] >= w && b[1] <= n && b[3] >= s
        })
        .map(|i| i["id"].as_str().unwrap().to_string())
        .collect();
    expected.sort();
    let args: Vec<String> = vec![
        parquet.display().to_string(),
        w.to_string(),
        s.to_string(),
        e.to_string(),
        n.to_string(),
    ];
    let got: Value = serde_json::from_str(&run_python(PRUNE_PY, &args)).unwrap();
    assert_eq!(got["row_groups"], 3, "{got}");
    for (column, flags) in got["has_min_max"].as_object().unwrap() {
        assert_eq!(
            flags,
            &json!([true, true, true]),
            "{column}: min/max per row group"
        );
    }
    assert_eq!(
        got["row_groups_kept"], 1,
        "the filter must skip the row groups outside the box"
    );
    assert_eq!(got["ids"], json!(expected));
}

/// Python: a stac-geoparquet 0.8 file (GeoParquet 1.1, PROJJSON CRS, `collections`) from NDJSON.
const STAC_GEOPARQUET_WRITE_PY: &str = r#"
import sys
import stac_geoparquet.arrow as sga
collections = {"c1": {"type": "Collection", "id": "c1", "stac_version": "1.1.0",
                      "description": "kept through stacpkg", "license": "other",
                      "extent": {"spatial": {"bbox": [[-180, -90, 180, 90]]},
                                 "temporal": {"interval": [[None, None]]}}, "links": []}}
sga.parse_stac_ndjson_to_parquet(sys.argv[1], sys.argv[2], collections=collections)
"#;

#[test]
fn stac_geoparquet_file_keeps_crs_and_collections_through_ours() {
    let Some(_python) = tool_python() else { return };
    let dir = temp_dir();
    let theirs = dir.path().join("theirs.parquet");
    // simple.ndjson: stac-geoparquet 0.8 refuses rich.ndjson's nanosecond datetimes.
    run_python(STAC_GEOPARQUET_WRITE_PY, [fixture(SIMPLE), theirs.clone()]);
    let again = dir.path().join("again.parquet");
    pipe(Tool::Ours, "from-parquet", Tool::Ours, &theirs, &again);
    let (before, after) = (geo_of(&theirs), geo_of(&again));
    let crs = &before["geo"]["columns"]["geometry"]["crs"];
    assert!(
        crs.is_object(),
        "stac-geoparquet writes a PROJJSON crs: {before}"
    );
    assert_eq!(after["geo"]["version"], "1.1.0");
    assert_eq!(&after["geo"]["columns"]["geometry"]["crs"], crs);
    assert_eq!(
        after["geo"]["columns"]["geometry"]["covering"],
        before["geo"]["columns"]["geometry"]["covering"]
    );
    assert_eq!(
        after["stac_geoparquet"]["collections"],
        before["stac_geoparquet"]["collections"]
    );
    assert_eq!(
        after["stac_geoparquet"]["collections"]["c1"]["description"],
        "kept through stacpkg"
    );
    // The stream between the two commands carries the PROJJSON on the geometry field.
    let ext: Value = serde_json::from_str(
        after["geometry_metadata"]["ARROW:extension:metadata"]
            .as_str()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(&ext["crs"], crs);
}

#[test]
fn rustac_file_keeps_its_1_1_metadata_through_ours() {
    let Some(rustac) = tool_rustac() else { return };
    let Some(_python) = tool_python() else { return };
    let dir = temp_dir();
    let (theirs, again) = rustac_parquet_through_ours(&rustac, dir.path());
    let (before, after) = (geo_of(&theirs), geo_of(&again));
    assert_eq!(before["geo"]["version"], "1.1.0");
    for key in ["version", "primary_column"] {
        assert_eq!(after["geo"][key], before["geo"][key], "{key}");
    }
    let (b, a) = (
        &before["geo"]["columns"]["geometry"],
        &after["geo"]["columns"]["geometry"],
    );
    for key in ["bbox", "covering", "encoding"] {
        assert_eq!(a[key], b[key], "geo.columns.geometry.{key}");
    }
    let sorted = |v: &Value| {
        let mut t: Vec<String> = v
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_str().unwrap().to_string())
            .collect();
        t.sort();
        t
    };
    assert_eq!(sorted(&a["geometry_types"]), sorted(&b["geometry_types"]));
    assert_eq!(after["bbox_fields"], before["bbox_fields"]);
}

/// Python: rewrites our file with the bbox struct in the order stacpkg wrote before 1.1
/// (`xmin, ymin, xmax, ymax, zmin, zmax`), metadata kept.
const OLD_ORDER_PY: &str = r#"
import sys
import pyarrow as pa, pyarrow.parquet as pq
t = pq.read_table(sys.argv[1])
b = t.column("bbox").combine_chunks()
names = ["xmin", "ymin", "xmax", "ymax", "zmin", "zmax"]
old = pa.StructArray.from_arrays([b.field(n) for n in names], names=names, mask=b.is_null())
i = t.schema.get_field_index("bbox")
t = t.set_column(i, pa.field("bbox", old.type), old)
pq.write_table(t, sys.argv[2])
"#;

#[test]
fn old_bbox_order_is_read_by_name_and_rewritten_in_1_1_order() {
    let Some(_python) = tool_python() else { return };
    let dir = temp_dir();
    let input = fixture(RICH);
    let ours = ours_ndjson_to_parquet(dir.path(), &input, "ours.parquet");
    let old = dir.path().join("old.parquet");
    run_python(OLD_ORDER_PY, [&ours, &old]);
    assert_eq!(
        geo_of(&old)["bbox_fields"],
        json!(["xmin", "ymin", "xmax", "ymax", "zmin", "zmax"])
    );
    // Back to JSON: every bbox as it was.
    let out = shell(r#""$STACPKG" items from-parquet "$IN" | "$STACPKG" items to-ndjson"#)
        .env("IN", &old)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let back: Vec<Value> = String::from_utf8(out)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let items = read_ndjson(&input);
    for (want, got) in items.iter().zip(&back) {
        assert_eq!(got["bbox"], want["bbox"], "{}", want["id"]);
    }
    // Rewritten: the 1.1 order.
    let again = dir.path().join("again.parquet");
    pipe(Tool::Ours, "from-parquet", Tool::Ours, &old, &again);
    let got = geo_of(&again);
    assert_eq!(
        got["bbox_fields"],
        json!(["xmin", "ymin", "zmin", "xmax", "ymax", "zmax"])
    );
    assert_eq!(got["bbox"], geo_of(&ours)["bbox"]);
}
