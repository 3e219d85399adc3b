//! The registry transport, over `oci-client` (reqwest + rustls, the crate's one HTTP stack).
//!
//! Blobs go up as one streamed `PUT` after the upload `POST` (the "monolithic" upload every
//! registry supports, and the request shape oras-py uses), with the body read from disk in
//! [`super::CHUNK_BYTES`] pieces; nothing holds a whole blob in memory. Existence is
//! checked with a `HEAD` first, so a re-push sends only what changed.
//!
//! Every request here is idempotent (content-addressed blobs, a manifest PUT by tag, GETs and
//! HEADs), so a transient failure (connection refused or reset, a timeout, 5xx, 429) is retried
//! up to [`ATTEMPTS`] times with a doubling pause; a blob upload is retried whole, from a new
//! upload session and a re-opened file, because a registry cannot resume a broken monolithic
//! PUT. Auth, 4xx and digest failures are final at once.

use std::future::Future;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use bytes::Bytes;
use futures::stream::BoxStream;
use futures::{StreamExt, TryStreamExt};
use oci_client::client::{ClientConfig, ClientProtocol};
use oci_client::errors::OciDistributionError;
use oci_client::manifest::OciDescriptor;
use oci_client::secrets::RegistryAuth;
use oci_client::{Client, Reference, RegistryOperation};
use reqwest::header::HeaderValue;

use super::auth::{CredentialSource, Credentials};
use super::Descriptor;
use crate::{Error, Result};

/// Media types a manifest GET accepts (the Python tool's Accept header).
pub const MANIFEST_ACCEPT: &[&str] = &[
    super::MANIFEST_MEDIA_TYPE,
    super::INDEX_MEDIA_TYPE,
    super::DOCKER_MANIFEST_MEDIA_TYPE,
    super::DOCKER_LIST_MEDIA_TYPE,
];

/// Connect timeout for registry requests.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);
/// Default longest silence on an open connection before a request fails (`--timeout`).
pub const READ_TIMEOUT: Duration = Duration::from_secs(300);
/// Tries per request (or per whole blob upload) before a transient failure is final.
pub const ATTEMPTS: u32 = 3;
/// Pause before the first retry; doubled before each later one.
const RETRY_PAUSE: Duration = Duration::from_millis(500);

/// How to talk to the registry.
#[derive(Debug, Clone, Default)]
pub struct RegistryOptions {
    /// Use `http://` instead of `https://`.
    pub plain_http: bool,
    /// Accept invalid TLS certificates.
    pub insecure: bool,
    /// Longest silence on a connection before a request fails; default [`READ_TIMEOUT`].
    pub timeout: Option<Duration>,
}

/// The HTTP status an oci-client error stands for, where it says.
fn http_status(e: &OciDistributionError) -> Option<u16> {
    match e {
        OciDistributionError::UnauthorizedError { .. }
        | OciDistributionError::AuthenticationFailure(_) => Some(401),
        OciDistributionError::ServerError { code, .. } => Some(*code),
        OciDistributionError::RequestError(re) => re.status().map(|s| s.as_u16()),
        OciDistributionError::ImageManifestNotFoundError(_) => Some(404),
        OciDistributionError::RegistryError { envelope, .. }
            if envelope.errors.iter().any(|er| {
                matches!(
                    er.code,
                    oci_client::errors::OciErrorCode::ManifestUnknown
                        | oci_client::errors::OciErrorCode::NameUnknown
                )
            }) =>
        {
            Some(404)
        }
        OciDistributionError::RegistryError { envelope, .. }
            if envelope.errors.iter().any(|er| {
                matches!(
                    er.code,
                    oci_client::errors::OciErrorCode::Unauthorized
                        | oci_client::errors::OciErrorCode::Denied
                )
            }) =>
        {
            Some(401)
        }
        _ => None,
    }
}

/// What the reference's tag holds before a push.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TagState {
    /// Nothing: a push creates it.
    Absent,
    /// A manifest with this digest: a push replaces it.
    Present(String),
    /// The registry wants credentials (none were found, or it refused them).
    Unauthorized,
}

/// A connection to one repository.
pub struct RegistryTransport {
    client: Client,
    /// The client for manifest reads. `pull_manifest_raw` stores the credentials it is given,
    /// which would bring back a probe per request, so on an open registry it gets its own
    /// client (its own credential store) and the blob traffic stays probe-free.
    manifest_client: Client,
    reference: Reference,
    credentials: Credentials,
    timeout: Duration,
}

/// Whether anonymous access meets a registry that asks for no credentials at all.
///
/// oci-client probes `GET /v2/` before every request for which it holds credentials but no
/// token; on a registry that needs none the probe never yields a token, so every request paid
/// an extra round trip (13 probes in one measured push). One probe here, on a throwaway
/// client, settles it: an open registry gets no stored credentials, and only manifest reads
/// probe. Registries that hand out anonymous bearer tokens, and any probe failure, keep the
/// token flow.
async fn is_open_registry(probe: &Client, reference: &Reference, auth: &RegistryAuth) -> bool {
    matches!(auth, RegistryAuth::Anonymous)
        && matches!(
            probe.auth(reference, auth, RegistryOperation::Pull).await,
            Ok(None)
        )
}

impl RegistryTransport {
    /// A client for `reference` with `credentials`.
    pub async fn connect(
        reference: Reference,
        options: &RegistryOptions,
        credentials: Credentials,
    ) -> Result<Self> {
        let timeout = options.timeout.unwrap_or(READ_TIMEOUT);
        let make_client = || {
            let config = ClientConfig {
                protocol: if options.plain_http {
                    ClientProtocol::Http
                } else {
                    ClientProtocol::Https
                },
                accept_invalid_certificates: options.insecure,
                use_monolithic_push: true,
                platform_resolver: None,
                connect_timeout: Some(CONNECT_TIMEOUT),
                read_timeout: Some(timeout),
                user_agent: concat!("stacpkg/", env!("CARGO_PKG_VERSION")),
                ..ClientConfig::default()
            };
            Client::try_from(config)
                .map_err(|e| Error::oci(reference.to_string(), format!("HTTP client: {e}")))
        };
        let client = make_client()?;
        let manifest_client =
            if is_open_registry(&make_client()?, &reference, &credentials.auth).await {
                make_client()?
            } else {
                client
                    .store_auth_if_needed(reference.resolve_registry(), &credentials.auth)
                    .await;
                client.clone()
            };
        tracing::debug!("registry {}: {:?}", reference.registry(), credentials);
        Ok(Self {
            client,
            manifest_client,
            reference,
            credentials,
            timeout,
        })
    }

    /// The reference this transport talks to.
    pub fn reference(&self) -> &Reference {
        &self.reference
    }

    /// Turns an oci-client error into one line that says what to do.
    /// `attempts` is how often the request was tried.
    fn error_after(&self, doing: &str, e: OciDistributionError, attempts: u32) -> Error {
        let context = format!("{} ({doing})", self.reference);
        let tries = if attempts > 1 {
            format!(" (tried {attempts} times)")
        } else {
            String::new()
        };
        if is_timeout(&e) {
            return Error::oci(
                context,
                format!(
                    "the registry sent nothing for {} s{tries}; it stalled or is overloaded: try again later, or raise --timeout",
                    self.timeout.as_secs()
                ),
            );
        }
        let auth_hint = match &self.credentials.source {
            CredentialSource::Anonymous => "the registry wants credentials: pass --username with --password-stdin, set ORAS_USER/ORAS_PASS, or `docker login`".to_string(),
            source => format!("the registry refused the credentials from {}", describe_source(source)),
        };
        let status = http_status(&e);
        // What happened (the attempts go right after it), then what to do.
        let (what, hint) = match (status, &e) {
            (Some(401), _) => ("unauthorized (401)".to_string(), Some(auth_hint)),
            (Some(403), _) => ("forbidden (403)".to_string(), Some(auth_hint)),
            (Some(404), _) => (
                "not found (404)".to_string(),
                Some("check the repository and tag".to_string()),
            ),
            (_, OciDistributionError::RequestError(re)) => (
                crate::error::chain_text(re),
                (re.is_connect() || re.is_request()).then(|| "is the registry up? use --plain-http for an http registry, --insecure for a self-signed certificate".to_string()),
            ),
            (_, other) => (crate::error::chain_text(other), None),
        };
        let message = match hint {
            Some(hint) => format!("{what}{tries}; {hint}"),
            None => format!("{what}{tries}"),
        };
        Error::oci(context, message)
    }

    /// Runs the idempotent request `op`, retrying transient failures.
    async fn retrying<T, F, Fut>(&self, doing: &str, mut op: F) -> Result<T>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = std::result::Result<T, OciDistributionError>>,
    {
        let mut attempt = 1;
        loop {
            match op().await {
                Ok(v) => return Ok(v),
                Err(e) if attempt < ATTEMPTS && is_transient(&e) => {
                    tracing::debug!(
                        "{} ({doing}): attempt {attempt} failed, retrying: {e}",
                        self.reference
                    );
                    tokio::time::sleep(RETRY_PAUSE * 2u32.pow(attempt - 1)).await;
                    attempt += 1;
                }
                Err(e) => return Err(self.error_after(doing, e, attempt)),
            }
        }
    }

    /// Whether the repository already holds this blob.
    pub async fn has_blob(&self, d: &Descriptor) -> Result<bool> {
        self.retrying("checking a blob", || {
            self.client.blob_exists(&self.reference, &d.digest)
        })
        .await
    }

    /// Uploads a blob from the stream `open` gives; a transient failure re-opens it and
    /// uploads the whole blob again (unless the registry kept it anyway).
    pub async fn put_blob<F, Fut>(&self, d: &Descriptor, open: F) -> Result<()>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = Result<BoxStream<'static, std::io::Result<Bytes>>>>,
    {
        let tries = AtomicU32::new(0);
        self.retrying(&format!("uploading {}", label(d)), || async {
            if tries.fetch_add(1, Ordering::Relaxed) > 0
                && self.client.blob_exists(&self.reference, &d.digest).await?
            {
                return Ok(());
            }
            // A local file that cannot be read is final (GenericError is never retried).
            let stream = open()
                .await
                .map_err(|e| OciDistributionError::GenericError(Some(format!("{e:#}"))))?
                .map_err(OciDistributionError::IoError);
            self.client
                .push_blob_stream(&self.reference, stream, &d.digest, Some(d.size))
                .await
                .map(|_| ())
        })
        .await
    }

    /// Uploads the manifest under the reference's tag.
    pub async fn put_manifest(&self, body: Vec<u8>, media_type: &str) -> Result<()> {
        let content_type = HeaderValue::from_str(media_type)
            .map_err(|e| Error::oci(self.reference.to_string(), e))?;
        self.retrying("uploading the manifest", || {
            self.client
                .push_manifest_raw(&self.reference, body.clone(), content_type.clone())
        })
        .await?;
        Ok(())
    }

    /// The manifest (or index) the reference names, and its digest.
    pub async fn get_manifest(&self) -> Result<(Bytes, String)> {
        self.retrying("fetching the manifest", || {
            self.manifest_client.pull_manifest_raw(
                &self.reference,
                &self.credentials.auth,
                MANIFEST_ACCEPT,
            )
        })
        .await
    }

    /// Whether the tag exists (one manifest request, not retried on 404 or 401).
    pub async fn tag_state(&self) -> Result<TagState> {
        let got = self
            .manifest_client
            .pull_manifest_raw(&self.reference, &self.credentials.auth, MANIFEST_ACCEPT)
            .await;
        match got {
            Ok((_, digest)) => Ok(TagState::Present(digest)),
            Err(e) => match http_status(&e) {
                Some(404) => Ok(TagState::Absent),
                Some(401 | 403) => Ok(TagState::Unauthorized),
                _ => Err(self.error_after("checking the tag", e, 1)),
            },
        }
    }

    /// A manifest of the same repository by digest (an index entry).
    pub async fn get_manifest_by_digest(&self, digest: &str) -> Result<Bytes> {
        let child = Reference::with_digest(
            self.reference.registry().to_string(),
            self.reference.repository().to_string(),
            digest.to_string(),
        );
        let (bytes, _) = self
            .retrying(&format!("fetching manifest {digest}"), || {
                self.manifest_client.pull_manifest_raw(
                    &child,
                    &self.credentials.auth,
                    MANIFEST_ACCEPT,
                )
            })
            .await?;
        Ok(bytes)
    }

    /// A blob's bytes as a stream (verified by the caller).
    pub async fn get_blob(
        &self,
        d: &Descriptor,
    ) -> Result<BoxStream<'static, std::io::Result<Bytes>>> {
        let desc = OciDescriptor {
            media_type: d.media_type.clone(),
            digest: d.digest.clone(),
            size: i64::try_from(d.size).unwrap_or(i64::MAX),
            ..OciDescriptor::default()
        };
        let sized = self
            .retrying(&format!("downloading {}", label(d)), || {
                self.client.pull_blob_stream(&self.reference, &desc)
            })
            .await?;
        Ok(sized.stream.boxed())
    }
}

/// Whether a failure may pass if the same request is sent again.
fn is_transient(e: &OciDistributionError) -> bool {
    match e {
        OciDistributionError::RequestError(re) => {
            re.is_timeout()
                || re.is_connect()
                || re.is_request()
                || re.is_body()
                || re
                    .status()
                    .is_some_and(|s| s.is_server_error() || s.as_u16() == 429)
        }
        OciDistributionError::ServerError { code, .. } => *code >= 500 || *code == 429,
        OciDistributionError::IoError(_) => true,
        _ => false,
    }
}

/// Whether the failure is the read timeout (a registry that went silent).
fn is_timeout(e: &OciDistributionError) -> bool {
    match e {
        OciDistributionError::RequestError(re) => re.is_timeout() || source_is_timeout(re),
        OciDistributionError::IoError(io) => {
            io.kind() == std::io::ErrorKind::TimedOut || source_is_timeout(io)
        }
        _ => false,
    }
}

/// Whether any cause in the chain is an I/O timeout.
pub fn source_is_timeout(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(c) = cause {
        if let Some(io) = c.downcast_ref::<std::io::Error>() {
            if io.kind() == std::io::ErrorKind::TimedOut {
                return true;
            }
        }
        if c.downcast_ref::<reqwest::Error>()
            .is_some_and(|r| r.is_timeout())
        {
            return true;
        }
        cause = c.source();
    }
    false
}

fn label(d: &Descriptor) -> String {
    match d.title() {
        Some(t) => format!("{t} ({})", d.digest),
        None => d.digest.clone(),
    }
}

fn describe_source(source: &CredentialSource) -> String {
    match source {
        CredentialSource::Anonymous => "nowhere".into(),
        CredentialSource::CommandLine => "--username/--password-stdin".into(),
        CredentialSource::OrasEnv => "ORAS_USER/ORAS_PASS".into(),
        CredentialSource::DockerConfig(p) => p.display().to_string(),
        CredentialSource::Helper(h) => h.clone(),
    }
}
