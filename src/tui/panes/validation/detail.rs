//! The detail popup of one result: expected (the lock row) against current (what the HEAD
//! saw), field by field.

use super::{DriftKind, ValidationEntry, Verdict};
use crate::lock::LockRow;

/// The detail popup: expected (lock) vs current (HEAD) per field.
pub fn detail_lines(entry: &ValidationEntry, row: Option<&LockRow>) -> Vec<String> {
    let mut lines = vec![
        format!("status   {}", entry.verdict.text()),
        format!(
            "location {}",
            row.and_then(LockRow::href).unwrap_or_else(|| "—".into())
        ),
        String::new(),
        format!(
            "  {:<14}{:<26}{}",
            "field", "expected (lock)", "current (HEAD)"
        ),
    ];
    let facts = entry.facts.as_ref();
    let opt = |v: Option<String>| v.unwrap_or_else(|| "—".to_string());
    let fields = [
        (
            "size_bytes",
            DriftKind::Size,
            row.and_then(|r| r.size_bytes).map(|n| n.to_string()),
            facts.map(|f| f.size_bytes.to_string()),
        ),
        (
            "etag",
            DriftKind::Etag,
            row.and_then(|r| r.etag.clone()),
            facts.and_then(|f| f.etag.clone()),
        ),
        (
            "last_modified",
            DriftKind::LastModified,
            row.and_then(|r| r.last_modified.clone()),
            facts.and_then(|f| f.last_modified.clone()),
        ),
    ];
    for (name, kind, expected, current) in fields {
        // A glyph per field; the status line above says the same in words.
        let mark = match &entry.verdict {
            Verdict::Drifted(kinds) if kinds.contains(&kind) => "✗",
            Verdict::Drifted(kinds) if kinds.contains(&DriftKind::Missing) => "✗",
            Verdict::Unreachable => "?",
            _ => "✓",
        };
        lines.push(format!(
            "{mark} {name:<14}{:<26}{}",
            opt(expected),
            opt(current)
        ));
    }
    if !entry.result.errors.is_empty() {
        lines.push(String::new());
        lines.push("errors".to_string());
        lines.extend(entry.result.errors.iter().map(|e| format!("  {e}")));
    }
    lines
}
