//! Object stores for lock locations: construction from a location plus the environment, cached.
//!
//! [`location`] holds the location itself (href ⇄ lock columns), next to the stores that open it.
//!
//! One [`Stores`] serves a whole command. It builds an `object_store` handle per
//! (store type, container, endpoint) on first use and reuses it, so thousands of rows in one
//! bucket share one connection pool. Every remote handle gets the timeouts and retry policy of
//! [`retry`] and honours `Retry-After`.
//!
//! * **file**: one local store rooted at `/`; relative keys resolve against
//!   [`Stores::base_dir`] (the working directory unless the caller says otherwise, e.g. a
//!   package root) — never against `/`.
//! * **http/https**: plain http is allowed for `http://` locations (no magic variable needed).
//!   The container is the base URL (origin, optionally a base path, or a whole URL with query).
//! * **s3**: bucket-scoped settings and endpoint priority of [`env`](mod@env); plain http allowed when the
//!   endpoint is `http://` or `STACPKG_OBSTORE_ALLOW_HTTP` is truthy; everything else from
//!   `AmazonS3Builder::from_env` (`AWS_SKIP_SIGNATURE=true` for public buckets).
//! * **gs / az**: `from_env` of their builders (`GOOGLE_*`, `AZURE_*`, including the Azurite
//!   emulator via `AZURE_STORAGE_USE_EMULATOR`); plain http when the configured endpoint is
//!   `http://` or `STACPKG_OBSTORE_ALLOW_HTTP` is truthy. `store_endpoint_url` is ignored there.
//!
//! Concurrency per remote host is capped ([`Stores::host_permit`]) so one slow host cannot take
//! every worker of a mixed lock, and no host sees more than [`DEFAULT_PER_HOST`] requests at once
//! unless the caller raises it.

pub mod copy;
pub mod env;
pub mod location;
pub mod probe;
pub mod retry;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use object_store::aws::AmazonS3Builder;
use object_store::azure::MicrosoftAzureBuilder;
use object_store::gcp::GoogleCloudStorageBuilder;
use object_store::http::HttpBuilder;
use object_store::local::LocalFileSystem;
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, ObjectStoreExt};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::{Error, Result};
use location::{redact, Location, StoreType};
pub use probe::Facts;

/// Default cap on concurrent requests to one host (or one local filesystem).
pub const DEFAULT_PER_HOST: usize = 64;

/// An object ready for I/O: its store and its path there.
#[derive(Debug, Clone)]
pub struct Object {
    /// The store holding it.
    pub store: Arc<dyn ObjectStore>,
    /// Its path in that store.
    pub path: ObjectPath,
    /// Its href, query redacted (for messages).
    pub name: String,
    /// Whether it is a local file (whose synthetic ETag is recorded unquoted, as the Python
    /// tool's older `object_store` wrote it, so either tool validates the other's locks).
    pub is_local: bool,
}

impl Object {
    /// The facts of a HEAD of this object.
    pub fn facts(&self, meta: &object_store::ObjectMeta) -> Facts {
        let mut facts = Facts::from_meta(meta);
        if self.is_local {
            facts.etag = facts.etag.map(|e| probe::etag_core(&e).to_string());
        }
        facts
    }
}

type StoreKey = (StoreType, String, Option<String>);

/// An owned environment lookup (the process environment, or a map in tests).
pub type EnvSource = Box<dyn Fn(&str) -> Option<String> + Send + Sync>;

/// Store handles for one command, built lazily and cached.
pub struct Stores {
    base_dir: PathBuf,
    streaming: bool,
    per_host: usize,
    limits: retry::Limits,
    env: EnvSource,
    cache: Mutex<HashMap<StoreKey, Arc<dyn ObjectStore>>>,
    hosts: Mutex<HashMap<String, Arc<Semaphore>>>,
    local: Arc<dyn ObjectStore>,
}

impl std::fmt::Debug for Stores {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Stores")
            .field("base_dir", &self.base_dir)
            .finish_non_exhaustive()
    }
}

impl Stores {
    /// Stores reading the process environment; relative file keys resolve against `base_dir`.
    /// `streaming` handles (copies) have no whole-request timeout, only the per-read one.
    pub fn new(base_dir: PathBuf, streaming: bool) -> Self {
        Self::with_env(base_dir, streaming, Box::new(env::process_env))
    }

    /// Like [`Stores::new`] with an explicit environment (tests).
    pub fn with_env(base_dir: PathBuf, streaming: bool, env: EnvSource) -> Self {
        Self {
            base_dir,
            streaming,
            per_host: DEFAULT_PER_HOST,
            limits: retry::Limits::from_env(&*env),
            env,
            cache: Mutex::new(HashMap::new()),
            hosts: Mutex::new(HashMap::new()),
            local: Arc::new(LocalFileSystem::new()),
        }
    }

    /// Sets the cap on concurrent requests per host (at least 1).
    pub fn with_per_host(mut self, per_host: usize) -> Self {
        self.per_host = per_host.max(1);
        self
    }

    /// The directory relative file keys resolve against.
    pub fn base_dir(&self) -> &Path {
        &self.base_dir
    }

    /// The object at `location`.
    pub fn object(&self, location: &Location) -> Result<Object> {
        let name = location
            .href()
            .map_or_else(|| "(empty location)".to_string(), |h| redact(&h));
        if location.store_type == StoreType::File {
            let path = location.file_path(&self.base_dir);
            let path = ObjectPath::from_absolute_path(&path).map_err(|e| Error::Store {
                context: path.display().to_string(),
                message: format!("not a usable file path: {e}"),
            })?;
            return Ok(Object {
                store: self.local.clone(),
                path,
                name,
                is_local: true,
            });
        }
        let container = location.container.clone().unwrap_or_default();
        let endpoint = if location.store_type == StoreType::S3 {
            location.endpoint.clone()
        } else {
            None
        };
        let key = (location.store_type, container, endpoint);
        let store = {
            let mut cache = self.cache.lock().expect("store cache lock");
            match cache.get(&key) {
                Some(store) => store.clone(),
                None => {
                    let store = self.build(&key).map_err(|e| match e {
                        Error::Store { message, .. } => Error::Store {
                            context: name.clone(),
                            message,
                        },
                        other => other,
                    })?;
                    cache.insert(key, store.clone());
                    store
                }
            }
        };
        let path = if location.store_type.is_http() {
            ObjectPath::from_url_path(&location.key).map_err(|e| Error::Store {
                context: name.clone(),
                message: format!("not a usable URL path: {e}"),
            })?
        } else {
            ObjectPath::parse(&location.key)
                .unwrap_or_else(|_| ObjectPath::from(location.key.as_str()))
        };
        Ok(Object {
            store,
            path,
            name,
            is_local: false,
        })
    }

    fn truthy(&self, name: &str) -> bool {
        env::is_truthy((self.env)(name))
    }

    fn build(&self, (store_type, container, endpoint): &StoreKey) -> Result<Arc<dyn ObjectStore>> {
        let store_err = |e: object_store::Error| Error::Store {
            context: container.clone(),
            message: one_line(&e),
        };
        let force_http = self.truthy("STACPKG_OBSTORE_ALLOW_HTTP");
        let retry = retry::retry_config(&self.limits);
        let limits = &self.limits;
        // Every backend gets the same client options, retries and Retry-After connector.
        macro_rules! configured {
            ($builder:expr, $allow_http:expr) => {
                Arc::new(
                    $builder
                        .with_client_options(retry::client_options(
                            $allow_http,
                            self.streaming,
                            limits,
                        ))
                        .with_retry(retry)
                        .with_http_connector(retry::RetryAfterConnector)
                        .build()
                        .map_err(store_err)?,
                )
            };
        }
        let store: Arc<dyn ObjectStore> = match store_type {
            StoreType::Http | StoreType::Https => configured!(
                HttpBuilder::new().with_url(container.trim_end_matches('/')),
                *store_type == StoreType::Http || force_http
            ),
            StoreType::S3 => {
                let settings = env::s3_settings(container, endpoint.as_deref(), &*self.env)?;
                let mut builder = AmazonS3Builder::from_env().with_bucket_name(container);
                let mut allow_http = force_http || self.truthy("AWS_ALLOW_HTTP");
                if let Some(endpoint) = &settings.endpoint {
                    allow_http |= endpoint.starts_with("http://");
                    builder = builder.with_endpoint(endpoint);
                }
                if let (Some(id), Some(secret)) =
                    (&settings.access_key_id, &settings.secret_access_key)
                {
                    builder = builder
                        .with_access_key_id(id)
                        .with_secret_access_key(secret);
                }
                if let Some(token) = &settings.session_token {
                    builder = builder.with_token(token);
                }
                if let Some(region) = &settings.region {
                    builder = builder.with_region(region);
                }
                configured!(builder, allow_http)
            }
            StoreType::Gs => {
                let key = (self.env)("GOOGLE_SERVICE_ACCOUNT_KEY").unwrap_or_default();
                let base = (self.env)("GOOGLE_BASE_URL").unwrap_or_default();
                let allow_http = force_http
                    || self.truthy("GOOGLE_ALLOW_HTTP")
                    || base.starts_with("http://")
                    || key.contains("\"http://");
                configured!(
                    GoogleCloudStorageBuilder::from_env().with_bucket_name(container),
                    allow_http
                )
            }
            StoreType::Az => {
                let url = if container.contains('@') {
                    format!("abfs://{container}")
                } else {
                    format!("az://{container}")
                };
                let endpoint = (self.env)("AZURE_STORAGE_ENDPOINT")
                    .or_else(|| (self.env)("AZURE_ENDPOINT"))
                    .unwrap_or_default();
                let allow_http = force_http
                    || self.truthy("AZURE_STORAGE_USE_EMULATOR")
                    || self.truthy("AZURE_ALLOW_HTTP")
                    || endpoint.starts_with("http://");
                configured!(MicrosoftAzureBuilder::from_env().with_url(url), allow_http)
            }
            StoreType::File => self.local.clone(),
        };
        Ok(store)
    }

    /// Waits for a slot on the host of `location` (the per-host cap).
    pub async fn host_permit(&self, location: &Location) -> OwnedSemaphorePermit {
        let host = match location.store_type {
            StoreType::File => "file".to_string(),
            StoreType::S3 => location
                .endpoint
                .clone()
                .unwrap_or_else(|| format!("s3://{}", location.container.as_deref().unwrap_or(""))),
            StoreType::Http | StoreType::Https => {
                let c = location.container.as_deref().unwrap_or("");
                let after = c.find("://").map_or(0, |i| i + 3);
                let end = c[after..].find(['/', '?']).map_or(c.len(), |i| i + after);
                c[..end].to_string()
            }
            t => format!("{t}://{}", location.container.as_deref().unwrap_or("")),
        };
        let semaphore = {
            let mut hosts = self.hosts.lock().expect("host semaphore lock");
            hosts
                .entry(host)
                .or_insert_with(|| Arc::new(Semaphore::new(self.per_host)))
                .clone()
        };
        semaphore
            .acquire_owned()
            .await
            .expect("host semaphores are never closed")
    }

    /// HEADs the object at `location` (under its host's cap).
    pub async fn head(&self, location: &Location) -> Result<Facts> {
        let object = self.object(location)?;
        let _permit = self.host_permit(location).await;
        let meta = object
            .store
            .head(&object.path)
            .await
            .map_err(|e| Error::Store {
                context: object.name.clone(),
                message: one_line(&e),
            })?;
        Ok(object.facts(&meta))
    }
}

impl Stores {
    /// Reads the whole object at `location` (under its host's cap); for small objects only
    /// (a thumbnail), the caller checks the size first.
    pub async fn get_bytes(&self, location: &Location) -> Result<bytes::Bytes> {
        let object = self.object(location)?;
        let _permit = self.host_permit(location).await;
        let error = |e: object_store::Error| Error::Store {
            context: object.name.clone(),
            message: one_line(&e),
        };
        let got = object.store.get(&object.path).await.map_err(error)?;
        got.bytes().await.map_err(error)
    }
}

/// An `object_store` error as one line: the short kind for the common cases, else the chain
/// with whitespace collapsed and URL queries redacted.
pub fn one_line(error: &object_store::Error) -> String {
    match error {
        object_store::Error::NotFound { .. } => return "object not found".to_string(),
        object_store::Error::AlreadyExists { .. } => return "object already exists".to_string(),
        object_store::Error::Precondition { .. } => {
            return "object already exists (precondition failed)".to_string()
        }
        _ => {}
    }
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text.split_whitespace()
        .map(|word| {
            if word.contains("://") {
                redact(word)
            } else {
                word.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn relative_file_keys_use_the_base_dir() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("data")).unwrap();
        std::fs::write(dir.path().join("data/a.bin"), b"hello").unwrap();
        let stores = Stores::new(dir.path().to_path_buf(), false);
        let loc = Location::from_parts(Some("file"), None, None, Some("data/a.bin")).unwrap();
        let facts = stores.head(&loc).await.unwrap();
        assert_eq!(facts.size_bytes, 5);
        assert!(!facts.etag.unwrap().contains('"'));
        assert!(facts.last_modified.as_deref().unwrap().ends_with("+00:00"));
        let missing = Location::from_parts(Some("file"), None, None, Some("nope.bin")).unwrap();
        let err = stores.head(&missing).await.unwrap_err().to_string();
        assert!(err.ends_with("nope.bin: object not found"), "{err}");
    }

    #[test]
    fn bad_bucket_credentials_name_the_variable() {
        let stores = Stores::with_env(
            PathBuf::from("/"),
            false,
            Box::new(|name: &str| {
                (name == "STACPKG_S3_ACCESS_KEY_ID_BKT").then(|| "id".to_string())
            }),
        );
        let loc = Location::from_parts(Some("s3"), Some("bkt"), None, Some("k")).unwrap();
        let err = stores.object(&loc).unwrap_err().to_string();
        assert!(err.contains("STACPKG_S3_SECRET_ACCESS_KEY_BKT"), "{err}");
    }
}
