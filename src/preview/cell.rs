//! Arrow cell -> the value the Python tool saw after `to_pylist()`, and its text or JSON.
//!
//! Every Arrow type is read here (nested, dictionary, run-end and view types included),
//! so the table and the TUI share one reading of a cell.

use arrow_array::cast::AsArray;
use arrow_array::types::*;
use arrow_array::{Array, ArrayRef, ArrowPrimitiveType};
use arrow_schema::DataType;

use super::py::Py;
use super::py_text::{
    bytes_repr, date_text, decimal, float_repr, micros, time_text, timedelta_text, timestamp_text,
};
use super::value::{py_to_json, write_json};

/// The text of one cell as the preview shows it (before clipping).
pub fn cell_text(array: &dyn Array, row: usize) -> String {
    let text = match py_value(array, row) {
        Py::None => return String::new(),
        Py::Bool(b) => (if b { "True" } else { "False" }).to_string(),
        Py::Float(f) => float_repr(f),
        Py::Int(s) | Py::Str(s) | Py::Other(s) => s,
        v @ (Py::List(_) | Py::Dict(_)) => {
            let mut out = String::new();
            write_json(&v, &mut out);
            out
        }
    };
    let is_space = |c: char| c.is_whitespace() || ('\x1c'..='\x1f').contains(&c);
    text.split(is_space)
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The value of one cell as JSON (what the preview's JSON text parses to); non-finite floats
/// become `null`, non-JSON values (bytes, dates) their text.
pub fn cell_json(array: &dyn Array, row: usize) -> serde_json::Value {
    py_to_json(py_value(array, row))
}

fn prim<T: ArrowPrimitiveType>(a: &dyn Array, row: usize) -> Option<T::Native> {
    a.as_primitive_opt::<T>().map(|p| p.value(row))
}

/// The bytes at `row` of any binary array.
pub(crate) fn bytes_at(a: &dyn Array, row: usize) -> Option<&[u8]> {
    (a.as_binary_opt::<i32>().map(|b| b.value(row)))
        .or_else(|| a.as_binary_opt::<i64>().map(|b| b.value(row)))
        .or_else(|| a.as_binary_view_opt().map(|b| b.value(row)))
        .or_else(|| a.as_fixed_size_binary_opt().map(|b| b.value(row)))
}

/// The values at `row` of any list array.
pub(crate) fn list_at(a: &dyn Array, row: usize) -> Option<ArrayRef> {
    (a.as_list_opt::<i32>().map(|l| l.value(row)))
        .or_else(|| a.as_list_opt::<i64>().map(|l| l.value(row)))
        .or_else(|| a.as_list_view_opt::<i32>().map(|l| l.value(row)))
        .or_else(|| a.as_list_view_opt::<i64>().map(|l| l.value(row)))
        .or_else(|| a.as_fixed_size_list_opt().map(|l| l.value(row)))
}

/// The value at `row` of an integer or temporal array as its underlying `i64`.
pub(crate) fn i64_at(a: &dyn Array, row: usize) -> Option<i64> {
    let one = arrow_cast::cast(&a.slice(row, 1), &DataType::Int64).ok()?;
    let ints = one.as_primitive_opt::<Int64Type>()?;
    ints.is_valid(0).then(|| ints.value(0))
}

/// Arrow's own text for the value at `row`, used for integers and unknown types.
fn display(a: &dyn Array, row: usize) -> Option<String> {
    let options = arrow_cast::display::FormatOptions::default();
    let formatter = arrow_cast::display::ArrayFormatter::try_new(a, &options).ok()?;
    formatter.value(row).try_to_string().ok()
}

fn py_value(a: &dyn Array, row: usize) -> Py {
    if row >= a.len() || a.is_null(row) || a.data_type() == &DataType::Null {
        return Py::None;
    }
    let value = match a.data_type() {
        DataType::Boolean => a.as_boolean_opt().map(|b| Py::Bool(b.value(row))),
        dt if dt.is_integer() => display(a, row).map(Py::Int),
        DataType::Float16 => prim::<Float16Type>(a, row).map(|v| Py::Float(v.to_f64())),
        DataType::Float32 => prim::<Float32Type>(a, row).map(|v| Py::Float(f64::from(v))),
        DataType::Float64 => prim::<Float64Type>(a, row).map(Py::Float),
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => display(a, row).map(Py::Str),
        DataType::Binary
        | DataType::LargeBinary
        | DataType::BinaryView
        | DataType::FixedSizeBinary(_) => bytes_at(a, row).map(|b| Py::Other(bytes_repr(b))),
        DataType::Date32 => i64_at(a, row).and_then(|d| date_text(d.checked_mul(86_400)?)),
        DataType::Date64 => i64_at(a, row).and_then(|ms| date_text(ms.div_euclid(1_000))),
        DataType::Timestamp(unit, tz) => {
            i64_at(a, row).and_then(|v| timestamp_text(*unit, v, tz.as_deref()))
        }
        DataType::Time32(unit) | DataType::Time64(unit) => {
            i64_at(a, row).and_then(|v| time_text(micros(v, *unit)))
        }
        DataType::Duration(unit) => i64_at(a, row).map(|v| timedelta_text(micros(v, *unit))),
        DataType::Decimal32(_, s) => prim::<Decimal32Type>(a, row).map(|v| decimal(v, *s)),
        DataType::Decimal64(_, s) => prim::<Decimal64Type>(a, row).map(|v| decimal(v, *s)),
        DataType::Decimal128(_, s) => prim::<Decimal128Type>(a, row).map(|v| decimal(v, *s)),
        DataType::Decimal256(_, s) => prim::<Decimal256Type>(a, row).map(|v| decimal(v, *s)),
        DataType::List(_)
        | DataType::LargeList(_)
        | DataType::ListView(_)
        | DataType::LargeListView(_)
        | DataType::FixedSizeList(..) => list_at(a, row).map(|values| {
            Py::List(
                (0..values.len())
                    .map(|i| py_value(values.as_ref(), i))
                    .collect(),
            )
        }),
        DataType::Struct(_) => a.as_struct_opt().map(|s| {
            let names = s.column_names();
            let pairs = names.into_iter().zip(s.columns());
            Py::Dict(
                pairs
                    .map(|(n, c)| (n.to_string(), py_value(c.as_ref(), row)))
                    .collect(),
            )
        }),
        DataType::Map(..) => a.as_map_opt().map(|m| {
            let entries = m.value(row);
            match (entries.columns().first(), entries.columns().get(1)) {
                (Some(k), Some(v)) => Py::List(
                    (0..entries.len())
                        .map(|i| Py::List(vec![py_value(k.as_ref(), i), py_value(v.as_ref(), i)]))
                        .collect(),
                ),
                _ => Py::List(Vec::new()),
            }
        }),
        DataType::Union(..) => a.as_union_opt().map(|u| py_value(u.value(row).as_ref(), 0)),
        DataType::Dictionary(..) => a.as_any_dictionary_opt().map(|d| {
            let key = i64_at(d.keys(), row).and_then(|k| usize::try_from(k).ok());
            key.map_or(Py::None, |k| py_value(d.values().as_ref(), k))
        }),
        DataType::RunEndEncoded(ends, _) => match ends.data_type() {
            DataType::Int16 => a.as_run_opt::<Int16Type>().map(|r| run_value(r, row)),
            DataType::Int32 => a.as_run_opt::<Int32Type>().map(|r| run_value(r, row)),
            DataType::Int64 => a.as_run_opt::<Int64Type>().map(|r| run_value(r, row)),
            _ => None,
        },
        _ => None,
    };
    value.unwrap_or_else(|| Py::Other(display(a, row).unwrap_or_default()))
}

fn run_value<R: RunEndIndexType>(r: &arrow_array::RunArray<R>, row: usize) -> Py {
    py_value(r.values().as_ref(), r.get_physical_index(row))
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::builder::{ListBuilder, StringBuilder};
    use arrow_array::{
        BinaryArray, BooleanArray, Date32Array, Decimal128Array, DictionaryArray,
        DurationMicrosecondArray, Float64Array, Int64Array, NullArray, StringArray, StructArray,
        TimestampMicrosecondArray, TimestampMillisecondArray, TimestampNanosecondArray,
    };
    use arrow_schema::{Field, Fields};
    use std::sync::Arc;

    #[test]
    fn whitespace_collapses() {
        let a = StringArray::from(vec!["  a\tb\n\nc \u{3000}d\x1c\x0b ", "\r\n"]);
        assert_eq!(cell_text(&a, 0), "a b c d");
        assert_eq!(cell_text(&a, 1), "");
    }

    #[test]
    fn timestamps_dates_and_bools() {
        let us =
            TimestampMicrosecondArray::from(vec![1_748_772_000_000_000, 1_748_772_000_123_456]);
        assert_eq!(cell_text(&us, 0), "2025-06-01 10:00:00");
        assert_eq!(cell_text(&us, 1), "2025-06-01 10:00:00.123456");
        let utc = us.clone().with_timezone("UTC");
        assert_eq!(cell_text(&utc, 0), "2025-06-01 10:00:00+00:00");
        assert_eq!(cell_text(&utc, 1), "2025-06-01 10:00:00.123456+00:00");
        let ms = TimestampMillisecondArray::from(vec![1_748_772_000_500]).with_timezone("+02:00");
        assert_eq!(cell_text(&ms, 0), "2025-06-01 12:00:00.500000+02:00");
        let ns = TimestampNanosecondArray::from(vec![-1]).with_timezone("UTC");
        assert_eq!(cell_text(&ns, 0), "1969-12-31 23:59:59.999999+00:00");
        assert_eq!(cell_text(&Date32Array::from(vec![20240]), 0), "2025-06-01");
        let b = BooleanArray::from(vec![Some(true), Some(false), None]);
        assert_eq!(
            [cell_text(&b, 0), cell_text(&b, 1), cell_text(&b, 2)],
            ["True", "False", ""]
        );
    }

    #[test]
    fn struct_and_list_cells_are_sorted_compact_json() {
        let ts: ArrayRef = Arc::new(
            TimestampMicrosecondArray::from(vec![1_748_772_000_000_000]).with_timezone("UTC"),
        );
        let fields = Fields::from(vec![
            Field::new("b", DataType::Int64, true),
            Field::new("a", DataType::Utf8, true),
            Field::new("c", DataType::Float64, true),
            Field::new("t", ts.data_type().clone(), true),
            Field::new("bin", DataType::Binary, true),
        ]);
        let cols: Vec<ArrayRef> = vec![
            Arc::new(Int64Array::from(vec![1])),
            Arc::new(StringArray::from(vec!["x \"q\"\n"])),
            Arc::new(Float64Array::from(vec![None])),
            ts,
            Arc::new(BinaryArray::from(vec![&b"\x01'"[..]])),
        ];
        let s = StructArray::new(fields, cols, None);
        assert_eq!(
            cell_text(&s, 0),
            r#"{"a":"x \"q\"\n","b":1,"bin":"b\"\\x01'\"","c":null,"t":"2025-06-01 10:00:00+00:00"}"#
        );
        let mut lb = ListBuilder::new(StringBuilder::new());
        lb.append_value([Some("é😀"), None, Some("a")]);
        lb.append_null();
        let l = lb.finish();
        assert_eq!(cell_text(&l, 0), r#"["\u00e9\ud83d\ude00",null,"a"]"#);
        assert_eq!(cell_text(&l, 1), "");
        let nested = Arc::new(Float64Array::from(vec![f64::NAN, 1e20, 1.0])) as ArrayRef;
        let f = Arc::new(Field::new_list_field(DataType::Float64, true));
        let fl = arrow_array::ListArray::new(
            f,
            arrow_buffer::OffsetBuffer::from_lengths([3]),
            nested,
            None,
        );
        assert_eq!(cell_text(&fl, 0), "[NaN,1e+20,1.0]");
    }

    #[test]
    fn other_types_do_not_panic() {
        let dec = Decimal128Array::from(vec![12345, 0, -5, 1])
            .with_precision_and_scale(10, 2)
            .unwrap();
        let got: Vec<String> = (0..4).map(|i| cell_text(&dec, i)).collect();
        assert_eq!(got, ["123.45", "0.00", "-0.05", "0.01"]);
        let tiny = Decimal128Array::from(vec![1])
            .with_precision_and_scale(20, 10)
            .unwrap();
        assert_eq!(cell_text(&tiny, 0), "1E-10");
        let dur = DurationMicrosecondArray::from(vec![90_061_000_001, -1_000_000]);
        assert_eq!(cell_text(&dur, 0), "1 day, 1:01:01.000001");
        assert_eq!(cell_text(&dur, 1), "-1 day, 23:59:59");
        let dict: DictionaryArray<arrow_array::types::Int8Type> =
            vec![Some("x"), None, Some("y")].into_iter().collect();
        assert_eq!(
            [
                cell_text(&dict, 0),
                cell_text(&dict, 1),
                cell_text(&dict, 2)
            ],
            ["x", "", "y"]
        );
        assert_eq!(cell_text(&NullArray::new(2), 1), "");
        assert_eq!(cell_text(&Int64Array::from(vec![1]), 5), "");
        let iv = arrow_array::IntervalDayTimeArray::from(vec![
            arrow_array::types::IntervalDayTime::new(1, 2),
        ]);
        let _ = cell_text(&iv, 0);
    }
}
