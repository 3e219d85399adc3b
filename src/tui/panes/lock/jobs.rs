//! The lock pane's tasks: derive (probe) and open a lock file. They call the engine
//! (`lock::derive`, `lock::schema`) and only translate its results into inbox messages.
//!
//! Derived rows go to the inbox in chunks ([`crate::tui::tasks::forward`]), so the UI sees
//! rows as probes complete without one message per row. Probes run [`WORKERS`] at a time (the
//! CLI default), under the stores' per-host caps.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use arrow_array::RecordBatch;
use futures::StreamExt;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::{LockEffect, LockEntry, LockMsg};
use crate::items::ItemFilter;
use crate::lock::derive::{probe, rows_from_items, AssetSelection};
use crate::lock::schema::{align_batch, rows_from_batch};
use crate::lock::LockRow;
use crate::parquet_io::open_parquet;
use crate::schema::{detect_kind, expect_kind, DetectedKind, SchemaKind};
use crate::store::Stores;
use crate::tui::msg::Msg;
use crate::tui::tasks::forward::forward;
use crate::tui::tasks::{TaskKind, TaskManager};

/// HEADs in flight for derive and validate (the CLI's `--max-workers` default).
pub const WORKERS: usize = 64;

/// Starts the task for `effect`; a new run cancels the running one.
pub fn start(tasks: &mut TaskManager<Msg>, effect: LockEffect) {
    let tx = tasks.sender();
    match effect {
        LockEffect::Derive {
            generation,
            batches,
            item_ids,
            base_dir,
        } => {
            tasks.cancel_kind(TaskKind::Lock);
            tasks.spawn(TaskKind::Lock, move |token| {
                derive(generation, batches, item_ids, base_dir, tx, token)
            });
        }
        LockEffect::Open { generation, path } => {
            tasks.cancel_kind(TaskKind::Lock);
            tasks.spawn(TaskKind::Lock, move |token| {
                open_lock(generation, path, tx, token)
            });
        }
        LockEffect::Cancel => tasks.cancel_kind(TaskKind::Lock),
    }
}

/// What a `stacpkg tui SOURCE` names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// An items catalogue (or anything the search pane opens).
    Items(String),
    /// An asset-lock Parquet file.
    Lock(PathBuf),
    /// A package directory: its items and its lock.
    Package {
        /// `items.parquet`.
        items: PathBuf,
        /// `assets.lock.parquet`.
        lock: PathBuf,
    },
}

/// Classifies a source by looking at it: a package directory, a lock Parquet (by its schema),
/// or else items.
pub fn classify_source(source: &str) -> Source {
    let path = Path::new(source);
    if path.is_dir() {
        let items = path.join(crate::package::ITEMS_FILE);
        let lock = path.join(crate::package::LOCK_FILE);
        if items.is_file() && lock.is_file() {
            return Source::Package { items, lock };
        }
    }
    if path.is_file() && source.ends_with(".parquet") {
        if let Ok(batches) = open_parquet(path, 1) {
            if detect_kind(&batches.schema()) == DetectedKind::Known(SchemaKind::AssetLock) {
                return Source::Lock(path.to_path_buf());
            }
        }
    }
    Source::Items(source.to_string())
}

/// Derives lock rows from items batches (only `item_ids` when not empty) and probes them,
/// streaming `Started`, `Rows`…, `Done` (or `Failed`).
pub async fn derive(
    generation: u64,
    batches: Vec<RecordBatch>,
    item_ids: Vec<String>,
    base_dir: PathBuf,
    tx: mpsc::Sender<Msg>,
    token: CancellationToken,
) -> anyhow::Result<()> {
    let start = Instant::now();
    let filter = ItemFilter::new(&item_ids, &[], &[]);
    let selection = AssetSelection::default();
    let mut rows = Vec::new();
    let mut unmapped = Vec::new();
    for batch in batches {
        let made = filter
            .apply(batch)
            .and_then(|b| rows_from_items(&b, &selection, &mut unmapped));
        match made {
            Ok(r) => rows.extend(r),
            Err(e) => {
                let error = crate::error::chain_text(&e);
                let msg = LockMsg::Failed { generation, error };
                let _ = tx.send(Msg::Lock(msg)).await;
                return Ok(());
            }
        }
    }
    let total = rows.len();
    if tx
        .send(Msg::Lock(LockMsg::Started { generation, total }))
        .await
        .is_err()
    {
        return Ok(());
    }
    let stores = Arc::new(Stores::new(base_dir, false));
    let entries = probe(rows, stores, WORKERS).map(|p| LockEntry {
        row: p.row,
        error: p.error,
    });
    forward(
        entries,
        &token,
        &tx,
        start,
        |rows, elapsed_secs| {
            Msg::Lock(LockMsg::Rows {
                generation,
                rows,
                elapsed_secs,
            })
        },
        |elapsed_secs| {
            Msg::Lock(LockMsg::Done {
                generation,
                elapsed_secs,
            })
        },
    )
    .await
}

/// Reads an asset-lock Parquet file's rows.
pub fn read_lock(path: &Path) -> crate::Result<Vec<LockRow>> {
    let input = path.display().to_string();
    let batches = open_parquet(path, 8192)?;
    expect_kind(&batches.schema(), SchemaKind::AssetLock, &input)?;
    let mut rows = Vec::new();
    for batch in batches {
        rows.extend(rows_from_batch(&align_batch(&batch?, &input)?)?);
    }
    Ok(rows)
}

/// Opens a lock file into the lock pane.
pub async fn open_lock(
    generation: u64,
    path: PathBuf,
    tx: mpsc::Sender<Msg>,
    _token: CancellationToken,
) -> anyhow::Result<()> {
    let start = Instant::now();
    let read = tokio::task::spawn_blocking(move || read_lock(&path)).await?;
    let elapsed_secs = start.elapsed().as_secs_f64();
    let msgs = match read {
        Ok(rows) => vec![
            LockMsg::Started {
                generation,
                total: rows.len(),
            },
            LockMsg::Rows {
                generation,
                rows: rows
                    .into_iter()
                    .map(|row| LockEntry { row, error: None })
                    .collect(),
                elapsed_secs,
            },
            LockMsg::Done {
                generation,
                elapsed_secs,
            },
        ],
        Err(e) => vec![LockMsg::Failed {
            generation,
            error: crate::error::chain_text(&e),
        }],
    };
    for msg in msgs {
        if tx.send(Msg::Lock(msg)).await.is_err() {
            break;
        }
    }
    Ok(())
}

/// The ids of `rows`' items (for messages).
pub fn item_count(rows: &[LockRow]) -> usize {
    rows.iter()
        .map(|r| &r.item_id)
        .collect::<HashSet<_>>()
        .len()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::msg::{WriteContent, WriteRequest};
    use crate::tui::write::write_now;

    #[test]
    fn locks_read_back_and_sources_are_told_apart() {
        let dir = tempfile::tempdir().unwrap();
        let rows = vec![LockRow {
            item_id: "i".into(),
            asset_key: "a".into(),
            store_type: Some("https".into()),
            store_container: Some("https://demo.invalid".into()),
            key: Some("x/y.tif".into()),
            ..Default::default()
        }];
        let lock = dir.path().join("l.parquet");
        let req = WriteRequest::new(
            lock.clone(),
            WriteContent::Lock(rows.clone()),
            String::new(),
        );
        assert!(write_now(&req).unwrap());
        assert_eq!(read_lock(&lock).unwrap(), rows);
        assert_eq!(
            classify_source(&lock.display().to_string()),
            Source::Lock(lock.clone())
        );
        let pkg = dir.path().join("pkg");
        std::fs::create_dir_all(&pkg).unwrap();
        std::fs::copy(&lock, pkg.join("assets.lock.parquet")).unwrap();
        std::fs::write(pkg.join("items.parquet"), b"").unwrap();
        assert_eq!(
            classify_source(&pkg.display().to_string()),
            Source::Package {
                items: pkg.join("items.parquet"),
                lock: pkg.join("assets.lock.parquet"),
            }
        );
        assert_eq!(
            classify_source("items.ndjson"),
            Source::Items("items.ndjson".into())
        );
    }
}
