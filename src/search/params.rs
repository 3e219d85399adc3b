//! Item Search parameters: parsed once from user text, rendered as a POST body or GET query.
//!
//! The STAC API Item Search spec gives every parameter two spellings — JSON in a POST body,
//! text in a GET query (`bbox=1,2,3,4`, `sortby=-gsd`, `fields=id,-links`) — so the parameters
//! are held typed and rendered for either method. Datetimes are checked and normalised here
//! (a bare date `2024-01-01` becomes the whole UTC day) so a typo fails before any request and
//! local (offline) searches apply exactly the interval the API would.

use serde_json::{json, Map, Value};

use crate::stac::datetime::{format_rfc3339_micros, parse_rfc3339_micros};
use crate::{Error, Result};

/// Microseconds in one day, for expanding a bare date to its whole day.
const MICROS_PER_DAY: i64 = 86_400 * 1_000_000;

/// A time interval with optional open ends, in UTC microseconds (both ends inclusive).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Interval {
    /// Start; `None` is open (`..`).
    pub start: Option<i64>,
    /// End; `None` is open (`..`).
    pub end: Option<i64>,
}

impl Interval {
    /// Parses `INSTANT`, `START/END`, `../END` or `START/..`; instants are RFC 3339 date-times
    /// or bare dates (`2024-01-01`, the whole UTC day).
    pub fn parse(text: &str) -> Result<Self> {
        let bad = |why: &str| {
            Error::input(
                "--datetime",
                format!("{text:?}: {why}; use e.g. 2024-01-01T00:00:00Z, 2024-01-01/2024-02-01 or ../2024-01-01"),
            )
        };
        let text = text.trim();
        let (start, end) = match text.split_once('/') {
            None => {
                let (s, e) = instant(text).ok_or_else(|| bad("not an RFC 3339 date-time"))?;
                return Ok(Self {
                    start: Some(s),
                    end: Some(e),
                });
            }
            Some((a, b)) => (a.trim(), b.trim()),
        };
        let open = |s: &str| s.is_empty() || s == "..";
        if open(start) && open(end) {
            return Err(bad("both ends are open"));
        }
        // An end is open, or an instant's (first, last) microsecond.
        let side = |text: &str, which: &str| {
            if open(text) {
                return Ok(None);
            }
            let why = || format!("the {which} is not a date-time");
            instant(text).map(Some).ok_or_else(|| bad(&why()))
        };
        let start = side(start, "start")?.map(|(first, _)| first);
        let end = side(end, "end")?.map(|(_, last)| last);
        if let (Some(s), Some(e)) = (start, end) {
            if s > e {
                return Err(bad("the start is after the end"));
            }
        }
        Ok(Self { start, end })
    }

    /// The STAC API text form (`START/END` with `..` for open ends, or one instant).
    pub fn to_param(&self) -> String {
        let side = |v: Option<i64>| v.map_or_else(|| "..".to_string(), format_rfc3339_micros);
        match (self.start, self.end) {
            (Some(s), Some(e)) if s == e => format_rfc3339_micros(s),
            _ => format!("{}/{}", side(self.start), side(self.end)),
        }
    }

    /// Whether `[start, end]` (an item's extent; `None` = unbounded) overlaps this interval.
    pub fn overlaps(&self, start: Option<i64>, end: Option<i64>) -> bool {
        let before_end = match (start, self.end) {
            (Some(s), Some(qe)) => s <= qe,
            _ => true,
        };
        let after_start = match (end, self.start) {
            (Some(e), Some(qs)) => e >= qs,
            _ => true,
        };
        before_end && after_start
    }
}

/// One instant as `(first, last)` microsecond: equal for a date-time, the day for a bare date.
fn instant(s: &str) -> Option<(i64, i64)> {
    if let Some(v) = parse_rfc3339_micros(s) {
        return Some((v, v));
    }
    if s.len() == 10 {
        let start = parse_rfc3339_micros(&format!("{s}T00:00:00Z"))?;
        return Some((start, start + MICROS_PER_DAY - 1));
    }
    None
}

/// A sort key: field and direction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SortKey {
    /// The field (`properties.` prefix optional, as the server expects).
    pub field: String,
    /// Descending instead of ascending.
    pub descending: bool,
}

impl SortKey {
    /// Parses `field`, `+field` or `-field`.
    pub fn parse(text: &str) -> Result<Self> {
        let text = text.trim();
        let (field, descending) = match text.as_bytes().first() {
            Some(b'-') => (&text[1..], true),
            Some(b'+') => (&text[1..], false),
            _ => (text, false),
        };
        if field.is_empty() {
            return Err(Error::input(
                "--sortby",
                format!("{text:?} names no field; use e.g. -datetime or +gsd"),
            ));
        }
        Ok(Self {
            field: field.to_string(),
            descending,
        })
    }
}

/// The CQL2 encoding of a filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FilterLang {
    /// CQL2 text (`eo:cloud_cover < 10`).
    Text,
    /// CQL2 JSON (`{"op": "<", "args": [...]}`).
    Json,
}

impl FilterLang {
    /// The name in `filter-lang`.
    pub fn as_str(self) -> &'static str {
        match self {
            FilterLang::Text => "cql2-text",
            FilterLang::Json => "cql2-json",
        }
    }
}

/// A CQL2 filter.
#[derive(Debug, Clone, PartialEq)]
pub struct Filter {
    /// The expression: a JSON object for CQL2 JSON, a string for CQL2 text.
    pub expr: Value,
    /// Its encoding.
    pub lang: FilterLang,
}

impl Filter {
    /// Parses a filter: JSON text that is an object is CQL2 JSON, anything else CQL2 text;
    /// `lang` overrides the guess.
    pub fn parse(text: &str, lang: Option<FilterLang>) -> Result<Self> {
        let parsed = serde_json::from_str::<Value>(text)
            .ok()
            .filter(Value::is_object);
        match (lang, parsed) {
            (Some(FilterLang::Json) | None, Some(obj)) => Ok(Self {
                expr: obj,
                lang: FilterLang::Json,
            }),
            (Some(FilterLang::Json), None) => Err(Error::input(
                "--filter",
                "is not a JSON object, but --filter-lang cql2-json was given; pass CQL2 JSON or use --filter-lang cql2-text",
            )),
            (Some(FilterLang::Text) | None, _) => Ok(Self {
                expr: Value::String(text.to_string()),
                lang: FilterLang::Text,
            }),
        }
    }
}

/// Item Search parameters (everything but paging).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SearchParams {
    /// Collection ids.
    pub collections: Vec<String>,
    /// Item ids.
    pub ids: Vec<String>,
    /// `[west, south, east, north]` or with heights.
    pub bbox: Option<Vec<f64>>,
    /// A GeoJSON geometry.
    pub intersects: Option<Value>,
    /// A datetime interval.
    pub datetime: Option<Interval>,
    /// The query extension's object.
    pub query: Option<Value>,
    /// A CQL2 filter.
    pub filter: Option<Filter>,
    /// Sort keys.
    pub sortby: Vec<SortKey>,
    /// Fields to include (`field`) or exclude (`-field`).
    pub fields: Vec<String>,
    /// Page size asked of the server.
    pub limit: Option<u64>,
}

/// Parses a bbox `w,s,e,n` (or 6 numbers).
pub fn parse_bbox(text: &str) -> Result<Vec<f64>> {
    let bad = |why: &str| {
        Error::input(
            "--bbox",
            format!("{text:?}: {why}; use west,south,east,north, e.g. 16.4,47.1,16.5,47.8"),
        )
    };
    let nums = text
        .split(',')
        .map(|p| p.trim().parse::<f64>().map_err(|_| bad("not a number")))
        .collect::<Result<Vec<f64>>>()?;
    if nums.len() != 4 && nums.len() != 6 {
        return Err(bad("needs 4 or 6 numbers"));
    }
    if nums.iter().any(|v| !v.is_finite()) {
        return Err(bad("numbers must be finite"));
    }
    let (s, n) = if nums.len() == 4 {
        (nums[1], nums[3])
    } else {
        (nums[1], nums[4])
    };
    if s > n {
        return Err(bad("south is greater than north"));
    }
    Ok(nums)
}

/// Checks that a value is a GeoJSON geometry object.
pub fn check_geometry(value: &Value, input: &str) -> Result<()> {
    let kind = value.get("type").and_then(Value::as_str);
    let ok = matches!(
        kind,
        Some(
            "Point"
                | "MultiPoint"
                | "LineString"
                | "MultiLineString"
                | "Polygon"
                | "MultiPolygon"
                | "GeometryCollection"
        )
    );
    if ok {
        return Ok(());
    }
    let found = match kind {
        Some("Feature") => "a Feature; pass its `geometry` member".to_string(),
        Some(k) => format!("type {k:?}"),
        None => "no `type`".to_string(),
    };
    Err(Error::input(
        input,
        format!("expected a GeoJSON geometry (Polygon, MultiPolygon, ...), found {found}"),
    ))
}

impl SearchParams {
    /// The POST body (with `limit` when set).
    pub fn to_body(&self) -> Map<String, Value> {
        let mut body = Map::new();
        if !self.collections.is_empty() {
            body.insert("collections".into(), json!(self.collections));
        }
        if !self.ids.is_empty() {
            body.insert("ids".into(), json!(self.ids));
        }
        if let Some(b) = &self.bbox {
            body.insert("bbox".into(), json!(b));
        }
        if let Some(g) = &self.intersects {
            body.insert("intersects".into(), g.clone());
        }
        if let Some(d) = &self.datetime {
            body.insert("datetime".into(), json!(d.to_param()));
        }
        if let Some(q) = &self.query {
            body.insert("query".into(), q.clone());
        }
        if let Some(f) = &self.filter {
            body.insert("filter".into(), f.expr.clone());
            body.insert("filter-lang".into(), json!(f.lang.as_str()));
        }
        if !self.sortby.is_empty() {
            let keys: Vec<Value> = self
                .sortby
                .iter()
                .map(|k| {
                    json!({"field": k.field, "direction": if k.descending { "desc" } else { "asc" }})
                })
                .collect();
            body.insert("sortby".into(), Value::Array(keys));
        }
        if !self.fields.is_empty() {
            let (exclude, include): (Vec<&String>, Vec<&String>) =
                self.fields.iter().partition(|f| f.starts_with('-'));
            let exclude: Vec<&str> = exclude.iter().map(|f| &f[1..]).collect();
            let include: Vec<&str> = include
                .iter()
                .map(|f| f.strip_prefix('+').unwrap_or(f))
                .collect();
            body.insert(
                "fields".into(),
                json!({"include": include, "exclude": exclude}),
            );
        }
        if let Some(l) = self.limit {
            body.insert("limit".into(), json!(l));
        }
        body
    }

    /// The GET query pairs.
    pub fn to_query(&self) -> Vec<(String, String)> {
        let mut q = Vec::new();
        let mut push = |k: &str, v: String| q.push((k.to_string(), v));
        let join_nums = |v: &[f64]| {
            v.iter()
                .map(|n| n.to_string())
                .collect::<Vec<_>>()
                .join(",")
        };
        if !self.collections.is_empty() {
            push("collections", self.collections.join(","));
        }
        if !self.ids.is_empty() {
            push("ids", self.ids.join(","));
        }
        if let Some(b) = &self.bbox {
            push("bbox", join_nums(b));
        }
        if let Some(g) = &self.intersects {
            push("intersects", g.to_string());
        }
        if let Some(d) = &self.datetime {
            push("datetime", d.to_param());
        }
        if let Some(v) = &self.query {
            push("query", v.to_string());
        }
        if let Some(f) = &self.filter {
            let text = match &f.expr {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            push("filter", text);
            push("filter-lang", f.lang.as_str().to_string());
        }
        if !self.sortby.is_empty() {
            let keys: Vec<String> = self
                .sortby
                .iter()
                .map(|k| format!("{}{}", if k.descending { "-" } else { "+" }, k.field))
                .collect();
            push("sortby", keys.join(","));
        }
        if !self.fields.is_empty() {
            push("fields", self.fields.join(","));
        }
        if let Some(l) = self.limit {
            push("limit", l.to_string());
        }
        q
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intervals() {
        let i = Interval::parse("../2024-01-01T00:00:00Z").unwrap();
        assert_eq!(i.start, None);
        assert_eq!(i.to_param(), "../2024-01-01T00:00:00Z");
        let day = Interval::parse("2024-01-01").unwrap();
        assert_eq!(
            day.to_param(),
            "2024-01-01T00:00:00Z/2024-01-01T23:59:59.999999Z"
        );
        let i = Interval::parse("2024-01-01/..").unwrap();
        assert_eq!(i.end, None);
        assert_eq!(i.to_param(), "2024-01-01T00:00:00Z/..");
        let t = Interval::parse("2024-05-01T10:00:00+02:00").unwrap();
        assert_eq!(t.to_param(), "2024-05-01T08:00:00Z");
        for bad in ["../..", "2024", "2024-02-01/2024-01-01", "x/2024-01-01"] {
            assert!(Interval::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn overlap() {
        let q = Interval::parse("2024-01-01/2024-01-31").unwrap();
        let day = |d: &str| Interval::parse(d).unwrap().start;
        assert!(q.overlaps(day("2024-01-15"), day("2024-01-15")));
        assert!(q.overlaps(day("2023-12-01"), day("2024-01-01")));
        assert!(!q.overlaps(day("2023-12-01"), day("2023-12-31")));
        assert!(!q.overlaps(day("2024-02-01"), None));
        assert!(q.overlaps(None, None));
    }

    #[test]
    fn sortby_and_filter() {
        assert_eq!(
            SortKey::parse("-gsd").unwrap(),
            SortKey {
                field: "gsd".into(),
                descending: true
            }
        );
        assert!(!SortKey::parse("+datetime").unwrap().descending);
        assert!(SortKey::parse("-").is_err());
        let f = Filter::parse(r#"{"op":"=","args":[{"property":"a"},1]}"#, None).unwrap();
        assert_eq!(f.lang, FilterLang::Json);
        let f = Filter::parse("gsd < 1", None).unwrap();
        assert_eq!(f.lang, FilterLang::Text);
        assert!(Filter::parse("gsd < 1", Some(FilterLang::Json)).is_err());
    }

    #[test]
    fn renders_both_methods() {
        let p = SearchParams {
            collections: vec!["a".into(), "b".into()],
            bbox: Some(parse_bbox("1,2,3,4").unwrap()),
            sortby: vec![SortKey::parse("-gsd").unwrap()],
            fields: vec!["id".into(), "-links".into()],
            limit: Some(10),
            ..Default::default()
        };
        let body = Value::Object(p.to_body());
        assert_eq!(body["collections"], json!(["a", "b"]));
        assert_eq!(
            body["sortby"],
            json!([{"field": "gsd", "direction": "desc"}])
        );
        assert_eq!(
            body["fields"],
            json!({"include": ["id"], "exclude": ["links"]})
        );
        let q = p.to_query();
        assert!(q.contains(&("bbox".into(), "1,2,3,4".into())));
        assert!(q.contains(&("sortby".into(), "-gsd".into())));
        assert!(parse_bbox("1,2,3").is_err());
        assert!(parse_bbox("1,5,3,4").is_err());
    }
}
