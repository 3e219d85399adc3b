//! Field-by-field comparison of STAC JSON documents, for the round-trip tests: which member
//! changed, and how — a null left out, a time respelled as the same instant, an integer turned
//! into a float, a double off by some ulps, a key lost or added, a value changed.
//!
//! The kinds are what `docs/COMPATIBILITY.md` ("Round trip on real catalogues") tabulates for
//! stacpkg, rustac and stac-geoparquet; a test fails on any kind a tool is not documented to
//! produce. Paths are written like `assets.*.raster:bands[].statistics.mean` once generalised
//! ([`Difference::pattern`]), so a table row stands for every asset and band it covers.

use std::collections::BTreeMap;
use std::fmt;

use serde_json::Value;

/// How a member differs between the input and what came back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Change {
    /// A member that was `null` in the input is absent.
    NullDropped,
    /// A member absent from the input came back as `null`.
    NullAdded,
    /// A member of the input is absent (its value was not null).
    Missing,
    /// A member that the input did not have came back (not null).
    Added,
    /// The same instant, spelled differently (`…T00:00:00.000Z` → `…T00:00:00Z`).
    TimeRespelled,
    /// A time that is not the same instant (e.g. fractions cut).
    TimeChanged,
    /// An integer came back as a float of the same value (`3` → `3.0`).
    IntegerToFloat,
    /// A float with an integral value came back as an integer (`3.0` → `3`).
    FloatToInteger,
    /// A double came back as a different double.
    FloatChanged,
    /// Any other change of value or type.
    ValueChanged,
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Change::NullDropped => "null member left out",
            Change::NullAdded => "absent member written as null",
            Change::Missing => "member lost",
            Change::Added => "member added",
            Change::TimeRespelled => "time respelled (same instant)",
            Change::TimeChanged => "time changed",
            Change::IntegerToFloat => "integer written as float",
            Change::FloatToInteger => "integral float written as integer",
            Change::FloatChanged => "double changed",
            Change::ValueChanged => "value changed",
        })
    }
}

/// One member that differs.
#[derive(Debug, Clone, PartialEq)]
pub struct Difference {
    /// Where: `properties.proj:bbox[2]`, `assets.B04.raster:bands[0].scale`.
    pub path: String,
    pub change: Change,
    pub before: Value,
    pub after: Value,
}

impl Difference {
    /// The path with array indices and asset / link keys generalised: `assets.*.roles[]`.
    pub fn pattern(&self) -> String {
        let mut out = String::new();
        let mut chars = self.path.chars().peekable();
        while let Some(c) = chars.next() {
            if c == '[' {
                for d in chars.by_ref() {
                    if d == ']' {
                        break;
                    }
                }
                out.push_str("[]");
            } else {
                out.push(c);
            }
        }
        for prefix in ["assets.", "item_assets."] {
            if let Some(rest) = out.strip_prefix(prefix) {
                let tail = rest.find('.').map(|i| &rest[i..]).unwrap_or("");
                return format!("{prefix}*{tail}");
            }
        }
        out
    }
}

impl fmt::Display for Difference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {} ({} → {})",
            self.path, self.change, self.before, self.after
        )
    }
}

/// Every member where `after` differs from `before` (an empty list: identical as JSON values;
/// key order is not compared).
pub fn differences(before: &Value, after: &Value) -> Vec<Difference> {
    let mut out = Vec::new();
    walk("", before, after, &mut out);
    out
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

fn push(out: &mut Vec<Difference>, path: &str, change: Change, before: &Value, after: &Value) {
    out.push(Difference {
        path: path.to_string(),
        change,
        before: before.clone(),
        after: after.clone(),
    });
}

fn walk(path: &str, before: &Value, after: &Value, out: &mut Vec<Difference>) {
    match (before, after) {
        (Value::Object(a), Value::Object(b)) => {
            for (k, va) in a {
                let p = join(path, k);
                match b.get(k) {
                    Some(vb) => walk(&p, va, vb, out),
                    None if va.is_null() => push(out, &p, Change::NullDropped, va, &Value::Null),
                    None => push(out, &p, Change::Missing, va, &Value::Null),
                }
            }
            for (k, vb) in b {
                if !a.contains_key(k) {
                    let change = if vb.is_null() {
                        Change::NullAdded
                    } else {
                        Change::Added
                    };
                    push(out, &join(path, k), change, &Value::Null, vb);
                }
            }
        }
        (Value::Array(a), Value::Array(b)) if a.len() == b.len() => {
            for (i, (va, vb)) in a.iter().zip(b).enumerate() {
                walk(&format!("{path}[{i}]"), va, vb, out);
            }
        }
        (Value::Number(a), Value::Number(b)) => {
            if a == b {
                return;
            }
            let change = match (a.is_f64(), b.is_f64()) {
                (false, true) if a.as_f64() == b.as_f64() => Change::IntegerToFloat,
                (true, false) if a.as_f64() == b.as_f64() => Change::FloatToInteger,
                (true, true) => Change::FloatChanged,
                _ => Change::ValueChanged,
            };
            push(out, path, change, before, after);
        }
        (Value::String(a), Value::String(b)) if a != b => {
            let change = match (instant(a), instant(b)) {
                (Some(x), Some(y)) if x == y => Change::TimeRespelled,
                (Some(_), Some(_)) => Change::TimeChanged,
                _ => Change::ValueChanged,
            };
            push(out, path, change, before, after);
        }
        (a, b) if a == b => {}
        _ => push(out, path, Change::ValueChanged, before, after),
    }
}

fn instant(text: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    chrono::DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|t| t.to_utc())
}

/// Differences counted by (change, generalised path): the rows of a comparison table.
pub fn tally(diffs: &[Difference]) -> BTreeMap<(Change, String), usize> {
    let mut out = BTreeMap::new();
    for d in diffs {
        *out.entry((d.change, d.pattern())).or_insert(0) += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn kinds_are_told_apart() {
        let a = json!({"id": "x", "n": null, "i": 3, "f": 0.1, "t": "2020-01-01T00:00:00.000Z",
            "assets": {"B1": {"roles": ["data"], "k": 1.5}}, "gone": 1});
        let b = json!({"id": "x", "i": 3.0, "f": 0.30000000000000004, "t": "2020-01-01T00:00:00Z",
            "assets": {"B1": {"roles": ["dato"], "k": 1.5}}, "new": null});
        let got: Vec<(String, Change)> = differences(&a, &b)
            .into_iter()
            .map(|d| (d.pattern(), d.change))
            .collect();
        assert_eq!(
            got,
            vec![
                ("assets.*.roles[]".to_string(), Change::ValueChanged),
                ("f".to_string(), Change::FloatChanged),
                ("gone".to_string(), Change::Missing),
                ("i".to_string(), Change::IntegerToFloat),
                ("n".to_string(), Change::NullDropped),
                ("t".to_string(), Change::TimeRespelled),
                ("new".to_string(), Change::NullAdded),
            ]
        );
        assert!(differences(&a, &a).is_empty());
    }
}
