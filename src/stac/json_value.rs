//! One Arrow cell as the JSON value a STAC document holds: the inverse of what the items
//! reader builds, for any nested type other writers use too (dictionary-encoded strings,
//! maps, views, `float32`, dates).
//!
//! Kept apart from the terminal preview's cell text (which mimics Python's repr for
//! compatibility) because JSON has its own rules: a `proj:geometry` stored as WKB — the
//! convention of rustac and stac-geoparquet — comes back as its GeoJSON object; other bytes
//! as base64 text; a `float32` as the shortest decimal that reads back to it (`0.1`, not
//! `0.10000000149011612`); a double that JSON cannot hold (NaN, ±∞) as `null`; struct members
//! and map entries that are null are left out (the union schema gives every row every member).

use arrow_array::cast::AsArray;
use arrow_array::types::{
    Float16Type, Float32Type, Float64Type, Int16Type, Int32Type, Int64Type, Int8Type, UInt16Type,
    UInt32Type, UInt64Type, UInt8Type,
};
use arrow_array::Array;
use arrow_schema::{DataType, TimeUnit};
use base64::Engine as _;
use serde_json::{Map, Number, Value};

use crate::preview::{bytes_at, i64_at, list_at};
use crate::stac::wkb::wkb_to_geojson;

/// The member name whose bytes are a WKB geometry (the projection extension's footprint).
const WKB_MEMBERS: [&str; 1] = ["proj:geometry"];

/// The value at `row` of `array`, a member named `name` (which decides whether bytes are a
/// geometry). `Value::Null` for a null cell.
pub fn json_value(array: &dyn Array, row: usize, name: &str) -> Value {
    if row >= array.len() || array.is_null(row) {
        return Value::Null;
    }
    match array.data_type() {
        DataType::Null => Value::Null,
        DataType::Boolean => Value::Bool(array.as_boolean().value(row)),
        DataType::Int8 => array.as_primitive::<Int8Type>().value(row).into(),
        DataType::Int16 => array.as_primitive::<Int16Type>().value(row).into(),
        DataType::Int32 => array.as_primitive::<Int32Type>().value(row).into(),
        DataType::Int64 => array.as_primitive::<Int64Type>().value(row).into(),
        DataType::UInt8 => array.as_primitive::<UInt8Type>().value(row).into(),
        DataType::UInt16 => array.as_primitive::<UInt16Type>().value(row).into(),
        DataType::UInt32 => array.as_primitive::<UInt32Type>().value(row).into(),
        DataType::UInt64 => array.as_primitive::<UInt64Type>().value(row).into(),
        DataType::Float16 => shortest_f32(array.as_primitive::<Float16Type>().value(row).to_f32()),
        DataType::Float32 => shortest_f32(array.as_primitive::<Float32Type>().value(row)),
        DataType::Float64 => double(array.as_primitive::<Float64Type>().value(row)),
        DataType::Utf8 => Value::String(array.as_string::<i32>().value(row).to_string()),
        DataType::LargeUtf8 => Value::String(array.as_string::<i64>().value(row).to_string()),
        DataType::Utf8View => Value::String(array.as_string_view().value(row).to_string()),
        DataType::Binary
        | DataType::LargeBinary
        | DataType::BinaryView
        | DataType::FixedSizeBinary(_) => bytes_value(array, row, name),
        DataType::Timestamp(unit, _) => timestamp(array, row, *unit),
        DataType::Date32 | DataType::Date64 => date(array, row),
        DataType::Struct(fields) => {
            let s = array.as_struct();
            let mut out = Map::new();
            for (field, column) in fields.iter().zip(s.columns()) {
                let v = json_value(column.as_ref(), row, field.name());
                if !v.is_null() {
                    out.insert(field.name().clone(), v);
                }
            }
            Value::Object(out)
        }
        DataType::List(_)
        | DataType::LargeList(_)
        | DataType::ListView(_)
        | DataType::LargeListView(_)
        | DataType::FixedSizeList(..) => match list_at(array, row) {
            Some(values) => Value::Array(
                (0..values.len())
                    .map(|i| json_value(values.as_ref(), i, name))
                    .collect(),
            ),
            None => Value::Null,
        },
        DataType::Map(..) => {
            let entries = array.as_map().value(row);
            let (keys, values) = (entries.column(0), entries.column(1));
            let mut out = Map::new();
            for i in 0..entries.len() {
                let key = match json_value(keys.as_ref(), i, "") {
                    Value::String(s) => s,
                    other => other.to_string(),
                };
                let v = json_value(values.as_ref(), i, &key);
                if !v.is_null() {
                    out.insert(key, v);
                }
            }
            Value::Object(out)
        }
        DataType::Dictionary(..) => {
            let dict = array.as_any_dictionary();
            let key = dict.normalized_keys()[row];
            json_value(dict.values().as_ref(), key, name)
        }
        _ => display(array, row),
    }
}

/// A double as a JSON number (shortest round-trip text when written); NaN and ±∞ as null.
fn double(v: f64) -> Value {
    Number::from_f64(v).map_or(Value::Null, Value::Number)
}

/// A `float32` as the double its shortest decimal text denotes.
fn shortest_f32(v: f32) -> Value {
    double(v.to_string().parse::<f64>().unwrap_or(f64::from(v)))
}

fn bytes_value(array: &dyn Array, row: usize, name: &str) -> Value {
    let bytes = bytes_at(array, row).unwrap_or_default();
    if WKB_MEMBERS.contains(&name) {
        if let Ok(geometry) = wkb_to_geojson(bytes) {
            return geometry;
        }
    }
    Value::String(base64::engine::general_purpose::STANDARD.encode(bytes))
}

/// An RFC 3339 text in UTC (the form STAC uses), fractions to the unit's precision.
fn timestamp(array: &dyn Array, row: usize, unit: TimeUnit) -> Value {
    let Some(v) = i64_at(array, row) else {
        return Value::Null;
    };
    let dt = match unit {
        TimeUnit::Second => chrono::DateTime::from_timestamp(v, 0),
        TimeUnit::Millisecond => chrono::DateTime::from_timestamp_millis(v),
        TimeUnit::Microsecond => chrono::DateTime::from_timestamp_micros(v),
        TimeUnit::Nanosecond => Some(chrono::DateTime::from_timestamp_nanos(v)),
    };
    dt.map_or(Value::Null, |dt| {
        Value::String(dt.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true))
    })
}

fn date(array: &dyn Array, row: usize) -> Value {
    let days = match array.data_type() {
        DataType::Date32 => i64_at(array, row),
        _ => i64_at(array, row).map(|ms| ms.div_euclid(86_400_000)),
    };
    days.and_then(|d| chrono::DateTime::from_timestamp(d.checked_mul(86_400)?, 0))
        .map_or(Value::Null, |dt| {
            Value::String(dt.date_naive().format("%Y-%m-%d").to_string())
        })
}

/// Arrow's text for types JSON has no form of (decimals, durations, intervals, times): a
/// number when it reads as one, else the text.
fn display(array: &dyn Array, row: usize) -> Value {
    let options = arrow_cast::display::FormatOptions::default();
    let Ok(formatter) = arrow_cast::display::ArrayFormatter::try_new(array, &options) else {
        return Value::Null;
    };
    let Ok(text) = formatter.value(row).try_to_string() else {
        return Value::Null;
    };
    match serde_json::from_str::<Number>(&text) {
        Ok(n)
            if matches!(
                array.data_type(),
                DataType::Decimal128(..) | DataType::Decimal256(..)
            ) =>
        {
            Value::Number(n)
        }
        _ => Value::String(text),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::builder::{BinaryBuilder, StringDictionaryBuilder};
    use arrow_array::{ArrayRef, Float32Array, StructArray};
    use arrow_schema::Field;
    use std::sync::Arc;

    #[test]
    fn wkb_footprints_come_back_as_geojson_and_other_bytes_as_base64() {
        // POINT (1 2), little-endian ISO WKB.
        let mut wkb = vec![1u8, 1, 0, 0, 0];
        wkb.extend(1.0f64.to_le_bytes());
        wkb.extend(2.0f64.to_le_bytes());
        let mut b = BinaryBuilder::new();
        b.append_value(&wkb);
        let bytes: ArrayRef = Arc::new(b.finish());
        let s = StructArray::from(vec![
            (
                Arc::new(Field::new("proj:geometry", DataType::Binary, true)),
                bytes.clone(),
            ),
            (Arc::new(Field::new("blob", DataType::Binary, true)), bytes),
        ]);
        let v = json_value(&s, 0, "asset");
        assert_eq!(v["proj:geometry"]["type"], "Point");
        assert_eq!(v["proj:geometry"]["coordinates"][1], 2.0);
        assert_eq!(v["blob"], "AQEAAAAAAAAAAADwPwAAAAAAAABA");
    }

    #[test]
    fn floats_dictionaries_and_nan() {
        let f = Float32Array::from(vec![0.1f32, f32::NAN]);
        assert_eq!(json_value(&f, 0, "x").to_string(), "0.1");
        assert_eq!(json_value(&f, 1, "x"), Value::Null);
        let mut d = StringDictionaryBuilder::<Int8Type>::new();
        d.append_value("Feature");
        d.append_value("Feature");
        let d = d.finish();
        assert_eq!(json_value(&d, 1, "type"), "Feature");
    }
}
