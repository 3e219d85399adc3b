//! The task bodies: the only code in the console that does I/O or heavy CPU work.
//!
//! Each body takes its cancellation token and the inbox sender. Sends await (`blocking_send`
//! on blocking threads), so a slow UI slows the producers instead of queueing without bound.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use arrow_array::RecordBatch;
use arrow_schema::SchemaRef;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::compute::compute_view;
use super::msg::Msg;
use super::panes::items::ViewSpec;
use super::panes::search::SearchForm;
use crate::items::ItemFilter;
use crate::parquet_io::open_parquet;
use crate::search::LocalFilter;
use crate::stac::read::{JsonItems, NdjsonItems, ReadOptions};

/// Rows per batch the console asks the readers for: small enough that the table fills while
/// a big file streams; one batch of OpenAerialMap-like items is ~1.5 MB of Arrow arrays.
pub const LOAD_BATCH_ROWS: usize = 1024;

type Batches = Box<dyn Iterator<Item = crate::Result<RecordBatch>> + Send>;

/// Opens a catalogue by its extension: `.parquet` / `.geoparquet`, `.json`, else NDJSON.
fn open_items(path: &Path, filter: ItemFilter) -> crate::Result<(SchemaRef, Batches)> {
    let input = path.display().to_string();
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    let options = ReadOptions {
        batch_size: LOAD_BATCH_ROWS,
        filter: filter.clone(),
        ..ReadOptions::default()
    };
    match ext.as_str() {
        "parquet" | "geoparquet" => {
            let batches = open_parquet(path, LOAD_BATCH_ROWS)?;
            let schema = batches.schema();
            let it = batches.map(move |b| b.and_then(|b| filter.apply(b)));
            Ok((schema, Box::new(it)))
        }
        "json" => {
            let bytes = std::fs::read(path).map_err(|e| crate::Error::io(&input, e))?;
            let items = JsonItems::parse(&bytes, &input, &options)?;
            Ok((items.schema(), Box::new(items)))
        }
        _ => {
            let file = File::open(path).map_err(|e| crate::Error::io(&input, e))?;
            let items = NdjsonItems::scan(file, &input, options)?;
            Ok((items.schema(), Box::new(items)))
        }
    }
}

/// Streams a catalogue's items into the inbox as `ItemsOpened`, `ItemsBatch`…, `ItemsDone`
/// (or `ItemsFailed`), stopping early when cancelled or after `max_items`.
pub async fn load_items(
    generation: u64,
    path: PathBuf,
    filter: ItemFilter,
    max_items: Option<usize>,
    local: Option<LocalFilter>,
    tx: mpsc::Sender<Msg>,
    token: CancellationToken,
) -> anyhow::Result<()> {
    tokio::task::spawn_blocking(move || {
        let start = Instant::now();
        let fail = |error: String| {
            let _ = tx.blocking_send(Msg::ItemsFailed { generation, error });
        };
        // A lock file opens in the lock pane; a package directory opens both panes.
        let path = match super::lock_jobs::classify_source(&path.display().to_string()) {
            super::lock_jobs::Source::Items(_) => path,
            super::lock_jobs::Source::Lock(lock) => {
                let base_dir = std::env::current_dir().unwrap_or_default();
                let _ = tx.blocking_send(Msg::SourceHasLock {
                    generation,
                    lock,
                    base_dir,
                    has_items: false,
                });
                return;
            }
            super::lock_jobs::Source::Package { items, lock } => {
                let base_dir = lock.parent().map(PathBuf::from).unwrap_or_default();
                let msg = Msg::SourceHasLock {
                    generation,
                    lock,
                    base_dir,
                    has_items: true,
                };
                if tx.blocking_send(msg).is_err() {
                    return;
                }
                items
            }
        };
        let (schema, batches) = match open_items(&path, filter) {
            Ok(x) => x,
            Err(e) => return fail(format!("{e:#}")),
        };
        if tx
            .blocking_send(Msg::ItemsOpened { generation, schema })
            .is_err()
        {
            return;
        }
        let mut left = max_items.unwrap_or(usize::MAX);
        for batch in batches {
            if token.is_cancelled() || left == 0 {
                break;
            }
            let batch = match batch.and_then(|b| keep_local(b, local.as_ref())) {
                Ok(b) => b,
                Err(e) => return fail(format!("{e:#}")),
            };
            let batch = if batch.num_rows() > left {
                batch.slice(0, left)
            } else {
                batch
            };
            left -= batch.num_rows();
            if batch.num_rows() == 0 {
                continue;
            }
            let msg = Msg::ItemsBatch {
                generation,
                batch,
                elapsed_secs: start.elapsed().as_secs_f64(),
            };
            if tx.blocking_send(msg).is_err() {
                return;
            }
        }
        let elapsed_secs = start.elapsed().as_secs_f64();
        let _ = tx.blocking_send(Msg::ItemsDone {
            generation,
            elapsed_secs,
        });
    })
    .await?;
    Ok(())
}

/// The rows of `batch` inside the form's bbox / datetime (all rows without a filter).
fn keep_local(batch: RecordBatch, local: Option<&LocalFilter>) -> crate::Result<RecordBatch> {
    let Some(f) = local else { return Ok(batch) };
    let mask = f.mask(&batch)?;
    arrow_select::filter::filter_record_batch(&batch, &mask).map_err(|e| crate::Error::Arrow {
        context: "filtering items by bbox / datetime".into(),
        source: e,
    })
}

/// Computes a filtered / sorted row order on a blocking thread.
pub async fn compute(
    generation: u64,
    batches: Vec<RecordBatch>,
    spec: ViewSpec,
    tx: mpsc::Sender<Msg>,
    token: CancellationToken,
) -> anyhow::Result<()> {
    let rows = tokio::task::spawn_blocking(move || compute_view(&batches, &spec, &token)).await?;
    if let Some(rows) = rows {
        let _ = tx
            .send(Msg::ViewComputed {
                generation,
                rows: Arc::new(rows),
            })
            .await;
    }
    Ok(())
}

/// The remembered searches file.
pub fn history_path(state_dir: &Path) -> PathBuf {
    state_dir.join("searches.json")
}

/// Reads the remembered searches (none if the file is missing or unreadable).
pub fn read_history(state_dir: &Path) -> Vec<SearchForm> {
    std::fs::read(history_path(state_dir))
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default()
}

/// Writes the remembered searches atomically.
pub async fn save_history(state_dir: PathBuf, history: Vec<SearchForm>) -> anyhow::Result<()> {
    tokio::task::spawn_blocking(move || -> anyhow::Result<()> {
        std::fs::create_dir_all(&state_dir)?;
        let path = history_path(&state_dir);
        let file = crate::atomic::AtomicFile::create(&path)?;
        serde_json::to_writer_pretty(file.handle()?, &history)?;
        file.commit()?;
        Ok(())
    })
    .await?
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lock::LockRow;
    use crate::tui::lock_jobs::write_now;
    use crate::tui::msg::{WriteContent, WriteRequest};

    /// A lock file given as an items source is reported for the lock pane, not read as items.
    #[tokio::test]
    async fn a_lock_file_source_is_reported_as_a_lock() {
        let dir = tempfile::tempdir().unwrap();
        let lock = dir.path().join("assets.lock.parquet");
        let row = LockRow {
            item_id: "i".into(),
            asset_key: "a".into(),
            ..Default::default()
        };
        let request = WriteRequest {
            path: lock.clone(),
            overwrite: false,
            content: WriteContent::Lock(vec![row]),
            done_text: String::new(),
        };
        assert!(write_now(&request).unwrap());
        let (tx, mut rx) = mpsc::channel(4);
        let filter = ItemFilter::new(&[], &[], &[]);
        load_items(
            7,
            lock.clone(),
            filter,
            None,
            None,
            tx,
            CancellationToken::new(),
        )
        .await
        .unwrap();
        match rx.recv().await {
            Some(Msg::SourceHasLock {
                generation: 7,
                lock: got,
                has_items: false,
                ..
            }) => assert_eq!(got, lock),
            other => panic!("expected SourceHasLock, got {other:?}"),
        }
        assert!(rx.recv().await.is_none(), "nothing else is sent");
    }
}
