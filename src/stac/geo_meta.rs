//! The metadata that makes an items table GeoParquet 1.1 and stac-geoparquet: the `geo` key,
//! the `stac-geoparquet` key, and the CRS on the Arrow geometry field.
//!
//! Why each piece (docs/COMPATIBILITY.md, "GeoParquet metadata"):
//! - `geo` is GeoParquet **1.1.0** with `covering.bbox` naming the `bbox` struct's fields, so
//!   readers (GeoPandas `read_parquet(bbox=…)`, GDAL, DuckDB) filter by row-group statistics of
//!   `bbox.*`; the file-level `bbox` and `geometry_types` are what was actually written.
//!   The Python stacpkg 0.1.4 only reads the columns, so 1.1 costs it nothing.
//! - A file written by another tool keeps its `geo` members (a PROJJSON `crs`, `edges`,
//!   `epoch`, other geometry columns); only what we recompute is replaced. A `crs: null` on
//!   the primary column (the Python tool's, meaning "undefined") is dropped: a STAC geometry is
//!   always OGC:CRS84, which an absent `crs` means.
//! - `stac-geoparquet` keeps every member it came with (stac-geoparquet ≥ 0.7 puts the
//!   `collections` there, id → Collection JSON) and adds the collections we know.
//! - The Arrow geometry field carries `ARROW:extension:metadata` `{"crs": …}`: without it a
//!   `geoarrow.wkb` field means "CRS unknown" and `GeoDataFrame.from_arrow` gets `crs=None`.

use std::collections::BTreeSet;

use arrow_array::{Array, BinaryArray};
use arrow_schema::{DataType, Schema};
use serde_json::{json, Map, Value};

use super::wkb::{self, GeometryKind};
use crate::{Error, Result};

/// The GeoParquet version we write.
pub const GEOPARQUET_VERSION: &str = "1.1.0";
/// The stac-geoparquet metadata key.
pub const STAC_GEOPARQUET_KEY: &str = "stac-geoparquet";
/// The stac-geoparquet version we write.
pub const STAC_GEOPARQUET_VERSION: &str = "1.0.0";
/// Field-metadata key of an Arrow extension type's parameters.
pub const EXTENSION_METADATA_KEY: &str = "ARROW:extension:metadata";
/// GeoArrow extension metadata for OGC:CRS84 (lon/lat WGS 84), the CRS of every STAC geometry.
pub const CRS84_EXTENSION_METADATA: &str = r#"{"crs":"OGC:CRS84","crs_type":"authority_code"}"#;
/// The `bbox` struct fields a covering may name, in GeoParquet 1.1's order.
const COVERING_FIELDS: [&str; 6] = ["xmin", "ymin", "zmin", "xmax", "ymax", "zmax"];

/// What the geometries written so far hold: their kinds and their 2-D extent.
#[derive(Debug, Default, Clone)]
pub struct GeometryStats {
    kinds: BTreeSet<GeometryKind>,
    extent: Option<[f64; 4]>,
}

impl GeometryStats {
    /// Stats that know the kinds only (a stream's schema, before any row is written).
    pub fn from_kinds(kinds: impl IntoIterator<Item = GeometryKind>) -> Self {
        Self {
            kinds: kinds.into_iter().collect(),
            extent: None,
        }
    }

    /// Adds the geometries of a WKB column.
    pub fn observe(&mut self, column: &dyn Array) -> Result<()> {
        let Some(wkbs) = column.as_any().downcast_ref::<BinaryArray>() else {
            return Ok(());
        };
        let invalid = |e| Error::input("geometry column", format!("invalid WKB: {e}"));
        for blob in wkbs.iter().flatten() {
            self.kinds.insert(wkb::wkb_kind(blob).map_err(invalid)?);
            // Two positions a part is the least an outline keeps; its extent covers them all.
            if let Some(outline) = wkb::wkb_outline(blob, 2).map_err(invalid)? {
                let [w, s, e, n] = outline.bbox;
                let b = self.extent.get_or_insert([w, s, e, n]);
                *b = [b[0].min(w), b[1].min(s), b[2].max(e), b[3].max(n)];
            }
        }
        Ok(())
    }

    /// GeoParquet names of the kinds seen, sorted.
    pub fn type_names(&self) -> Vec<String> {
        self.kinds
            .iter()
            .map(GeometryKind::geoparquet_name)
            .collect()
    }
}

/// Parses a JSON object from metadata text; anything else is `None`.
fn parse_object(text: Option<&str>) -> Option<Map<String, Value>> {
    match serde_json::from_str(text?) {
        Ok(Value::Object(map)) => Some(map),
        _ => None,
    }
}

/// `covering.bbox` for the `bbox` column of `schema`, when it is a struct of floats with at
/// least xmin, ymin, xmax, ymax.
fn bbox_covering(schema: &Schema) -> Option<Value> {
    let DataType::Struct(fields) = schema.field_with_name("bbox").ok()?.data_type() else {
        return None;
    };
    let is_float = |name: &str| {
        fields.iter().any(|f| {
            f.name() == name && matches!(f.data_type(), DataType::Float64 | DataType::Float32)
        })
    };
    if !["xmin", "ymin", "xmax", "ymax"].into_iter().all(is_float) {
        return None;
    }
    let covering: Map<String, Value> = COVERING_FIELDS
        .into_iter()
        .filter(|name| is_float(name))
        .map(|name| (name.to_string(), json!(["bbox", name])))
        .collect();
    Some(json!({ "bbox": covering }))
}

/// The `geo` metadata (compact, sorted keys) for a table with `schema`, built on the `geo`
/// it came with (`input`, another tool's or ours) and the geometries written.
pub fn geo_json(input: Option<&str>, schema: &Schema, stats: &GeometryStats) -> String {
    let input = parse_object(input).unwrap_or_default();
    let input_columns = match input.get("columns") {
        Some(Value::Object(c)) => c.clone(),
        _ => Map::new(),
    };
    let mut column = match input_columns.get("geometry") {
        Some(Value::Object(c)) => c.clone(),
        _ => Map::new(),
    };
    if column.get("crs").is_some_and(Value::is_null) {
        column.remove("crs");
    }
    column.insert("encoding".into(), json!("WKB"));
    column.insert("geometry_types".into(), json!(stats.type_names()));
    match stats.extent {
        Some(extent) => column.insert("bbox".into(), json!(extent)),
        None => column.remove("bbox"),
    };
    match bbox_covering(schema) {
        Some(covering) => column.insert("covering".into(), covering),
        None => column.remove("covering"),
    };
    let mut columns = Map::new();
    for (name, value) in input_columns {
        if name != "geometry" && schema.field_with_name(&name).is_ok() {
            columns.insert(name, value);
        }
    }
    columns.insert("geometry".into(), Value::Object(column));
    let mut geo = input;
    geo.insert("columns".into(), Value::Object(columns));
    geo.insert("primary_column".into(), json!("geometry"));
    geo.insert("version".into(), json!(GEOPARQUET_VERSION));
    Value::Object(geo).to_string()
}

/// The `ARROW:extension:metadata` of the geometry field of a table whose `geo` metadata is
/// `geo`: its primary column's `crs` (PROJJSON or a string), else OGC:CRS84 — when `crs` is
/// absent, when there is no readable `geo`, and when `crs` is `null` (the Python stacpkg's, which
/// [`geo_json`] drops too): a STAC geometry is always CRS84.
pub fn geometry_extension_metadata(geo: Option<&str>) -> String {
    let crs =
        parse_object(geo).and_then(|g| g.get("columns")?.get("geometry")?.get("crs").cloned());
    match crs {
        None | Some(Value::Null) => CRS84_EXTENSION_METADATA.to_string(),
        Some(crs @ Value::Object(_)) => json!({"crs": crs, "crs_type": "projjson"}).to_string(),
        Some(crs) => json!({ "crs": crs }).to_string(),
    }
}

/// The `stac-geoparquet` metadata: the members it came with (`input`), our version, and
/// `collections` merged with those we know (ours win for the same id).
pub fn stac_geoparquet_json(input: Option<&str>, collections: &Map<String, Value>) -> String {
    let mut meta = parse_object(input).unwrap_or_default();
    meta.insert("version".into(), json!(STAC_GEOPARQUET_VERSION));
    if !collections.is_empty() {
        let mut merged = match meta.remove("collections") {
            Some(Value::Object(c)) => c,
            _ => Map::new(),
        };
        merged.extend(collections.clone());
        meta.insert("collections".into(), Value::Object(merged));
    }
    Value::Object(meta).to_string()
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow_schema::Field;

    use super::*;
    use crate::stac::item::bbox_type;

    fn schema(three_d: bool) -> Schema {
        Schema::new(vec![
            Field::new("bbox", bbox_type(three_d), true),
            Field::new("geometry", DataType::Binary, true),
        ])
    }

    #[test]
    fn geo_is_1_1_with_covering_and_extent() {
        let mut stats = GeometryStats::default();
        let mut wkb = Vec::new();
        let point = json!({"type": "Point", "coordinates": [3.0, -4.0]});
        wkb::write_wkb(&point, &mut wkb).unwrap();
        stats
            .observe(&BinaryArray::from(vec![Some(wkb.as_slice()), None]))
            .unwrap();
        let geo: Value = serde_json::from_str(&geo_json(None, &schema(true), &stats)).unwrap();
        assert_eq!(
            geo,
            json!({"version": "1.1.0", "primary_column": "geometry", "columns": {"geometry": {
                "encoding": "WKB", "geometry_types": ["Point"], "bbox": [3.0, -4.0, 3.0, -4.0],
                "covering": {"bbox": {"xmin": ["bbox", "xmin"], "ymin": ["bbox", "ymin"],
                    "zmin": ["bbox", "zmin"], "xmax": ["bbox", "xmax"], "ymax": ["bbox", "ymax"],
                    "zmax": ["bbox", "zmax"]}}}}})
        );
    }

    #[test]
    fn another_tools_geo_keeps_its_crs_and_columns() {
        let input = r#"{"version":"1.0.0","primary_column":"geometry","columns":{
            "geometry":{"encoding":"WKB","geometry_types":[],"crs":{"id":{"authority":"EPSG","code":4326}},"edges":"planar"},
            "proj:geometry":{"encoding":"WKB","geometry_types":[],"crs":null},
            "gone":{"encoding":"WKB","geometry_types":[]}}}"#;
        let mut s = schema(false);
        s = Schema::new(
            s.fields()
                .iter()
                .cloned()
                .chain([Arc::new(Field::new(
                    "proj:geometry",
                    DataType::Binary,
                    true,
                ))])
                .collect::<Vec<_>>(),
        );
        let geo: Value =
            serde_json::from_str(&geo_json(Some(input), &s, &GeometryStats::default())).unwrap();
        let column = &geo["columns"]["geometry"];
        assert_eq!(geo["version"], "1.1.0");
        assert_eq!(column["crs"]["id"]["code"], 4326);
        assert_eq!(column["edges"], "planar");
        assert!(
            column.get("bbox").is_none(),
            "no geometry, no bbox: {column}"
        );
        assert_eq!(column["covering"]["bbox"]["ymax"], json!(["bbox", "ymax"]));
        assert!(column["covering"]["bbox"].get("zmin").is_none());
        assert_eq!(geo["columns"]["proj:geometry"]["crs"], Value::Null);
        assert!(geo["columns"].get("gone").is_none());
        let ext = geometry_extension_metadata(Some(input));
        assert!(ext.contains(r#""crs_type":"projjson""#), "{ext}");
    }

    #[test]
    fn crs_null_and_absent_mean_crs84() {
        let null = r#"{"columns":{"geometry":{"crs":null}}}"#;
        assert_eq!(
            geometry_extension_metadata(Some(null)),
            CRS84_EXTENSION_METADATA
        );
        let geo: Value = serde_json::from_str(&geo_json(
            Some(null),
            &schema(false),
            &GeometryStats::default(),
        ))
        .unwrap();
        assert!(geo["columns"]["geometry"].get("crs").is_none(), "{geo}");
        assert_eq!(geometry_extension_metadata(None), CRS84_EXTENSION_METADATA);
    }

    #[test]
    fn stac_geoparquet_keeps_members_and_merges_collections() {
        let input = r#"{"version":"1.0.0","collections":{"a":{"id":"a"}},"other":1}"#;
        let ours = Map::from_iter([("b".to_string(), json!({"id": "b"}))]);
        let meta: Value = serde_json::from_str(&stac_geoparquet_json(Some(input), &ours)).unwrap();
        assert_eq!(
            meta,
            json!({"version": "1.0.0", "other": 1, "collections": {"a": {"id": "a"}, "b": {"id": "b"}}})
        );
        assert_eq!(
            stac_geoparquet_json(None, &Map::new()),
            r#"{"version":"1.0.0"}"#
        );
    }
}
