//! Which files make up a package, in which order, and their digests.
//!
//! The Python stacpkg 0.1.4 uploads whatever lies in the directory: stale copied assets of an
//! earlier build, editor backups, `.DS_Store`. Here a package is:
//!
//! * `items.parquet` and `assets.lock.parquet` (always, first);
//! * every other top-level file and directory (the includes), except hidden entries (a name
//!   starting with `.`, at any depth) and `manifest.json`;
//! * the files under `assets/` that a lock row references (`store_type = file`, a relative key
//!   under `assets/`); unreferenced ones are reported as skipped, a referenced one that is
//!   missing is an error (the package is broken).
//!
//! Symbolic links are never followed, at any depth: they are skipped and reported, and a
//! table that is a link is an error. So a package cannot ship a file from outside itself.
//!
//! Order follows the Python tool: the two tables, then the top-level entries sorted byte-wise;
//! inside a directory, paths are sorted component by component (Python `Path` ordering).

use std::collections::HashSet;
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use arrow_array::{Array, StringArray};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::arrow::ProjectionMask;
use sha2::{Digest, Sha256};

use super::{check_package_dir, ASSETS_DIR, ITEMS_FILE, LOCK_FILE, MANIFEST_FILE};
use crate::{Error, Result};

/// Read size for hashing (1 MiB: one buffer per hash, whatever the file size).
const HASH_BUFFER_BYTES: usize = 1 << 20;

/// One regular file of a package.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackageFile {
    /// Package-relative path with `/` separators.
    pub path: String,
    /// Where the file is on disk.
    pub source: PathBuf,
    /// Size in bytes.
    pub size: u64,
}

/// A top-level entry of a package, as push turns it into layers.
#[derive(Debug, Clone)]
pub enum PackageEntry {
    /// `items.parquet`.
    Items(PackageFile),
    /// `assets.lock.parquet`.
    Lock(PackageFile),
    /// A copied asset under `assets/` that the lock references.
    Asset(PackageFile),
    /// Any other top-level file (an include).
    File(PackageFile),
    /// A top-level directory other than `assets/` (an include), with its files.
    Dir {
        /// The directory name.
        name: String,
        /// Its files, sorted.
        files: Vec<PackageFile>,
    },
}

/// Why a file in the directory is not part of the package.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SkipReason {
    /// A hidden file or directory (name starts with `.`).
    Hidden,
    /// A file under `assets/` that no lock row references (e.g. left by an earlier build).
    Unreferenced,
    /// `manifest.json`, which the Python tool never ships either.
    Manifest,
    /// Not a regular file or directory (socket, FIFO).
    NotRegular,
    /// A symbolic link: never followed, so nothing outside the package is read or shipped.
    Link,
}

impl SkipReason {
    /// Short text for messages.
    pub fn describe(self) -> &'static str {
        match self {
            SkipReason::Hidden => "hidden",
            SkipReason::Unreferenced => "not referenced by the asset lock",
            SkipReason::Manifest => "manifest.json is never part of a package",
            SkipReason::NotRegular => "not a regular file",
            SkipReason::Link => "a symbolic link (never followed)",
        }
    }
}

/// The files of a package and what was left out.
#[derive(Debug, Clone)]
pub struct PackageListing {
    /// Top-level entries in layer order.
    pub entries: Vec<PackageEntry>,
    /// Package-relative paths left out, with the reason.
    pub skipped: Vec<(String, SkipReason)>,
    /// `assets/…` paths the lock references that are not in the directory (sorted).
    pub missing: Vec<String>,
}

impl PackageListing {
    /// Fails when the lock references copied assets that are not there.
    pub fn require_complete(&self, dir: &Path) -> Result<()> {
        if self.missing.is_empty() {
            return Ok(());
        }
        let shown: Vec<&str> = self.missing.iter().take(5).map(String::as_str).collect();
        Err(Error::input(
            dir.display().to_string(),
            format!(
                "the asset lock references {} file(s) missing from the package ({}{}); rebuild it with `stacpkg build --include-assets`",
                self.missing.len(),
                shown.join(", "),
                if self.missing.len() > shown.len() { ", …" } else { "" }
            ),
        ))
    }
}

impl PackageListing {
    /// Every file, sorted by path components (the order `inspect` shows).
    pub fn files(&self) -> Vec<&PackageFile> {
        let mut files: Vec<&PackageFile> = self
            .entries
            .iter()
            .flat_map(|e| match e {
                PackageEntry::Items(f)
                | PackageEntry::Lock(f)
                | PackageEntry::Asset(f)
                | PackageEntry::File(f) => std::slice::from_ref(f).iter(),
                PackageEntry::Dir { files, .. } => files.iter(),
            })
            .collect();
        files.sort_by(|a, b| path_order(&a.path, &b.path));
        files
    }
}

/// Python `PurePath` ordering: compare component by component, byte-wise.
pub fn path_order(a: &str, b: &str) -> std::cmp::Ordering {
    a.split('/').cmp(b.split('/'))
}

/// Lists the package in `dir` (which must hold both tables). Missing referenced assets are
/// reported in [`PackageListing::missing`], not as an error, so `inspect` can show them.
pub fn list_package(dir: &Path) -> Result<PackageListing> {
    check_package_dir(dir)?;
    let mut listing = PackageListing {
        entries: vec![
            PackageEntry::Items(file_at(dir, ITEMS_FILE)?),
            PackageEntry::Lock(file_at(dir, LOCK_FILE)?),
        ],
        skipped: Vec::new(),
        missing: Vec::new(),
    };
    let referenced = referenced_assets(&dir.join(LOCK_FILE))?;
    for (name, path) in sorted_children(dir)? {
        if name == ITEMS_FILE || name == LOCK_FILE {
            continue;
        }
        if name.starts_with('.') {
            listing.skipped.push((name, SkipReason::Hidden));
            continue;
        }
        if name == MANIFEST_FILE {
            listing.skipped.push((name, SkipReason::Manifest));
            continue;
        }
        let meta = std::fs::symlink_metadata(&path);
        match meta {
            Ok(m) if m.is_symlink() => listing.skipped.push((name, SkipReason::Link)),
            Ok(m) if m.is_file() => listing.entries.push(PackageEntry::File(PackageFile {
                path: name,
                source: path,
                size: m.len(),
            })),
            Ok(m) if m.is_dir() => {
                let mut files = Vec::new();
                walk(&path, &name, &mut files, &mut listing.skipped)?;
                files.sort_by(|a, b| path_order(&a.path, &b.path));
                if name == ASSETS_DIR {
                    for f in files {
                        if referenced.contains(&f.path) {
                            listing.entries.push(PackageEntry::Asset(f));
                        } else {
                            listing.skipped.push((f.path, SkipReason::Unreferenced));
                        }
                    }
                } else {
                    listing.entries.push(PackageEntry::Dir { name, files });
                }
            }
            _ => listing.skipped.push((name, SkipReason::NotRegular)),
        }
    }
    let present: HashSet<&str> = listing
        .entries
        .iter()
        .filter_map(|e| match e {
            PackageEntry::Asset(f) => Some(f.path.as_str()),
            _ => None,
        })
        .collect();
    listing.missing = referenced
        .iter()
        .filter(|k| !present.contains(k.as_str()))
        .cloned()
        .collect();
    listing.missing.sort();
    Ok(listing)
}

fn file_at(dir: &Path, name: &str) -> Result<PackageFile> {
    let source = dir.join(name);
    let meta = std::fs::symlink_metadata(&source)
        .map_err(|e| Error::io(source.display().to_string(), e))?;
    if meta.is_symlink() {
        return Err(Error::input(
            source.display().to_string(),
            "is a symbolic link; links are never followed out of a package: put the file itself there (cp -L)",
        ));
    }
    Ok(PackageFile {
        path: name.to_string(),
        source,
        size: meta.len(),
    })
}

/// Children of a directory as (UTF-8 name, path), sorted byte-wise by name.
fn sorted_children(dir: &Path) -> Result<Vec<(String, PathBuf)>> {
    let read = std::fs::read_dir(dir).map_err(|e| Error::io(dir.display().to_string(), e))?;
    let mut out = Vec::new();
    for entry in read {
        let entry = entry.map_err(|e| Error::io(dir.display().to_string(), e))?;
        let name = entry.file_name().into_string().map_err(|n| {
            Error::input(
                dir.join(&n).display().to_string(),
                "file name is not valid UTF-8; OCI titles and ZIP names must be text, rename it",
            )
        })?;
        out.push((name, entry.path()));
    }
    out.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    Ok(out)
}

/// Collects the regular files below `dir` (relative prefix `rel`), skipping hidden entries and
/// symbolic links (a link to a private file, to `/`, or a loop is never followed).
fn walk(
    dir: &Path,
    rel: &str,
    files: &mut Vec<PackageFile>,
    skipped: &mut Vec<(String, SkipReason)>,
) -> Result<()> {
    for (name, path) in sorted_children(dir)? {
        let rel_path = format!("{rel}/{name}");
        if name.starts_with('.') {
            skipped.push((rel_path, SkipReason::Hidden));
            continue;
        }
        match std::fs::symlink_metadata(&path) {
            Ok(m) if m.is_symlink() => skipped.push((rel_path, SkipReason::Link)),
            Ok(m) if m.is_file() => files.push(PackageFile {
                path: rel_path,
                source: path,
                size: m.len(),
            }),
            Ok(m) if m.is_dir() => walk(&path, &rel_path, files, skipped)?,
            _ => skipped.push((rel_path, SkipReason::NotRegular)),
        }
    }
    Ok(())
}

/// The package-relative `assets/…` keys of the lock's file rows, streamed column-wise.
pub fn referenced_assets(lock: &Path) -> Result<HashSet<String>> {
    let name = lock.display().to_string();
    let file = File::open(lock).map_err(|e| Error::io(&name, e))?;
    let builder = ParquetRecordBatchReaderBuilder::try_new(file)
        .map_err(|e| Error::input(&name, format!("not a readable Parquet asset lock ({e})")))?;
    let schema = builder.schema().clone();
    let (Ok(type_idx), Ok(key_idx)) = (schema.index_of("store_type"), schema.index_of("key"))
    else {
        return Err(Error::input(
            &name,
            "not an asset lock: no `store_type` / `key` columns",
        ));
    };
    let mask = ProjectionMask::roots(builder.parquet_schema(), [type_idx, key_idx]);
    let reader = builder
        .with_projection(mask)
        .build()
        .map_err(|e| Error::parquet(&name, e))?;
    let mut keys = HashSet::new();
    for batch in reader {
        let batch = batch.map_err(|e| Error::arrow(format!("{name}: reading"), e))?;
        let cast = |i: usize| {
            arrow_cast::cast(batch.column(i), &arrow_schema::DataType::Utf8)
                .map_err(|e| Error::arrow(format!("{name}: reading"), e))
        };
        let (types, key_col) = (cast(0)?, cast(1)?);
        let types = types.as_any().downcast_ref::<StringArray>().expect("utf8");
        let key_col = key_col
            .as_any()
            .downcast_ref::<StringArray>()
            .expect("utf8");
        for row in 0..batch.num_rows() {
            if types.is_null(row) || key_col.is_null(row) || types.value(row) != "file" {
                continue;
            }
            let key = key_col.value(row);
            let key = key.trim_start_matches("./");
            if key.starts_with(&format!("{ASSETS_DIR}/")) {
                keys.insert(key.to_string());
            }
        }
    }
    Ok(keys)
}

/// `sha256:<hex>` of a file, read in 1 MiB pieces.
pub fn sha256_file(path: &Path) -> Result<String> {
    let name = path.display().to_string();
    let mut file = File::open(path).map_err(|e| Error::io(&name, e))?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; HASH_BUFFER_BYTES];
    loop {
        let n = file.read(&mut buf).map_err(|e| Error::io(&name, e))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(format!("sha256:{}", hex::encode(hasher.finalize())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_path_order() {
        let mut v = vec![
            "items.parquet",
            "incdir/a.txt",
            "assets.lock.parquet",
            "assets/x/y.bin",
            "README.md",
        ];
        v.sort_by(|a, b| path_order(a, b));
        assert_eq!(
            v,
            [
                "README.md",
                "assets/x/y.bin",
                "assets.lock.parquet",
                "incdir/a.txt",
                "items.parquet"
            ]
        );
    }

    #[test]
    fn hashes_in_pieces() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f");
        std::fs::write(&p, b"abc").unwrap();
        assert_eq!(
            sha256_file(&p).unwrap(),
            "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
