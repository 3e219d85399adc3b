//! The JSON of one item rebuilt from its row, for the item popup: members from their columns,
//! properties from the others, geometry decoded from WKB. One row, cheap enough for `update`.
//!
//! Cell values come from [`crate::preview::cell_json`] and geometry from
//! [`crate::stac::wkb::wkb_to_geojson`], so the console shows what the CLI shows.

use arrow_array::cast::AsArray;
use arrow_array::{Array, RecordBatch};
use arrow_schema::{DataType, TimeUnit};
use serde_json::{Map, Value};

use crate::preview::cell_json;
use crate::stac::shape::RESERVED;
use crate::stac::wkb::wkb_to_geojson;

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

    #[test]
    fn item_json_rebuilds_the_item() {
        let line = r#"{"type":"Feature","stac_version":"1.0.0","id":"a","geometry":{"type":"Point","coordinates":[3.0,4.0]},"bbox":[3.0,4.0,3.0,4.0],"properties":{"datetime":"2024-01-01T00:00:00Z","gsd":0.1},"links":[],"assets":{}}"#;
        let b = NdjsonItems::scan(std::io::Cursor::new(line), "t", ReadOptions::default())
            .unwrap()
            .collect::<Result<Vec<_>, _>>()
            .unwrap();
        let json = item_json(&b[0], 0);
        assert_eq!(json["id"], "a");
        assert_eq!(json["geometry"]["type"], "Point");
        assert_eq!(json["geometry"]["coordinates"][0], 3.0);
        assert_eq!(json["properties"]["datetime"], "2024-01-01T00:00:00Z");
        assert_eq!(json["properties"]["gsd"], 0.1);
        assert_eq!(json["bbox"][3], 4.0);
    }

    /// Doubles one ulp from their neighbours (seen in NAIP's `proj:bbox`) come back exactly
    /// as written: parsed correctly rounded, printed shortest round-trip.
    #[test]
    fn doubles_come_back_bit_for_bit() {
        let line = r#"{"type":"Feature","stac_version":"1.0.0","id":"n","geometry":{"type":"Point","coordinates":[-122.0000000000001,45.1]},"properties":{"datetime":"2024-01-01T00:00:00Z","proj:bbox":[2012712.9000000001,216113.69999999998,2013000.5,216500.25],"big":9007199254740993},"links":[],"assets":{}}"#;
        let b = NdjsonItems::scan(std::io::Cursor::new(line), "t", ReadOptions::default())
            .unwrap()
            .collect::<Result<Vec<_>, _>>()
            .unwrap();
        let text = serde_json::to_string(&item_json(&b[0], 0)).unwrap();
        for literal in [
            "2012712.9000000001",
            "216113.69999999998",
            "-122.0000000000001",
            "9007199254740993",
        ] {
            assert!(text.contains(literal), "{literal} not in {text}");
        }
    }
}
