//! The search form: its fields as typed, checked with the engine's own parsers
//! ([`crate::search::params`]) into a search to run ([`SearchSpec`]).

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::items::ItemFilter;
use crate::search::params::parse_bbox;
use crate::search::{Filter, Interval, LocalFilter, SearchParams};

/// Page size asked of a STAC API (the CLI's default; a page is ~half a megabyte of JSON).
pub const PAGE_LIMIT: u64 = 250;

/// The form, as remembered.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SearchForm {
    /// A STAC API URL or a local catalogue file.
    pub source: String,
    /// Comma-separated collection ids.
    pub collections: String,
    /// `west,south,east,north` (or 6 numbers with heights).
    pub bbox: String,
    /// A datetime interval (`2024-01-01/2024-02-01`, `../2024-01-01`, an instant).
    pub datetime: String,
    /// Stop after this many items (empty: all).
    pub max_items: String,
    /// A CQL2 filter: JSON (cql2-json) or text (cql2-text).
    pub filter: String,
    /// Comma-separated item ids.
    pub item_ids: String,
    /// Comma-separated provider names.
    pub providers: String,
}

/// The form's fields, in order.
pub const FIELDS: [&str; 8] = [
    "source",
    "collections",
    "bbox",
    "datetime",
    "max items",
    "filter",
    "item ids",
    "providers",
];
/// Index of the source field.
pub const SOURCE_FIELD: usize = 0;
/// Index of the collections field.
pub const COLLECTIONS_FIELD: usize = 1;

/// The index of the bbox field (the map writes it).
pub const BBOX_FIELD: usize = 2;
/// The fields that hold comma-separated lists (collections, bbox, item ids, providers).
pub const LIST_FIELDS: [usize; 4] = [COLLECTIONS_FIELD, BBOX_FIELD, 6, 7];

/// A STAC API search, checked and ready to run.
#[derive(Debug, Clone)]
pub struct ApiSearch {
    /// The API root or `/search` endpoint, as typed.
    pub source: String,
    /// The Item Search parameters.
    pub params: SearchParams,
    /// Providers to keep (applied to each page client-side; STAC APIs have no such parameter).
    pub providers: ItemFilter,
    /// Stop after this many items.
    pub max_items: Option<u64>,
}

/// A local catalogue load, checked and ready to run.
#[derive(Debug, Clone)]
pub struct LocalSearch {
    /// The file.
    pub path: PathBuf,
    /// Collections, ids and providers.
    pub filter: ItemFilter,
    /// Bbox and datetime, when given.
    pub local: Option<LocalFilter>,
    /// Stop after this many items.
    pub max_items: Option<usize>,
}

/// What a form asks for.
#[derive(Debug, Clone)]
pub enum SearchSpec {
    /// Search a STAC API.
    Api(ApiSearch),
    /// Read a local catalogue.
    Local(LocalSearch),
}

/// Whether a source is a URL (a STAC API) rather than a file.
pub fn is_url(source: &str) -> bool {
    let lower = source.trim().to_ascii_lowercase();
    lower.starts_with("http://") || lower.starts_with("https://")
}

fn list(s: &str) -> Vec<String> {
    s.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect()
}

/// An engine parse error as a form message: `bbox: …` rather than the CLI's `--bbox: …`.
fn field_error(e: crate::Error) -> String {
    e.to_string().trim_start_matches("--").to_string()
}

impl SearchForm {
    /// The text of field `i`.
    pub fn field(&self, i: usize) -> &str {
        match i {
            0 => &self.source,
            1 => &self.collections,
            2 => &self.bbox,
            3 => &self.datetime,
            4 => &self.max_items,
            5 => &self.filter,
            6 => &self.item_ids,
            _ => &self.providers,
        }
    }

    /// Sets field `i`.
    pub fn set_field(&mut self, i: usize, text: String) {
        let slot = match i {
            0 => &mut self.source,
            1 => &mut self.collections,
            2 => &mut self.bbox,
            3 => &mut self.datetime,
            4 => &mut self.max_items,
            5 => &mut self.filter,
            6 => &mut self.item_ids,
            _ => &mut self.providers,
        };
        *slot = text;
    }

    /// The search this form asks for, or a one-line reason it cannot run.
    pub fn request(&self) -> Result<SearchSpec, String> {
        let source = self.source.trim();
        if source.is_empty() {
            return Err(
                "source: enter a STAC API URL or a catalogue file (NDJSON, JSON or GeoParquet)"
                    .into(),
            );
        }
        let max = match self.max_items.trim() {
            "" => None,
            n => Some(n.parse::<u64>().map_err(|_| {
                format!("max items {n:?}: enter a whole number, or nothing for all")
            })?),
        };
        let bbox = match self.bbox.trim() {
            "" => None,
            b => Some(parse_bbox(b).map_err(field_error)?),
        };
        let datetime = match self.datetime.trim() {
            "" => None,
            d => Some(Interval::parse(d).map_err(field_error)?),
        };
        let filter = match self.filter.trim() {
            "" => None,
            f => Some(Filter::parse(f, None).map_err(field_error)?),
        };
        let params = SearchParams {
            collections: list(&self.collections),
            ids: list(&self.item_ids),
            bbox,
            datetime,
            filter,
            limit: Some(match max {
                Some(m) if m > 0 => m.min(PAGE_LIMIT),
                _ => PAGE_LIMIT,
            }),
            ..SearchParams::default()
        };
        if is_url(source) {
            return Ok(SearchSpec::Api(ApiSearch {
                source: source.to_string(),
                providers: ItemFilter::new(&[], &[], &list(&self.providers)),
                params,
                max_items: max,
            }));
        }
        if params.filter.is_some() {
            return Err(format!(
                "filter: CQL2 needs a STAC API; {source} is a local file (use collections, \
                 bbox, datetime, item ids or providers)"
            ));
        }
        let local = (params.bbox.is_some() || params.datetime.is_some())
            .then(|| {
                let only = SearchParams {
                    bbox: params.bbox.clone(),
                    datetime: params.datetime,
                    ..SearchParams::default()
                };
                LocalFilter::from_params(&only, source).map_err(|e| e.to_string())
            })
            .transpose()?;
        Ok(SearchSpec::Local(LocalSearch {
            path: PathBuf::from(source),
            filter: ItemFilter::new(&params.ids, &params.collections, &list(&self.providers)),
            local,
            max_items: max.map(|m| usize::try_from(m).unwrap_or(usize::MAX)),
        }))
    }

    /// One line for the remembered-searches list.
    pub fn summary(&self) -> String {
        let mut text = self.source.clone();
        for (i, label) in FIELDS.iter().enumerate().skip(1) {
            let v = self.field(i);
            if !v.is_empty() {
                text.push_str(&format!(" {}={v}", label.replace(' ', "_")));
            }
        }
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api(form: &SearchForm) -> ApiSearch {
        match form.request().unwrap() {
            SearchSpec::Api(a) => a,
            other => panic!("expected an API search, got {other:?}"),
        }
    }

    #[test]
    fn request_checks_the_form() {
        let mut form = SearchForm::default();
        assert!(form.request().unwrap_err().starts_with("source"));
        form.source = "a.ndjson".into();
        form.max_items = "ten".into();
        assert!(form.request().unwrap_err().contains("whole number"));
        form.max_items = "10".into();
        form.collections = "a, b".into();
        let SearchSpec::Local(local) = form.request().unwrap() else {
            panic!("expected a local load")
        };
        assert_eq!(local.path, PathBuf::from("a.ndjson"));
        assert_eq!(local.max_items, Some(10));
        assert_eq!(local.filter.collections.len(), 2);
        assert!(local.local.is_none());
    }

    #[test]
    fn api_fields_become_search_parameters() {
        let form = SearchForm {
            source: "http://127.0.0.1:9/stac".into(),
            collections: "oam, drone".into(),
            bbox: "16.4, 47.1, 16.5, 47.8".into(),
            datetime: "2024-01-01/..".into(),
            max_items: "40".into(),
            filter: "gsd < 1".into(),
            item_ids: "a,b".into(),
            providers: "Maxar".into(),
        };
        let a = api(&form);
        assert_eq!(a.params.collections, ["oam", "drone"]);
        assert_eq!(a.params.ids, ["a", "b"]);
        assert_eq!(
            a.params.bbox.as_deref(),
            Some(&[16.4, 47.1, 16.5, 47.8][..])
        );
        assert!(a.params.datetime.unwrap().end.is_none());
        assert_eq!(a.params.limit, Some(40));
        assert_eq!(a.max_items, Some(40));
        assert_eq!(a.params.filter.unwrap().lang.as_str(), "cql2-text");
        assert!(a.providers.providers.contains("Maxar"));
        let json = SearchForm {
            filter: r#"{"op": "<", "args": [{"property": "gsd"}, 1]}"#.into(),
            ..form.clone()
        };
        assert_eq!(api(&json).params.filter.unwrap().lang.as_str(), "cql2-json");
    }

    #[test]
    fn bad_fields_name_the_field_and_the_fix() {
        let base = SearchForm {
            source: "https://example.com/stac".into(),
            ..SearchForm::default()
        };
        let bbox = SearchForm {
            bbox: "1,2,3".into(),
            ..base.clone()
        };
        let e = bbox.request().unwrap_err();
        assert!(
            e.starts_with("bbox: ") && e.contains("4 or 6 numbers"),
            "{e}"
        );
        let dt = SearchForm {
            datetime: "2024-13-45/2024".into(),
            ..base.clone()
        };
        let e = dt.request().unwrap_err();
        assert!(
            e.starts_with("datetime: ") && e.contains("2024-01-01/2024-02-01"),
            "{e}"
        );
        let local = SearchForm {
            source: "a.ndjson".into(),
            filter: "gsd < 1".into(),
            ..SearchForm::default()
        };
        assert!(local.request().unwrap_err().contains("needs a STAC API"));
        let local = SearchForm {
            source: "a.ndjson".into(),
            bbox: "0,0,1,1".into(),
            ..SearchForm::default()
        };
        let SearchSpec::Local(l) = local.request().unwrap() else {
            panic!("expected a local load")
        };
        assert_eq!(l.local.unwrap().bbox, Some([0.0, 0.0, 1.0, 1.0]));
    }
}
