//! The OCI image-layout transport: a directory with `oci-layout`, `index.json` and
//! `blobs/sha256/<hex>`, as the OCI image spec defines it and skopeo / oras read and write it
//! (`skopeo copy oci:PATH:TAG docker://…`). Tags are index entries annotated
//! `org.opencontainers.image.ref.name`.
//!
//! Blobs are written to a temporary file in `blobs/sha256/`, hashed while copied, and renamed
//! into place only when the digest matches; `index.json` is replaced atomically. A killed push
//! leaves at most orphan blobs, never a tag pointing at missing content.

use std::path::{Path, PathBuf};

use bytes::Bytes;
use futures::stream::BoxStream;
use futures::StreamExt;
use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;

use super::{Descriptor, Index, CHUNK_BYTES, INDEX_MEDIA_TYPE, REF_NAME_ANNOTATION};
use crate::atomic::AtomicFile;
use crate::{Error, Result};

/// Content of the `oci-layout` file.
const OCI_LAYOUT: &str = r#"{"imageLayoutVersion":"1.0.0"}"#;

/// An OCI image-layout directory and a tag in it.
pub struct LayoutTransport {
    root: PathBuf,
    tag: Option<String>,
}

impl LayoutTransport {
    /// A layout at `root` (created on push).
    pub fn new(root: PathBuf, tag: Option<String>) -> Self {
        Self { root, tag }
    }

    fn name(&self) -> String {
        let mut s = format!("oci:{}", self.root.display());
        if let Some(t) = &self.tag {
            s.push(':');
            s.push_str(t);
        }
        s
    }

    fn blob_path(&self, digest: &str) -> Result<PathBuf> {
        let hex = digest
            .strip_prefix("sha256:")
            .filter(|h| h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()))
            .ok_or_else(|| Error::input(self.name(), format!("bad digest {digest}")))?;
        Ok(self.root.join("blobs").join("sha256").join(hex))
    }

    /// Creates the layout skeleton if missing; refuses a non-empty directory that is not a
    /// layout.
    pub fn prepare(&self) -> Result<()> {
        let marker = self.root.join("oci-layout");
        if !marker.exists() {
            if let Ok(mut entries) = std::fs::read_dir(&self.root) {
                if entries.next().is_some() {
                    return Err(Error::input(
                        self.name(),
                        "is a non-empty directory without an `oci-layout` file; give a new or empty directory",
                    ));
                }
            }
            std::fs::create_dir_all(self.root.join("blobs").join("sha256"))
                .map_err(|e| Error::io(self.name(), e))?;
            let f = AtomicFile::create(&marker)?;
            std::io::Write::write_all(&mut f.handle()?, OCI_LAYOUT.as_bytes())
                .map_err(|e| Error::io(self.name(), e))?;
            f.commit()?;
        }
        std::fs::create_dir_all(self.root.join("blobs").join("sha256"))
            .map_err(|e| Error::io(self.name(), e))?;
        Ok(())
    }

    /// Whether the layout holds this blob (with the right size).
    pub async fn has_blob(&self, d: &Descriptor) -> Result<bool> {
        let path = self.blob_path(&d.digest)?;
        Ok(tokio::fs::metadata(&path)
            .await
            .is_ok_and(|m| m.is_file() && m.len() == d.size))
    }

    /// Writes a blob from a stream, verifying its digest before it becomes visible.
    pub async fn put_blob(
        &self,
        d: &Descriptor,
        mut body: BoxStream<'static, std::io::Result<Bytes>>,
    ) -> Result<()> {
        let target = self.blob_path(&d.digest)?;
        let dir = target.parent().expect("blob dir").to_path_buf();
        let temp = crate::atomic::output_file_builder()
            .prefix(".upload-")
            .tempfile_in(&dir)
            .map_err(|e| Error::io(self.name(), e))?;
        let (std_file, temp_path) = temp.into_parts();
        let mut file = tokio::fs::File::from_std(std_file);
        let mut hasher = Sha256::new();
        let mut size = 0u64;
        while let Some(chunk) = body.next().await {
            let chunk = chunk.map_err(|e| Error::io(self.name(), e))?;
            hasher.update(&chunk);
            size += chunk.len() as u64;
            file.write_all(&chunk)
                .await
                .map_err(|e| Error::io(self.name(), e))?;
        }
        file.sync_all()
            .await
            .map_err(|e| Error::io(self.name(), e))?;
        let digest = format!("sha256:{}", hex::encode(hasher.finalize()));
        if digest != d.digest || size != d.size {
            return Err(Error::Integrity {
                context: format!(
                    "{}: blob {} (changed while pushing?)",
                    self.name(),
                    label(d)
                ),
                expected: format!("{} ({} bytes)", d.digest, d.size),
                actual: format!("{digest} ({size} bytes)"),
            });
        }
        temp_path
            .persist(&target)
            .map_err(|e| Error::io(self.name(), e.error))?;
        Ok(())
    }

    /// Stores the manifest blob and points the tag at it in `index.json`.
    pub async fn put_manifest(
        &self,
        body: Vec<u8>,
        media_type: &str,
        artifact_type: &str,
    ) -> Result<String> {
        let digest = format!("sha256:{}", hex::encode(Sha256::digest(&body)));
        let mut desc = Descriptor::new(media_type, digest.clone(), body.len() as u64);
        desc.artifact_type = Some(artifact_type.to_string());
        let tag = self
            .tag
            .clone()
            .unwrap_or_else(|| super::reference::DEFAULT_LAYOUT_TAG.to_string());
        desc.annotations = Some([(REF_NAME_ANNOTATION.to_string(), tag.clone())].into());
        let stream = futures::stream::once(async move { Ok(Bytes::from(body)) }).boxed();
        if !self.has_blob(&desc).await? {
            self.put_blob(&desc, stream).await?;
        }
        let mut index = self.read_index()?.unwrap_or(Index {
            schema_version: 2,
            media_type: Some(INDEX_MEDIA_TYPE.to_string()),
            manifests: Vec::new(),
            annotations: None,
        });
        index
            .manifests
            .retain(|m| m.annotation(REF_NAME_ANNOTATION) != Some(tag.as_str()));
        index.manifests.push(desc);
        let bytes = serde_json::to_vec(&index).expect("index serialises");
        let f = AtomicFile::create(&self.root.join("index.json"))?;
        std::io::Write::write_all(&mut f.handle()?, &bytes)
            .map_err(|e| Error::io(self.name(), e))?;
        f.commit()?;
        Ok(digest)
    }

    fn read_index(&self) -> Result<Option<Index>> {
        let path = self.root.join("index.json");
        let bytes = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(Error::io(path.display().to_string(), e)),
        };
        serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|e| Error::Json {
                input: path.display().to_string(),
                line: 0,
                source: e,
            })
    }

    /// The digest the tag names now, if any (without a tag a push adds a manifest and
    /// replaces none).
    pub fn tagged_digest(&self) -> Result<Option<String>> {
        let Some(tag) = &self.tag else {
            return Ok(None);
        };
        if !self.root.join("oci-layout").is_file() {
            return Ok(None);
        }
        Ok(self.read_index()?.and_then(|index| {
            index
                .manifests
                .iter()
                .find(|m| m.annotation(REF_NAME_ANNOTATION) == Some(tag.as_str()))
                .map(|m| m.digest.clone())
        }))
    }

    /// The manifest the tag names (or the only one, without a tag), and its digest.
    pub async fn get_manifest(&self) -> Result<(Bytes, String)> {
        if !self.root.join("oci-layout").is_file() {
            return Err(Error::input(
                self.name(),
                "is not an OCI image layout (no `oci-layout` file)",
            ));
        }
        let index = self.read_index()?.ok_or_else(|| {
            Error::input(self.name(), "is not an OCI image layout (no index.json)")
        })?;
        let chosen: Vec<&Descriptor> = match &self.tag {
            Some(tag) => index
                .manifests
                .iter()
                .filter(|m| m.annotation(REF_NAME_ANNOTATION) == Some(tag.as_str()))
                .collect(),
            None => index.manifests.iter().collect(),
        };
        let desc = match chosen.as_slice() {
            [one] => *one,
            [] => {
                let tags: Vec<&str> = index
                    .manifests
                    .iter()
                    .filter_map(|m| m.annotation(REF_NAME_ANNOTATION))
                    .collect();
                return Err(Error::input(
                    self.name(),
                    format!(
                        "no such tag; the layout has: {}",
                        if tags.is_empty() {
                            "none".to_string()
                        } else {
                            tags.join(", ")
                        }
                    ),
                ));
            }
            _ => {
                return Err(Error::input(
                    self.name(),
                    "holds several manifests for this name; give one tag: oci:PATH:TAG",
                ))
            }
        };
        let bytes = self.get_manifest_by_digest(&desc.digest).await?;
        Ok((bytes, desc.digest.clone()))
    }

    /// A manifest blob by digest, verified.
    pub async fn get_manifest_by_digest(&self, digest: &str) -> Result<Bytes> {
        let path = self.blob_path(digest)?;
        let bytes = tokio::fs::read(&path)
            .await
            .map_err(|e| Error::io(format!("{}: manifest {digest}", self.name()), e))?;
        let actual = format!("sha256:{}", hex::encode(Sha256::digest(&bytes)));
        if actual != digest {
            return Err(Error::Integrity {
                context: format!("{}: manifest", self.name()),
                expected: digest.to_string(),
                actual,
            });
        }
        Ok(Bytes::from(bytes))
    }

    /// A blob's bytes as a stream (verified by the caller).
    pub async fn get_blob(
        &self,
        d: &Descriptor,
    ) -> Result<BoxStream<'static, std::io::Result<Bytes>>> {
        let path = self.blob_path(&d.digest)?;
        let file = tokio::fs::File::open(&path)
            .await
            .map_err(|e| Error::io(format!("{}: blob {}", self.name(), label(d)), e))?;
        Ok(tokio_util::io::ReaderStream::with_capacity(file, CHUNK_BYTES).boxed())
    }

    /// The layout directory.
    pub fn root(&self) -> &Path {
        &self.root
    }
}

fn label(d: &Descriptor) -> String {
    d.title().unwrap_or(d.digest.as_str()).to_string()
}
