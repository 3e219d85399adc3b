//! href ⇄ location: where an asset's bytes live, as lock columns.
//!
//! The mapping is the Python stacpkg 0.1.4's (docs/COMPATIBILITY.md, "Href and location
//! mapping"), so locks written by either tool mean the same thing, with these deliberate
//! differences (same page, "Rough edges we fix": relative file hrefs, plain http hrefs, signed
//! URLs, endpoints without a scheme, unknown href schemes):
//!
//! * **Relative file keys** (`data/a.tif`, `./a.tif`) stay relative in the lock, as written in
//!   the item, but I/O resolves them against a documented base directory — the working
//!   directory unless the caller passes another (a package root) — never the filesystem root.
//! * **Signed URLs never enter a lock.** An http(s) href whose query carries a signature or
//!   credential (`X-Amz-Signature`, `X-Amz-Credential`, `X-Goog-Signature`, `GoogleAccessId`,
//!   Azure SAS `sig`/`se`, …) is refused with [`HrefError::SignedUrl`]. With the explicit
//!   opt-in [`HrefOptions::allow_signed_urls`] the whole query is stripped and the object is
//!   locked by its plain URL. Other queries (`?format=png`) keep the Python layout: the whole
//!   href is the container and the key is `""`.
//! * **Unknown schemes** (`ftp://…`) get one answer everywhere: [`HrefError::UnsupportedScheme`]
//!   from [`parse_href`], and, where a row must still be written (`--keep-going`, legacy `href`
//!   columns), the parts `store_type = null, store_container = null, key = <the href>`
//!   ([`parse_href_lenient`]).
//! * **`file://` URIs are percent-decoded** into the key (`file:///a%20b` → `/a b`) and
//!   percent-encoded again when rebuilt, so a rebuilt href names the same file.
//! * **Endpoints** without a scheme get `https://` (`minio.local:9000` →
//!   `https://minio.local:9000`; Python left that one unprefixed). Write `http://` explicitly for
//!   plain-HTTP endpoints.

use std::fmt;
use std::path::{Path, PathBuf};

use percent_encoding::{percent_decode_str, utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

/// The storage backends a lock row can name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum StoreType {
    /// Local filesystem.
    File,
    /// Amazon S3 or an S3-compatible store.
    S3,
    /// Google Cloud Storage.
    Gs,
    /// Azure Blob Storage / ADLS Gen2.
    Az,
    /// Plain HTTP.
    Http,
    /// HTTPS.
    Https,
}

impl StoreType {
    /// Every store type, in the order the CLI lists them.
    pub const ALL: [StoreType; 6] = [
        StoreType::File,
        StoreType::S3,
        StoreType::Gs,
        StoreType::Az,
        StoreType::Http,
        StoreType::Https,
    ];

    /// Normalises a `store_type` value through the aliases (`local`, `s3a`, `gcs`, `abfs`, …),
    /// trimmed and case-insensitively; `None` for anything else.
    pub fn normalise(value: &str) -> Option<StoreType> {
        Some(match value.trim().to_ascii_lowercase().as_str() {
            "local" | "file" => StoreType::File,
            "s3" | "s3a" => StoreType::S3,
            "gs" | "gcs" => StoreType::Gs,
            "az" | "abfs" | "abfss" => StoreType::Az,
            "http" => StoreType::Http,
            "https" => StoreType::Https,
            _ => return None,
        })
    }

    /// The canonical column value.
    pub fn as_str(self) -> &'static str {
        match self {
            StoreType::File => "file",
            StoreType::S3 => "s3",
            StoreType::Gs => "gs",
            StoreType::Az => "az",
            StoreType::Http => "http",
            StoreType::Https => "https",
        }
    }

    /// Whether objects are addressed by container (bucket) plus key.
    pub fn is_bucket(self) -> bool {
        matches!(self, StoreType::S3 | StoreType::Gs | StoreType::Az)
    }

    /// Whether this is http or https.
    pub fn is_http(self) -> bool {
        matches!(self, StoreType::Http | StoreType::Https)
    }
}

impl fmt::Display for StoreType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The href schemes that map to a store.
pub const SUPPORTED_SCHEMES: &str = "file, http, https, s3, s3a, gs, gcs, az, abfs, abfss";

/// Query parameters (lower-cased) that make a URL a signed one: AWS SigV4 and SigV2, GCS V4 and
/// V2, Azure SAS.
const SIGNED_QUERY_PARAMS: [&str; 12] = [
    "x-amz-signature",
    "x-amz-credential",
    "x-amz-security-token",
    "awsaccesskeyid",
    "signature",
    "x-goog-signature",
    "x-goog-credential",
    "googleaccessid",
    "sig",
    "se",
    "skoid",
    "x-ms-signature",
];

/// How hrefs are turned into locations.
#[derive(Debug, Clone, Copy, Default)]
pub struct HrefOptions {
    /// Lock signed http(s) URLs by their plain URL (query stripped) instead of refusing them.
    pub allow_signed_urls: bool,
}

/// Why an href has no location.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HrefError {
    /// The scheme maps to no store.
    #[error("unsupported href scheme `{scheme}` (supported: {SUPPORTED_SCHEMES})")]
    UnsupportedScheme {
        /// The scheme, lower-cased.
        scheme: String,
    },
    /// A signed URL, whose signature must not be stored.
    #[error(
        "{href} is a signed URL (query parameter `{param}`); signatures expire and grant access, \
         so they are never written into a lock: use the unsigned URL, or pass --allow-signed-urls \
         to lock it without its query string"
    )]
    SignedUrl {
        /// The href with its query redacted.
        href: String,
        /// The parameter that gave it away.
        param: String,
    },
}

/// The location columns parsed from an href (store_endpoint_url comes from elsewhere).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HrefParts {
    /// Normalised store type; `None` for an empty href or an unknown scheme.
    pub store_type: Option<StoreType>,
    /// Bucket/container, http origin, or `None` (file).
    pub store_container: Option<String>,
    /// Object key or file path.
    pub key: Option<String>,
}

/// An href split like Python's `urlparse` (enough of it for locations).
struct SplitUrl<'a> {
    scheme: Option<String>,
    netloc: &'a str,
    path: &'a str,
    query: &'a str,
}

fn split_url(href: &str) -> SplitUrl<'_> {
    let mut scheme = None;
    let mut rest = href;
    if let Some(colon) = href.find(':') {
        let candidate = &href[..colon];
        let valid = candidate
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic())
            && candidate
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
        if valid {
            scheme = Some(candidate.to_ascii_lowercase());
            rest = &href[colon + 1..];
        }
    }
    let mut netloc = "";
    if let Some(after) = rest.strip_prefix("//") {
        let end = after.find(['/', '?', '#']).unwrap_or(after.len());
        netloc = &after[..end];
        rest = &after[end..];
    }
    let rest = rest.split('#').next().unwrap_or("");
    let (path, query) = match rest.split_once('?') {
        Some((p, q)) => (p, q),
        None => (rest, ""),
    };
    SplitUrl {
        scheme,
        netloc,
        path,
        query,
    }
}

/// The first query parameter that marks a signed URL.
fn signed_param(query: &str) -> Option<String> {
    query.split('&').find_map(|pair| {
        let name = pair.split('=').next().unwrap_or("");
        let name = percent_decode_str(name)
            .decode_utf8_lossy()
            .to_ascii_lowercase();
        SIGNED_QUERY_PARAMS
            .contains(&name.as_str())
            .then(|| pair.split('=').next().unwrap_or("").to_string())
    })
}

/// Replaces an href's query string with `<redacted>`, for messages and logs.
pub fn redact(href: &str) -> String {
    match href.split_once('?') {
        Some((base, _)) => format!("{base}?<redacted>"),
        None => href.to_string(),
    }
}

/// Parses an href into location parts (docs/COMPATIBILITY.md, "Href and location mapping"),
/// refusing unknown schemes and signed URLs.
pub fn parse_href(href: &str, options: HrefOptions) -> Result<HrefParts, HrefError> {
    if href.is_empty() {
        return Ok(HrefParts::default());
    }
    let url = split_url(href);
    let Some(scheme) = url.scheme else {
        return Ok(HrefParts {
            store_type: Some(StoreType::File),
            store_container: None,
            key: Some(href.to_string()),
        });
    };
    let non_empty = |s: &str| (!s.is_empty()).then(|| s.to_string());
    match scheme.as_str() {
        "file" => Ok(HrefParts {
            store_type: Some(StoreType::File),
            store_container: None,
            key: Some(
                percent_decode_str(url.path)
                    .decode_utf8_lossy()
                    .into_owned(),
            ),
        }),
        "s3" | "s3a" | "gs" | "gcs" | "az" | "abfs" | "abfss" => Ok(HrefParts {
            store_type: StoreType::normalise(&scheme),
            store_container: non_empty(url.netloc),
            key: Some(url.path.trim_start_matches('/').to_string()),
        }),
        "http" | "https" => {
            let store_type = StoreType::normalise(&scheme);
            if !url.query.is_empty() {
                if let Some(param) = signed_param(url.query) {
                    if !options.allow_signed_urls {
                        return Err(HrefError::SignedUrl {
                            href: redact(href),
                            param,
                        });
                    }
                } else {
                    // A plain query is part of the object's address (Python layout).
                    return Ok(HrefParts {
                        store_type,
                        store_container: Some(href.to_string()),
                        key: Some(String::new()),
                    });
                }
            }
            Ok(HrefParts {
                store_type,
                store_container: Some(format!("{scheme}://{}", url.netloc)),
                key: Some(url.path.trim_start_matches('/').to_string()),
            })
        }
        _ => Err(HrefError::UnsupportedScheme { scheme }),
    }
}

/// Like [`parse_href`], but an href with an unknown scheme still yields parts: no store type,
/// no container, the whole href as key. Signed URLs are still refused.
pub fn parse_href_lenient(href: &str, options: HrefOptions) -> Result<HrefParts, HrefError> {
    match parse_href(href, options) {
        Err(HrefError::UnsupportedScheme { .. }) => Ok(HrefParts {
            store_type: None,
            store_container: None,
            key: Some(href.to_string()),
        }),
        other => other,
    }
}

/// Characters kept unencoded in a rebuilt `file://` path (as Python's `Path.as_uri`).
const FILE_PATH_KEEP: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'/')
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// Rebuilds the href of a location (docs/COMPATIBILITY.md, "Href and location mapping");
/// `None` when the parts do not name an object.
pub fn href_from_parts(
    store_type: Option<StoreType>,
    container: Option<&str>,
    key: Option<&str>,
) -> Option<String> {
    let key = key?;
    let container = container.filter(|c| !c.is_empty());
    match store_type? {
        StoreType::File => {
            if key.is_empty() {
                None
            } else if key.starts_with('/') {
                Some(format!(
                    "file://{}",
                    utf8_percent_encode(key, FILE_PATH_KEEP)
                ))
            } else {
                Some(key.to_string())
            }
        }
        t @ (StoreType::S3 | StoreType::Gs | StoreType::Az) => Some(format!(
            "{t}://{}/{}",
            container?,
            key.trim_start_matches('/')
        )),
        StoreType::Http | StoreType::Https => {
            let container = container?;
            if key.is_empty() {
                Some(container.to_string())
            } else {
                Some(format!(
                    "{}/{}",
                    container.trim_end_matches('/'),
                    key.trim_start_matches('/')
                ))
            }
        }
    }
}

/// Normalises an endpoint URL (docs/COMPATIBILITY.md, "Endpoint normalisation"): trimmed, trailing
/// `/` removed, `https://` added when the value has no scheme (`host:port` included); `None` when
/// empty.
pub fn normalise_endpoint(value: &str) -> Option<String> {
    let endpoint = value.trim().trim_end_matches('/');
    if endpoint.is_empty() {
        return None;
    }
    if endpoint.contains("://") {
        Some(endpoint.to_string())
    } else {
        Some(format!("https://{endpoint}"))
    }
}

/// The URL path of an href (for layouts): what follows the authority, without query.
pub fn url_path(href: &str) -> String {
    let url = split_url(href);
    url.path.to_string()
}

/// A resolved, I/O-ready location.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// The backend.
    pub store_type: StoreType,
    /// Bucket/container, or the http base (origin, optional base path, or full URL with query).
    pub container: Option<String>,
    /// Normalised endpoint (S3-compatible stores).
    pub endpoint: Option<String>,
    /// Object key, or file path (absolute, or relative to the resolution base).
    pub key: String,
}

/// Why a row has no usable location.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LocationError {
    /// Fields needed for the store type are empty (the validate message).
    #[error("missing fields: {}", .0.join(","))]
    Missing(Vec<&'static str>),
    /// The parts do not rebuild to an href.
    #[error("asset location is empty")]
    Empty,
}

impl Location {
    /// The location of a lock row's parts, checking the fields its store type needs.
    pub fn from_parts(
        store_type: Option<&str>,
        container: Option<&str>,
        endpoint: Option<&str>,
        key: Option<&str>,
    ) -> Result<Location, LocationError> {
        let Some(store_type) = store_type.and_then(StoreType::normalise) else {
            return Err(LocationError::Missing(vec!["store_type"]));
        };
        let mut missing = Vec::new();
        let has_container = container.is_some_and(|c| !c.is_empty());
        let has_key = key.is_some_and(|k| !k.is_empty());
        match store_type {
            StoreType::File if !has_key => missing.push("key"),
            t if t.is_bucket() => {
                if !has_container {
                    missing.push("store_container");
                }
                if !has_key {
                    missing.push("key");
                }
            }
            t if t.is_http() => {
                if !has_container {
                    missing.push("store_container");
                }
                if key.is_none() {
                    missing.push("key");
                }
            }
            _ => {}
        }
        if !missing.is_empty() {
            return Err(LocationError::Missing(missing));
        }
        Ok(Location {
            store_type,
            container: container.filter(|c| !c.is_empty()).map(str::to_string),
            endpoint: endpoint.and_then(normalise_endpoint),
            key: key.unwrap_or("").to_string(),
        })
    }

    /// The location an href maps to (as a lock row of it would), or why it has none.
    pub fn from_href(href: &str, endpoint: Option<&str>) -> Result<Location, String> {
        let parts = parse_href(href, HrefOptions::default()).map_err(|e| e.to_string())?;
        Location::from_parts(
            parts.store_type.map(StoreType::as_str),
            parts.store_container.as_deref(),
            endpoint,
            parts.key.as_deref(),
        )
        .map_err(|e| e.to_string())
    }

    /// The href this location rebuilds to.
    pub fn href(&self) -> Option<String> {
        href_from_parts(
            Some(self.store_type),
            self.container.as_deref(),
            Some(&self.key),
        )
    }

    /// For file locations: the path on disk, a relative key joined to `base`.
    pub fn file_path(&self, base: &Path) -> PathBuf {
        let key = Path::new(&self.key);
        if key.is_absolute() {
            key.to_path_buf()
        } else {
            base.join(key)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    fn parts(t: Option<StoreType>, c: Option<&str>, k: Option<&str>) -> HrefParts {
        HrefParts {
            store_type: t,
            store_container: c.map(str::to_string),
            key: k.map(str::to_string),
        }
    }

    #[rstest]
    #[case("", None, None, None)]
    #[case("rel/p.tif", Some(StoreType::File), None, Some("rel/p.tif"))]
    #[case("./rel/p.tif", Some(StoreType::File), None, Some("./rel/p.tif"))]
    #[case("/abs/p.tif", Some(StoreType::File), None, Some("/abs/p.tif"))]
    #[case("file:///abs/p.tif", Some(StoreType::File), None, Some("/abs/p.tif"))]
    #[case("file://host/abs/p", Some(StoreType::File), None, Some("/abs/p"))]
    #[case("file:///a%20b.tif", Some(StoreType::File), None, Some("/a b.tif"))]
    #[case("s3://b/k/x.tif", Some(StoreType::S3), Some("b"), Some("k/x.tif"))]
    #[case("s3a://b/k", Some(StoreType::S3), Some("b"), Some("k"))]
    #[case("S3://b/k", Some(StoreType::S3), Some("b"), Some("k"))]
    #[case("gs://b/k", Some(StoreType::Gs), Some("b"), Some("k"))]
    #[case("gcs://b/k", Some(StoreType::Gs), Some("b"), Some("k"))]
    #[case("az://c/p/q", Some(StoreType::Az), Some("c"), Some("p/q"))]
    #[case(
        "abfss://c@acct.dfs.core.windows.net/p",
        Some(StoreType::Az),
        Some("c@acct.dfs.core.windows.net"),
        Some("p")
    )]
    #[case("s3://b", Some(StoreType::S3), Some("b"), Some(""))]
    #[case(
        "https://h.example:8443/a/b.tif",
        Some(StoreType::Https),
        Some("https://h.example:8443"),
        Some("a/b.tif")
    )]
    #[case(
        "http://127.0.0.1:8080/x",
        Some(StoreType::Http),
        Some("http://127.0.0.1:8080"),
        Some("x")
    )]
    #[case("https://h", Some(StoreType::Https), Some("https://h"), Some(""))]
    #[case(
        "https://h/a.png?format=png",
        Some(StoreType::Https),
        Some("https://h/a.png?format=png"),
        Some("")
    )]
    #[case(
        "https://h/a.png#frag",
        Some(StoreType::Https),
        Some("https://h"),
        Some("a.png")
    )]
    fn parses_hrefs(
        #[case] href: &str,
        #[case] t: Option<StoreType>,
        #[case] c: Option<&str>,
        #[case] k: Option<&str>,
    ) {
        assert_eq!(
            parse_href(href, HrefOptions::default()).unwrap(),
            parts(t, c, k)
        );
    }

    #[rstest]
    #[case("https://b.s3.amazonaws.com/k.tif?X-Amz-Algorithm=AWS4&X-Amz-Credential=a&X-Amz-Signature=f")]
    #[case("https://acct.blob.core.windows.net/c/b.tif?sv=2022&se=2030&sr=b&sp=r&sig=abc")]
    #[case("https://storage.googleapis.com/b/o?GoogleAccessId=x&Expires=1&Signature=y")]
    #[case("https://storage.googleapis.com/b/o?x-goog-signature=1")]
    #[case("https://b.s3.amazonaws.com/k?AWSAccessKeyId=a&Expires=1&Signature=s")]
    fn signed_urls_are_refused_or_stripped(#[case] href: &str) {
        let err = parse_href(href, HrefOptions::default()).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("--allow-signed-urls"), "{text}");
        assert!(text.contains("?<redacted>"), "{text}");
        assert!(!text.contains("sig=abc") && !text.contains("Signature=f"));
        let stripped = parse_href(
            href,
            HrefOptions {
                allow_signed_urls: true,
            },
        )
        .unwrap();
        assert!(!stripped.store_container.as_deref().unwrap().contains('?'));
        assert!(!stripped.key.as_deref().unwrap().is_empty());
    }

    #[test]
    fn unknown_schemes_have_one_answer() {
        let err = parse_href("ftp://h/p", HrefOptions::default()).unwrap_err();
        assert_eq!(
            err,
            HrefError::UnsupportedScheme {
                scheme: "ftp".into()
            }
        );
        assert_eq!(
            parse_href_lenient("ftp://h/p", HrefOptions::default()).unwrap(),
            parts(None, None, Some("ftp://h/p"))
        );
    }

    #[rstest]
    #[case(Some(StoreType::File), None, Some("/abs/p"), Some("file:///abs/p"))]
    #[case(Some(StoreType::File), None, Some("/a b"), Some("file:///a%20b"))]
    #[case(Some(StoreType::File), None, Some("rel/p"), Some("rel/p"))]
    #[case(Some(StoreType::File), None, Some(""), None)]
    #[case(Some(StoreType::S3), Some("b"), Some("k"), Some("s3://b/k"))]
    #[case(Some(StoreType::S3), Some("b"), Some(""), Some("s3://b/"))]
    #[case(Some(StoreType::S3), Some(""), Some("k"), None)]
    #[case(
        Some(StoreType::Az),
        Some("c@a.dfs"),
        Some("/p"),
        Some("az://c@a.dfs/p")
    )]
    #[case(
        Some(StoreType::Https),
        Some("https://h/"),
        Some("/k"),
        Some("https://h/k")
    )]
    #[case(
        Some(StoreType::Https),
        Some("https://h/x?q=1"),
        Some(""),
        Some("https://h/x?q=1")
    )]
    #[case(None, Some("b"), Some("k"), None)]
    #[case(Some(StoreType::Gs), Some("b"), None, None)]
    fn rebuilds_hrefs(
        #[case] t: Option<StoreType>,
        #[case] c: Option<&str>,
        #[case] k: Option<&str>,
        #[case] expected: Option<&str>,
    ) {
        assert_eq!(href_from_parts(t, c, k).as_deref(), expected);
    }

    #[rstest]
    #[case("s3.amazonaws.com", Some("https://s3.amazonaws.com"))]
    #[case("minio.local:9000", Some("https://minio.local:9000"))]
    #[case("127.0.0.1:9000/", Some("https://127.0.0.1:9000"))]
    #[case(" http://127.0.0.1:9000// ", Some("http://127.0.0.1:9000"))]
    #[case(
        "https://s3.eu-west-1.amazonaws.com",
        Some("https://s3.eu-west-1.amazonaws.com")
    )]
    #[case("  ", None)]
    fn normalises_endpoints(#[case] input: &str, #[case] expected: Option<&str>) {
        assert_eq!(normalise_endpoint(input).as_deref(), expected);
    }

    #[rstest]
    #[case("local", Some(StoreType::File))]
    #[case(" S3A ", Some(StoreType::S3))]
    #[case("GCS", Some(StoreType::Gs))]
    #[case("abfss", Some(StoreType::Az))]
    #[case("HTTPS", Some(StoreType::Https))]
    #[case("ftp", None)]
    #[case("", None)]
    fn normalises_store_types(#[case] input: &str, #[case] expected: Option<StoreType>) {
        assert_eq!(StoreType::normalise(input), expected);
    }

    #[test]
    fn relative_keys_resolve_against_the_base() {
        let loc = Location::from_parts(Some("file"), None, None, Some("data/a.tif")).unwrap();
        assert_eq!(
            loc.file_path(Path::new("/work/pkg")),
            PathBuf::from("/work/pkg/data/a.tif")
        );
        let abs = Location::from_parts(Some("file"), None, None, Some("/x/a.tif")).unwrap();
        assert_eq!(abs.file_path(Path::new("/work")), PathBuf::from("/x/a.tif"));
    }

    #[test]
    fn missing_fields_follow_the_python_rules() {
        let miss = |t, c, k| Location::from_parts(t, c, None, k).unwrap_err().to_string();
        assert_eq!(
            miss(Some("ftp"), Some("b"), Some("k")),
            "missing fields: store_type"
        );
        assert_eq!(
            miss(Some("s3"), None, None),
            "missing fields: store_container,key"
        );
        assert_eq!(miss(Some("file"), None, Some("")), "missing fields: key");
        assert_eq!(
            miss(Some("https"), None, None),
            "missing fields: store_container,key"
        );
        assert!(Location::from_parts(Some("https"), Some("https://h"), None, Some("")).is_ok());
    }
}
