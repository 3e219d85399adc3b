//! Packages as OCI artifacts: push to and pull from a registry or an OCI image-layout directory.
//!
//! The artifact is the Python stacpkg 0.1.4's, so either tool pulls what the other pushed: an
//! image manifest with `artifactType` [`ARTIFACT_TYPE`], the empty config `{}`, one layer per
//! table (`items`, `asset-lock` media types), one per copied asset (`asset.v1`), one per other
//! top-level file, and a deterministic ZIP (`files.v1+zip`) per included directory; every layer
//! carries its package-relative path as `org.opencontainers.image.title`.
//!
//! What we add, within that contract: only package files are uploaded ([`super::files`]);
//! blobs stream from disk (never a whole file in memory) and are skipped when the target
//! already has them; the manifest says when and by which stacpkg it was made. Pull verifies
//! every blob's size and digest while it streams, checks `artifactType`, follows an image
//! index, refuses unsafe titles before writing anything, and builds the package in a temporary
//! directory beside the target that is renamed into place only when complete.
//!
//! Two transports share that logic ([`transfer`]): a registry through `oci-client`
//! ([`registry`]), and an OCI image-layout directory ([`layout`]), written as `oci:PATH[:TAG]`
//! like skopeo does, for handing a package over on a disk without any registry.

pub mod artifact;
pub mod auth;
pub mod layout;
pub mod reference;
pub mod registry;
pub mod transfer;
pub mod zip;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

pub use reference::Target;
pub use registry::TagState;
pub use transfer::{pull, push, tag_state, PullOptions, PullOutcome, PushOptions, PushOutcome};

/// Bytes read or written per piece of a blob stream (1 MiB).
pub const CHUNK_BYTES: usize = 1 << 20;

/// Media type of an OCI image manifest.
pub const MANIFEST_MEDIA_TYPE: &str = "application/vnd.oci.image.manifest.v1+json";
/// Media type of an OCI image index.
pub const INDEX_MEDIA_TYPE: &str = "application/vnd.oci.image.index.v1+json";
/// Docker schema 2 manifest (accepted on pull, as the Python tool's Accept header does).
pub const DOCKER_MANIFEST_MEDIA_TYPE: &str = "application/vnd.docker.distribution.manifest.v2+json";
/// Docker manifest list (an index, accepted on pull).
pub const DOCKER_LIST_MEDIA_TYPE: &str =
    "application/vnd.docker.distribution.manifest.list.v2+json";
/// `artifactType` of a stacpkg package.
pub const ARTIFACT_TYPE: &str = "application/vnd.stacpkg.package.v1+json";
/// Media type of the empty config.
pub const EMPTY_CONFIG_MEDIA_TYPE: &str = "application/vnd.oci.empty.v1+json";
/// The empty config blob.
pub const EMPTY_CONFIG: &[u8] = b"{}";
/// Digest of [`EMPTY_CONFIG`].
pub const EMPTY_CONFIG_DIGEST: &str =
    "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a";
/// Layer media type of `items.parquet`.
pub const ITEMS_LAYER: &str = "application/vnd.stacpkg.items.v1.parquet";
/// Layer media type of `assets.lock.parquet`.
pub const LOCK_LAYER: &str = "application/vnd.stacpkg.asset-lock.v1.parquet";
/// Layer media type of a ZIP of an included directory.
pub const FILES_ZIP_LAYER: &str = "application/vnd.stacpkg.files.v1+zip";
/// Layer media type of one copied asset.
pub const ASSET_LAYER: &str = "application/vnd.stacpkg.asset.v1";
/// Layer media type of a ZIP of assets (pull accepts it; nobody pushes it).
pub const ASSET_ZIP_LAYER: &str = "application/vnd.stacpkg.asset.v1+zip";
/// Annotation holding a layer's package-relative path.
pub const TITLE_ANNOTATION: &str = "org.opencontainers.image.title";
/// Manifest annotation: when the artifact was made (RFC 3339).
pub const CREATED_ANNOTATION: &str = "org.opencontainers.image.created";
/// Manifest annotation: the stacpkg version that made the artifact.
pub const VERSION_ANNOTATION: &str = "vnd.stacpkg.version";
/// Index annotation naming a tag in an OCI image layout.
pub const REF_NAME_ANNOTATION: &str = "org.opencontainers.image.ref.name";

/// An OCI content descriptor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Descriptor {
    /// Media type of the content.
    pub media_type: String,
    /// `sha256:<hex>` of the content.
    pub digest: String,
    /// Size in bytes.
    pub size: u64,
    /// `artifactType` of a manifest (in index entries).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub artifact_type: Option<String>,
    /// Annotations (a layer's title; a layout's tag).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub annotations: Option<BTreeMap<String, String>>,
    /// Any other field (platform, urls), kept so indexes round-trip.
    #[serde(flatten)]
    pub extra: BTreeMap<String, serde_json::Value>,
}

impl Descriptor {
    /// A descriptor without annotations.
    pub fn new(media_type: &str, digest: String, size: u64) -> Self {
        Self {
            media_type: media_type.to_string(),
            digest,
            size,
            artifact_type: None,
            annotations: None,
            extra: BTreeMap::new(),
        }
    }

    /// The title annotation, if any.
    pub fn title(&self) -> Option<&str> {
        self.annotation(TITLE_ANNOTATION)
    }

    /// An annotation value.
    pub fn annotation(&self, key: &str) -> Option<&str> {
        self.annotations.as_ref()?.get(key).map(String::as_str)
    }
}

/// An OCI image manifest (the fields stacpkg reads and writes).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Manifest {
    /// Always 2.
    pub schema_version: u32,
    /// [`MANIFEST_MEDIA_TYPE`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_type: Option<String>,
    /// [`ARTIFACT_TYPE`] for stacpkg packages.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub artifact_type: Option<String>,
    /// The config descriptor (the empty config).
    pub config: Descriptor,
    /// The layers, in package order.
    pub layers: Vec<Descriptor>,
    /// Manifest annotations.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub annotations: Option<BTreeMap<String, String>>,
}

/// An OCI image index (the fields stacpkg reads and writes).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Index {
    /// Always 2.
    pub schema_version: u32,
    /// [`INDEX_MEDIA_TYPE`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_type: Option<String>,
    /// The manifests.
    pub manifests: Vec<Descriptor>,
    /// Index annotations.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub annotations: Option<BTreeMap<String, String>>,
}

/// What a transfer reports while it runs (the CLI draws a progress line from it).
pub trait TransferProgress: Send + Sync {
    /// The whole transfer: `blobs` blobs, `bytes` bytes in total.
    fn begin(&self, _blobs: usize, _bytes: u64) {}
    /// A blob the target already has: nothing is sent.
    fn skipped(&self, _title: &str, _bytes: u64) {}
    /// `bytes` more bytes of the blob titled `title` moved.
    fn advanced(&self, _title: &str, _bytes: u64) {}
    /// The blob titled `title` is complete.
    fn finished(&self, _title: &str) {}
    /// The blob titled `title` starts over after a failure: take back `bytes` already counted.
    fn restarted(&self, _title: &str, _bytes: u64) {}
}

/// A progress sink that ignores everything.
pub struct NoProgress;

impl TransferProgress for NoProgress {}
