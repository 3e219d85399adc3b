//! Object facts from a HEAD, and how facts are compared.
//!
//! Facts are what a lock records about an object: its size, its ETag **verbatim** (quotes
//! kept, so a lock written here equals one written by the Python tool), and its Last-Modified
//! formatted like Python's `datetime.isoformat()` (`2026-11-26T03:24:47+00:00`, with
//! `.ffffff` only when the microseconds are non-zero).
//!
//! Two deliberate differences from the Python tool (docs/COMPATIBILITY.md, "Rough edges we fix:
//! missing Last-Modified" and "Rough edges we fix: fact comparison"):
//! * a server that sends no `Last-Modified` gives `null`, not the 1970 epoch (`object_store`
//!   reports a missing header as the epoch; an object genuinely modified at
//!   1970-01-01T00:00:00Z is not a case worth keeping that confusion for);
//! * comparisons are semantic: instants are compared as instants (`...Z` equals `...+00:00`),
//!   ETags after removing the quotes and a weak `W/` prefix (a server switching between
//!   strong and weak validators for the same bytes is not drift).

use chrono::{DateTime, SecondsFormat, Utc};
use object_store::ObjectMeta;

/// What a HEAD says about an object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Facts {
    /// Size in bytes.
    pub size_bytes: i64,
    /// The ETag header (or synthetic validator) verbatim.
    pub etag: Option<String>,
    /// Last modification, Python-isoformat, UTC.
    pub last_modified: Option<String>,
}

impl Facts {
    /// Facts from an `object_store` HEAD result.
    pub fn from_meta(meta: &ObjectMeta) -> Facts {
        let last_modified =
            (meta.last_modified.timestamp_micros() != 0).then(|| isoformat(meta.last_modified));
        Facts {
            size_bytes: i64::try_from(meta.size).unwrap_or(i64::MAX),
            etag: meta.e_tag.clone().filter(|e| !e.is_empty()),
            last_modified,
        }
    }
}

/// Formats an instant like Python's `datetime.isoformat()` for a UTC datetime.
pub fn isoformat(instant: DateTime<Utc>) -> String {
    let micros = instant.timestamp_subsec_micros();
    let base = instant.format("%Y-%m-%dT%H:%M:%S");
    if micros == 0 {
        format!("{base}+00:00")
    } else {
        format!("{base}.{micros:06}+00:00")
    }
}

/// Parses an ISO-8601 / RFC 3339 instant (`T` or space separator, `Z` or an offset).
pub fn parse_instant(text: &str) -> Option<DateTime<Utc>> {
    let text = text.trim();
    let normalised = if text.len() > 10 && text.as_bytes()[10] == b' ' {
        format!("{}T{}", &text[..10], &text[11..])
    } else {
        text.to_string()
    };
    DateTime::parse_from_rfc3339(&normalised)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// Whether two recorded instants are the same moment (text equality when either is not an
/// instant).
pub fn same_instant(a: &str, b: &str) -> bool {
    match (parse_instant(a), parse_instant(b)) {
        (Some(x), Some(y)) => x == y,
        _ => a == b,
    }
}

/// An ETag without its weak prefix and quotes.
pub fn etag_core(etag: &str) -> &str {
    let etag = etag.trim();
    let etag = etag.strip_prefix("W/").unwrap_or(etag);
    etag.trim_matches('"')
}

/// Whether two ETags name the same content (weak comparison, RFC 9110 §8.8.3.2).
pub fn same_etag(a: &str, b: &str) -> bool {
    etag_core(a) == etag_core(b)
}

/// An instant for messages, RFC 3339 with seconds precision unless there are fractions.
pub fn rfc3339(instant: DateTime<Utc>) -> String {
    instant.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use rstest::rstest;

    #[test]
    fn isoformat_matches_python() {
        let t = Utc.with_ymd_and_hms(2026, 11, 26, 3, 24, 47).unwrap();
        assert_eq!(isoformat(t), "2026-11-26T03:24:47+00:00");
        let t = t + chrono::Duration::microseconds(1234);
        assert_eq!(isoformat(t), "2026-11-26T03:24:47.001234+00:00");
        let t = t + chrono::Duration::nanoseconds(999);
        assert_eq!(isoformat(t), "2026-11-26T03:24:47.001234+00:00");
    }

    #[rstest]
    #[case("2026-11-26T03:24:47+00:00", "2026-11-26T03:24:47Z", true)]
    #[case("2026-11-26T03:24:47+00:00", "2026-11-26 04:24:47+01:00", true)]
    #[case("2026-11-26T03:24:47.000000+00:00", "2026-11-26T03:24:47+00:00", true)]
    #[case("2026-11-26T03:24:47+00:00", "2026-11-26T03:24:48+00:00", false)]
    #[case("yesterday", "yesterday", true)]
    #[case("yesterday", "2026-11-26T03:24:47Z", false)]
    fn instants_compare_as_instants(#[case] a: &str, #[case] b: &str, #[case] same: bool) {
        assert_eq!(same_instant(a, b), same);
    }

    #[rstest]
    #[case("\"abc\"", "abc", true)]
    #[case("W/\"abc\"", "\"abc\"", true)]
    #[case("\"abc-2\"", "\"abc\"", false)]
    #[case("99219f-661257c5278ad-4d2", "99219f-661257c5278ad-4d2", true)]
    fn etags_compare_normalised(#[case] a: &str, #[case] b: &str, #[case] same: bool) {
        assert_eq!(same_etag(a, b), same);
    }

    #[test]
    fn missing_last_modified_is_null() {
        let meta = ObjectMeta {
            location: "x".into(),
            last_modified: Utc.timestamp_nanos(0),
            size: 12,
            e_tag: None,
            version: None,
        };
        let facts = Facts::from_meta(&meta);
        assert_eq!(facts.last_modified, None);
        assert_eq!(facts.size_bytes, 12);
    }
}
