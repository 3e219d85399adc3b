//! Timeouts and retries for every store request.
//!
//! `object_store` already retries idempotent requests with exponential backoff and jitter on
//! 5xx, 429, 408, connection resets and timeouts ([`retry_config`]). What it does not do is
//! honour `Retry-After`: a server that says "come back in 2 s" gets hammered after 100 ms. The
//! [`RetryAfterConnector`] wraps the reqwest client and, for a 429 or 503 carrying a
//! `Retry-After` of at most [`MAX_RETRY_AFTER`], waits that long and sends the request again (up
//! to [`RETRY_AFTER_ATTEMPTS`] times) before `object_store`'s own loop sees the response.
//!
//! Timeouts ([`client_options`]): connecting is bounded by [`CONNECT_TIMEOUT`]; a response that
//! stops sending (a stalled body) by [`READ_TIMEOUT`] between reads; a HEAD as a whole by
//! [`HEAD_TIMEOUT`]. GETs for copies have no whole-request limit (a 50 GB object may take
//! hours) but the same per-read limit, so a stall never hangs a command.

use std::time::Duration;

use object_store::client::{
    HttpClient, HttpConnector, HttpError, HttpRequest, HttpResponse, HttpService, ReqwestConnector,
};
use object_store::{BackoffConfig, ClientOptions, RetryConfig};

/// Longest wait to establish a connection.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Longest silence between two reads of a response.
pub const READ_TIMEOUT: Duration = Duration::from_secs(20);
/// Longest a whole metadata request (HEAD, PUT of one part, …) may take.
pub const HEAD_TIMEOUT: Duration = Duration::from_secs(30);
/// Retries of one request after the first attempt (object_store's loop).
pub const MAX_RETRIES: usize = 4;
/// Time after which no further retry starts.
pub const RETRY_TIMEOUT: Duration = Duration::from_secs(60);
/// Longest `Retry-After` honoured; longer ones fall back to the backoff.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(30);
/// Times one request is re-sent because of a `Retry-After`.
pub const RETRY_AFTER_ATTEMPTS: usize = 3;

/// The retry policy for store requests: 100 ms doubling to 5 s, 4 retries, 60 s in total.
pub fn retry_config() -> RetryConfig {
    RetryConfig {
        backoff: BackoffConfig {
            init_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(5),
            base: 2.0,
        },
        max_retries: MAX_RETRIES,
        retry_timeout: RETRY_TIMEOUT,
    }
}

/// Client options: the timeouts above, plain http allowed when `allow_http`. `streaming` drops
/// the whole-request timeout (bulk GET/PUT of large objects), keeping the per-read one.
pub fn client_options(allow_http: bool, streaming: bool) -> ClientOptions {
    let options = ClientOptions::new()
        .with_allow_http(allow_http)
        .with_connect_timeout(CONNECT_TIMEOUT)
        .with_read_timeout(READ_TIMEOUT)
        .with_pool_idle_timeout(Duration::from_secs(30));
    if streaming {
        options.with_timeout_disabled()
    } else {
        options.with_timeout(HEAD_TIMEOUT)
    }
}

/// Builds reqwest clients that honour `Retry-After`.
#[derive(Debug, Default, Clone, Copy)]
pub struct RetryAfterConnector;

impl HttpConnector for RetryAfterConnector {
    fn connect(&self, options: &ClientOptions) -> object_store::Result<HttpClient> {
        let inner = ReqwestConnector::default().connect(options)?;
        Ok(HttpClient::new(RetryAfterService { inner }))
    }
}

#[derive(Debug)]
struct RetryAfterService {
    inner: HttpClient,
}

/// The wait a `Retry-After` header asks for: delta-seconds or an HTTP date.
pub fn retry_after(headers: &http::HeaderMap) -> Option<Duration> {
    let value = headers
        .get(http::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let when = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    let wait = when.signed_duration_since(chrono::Utc::now());
    Some(wait.to_std().unwrap_or(Duration::ZERO))
}

#[async_trait::async_trait]
impl HttpService for RetryAfterService {
    async fn call(&self, request: HttpRequest) -> Result<HttpResponse, HttpError> {
        let (parts, body) = request.into_parts();
        let mut attempt = 0;
        loop {
            let mut builder = http::Request::builder()
                .method(parts.method.clone())
                .uri(parts.uri.clone())
                .version(parts.version);
            if let Some(headers) = builder.headers_mut() {
                *headers = parts.headers.clone();
            }
            let request = builder
                .body(body.clone())
                .expect("a request rebuilt from valid parts is valid");
            let response = self.inner.execute(request).await?;
            let status = response.status().as_u16();
            if attempt < RETRY_AFTER_ATTEMPTS && (status == 429 || status == 503) {
                if let Some(wait) = retry_after(response.headers()) {
                    if wait <= MAX_RETRY_AFTER {
                        tracing::debug!(
                            "{status} from {} with Retry-After {wait:?}; waiting",
                            parts.uri.host().unwrap_or("server")
                        );
                        drop(response);
                        tokio::time::sleep(wait).await;
                        attempt += 1;
                        continue;
                    }
                }
            }
            return Ok(response);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_retry_after() {
        let mut headers = http::HeaderMap::new();
        assert_eq!(retry_after(&headers), None);
        headers.insert(http::header::RETRY_AFTER, "2".parse().unwrap());
        assert_eq!(retry_after(&headers), Some(Duration::from_secs(2)));
        headers.insert(
            http::header::RETRY_AFTER,
            "Wed, 21 Oct 2015 07:28:00 GMT".parse().unwrap(),
        );
        assert_eq!(retry_after(&headers), Some(Duration::ZERO));
        headers.insert(http::header::RETRY_AFTER, "soon".parse().unwrap());
        assert_eq!(retry_after(&headers), None);
    }
}
