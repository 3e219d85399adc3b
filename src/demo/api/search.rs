//! The demo API's `/search` (GET and POST): parameters parsed with the engine's parsers,
//! matching by the engine's offline filter ([`LocalFilter`]), paging by an offset `token`.

use serde_json::{json, Map, Value};

use super::{error, Catalogue, Reply, DEFAULT_LIMIT, MAX_LIMIT};
use crate::search::params::parse_bbox;
use crate::search::{Interval, LocalFilter, SearchParams};

/// Parameters only a full server applies.
const UNSUPPORTED: [&str; 6] = [
    "filter",
    "filter-lang",
    "query",
    "sortby",
    "intersects",
    "fields",
];

fn unsupported(key: &str) -> Reply {
    error(
        400,
        format!(
            "{key} is not supported by the demo API (it filters by collections, ids, bbox and \
             datetime, like `stacpkg search FILE`)"
        ),
    )
}

/// What one search asks for.
struct Query {
    params: SearchParams,
    limit: usize,
    offset: usize,
}

fn limit_of(n: Option<u64>) -> Result<usize, Reply> {
    match n {
        None => Ok(DEFAULT_LIMIT),
        Some(0) => Err(error(400, "limit must be at least 1")),
        Some(n) => Ok((n as usize).min(MAX_LIMIT)),
    }
}

fn token_of(text: Option<&str>) -> Result<usize, Reply> {
    text.map_or(Ok(0), |t| {
        t.parse()
            .map_err(|_| error(400, format!("token {t:?} is not one this server gave")))
    })
}

pub(super) fn search_get(cat: &Catalogue, path: &str, pairs: Vec<(String, String)>) -> Reply {
    let get = |k: &str| {
        pairs
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.as_str())
    };
    if let Some((k, _)) = pairs
        .iter()
        .find(|(k, _)| UNSUPPORTED.contains(&k.as_str()))
    {
        return unsupported(k);
    }
    let list = |k: &str| -> Vec<String> {
        get(k)
            .map(|v| {
                v.split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(String::from)
                    .collect()
            })
            .unwrap_or_default()
    };
    let query = (|| -> Result<Query, Reply> {
        let limit = match get("limit") {
            None => None,
            Some(l) => Some(
                l.parse::<u64>()
                    .map_err(|_| error(400, format!("limit {l:?} is not a number")))?,
            ),
        };
        Ok(Query {
            params: SearchParams {
                collections: list("collections"),
                ids: list("ids"),
                bbox: get("bbox")
                    .map(parse_bbox)
                    .transpose()
                    .map_err(|e| error(400, e.to_string()))?,
                datetime: get("datetime")
                    .map(Interval::parse)
                    .transpose()
                    .map_err(|e| error(400, e.to_string()))?,
                ..SearchParams::default()
            },
            limit: limit_of(limit)?,
            offset: token_of(get("token"))?,
        })
    })();
    let query = match query {
        Ok(q) => q,
        Err(reply) => return reply,
    };
    let next = |offset: usize| {
        let mut url = url::Url::parse(&format!("{}{path}", cat.base)).expect("base URL parses");
        {
            let mut q = url.query_pairs_mut();
            for (k, v) in pairs.iter().filter(|(k, _)| k != "token") {
                q.append_pair(k, v);
            }
            q.append_pair("token", &offset.to_string());
        }
        json!({"rel": "next", "href": url.as_str(), "type": "application/geo+json", "method": "GET"})
    };
    page(cat, &query, next)
}

pub(super) fn search_post(cat: &Catalogue, body: Map<String, Value>) -> Reply {
    if let Some(k) = body.keys().find(|k| UNSUPPORTED.contains(&k.as_str())) {
        return unsupported(k);
    }
    let strings = |k: &str| -> Result<Vec<String>, Reply> {
        match body.get(k) {
            None | Some(Value::Null) => Ok(Vec::new()),
            Some(Value::Array(a)) => a
                .iter()
                .map(|v| {
                    v.as_str()
                        .map(String::from)
                        .ok_or_else(|| error(400, format!("{k} must be an array of strings")))
                })
                .collect(),
            Some(_) => Err(error(400, format!("{k} must be an array of strings"))),
        }
    };
    let query = (|| -> Result<Query, Reply> {
        let bbox = match body.get("bbox") {
            None | Some(Value::Null) => None,
            Some(Value::Array(a)) => {
                let text = a.iter().map(Value::to_string).collect::<Vec<_>>().join(",");
                Some(parse_bbox(&text).map_err(|e| error(400, e.to_string()))?)
            }
            Some(_) => return Err(error(400, "bbox must be an array of numbers")),
        };
        let datetime = match body.get("datetime") {
            None | Some(Value::Null) => None,
            Some(Value::String(d)) => {
                Some(Interval::parse(d).map_err(|e| error(400, e.to_string()))?)
            }
            Some(_) => return Err(error(400, "datetime must be a string")),
        };
        let limit = match body.get("limit") {
            None | Some(Value::Null) => None,
            Some(v) => Some(
                v.as_u64()
                    .ok_or_else(|| error(400, "limit must be a whole number"))?,
            ),
        };
        let token = match body.get("token") {
            Some(Value::Number(n)) => Some(n.to_string()),
            Some(Value::String(s)) => Some(s.clone()),
            _ => None,
        };
        Ok(Query {
            params: SearchParams {
                collections: strings("collections")?,
                ids: strings("ids")?,
                bbox,
                datetime,
                ..SearchParams::default()
            },
            limit: limit_of(limit)?,
            offset: token_of(token.as_deref())?,
        })
    })();
    let query = match query {
        Ok(q) => q,
        Err(reply) => return reply,
    };
    let href = format!("{}/search", cat.base);
    let next = |offset: usize| {
        json!({"rel": "next", "href": href, "type": "application/geo+json", "method": "POST",
               "body": {"token": offset.to_string()}, "merge": true})
    };
    page(cat, &query, next)
}

/// One page of the items the engine's offline filter keeps.
fn page(cat: &Catalogue, query: &Query, next: impl Fn(usize) -> Value) -> Reply {
    let filter = match LocalFilter::from_params(&query.params, "search") {
        Ok(f) => f,
        Err(e) => return error(400, e.to_string()),
    };
    let matched: Vec<&Map<String, Value>> = cat
        .items
        .iter()
        .filter(|i| filter.matches_json(i))
        .collect();
    let end = (query.offset + query.limit).min(matched.len());
    let features: Vec<&Map<String, Value>> = matched[query.offset.min(end)..end].to_vec();
    let mut links =
        vec![json!({"rel": "root", "href": format!("{}/", cat.base), "type": "application/json"})];
    if end < matched.len() {
        links.push(next(end));
    }
    (
        200,
        json!({
            "type": "FeatureCollection",
            "numberMatched": matched.len(),
            "numberReturned": features.len(),
            "features": features,
            "links": links,
        }),
    )
}
