//! The lock pane's tasks: derive (probe) and open a lock file. They call the engine
//! (`lock::derive`, `lock::schema`) and only translate its results into inbox messages.
//!
//! Derived rows go to the inbox in chunks ([`crate::tui::tasks::forward`]), so the UI sees
//! rows as probes complete without one message per row. Probes run [`WORKERS`] at a time (the
//! CLI default), under the stores' per-host caps.

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use arrow_array::RecordBatch;
use futures::StreamExt;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::{LockEffect, LockEntry, LockMsg};
use crate::items::ItemFilter;
use crate::lock::derive::{derive, AssetSelection, DeriveOptions, ProbeSettings};
use crate::lock::read::{read_rows, RowForm};
use crate::lock::LockRow;
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
                derive_lock(generation, batches, item_ids, base_dir, tx, token)
            });
        }
        LockEffect::Open { generation, path } => {
            tasks.cancel_kind(TaskKind::Lock);
            tasks.spawn(TaskKind::Lock, move |token| {
                open_lock(generation, path, tx, token)
            });
        }
        LockEffect::Relocate {
            generation,
            relocation,
            base_dir,
        } => {
            tasks.cancel_kind(TaskKind::Lock);
            tasks.spawn(TaskKind::Lock, move |token| {
                relocate_lock(generation, *relocation, base_dir, tx, token)
            });
        }
        LockEffect::Cancel => tasks.cancel_kind(TaskKind::Lock),
    }
}

/// Derives lock rows from items batches (only `item_ids` when not empty) with the engine's
/// [`derive`](fn@derive) and streams `Started`, `Rows`…, `Done` (or `Failed`); hrefs that map to no store
/// are warnings, as the CLI prints them.
pub async fn derive_lock(
    generation: u64,
    batches: Vec<RecordBatch>,
    item_ids: Vec<String>,
    base_dir: PathBuf,
    tx: mpsc::Sender<Msg>,
    token: CancellationToken,
) -> anyhow::Result<()> {
    let start = Instant::now();
    let options = DeriveOptions {
        filter: ItemFilter::new(&item_ids, &[], &[]),
        selection: AssetSelection::default(),
        probe: Some(ProbeSettings {
            stores: Arc::new(Stores::new(base_dir, false)),
            workers: WORKERS,
        }),
    };
    let derivation = match derive(batches.into_iter().map(Ok), options, token.clone()) {
        Ok(d) => d,
        Err(e) => {
            let error = crate::error::chain_text(&e);
            let _ = tx
                .send(Msg::Lock(LockMsg::Failed { generation, error }))
                .await;
            return Ok(());
        }
    };
    for warning in &derivation.unmapped {
        if tx.send(Msg::Warning(warning.to_string())).await.is_err() {
            return Ok(());
        }
    }
    let total = derivation.total;
    let entries = derivation.rows.map(|p| LockEntry {
        row: p.row,
        error: p.error,
    });
    stream_entries(generation, total, entries, start, &tx, &token).await
}

/// Copies the bytes `relocation` planned (16 at a time, as the CLI) and streams the
/// destination rows in as the new lock; a failed copy keeps its row as planned, with why.
pub async fn relocate_lock(
    generation: u64,
    relocation: super::relocate::Relocation,
    base_dir: PathBuf,
    tx: mpsc::Sender<Msg>,
    token: CancellationToken,
) -> anyhow::Result<()> {
    use crate::lock::relocate::{copy_rows, RelocateStatus};
    use crate::store::copy::{CopySettings, DEFAULT_CHUNK_SIZE_BYTES, DEFAULT_MEMORY_LIMIT_BYTES};
    let start = Instant::now();
    let total = relocation.destinations.len();
    let settings = CopySettings {
        chunk_size: DEFAULT_CHUNK_SIZE_BYTES,
        put_concurrency: 1,
        memory_limit: DEFAULT_MEMORY_LIMIT_BYTES,
        overwrite: relocation.overwrite,
    };
    let sources = Arc::new(Stores::new(base_dir, true));
    let targets = Arc::new(Stores::new(std::env::current_dir()?, true));
    let rows = copy_rows(
        &relocation.sources,
        relocation.destinations,
        sources,
        targets,
        settings,
        RELOCATE_WORKERS,
    )
    .map(|r| LockEntry {
        error: match r.status {
            RelocateStatus::Failed { route, error } => {
                Some(format!("copy {route} failed, row kept as planned: {error}"))
            }
            _ => None,
        },
        row: r.row,
    });
    stream_entries(generation, total, rows, start, &tx, &token).await
}

/// Sends `Started` with the row count, then the rows in chunks and `Done` (or nothing once
/// cancelled or the inbox is gone): the one shape both a derivation and a relocation stream.
async fn stream_entries(
    generation: u64,
    total: usize,
    entries: impl futures::Stream<Item = LockEntry>,
    start: Instant,
    tx: &mpsc::Sender<Msg>,
    token: &CancellationToken,
) -> anyhow::Result<()> {
    if tx
        .send(Msg::Lock(LockMsg::Started { generation, total }))
        .await
        .is_err()
    {
        return Ok(());
    }
    forward(
        entries,
        token,
        tx,
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

/// Copies in flight for a relocation (the CLI's `--max-workers` default for relocate).
pub const RELOCATE_WORKERS: usize = 16;

/// Opens a lock file into the lock pane.
pub async fn open_lock(
    generation: u64,
    path: PathBuf,
    tx: mpsc::Sender<Msg>,
    _token: CancellationToken,
) -> anyhow::Result<()> {
    let start = Instant::now();
    let read = tokio::task::spawn_blocking(move || read_rows(&path, RowForm::AsWritten)).await?;
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
    fn a_written_lock_reads_back_as_written() {
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
        assert_eq!(read_rows(&lock, RowForm::AsWritten).unwrap(), rows);
    }
}
