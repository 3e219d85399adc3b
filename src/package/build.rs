//! `build`: items + lock (+ copied assets, + includes) → a package directory, atomically.
//!
//! Everything is written into a staging directory beside the target and renamed into place
//! only when complete (docs/COMPATIBILITY.md, "Rough edges we fix: atomic builds"): a failed
//! or killed build never leaves a half package,
//! and a rebuild never keeps stale files of the previous one. An existing non-empty target is
//! refused unless `force`. Includes may not take the names of the package's own parts
//! (`items.parquet`, `assets.lock.parquet`, `assets`), nor each other's.
//!
//! The lock is given or derived here ([`LockInput::Derive`], as `asset-lock derive` with
//! probes does, a failed probe failing the build before anything is written), so the CLI's
//! `build` and the console's build key are one engine call with the same result.
//!
//! `include_assets` copies every locked object into `assets/<item>/<asset><ext>` through the
//! lock engine's copy (streamed, size checked against the lock, memory-budgeted), and rewrites
//! its row to the package-relative file key with the copy's facts; two objects whose
//! sanitised names clash get numbered names ([`crate::lock::destinations`]). Item hrefs are not
//! rewritten (as in the Python tool); the lock is the contract.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow_array::RecordBatch;
use arrow_schema::SchemaRef;
use futures::{StreamExt, TryStreamExt};

use super::{ASSETS_DIR, ITEMS_FILE, LOCK_FILE};
use crate::atomic::{commit_dir, staging_dir};
use crate::lock::derive::{derive, row_location, DeriveOptions};
use crate::lock::destinations::{Destinations, OnClash};
use crate::lock::relocate::{target_path, Layout};
use crate::lock::schema::{rows_to_batch, LockParquetWriter};
use crate::lock::LockRow;
use crate::stac::geoparquet::ItemsParquetWriter;
use crate::store::copy::{copy_object, CopyBudget, CopySettings};
use crate::store::location::{Location, StoreType};
use crate::store::Stores;
use crate::{Error, Result};

/// Copies in flight for `include_assets`.
pub const COPY_WORKERS: usize = 4;

/// Where a build's lock comes from.
pub enum LockInput {
    /// Rows given (read from a lock file, or the console's lock), normalised.
    Rows(Vec<LockRow>),
    /// Derived from the items with these options; a failed probe fails the build.
    Derive(DeriveOptions),
}

/// What a build reports while it runs (the console draws its progress from it).
pub trait BuildProgress: Send + Sync {
    /// `done` of `total` lock rows probed (deriving).
    fn probed(&self, _done: usize, _total: usize) {}
    /// `done` of `total` assets copied into the package (`include_assets`).
    fn copied(&self, _done: usize, _total: usize) {}
}

/// A progress sink that ignores everything.
pub struct NoBuildProgress;

impl BuildProgress for NoBuildProgress {}

/// What to build.
pub struct BuildSpec {
    /// The items schema.
    pub items_schema: SchemaRef,
    /// The (filtered) items batches.
    pub items: Vec<RecordBatch>,
    /// The lock, given or to derive.
    pub lock: LockInput,
    /// Files and directories to include, by their base name.
    pub includes: Vec<PathBuf>,
    /// Copy asset bytes into `assets/`.
    pub include_assets: Option<CopySettings>,
    /// Replace a non-empty target.
    pub force: bool,
}

/// What a build did.
#[derive(Debug, Clone)]
pub struct BuildOutcome {
    /// Items written.
    pub items: usize,
    /// Lock rows written.
    pub lock_rows: usize,
    /// Assets copied into the package.
    pub copied: usize,
    /// Hrefs the derive could map to no store (kept without a location), one line each.
    pub unmapped: Vec<String>,
    /// Symbolic links inside includes, left out of the package (never followed), one line each.
    pub skipped_links: Vec<String>,
}

/// The output directory's real path: its nearest existing ancestor's canonical path joined
/// with the rest (the directory itself need not exist yet).
fn canonical_parent(out: &Path) -> Option<PathBuf> {
    let mut rest = Vec::new();
    let mut existing = out.to_path_buf();
    loop {
        if let Ok(real) = existing.canonicalize() {
            return Some(rest.iter().rev().fold(real, |p, name| p.join(name)));
        }
        rest.push(existing.file_name()?.to_os_string());
        existing = match existing.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
    }
}

/// Checks the target and includes before any work is done.
pub fn check_targets(out: &Path, includes: &[PathBuf], force: bool) -> Result<()> {
    if let Ok(mut entries) = std::fs::read_dir(out) {
        if entries.next().is_some() && !force {
            return Err(Error::input(
                out.display().to_string(),
                "exists and is not empty; pass --force to replace it (it is replaced only when the new package is complete)",
            ));
        }
    } else if out.exists() {
        return Err(Error::input(
            out.display().to_string(),
            "exists and is not a directory",
        ));
    }
    let mut names = HashSet::new();
    for inc in includes {
        let shown = inc.display().to_string();
        let meta = std::fs::metadata(inc).map_err(|e| Error::io(format!("include {shown}"), e))?;
        if !meta.is_file() && !meta.is_dir() {
            return Err(Error::input(shown, "is neither a file nor a directory"));
        }
        let name = inc
            .file_name()
            .and_then(|n| n.to_str())
            .ok_or_else(|| Error::input(&shown, "has no usable file name"))?
            .to_string();
        if [ITEMS_FILE, LOCK_FILE, ASSETS_DIR].contains(&name.as_str()) {
            return Err(Error::input(
                shown,
                format!("an include may not be named {name}: it would replace the package's own {name}; rename it"),
            ));
        }
        if name.starts_with('.') {
            return Err(Error::input(
                shown,
                "hidden includes are never pushed; rename it",
            ));
        }
        if let (Ok(inc_real), Some(out_real)) = (inc.canonicalize(), canonical_parent(out)) {
            if meta.is_dir() && out_real.starts_with(&inc_real) {
                return Err(Error::input(
                    shown,
                    format!(
                        "contains the package being built ({}); include a directory beside the package, not one around it",
                        out.display()
                    ),
                ));
            }
        }
        if !names.insert(name.clone()) {
            return Err(Error::input(
                shown,
                format!("two includes are named {name}"),
            ));
        }
    }
    Ok(())
}

/// Derives the lock of `items` and probes every row; the first failed probe is the error.
async fn derive_rows(
    items: &[RecordBatch],
    options: DeriveOptions,
    progress: &dyn BuildProgress,
) -> Result<(Vec<LockRow>, Vec<String>)> {
    let token = tokio_util::sync::CancellationToken::new();
    // Dropping the build (a cancelled console task) stops the probes in flight.
    let _stop = token.clone().drop_guard();
    let derivation = derive(items.iter().cloned().map(Ok), options, token)?;
    let unmapped = derivation
        .unmapped
        .iter()
        .map(ToString::to_string)
        .collect();
    let total = derivation.total;
    let mut rows = Vec::with_capacity(total);
    let mut probed = derivation.rows;
    while let Some(p) = probed.next().await {
        if let Some(error) = p.error {
            return Err(Error::input(
                p.row.label(),
                format!("{error} (nothing written)"),
            ));
        }
        rows.push(p.row);
        progress.probed(rows.len(), total);
    }
    Ok((rows, unmapped))
}

/// Builds the package at `out`: derives the lock when none is given, copies the assets when
/// asked, and renames the complete package into place.
pub async fn build(
    out: &Path,
    spec: BuildSpec,
    stores: Arc<Stores>,
    progress: &dyn BuildProgress,
) -> Result<BuildOutcome> {
    check_targets(out, &spec.includes, spec.force)?;
    let (mut lock, unmapped) = match spec.lock {
        LockInput::Rows(rows) => (rows, Vec::new()),
        LockInput::Derive(options) => derive_rows(&spec.items, options, progress).await?,
    };
    let staged = staging_dir(out, "build")?;
    let root = staged.path().to_path_buf();
    let mut writer = ItemsParquetWriter::create(&root.join(ITEMS_FILE), &spec.items_schema)?;
    for batch in &spec.items {
        writer.write(batch)?;
    }
    let items = writer.finish()?;
    let mut copied = 0;
    if let Some(settings) = spec.include_assets {
        settings
            .check()
            .map_err(|e| Error::input("--include-assets", e))?;
        let budget = CopyBudget::new(&settings);
        let root_ref = &root;
        let stores_ref = &stores;
        let budget_ref = &budget;
        let total = lock.len();
        let done = std::sync::atomic::AtomicUsize::new(0);
        let done_ref = &done;
        // Paths planned up front, in lock order: a clash gets a numbered name.
        let mut destinations = Destinations::new(OnClash::Number);
        let planned = lock
            .into_iter()
            .map(|row| {
                let path = destinations.claim(
                    target_path(&row, Layout::ItemAsset),
                    &row.label(),
                    row.href().as_deref(),
                )?;
                Ok((row, format!("{ASSETS_DIR}/{path}")))
            })
            .collect::<Result<Vec<_>>>()?;
        lock = futures::stream::iter(planned)
            .map(|(row, rel)| async move {
                super::check_safe_path(&rel)?;
                let source = row_location(&row)
                    .map_err(|e| Error::input(format!("asset {}", row.label()), e))?;
                let target = Location {
                    store_type: StoreType::File,
                    container: None,
                    endpoint: None,
                    key: root_ref.join(&rel).display().to_string(),
                };
                let src = stores_ref.object(&source)?;
                let dst = stores_ref.object(&target)?;
                let outcome =
                    copy_object(&src, &dst, row.size_bytes, &settings, budget_ref).await?;
                let facts = outcome.facts().clone();
                let n = done_ref.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
                progress.copied(n, total);
                Ok::<_, Error>(LockRow {
                    store_type: Some(StoreType::File.as_str().to_string()),
                    store_container: None,
                    store_endpoint_url: None,
                    key: Some(rel),
                    size_bytes: Some(facts.size_bytes),
                    etag: facts.etag,
                    last_modified: facts.last_modified,
                    ..row
                })
            })
            .buffered(COPY_WORKERS)
            .try_collect()
            .await?;
        copied = lock.len();
    }
    let mut lock_writer = LockParquetWriter::create(&root.join(LOCK_FILE))?;
    lock_writer.write(&rows_to_batch(&lock)?)?;
    let lock_rows = lock_writer.finish()?;
    let mut skipped_links = Vec::new();
    for inc in &spec.includes {
        let name = inc.file_name().expect("checked");
        copy_tree(inc, &root.join(name), &mut skipped_links)?;
    }
    commit_dir(staged, out, spec.force)?;
    Ok(BuildOutcome {
        items,
        lock_rows,
        copied,
        unmapped,
        skipped_links,
    })
}

/// Copies a file, or a directory recursively (regular files and directories only). The
/// include itself is taken as named (a link the user names is followed once); inside it no
/// symbolic link is followed — each is left out and reported in `skipped_links` — so a link
/// cannot pull a private file or the whole file system into the package.
fn copy_tree(from: &Path, to: &Path, skipped_links: &mut Vec<String>) -> Result<()> {
    let meta = std::fs::metadata(from).map_err(|e| Error::io(from.display().to_string(), e))?;
    if meta.is_file() {
        std::fs::copy(from, to)
            .map_err(|e| Error::io(format!("copying {} into the package", from.display()), e))?;
        return Ok(());
    }
    std::fs::create_dir_all(to).map_err(|e| Error::io(to.display().to_string(), e))?;
    let entries = std::fs::read_dir(from).map_err(|e| Error::io(from.display().to_string(), e))?;
    for entry in entries {
        let entry = entry.map_err(|e| Error::io(from.display().to_string(), e))?;
        let path = entry.path();
        let kind = entry
            .file_type()
            .map_err(|e| Error::io(path.display().to_string(), e))?;
        if kind.is_symlink() {
            skipped_links.push(format!(
                "{}: a symbolic link, not copied into the package (links are never followed; copy the file in instead)",
                path.display()
            ));
            continue;
        }
        copy_tree(&path, &to.join(entry.file_name()), skipped_links)?;
    }
    Ok(())
}
