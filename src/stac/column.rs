//! Arrow column builders fed straight from JSON values.
//!
//! One builder per column, shaped by the Arrow type that [`super::shape::Shape`] chose. Values
//! are appended as items are parsed and dropped right after, so a batch in memory is the Arrow
//! arrays themselves (compact) rather than a vector of parsed JSON documents (10× larger).

use std::fmt::Write as _;
use std::sync::Arc;

use arrow_array::builder::{
    BooleanBuilder, Float64Builder, Int64Builder, StringBuilder, TimestampMicrosecondBuilder,
};
use arrow_array::{ArrayRef, ListArray, NullArray, StructArray};
use arrow_buffer::{NullBufferBuilder, OffsetBuffer};
use arrow_schema::{DataType, FieldRef, Fields};
use serde_json::Value;

/// A value did not fit the column's type (the input changed between the two passes, or a
/// fixed STAC member has the wrong JSON type).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mismatch {
    /// What was expected, e.g. "an array".
    pub expected: &'static str,
}

/// Builds one Arrow column from JSON values.
#[derive(Debug)]
pub enum ColumnBuilder {
    /// All-null column.
    Null(usize),
    /// Booleans.
    Bool(BooleanBuilder),
    /// 64-bit integers.
    Int(Int64Builder),
    /// 64-bit floats (integers are widened).
    Float(Float64Builder),
    /// Text: strings as is, any other JSON value as its compact JSON text.
    Text(StringBuilder),
    /// RFC 3339 date-times as UTC microseconds.
    Timestamp(TimestampMicrosecondBuilder),
    /// JSON arrays.
    List {
        /// The list's item field.
        field: FieldRef,
        /// Offsets into the child.
        offsets: Vec<i32>,
        /// Row validity.
        validity: NullBufferBuilder,
        /// The element builder.
        child: Box<ColumnBuilder>,
    },
    /// JSON objects with known fields.
    Struct {
        /// The struct's fields.
        fields: Fields,
        /// One builder per field.
        children: Vec<ColumnBuilder>,
        /// Row validity.
        validity: NullBufferBuilder,
        /// Rows appended.
        len: usize,
    },
}

impl ColumnBuilder {
    /// A builder for `data_type` (the types [`super::shape::Shape::data_type`] produces).
    pub fn new(data_type: &DataType) -> Self {
        match data_type {
            DataType::Boolean => ColumnBuilder::Bool(BooleanBuilder::new()),
            DataType::Int64 => ColumnBuilder::Int(Int64Builder::new()),
            DataType::Float64 => ColumnBuilder::Float(Float64Builder::new()),
            DataType::Timestamp(_, _) => {
                ColumnBuilder::Timestamp(TimestampMicrosecondBuilder::new())
            }
            DataType::List(field) => ColumnBuilder::List {
                field: field.clone(),
                offsets: vec![0],
                validity: NullBufferBuilder::new(0),
                child: Box::new(ColumnBuilder::new(field.data_type())),
            },
            DataType::Struct(fields) => ColumnBuilder::Struct {
                fields: fields.clone(),
                children: fields
                    .iter()
                    .map(|f| ColumnBuilder::new(f.data_type()))
                    .collect(),
                validity: NullBufferBuilder::new(0),
                len: 0,
            },
            DataType::Null => ColumnBuilder::Null(0),
            // Utf8 and anything unexpected: keep the JSON text, never lose the value.
            _ => ColumnBuilder::Text(StringBuilder::new()),
        }
    }

    /// Appends one value (`None` or JSON null append a null).
    pub fn append(&mut self, value: Option<&Value>) -> Result<(), Mismatch> {
        let value = match value {
            None | Some(Value::Null) => {
                self.append_null();
                return Ok(());
            }
            Some(v) => v,
        };
        let mismatch = |expected: &'static str| Mismatch { expected };
        match self {
            ColumnBuilder::Null(_) => return Err(mismatch("null")),
            ColumnBuilder::Bool(b) => b.append_value(value.as_bool().ok_or(mismatch("a boolean"))?),
            ColumnBuilder::Int(b) => b.append_value(value.as_i64().ok_or(mismatch("an integer"))?),
            ColumnBuilder::Float(b) => b.append_value(value.as_f64().ok_or(mismatch("a number"))?),
            ColumnBuilder::Text(b) => match value {
                Value::String(s) => b.append_value(s),
                other => {
                    // Display of a Value is compact JSON.
                    let _ = write!(b, "{other}");
                    b.append_value("");
                }
            },
            ColumnBuilder::Timestamp(b) => {
                let micros = value
                    .as_str()
                    .and_then(super::datetime::parse_rfc3339_micros)
                    .ok_or(mismatch("an RFC 3339 date-time"))?;
                b.append_value(micros);
            }
            ColumnBuilder::List {
                offsets,
                validity,
                child,
                ..
            } => {
                let items = value.as_array().ok_or(mismatch("an array"))?;
                for item in items {
                    child.append(Some(item))?;
                }
                let last = *offsets.last().unwrap_or(&0);
                offsets.push(last + items.len() as i32);
                validity.append_non_null();
            }
            ColumnBuilder::Struct {
                fields,
                children,
                validity,
                len,
            } => {
                let map = value.as_object().ok_or(mismatch("an object"))?;
                let mut found = 0;
                for (field, child) in fields.iter().zip(children.iter_mut()) {
                    let v = map.get(field.name());
                    found += usize::from(v.is_some());
                    child.append(v)?;
                }
                if found != map.len() {
                    return Err(mismatch("an object with the fields seen while scanning"));
                }
                validity.append_non_null();
                *len += 1;
            }
        }
        Ok(())
    }

    /// Appends a null row.
    pub fn append_null(&mut self) {
        match self {
            ColumnBuilder::Null(n) => *n += 1,
            ColumnBuilder::Bool(b) => b.append_null(),
            ColumnBuilder::Int(b) => b.append_null(),
            ColumnBuilder::Float(b) => b.append_null(),
            ColumnBuilder::Text(b) => b.append_null(),
            ColumnBuilder::Timestamp(b) => b.append_null(),
            ColumnBuilder::List {
                offsets, validity, ..
            } => {
                let last = *offsets.last().unwrap_or(&0);
                offsets.push(last);
                validity.append_null();
            }
            ColumnBuilder::Struct {
                children,
                validity,
                len,
                ..
            } => {
                for child in children.iter_mut() {
                    child.append_null();
                }
                validity.append_null();
                *len += 1;
            }
        }
    }

    /// Finishes the column and resets the builder for the next batch.
    pub fn finish(&mut self) -> ArrayRef {
        match self {
            ColumnBuilder::Null(n) => Arc::new(NullArray::new(std::mem::take(n))),
            ColumnBuilder::Bool(b) => Arc::new(b.finish()),
            ColumnBuilder::Int(b) => Arc::new(b.finish()),
            ColumnBuilder::Float(b) => Arc::new(b.finish()),
            ColumnBuilder::Text(b) => Arc::new(b.finish()),
            ColumnBuilder::Timestamp(b) => Arc::new(b.finish().with_timezone("UTC")),
            ColumnBuilder::List {
                field,
                offsets,
                validity,
                child,
            } => {
                let offsets = OffsetBuffer::new(std::mem::replace(offsets, vec![0]).into());
                let values = child.finish();
                Arc::new(ListArray::new(
                    field.clone(),
                    offsets,
                    values,
                    validity.finish(),
                ))
            }
            ColumnBuilder::Struct {
                fields,
                children,
                validity,
                len,
            } => {
                let arrays: Vec<ArrayRef> = children.iter_mut().map(|c| c.finish()).collect();
                let rows = std::mem::take(len);
                let nulls = validity.finish();
                if fields.is_empty() {
                    Arc::new(StructArray::new_empty_fields(rows, nulls))
                } else {
                    Arc::new(StructArray::new(fields.clone(), arrays, nulls))
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stac::shape::Shape;
    use arrow_array::Array;
    use serde_json::json;

    fn build(values: &[Value]) -> ArrayRef {
        let mut shape = Shape::Null;
        for v in values {
            shape.observe(v, false);
        }
        let mut b = ColumnBuilder::new(&shape.data_type());
        for v in values {
            b.append(Some(v)).unwrap();
        }
        b.finish()
    }

    #[test]
    fn nested_structs_and_lists() {
        let values = [
            json!({"a": [1, 2], "b": {"c": "x"}}),
            json!(null),
            json!({"a": []}),
        ];
        let array = build(&values);
        assert_eq!(array.len(), 3);
        assert!(array.is_null(1));
        let s = array.as_any().downcast_ref::<StructArray>().unwrap();
        assert_eq!(s.column(0).len(), 3);
    }

    #[test]
    fn mixed_values_keep_their_json_text() {
        let array = build(&[json!("a"), json!(3), json!({"k": [1]})]);
        let s = array
            .as_any()
            .downcast_ref::<arrow_array::StringArray>()
            .unwrap();
        assert_eq!(s.value(0), "a");
        assert_eq!(s.value(1), "3");
        assert_eq!(s.value(2), "{\"k\":[1]}");
    }

    #[test]
    fn finish_resets_for_the_next_batch() {
        let mut b = ColumnBuilder::new(&Shape::of(&json!({"a": [1]}), false).data_type());
        b.append(Some(&json!({"a": [1]}))).unwrap();
        assert_eq!(b.finish().len(), 1);
        b.append(Some(&json!({"a": [2, 3]}))).unwrap();
        b.append(None).unwrap();
        assert_eq!(b.finish().len(), 2);
    }

    #[test]
    fn unknown_fields_are_a_mismatch_not_a_loss() {
        let mut b = ColumnBuilder::new(&Shape::of(&json!({"a": 1}), false).data_type());
        assert!(b.append(Some(&json!({"a": 1, "b": 2}))).is_err());
    }
}
