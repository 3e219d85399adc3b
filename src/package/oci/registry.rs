//! The registry transport, over `oci-client` (reqwest + rustls, the crate's one HTTP stack).
//!
//! Blobs go up as one streamed `PUT` after the upload `POST` (the "monolithic" upload every
//! registry supports, and the request shape oras-py uses), with the body read from disk in
//! [`super::transfer::CHUNK_BYTES`] pieces; nothing holds a whole blob in memory. Existence is
//! checked with a `HEAD` first, so a re-push sends only what changed.

use std::time::Duration;

use bytes::Bytes;
use futures::stream::BoxStream;
use futures::{StreamExt, TryStreamExt};
use oci_client::client::{ClientConfig, ClientProtocol};
use oci_client::errors::OciDistributionError;
use oci_client::manifest::OciDescriptor;
use oci_client::{Client, Reference};
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
/// Longest silence on an open connection before a request fails.
const READ_TIMEOUT: Duration = Duration::from_secs(300);

/// How to talk to the registry.
#[derive(Debug, Clone, Default)]
pub struct RegistryOptions {
    /// Use `http://` instead of `https://`.
    pub plain_http: bool,
    /// Accept invalid TLS certificates.
    pub insecure: bool,
}

/// A connection to one repository.
pub struct RegistryTransport {
    client: Client,
    reference: Reference,
    credentials: Credentials,
}

impl RegistryTransport {
    /// A client for `reference` with `credentials`.
    pub async fn connect(
        reference: Reference,
        options: &RegistryOptions,
        credentials: Credentials,
    ) -> Result<Self> {
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
            read_timeout: Some(READ_TIMEOUT),
            user_agent: concat!("stacpkg/", env!("CARGO_PKG_VERSION")),
            ..ClientConfig::default()
        };
        let client = Client::try_from(config)
            .map_err(|e| Error::oci(reference.to_string(), format!("HTTP client: {e}")))?;
        client
            .store_auth_if_needed(reference.resolve_registry(), &credentials.auth)
            .await;
        tracing::debug!("registry {}: {:?}", reference.registry(), credentials);
        Ok(Self {
            client,
            reference,
            credentials,
        })
    }

    /// The reference this transport talks to.
    pub fn reference(&self) -> &Reference {
        &self.reference
    }

    /// Turns an oci-client error into one line that says what to do.
    fn error(&self, doing: &str, e: OciDistributionError) -> Error {
        let context = format!("{} ({doing})", self.reference);
        let auth_hint = match &self.credentials.source {
            CredentialSource::Anonymous => "the registry wants credentials: pass --username with --password-stdin, set ORAS_USER/ORAS_PASS, or `docker login`".to_string(),
            source => format!("the registry refused the credentials from {}", describe_source(source)),
        };
        let status = match &e {
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
            _ => None,
        };
        let message = match (status, &e) {
            (Some(401), _) => format!("unauthorized (401); {auth_hint}"),
            (Some(403), _) => format!("forbidden (403); {auth_hint}"),
            (Some(404), _) => "not found (404): check the repository and tag".to_string(),
            (_, OciDistributionError::RequestError(re)) => {
                let mut text = error_chain(re);
                if re.is_connect() || re.is_request() {
                    text.push_str("; is the registry up? use --plain-http for an http registry, --insecure for a self-signed certificate");
                }
                text
            }
            (_, other) => error_chain(other),
        };
        Error::oci(context, message)
    }

    /// Whether the repository already holds this blob.
    pub async fn has_blob(&self, d: &Descriptor) -> Result<bool> {
        self.client
            .blob_exists(&self.reference, &d.digest)
            .await
            .map_err(|e| self.error("checking a blob", e))
    }

    /// Uploads a blob from a stream of chunks.
    pub async fn put_blob(
        &self,
        d: &Descriptor,
        body: BoxStream<'static, std::io::Result<Bytes>>,
    ) -> Result<()> {
        let stream = body.map_err(OciDistributionError::IoError);
        self.client
            .push_blob_stream(&self.reference, stream, &d.digest, Some(d.size))
            .await
            .map_err(|e| self.error(&format!("uploading {}", label(d)), e))?;
        Ok(())
    }

    /// Uploads the manifest under the reference's tag.
    pub async fn put_manifest(&self, body: Vec<u8>, media_type: &str) -> Result<()> {
        let content_type = HeaderValue::from_str(media_type)
            .map_err(|e| Error::oci(self.reference.to_string(), e))?;
        self.client
            .push_manifest_raw(&self.reference, body, content_type)
            .await
            .map_err(|e| self.error("uploading the manifest", e))?;
        Ok(())
    }

    /// The manifest (or index) the reference names, and its digest.
    pub async fn get_manifest(&self) -> Result<(Bytes, String)> {
        self.client
            .pull_manifest_raw(&self.reference, &self.credentials.auth, MANIFEST_ACCEPT)
            .await
            .map_err(|e| self.error("fetching the manifest", e))
    }

    /// A manifest of the same repository by digest (an index entry).
    pub async fn get_manifest_by_digest(&self, digest: &str) -> Result<Bytes> {
        let child = Reference::with_digest(
            self.reference.registry().to_string(),
            self.reference.repository().to_string(),
            digest.to_string(),
        );
        let (bytes, _) = self
            .client
            .pull_manifest_raw(&child, &self.credentials.auth, MANIFEST_ACCEPT)
            .await
            .map_err(|e| self.error(&format!("fetching manifest {digest}"), e))?;
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
            .client
            .pull_blob_stream(&self.reference, &desc)
            .await
            .map_err(|e| self.error(&format!("downloading {}", label(d)), e))?;
        Ok(sized.stream.boxed())
    }
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

/// An error and its causes on one line.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        let s = c.to_string();
        if !text.contains(&s) {
            text.push_str(": ");
            text.push_str(&s);
        }
        cause = c.source();
    }
    text
}
