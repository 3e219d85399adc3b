//! The offline demo's STAC API: the bundled catalogue served as a small STAC API on
//! 127.0.0.1, so `stacpkg tui --demo` (and `stacpkg search URL`) can run a real API search with
//! no network.
//!
//! It answers what a STAC API client needs: the landing page, `/conformance`, `/collections`,
//! `/collections/{id}`, `/collections/{id}/items`, and `/search` by GET and POST with
//! `collections`, `ids`, `bbox`, `datetime` and `limit`, paged by a `token` (an offset) in
//! `next` links — a GET link carrying the whole query, a POST link a `body` to `merge`. The
//! matching is the engine's offline search filter ([`LocalFilter`](crate::search::LocalFilter)), so the demo API and
//! `stacpkg search FILE` can never disagree; parameters only a real server applies (CQL2
//! `filter`, `query`, `sortby`, `intersects`, `fields`) are refused with a 400 that says so.
//!
//! HTTP is kept minimal, like the demo's file server: one request per connection
//! (`Connection: close`), bounded request heads and bodies. The catalogue is held in memory:
//! the bundled 240 items are ~0.6 MB of JSON.

use std::collections::BTreeMap;
use std::io;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use serde_json::{json, Map, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;

mod search;

use super::listener::accept_until;
use crate::search::local::{item_extent, item_time_range};
use crate::stac::datetime::format_rfc3339_micros;

/// Longest request head read, in bytes.
const MAX_HEAD_BYTES: usize = 16 * 1024;
/// Largest POST body accepted, in bytes (a search body is a few hundred bytes).
const MAX_BODY_BYTES: usize = 1024 * 1024;
/// Page size when the request names none.
pub const DEFAULT_LIMIT: usize = 10;
/// Largest page served.
pub const MAX_LIMIT: usize = 1000;

const CONFORMANCE: [&str; 5] = [
    "https://api.stacspec.org/v1.0.0/core",
    "https://api.stacspec.org/v1.0.0/collections",
    "https://api.stacspec.org/v1.0.0/item-search",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
];

/// A running demo API; dropping it stops accepting.
pub struct DemoApi {
    /// Where it listens.
    pub addr: SocketAddr,
    stop: CancellationToken,
}

impl DemoApi {
    /// The API root URL.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for DemoApi {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

/// The items and the collections derived from them.
struct Catalogue {
    base: String,
    items: Vec<Map<String, Value>>,
    collections: BTreeMap<String, Value>,
}

/// Serves the NDJSON catalogue at `items_path` on a free port of 127.0.0.1.
pub async fn serve(items_path: &Path) -> anyhow::Result<DemoApi> {
    let text = tokio::fs::read_to_string(items_path)
        .await
        .with_context(|| format!("reading the demo catalogue {}", items_path.display()))?;
    let mut items = Vec::new();
    for (n, line) in text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        match serde_json::from_str::<Value>(line) {
            Ok(Value::Object(item)) => items.push(item),
            _ => anyhow::bail!(
                "{}: line {}: not a STAC item object",
                items_path.display(),
                n + 1
            ),
        }
    }
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .context("starting the demo STAC API on 127.0.0.1")?;
    let addr = listener.local_addr()?;
    let base = format!("http://{addr}");
    let collections = collections_of(&items, &base);
    let catalogue = Arc::new(Catalogue {
        base,
        items,
        collections,
    });
    let stop = CancellationToken::new();
    accept_until(listener, stop.clone(), "demo STAC API", move |stream| {
        let catalogue = catalogue.clone();
        async move { answer(stream, &catalogue).await }
    });
    Ok(DemoApi { addr, stop })
}

/// A Collection per distinct `collection` of the items, with its extent.
fn collections_of(items: &[Map<String, Value>], base: &str) -> BTreeMap<String, Value> {
    struct Acc {
        count: usize,
        bbox: [f64; 4],
        start: Option<i64>,
        end: Option<i64>,
    }
    let mut accs: BTreeMap<String, Acc> = BTreeMap::new();
    for item in items {
        let Some(id) = item.get("collection").and_then(Value::as_str) else {
            continue;
        };
        let acc = accs.entry(id.to_string()).or_insert(Acc {
            count: 0,
            bbox: [f64::MAX, f64::MAX, f64::MIN, f64::MIN],
            start: None,
            end: None,
        });
        acc.count += 1;
        if let Some([w, s, e, n]) = item_extent(item) {
            acc.bbox = [
                acc.bbox[0].min(w),
                acc.bbox[1].min(s),
                acc.bbox[2].max(e),
                acc.bbox[3].max(n),
            ];
        }
        let (start, end) = item_time_range(item);
        acc.start = match (acc.start, start) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        acc.end = match (acc.end, end) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
    }
    accs.into_iter()
        .map(|(id, acc)| {
            let url = format!("{base}/collections/{id}");
            let doc = json!({
                "type": "Collection",
                "stac_version": "1.0.0",
                "id": id,
                "title": format!("{id} (stacpkg demo copy, {} items)", acc.count),
                "description": "The items bundled with stacpkg for the offline demo.",
                "license": "CC-BY-4.0",
                "extent": {
                    "spatial": {"bbox": [acc.bbox]},
                    "temporal": {"interval": [[
                        acc.start.map(format_rfc3339_micros),
                        acc.end.map(format_rfc3339_micros),
                    ]]},
                },
                "links": [
                    {"rel": "self", "href": url, "type": "application/json"},
                    {"rel": "root", "href": format!("{base}/"), "type": "application/json"},
                    {"rel": "parent", "href": format!("{base}/"), "type": "application/json"},
                    {"rel": "items", "href": format!("{url}/items"), "type": "application/geo+json"},
                ],
            });
            (id, doc)
        })
        .collect()
}

/// A response: status and JSON document.
pub(crate) type Reply = (u16, Value);

pub(crate) fn error(status: u16, description: impl Into<String>) -> Reply {
    let code = match status {
        404 => "NotFound",
        405 => "MethodNotAllowed",
        413 => "PayloadTooLarge",
        _ => "BadRequest",
    };
    (
        status,
        json!({"code": code, "description": description.into()}),
    )
}

async fn answer(mut stream: TcpStream, catalogue: &Catalogue) -> io::Result<()> {
    let mut buf = Vec::with_capacity(2048);
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        if buf.len() > MAX_HEAD_BYTES {
            return write_reply(&mut stream, error(400, "request head too large")).await;
        }
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Ok(());
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let mut first = lines.next().unwrap_or("").split(' ');
    let method = first.next().unwrap_or("").to_string();
    let target = first.next().unwrap_or("/").to_string();
    let length = lines
        .filter_map(|l| l.split_once(':'))
        .find(|(k, _)| k.trim().eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.trim().parse::<usize>().ok())
        .unwrap_or(0);
    if length > MAX_BODY_BYTES {
        return write_reply(&mut stream, error(413, "request body too large")).await;
    }
    let mut body = buf[head_end..].to_vec();
    while body.len() < length {
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            break;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    body.truncate(length);
    let reply = route(&method, &target, &body, catalogue);
    write_reply(&mut stream, reply).await
}

async fn write_reply(stream: &mut TcpStream, (status, doc): Reply) -> io::Result<()> {
    let reason = match status {
        200 => "OK",
        400 => "Bad Request",
        404 => "Not Found",
        405 => "Method Not Allowed",
        _ => "Payload Too Large",
    };
    let content_type = if doc.get("type").and_then(Value::as_str) == Some("FeatureCollection") {
        "application/geo+json"
    } else {
        "application/json"
    };
    let body = doc.to_string();
    let head = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await?;
    stream.write_all(body.as_bytes()).await?;
    stream.shutdown().await
}

fn route(method: &str, target: &str, body: &[u8], cat: &Catalogue) -> Reply {
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let path = path.trim_end_matches('/');
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let pairs: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect();
    match (method, segments.as_slice()) {
        ("GET", []) => (200, landing(cat)),
        ("GET", ["conformance"]) => (200, json!({"conformsTo": CONFORMANCE})),
        ("GET", ["collections"]) => (
            200,
            json!({
                "collections": cat.collections.values().collect::<Vec<_>>(),
                "links": [
                    {"rel": "self", "href": format!("{}/collections", cat.base)},
                    {"rel": "root", "href": format!("{}/", cat.base)},
                ],
            }),
        ),
        ("GET", ["collections", id]) => match cat.collections.get(*id) {
            Some(c) => (200, c.clone()),
            None => error(404, format!("no collection {id:?}")),
        },
        ("GET", ["collections", id, "items"]) => {
            if !cat.collections.contains_key(*id) {
                return error(404, format!("no collection {id:?}"));
            }
            let mut pairs = pairs;
            pairs.retain(|(k, _)| k != "collections");
            pairs.push(("collections".into(), id.to_string()));
            search::search_get(cat, path, pairs)
        }
        ("GET", ["search"]) => search::search_get(cat, path, pairs),
        ("POST", ["search"]) => match serde_json::from_slice::<Value>(body) {
            Ok(Value::Object(b)) => search::search_post(cat, b),
            _ => error(400, "the POST body is not a JSON object"),
        },
        (_, [] | ["conformance" | "collections" | "search", ..]) => {
            error(405, format!("{method} is not allowed on {path}"))
        }
        _ => error(404, format!("nothing at {path}")),
    }
}

fn landing(cat: &Catalogue) -> Value {
    let b = &cat.base;
    let mut links = vec![
        json!({"rel": "self", "href": format!("{b}/"), "type": "application/json"}),
        json!({"rel": "root", "href": format!("{b}/"), "type": "application/json"}),
        json!({"rel": "conformance", "href": format!("{b}/conformance"), "type": "application/json"}),
        json!({"rel": "data", "href": format!("{b}/collections"), "type": "application/json"}),
        json!({"rel": "search", "href": format!("{b}/search"), "type": "application/geo+json", "method": "GET"}),
        json!({"rel": "search", "href": format!("{b}/search"), "type": "application/geo+json", "method": "POST"}),
    ];
    for id in cat.collections.keys() {
        links.push(json!({"rel": "child", "href": format!("{b}/collections/{id}"), "type": "application/json"}));
    }
    json!({
        "type": "Catalog",
        "stac_version": "1.0.0",
        "id": "stacpkg-demo",
        "title": "stacpkg demo STAC API",
        "description": "The bundled demo catalogue, served offline on 127.0.0.1.",
        "conformsTo": CONFORMANCE,
        "links": links,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::{
        Interval, LocalFilter, Method, NoProgress, SearchParams, SearchRequest, SearchTarget,
    };
    use futures::StreamExt;

    fn demo_items() -> std::path::PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/demo/items.ndjson")
    }

    async fn collect(api_url: &str, method: Method, params: SearchParams) -> crate::Result<usize> {
        let token = CancellationToken::new();
        let t = SearchTarget::resolve(
            api_url,
            Default::default(),
            Some(method),
            &params,
            &token,
            &NoProgress,
        )
        .await?;
        let request = SearchRequest {
            endpoint: t.endpoint,
            method,
            params,
            max_items: None,
        };
        let mut pages = t.api.search(request, token, Arc::new(NoProgress));
        let mut n = 0;
        while let Some(p) = pages.next().await {
            n += p?.items.len();
        }
        Ok(n)
    }

    #[tokio::test]
    async fn the_engine_client_pages_through_every_item_by_get_and_post() {
        let api = serve(&demo_items()).await.unwrap();
        let limit = |l| SearchParams {
            limit: Some(l),
            ..SearchParams::default()
        };
        assert_eq!(
            collect(&api.url(), Method::Get, limit(50)).await.unwrap(),
            240
        );
        assert_eq!(
            collect(&api.url(), Method::Post, limit(7)).await.unwrap(),
            240
        );
    }

    #[tokio::test]
    async fn filters_match_the_offline_search() {
        let api = serve(&demo_items()).await.unwrap();
        let text = std::fs::read_to_string(demo_items()).unwrap();
        let items: Vec<Map<String, Value>> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        let params = SearchParams {
            bbox: Some(vec![-20.0, -40.0, 60.0, 40.0]),
            datetime: Some(Interval::parse("2018-01-01/..").unwrap()),
            collections: vec!["openaerialmap".into()],
            limit: Some(9),
            ..SearchParams::default()
        };
        let local = LocalFilter::from_params(&params, "t").unwrap();
        let expected = items.iter().filter(|i| local.matches_json(i)).count();
        assert!(expected > 0 && expected < 240, "{expected}");
        let got = collect(&api.url(), Method::Post, params.clone())
            .await
            .unwrap();
        assert_eq!(got, expected);
        assert_eq!(
            collect(&api.url(), Method::Get, params).await.unwrap(),
            expected
        );
    }

    #[tokio::test]
    async fn collections_and_refusals() {
        let api = serve(&demo_items()).await.unwrap();
        let client = crate::search::StacApi::new(&api.url(), Default::default()).unwrap();
        let token = CancellationToken::new();
        let landing = client.landing_page(&token, &NoProgress).await.unwrap();
        let list = client
            .collections(&landing, &token, &NoProgress)
            .await
            .unwrap();
        assert_eq!(list.len(), 1);
        assert_eq!(list[0].id, "openaerialmap");
        assert!(list[0].title.as_deref().unwrap().contains("240 items"));
        let params = SearchParams {
            filter: Some(crate::search::Filter::parse("gsd < 1", None).unwrap()),
            ..SearchParams::default()
        };
        let err = collect(&api.url(), Method::Post, params)
            .await
            .unwrap_err()
            .to_string();
        assert!(err.contains("not supported by the demo API"), "{err}");
        let (status, _) = route(
            "GET",
            "/collections/nope",
            b"",
            &Catalogue {
                base: "http://x".into(),
                items: vec![],
                collections: BTreeMap::new(),
            },
        );
        assert_eq!(status, 404);
    }
}
