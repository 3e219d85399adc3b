//! The HTTP side of a STAC API: requests with retries, timeouts and clear errors.
//!
//! Every request goes through [`StacApi::send_json`], which decides what is worth another try:
//! transport failures (connect, reset, timeout, a body that broke off) and the statuses a busy
//! server sends (408, 429, 5xx) are retried with exponential backoff — or after the server's
//! `Retry-After`, capped so a hostile value cannot park the command for hours. Everything else
//! fails at once with one line naming the request: a 4xx quotes the server's own message
//! (STAC APIs put it in `description`, `detail` or `message`), and a response that is not STAC
//! JSON (an HTML login page, a proxy's error page, plain text) says so instead of a parser error.
//!
//! Headers given by the user (`Authorization`, API keys) are marked sensitive, so they never
//! appear in logs or debug output; logs name only the method and URL.

use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderName, HeaderValue, ACCEPT, CONTENT_TYPE, RETRY_AFTER};
use reqwest::StatusCode;
use serde_json::{Map, Value};
use tokio_util::sync::CancellationToken;
use url::Url;

use super::progress::{RetryReport, SearchProgress};
use crate::{Error, Result};

/// Time allowed to open a connection.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Time allowed for one whole request, response body included (a 500-item page is ~1 MB).
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(120);
/// Retries after the first attempt.
pub const DEFAULT_RETRIES: u32 = 5;
/// First backoff; doubled per attempt (0.5, 1, 2, 4, 8 s for the default 5 retries).
pub const INITIAL_BACKOFF: Duration = Duration::from_millis(500);
/// Longest backoff between two attempts.
pub const MAX_BACKOFF: Duration = Duration::from_secs(30);
/// Longest `Retry-After` honoured; a longer one is cut to this.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(120);
/// Largest response body accepted: 256 MiB is ~100,000 OpenAerialMap items in one page, far
/// beyond any sane `limit`; it bounds memory against a server streaming without end.
pub const MAX_RESPONSE_BYTES: usize = 256 * 1024 * 1024;
/// Bytes of an error body kept for the message.
const ERROR_BODY_BYTES: usize = 64 * 1024;

/// How failed requests are retried.
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    /// Retries after the first attempt (0 = no retries).
    pub retries: u32,
    /// First backoff, doubled per attempt.
    pub initial_backoff: Duration,
    /// Cap on one backoff.
    pub max_backoff: Duration,
    /// Cap on a server's `Retry-After`.
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            retries: DEFAULT_RETRIES,
            initial_backoff: INITIAL_BACKOFF,
            max_backoff: MAX_BACKOFF,
            max_retry_after: MAX_RETRY_AFTER,
        }
    }
}

impl RetryPolicy {
    fn backoff(&self, attempt: u32) -> Duration {
        let factor = 1u32 << attempt.saturating_sub(1).min(16);
        self.initial_backoff
            .saturating_mul(factor)
            .min(self.max_backoff)
    }
}

/// How to talk to the server.
#[derive(Debug, Clone)]
pub struct ClientOptions {
    /// Extra request headers (`Authorization`, API keys), sent with every request.
    pub headers: Vec<(String, String)>,
    /// Retry policy.
    pub retry: RetryPolicy,
    /// Connect timeout.
    pub connect_timeout: Duration,
    /// Whole-request timeout.
    pub request_timeout: Duration,
}

impl Default for ClientOptions {
    fn default() -> Self {
        Self {
            headers: Vec::new(),
            retry: RetryPolicy::default(),
            connect_timeout: CONNECT_TIMEOUT,
            request_timeout: REQUEST_TIMEOUT,
        }
    }
}

/// HTTP method of a search request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// Parameters in the query string.
    Get,
    /// Parameters in a JSON body.
    Post,
}

impl Method {
    /// `GET` or `POST`.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
        }
    }
}

/// One request, as the pager follows `next` links.
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    /// Method.
    pub method: Method,
    /// Full URL (a GET carries its query here).
    pub url: Url,
    /// JSON body of a POST.
    pub body: Option<Map<String, Value>>,
    /// Headers a `next` link asked for.
    pub headers: Vec<(String, String)>,
}

impl Request {
    /// A GET of `url`.
    pub fn get(url: Url) -> Self {
        Self {
            method: Method::Get,
            url,
            body: None,
            headers: Vec::new(),
        }
    }

    /// `GET http://…` / `POST http://…`, for messages.
    pub fn describe(&self) -> String {
        format!("{} {}", self.method.as_str(), self.url)
    }
}

/// A client for one STAC API.
#[derive(Debug, Clone)]
pub struct StacApi {
    http: reqwest::Client,
    root: Url,
    retry: RetryPolicy,
}

/// Why one attempt failed.
enum Failure {
    /// Worth another attempt (after the server's Retry-After, if any).
    Retry {
        reason: String,
        retry_after: Option<Duration>,
        error: Error,
    },
    /// Final.
    Fatal(Error),
}

impl StacApi {
    /// A client for the API at `url` (its landing page, or its `/search` endpoint).
    pub fn new(url: &str, options: ClientOptions) -> Result<Self> {
        let mut root = Url::parse(url).map_err(|e| {
            Error::input(
                url,
                format!("is not a URL ({e}); give the STAC API root, e.g. https://earth-search.aws.element84.com/v1"),
            )
        })?;
        if !matches!(root.scheme(), "http" | "https") {
            return Err(Error::input(
                url,
                "is not an http(s) URL; give the STAC API root",
            ));
        }
        if !root.path().ends_with('/') {
            let path = format!("{}/", root.path());
            root.set_path(&path);
        }
        let mut headers = HeaderMap::new();
        headers.insert(
            ACCEPT,
            HeaderValue::from_static("application/geo+json, application/json;q=0.9, */*;q=0.1"),
        );
        for (name, value) in &options.headers {
            let (name, value) = header_pair(name, value)?;
            headers.append(name, value);
        }
        let http = reqwest::Client::builder()
            .user_agent(concat!("stacpkg/", env!("CARGO_PKG_VERSION")))
            .default_headers(headers)
            .connect_timeout(options.connect_timeout)
            .timeout(options.request_timeout)
            .build()
            .map_err(|e| Error::Http {
                context: "creating the HTTP client".into(),
                source: e,
            })?;
        Ok(Self {
            http,
            root,
            retry: options.retry,
        })
    }

    /// The API root URL (always ends with `/`).
    pub fn root(&self) -> &Url {
        &self.root
    }

    /// Sends `request` (retrying as the policy says) and parses the JSON response.
    /// `what` names the request in errors (`page 3 of POST http://…/search`).
    pub async fn send_json(
        &self,
        request: &Request,
        what: &str,
        cancel: &CancellationToken,
        progress: &dyn SearchProgress,
    ) -> Result<Value> {
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            let outcome = tokio::select! {
                biased;
                _ = cancel.cancelled() => return Err(Error::Cancelled),
                outcome = self.attempt(request, what) => outcome,
            };
            let (reason, retry_after, error) = match outcome {
                Ok(value) => return Ok(value),
                Err(Failure::Fatal(e)) => return Err(e),
                Err(Failure::Retry {
                    reason,
                    retry_after,
                    error,
                }) => (reason, retry_after, error),
            };
            if attempt > self.retry.retries {
                return Err(match error {
                    Error::Http { context, source } => Error::Http {
                        context: format!("{context} (after {attempt} attempts)"),
                        source,
                    },
                    Error::Api { url, message } => Error::Api {
                        url,
                        message: format!("{message} (after {attempt} attempts)"),
                    },
                    other => other,
                });
            }
            let delay = retry_after.map_or_else(
                || self.retry.backoff(attempt),
                |d| d.min(self.retry.max_retry_after),
            );
            tracing::debug!("{what}: attempt {attempt} failed ({reason}); retrying in {delay:?}");
            progress.retry(&RetryReport {
                request: what.to_string(),
                attempt,
                reason,
                delay,
            });
            tokio::select! {
                biased;
                _ = cancel.cancelled() => return Err(Error::Cancelled),
                _ = tokio::time::sleep(delay) => {}
            }
        }
    }

    async fn attempt(&self, request: &Request, what: &str) -> Result<Value, Failure> {
        tracing::debug!("{what}");
        let mut builder = match request.method {
            Method::Get => self.http.get(request.url.clone()),
            Method::Post => self
                .http
                .post(request.url.clone())
                .json(request.body.as_ref().unwrap_or(&Map::new())),
        };
        for (name, value) in &request.headers {
            if let Ok((name, value)) = header_pair(name, value) {
                builder = builder.header(name, value);
            }
        }
        let transport = |e: reqwest::Error, doing: &str| Failure::Retry {
            reason: transport_reason(&e),
            retry_after: None,
            error: Error::Http {
                context: format!("{what}: {doing}"),
                source: e,
            },
        };
        let mut response = builder
            .send()
            .await
            .map_err(|e| transport(e, "request failed"))?;
        let status = response.status();
        let content_type = response
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_ascii_lowercase();
        let expected_len = response.content_length();
        if !status.is_success() {
            let retry_after = response
                .headers()
                .get(RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(parse_retry_after);
            let body = read_limited(&mut response, ERROR_BODY_BYTES)
                .await
                .unwrap_or_default();
            let message = format!(
                "HTTP {}{}",
                status_text(status),
                server_message(&body, &content_type)
                    .map(|m| format!(": {m}"))
                    .unwrap_or_default()
            );
            let error = Error::api(what, format!("{message}{}", status_hint(status)));
            if status.is_server_error()
                || status == StatusCode::TOO_MANY_REQUESTS
                || status == StatusCode::REQUEST_TIMEOUT
            {
                return Err(Failure::Retry {
                    reason: format!("HTTP {}", status_text(status)),
                    retry_after,
                    error,
                });
            }
            return Err(Failure::Fatal(error));
        }
        let mut body = Vec::with_capacity(expected_len.unwrap_or(64 * 1024).min(64 << 20) as usize);
        loop {
            match response.chunk().await {
                Ok(Some(chunk)) => {
                    if body.len() + chunk.len() > MAX_RESPONSE_BYTES {
                        return Err(Failure::Fatal(Error::api(
                            what,
                            format!(
                                "the response is larger than {} MiB; ask for smaller pages with --limit",
                                MAX_RESPONSE_BYTES >> 20
                            ),
                        )));
                    }
                    body.extend_from_slice(&chunk);
                }
                Ok(None) => break,
                Err(e) => {
                    let got = body.len();
                    let of = expected_len.map(|n| format!(" of {n}")).unwrap_or_default();
                    return Err(Failure::Retry {
                        reason: format!("response broke off after {got}{of} bytes"),
                        retry_after: None,
                        error: Error::api(
                            what,
                            format!(
                                "the response broke off after {got}{of} bytes ({}); the connection to the server was lost mid-page",
                                transport_reason(&e)
                            ),
                        ),
                    });
                }
            }
        }
        if content_type.starts_with("text/html") || looks_like_html(&body) {
            return Err(Failure::Fatal(Error::api(
                what,
                "is not a STAC API response: the server sent an HTML page; give the STAC API root URL (its landing page is JSON with `links`)",
            )));
        }
        match serde_json::from_slice::<Value>(&body) {
            Ok(v) => Ok(v),
            Err(e) if e.is_eof() => Err(Failure::Retry {
                reason: format!("response ended early after {} bytes", body.len()),
                retry_after: None,
                error: Error::api(
                    what,
                    format!(
                        "the response ended early: its JSON is cut off after {} bytes ({e})",
                        body.len()
                    ),
                ),
            }),
            Err(e) => Err(Failure::Fatal(Error::api(
                what,
                format!(
                    "is not a STAC API response: not JSON ({e}){}",
                    if content_type.is_empty() {
                        String::new()
                    } else {
                        format!(", content-type {content_type}")
                    }
                ),
            ))),
        }
    }
}

/// A header from user text; the value is marked sensitive so it never shows in logs.
pub fn header_pair(name: &str, value: &str) -> Result<(HeaderName, HeaderValue)> {
    let bad = |why: String| Error::input(format!("header {name:?}"), why);
    let name = HeaderName::from_bytes(name.trim().as_bytes())
        .map_err(|_| bad("is not a valid header name".into()))?;
    let mut value = HeaderValue::from_str(value.trim())
        .map_err(|_| bad("has a value that is not valid in a header".into()))?;
    value.set_sensitive(true);
    Ok((name, value))
}

fn status_text(status: StatusCode) -> String {
    match status.canonical_reason() {
        Some(r) => format!("{} {r}", status.as_u16()),
        None => status.as_u16().to_string(),
    }
}

fn status_hint(status: StatusCode) -> &'static str {
    match status {
        StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => {
            " (pass credentials with --header 'Authorization: Bearer …' or the API's key header)"
        }
        StatusCode::NOT_FOUND => " (is the URL the STAC API root?)",
        _ => "",
    }
}

fn transport_reason(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        "timed out".into()
    } else if e.is_connect() {
        "could not connect".into()
    } else {
        // The innermost cause is the most specific ("connection reset by peer").
        let mut cause: &dyn std::error::Error = e;
        while let Some(next) = cause.source() {
            cause = next;
        }
        cause.to_string()
    }
}

/// `Retry-After` as seconds or an HTTP date.
fn parse_retry_after(text: &str) -> Option<Duration> {
    let text = text.trim();
    if let Ok(secs) = text.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = chrono::DateTime::parse_from_rfc2822(text).ok()?;
    let now = chrono::Utc::now();
    let delta = when.with_timezone(&chrono::Utc) - now;
    Some(delta.to_std().unwrap_or(Duration::ZERO))
}

async fn read_limited(response: &mut reqwest::Response, limit: usize) -> Option<Vec<u8>> {
    let mut body = Vec::new();
    while let Ok(Some(chunk)) = response.chunk().await {
        body.extend_from_slice(&chunk);
        if body.len() >= limit {
            body.truncate(limit);
            break;
        }
    }
    Some(body)
}

fn looks_like_html(body: &[u8]) -> bool {
    let head = &body[..body.len().min(256)];
    let text = String::from_utf8_lossy(head)
        .trim_start()
        .to_ascii_lowercase();
    text.starts_with("<!doctype html") || text.starts_with("<html")
}

/// The server's own words from an error body: a JSON `description`/`detail`/`message`, or
/// the start of a plain-text body.
fn server_message(body: &[u8], content_type: &str) -> Option<String> {
    if body.is_empty() {
        return None;
    }
    if let Ok(Value::Object(obj)) = serde_json::from_slice::<Value>(body) {
        for key in ["description", "detail", "message", "error", "title"] {
            match obj.get(key) {
                Some(Value::String(s)) if !s.trim().is_empty() => return Some(clip(s.trim())),
                Some(v @ (Value::Object(_) | Value::Array(_))) => {
                    return Some(clip(&v.to_string()))
                }
                _ => {}
            }
        }
        return Some(clip(&Value::Object(obj).to_string()));
    }
    if content_type.starts_with("text/html") || looks_like_html(body) {
        return Some("(an HTML page)".into());
    }
    let text = String::from_utf8_lossy(body);
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    (!text.is_empty()).then(|| clip(&text))
}

fn clip(s: &str) -> String {
    const MAX_CHARS: usize = 300;
    if s.chars().count() <= MAX_CHARS {
        s.to_string()
    } else {
        format!("{}…", s.chars().take(MAX_CHARS).collect::<String>())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_forms() {
        assert_eq!(parse_retry_after("2"), Some(Duration::from_secs(2)));
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon"), None);
    }

    #[test]
    fn backoff_doubles_and_caps() {
        let p = RetryPolicy::default();
        assert_eq!(p.backoff(1), Duration::from_millis(500));
        assert_eq!(p.backoff(3), Duration::from_secs(2));
        assert_eq!(p.backoff(40), MAX_BACKOFF);
    }

    #[test]
    fn server_messages() {
        let m = server_message(br#"{"code":"BadRequest","description":"bad bbox"}"#, "");
        assert_eq!(m.as_deref(), Some("bad bbox"));
        let m = server_message(b"invalid digit found in string", "text/plain");
        assert_eq!(m.as_deref(), Some("invalid digit found in string"));
        let m = server_message(b"<!DOCTYPE html><html>", "");
        assert_eq!(m.as_deref(), Some("(an HTML page)"));
        assert_eq!(server_message(b"", ""), None);
    }

    #[test]
    fn headers_are_sensitive() {
        let (_, v) = header_pair("Authorization", "Bearer secret").unwrap();
        assert!(v.is_sensitive());
        assert!(!format!("{v:?}").contains("secret"));
        assert!(header_pair("bad name", "x").is_err());
    }

    #[test]
    fn root_gets_trailing_slash() {
        let api = StacApi::new("http://127.0.0.1:1/stac", ClientOptions::default()).unwrap();
        assert_eq!(api.root().as_str(), "http://127.0.0.1:1/stac/");
        assert!(StacApi::new("ftp://x", ClientOptions::default()).is_err());
        assert!(StacApi::new("not a url", ClientOptions::default()).is_err());
    }
}
