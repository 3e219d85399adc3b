//! A cell value as the Python tool held it, and its two JSON forms: the compact
//! `json.dumps` text the preview shows and the `serde_json` value the TUI uses.

use std::fmt::Write as _;

use super::py::Py;
use super::py_text::float_repr;

pub(super) fn py_to_json(v: Py) -> serde_json::Value {
    use serde_json::Value;
    match v {
        Py::None => Value::Null,
        Py::Bool(b) => Value::Bool(b),
        Py::Int(s) => s
            .parse::<i64>()
            .map(Value::from)
            .or_else(|_| s.parse::<u64>().map(Value::from))
            .unwrap_or(Value::String(s)),
        Py::Float(f) => serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number),
        Py::Str(s) | Py::Other(s) => Value::String(s),
        Py::List(items) => Value::Array(items.into_iter().map(py_to_json).collect()),
        Py::Dict(map) => Value::Object(map.into_iter().map(|(k, v)| (k, py_to_json(v))).collect()),
    }
}

/// Python `json.dumps(v, sort_keys=True, separators=(",", ":"), default=str)`.
pub(super) fn write_json(v: &Py, out: &mut String) {
    match v {
        Py::None => out.push_str("null"),
        Py::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Py::Int(s) => out.push_str(s),
        Py::Float(f) if f.is_nan() => out.push_str("NaN"),
        Py::Float(f) if f.is_infinite() => {
            out.push_str(if *f > 0.0 { "Infinity" } else { "-Infinity" });
        }
        Py::Float(f) => out.push_str(&float_repr(*f)),
        Py::Str(s) | Py::Other(s) => json_string(s, out),
        Py::List(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_json(item, out);
            }
            out.push(']');
        }
        Py::Dict(map) => {
            out.push('{');
            for (i, (k, item)) in map.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                json_string(k, out);
                out.push(':');
                write_json(item, out);
            }
            out.push('}');
        }
    }
}

/// A JSON string literal with Python's `ensure_ascii=True` escaping.
fn json_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\x08' => out.push_str("\\b"),
            '\x0c' => out.push_str("\\f"),
            ' '..='~' => out.push(c),
            _ => {
                for unit in c.encode_utf16(&mut [0u16; 2]) {
                    let _ = write!(out, "\\u{unit:04x}");
                }
            }
        }
    }
    out.push('"');
}
