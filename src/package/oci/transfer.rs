//! Push and pull, over either transport.
//!
//! Memory: at most [`TRANSFER_CONCURRENCY`] blobs move at once, each through one
//! [`CHUNK_BYTES`] buffer (plus the HTTP stack's own small buffers), so a push or pull of
//! 200 MB or 200 GB holds about 4 × 1 MiB of blob data; RSS does not grow with blob size.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures::stream::{self, BoxStream};
use futures::{StreamExt, TryStreamExt};
use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;

use super::artifact::{check_manifest, plan_pull, plan_push, BlobSource, Route};
use super::auth;
use super::layout::LayoutTransport;
use super::registry::{source_is_timeout, RegistryOptions, RegistryTransport, TagState, ATTEMPTS};
use super::zip::extract_zip;
use super::{
    Descriptor, Index, Manifest, Target, TransferProgress, ARTIFACT_TYPE, CHUNK_BYTES,
    DOCKER_LIST_MEDIA_TYPE, INDEX_MEDIA_TYPE, MANIFEST_MEDIA_TYPE,
};
use crate::atomic::{commit_dir, is_non_empty_dir, staging_dir};
use crate::package::files::SkipReason;
use crate::package::{ITEMS_FILE, LOCK_FILE};
use crate::{Error, Result};

/// Blobs in flight at once (4 × [`CHUNK_BYTES`] of blob data in memory at most).
pub const TRANSFER_CONCURRENCY: usize = 4;

/// How to push.
#[derive(Debug, Clone, Default)]
pub struct PushOptions {
    /// Registry connection options (ignored for layouts).
    pub registry: RegistryOptions,
    /// `--username` and the password from stdin.
    pub login: Option<(String, String)>,
    /// The `org.opencontainers.image.created` value; default: `SOURCE_DATE_EPOCH`, else now.
    pub created: Option<String>,
}

/// What a push did.
#[derive(Debug, Clone)]
pub struct PushOutcome {
    /// Digest of the pushed manifest.
    pub digest: String,
    /// Size of the pushed manifest, in bytes (its media type is
    /// [`super::MANIFEST_MEDIA_TYPE`]).
    pub manifest_size: u64,
    /// Layers in the manifest.
    pub layers: usize,
    /// Blobs sent.
    pub uploaded: usize,
    /// Blobs the target already had.
    pub already_present: usize,
    /// Bytes sent.
    pub bytes_uploaded: u64,
    /// Files in the package directory that are not part of the package.
    pub skipped_files: Vec<(String, SkipReason)>,
}

/// How to pull.
#[derive(Debug, Clone, Default)]
pub struct PullOptions {
    /// Registry connection options (ignored for layouts).
    pub registry: RegistryOptions,
    /// `--username` and the password from stdin.
    pub login: Option<(String, String)>,
    /// Replace a non-empty output directory.
    pub force: bool,
}

/// What a pull did.
#[derive(Debug, Clone)]
pub struct PullOutcome {
    /// Digest of the pulled manifest.
    pub digest: String,
    /// Files written.
    pub files: usize,
    /// Bytes downloaded.
    pub bytes: u64,
}

enum Transport {
    Registry(Box<RegistryTransport>),
    Layout(LayoutTransport),
}

impl Transport {
    async fn open(
        target: &Target,
        registry: &RegistryOptions,
        login: Option<(String, String)>,
    ) -> Result<Self> {
        Ok(match target {
            Target::Registry(reference) => {
                let creds = auth::resolve(reference.resolve_registry(), login)?;
                Transport::Registry(Box::new(
                    RegistryTransport::connect(reference.clone(), registry, creds).await?,
                ))
            }
            Target::Layout { path, tag } => {
                Transport::Layout(LayoutTransport::new(path.clone(), tag.clone()))
            }
        })
    }

    async fn has_blob(&self, d: &Descriptor) -> Result<bool> {
        match self {
            Transport::Registry(t) => t.has_blob(d).await,
            Transport::Layout(t) => t.has_blob(d).await,
        }
    }

    /// Uploads the blob `open` streams; the registry may call `open` again to retry.
    async fn put_blob<F, Fut>(&self, d: &Descriptor, open: F) -> Result<()>
    where
        F: Fn() -> Fut,
        Fut: std::future::Future<Output = Result<BoxStream<'static, std::io::Result<Bytes>>>>,
    {
        match self {
            Transport::Registry(t) => t.put_blob(d, open).await,
            Transport::Layout(t) => t.put_blob(d, open().await?).await,
        }
    }

    async fn get_manifest(&self) -> Result<(Bytes, String)> {
        match self {
            Transport::Registry(t) => t.get_manifest().await,
            Transport::Layout(t) => t.get_manifest().await,
        }
    }

    async fn get_manifest_by_digest(&self, digest: &str) -> Result<Bytes> {
        match self {
            Transport::Registry(t) => t.get_manifest_by_digest(digest).await,
            Transport::Layout(t) => t.get_manifest_by_digest(digest).await,
        }
    }

    async fn get_blob(&self, d: &Descriptor) -> Result<BoxStream<'static, std::io::Result<Bytes>>> {
        match self {
            Transport::Registry(t) => t.get_blob(d).await,
            Transport::Layout(t) => t.get_blob(d).await,
        }
    }
}

/// The `created` timestamp: `SOURCE_DATE_EPOCH` (reproducible builds) or now, RFC 3339 UTC.
fn created_now() -> String {
    let at = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.trim().parse::<i64>().ok())
        .and_then(|secs| chrono::DateTime::from_timestamp(secs, 0))
        .unwrap_or_else(chrono::Utc::now);
    at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

async fn open_source(src: &BlobSource) -> Result<BoxStream<'static, std::io::Result<Bytes>>> {
    let path = match src {
        BlobSource::Bytes(b) => {
            let b: &'static [u8] = b;
            return Ok(stream::once(async move { Ok(Bytes::from_static(b)) }).boxed());
        }
        BlobSource::File(p) => p.as_path(),
        BlobSource::Temp(p) => p.as_ref(),
    };
    let file = tokio::fs::File::open(path)
        .await
        .map_err(|e| Error::io(path.display().to_string(), e))?;
    Ok(tokio_util::io::ReaderStream::with_capacity(file, CHUNK_BYTES).boxed())
}

/// What a push to `target` would replace, asked before anything is sent: the console's
/// confirmation names it, and asks for the typed tag when there is one.
pub async fn tag_state(
    target: &Target,
    registry: &RegistryOptions,
    login: Option<(String, String)>,
) -> Result<TagState> {
    match Transport::open(target, registry, login).await? {
        Transport::Registry(t) => t.tag_state().await,
        Transport::Layout(t) => Ok(t
            .tagged_digest()?
            .map_or(TagState::Absent, TagState::Present)),
    }
}

/// Pushes the package in `package` to `target`.
pub async fn push(
    package: &Path,
    target: &Target,
    options: &PushOptions,
    progress: Arc<dyn TransferProgress>,
) -> Result<PushOutcome> {
    let dir = package.to_path_buf();
    let plan = tokio::task::spawn_blocking(move || plan_push(&dir))
        .await
        .map_err(|e| Error::oci("planning the push", e))??;
    let transport = Transport::open(target, &options.registry, options.login.clone()).await?;
    if let Transport::Layout(t) = &transport {
        t.prepare()?;
    }
    progress.begin(plan.layers.len() + 1, plan.total_bytes());
    let blobs: Vec<_> = plan
        .layers
        .iter()
        .chain(std::iter::once(&plan.config))
        .collect();
    let total = blobs.len();
    // Blobs the target holds, counted as they land, for the error of an interrupted push.
    let landed = AtomicUsize::new(0);
    let result: Result<Vec<Option<u64>>> = stream::iter(blobs)
        .map(|blob| {
            let transport = &transport;
            let progress = progress.clone();
            let landed = &landed;
            async move {
                let d = &blob.descriptor;
                let title = blob.label().to_string();
                if transport.has_blob(d).await? {
                    progress.skipped(&title, d.size);
                    landed.fetch_add(1, Ordering::Relaxed);
                    return Ok(None);
                }
                // Bytes sent by this blob's current attempt, taken back if it is retried.
                let sent = Arc::new(AtomicU64::new(0));
                let open = || {
                    let progress = progress.clone();
                    let title = title.clone();
                    let sent = sent.clone();
                    async move {
                        let earlier = sent.swap(0, Ordering::Relaxed);
                        if earlier > 0 {
                            progress.restarted(&title, earlier);
                        }
                        Ok(open_source(&blob.source)
                            .await?
                            .inspect_ok(move |c| {
                                sent.fetch_add(c.len() as u64, Ordering::Relaxed);
                                progress.advanced(&title, c.len() as u64);
                            })
                            .boxed())
                    }
                };
                transport.put_blob(d, open).await?;
                progress.finished(&title);
                landed.fetch_add(1, Ordering::Relaxed);
                Ok::<_, Error>(Some(d.size))
            }
        })
        .buffer_unordered(TRANSFER_CONCURRENCY)
        .try_collect()
        .await;
    let sent = result.map_err(|e| match e {
        Error::Oci { context, message } => Error::Oci {
            context,
            message: format!(
                "{message}; the push is incomplete ({} of {total} blobs are in {target}, no manifest was pushed): run the same push again, blobs already uploaded are skipped",
                landed.load(Ordering::Relaxed)
            ),
        },
        other => other,
    })?;
    let created = options.created.clone().unwrap_or_else(created_now);
    let manifest = plan.manifest(&created);
    let body = serde_json::to_vec(&manifest).expect("manifest serialises");
    let manifest_size = body.len() as u64;
    let digest = match &transport {
        Transport::Registry(t) => {
            let digest = format!("sha256:{}", hex::encode(Sha256::digest(&body)));
            t.put_manifest(body, MANIFEST_MEDIA_TYPE).await?;
            digest
        }
        Transport::Layout(t) => {
            t.put_manifest(body, MANIFEST_MEDIA_TYPE, ARTIFACT_TYPE)
                .await?
        }
    };
    Ok(PushOutcome {
        digest,
        manifest_size,
        layers: plan.layers.len(),
        uploaded: sent.iter().filter(|s| s.is_some()).count(),
        already_present: sent.iter().filter(|s| s.is_none()).count(),
        bytes_uploaded: sent.iter().flatten().sum(),
        skipped_files: plan.skipped,
    })
}

/// Fetches the manifest `source` names, following an image index to the stacpkg entry.
async fn resolve_manifest(transport: &Transport, source: &str) -> Result<(Manifest, String)> {
    let (bytes, digest) = transport.get_manifest().await?;
    let value: serde_json::Value = serde_json::from_slice(&bytes)
        .map_err(|e| Error::input(source, format!("the manifest is not JSON: {e}")))?;
    let media_type = value
        .get("mediaType")
        .and_then(|m| m.as_str())
        .unwrap_or("");
    let is_index = media_type == INDEX_MEDIA_TYPE
        || media_type == DOCKER_LIST_MEDIA_TYPE
        || (media_type.is_empty() && value.get("manifests").is_some());
    if !is_index {
        let manifest: Manifest = serde_json::from_value(value)
            .map_err(|e| Error::input(source, format!("not an OCI image manifest: {e}")))?;
        return Ok((manifest, digest));
    }
    let index: Index = serde_json::from_slice(&bytes)
        .map_err(|e| Error::input(source, format!("not an OCI image index: {e}")))?;
    let packages: Vec<&Descriptor> = index
        .manifests
        .iter()
        .filter(|m| m.artifact_type.as_deref() == Some(ARTIFACT_TYPE))
        .collect();
    let entry = match (packages.as_slice(), index.manifests.as_slice()) {
        ([one], _) => *one,
        ([], [only]) => only,
        ([], _) => {
            return Err(Error::input(
                source,
                "is an image index with no stacpkg package entry (artifactType application/vnd.stacpkg.package.v1+json)",
            ))
        }
        _ => {
            return Err(Error::input(
                source,
                "is an image index with several stacpkg packages; pull one by digest (REPO@sha256:…)",
            ))
        }
    };
    let child = transport.get_manifest_by_digest(&entry.digest).await?;
    let actual = format!("sha256:{}", hex::encode(Sha256::digest(&child)));
    if actual != entry.digest {
        return Err(Error::Integrity {
            context: format!("{source}: manifest from the index"),
            expected: entry.digest.clone(),
            actual,
        });
    }
    let manifest: Manifest = serde_json::from_slice(&child).map_err(|e| {
        Error::input(
            source,
            format!("index entry is not an OCI image manifest: {e}"),
        )
    })?;
    Ok((manifest, entry.digest.clone()))
}

/// Why one download attempt failed.
enum FetchFailure {
    /// The body broke off after `got` bytes (reset, timeout): worth another attempt.
    Interrupted { error: std::io::Error, got: u64 },
    /// Anything else (integrity, disk, a request already retried): final.
    Final(Error),
}

/// Downloads one blob to `dest`, checking size as it streams and the digest at the end; a body
/// that breaks off is fetched again from the start, up to [`ATTEMPTS`] times.
async fn fetch_blob(
    transport: &Transport,
    d: &Descriptor,
    dest: &Path,
    progress: &dyn TransferProgress,
    source: &str,
) -> Result<u64> {
    let title = d.title().unwrap_or(d.digest.as_str()).to_string();
    let context = format!("{source}: blob {title} ({})", d.digest);
    if let Some(parent) = dest.parent() {
        tokio::fs::create_dir_all(parent)
            .await
            .map_err(|e| Error::io(parent.display().to_string(), e))?;
    }
    let mut attempt = 1;
    loop {
        match fetch_once(transport, d, dest, progress, &title, &context).await {
            Ok(size) => {
                progress.finished(&title);
                return Ok(size);
            }
            Err(FetchFailure::Final(e)) => return Err(e),
            Err(FetchFailure::Interrupted { error, got }) if attempt < ATTEMPTS => {
                tracing::debug!(
                    "{context}: download broke off after {got} bytes, retrying: {error}"
                );
                progress.restarted(&title, got);
                tokio::time::sleep(Duration::from_millis(500) * 2u32.pow(attempt - 1)).await;
                attempt += 1;
            }
            Err(FetchFailure::Interrupted { error, .. }) => {
                let what = if source_is_timeout(&error) {
                    "the registry stopped sending (timed out)"
                } else {
                    "the download broke off"
                };
                return Err(Error::oci(
                    context,
                    format!("{what}, tried {attempt} times: {error}; nothing was written: try again later, or raise --timeout"),
                ));
            }
        }
    }
}

/// One download attempt of [`fetch_blob`]: truncates `dest` and streams the blob into it.
async fn fetch_once(
    transport: &Transport,
    d: &Descriptor,
    dest: &Path,
    progress: &dyn TransferProgress,
    title: &str,
    context: &str,
) -> std::result::Result<u64, FetchFailure> {
    let mut body = transport.get_blob(d).await.map_err(FetchFailure::Final)?;
    let disk = |e| FetchFailure::Final(Error::io(dest.display().to_string(), e));
    let mut file = tokio::fs::File::create(dest).await.map_err(disk)?;
    let mut hasher = Sha256::new();
    let mut size = 0u64;
    let mut stream_error = None;
    while let Some(chunk) = body.next().await {
        let chunk = match chunk {
            Ok(c) => c,
            Err(e) => {
                stream_error = Some(e);
                break;
            }
        };
        size += chunk.len() as u64;
        if size > d.size {
            return Err(FetchFailure::Final(Error::Integrity {
                context: format!("{context} size"),
                expected: format!("{} bytes", d.size),
                actual: format!("more than {} bytes", d.size),
            }));
        }
        hasher.update(&chunk);
        file.write_all(&chunk).await.map_err(disk)?;
        progress.advanced(title, chunk.len() as u64);
    }
    let digest = format!("sha256:{}", hex::encode(hasher.finalize()));
    let mismatch = |expected: String, actual: String, what: &str| {
        FetchFailure::Final(Error::Integrity {
            context: format!("{context} {what}"),
            expected,
            actual,
        })
    };
    // oci-client's own verifier reports a mismatch as a stream error after the last byte;
    // when every byte arrived, our digest tells the real story.
    if size == d.size && digest != d.digest {
        return Err(mismatch(d.digest.clone(), digest, "digest"));
    }
    if let Some(error) = stream_error {
        return Err(FetchFailure::Interrupted { error, got: size });
    }
    if size != d.size {
        return Err(mismatch(
            format!("{} bytes", d.size),
            format!("{size} bytes"),
            "size",
        ));
    }
    if digest != d.digest {
        return Err(mismatch(d.digest.clone(), digest, "digest"));
    }
    file.sync_all().await.map_err(disk)?;
    Ok(size)
}

/// Pulls the package `source` names into `out_dir`.
pub async fn pull(
    source: &Target,
    out_dir: &Path,
    options: &PullOptions,
    progress: Arc<dyn TransferProgress>,
) -> Result<PullOutcome> {
    if is_non_empty_dir(out_dir)? && !options.force {
        return Err(Error::input(
            out_dir.display().to_string(),
            "is not empty; pass --force to replace it (it is replaced only after a complete, verified pull)",
        ));
    }
    let name = source.to_string();
    let transport = Transport::open(source, &options.registry, options.login.clone()).await?;
    let (manifest, digest) = resolve_manifest(&transport, &name).await?;
    check_manifest(&manifest, &name)?;
    let routes = plan_pull(&manifest, &name)?;
    let staged = staging_dir(out_dir, "pull")?;
    let root = staged.path().to_path_buf();
    progress.begin(routes.len(), routes.iter().map(|(d, _)| d.size).sum());
    // ZIP layers download beside the staging directory, then unpack into it.
    let zip_dir = staging_dir(out_dir, "zips")?;
    let jobs: Vec<(usize, &Descriptor, PathBuf)> = routes
        .iter()
        .enumerate()
        .map(|(i, (d, route))| {
            let dest = match route {
                Route::File(p) => root.join(p),
                Route::Zip => zip_dir.path().join(format!("layer-{i}.zip")),
            };
            (i, d, dest)
        })
        .collect();
    let sizes: Vec<u64> = stream::iter(jobs.iter())
        .map(|(_, d, dest)| {
            let transport = &transport;
            let progress = progress.clone();
            let name = name.as_str();
            async move { fetch_blob(transport, d, dest, progress.as_ref(), name).await }
        })
        .buffered(TRANSFER_CONCURRENCY)
        .try_collect()
        .await?;
    let mut written: HashSet<String> = routes
        .iter()
        .filter_map(|(_, r)| match r {
            Route::File(p) => Some(p.clone()),
            Route::Zip => None,
        })
        .collect();
    let mut files = written.len();
    for (i, d, dest) in &jobs {
        if routes[*i].1 != Route::Zip {
            continue;
        }
        let layer = format!("{name}: layer {}", d.title().unwrap_or(d.digest.as_str()));
        let (zip_path, root) = (dest.clone(), root.clone());
        let layer_name = layer.clone();
        let members =
            tokio::task::spawn_blocking(move || extract_zip(&zip_path, &root, &layer_name))
                .await
                .map_err(|e| Error::oci(&layer, e))??;
        for m in members {
            if !written.insert(m.clone()) {
                return Err(Error::input(
                    layer,
                    format!(
                        "writes {m}, which another layer also writes; the artifact is malformed"
                    ),
                ));
            }
            files += 1;
        }
    }
    drop(zip_dir);
    for table in [ITEMS_FILE, LOCK_FILE] {
        if !root.join(table).is_file() {
            return Err(Error::input(
                &name,
                format!("the artifact holds no {table}; it is not a complete stacpkg package"),
            ));
        }
    }
    commit_dir(staged, out_dir, options.force)?;
    Ok(PullOutcome {
        digest,
        files,
        bytes: sizes.iter().sum(),
    })
}
