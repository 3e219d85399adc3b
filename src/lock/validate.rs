//! Lock rows → validation results: does each object still look as locked?
//!
//! Results use the Python stacpkg 0.1.4's JSON-lines keys and error texts (docs/COMPATIBILITY.md,
//! "Validate output"), so scripts written against it keep working. Differences, all deliberate
//! (same page, "Rough edges we fix: fact comparison" and "Rough edges we fix: validate"):
//! * an unreachable or missing object is a `valid: false` row with the error text, with or
//!   without `--keep-going`; the run never aborts half-way and never hides the other rows;
//! * `last_modified` is compared as an instant and `etag` after removing quotes and `W/`, so
//!   the same facts written differently are not drift;
//! * results are an ordered stream ([`validate`]): each line can be written as soon as every
//!   earlier row is done, while up to `workers` HEADs run.
//!
//! The JSON text is Python's `json.dumps(obj, sort_keys=True)`: keys sorted, `", "` and `": "`
//! separators, non-ASCII escaped as `\uXXXX`, so output is byte-identical to the Python tool's.

use std::collections::HashSet;
use std::fmt::Write as _;
use std::sync::Arc;

use futures::Stream;

use super::derive::row_location;
use super::schema::LockRow;
use crate::store::probe::{same_etag, same_instant, Facts};
use crate::store::Stores;

/// The outcome for one lock row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Validation {
    /// The row's item id.
    pub item_id: String,
    /// The row's asset key.
    pub asset_key: String,
    /// Normalised store type.
    pub store_type: Option<String>,
    /// The row's container.
    pub store_container: Option<String>,
    /// The row's key.
    pub key: Option<String>,
    /// The normalised endpoint, only when the row has one.
    pub store_endpoint_url: Option<String>,
    /// Whether nothing drifted.
    pub valid: bool,
    /// What drifted or failed.
    pub errors: Vec<String>,
}

/// Which rows to validate.
#[derive(Debug, Clone, Default)]
pub struct RowSelection {
    /// Only these item ids (empty: all).
    pub item_ids: HashSet<String>,
    /// Only these asset keys (empty: all).
    pub asset_keys: HashSet<String>,
}

impl RowSelection {
    /// Whether `row` is selected.
    pub fn selects(&self, row: &LockRow) -> bool {
        (self.item_ids.is_empty() || self.item_ids.contains(&row.item_id))
            && (self.asset_keys.is_empty() || self.asset_keys.contains(&row.asset_key))
    }
}

impl Validation {
    fn of(row: &LockRow, errors: Vec<String>) -> Validation {
        let mut normalised = row.clone();
        normalised.normalise();
        Validation {
            item_id: row.item_id.clone(),
            asset_key: row.asset_key.clone(),
            store_type: normalised.store_type,
            store_container: row.store_container.clone(),
            key: row.key.clone(),
            store_endpoint_url: normalised.store_endpoint_url,
            valid: errors.is_empty(),
            errors,
        }
    }

    /// The JSON line (without newline), formatted like Python's `json.dumps(sort_keys=True)`.
    pub fn to_json_line(&self) -> String {
        let mut out = String::with_capacity(256);
        out.push_str("{\"asset_key\": ");
        py_string(&mut out, &self.asset_key);
        out.push_str(", \"errors\": [");
        for (i, e) in self.errors.iter().enumerate() {
            if i > 0 {
                out.push_str(", ");
            }
            py_string(&mut out, e);
        }
        out.push_str("], \"item_id\": ");
        py_string(&mut out, &self.item_id);
        out.push_str(", \"key\": ");
        py_opt(&mut out, self.key.as_deref());
        out.push_str(", \"store_container\": ");
        py_opt(&mut out, self.store_container.as_deref());
        if let Some(endpoint) = &self.store_endpoint_url {
            out.push_str(", \"store_endpoint_url\": ");
            py_string(&mut out, endpoint);
        }
        out.push_str(", \"store_type\": ");
        py_opt(&mut out, self.store_type.as_deref());
        out.push_str(", \"valid\": ");
        out.push_str(if self.valid { "true" } else { "false" });
        out.push('}');
        out
    }
}

fn py_opt(out: &mut String, value: Option<&str>) {
    match value {
        Some(v) => py_string(out, v),
        None => out.push_str("null"),
    }
}

/// A JSON string as Python's `json.dumps` (ensure_ascii) writes it.
fn py_string(out: &mut String, value: &str) {
    out.push('"');
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{08}' => out.push_str("\\b"),
            '\u{0c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 || (c as u32) > 0x7e => {
                let mut buf = [0u16; 2];
                for unit in c.encode_utf16(&mut buf) {
                    let _ = write!(out, "\\u{unit:04x}");
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Validates one row: required fields, then a HEAD, then the facts present on both sides.
pub async fn validate_row(row: &LockRow, stores: &Stores) -> Validation {
    check_row(row, stores).await.0
}

/// [`validate_row`], also returning the facts the HEAD saw (none when it failed): what the
/// console shows as "current" and writes when the user accepts the drift.
pub async fn check_row(row: &LockRow, stores: &Stores) -> (Validation, Option<Facts>) {
    let mut missing: Vec<&str> = Vec::new();
    if row.item_id.is_empty() {
        missing.push("item_id");
    }
    if row.asset_key.is_empty() {
        missing.push("asset_key");
    }
    let location = match row_location(row) {
        Ok(location) if missing.is_empty() => location,
        Ok(_) => {
            return (
                Validation::of(row, vec![format!("missing fields: {}", missing.join(","))]),
                None,
            );
        }
        Err(reason) => {
            let error = match reason.strip_prefix("missing fields: ") {
                Some(fields) => {
                    missing.extend(fields.split(','));
                    format!("missing fields: {}", missing.join(","))
                }
                None if !missing.is_empty() => format!("missing fields: {}", missing.join(",")),
                None => reason,
            };
            return (Validation::of(row, vec![error]), None);
        }
    };
    let facts = match stores.head(&location).await {
        Ok(facts) => facts,
        Err(e) => return (Validation::of(row, vec![e.to_string()]), None),
    };
    let mut errors = Vec::new();
    if let Some(expected) = row.size_bytes {
        if expected != facts.size_bytes {
            errors.push(format!(
                "size mismatch: expected {expected}, actual {}",
                facts.size_bytes
            ));
        }
    }
    if let (Some(expected), Some(actual)) = (non_empty(&row.etag), non_empty(&facts.etag)) {
        if !same_etag(expected, actual) {
            errors.push(format!(
                "etag mismatch: expected {expected}, actual {actual}"
            ));
        }
    }
    if let (Some(expected), Some(actual)) = (
        non_empty(&row.last_modified),
        non_empty(&facts.last_modified),
    ) {
        if !same_instant(expected, actual) {
            errors.push(format!(
                "last_modified mismatch: expected {expected}, actual {actual}"
            ));
        }
    }
    (Validation::of(row, errors), Some(facts))
}

fn non_empty(value: &Option<String>) -> Option<&str> {
    value.as_deref().filter(|v| !v.is_empty())
}

/// Validates `rows` with up to `workers` HEADs in flight; yields results in input order.
pub fn validate(
    rows: Vec<LockRow>,
    stores: Arc<Stores>,
    workers: usize,
) -> impl Stream<Item = Validation> {
    let work = rows.into_iter().map(move |row| {
        let stores = stores.clone();
        async move { validate_row(&row, &stores).await }
    });
    super::ordered::ordered_concurrent(work, workers)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_matches_python_dumps() {
        let v = Validation {
            item_id: "item-1".into(),
            asset_key: "thumbnail".into(),
            store_type: Some("http".into()),
            store_container: Some("http://127.0.0.1:18765".into()),
            key: Some("a/thumb.png".into()),
            store_endpoint_url: None,
            valid: false,
            errors: vec!["size mismatch: expected 12, actual 13".into()],
        };
        assert_eq!(
            v.to_json_line(),
            r#"{"asset_key": "thumbnail", "errors": ["size mismatch: expected 12, actual 13"], "item_id": "item-1", "key": "a/thumb.png", "store_container": "http://127.0.0.1:18765", "store_type": "http", "valid": false}"#
        );
        let odd = Validation {
            key: None,
            store_endpoint_url: Some("https://e".into()),
            item_id: "é\"\n😀".into(),
            valid: true,
            errors: vec![],
            ..v
        };
        assert_eq!(
            odd.to_json_line(),
            r#"{"asset_key": "thumbnail", "errors": [], "item_id": "\u00e9\"\n\ud83d\ude00", "key": null, "store_container": "http://127.0.0.1:18765", "store_endpoint_url": "https://e", "store_type": "http", "valid": true}"#
        );
    }

    #[tokio::test]
    async fn missing_fields_and_drift() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.bin"), b"12345").unwrap();
        let stores = Stores::new(dir.path().to_path_buf(), false);
        let row = LockRow {
            item_id: "i".into(),
            asset_key: "a".into(),
            store_type: Some("file".into()),
            key: Some("a.bin".into()),
            size_bytes: Some(5),
            ..Default::default()
        };
        let ok = validate_row(&row, &stores).await;
        assert!(ok.valid, "{:?}", ok.errors);
        let drifted = LockRow {
            size_bytes: Some(4),
            last_modified: Some("2001-01-01T00:00:00+00:00".into()),
            ..row.clone()
        };
        let bad = validate_row(&drifted, &stores).await;
        assert_eq!(bad.errors.len(), 2);
        assert_eq!(bad.errors[0], "size mismatch: expected 4, actual 5");
        assert!(bad.errors[1]
            .starts_with("last_modified mismatch: expected 2001-01-01T00:00:00+00:00, actual "));
        let empty = LockRow {
            item_id: String::new(),
            store_type: Some("s3".into()),
            key: None,
            ..row.clone()
        };
        assert_eq!(
            validate_row(&empty, &stores).await.errors,
            ["missing fields: item_id,store_container,key"]
        );
        let unknown = LockRow {
            store_type: Some("ftp".into()),
            ..row
        };
        assert_eq!(
            validate_row(&unknown, &stores).await.errors,
            ["missing fields: store_type"]
        );
    }
}
