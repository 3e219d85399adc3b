//! Package ⇄ artifact: which layers a package becomes, and where each layer of a pulled
//! artifact goes. Both directions check every path before any byte moves.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

use super::zip::write_zip;
use super::{
    Descriptor, Manifest, ARTIFACT_TYPE, ASSET_LAYER, ASSET_ZIP_LAYER, CREATED_ANNOTATION,
    DOCKER_MANIFEST_MEDIA_TYPE, EMPTY_CONFIG, EMPTY_CONFIG_DIGEST, EMPTY_CONFIG_MEDIA_TYPE,
    FILES_ZIP_LAYER, ITEMS_LAYER, LOCK_LAYER, MANIFEST_MEDIA_TYPE, TITLE_ANNOTATION,
    VERSION_ANNOTATION,
};
use crate::package::files::{list_package, sha256_file, PackageEntry, PackageFile, SkipReason};
use crate::package::{check_safe_path, media, ITEMS_FILE, LOCK_FILE};
use crate::{Error, Result};

/// Where the bytes of a blob to push are.
#[derive(Debug)]
pub enum BlobSource {
    /// A package file.
    File(PathBuf),
    /// A ZIP built for this push (removed when the plan is dropped).
    Temp(tempfile::TempPath),
    /// Bytes in memory (the 2-byte empty config).
    Bytes(&'static [u8]),
}

/// One blob to push: its descriptor and its bytes.
#[derive(Debug)]
pub struct PlannedBlob {
    /// The descriptor as it appears in the manifest.
    pub descriptor: Descriptor,
    /// The bytes.
    pub source: BlobSource,
}

impl PlannedBlob {
    /// The title, or the digest for untitled blobs (the config).
    pub fn label(&self) -> &str {
        self.descriptor
            .title()
            .unwrap_or(self.descriptor.digest.as_str())
    }
}

/// Everything a push sends.
#[derive(Debug)]
pub struct PushPlan {
    /// Layers in manifest order.
    pub layers: Vec<PlannedBlob>,
    /// The empty config blob.
    pub config: PlannedBlob,
    /// Files in the directory that are not part of the package.
    pub skipped: Vec<(String, SkipReason)>,
}

impl PushPlan {
    /// Total bytes of all blobs.
    pub fn total_bytes(&self) -> u64 {
        self.layers.iter().map(|l| l.descriptor.size).sum::<u64>() + self.config.descriptor.size
    }

    /// The manifest for these layers, stamped with `created` (RFC 3339).
    pub fn manifest(&self, created: &str) -> Manifest {
        let mut annotations = BTreeMap::new();
        annotations.insert(CREATED_ANNOTATION.to_string(), created.to_string());
        annotations.insert(
            VERSION_ANNOTATION.to_string(),
            env!("CARGO_PKG_VERSION").to_string(),
        );
        Manifest {
            schema_version: 2,
            media_type: Some(MANIFEST_MEDIA_TYPE.to_string()),
            artifact_type: Some(ARTIFACT_TYPE.to_string()),
            config: self.config.descriptor.clone(),
            layers: self.layers.iter().map(|l| l.descriptor.clone()).collect(),
            annotations: Some(annotations),
        }
    }
}

/// Lists the package in `dir`, zips its included directories and hashes every blob. Blocking
/// (reads every file once); run it off the async runtime.
pub fn plan_push(dir: &Path) -> Result<PushPlan> {
    let listing = list_package(dir)?;
    listing.require_complete(dir)?;
    let mut layers = Vec::new();
    for entry in &listing.entries {
        let planned = match entry {
            PackageEntry::Items(f) => file_blob(f, ITEMS_LAYER)?,
            PackageEntry::Lock(f) => file_blob(f, LOCK_LAYER)?,
            PackageEntry::Asset(f) => file_blob(f, ASSET_LAYER)?,
            PackageEntry::File(f) => file_blob(f, media::media_type(&f.path))?,
            PackageEntry::Dir { name, files } => zip_blob(name, files)?,
        };
        check_safe_path(planned.label())?;
        layers.push(planned);
    }
    let config = PlannedBlob {
        descriptor: Descriptor::new(
            EMPTY_CONFIG_MEDIA_TYPE,
            EMPTY_CONFIG_DIGEST.to_string(),
            EMPTY_CONFIG.len() as u64,
        ),
        source: BlobSource::Bytes(EMPTY_CONFIG),
    };
    Ok(PushPlan {
        layers,
        config,
        skipped: listing.skipped,
    })
}

fn titled(media_type: &str, digest: String, size: u64, title: &str) -> Descriptor {
    let mut d = Descriptor::new(media_type, digest, size);
    d.annotations = Some(BTreeMap::from([(
        TITLE_ANNOTATION.to_string(),
        title.to_string(),
    )]));
    d
}

fn file_blob(f: &PackageFile, media_type: &str) -> Result<PlannedBlob> {
    let digest = sha256_file(&f.source)?;
    Ok(PlannedBlob {
        descriptor: titled(media_type, digest, f.size, &f.path),
        source: BlobSource::File(f.source.clone()),
    })
}

fn zip_blob(name: &str, files: &[PackageFile]) -> Result<PlannedBlob> {
    let temp = tempfile::Builder::new()
        .prefix(".stacpkg-layer-")
        .suffix(".zip")
        .tempfile()
        .map_err(|e| Error::io("creating a temporary ZIP layer", e))?;
    let (file, path) = temp.into_parts();
    let file = write_zip(files, std::io::BufWriter::new(file))?;
    file.into_inner()
        .map_err(|e| Error::io(format!("writing the ZIP layer of {name}"), e.into_error()))?;
    let size = std::fs::metadata(&path)
        .map_err(|e| Error::io(format!("ZIP layer of {name}"), e))?
        .len();
    let digest = sha256_file(&path)?;
    Ok(PlannedBlob {
        descriptor: titled(FILES_ZIP_LAYER, digest, size, name),
        source: BlobSource::Temp(path),
    })
}

/// Where a pulled layer goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// Written to this package-relative path.
    File(String),
    /// A ZIP whose members are extracted into the package.
    Zip,
}

/// Checks that `manifest` is a stacpkg package: an image manifest whose `artifactType` (or,
/// as older ORAS clients wrote it, config media type) is [`ARTIFACT_TYPE`].
pub fn check_manifest(manifest: &Manifest, source: &str) -> Result<()> {
    if let Some(mt) = &manifest.media_type {
        if mt != MANIFEST_MEDIA_TYPE && mt != DOCKER_MANIFEST_MEDIA_TYPE {
            return Err(Error::input(
                source,
                format!("manifest media type {mt} is not an image manifest"),
            ));
        }
    }
    let is_package = manifest.artifact_type.as_deref() == Some(ARTIFACT_TYPE)
        || manifest.config.media_type == ARTIFACT_TYPE;
    if !is_package {
        let found = manifest
            .artifact_type
            .as_deref()
            .unwrap_or(manifest.config.media_type.as_str());
        return Err(Error::input(
            source,
            format!("not a stacpkg package: artifactType is {found}, expected {ARTIFACT_TYPE}"),
        ));
    }
    Ok(())
}

/// Routes every layer (the Python tool's rules) and refuses unsafe or clashing paths.
pub fn plan_pull(manifest: &Manifest, source: &str) -> Result<Vec<(Descriptor, Route)>> {
    let mut seen = HashSet::new();
    let mut out = Vec::with_capacity(manifest.layers.len());
    for (i, layer) in manifest.layers.iter().enumerate() {
        let route = match layer.media_type.as_str() {
            ITEMS_LAYER => Route::File(ITEMS_FILE.to_string()),
            LOCK_LAYER => Route::File(LOCK_FILE.to_string()),
            FILES_ZIP_LAYER | ASSET_ZIP_LAYER => Route::Zip,
            mt => match layer.title() {
                Some(title) => Route::File(title.to_string()),
                None if mt == ASSET_LAYER => {
                    return Err(Error::input(
                        source,
                        format!("layer {i} ({mt}) has no {TITLE_ANNOTATION} annotation"),
                    ))
                }
                None => {
                    return Err(Error::input(
                        source,
                        format!("layer {i} has unsupported media type {mt} and no title"),
                    ))
                }
            },
        };
        if let Route::File(path) = &route {
            check_safe_path(path).map_err(|e| Error::input(source, e.to_string()))?;
            if !seen.insert(path.clone()) {
                return Err(Error::input(
                    source,
                    format!("two layers write {path}; the artifact is malformed"),
                ));
            }
        }
        if !layer.digest.starts_with("sha256:") {
            return Err(Error::input(
                source,
                format!("layer {i} digest {} is not sha256", layer.digest),
            ));
        }
        out.push((layer.clone(), route));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manifest(layers: Vec<Descriptor>) -> Manifest {
        Manifest {
            schema_version: 2,
            media_type: Some(MANIFEST_MEDIA_TYPE.into()),
            artifact_type: Some(ARTIFACT_TYPE.into()),
            config: Descriptor::new(EMPTY_CONFIG_MEDIA_TYPE, EMPTY_CONFIG_DIGEST.into(), 2),
            layers,
            annotations: None,
        }
    }

    #[test]
    fn routes_like_the_python_tool() {
        let d = "sha256:00".to_string();
        let m = manifest(vec![
            titled(ITEMS_LAYER, d.clone(), 1, "whatever"),
            Descriptor::new(LOCK_LAYER, d.clone(), 1),
            titled(ASSET_LAYER, d.clone(), 1, "assets/i/a.bin"),
            titled(FILES_ZIP_LAYER, d.clone(), 1, "incdir"),
            titled("text/markdown", d.clone(), 1, "README.md"),
        ]);
        let routes: Vec<Route> = plan_pull(&m, "src")
            .unwrap()
            .into_iter()
            .map(|(_, r)| r)
            .collect();
        assert_eq!(
            routes,
            [
                Route::File("items.parquet".into()),
                Route::File("assets.lock.parquet".into()),
                Route::File("assets/i/a.bin".into()),
                Route::Zip,
                Route::File("README.md".into()),
            ]
        );
    }

    #[test]
    fn refuses_bad_layers() {
        let d = "sha256:00".to_string();
        for (layer, needle) in [
            (titled(ASSET_LAYER, d.clone(), 1, "../x"), "unsafe"),
            (titled(ASSET_LAYER, d.clone(), 1, "/etc/x"), "unsafe"),
            (
                Descriptor::new(ASSET_LAYER, d.clone(), 1),
                "no org.opencontainers",
            ),
            (
                Descriptor::new("text/plain", d.clone(), 1),
                "unsupported media type",
            ),
            (
                titled(ASSET_LAYER, d.clone(), 1, "items.parquet"),
                "two layers",
            ),
        ] {
            let m = manifest(vec![Descriptor::new(ITEMS_LAYER, d.clone(), 1), layer]);
            let err = plan_pull(&m, "src").unwrap_err().to_string();
            assert!(err.contains(needle), "{err}");
        }
    }

    #[test]
    fn checks_artifact_type() {
        let mut m = manifest(vec![]);
        check_manifest(&m, "src").unwrap();
        m.artifact_type = Some("application/vnd.other".into());
        let err = check_manifest(&m, "src").unwrap_err().to_string();
        assert!(err.contains("not a stacpkg package"), "{err}");
    }
}
