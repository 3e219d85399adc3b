//! CPU work on item rows that must not block the UI thread for big tables: the filtered and
//! sorted row order ([`compute_view`], run by the task layer), and the JSON of one item
//! rebuilt from its row ([`item_json`], one row, cheap enough for `update`).
//!
//! Cell text comes from [`crate::preview::cell_text`] and geometry from
//! [`crate::stac::wkb::wkb_to_geojson`], so the console shows what the CLI shows.

use arrow_array::cast::AsArray;
use arrow_array::{Array, RecordBatch};
use arrow_schema::{DataType, TimeUnit};
use serde_json::{Map, Value};
use tokio_util::sync::CancellationToken;

use super::panes::cell::table_cell;
use super::panes::items::{RowRef, SortSpec, ViewSpec};
use crate::preview::{cell_json, cell_text};
use crate::stac::shape::RESERVED;
use crate::stac::wkb::wkb_to_geojson;

/// A sort key: numbers (and times) compare as numbers, everything else as text; nulls last.
#[derive(Debug, Clone, PartialEq, PartialOrd)]
enum SortKey {
    Num(f64),
    Text(String),
    Null,
}

/// The numeric value of a cell, if its column is numeric or temporal.
fn numeric(array: &dyn Array, row: usize) -> Option<f64> {
    let dt = array.data_type();
    if !(dt.is_numeric() || dt.is_temporal()) {
        return None;
    }
    let one = arrow_cast::cast(&array.slice(row, 1), &DataType::Float64).ok()?;
    let one = arrow_cast::cast(&one, &DataType::Float64).ok()?;
    let f = one.as_primitive_opt::<arrow_array::types::Float64Type>()?;
    f.is_valid(0).then(|| f.value(0))
}

fn sort_key(array: &dyn Array, row: usize) -> SortKey {
    if array.is_null(row) {
        return SortKey::Null;
    }
    let array = match array.data_type() {
        DataType::Timestamp(..) | DataType::Date32 | DataType::Date64 => {
            match arrow_cast::cast(&array.slice(row, 1), &DataType::Int64) {
                Ok(a) => return numeric(a.as_ref(), 0).map_or(SortKey::Null, SortKey::Num),
                Err(_) => array,
            }
        }
        _ => array,
    };
    match numeric(array, row) {
        Some(v) => SortKey::Num(v),
        None => SortKey::Text(cell_text(array, row).to_lowercase()),
    }
}

/// The rows to show, in order, or `None` if cancelled part way.
pub fn compute_view(
    batches: &[RecordBatch],
    spec: &ViewSpec,
    cancel: &CancellationToken,
) -> Option<Vec<RowRef>> {
    let needle = spec.filter.trim().to_lowercase();
    let mut rows: Vec<(RowRef, SortKey)> = Vec::new();
    for (b, batch) in batches.iter().enumerate() {
        if cancel.is_cancelled() {
            return None;
        }
        let schema = batch.schema();
        let filter_cols: Vec<&dyn Array> = spec
            .filter_columns
            .iter()
            .filter_map(|n| schema.index_of(n).ok())
            .map(|i| batch.column(i).as_ref())
            .collect();
        let sort_col = spec
            .sort
            .as_ref()
            .and_then(|s| schema.index_of(&s.column).ok())
            .map(|i| batch.column(i).as_ref());
        for r in 0..batch.num_rows() {
            if !needle.is_empty()
                && !filter_cols
                    .iter()
                    .any(|c| table_cell(*c, r).to_lowercase().contains(&needle))
            {
                continue;
            }
            let key = sort_col.map_or(SortKey::Null, |c| sort_key(c, r));
            rows.push((RowRef::new(b, r), key));
        }
    }
    if let Some(SortSpec { descending, .. }) = spec.sort {
        rows.sort_by(|(_, a), (_, b)| {
            let ord = match (a, b) {
                (SortKey::Null, SortKey::Null) => std::cmp::Ordering::Equal,
                (SortKey::Null, _) => return std::cmp::Ordering::Greater,
                (_, SortKey::Null) => return std::cmp::Ordering::Less,
                (a, b) => a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal),
            };
            if descending {
                ord.reverse()
            } else {
                ord
            }
        });
    }
    Some(rows.into_iter().map(|(r, _)| r).collect())
}

/// An RFC 3339 text for a timestamp cell (the JSON form STAC uses).
fn timestamp_json(array: &dyn Array, row: usize, unit: TimeUnit) -> Option<Value> {
    let v = arrow_cast::cast(&array.slice(row, 1), &DataType::Int64).ok()?;
    let v = v.as_primitive_opt::<arrow_array::types::Int64Type>()?;
    if !v.is_valid(0) {
        return None;
    }
    let v = v.value(0);
    let dt = match unit {
        TimeUnit::Second => chrono::DateTime::from_timestamp(v, 0),
        TimeUnit::Millisecond => chrono::DateTime::from_timestamp_millis(v),
        TimeUnit::Microsecond => chrono::DateTime::from_timestamp_micros(v),
        TimeUnit::Nanosecond => Some(chrono::DateTime::from_timestamp_nanos(v)),
    }?;
    Some(Value::String(
        dt.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true),
    ))
}

fn value_at(array: &dyn Array, row: usize) -> Value {
    match array.data_type() {
        DataType::Timestamp(unit, _) => timestamp_json(array, row, *unit).unwrap_or(Value::Null),
        _ => cell_json(array, row),
    }
}

/// Struct members a row does not have come back as nulls (the schema is the union of all
/// items); the item's JSON never had them.
fn drop_nested_nulls(value: Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k, drop_nested_nulls(v)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(drop_nested_nulls).collect()),
        v => v,
    }
}

/// stac-geoparquet stores bbox as a struct; STAC JSON writes it as an array.
fn bbox_array(value: Value) -> Value {
    let Value::Object(map) = &value else {
        return value;
    };
    let keys: &[&str] = if map.contains_key("zmin") {
        &["xmin", "ymin", "zmin", "xmax", "ymax", "zmax"]
    } else {
        &["xmin", "ymin", "xmax", "ymax"]
    };
    match keys
        .iter()
        .map(|k| map.get(*k).cloned())
        .collect::<Option<Vec<_>>>()
    {
        Some(values) => Value::Array(values),
        None => value,
    }
}

/// The item at `row` of `batch` as STAC JSON: members from their columns, properties from the
/// other columns (nulls dropped), geometry decoded from WKB.
pub fn item_json(batch: &RecordBatch, row: usize) -> Value {
    let schema = batch.schema();
    let mut item = Map::new();
    let mut properties = Map::new();
    for (i, field) in schema.fields().iter().enumerate() {
        let array = batch.column(i).as_ref();
        let name = field.name().as_str();
        if array.is_null(row) {
            continue;
        }
        let value = if name == "geometry" {
            let wkb = array
                .as_binary_opt::<i32>()
                .map(|b| b.value(row))
                .or_else(|| array.as_binary_opt::<i64>().map(|b| b.value(row)));
            match wkb.map(wkb_to_geojson) {
                Some(Ok(g)) => g,
                Some(Err(e)) => Value::String(format!("<geometry: {e}>")),
                None => Value::Null,
            }
        } else {
            value_at(array, row)
        };
        let value = if name == "bbox" {
            bbox_array(value)
        } else {
            drop_nested_nulls(value)
        };
        if RESERVED.contains(&name) {
            item.insert(name.to_string(), value);
        } else {
            properties.insert(name.to_string(), value);
        }
    }
    item.insert("properties".to_string(), Value::Object(properties));
    Value::Object(item)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stac::read::{NdjsonItems, ReadOptions};

    fn batches() -> Vec<RecordBatch> {
        let text = concat!(
            r#"{"type":"Feature","stac_version":"1.0.0","id":"b","geometry":{"type":"Point","coordinates":[1.0,2.0]},"bbox":[1.0,2.0,1.0,2.0],"properties":{"datetime":"2024-01-02T00:00:00Z","gsd":0.5,"title":"Beta"},"links":[],"assets":{}}"#,
            "\n",
            r#"{"type":"Feature","stac_version":"1.0.0","id":"a","geometry":{"type":"Point","coordinates":[3.0,4.0]},"bbox":[3.0,4.0,3.0,4.0],"properties":{"datetime":"2024-01-01T00:00:00Z","gsd":0.1,"title":"Alpha"},"links":[],"assets":{}}"#,
            "\n",
            r#"{"type":"Feature","stac_version":"1.0.0","id":"c","geometry":{"type":"Point","coordinates":[5.0,6.0]},"bbox":[5.0,6.0,5.0,6.0],"properties":{"datetime":"2024-01-03T00:00:00Z","title":"Gamma"},"links":[],"assets":{}}"#,
            "\n"
        );
        let reader =
            NdjsonItems::scan(std::io::Cursor::new(text), "t", ReadOptions::default()).unwrap();
        reader.collect::<Result<Vec<_>, _>>().unwrap()
    }

    fn ids(batches: &[RecordBatch], rows: &[RowRef]) -> Vec<String> {
        rows.iter()
            .map(|r| {
                let b = &batches[r.batch as usize];
                let i = b.schema().index_of("id").unwrap();
                cell_text(b.column(i).as_ref(), r.row as usize)
            })
            .collect()
    }

    #[test]
    fn sorts_numbers_as_numbers_with_nulls_last() {
        let b = batches();
        let spec = |descending| ViewSpec {
            filter: String::new(),
            filter_columns: vec![],
            sort: Some(SortSpec {
                column: "gsd".into(),
                descending,
            }),
        };
        let t = CancellationToken::new();
        assert_eq!(
            ids(&b, &compute_view(&b, &spec(false), &t).unwrap()),
            ["a", "b", "c"]
        );
        assert_eq!(
            ids(&b, &compute_view(&b, &spec(true), &t).unwrap()),
            ["b", "a", "c"]
        );
    }

    #[test]
    fn filters_case_insensitively_on_the_given_columns() {
        let b = batches();
        let spec = ViewSpec {
            filter: "GAM".into(),
            filter_columns: vec!["id".into(), "title".into()],
            sort: None,
        };
        let t = CancellationToken::new();
        assert_eq!(ids(&b, &compute_view(&b, &spec, &t).unwrap()), ["c"]);
        t.cancel();
        assert!(compute_view(&b, &spec, &t).is_none());
    }

    #[test]
    fn item_json_rebuilds_the_item() {
        let b = batches();
        let json = item_json(&b[0], 1);
        assert_eq!(json["id"], "a");
        assert_eq!(json["geometry"]["type"], "Point");
        assert_eq!(json["geometry"]["coordinates"][0], 3.0);
        assert_eq!(json["properties"]["datetime"], "2024-01-01T00:00:00Z");
        assert_eq!(json["properties"]["gsd"], 0.1);
        assert_eq!(json["bbox"][3], 4.0);
    }
}
