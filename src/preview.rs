//! Text preview of Arrow data for interactive terminals.
//!
//! Commands that emit Arrow IPC streams print this table instead when stdout is a
//! terminal. Users and docs compare it with the output of the former Python tool,
//! so every rule here (cell text, column shrinking, clipping) mirrors that
//! renderer exactly, including Python's `str()`, `repr(float)` and `json.dumps`
//! conventions.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;

use arrow_array::cast::AsArray;
use arrow_array::types::*;
use arrow_array::{Array, ArrayRef, ArrowPrimitiveType, RecordBatch};
use arrow_schema::{DataType, Schema, SchemaRef, TimeUnit};
use chrono::DateTime;

/// Maximum number of rows shown in a preview.
pub const MAX_ROWS: usize = 20;
/// Maximum width, in characters, of a preview column.
pub const MAX_CELL_WIDTH: usize = 48;
/// Terminal width used when none can be determined.
pub const DEFAULT_WIDTH: usize = 120;

/// Returns the terminal width: `COLUMNS`, else the terminal size, else 120.
pub fn terminal_width() -> usize {
    let columns = std::env::var("COLUMNS").ok();
    let term = crossterm::terminal::size().ok().map(|(cols, _)| cols);
    width_from(columns.as_deref(), term)
}

fn width_from(columns: Option<&str>, term: Option<u16>) -> usize {
    match columns.and_then(|c| c.trim().parse::<usize>().ok()) {
        Some(n) if n > 0 => n,
        _ => match term {
            Some(n) if n > 0 => usize::from(n),
            _ => DEFAULT_WIDTH,
        },
    }
}

/// Keeps the first 20 rows of a stream of batches and counts all rows.
#[derive(Debug, Clone)]
pub struct PreviewCollector {
    schema: SchemaRef,
    batches: Vec<RecordBatch>,
    kept: usize,
    total: usize,
}

impl PreviewCollector {
    /// Creates an empty collector for batches of `schema`.
    pub fn new(schema: SchemaRef) -> Self {
        Self {
            schema,
            batches: Vec::new(),
            kept: 0,
            total: 0,
        }
    }

    /// Counts the rows of `batch` and keeps the ones still needed for the preview.
    pub fn push(&mut self, batch: &RecordBatch) {
        let rows = batch.num_rows();
        self.total = self.total.saturating_add(rows);
        let take = rows.min(MAX_ROWS - self.kept);
        if take > 0 {
            self.batches.push(batch.slice(0, take));
            self.kept += take;
        }
    }

    /// Renders the preview for a terminal `width` columns wide.
    pub fn render(&self, width: usize) -> String {
        render_preview(&self.schema, &self.batches, self.total, width)
    }

    /// Number of rows pushed so far (or the value given to `set_total_rows`).
    pub fn total_rows(&self) -> usize {
        self.total
    }

    /// Overrides the total row count shown in the footer.
    pub fn set_total_rows(&mut self, n: usize) {
        self.total = n;
    }
}

/// Renders the preview of `batches` (all sharing `schema`) with `total_rows` in the footer, for a terminal `width` columns wide.
pub fn render_preview(
    schema: &Schema,
    batches: &[RecordBatch],
    total_rows: usize,
    width: usize,
) -> String {
    let ncols = schema.fields().len();
    if ncols == 0 {
        return format!("{total_rows} rows x 0 columns\n");
    }
    let headers: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
    // Python read cells through `to_pylist()` dicts, so a repeated name shows its last column.
    let last: HashMap<&str, usize> = headers.iter().enumerate().map(|(i, h)| (*h, i)).collect();
    let sources: Vec<usize> = (0..ncols)
        .map(|i| last.get(headers[i]).map_or(i, |&j| j))
        .collect();
    let mut rows: Vec<Vec<String>> = Vec::new();
    for batch in batches {
        for r in 0..batch.num_rows().min(MAX_ROWS - rows.len()) {
            let cell = |&c: &usize| batch.columns().get(c).map(|a| cell_text(a.as_ref(), r));
            rows.push(
                sources
                    .iter()
                    .map(|c| cell(c).unwrap_or_default())
                    .collect(),
            );
        }
    }
    let mut widths: Vec<usize> = (0..ncols)
        .map(|c| {
            let cells = rows.iter().map(|r| char_len(&r[c])).max().unwrap_or(0);
            char_len(headers[c]).max(cells).min(MAX_CELL_WIDTH)
        })
        .collect();
    let available = width
        .max(20)
        .saturating_sub(ncols.saturating_sub(1).saturating_mul(3));
    shrink(&mut widths, available);

    let line = |texts: &mut dyn Iterator<Item = &str>| -> String {
        texts
            .zip(&widths)
            .map(|(t, &w)| {
                let clipped = clip(t, w);
                let pad = w.saturating_sub(char_len(&clipped));
                clipped + &" ".repeat(pad)
            })
            .collect::<Vec<_>>()
            .join(" | ")
    };
    let mut lines = vec![line(&mut headers.iter().copied())];
    lines.push(
        widths
            .iter()
            .map(|&w| "-".repeat(w))
            .collect::<Vec<_>>()
            .join("-+-"),
    );
    for row in &rows {
        lines.push(line(&mut row.iter().map(String::as_str)));
    }
    let mut footer = format!("{total_rows} rows x {ncols} columns");
    if rows.len() < total_rows {
        let _ = write!(footer, " (showing first {})", rows.len());
    }
    lines.push(footer);
    lines.join("\n") + "\n"
}

/// Narrows the widest columns (relative to their minimum) until they fit `available`.
fn shrink(widths: &mut [usize], available: usize) {
    let minimums: Vec<usize> = widths.iter().map(|&w| w.min(4)).collect();
    let mut total: usize = widths.iter().sum();
    while total > available {
        let mut best: Option<(usize, usize)> = None;
        for (i, (&w, &m)) in widths.iter().zip(&minimums).enumerate() {
            let slack = w - m;
            if slack > 0 && best.is_none_or(|(_, s)| slack > s) {
                best = Some((i, slack));
            }
        }
        let Some((i, _)) = best else { break };
        widths[i] -= 1;
        total -= 1;
    }
}

fn char_len(s: &str) -> usize {
    s.chars().count()
}

/// Clips `text` to `w` characters, ending with "..." when it is cut.
fn clip(text: &str, w: usize) -> String {
    if char_len(text) <= w {
        text.to_string()
    } else if w <= 3 {
        ".".repeat(w)
    } else {
        text.chars().take(w - 3).collect::<String>() + "..."
    }
}

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

fn py_to_json(v: Py) -> serde_json::Value {
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

/// A cell value as the Python tool saw it after `to_pylist()`.
enum Py {
    None,
    Bool(bool),
    Int(String),
    Float(f64),
    Str(String),
    /// A non-JSON object (bytes, datetime, Decimal, ...) as its `str()`.
    Other(String),
    List(Vec<Py>),
    Dict(BTreeMap<String, Py>),
}

fn prim<T: ArrowPrimitiveType>(a: &dyn Array, row: usize) -> Option<T::Native> {
    a.as_primitive_opt::<T>().map(|p| p.value(row))
}

/// The bytes at `row` of any binary array.
fn bytes_at(a: &dyn Array, row: usize) -> Option<&[u8]> {
    (a.as_binary_opt::<i32>().map(|b| b.value(row)))
        .or_else(|| a.as_binary_opt::<i64>().map(|b| b.value(row)))
        .or_else(|| a.as_binary_view_opt().map(|b| b.value(row)))
        .or_else(|| a.as_fixed_size_binary_opt().map(|b| b.value(row)))
}

/// The values at `row` of any list array.
fn list_at(a: &dyn Array, row: usize) -> Option<ArrayRef> {
    (a.as_list_opt::<i32>().map(|l| l.value(row)))
        .or_else(|| a.as_list_opt::<i64>().map(|l| l.value(row)))
        .or_else(|| a.as_list_view_opt::<i32>().map(|l| l.value(row)))
        .or_else(|| a.as_list_view_opt::<i64>().map(|l| l.value(row)))
        .or_else(|| a.as_fixed_size_list_opt().map(|l| l.value(row)))
}

/// The value at `row` of an integer or temporal array as its underlying `i64`.
fn i64_at(a: &dyn Array, row: usize) -> Option<i64> {
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

/// Converts `v` in `unit` to whole microseconds, rounding toward negative infinity.
fn micros(v: i64, unit: TimeUnit) -> i128 {
    let v = i128::from(v);
    match unit {
        TimeUnit::Second => v * 1_000_000,
        TimeUnit::Millisecond => v * 1_000,
        TimeUnit::Microsecond => v,
        TimeUnit::Nanosecond => v.div_euclid(1_000),
    }
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

/// Python `repr(float)`: shortest round-trip digits, exponent outside 1e-4..1e16.
fn float_repr(f: f64) -> String {
    if f.is_nan() {
        return "nan".into();
    }
    let sign = if f.is_sign_negative() { "-" } else { "" };
    if f.is_infinite() {
        return format!("{sign}inf");
    }
    if f == 0.0 {
        return format!("{sign}0.0");
    }
    // `{:e}` finds the shortest round-trip length; re-rounding to that many digits
    // picks the candidate closest to the exact value, as Python does.
    let shortest = format!("{:e}", f.abs());
    let mantissa = shortest.split('e').next().unwrap_or_default();
    let n = mantissa.chars().filter(char::is_ascii_digit).count();
    let sci = format!("{:.*e}", n.saturating_sub(1), f.abs());
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let decpt = exp + 1;
    let n = digits.len() as i32;
    let body = if !(-3..=16).contains(&decpt) {
        let (first, rest) = digits.split_at(1);
        let dot = if rest.is_empty() {
            String::new()
        } else {
            format!(".{rest}")
        };
        let esign = if exp < 0 { '-' } else { '+' };
        format!("{first}{dot}e{esign}{:02}", exp.abs())
    } else if decpt <= 0 {
        format!("0.{}{digits}", "0".repeat((-decpt) as usize))
    } else if decpt >= n {
        format!("{digits}{}.0", "0".repeat((decpt - n) as usize))
    } else {
        let (int, frac) = digits.split_at(decpt as usize);
        format!("{int}.{frac}")
    };
    format!("{sign}{body}")
}

/// Python `repr(bytes)`.
fn bytes_repr(b: &[u8]) -> String {
    let quote = if b.contains(&b'\'') && !b.contains(&b'"') {
        '"'
    } else {
        '\''
    };
    let mut out = format!("b{quote}");
    for &c in b {
        match c {
            b'\\' => out.push_str("\\\\"),
            b'\t' => out.push_str("\\t"),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            _ if char::from(c) == quote => {
                out.push('\\');
                out.push(quote);
            }
            0x20..=0x7e => out.push(char::from(c)),
            _ => {
                let _ = write!(out, "\\x{c:02x}");
            }
        }
    }
    out.push(quote);
    out
}

/// Python `str(Decimal)` of `unscaled * 10**-scale`.
fn decimal(unscaled: impl std::fmt::Display, scale: i8) -> Py {
    let text = unscaled.to_string();
    let (sign, digits) = match text.strip_prefix('-') {
        Some(d) => ("-", d),
        None => ("", text.as_str()),
    };
    let exp = -i32::from(scale);
    let left = exp + digits.len() as i32;
    let dot = if exp <= 0 && left > -6 { left } else { 1 };
    let body = if dot <= 0 {
        format!("0.{}{digits}", "0".repeat((-dot) as usize))
    } else if dot as usize >= digits.len() {
        format!("{digits}{}", "0".repeat(dot as usize - digits.len()))
    } else {
        let (int, frac) = digits.split_at(dot as usize);
        format!("{int}.{frac}")
    };
    let e = if left == dot {
        String::new()
    } else {
        format!("E{:+}", left - dot)
    };
    Py::Other(format!("{sign}{body}{e}"))
}

/// Python `str(date)` of the day containing `secs` since the epoch.
fn date_text(secs: i64) -> Option<Py> {
    let day = DateTime::from_timestamp(secs.div_euclid(86_400) * 86_400, 0)?;
    Some(Py::Other(day.format("%Y-%m-%d").to_string()))
}

/// Python `str(datetime)`: `YYYY-MM-DD HH:MM:SS[.ffffff][+HH:MM]`.
fn timestamp_text(unit: TimeUnit, v: i64, tz: Option<&str>) -> Option<Py> {
    let micros = micros(v, unit);
    let secs = i64::try_from(micros.div_euclid(1_000_000)).ok()?;
    let frac = micros.rem_euclid(1_000_000);
    let offset = tz.map(tz_offset);
    let local = DateTime::from_timestamp(secs.checked_add(offset.unwrap_or(0))?, 0)?;
    let mut out = local.format("%Y-%m-%d %H:%M:%S").to_string();
    if frac != 0 {
        let _ = write!(out, ".{frac:06}");
    }
    if let Some(o) = offset {
        let (sign, o) = (if o < 0 { '-' } else { '+' }, o.abs());
        let _ = write!(out, "{sign}{:02}:{:02}", o / 3600, o % 3600 / 60);
        if o % 60 != 0 {
            let _ = write!(out, ":{:02}", o % 60);
        }
    }
    Some(Py::Other(out))
}

/// Offset in seconds of a fixed-offset zone; UTC and named zones (no tz database) give 0.
fn tz_offset(tz: &str) -> i64 {
    let tz = tz.trim();
    let (sign, rest) = match tz.as_bytes().first() {
        Some(b'+') => (1, &tz[1..]),
        Some(b'-') => (-1, &tz[1..]),
        _ => return 0,
    };
    let digits: String = rest.chars().filter(|c| *c != ':').collect();
    if ![2, 4, 6].contains(&digits.len()) || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return 0;
    }
    let part = |i: usize| {
        digits
            .get(i..i + 2)
            .and_then(|p| p.parse().ok())
            .unwrap_or(0)
    };
    sign * (part(0) * 3600 + part(2) * 60 + part(4))
}

/// Python `str(time)` for microseconds since midnight.
fn time_text(micros: i128) -> Option<Py> {
    if !(0..86_400_000_000).contains(&micros) {
        return None;
    }
    Some(Py::Other(clock_text(micros)))
}

/// `HH:MM:SS[.ffffff]` for microseconds within a day.
fn clock_text(micros: i128) -> String {
    let secs = micros / 1_000_000;
    let mut out = format!(
        "{:02}:{:02}:{:02}",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    );
    if micros % 1_000_000 != 0 {
        let _ = write!(out, ".{:06}", micros % 1_000_000);
    }
    out
}

/// Python `str(timedelta)`, e.g. `-1 day, 23:59:59`.
fn timedelta_text(micros: i128) -> Py {
    let day = 86_400_000_000;
    let (days, rem) = (micros.div_euclid(day), micros.rem_euclid(day));
    let mut out = String::new();
    if days != 0 {
        let plural = if days.abs() != 1 { "s" } else { "" };
        let _ = write!(out, "{days} day{plural}, ");
    }
    let clock = clock_text(rem);
    out.push_str(clock.strip_prefix('0').unwrap_or(&clock));
    Py::Other(out)
}

/// Python `json.dumps(v, sort_keys=True, separators=(",", ":"), default=str)`.
fn write_json(v: &Py, out: &mut String) {
    match v {
        Py::None => out.push_str("null"),
        Py::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Py::Int(s) => out.push_str(s),
        Py::Float(f) if f.is_nan() => out.push_str("NaN"),
        Py::Float(f) if f.is_infinite() => {
            out.push_str(if *f > 0.0 { "Infinity" } else { "-Infinity" })
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

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::builder::{ListBuilder, StringBuilder};
    use arrow_array::{
        ArrayRef, BinaryArray, BooleanArray, Date32Array, Decimal128Array, DictionaryArray,
        DurationMicrosecondArray, Float32Array, Float64Array, Int64Array, NullArray, StringArray,
        StructArray, TimestampMicrosecondArray, TimestampMillisecondArray,
        TimestampNanosecondArray,
    };
    use arrow_schema::{Field, Fields};
    use std::sync::Arc;

    fn batch(cols: Vec<(&str, ArrayRef)>) -> RecordBatch {
        RecordBatch::try_from_iter(cols).unwrap()
    }

    fn strings(v: &[&str]) -> ArrayRef {
        Arc::new(StringArray::from(v.to_vec()))
    }

    fn render(b: &RecordBatch, width: usize) -> String {
        render_preview(&b.schema(), std::slice::from_ref(b), b.num_rows(), width)
    }

    #[test]
    fn asset_lock_table_at_90_columns() {
        let etag = "\"22275a8e2b0f1c9d3e4f5a6b7c8d9e0f\"";
        let b = batch(vec![
            ("item_id", strings(&["item-1", "item-2", "item-3"])),
            ("asset_key", strings(&["data", "data", "data"])),
            ("store_type", strings(&["s3", "s3", "s3"])),
            ("store_container", strings(&["mybkt", "mybkt", "mybkt"])),
            ("store_endpoint_url", strings(&["http://127.0.0.1:9000"; 3])),
            (
                "key",
                strings(&[
                    "runs/2026/item-1/data.tif",
                    "runs/2026/item-2/data.tif",
                    "runs/2026/item-3/data.tif",
                ]),
            ),
            (
                "size_bytes",
                Arc::new(Int64Array::from(vec![1234, 5678, 91011])),
            ),
            ("etag", strings(&[etag; 3])),
            ("last_modified", strings(&["2026-01-02T03:04:05+00:00"; 3])),
        ]);
        let expected = "\
item_id | asse... | stor... | stor... | stor... | key     | size_... | etag     | last_...
--------+---------+---------+---------+---------+---------+----------+----------+---------
item-1  | data    | s3      | mybkt   | http... | runs... | 1234     | \"2227... | 2026-...
item-2  | data    | s3      | mybkt   | http... | runs... | 5678     | \"2227... | 2026-...
item-3  | data    | s3      | mybkt   | http... | runs... | 91011    | \"2227... | 2026-...
3 rows x 9 columns
";
        assert_eq!(render(&b, 90), expected);
    }

    #[test]
    fn repeated_name_shows_last_column_like_python() {
        let b = batch(vec![("c", strings(&["1"])), ("c", strings(&["a"]))]);
        assert_eq!(render(&b, 80), "c | c\n--+--\na | a\n1 rows x 2 columns\n");
    }

    #[test]
    fn zero_columns() {
        let schema = Schema::empty();
        assert_eq!(render_preview(&schema, &[], 7, 80), "7 rows x 0 columns\n");
    }

    #[test]
    fn more_than_twenty_rows_across_small_batches() {
        let schema = Arc::new(Schema::new(vec![Field::new("n", DataType::Int64, true)]));
        let mut collector = PreviewCollector::new(schema.clone());
        for start in (0..25).step_by(5) {
            let col: ArrayRef = Arc::new(Int64Array::from_iter_values(start..start + 5));
            collector.push(&RecordBatch::try_new(schema.clone(), vec![col]).unwrap());
        }
        assert_eq!(collector.total_rows(), 25);
        let out = collector.render(80);
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.len(), 2 + 20 + 1);
        assert_eq!(lines[2], "0 ");
        assert_eq!(lines[21], "19");
        assert_eq!(lines[22], "25 rows x 1 columns (showing first 20)");
        collector.set_total_rows(1000);
        assert!(collector
            .render(80)
            .ends_with("1000 rows x 1 columns (showing first 20)\n"));
    }

    #[test]
    fn whitespace_collapses() {
        let a = StringArray::from(vec!["  a\tb\n\nc \u{3000}d\x1c\x0b ", "\r\n"]);
        assert_eq!(cell_text(&a, 0), "a b c d");
        assert_eq!(cell_text(&a, 1), "");
    }

    #[test]
    fn clipping() {
        assert_eq!(clip("abcdef", 3), "...");
        assert_eq!(clip("abcdef", 2), "..");
        assert_eq!(clip("abcdef", 0), "");
        assert_eq!(clip("abcdef", 5), "ab...");
        assert_eq!(clip("abc", 3), "abc");
    }

    #[test]
    fn float_repr_matches_python() {
        let cases = [
            (12.5, "12.5"),
            (1.0, "1.0"),
            (1e20, "1e+20"),
            (1.5e-7, "1.5e-07"),
            (1e16, "1e+16"),
            (1e15, "1000000000000000.0"),
            (123456789012345.0, "123456789012345.0"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (-0.0, "-0.0"),
            (0.1 + 0.2, "0.30000000000000004"),
            (-2.5e-300, "-2.5e-300"),
            // Several shortest candidates: Python keeps the closest one.
            (-1113178120592002.2, "-1113178120592002.2"),
            (f64::NAN, "nan"),
            (f64::INFINITY, "inf"),
            (f64::NEG_INFINITY, "-inf"),
        ];
        for (f, want) in cases {
            assert_eq!(float_repr(f), want, "{f}");
        }
        let f32s = Float32Array::from(vec![0.1f32, 18.793594f32]);
        assert_eq!(cell_text(&f32s, 0), "0.10000000149011612");
        assert_eq!(cell_text(&f32s, 1), "18.793594360351562");
        assert_eq!(cell_text(&Float64Array::from(vec![Some(2.0), None]), 1), "");
    }

    #[test]
    fn bytes_repr_matches_python() {
        let values: Vec<&[u8]> = vec![b"abc", b"it's", b"'\"", b"\\\x00\xff\t\n\r\x7f"];
        let a = BinaryArray::from(values);
        assert_eq!(cell_text(&a, 0), "b'abc'");
        assert_eq!(cell_text(&a, 1), "b\"it's\"");
        assert_eq!(cell_text(&a, 2), "b'\\'\"'");
        assert_eq!(cell_text(&a, 3), "b'\\\\\\x00\\xff\\t\\n\\r\\x7f'");
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
            strings(&["x \"q\"\n"]),
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

    #[test]
    fn non_ascii_width_counts_chars() {
        let b = batch(vec![
            ("名前", strings(&["日本語", "é"])),
            ("x", strings(&["1", "2"])),
        ]);
        let out = render(&b, 80);
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines[0], "名前  | x");
        assert_eq!(lines[1], "----+--");
        assert_eq!(lines[2], "日本語 | 1");
        assert_eq!(lines[3], "é   | 2");
    }

    #[test]
    fn shrink_tie_goes_to_leftmost() {
        let b = batch(vec![
            ("aaaaaaaaaa", strings(&["1"])),
            ("bbbbbbbbbb", strings(&["2"])),
        ]);
        let out = render(&b, 10);
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines[0], "aaaaa... | bbbbbb...");
        assert_eq!(lines[1], "---------+----------");
        assert_eq!(lines[2], "1        | 2        ");
        let mut w = vec![6, 6, 2];
        shrink(&mut w, 9);
        assert_eq!(w, [4, 4, 2]);
        let mut w = vec![6, 6, 2];
        shrink(&mut w, 11);
        assert_eq!(w, [4, 5, 2]);
    }

    #[test]
    fn terminal_width_fallbacks() {
        assert_eq!(width_from(Some("90"), Some(50)), 90);
        assert_eq!(width_from(Some("0"), Some(50)), 50);
        assert_eq!(width_from(Some("abc"), Some(0)), DEFAULT_WIDTH);
        assert_eq!(width_from(None, None), DEFAULT_WIDTH);
        assert!(terminal_width() > 0);
    }
}
