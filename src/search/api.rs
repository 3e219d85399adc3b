//! What a STAC API offers: its landing page, conformance classes and collections.
//!
//! The landing page tells us where to search (its `search` links, with the methods the server
//! accepts) and what it conforms to; conformance tells the user up front that a `--filter` or
//! `--sortby` will be ignored by this server, rather than leaving them to wonder why the results
//! look unfiltered. `/collections` feeds the TUI's collection picker.

use serde_json::Value;
use tokio_util::sync::CancellationToken;
use url::Url;

use super::client::{ClientOptions, Method, Request, StacApi};
use super::params::SearchParams;
use super::progress::SearchProgress;
use crate::{Error, Result};

/// Most `/collections` pages followed (a guard against a server whose `next` never ends).
const MAX_COLLECTION_PAGES: usize = 1_000;

/// A STAC API landing page.
#[derive(Debug, Clone)]
pub struct LandingPage {
    /// Where it was fetched.
    pub url: Url,
    /// `id`.
    pub id: Option<String>,
    /// `title`.
    pub title: Option<String>,
    /// `conformsTo` (empty when the page does not list it).
    pub conforms_to: Vec<String>,
    /// The whole document.
    pub raw: Value,
}

impl LandingPage {
    /// Links with `rel`.
    pub fn links<'a>(&'a self, rel: &'a str) -> impl Iterator<Item = &'a Value> + 'a {
        links_with_rel(self.raw.get("links"), rel)
    }

    fn link_href(&self, link: &Value) -> Option<Url> {
        let href = link.get("href").and_then(Value::as_str)?;
        self.url.join(href).ok()
    }

    /// The search endpoint for `method` (a `search` link saying that method, or without one),
    /// else `<root>/search`.
    pub fn search_url(&self, method: Method) -> Url {
        let said = |l: &&Value| {
            l.get("method")
                .and_then(Value::as_str)
                .is_none_or(|m| m.eq_ignore_ascii_case(method.as_str()))
        };
        self.links("search")
            .find(said)
            .and_then(|l| self.link_href(l))
            .unwrap_or_else(|| self.url.join("search").expect("root URL ends with /"))
    }

    /// The methods the `search` links advertise (empty when they do not say).
    pub fn search_methods(&self) -> Vec<Method> {
        let mut methods = Vec::new();
        for link in self.links("search") {
            match link.get("method").and_then(Value::as_str) {
                Some(m) if m.eq_ignore_ascii_case("POST") => methods.push(Method::Post),
                Some(m) if m.eq_ignore_ascii_case("GET") => methods.push(Method::Get),
                _ => {}
            }
        }
        methods
    }
}

/// What the server says it supports, from its conformance classes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Support {
    /// Item Search itself.
    pub item_search: bool,
    /// CQL2 `filter`.
    pub filter: bool,
    /// `sortby`.
    pub sort: bool,
    /// `fields`.
    pub fields: bool,
    /// The query extension.
    pub query: bool,
}

impl Support {
    /// Reads the conformance URIs (any STAC API version).
    pub fn from_conformance(uris: &[String]) -> Self {
        let has = |needle: &str| uris.iter().any(|u| u.contains(needle));
        Self {
            item_search: uris.iter().any(|u| u.contains("/item-search")),
            filter: has("item-search#filter")
                || has("ogcapi-features-3/1.0/conf/filter")
                || has("/conf/features-filter"),
            sort: has("item-search#sort"),
            fields: has("item-search#fields"),
            query: has("item-search#query"),
        }
    }

    /// One warning per requested parameter the server does not declare.
    pub fn warnings(&self, params: &SearchParams) -> Vec<String> {
        let mut out = Vec::new();
        let mut check = |asked: bool, supported: bool, what: &str, class: &str| {
            if asked && !supported {
                out.push(format!(
                    "the server does not declare {class}: it may ignore {what} and return unfiltered or unsorted items"
                ));
            }
        };
        check(
            params.filter.is_some(),
            self.filter,
            "--filter",
            "the Filter extension (CQL2)",
        );
        check(
            !params.sortby.is_empty(),
            self.sort,
            "--sortby",
            "the Sort extension",
        );
        check(
            !params.fields.is_empty(),
            self.fields,
            "--fields",
            "the Fields extension",
        );
        check(
            params.query.is_some(),
            self.query,
            "--query",
            "the Query extension",
        );
        if !self.item_search {
            out.insert(
                0,
                "the server does not declare STAC API Item Search conformance; searching anyway"
                    .into(),
            );
        }
        out
    }
}

/// A collection, as the picker shows it.
#[derive(Debug, Clone)]
pub struct CollectionInfo {
    /// `id`.
    pub id: String,
    /// `title`.
    pub title: Option<String>,
    /// `description`.
    pub description: Option<String>,
    /// The whole document (extent, providers, …).
    pub raw: Value,
}

impl StacApi {
    /// Fetches and checks the landing page.
    pub async fn landing_page(
        &self,
        cancel: &CancellationToken,
        progress: &dyn SearchProgress,
    ) -> Result<LandingPage> {
        let url = self.root().clone();
        let what = format!("landing page {url}");
        let raw = self
            .send_json(&Request::get(url.clone()), &what, cancel, progress)
            .await?;
        let Some(obj) = raw.as_object() else {
            return Err(Error::api(
                &what,
                "is not a STAC API landing page: not a JSON object",
            ));
        };
        if obj.get("type").and_then(Value::as_str) == Some("FeatureCollection") {
            return Err(Error::api(
                &what,
                "is an ItemCollection, not a landing page; give the API root (without /search)",
            ));
        }
        if !obj.get("links").is_some_and(Value::is_array) {
            return Err(Error::api(
                &what,
                "is not a STAC API landing page: the JSON has no `links` array; give the STAC API root URL",
            ));
        }
        let text = |k: &str| obj.get(k).and_then(Value::as_str).map(str::to_string);
        let conforms_to = strings(obj.get("conformsTo"));
        Ok(LandingPage {
            id: text("id"),
            title: text("title"),
            conforms_to,
            url,
            raw,
        })
    }

    /// The conformance classes: the landing page's `conformsTo`, else `/conformance`.
    pub async fn conformance(
        &self,
        landing: &LandingPage,
        cancel: &CancellationToken,
        progress: &dyn SearchProgress,
    ) -> Result<Vec<String>> {
        if !landing.conforms_to.is_empty() {
            return Ok(landing.conforms_to.clone());
        }
        let url = landing
            .links("conformance")
            .find_map(|l| landing.link_href(l))
            .unwrap_or_else(|| self.root().join("conformance").expect("root ends with /"));
        let what = format!("conformance {url}");
        let doc = self
            .send_json(&Request::get(url), &what, cancel, progress)
            .await?;
        Ok(strings(doc.get("conformsTo")))
    }

    /// All collections (following `next` links of `/collections`).
    pub async fn collections(
        &self,
        landing: &LandingPage,
        cancel: &CancellationToken,
        progress: &dyn SearchProgress,
    ) -> Result<Vec<CollectionInfo>> {
        let mut url = landing
            .links("data")
            .find_map(|l| landing.link_href(l))
            .unwrap_or_else(|| self.root().join("collections").expect("root ends with /"));
        let mut out = Vec::new();
        for _ in 0..MAX_COLLECTION_PAGES {
            let what = format!("collections {url}");
            let doc = self
                .send_json(&Request::get(url.clone()), &what, cancel, progress)
                .await?;
            let Some(list) = doc.get("collections").and_then(Value::as_array) else {
                return Err(Error::api(
                    &what,
                    "is not a STAC collections list: no `collections` array",
                ));
            };
            for c in list {
                let Some(id) = c.get("id").and_then(Value::as_str) else {
                    continue;
                };
                let text = |k: &str| c.get(k).and_then(Value::as_str).map(str::to_string);
                out.push(CollectionInfo {
                    id: id.to_string(),
                    title: text("title"),
                    description: text("description"),
                    raw: c.clone(),
                });
            }
            let next = links_with_rel(doc.get("links"), "next")
                .next()
                .and_then(|l| l.get("href").and_then(Value::as_str))
                .and_then(|h| url.join(h).ok());
            match next {
                Some(n) if n != url && !list.is_empty() => url = n,
                _ => return Ok(out),
            }
        }
        Ok(out)
    }
}

impl StacApi {
    /// One collection's document, `GET {root}/collections/{id}` (the id percent-encoded as a
    /// path segment).
    pub async fn collection(
        &self,
        id: &str,
        cancel: &CancellationToken,
        progress: &dyn SearchProgress,
    ) -> Result<Value> {
        let mut url = self.root().clone();
        let root = url.to_string();
        url.path_segments_mut()
            .map_err(|()| Error::api(root, "cannot hold a path"))?
            .pop_if_empty()
            .extend(["collections", id]);
        let what = format!("collection {url}");
        let doc = self
            .send_json(&Request::get(url), &what, cancel, progress)
            .await?;
        if doc.get("id").and_then(Value::as_str) != Some(id) {
            return Err(Error::api(
                &what,
                format!("is not the STAC Collection `{id}`"),
            ));
        }
        Ok(doc)
    }
}

/// Where and how a search goes, resolved from what the user typed.
#[derive(Debug, Clone)]
pub struct SearchTarget {
    /// The client for the API root.
    pub api: StacApi,
    /// The search endpoint.
    pub endpoint: Url,
    /// The method to use.
    pub method: Method,
    /// Parameters the server may ignore, and conformance that could not be read.
    pub warnings: Vec<String>,
}

/// The API root of a source given as the root or as its `…/search` endpoint.
pub fn api_root(source: &str) -> &str {
    let trimmed = source.trim().trim_end_matches('/');
    match trimmed.strip_suffix("/search") {
        Some(root) => root,
        None => trimmed,
    }
}

impl SearchTarget {
    /// Resolves `source` (an API root, or its `/search` endpoint used as is): reads the
    /// landing page for the search link and the methods it advertises (POST unless only GET
    /// is offered, or `method` when given) and the conformance classes for warnings.
    pub async fn resolve(
        source: &str,
        options: ClientOptions,
        method: Option<Method>,
        params: &SearchParams,
        cancel: &CancellationToken,
        progress: &dyn SearchProgress,
    ) -> Result<SearchTarget> {
        let trimmed = source.trim().trim_end_matches('/');
        if trimmed.ends_with("/search") {
            let api = StacApi::new(api_root(source), options)?;
            let endpoint = Url::parse(trimmed)
                .map_err(|e| Error::input(source, format!("is not a URL ({e})")))?;
            return Ok(SearchTarget {
                api,
                endpoint,
                method: method.unwrap_or(Method::Post),
                warnings: Vec::new(),
            });
        }
        let api = StacApi::new(source.trim(), options)?;
        let landing = api.landing_page(cancel, progress).await?;
        let warnings = match api.conformance(&landing, cancel, progress).await {
            Ok(classes) => Support::from_conformance(&classes).warnings(params),
            Err(Error::Cancelled) => return Err(Error::Cancelled),
            Err(e) => vec![format!(
                "could not read conformance ({e:#}); searching anyway"
            )],
        };
        let advertised = landing.search_methods();
        let method = method.unwrap_or(
            if !advertised.is_empty() && !advertised.contains(&Method::Post) {
                Method::Get
            } else {
                Method::Post
            },
        );
        Ok(SearchTarget {
            endpoint: landing.search_url(method),
            api,
            method,
            warnings,
        })
    }
}

/// The entries of a STAC `links` array with relation `rel`, in order.
pub(super) fn links_with_rel<'a>(
    links: Option<&'a Value>,
    rel: &'a str,
) -> impl Iterator<Item = &'a Value> + 'a {
    links
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(move |l| l.get("rel").and_then(Value::as_str) == Some(rel))
}

fn strings(value: Option<&Value>) -> Vec<String> {
    value
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::params::SortKey;

    #[test]
    fn support_from_conformance() {
        let uris: Vec<String> = [
            "https://api.stacspec.org/v1.0.0/core",
            "https://api.stacspec.org/v1.0.0/item-search",
            "https://api.stacspec.org/v1.0.0/item-search#sort",
            "https://api.stacspec.org/v1.0.0-rc.2/item-search#filter",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let s = Support::from_conformance(&uris);
        assert!(s.item_search && s.sort && s.filter && !s.fields && !s.query);
        let params = SearchParams {
            sortby: vec![SortKey::parse("gsd").unwrap()],
            fields: vec!["id".into()],
            ..Default::default()
        };
        let w = s.warnings(&params);
        assert_eq!(w.len(), 1, "{w:?}");
        assert!(w[0].contains("Fields"));
    }

    #[test]
    fn search_url_from_links() {
        let raw = serde_json::json!({"links": [
            {"rel": "search", "href": "/api/search", "method": "GET"},
            {"rel": "search", "href": "https://other/search", "method": "POST"}]});
        let page = LandingPage {
            url: Url::parse("http://h/stac/").unwrap(),
            id: None,
            title: None,
            conforms_to: vec![],
            raw,
        };
        assert_eq!(page.search_url(Method::Get).as_str(), "http://h/api/search");
        assert_eq!(
            page.search_url(Method::Post).as_str(),
            "https://other/search"
        );
        assert_eq!(page.search_methods(), vec![Method::Get, Method::Post]);
    }
}
