//! An items row back as STAC JSON: members from their columns, properties from the others,
//! geometry decoded from WKB, timestamps as RFC 3339, the bbox struct as an array. One writer
//! for `items to-ndjson` / `to-json`, `search FILE.parquet --output-format ndjson|json` and
//! the console's item popup and copy.
//!
//! [`item_document`] keeps STAC's usual key order (type, stac_version, stac_extensions, id,
//! geometry, bbox, properties, links, assets, collection, then any other member), and the
//! properties in column order; nested objects come out with sorted keys. `datetime` is always
//! written (null when the item has a start/end range instead), and so are `geometry` (null),
//! `links` and `assets` (empty) when the row has none, as STAC requires. What a row cannot
//! tell apart is written in docs/COMPATIBILITY.md ("Items back to JSON"): a key that is
//! absent and one that was an explicit `null` are both left out, because the union schema
//! gives every row every column.

use arrow_array::cast::AsArray;
use arrow_array::{Array, RecordBatch};
use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::{Map, Value};

use crate::stac::json_value::json_value;
use crate::stac::shape::RESERVED;
use crate::stac::wkb::wkb_to_geojson;

/// stac-geoparquet stores bbox as a struct; STAC JSON writes it as an array.
fn bbox_array(value: Value) -> Value {
    let Value::Object(map) = &value else {
        return value;
    };
    // The union schema gives a 2-D row of a table with 3-D boxes null `zmin` / `zmax`.
    let has_z = map.get("zmin").is_some_and(|z| !z.is_null());
    let keys: &[&str] = if has_z {
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

/// The item at `row` of `batch` as a JSON value (keys sorted; [`item_document`] keeps STAC's
/// order for writing).
pub fn item_json(batch: &RecordBatch, row: usize) -> Value {
    item_document(batch, row).to_value()
}

/// The members STAC documents put first, in that order.
const ORDER: [&str; 10] = [
    "type",
    "stac_version",
    "stac_extensions",
    "id",
    "geometry",
    "bbox",
    "properties",
    "links",
    "assets",
    "collection",
];

/// An item in STAC's key order, ready to serialize (compact or pretty).
#[derive(Debug, Clone, PartialEq)]
pub struct ItemDocument {
    members: Vec<(String, Value)>,
    properties: Vec<(String, Value)>,
}

impl Serialize for ItemDocument {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.members.len() + 1))?;
        for (k, v) in &self.members {
            if k == "properties" {
                map.serialize_entry(k, &Ordered(&self.properties))?;
            } else {
                map.serialize_entry(k, v)?;
            }
        }
        map.end()
    }
}

/// Key-value pairs serialized in their order.
struct Ordered<'a>(&'a [(String, Value)]);

impl Serialize for Ordered<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (k, v) in self.0 {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

impl ItemDocument {
    /// As a `serde_json::Value` (keys sorted again: for lookups, not for writing).
    pub fn to_value(&self) -> Value {
        let mut item: Map<String, Value> = self.members.iter().cloned().collect();
        item.insert(
            "properties".to_string(),
            Value::Object(self.properties.iter().cloned().collect()),
        );
        Value::Object(item)
    }
}

/// The item at `row` of `batch` in STAC's key order (see the module docs).
pub fn item_document(batch: &RecordBatch, row: usize) -> ItemDocument {
    let schema = batch.schema();
    let mut members = Vec::new();
    let mut properties = Vec::new();
    for (i, field) in schema.fields().iter().enumerate() {
        let name = field.name().as_str();
        let Some(value) = member_value(batch.column(i).as_ref(), name, row) else {
            // STAC requires `datetime`, null when a start/end range stands in for it.
            if name == "datetime" {
                properties.push((name.to_string(), Value::Null));
            }
            continue;
        };
        if RESERVED.contains(&name) {
            members.push((name.to_string(), value));
        } else {
            properties.push((name.to_string(), value));
        }
    }
    // STAC requires `geometry` (null when the item has none), `links` and `assets`; a table
    // with no asset columns (every item had `"assets": {}`) or all-null ones stores none, so
    // they come back empty.
    for (name, empty) in [
        ("geometry", Value::Null),
        ("links", Value::Array(Vec::new())),
        ("assets", Value::Object(Map::new())),
    ] {
        if !members.iter().any(|(k, _)| k == name) {
            members.push((name.to_string(), empty));
        }
    }
    members.push(("properties".to_string(), Value::Null));
    let rank = |k: &str| ORDER.iter().position(|o| *o == k).unwrap_or(ORDER.len());
    // Stable: members outside ORDER keep their column order after the known ones.
    members.sort_by_key(|(k, _)| rank(k));
    ItemDocument {
        members,
        properties,
    }
}

/// One column's value at `row` as its JSON member (`None`: null, so left out).
fn member_value(array: &dyn Array, name: &str, row: usize) -> Option<Value> {
    // A column of nulls (every item had the member as `null`) has no validity bitmap.
    if array.is_null(row) || array.data_type().is_null() {
        return None;
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
        json_value(array, row, name)
    };
    // Nested nulls are already left out by `json_value`.
    Some(if name == "bbox" {
        bbox_array(value)
    } else {
        value
    })
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

    #[test]
    fn required_members_are_written_even_when_empty() {
        let line = r#"{"type":"Feature","stac_version":"1.0.0","id":"a","geometry":null,"properties":{"datetime":"2024-01-01T00:00:00Z"},"links":[],"assets":{}}"#;
        let b = NdjsonItems::scan(std::io::Cursor::new(line), "t", ReadOptions::default())
            .unwrap()
            .collect::<Result<Vec<_>, _>>()
            .unwrap();
        let text = serde_json::to_string(&item_document(&b[0], 0)).unwrap();
        assert_eq!(
            text,
            r#"{"type":"Feature","stac_version":"1.0.0","id":"a","geometry":null,"properties":{"datetime":"2024-01-01T00:00:00Z"},"links":[],"assets":{}}"#
        );
    }

    #[test]
    fn the_document_keeps_stac_key_order_and_properties_in_column_order() {
        let line = r#"{"type":"Feature","stac_version":"1.0.0","id":"a","collection":"c","geometry":{"type":"Point","coordinates":[3.0,4.0,5.5]},"bbox":[3.0,4.0,3.0,4.0],"properties":{"datetime":"2024-01-01T00:00:00Z","gsd":0.1},"links":[],"assets":{"b":{"href":"x","roles":["data"]}}}"#;
        let b = NdjsonItems::scan(std::io::Cursor::new(line), "t", ReadOptions::default())
            .unwrap()
            .collect::<Result<Vec<_>, _>>()
            .unwrap();
        let text = serde_json::to_string(&item_document(&b[0], 0)).unwrap();
        let at = |k: &str| text.find(&format!("\"{k}\":")).unwrap_or(usize::MAX);
        let order = [
            "type",
            "stac_version",
            "id",
            "geometry",
            "bbox",
            "properties",
            "links",
            "assets",
            "collection",
        ];
        for w in order.windows(2) {
            assert!(at(w[0]) < at(w[1]), "{} before {} in {text}", w[0], w[1]);
        }
        assert!(text.contains(r#""coordinates":[3.0,4.0,5.5]"#), "{text}");
        let value: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(value, item_json(&b[0], 0));
    }
}
