//! Paging an Item Search: follow `next` links in a task, hand pages over a bounded channel.
//!
//! Pages of a STAC search are inherently sequential — the link to page n+1 is in page n — so
//! "prefetch" means the paging task fetches the next pages while the consumer converts and
//! writes the current one. The channel holds at most [`PREFETCH_PAGES`] pages; when it is full
//! the task waits (backpressure), so a slow consumer never makes memory grow.
//!
//! `next` links follow the STAC API spec: a GET link's `href` carries everything (tokens,
//! `skip`); a POST link carries a `body` that either replaces the previous body or, with
//! `merge: true`, is merged into it; a POST link without a body repeats the previous body at
//! the new href; `headers` on a link are sent too. Paging stops at the last page, at an empty
//! page, at `max_items` (the last page is cut so exactly `max_items` items come out), or when
//! the cancellation token fires — at once, even mid-request or mid-backoff.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

use futures::Stream;
use serde_json::{Map, Value};
use tokio::sync::mpsc;
use tokio_util::sync::{CancellationToken, DropGuard};
use url::Url;

use super::api::links_with_rel;
use super::client::{Method, Request, StacApi};
use super::params::SearchParams;
use super::progress::{PageReport, SearchProgress};
use crate::{Error, Result};

/// Pages waiting in the channel. Memory: at `limit` 500 an OpenAerialMap-like page is ~1.1 MB
/// of JSON, ~4 MB as `serde_json::Value`s; 3 queued + 1 being fetched + 1 with the consumer is
/// ~20 MB. A user asking for `--limit 10000` scales that by 20 (~400 MB), so the CLI's help
/// suggests limits of a few hundred to a few thousand.
pub const PREFETCH_PAGES: usize = 3;

/// One page of search results.
#[derive(Debug, Clone)]
pub struct Page {
    /// 1-based page number.
    pub number: u64,
    /// The items kept from this page (cut at `max_items`), each a JSON object.
    pub items: Vec<Value>,
    /// The server's `numberMatched` (or `context.matched`), when it says.
    pub matched: Option<u64>,
}

/// What to search and how.
#[derive(Debug, Clone)]
pub struct SearchRequest {
    /// The search endpoint (`…/search`).
    pub endpoint: Url,
    /// GET or POST.
    pub method: Method,
    /// The parameters.
    pub params: SearchParams,
    /// Stop after this many items.
    pub max_items: Option<u64>,
}

impl SearchRequest {
    /// The first page's request.
    pub fn first_request(&self) -> Request {
        match self.method {
            Method::Get => {
                let mut url = self.endpoint.clone();
                {
                    let mut q = url.query_pairs_mut();
                    for (k, v) in self.params.to_query() {
                        q.append_pair(&k, &v);
                    }
                }
                Request::get(url)
            }
            Method::Post => Request {
                method: Method::Post,
                url: self.endpoint.clone(),
                body: Some(self.params.to_body()),
                headers: Vec::new(),
            },
        }
    }
}

/// The pages of a running search, as a [`Stream`]. Dropping it cancels the paging task.
pub struct SearchPages {
    rx: mpsc::Receiver<Result<Page>>,
    _cancel_on_drop: DropGuard,
}

impl Stream for SearchPages {
    type Item = Result<Page>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.rx.poll_recv(cx)
    }
}

impl StacApi {
    /// Starts the search in a task on the current tokio runtime and returns its pages. The
    /// stream ends after the last page, after an error (yielded once), or when `cancel` fires.
    pub fn search(
        &self,
        request: SearchRequest,
        cancel: CancellationToken,
        progress: Arc<dyn SearchProgress>,
    ) -> SearchPages {
        let (tx, rx) = mpsc::channel(PREFETCH_PAGES);
        let token = cancel.child_token();
        let task_token = token.clone();
        let api = self.clone();
        tokio::spawn(async move {
            if let Err(e) = run(&api, &request, &tx, &task_token, progress.as_ref()).await {
                if !matches!(e, Error::Cancelled) {
                    let _ = tx.send(Err(e)).await;
                }
            }
        });
        SearchPages {
            rx,
            _cancel_on_drop: token.drop_guard(),
        }
    }
}

async fn run(
    api: &StacApi,
    search: &SearchRequest,
    tx: &mpsc::Sender<Result<Page>>,
    cancel: &CancellationToken,
    progress: &dyn SearchProgress,
) -> Result<()> {
    let started = Instant::now();
    let mut request = search.first_request();
    let mut total = 0u64;
    let mut number = 0u64;
    if search.max_items == Some(0) {
        return Ok(());
    }
    loop {
        number += 1;
        let what = format!("page {number} of {}", request.describe());
        let doc = api.send_json(&request, &what, cancel, progress).await?;
        let (mut items, next, matched) = parse_page(doc, &what)?;
        let served = items.len();
        if let Some(max) = search.max_items {
            let left = max.saturating_sub(total);
            if items.len() as u64 > left {
                items.truncate(left as usize);
            }
        }
        total += items.len() as u64;
        progress.page(&PageReport {
            page: number,
            items_on_page: items.len(),
            items_total: total,
            matched,
            elapsed: started.elapsed(),
        });
        let reached_max = search.max_items.is_some_and(|m| total >= m);
        let page = Page {
            number,
            items,
            matched,
        };
        tokio::select! {
            biased;
            _ = cancel.cancelled() => return Err(Error::Cancelled),
            sent = tx.send(Ok(page)) => if sent.is_err() { return Ok(()) },
        }
        let Some(link) = next else { return Ok(()) };
        if served == 0 || reached_max {
            return Ok(());
        }
        let following = next_request(&request, &link, &what)?;
        if following == request {
            return Err(Error::api(
                &what,
                "the `next` link repeats this very request; stopping instead of looping forever",
            ));
        }
        request = following;
    }
}

/// A parsed page: its items, its `next` link and the matched count.
type ParsedPage = (Vec<Value>, Option<Map<String, Value>>, Option<u64>);

/// Splits an ItemCollection into its items, `next` link and matched count.
fn parse_page(doc: Value, what: &str) -> Result<ParsedPage> {
    let Value::Object(mut obj) = doc else {
        return Err(Error::api(
            what,
            "is not a STAC ItemCollection: not a JSON object; is the URL a STAC API?",
        ));
    };
    let Some(Value::Array(items)) = obj.remove("features") else {
        let hint = if obj.contains_key("conformsTo") || obj.contains_key("stac_version") {
            " (this looks like a landing page or collection; give the API root, stacpkg finds its /search)"
        } else {
            ""
        };
        return Err(Error::api(
            what,
            format!("is not a STAC ItemCollection: the JSON has no `features` array{hint}"),
        ));
    };
    if let Some(i) = items.iter().position(|f| !f.is_object()) {
        return Err(Error::api(
            what,
            format!(
                "is not a STAC ItemCollection: feature {} is not an object",
                i + 1
            ),
        ));
    }
    let matched = obj
        .get("numberMatched")
        .and_then(Value::as_u64)
        .or_else(|| obj.get("context")?.get("matched")?.as_u64());
    let next = links_with_rel(obj.get("links"), "next")
        .next()
        .and_then(Value::as_object)
        .cloned();
    Ok((items, next, matched))
}

/// The request a `next` link asks for.
fn next_request(current: &Request, link: &Map<String, Value>, what: &str) -> Result<Request> {
    let href = link
        .get("href")
        .and_then(Value::as_str)
        .ok_or_else(|| Error::api(what, "has a `next` link without `href`"))?;
    let url = current.url.join(href).map_err(|e| {
        Error::api(
            what,
            format!("has a `next` link with a bad href {href:?} ({e})"),
        )
    })?;
    let method = match link.get("method").and_then(Value::as_str) {
        None => Method::Get,
        Some(m) if m.eq_ignore_ascii_case("GET") => Method::Get,
        Some(m) if m.eq_ignore_ascii_case("POST") => Method::Post,
        Some(m) => {
            return Err(Error::api(
                what,
                format!("has a `next` link with unsupported method {m:?}"),
            ))
        }
    };
    let headers = link
        .get("headers")
        .and_then(Value::as_object)
        .map(|h| {
            h.iter()
                .filter_map(|(k, v)| match v {
                    Value::String(s) => Some((k.clone(), s.clone())),
                    Value::Array(a) => a
                        .first()
                        .and_then(Value::as_str)
                        .map(|s| (k.clone(), s.to_string())),
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default();
    let body = match method {
        Method::Get => None,
        Method::Post => {
            let link_body = link.get("body").and_then(Value::as_object);
            let merge = link.get("merge").and_then(Value::as_bool).unwrap_or(false);
            match (link_body, merge) {
                (Some(b), true) => {
                    let mut merged = current.body.clone().unwrap_or_default();
                    for (k, v) in b {
                        merged.insert(k.clone(), v.clone());
                    }
                    Some(merged)
                }
                (Some(b), false) => Some(b.clone()),
                (None, _) => Some(current.body.clone().unwrap_or_default()),
            }
        }
    };
    Ok(Request {
        method,
        url,
        body,
        headers,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn post(body: Value) -> Request {
        Request {
            method: Method::Post,
            url: Url::parse("http://h/search").unwrap(),
            body: body.as_object().cloned(),
            headers: vec![],
        }
    }

    #[test]
    fn next_links() {
        let cur = post(json!({"limit": 2, "collections": ["c"]}));
        let link = json!({"rel": "next", "href": "search", "method": "POST", "body": {"token": "t1"}, "merge": true});
        let n = next_request(&cur, link.as_object().unwrap(), "p").unwrap();
        assert_eq!(
            Value::Object(n.body.unwrap()),
            json!({"limit": 2, "collections": ["c"], "token": "t1"})
        );
        let link = json!({"rel": "next", "href": "/search", "method": "POST", "body": {"skip": 2}});
        let n = next_request(&cur, link.as_object().unwrap(), "p").unwrap();
        assert_eq!(Value::Object(n.body.unwrap()), json!({"skip": 2}));
        let link =
            json!({"rel": "next", "href": "http://h/search?token=abc", "headers": {"X-A": "1"}});
        let n = next_request(&cur, link.as_object().unwrap(), "p").unwrap();
        assert_eq!(n.method, Method::Get);
        assert!(n.body.is_none());
        assert_eq!(n.url.as_str(), "http://h/search?token=abc");
        assert_eq!(n.headers, vec![("X-A".to_string(), "1".to_string())]);
        let link = json!({"rel": "next", "href": "x", "method": "DELETE"});
        assert!(next_request(&cur, link.as_object().unwrap(), "p").is_err());
    }

    #[test]
    fn pages_parse() {
        let doc = json!({"type": "FeatureCollection", "features": [{"id": "a"}], "numberMatched": 7,
            "links": [{"rel": "next", "href": "x"}]});
        let (items, next, matched) = parse_page(doc, "p").unwrap();
        assert_eq!(items.len(), 1);
        assert!(next.is_some());
        assert_eq!(matched, Some(7));
        let err = parse_page(json!({"conformsTo": [], "links": []}), "page 1").unwrap_err();
        assert!(err.to_string().contains("landing page"), "{err}");
        assert!(parse_page(json!([1]), "p").is_err());
        assert!(parse_page(json!({"features": [1]}), "p").is_err());
    }
}
