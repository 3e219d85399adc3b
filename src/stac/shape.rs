//! Type discovery for STAC JSON: the union of every field across every item.
//!
//! The Python tool took its columns from the first item (or first batch) and crashed when a
//! later item disagreed. We discover the *shape* of all items before the first batch is written:
//! a small lattice per field (`Null < Bool | Int < Float | Str …`) merged item by item, in place,
//! so a stable schema costs no allocation per item. Conflicts never abort: two incompatible
//! kinds (a number here, a string there) become a text column holding each value's JSON text,
//! and the conflict is reported once so the user knows. Nothing is dropped.

use std::collections::BTreeMap;

use arrow_schema::{DataType, Field, Fields, TimeUnit};
use indexmap::IndexMap;
use serde_json::Value;

/// Bit flags naming JSON kinds seen in a conflicting field (for the report).
pub mod kinds {
    /// JSON `true`/`false`.
    pub const BOOL: u8 = 1;
    /// A number.
    pub const NUMBER: u8 = 2;
    /// A string (including date-times).
    pub const STRING: u8 = 4;
    /// An array.
    pub const ARRAY: u8 = 8;
    /// An object.
    pub const OBJECT: u8 = 16;
}

/// The discovered shape of one JSON field.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Shape {
    /// Only nulls (or nothing) seen so far.
    #[default]
    Null,
    /// Booleans.
    Bool,
    /// Integers that fit in i64.
    Int,
    /// Numbers with a fraction, or integers mixed with them.
    Float,
    /// Text.
    Str,
    /// RFC 3339 date-times in a known STAC datetime field.
    Timestamp,
    /// Arrays whose elements share a shape.
    List(Box<Shape>),
    /// Objects, with the union of their fields in sorted order.
    Object(BTreeMap<String, Shape>),
    /// Incompatible kinds; stored as JSON text. The flags say which kinds (see [`kinds`]).
    Mixed(u8),
}

impl Shape {
    /// Merges the shape of `value` into `self`. `datetime_field` enables timestamp detection
    /// (only top-level STAC datetime properties have it).
    pub fn observe(&mut self, value: &Value, datetime_field: bool) {
        match (&mut *self, value) {
            (_, Value::Null) => {}
            (Shape::Mixed(flags), v) => *flags |= kind_of(v),
            (Shape::Null, v) => *self = Shape::of(v, datetime_field),
            (Shape::Bool, Value::Bool(_)) => {}
            (Shape::Int, Value::Number(n)) => {
                if n.as_i64().is_none() {
                    *self = Shape::Float;
                }
            }
            (Shape::Float, Value::Number(_)) => {}
            (Shape::Str, Value::String(_)) => {}
            (Shape::Timestamp, Value::String(s)) => {
                if super::datetime::parse_rfc3339_micros(s).is_none() {
                    *self = Shape::Str;
                }
            }
            (Shape::List(element), Value::Array(items)) => {
                for item in items {
                    element.observe(item, false);
                }
            }
            (Shape::Object(fields), Value::Object(map)) => {
                for (key, v) in map {
                    match fields.get_mut(key) {
                        Some(shape) => shape.observe(v, false),
                        None => {
                            fields.insert(key.clone(), Shape::of(v, false));
                        }
                    }
                }
            }
            (current, v) => {
                let flags = current.kind_flags() | kind_of(v);
                *self = Shape::Mixed(flags);
            }
        }
    }

    /// The shape of a single value.
    pub fn of(value: &Value, datetime_field: bool) -> Shape {
        match value {
            Value::Null => Shape::Null,
            Value::Bool(_) => Shape::Bool,
            Value::Number(n) if n.as_i64().is_some() => Shape::Int,
            Value::Number(_) => Shape::Float,
            Value::String(s) => {
                if datetime_field && super::datetime::parse_rfc3339_micros(s).is_some() {
                    Shape::Timestamp
                } else {
                    Shape::Str
                }
            }
            Value::Array(items) => {
                let mut element = Shape::Null;
                for item in items {
                    element.observe(item, false);
                }
                Shape::List(Box::new(element))
            }
            Value::Object(map) => Shape::Object(
                map.iter()
                    .map(|(k, v)| (k.clone(), Shape::of(v, false)))
                    .collect(),
            ),
        }
    }

    /// Merges another shape into this one (used to combine shapes found in parallel).
    pub fn merge(&mut self, other: Shape) {
        match (&mut *self, other) {
            (_, Shape::Null) => {}
            (Shape::Null, o) => *self = o,
            (Shape::Mixed(a), o) => *a |= o.kind_flags(),
            (Shape::Int, Shape::Float) => *self = Shape::Float,
            (Shape::Float, Shape::Int) => {}
            (Shape::Timestamp, Shape::Str) => *self = Shape::Str,
            (Shape::Str, Shape::Timestamp) => {}
            (Shape::List(a), Shape::List(b)) => a.merge(*b),
            (Shape::Object(a), Shape::Object(b)) => {
                for (k, v) in b {
                    match a.get_mut(&k) {
                        Some(s) => s.merge(v),
                        None => {
                            a.insert(k, v);
                        }
                    }
                }
            }
            (a, b) if *a == b => {}
            (a, b) => *self = Shape::Mixed(a.kind_flags() | b.kind_flags()),
        }
    }

    fn kind_flags(&self) -> u8 {
        match self {
            Shape::Null => 0,
            Shape::Bool => kinds::BOOL,
            Shape::Int | Shape::Float => kinds::NUMBER,
            Shape::Str | Shape::Timestamp => kinds::STRING,
            Shape::List(_) => kinds::ARRAY,
            Shape::Object(_) => kinds::OBJECT,
            Shape::Mixed(f) => *f,
        }
    }

    /// The Arrow type that stores this shape. Empty objects (which Parquet cannot store) and
    /// mixed kinds become JSON text.
    pub fn data_type(&self) -> DataType {
        match self {
            Shape::Null => DataType::Null,
            Shape::Bool => DataType::Boolean,
            Shape::Int => DataType::Int64,
            Shape::Float => DataType::Float64,
            Shape::Str | Shape::Mixed(_) => DataType::Utf8,
            Shape::Timestamp => timestamp_type(),
            Shape::List(element) => DataType::List(std::sync::Arc::new(Field::new(
                "item",
                element.data_type(),
                true,
            ))),
            Shape::Object(fields) if fields.is_empty() => DataType::Utf8,
            Shape::Object(fields) => DataType::Struct(
                fields
                    .iter()
                    .map(|(name, shape)| Field::new(name, shape.data_type(), true))
                    .collect::<Fields>(),
            ),
        }
    }

    /// Collects `(path, kinds)` for every conflicting field below `path`.
    pub fn conflicts(&self, path: &str, out: &mut Vec<(String, String)>) {
        match self {
            Shape::Mixed(flags) => out.push((path.to_string(), describe_kinds(*flags))),
            Shape::List(element) => element.conflicts(&format!("{path}[]"), out),
            Shape::Object(fields) => {
                for (name, shape) in fields {
                    shape.conflicts(&format!("{path}.{name}"), out);
                }
            }
            _ => {}
        }
    }
}

/// The Arrow timestamp type of every STAC datetime column.
pub fn timestamp_type() -> DataType {
    DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()))
}

fn kind_of(value: &Value) -> u8 {
    match value {
        Value::Null => 0,
        Value::Bool(_) => kinds::BOOL,
        Value::Number(_) => kinds::NUMBER,
        Value::String(_) => kinds::STRING,
        Value::Array(_) => kinds::ARRAY,
        Value::Object(_) => kinds::OBJECT,
    }
}

fn describe_kinds(flags: u8) -> String {
    [
        (kinds::BOOL, "boolean"),
        (kinds::NUMBER, "number"),
        (kinds::STRING, "string"),
        (kinds::ARRAY, "array"),
        (kinds::OBJECT, "object"),
    ]
    .iter()
    .filter(|(f, _)| flags & f != 0)
    .map(|(_, n)| *n)
    .collect::<Vec<_>>()
    .join(", ")
}

/// The discovered shape of a whole set of items: the fixed STAC columns plus the unions.
#[derive(Debug, Clone, Default)]
pub struct ItemsShape {
    /// Number of items observed.
    pub count: usize,
    /// Shape of `links` entries (fields beyond href/rel/type/title included).
    pub link: BTreeMap<String, Shape>,
    /// Asset keys in order of first appearance, each with the union of its fields.
    pub assets: IndexMap<String, BTreeMap<String, Shape>>,
    /// Whether any bbox has 6 numbers.
    pub bbox_3d: bool,
    /// Whether any item has a bbox.
    pub has_bbox: bool,
    /// Geometry types seen (GeoParquet names, sorted, deduplicated).
    pub geometry_types: std::collections::BTreeSet<super::wkb::GeometryKind>,
    /// Property columns in sorted order.
    pub properties: BTreeMap<String, Shape>,
}

/// Item members stored in their own columns; a property of the same name is not a column.
pub const RESERVED: &[&str] = &[
    "type",
    "stac_version",
    "stac_extensions",
    "id",
    "geometry",
    "bbox",
    "links",
    "assets",
    "collection",
];

impl ItemsShape {
    /// Merges another items shape (e.g. from a parallel scan) into this one.
    pub fn merge(&mut self, other: ItemsShape) {
        self.count += other.count;
        merge_fields(&mut self.link, other.link);
        for (key, fields) in other.assets {
            merge_fields(self.assets.entry(key).or_default(), fields);
        }
        self.bbox_3d |= other.bbox_3d;
        self.has_bbox |= other.has_bbox;
        self.geometry_types.extend(other.geometry_types);
        merge_fields(&mut self.properties, other.properties);
    }

    /// Every field whose values had incompatible kinds, as `(path, kinds)`.
    pub fn conflicts(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        for (name, shape) in &self.properties {
            shape.conflicts(name, &mut out);
        }
        for (key, fields) in &self.assets {
            for (name, shape) in fields {
                shape.conflicts(&format!("assets.{key}.{name}"), &mut out);
            }
        }
        for (name, shape) in &self.link {
            shape.conflicts(&format!("links[].{name}"), &mut out);
        }
        out
    }
}

fn merge_fields(into: &mut BTreeMap<String, Shape>, from: BTreeMap<String, Shape>) {
    for (k, v) in from {
        match into.get_mut(&k) {
            Some(s) => s.merge(v),
            None => {
                into.insert(k, v);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn shape_of(values: &[Value], dt: bool) -> Shape {
        let mut s = Shape::Null;
        for v in values {
            s.observe(v, dt);
        }
        s
    }

    #[test]
    fn numbers_widen_to_float() {
        assert_eq!(shape_of(&[json!(1), json!(2.5)], false), Shape::Float);
        assert_eq!(shape_of(&[json!(1), json!(null)], false), Shape::Int);
    }

    #[test]
    fn timestamps_only_for_datetime_fields() {
        let v = [json!("2025-01-01T00:00:00Z")];
        assert_eq!(shape_of(&v, true), Shape::Timestamp);
        assert_eq!(shape_of(&v, false), Shape::Str);
        let mixed = [json!("2025-01-01T00:00:00Z"), json!("20250101")];
        assert_eq!(shape_of(&mixed, true), Shape::Str);
    }

    #[test]
    fn conflicts_become_text_and_are_reported() {
        let s = shape_of(&[json!("a"), json!(3), json!(true)], false);
        assert_eq!(s, Shape::Mixed(kinds::STRING | kinds::NUMBER | kinds::BOOL));
        assert_eq!(s.data_type(), DataType::Utf8);
        let mut out = vec![];
        s.conflicts("p", &mut out);
        assert_eq!(out, vec![("p".into(), "boolean, number, string".into())]);
    }

    #[test]
    fn objects_union_fields() {
        let s = shape_of(&[json!({"b": 1}), json!({"a": "x", "b": 2.0})], false);
        let DataType::Struct(fields) = s.data_type() else {
            panic!()
        };
        let names: Vec<_> = fields.iter().map(|f| f.name().clone()).collect();
        assert_eq!(names, ["a", "b"]);
        assert_eq!(fields[1].data_type(), &DataType::Float64);
    }

    #[test]
    fn merge_matches_sequential_observation() {
        let values = [
            json!({"x": [1]}),
            json!({"x": [2.5], "y": "s"}),
            json!({"y": 1}),
        ];
        let sequential = shape_of(&values, false);
        let mut a = shape_of(&values[..1], false);
        a.merge(shape_of(&values[1..], false));
        assert_eq!(a, sequential);
    }

    #[test]
    fn empty_objects_are_text() {
        assert_eq!(shape_of(&[json!({})], false).data_type(), DataType::Utf8);
    }
}
