//! Searching a saved catalogue offline: the same filters over a local file.
//!
//! A search saved as NDJSON, a STAC JSON document or stac-geoparquet can be searched again
//! without the server, with the filters every STAC API implements the same way: `bbox`
//! (intersects the item's `bbox`, or its geometry's extent when it has none), `datetime`
//! (overlaps the item's `datetime`, or its `start_datetime`/`end_datetime` range; open ends
//! allowed on both sides), `collections` and `ids`. The filter runs on JSON items before
//! conversion ([`LocalFilter::matches_json`]) or on Arrow batches ([`LocalFilter::mask`]), so
//! NDJSON streams line by line and Parquet batch by batch. Server-side features (`intersects`
//! with arbitrary geometry, CQL2, `query`, `sortby`) are refused rather than half-done.

use std::collections::HashSet;

use arrow_array::cast::AsArray;
use arrow_array::types::{Float64Type, TimestampMicrosecondType};
use arrow_array::{Array, BooleanArray, RecordBatch};
use arrow_schema::{DataType, TimeUnit};
use serde_json::{Map, Value};

use super::params::{Interval, SearchParams};
use crate::stac::datetime::parse_rfc3339_micros;
use crate::stac::wkb;
use crate::{Error, Result};

/// The filters a local search applies.
#[derive(Debug, Clone, Default)]
pub struct LocalFilter {
    /// Keep items of these collections (empty: all).
    pub collections: HashSet<String>,
    /// Keep items with these ids (empty: all).
    pub ids: HashSet<String>,
    /// Keep items intersecting this `[w, s, e, n]` (w > e crosses the antimeridian).
    pub bbox: Option<[f64; 4]>,
    /// Keep items whose time overlaps this interval.
    pub datetime: Option<Interval>,
}

impl LocalFilter {
    /// The local filter for `params`; an error names a parameter only a server can apply.
    pub fn from_params(params: &SearchParams, source: &str) -> Result<Self> {
        let refuse = |flag: &str| {
            Err(Error::input(
                source,
                format!("{flag} needs a STAC API; a local file can be searched with --collections, --ids, --bbox and --datetime"),
            ))
        };
        if params.intersects.is_some() {
            return refuse("--intersects");
        }
        if params.filter.is_some() {
            return refuse("--filter");
        }
        if params.query.is_some() {
            return refuse("--query");
        }
        if !params.sortby.is_empty() {
            return refuse("--sortby");
        }
        if !params.fields.is_empty() {
            return refuse("--fields");
        }
        let bbox = params.bbox.as_ref().map(|b| match b.len() {
            6 => [b[0], b[1], b[3], b[4]],
            _ => [b[0], b[1], b[2], b[3]],
        });
        Ok(Self {
            collections: params.collections.iter().cloned().collect(),
            ids: params.ids.iter().cloned().collect(),
            bbox,
            datetime: params.datetime,
        })
    }

    /// Whether a JSON item passes.
    pub fn matches_json(&self, item: &Map<String, Value>) -> bool {
        let text = |k: &str| item.get(k).and_then(Value::as_str);
        if !self.ids.is_empty() && !text("id").is_some_and(|id| self.ids.contains(id)) {
            return false;
        }
        if !self.collections.is_empty()
            && !text("collection").is_some_and(|c| self.collections.contains(c))
        {
            return false;
        }
        if let Some(query) = &self.bbox {
            let extent = item_extent(item);
            if !extent.is_some_and(|e| bbox_intersects(query, &e)) {
                return false;
            }
        }
        if let Some(interval) = &self.datetime {
            let (start, end) = item_time_range(item);
            if (start.is_none() && end.is_none()) || !interval.overlaps(start, end) {
                return false;
            }
        }
        true
    }

    /// The rows of an items batch that pass.
    pub fn mask(&self, batch: &RecordBatch) -> Result<BooleanArray> {
        let rows = batch.num_rows();
        let mut keep = vec![true; rows];
        let ids_and_collections = crate::items::ItemFilter {
            item_ids: self.ids.clone(),
            collections: self.collections.clone(),
            providers: HashSet::new(),
        };
        if let Some(m) = ids_and_collections.mask(batch)? {
            for (k, v) in keep.iter_mut().zip(m.iter()) {
                *k &= v.unwrap_or(false);
            }
        }
        if let Some(query) = &self.bbox {
            let extents = batch_extents(batch)?;
            for (k, e) in keep.iter_mut().zip(extents) {
                *k &= e.is_some_and(|e| bbox_intersects(query, &e));
            }
        }
        if let Some(interval) = &self.datetime {
            let dt = timestamps(batch, "datetime")?;
            let start = timestamps(batch, "start_datetime")?;
            let end = timestamps(batch, "end_datetime")?;
            for (row, k) in keep.iter_mut().enumerate() {
                let (s, e) = match dt[row] {
                    Some(t) => (Some(t), Some(t)),
                    None => (start[row], end[row]),
                };
                *k &= (s.is_some() || e.is_some()) && interval.overlaps(s, e);
            }
        }
        Ok(BooleanArray::from(keep))
    }
}

/// Whether the query bbox (possibly crossing the antimeridian) intersects an extent.
pub fn bbox_intersects(q: &[f64; 4], e: &[f64; 4]) -> bool {
    let lat = q[1] <= e[3] && q[3] >= e[1];
    let lon = |w: f64, east: f64| w <= e[2] && east >= e[0];
    lat && if q[0] <= q[2] {
        lon(q[0], q[2])
    } else {
        lon(q[0], 180.0) || lon(-180.0, q[2])
    }
}

/// A JSON item's `[w, s, e, n]`: its `bbox`, else its geometry's extent.
pub fn item_extent(item: &Map<String, Value>) -> Option<[f64; 4]> {
    json_bbox(item.get("bbox")).or_else(|| item.get("geometry").and_then(geometry_extent))
}

/// A JSON item's time as `(start, end)` UTC microseconds: `datetime` twice, else
/// `start_datetime` and `end_datetime` (either may be missing).
pub fn item_time_range(item: &Map<String, Value>) -> (Option<i64>, Option<i64>) {
    let props = item.get("properties").and_then(Value::as_object);
    let time = |k: &str| {
        props
            .and_then(|p| p.get(k))
            .and_then(Value::as_str)
            .and_then(parse_rfc3339_micros)
    };
    match time("datetime") {
        Some(t) => (Some(t), Some(t)),
        None => (time("start_datetime"), time("end_datetime")),
    }
}

fn json_bbox(value: Option<&Value>) -> Option<[f64; 4]> {
    let a = value?.as_array()?;
    let n: Vec<f64> = a.iter().map(Value::as_f64).collect::<Option<_>>()?;
    match n.len() {
        4 => Some([n[0], n[1], n[2], n[3]]),
        6 => Some([n[0], n[1], n[3], n[4]]),
        _ => None,
    }
}

/// The 2-D extent of a GeoJSON geometry's coordinates.
fn geometry_extent(geometry: &Value) -> Option<[f64; 4]> {
    fn walk(v: &Value, e: &mut Option<[f64; 4]>) {
        match v {
            Value::Array(a) if a.first().is_some_and(Value::is_number) => {
                if let (Some(x), Some(y)) = (a[0].as_f64(), a.get(1).and_then(Value::as_f64)) {
                    let b = e.get_or_insert([x, y, x, y]);
                    *b = [b[0].min(x), b[1].min(y), b[2].max(x), b[3].max(y)];
                }
            }
            Value::Array(a) => a.iter().for_each(|x| walk(x, e)),
            _ => {}
        }
    }
    let mut extent = None;
    match geometry.get("type").and_then(Value::as_str) {
        Some("GeometryCollection") => {
            for g in geometry.get("geometries")?.as_array()? {
                if let Some(ge) = geometry_extent(g) {
                    walk(
                        &serde_json::json!([[ge[0], ge[1]], [ge[2], ge[3]]]),
                        &mut extent,
                    );
                }
            }
        }
        _ => walk(geometry.get("coordinates")?, &mut extent),
    }
    extent
}

/// Each row's 2-D extent: the `bbox` column, else the geometry's.
pub fn batch_extents(batch: &RecordBatch) -> Result<Vec<Option<[f64; 4]>>> {
    let rows = batch.num_rows();
    let mut out = vec![None; rows];
    if let Some(bbox) = batch.column_by_name("bbox").and_then(|c| c.as_struct_opt()) {
        let coord = |name: &str| {
            bbox.column_by_name(name)
                .and_then(|c| c.as_primitive_opt::<Float64Type>())
        };
        if let (Some(x0), Some(y0), Some(x1), Some(y1)) =
            (coord("xmin"), coord("ymin"), coord("xmax"), coord("ymax"))
        {
            for (row, slot) in out.iter_mut().enumerate() {
                if bbox.is_valid(row)
                    && x0.is_valid(row)
                    && y0.is_valid(row)
                    && x1.is_valid(row)
                    && y1.is_valid(row)
                {
                    *slot = Some([x0.value(row), y0.value(row), x1.value(row), y1.value(row)]);
                }
            }
        }
    }
    if let Some(geometry) = batch
        .column_by_name("geometry")
        .and_then(|c| c.as_binary_opt::<i32>())
    {
        for (row, slot) in out.iter_mut().enumerate() {
            if slot.is_none() && geometry.is_valid(row) {
                let g = wkb::wkb_to_geojson(geometry.value(row)).map_err(|e| {
                    Error::input("geometry column", format!("row {row}: invalid WKB: {e}"))
                })?;
                *slot = geometry_extent(&g);
            }
        }
    }
    Ok(out)
}

/// Each row's time as `(start, end)` UTC microseconds: `datetime` twice, else
/// `start_datetime` and `end_datetime` (an open end takes the other; neither: `None`).
pub fn batch_time_ranges(batch: &RecordBatch) -> Result<Vec<Option<(i64, i64)>>> {
    let dt = timestamps(batch, "datetime")?;
    let start = timestamps(batch, "start_datetime")?;
    let end = timestamps(batch, "end_datetime")?;
    Ok((0..batch.num_rows())
        .map(|row| match (dt[row], start[row], end[row]) {
            (Some(t), _, _) => Some((t, t)),
            (None, Some(s), Some(e)) => Some((s.min(e), s.max(e))),
            (None, Some(t), None) | (None, None, Some(t)) => Some((t, t)),
            (None, None, None) => None,
        })
        .collect())
}

/// A timestamp column as UTC microseconds (text columns are parsed; absent = all null).
fn timestamps(batch: &RecordBatch, name: &str) -> Result<Vec<Option<i64>>> {
    let rows = batch.num_rows();
    let Some(column) = batch.column_by_name(name) else {
        return Ok(vec![None; rows]);
    };
    match column.data_type() {
        DataType::Utf8 => Ok(column
            .as_string::<i32>()
            .iter()
            .map(|v| v.and_then(parse_rfc3339_micros))
            .collect()),
        DataType::Timestamp(_, _) => {
            let target = DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()));
            let cast = arrow_cast::cast(column, &target)
                .map_err(|e| Error::arrow(format!("reading column `{name}`"), e))?;
            Ok(cast
                .as_primitive::<TimestampMicrosecondType>()
                .iter()
                .collect())
        }
        _ => Ok(vec![None; rows]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn filter(params: SearchParams) -> LocalFilter {
        LocalFilter::from_params(&params, "x").unwrap()
    }

    fn item(bbox: Option<Value>, props: Value) -> Map<String, Value> {
        let mut v = json!({"id": "a", "collection": "c", "properties": props,
            "geometry": {"type": "Polygon", "coordinates": [[[10, 10], [12, 10], [12, 12], [10, 10]]]}});
        if let Some(b) = bbox {
            v["bbox"] = b;
        }
        v.as_object().unwrap().clone()
    }

    #[test]
    fn bbox_and_geometry() {
        let f = filter(SearchParams {
            bbox: Some(vec![11.0, 11.0, 20.0, 20.0]),
            ..Default::default()
        });
        assert!(f.matches_json(&item(Some(json!([10, 10, 12, 12])), json!({}))));
        assert!(f.matches_json(&item(None, json!({}))));
        assert!(!f.matches_json(&item(Some(json!([0, 0, 1, 1])), json!({}))));
        let across = filter(SearchParams {
            bbox: Some(vec![170.0, -10.0, -170.0, 10.0]),
            ..Default::default()
        });
        assert!(across.matches_json(&item(Some(json!([175, 0, 176, 1])), json!({}))));
        assert!(across.matches_json(&item(Some(json!([-175, 0, -174, 1])), json!({}))));
        assert!(!across.matches_json(&item(Some(json!([0, 0, 1, 1])), json!({}))));
    }

    #[test]
    fn datetime_and_ranges() {
        let f = filter(SearchParams {
            datetime: Some(Interval::parse("../2024-01-01").unwrap()),
            ..Default::default()
        });
        assert!(f.matches_json(&item(None, json!({"datetime": "2023-05-01T00:00:00Z"}))));
        assert!(!f.matches_json(&item(None, json!({"datetime": "2024-01-02T00:00:00Z"}))));
        assert!(f.matches_json(&item(
            None,
            json!({"datetime": null,
            "start_datetime": "2023-12-31T00:00:00Z", "end_datetime": "2024-02-01T00:00:00Z"})
        )));
        assert!(!f.matches_json(&item(None, json!({}))));
    }

    #[test]
    fn refuses_server_side_params() {
        let p = SearchParams {
            sortby: vec![super::super::params::SortKey::parse("gsd").unwrap()],
            ..Default::default()
        };
        let e = LocalFilter::from_params(&p, "saved.ndjson").unwrap_err();
        assert!(e.to_string().contains("--sortby needs a STAC API"), "{e}");
    }
}
