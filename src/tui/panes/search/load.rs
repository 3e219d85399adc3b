//! Reading a local catalogue into the items pane, batch by batch, on a blocking thread.
//!
//! Sends block (`blocking_send`), so a slow UI slows the reader instead of queueing without
//! bound. A lock file or a package directory given as the source is told apart here, off the
//! UI thread, and handed to the lock pane.

use std::path::PathBuf;
use std::time::Instant;

use arrow_array::RecordBatch;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::form::LocalSearch;
use crate::package::Source;
use crate::search::LocalFilter;
use crate::stac::catalogue::{open_catalogue, Catalogue};
use crate::stac::read::ReadOptions;
use crate::tui::msg::Msg;
use crate::tui::panes::items::ItemsMsg;

/// Rows per batch the console asks the readers for: small enough that the table fills while
/// a big file streams; one batch of OpenAerialMap-like items is ~1.5 MB of Arrow arrays.
pub const LOAD_BATCH_ROWS: usize = 1024;

/// Streams a catalogue's items into the inbox as `Opened`, `Batch`…, `Done` (or `Failed`),
/// stopping early when cancelled or after `max_items`.
pub async fn load_local(
    generation: u64,
    load: LocalSearch,
    tx: mpsc::Sender<Msg>,
    token: CancellationToken,
) -> anyhow::Result<()> {
    let LocalSearch {
        path,
        filter,
        local,
        max_items,
    } = load;
    tokio::task::spawn_blocking(move || {
        let start = Instant::now();
        let send = |msg: ItemsMsg| tx.blocking_send(Msg::Items(msg)).is_ok();
        let fail = |error: String| {
            send(ItemsMsg::Failed { generation, error });
        };
        // A lock file opens in the lock pane; a package directory opens both panes.
        let path = match Source::classify(&path.display().to_string()) {
            Source::Items(_) => path,
            Source::Lock(lock) => {
                let base_dir = std::env::current_dir().unwrap_or_default();
                send(ItemsMsg::SourceHasLock {
                    generation,
                    lock,
                    base_dir,
                    has_items: false,
                });
                return;
            }
            Source::Package { items, lock } => {
                let base_dir = lock.parent().map(PathBuf::from).unwrap_or_default();
                let msg = ItemsMsg::SourceHasLock {
                    generation,
                    lock,
                    base_dir,
                    has_items: true,
                };
                if !send(msg) {
                    return;
                }
                items
            }
        };
        let options = ReadOptions {
            batch_size: LOAD_BATCH_ROWS,
            filter,
            ..ReadOptions::default()
        };
        let Catalogue { schema, batches } = match open_catalogue(&path, options) {
            Ok(c) => c,
            Err(e) => return fail(crate::error::chain_text(&e)),
        };
        if !send(ItemsMsg::Opened { generation, schema }) {
            return;
        }
        let mut left = max_items.unwrap_or(usize::MAX);
        for batch in batches {
            if token.is_cancelled() || left == 0 {
                break;
            }
            let batch = match batch.and_then(|b| keep_local(b, local.as_ref())) {
                Ok(b) => b,
                Err(e) => return fail(crate::error::chain_text(&e)),
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
            let msg = ItemsMsg::Batch {
                generation,
                batch,
                elapsed_secs: start.elapsed().as_secs_f64(),
            };
            if !send(msg) {
                return;
            }
        }
        let elapsed_secs = start.elapsed().as_secs_f64();
        send(ItemsMsg::Done {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::items::ItemFilter;
    use crate::lock::LockRow;
    use crate::tui::msg::{WriteContent, WriteRequest};
    use crate::tui::write::write_now;

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
        let request = WriteRequest::new(lock.clone(), WriteContent::Lock(vec![row]), String::new());
        assert!(write_now(&request).unwrap());
        let (tx, mut rx) = mpsc::channel(4);
        let load = LocalSearch {
            path: lock.clone(),
            filter: ItemFilter::new(&[], &[], &[]),
            local: None,
            max_items: None,
        };
        load_local(7, load, tx, CancellationToken::new())
            .await
            .unwrap();
        match rx.recv().await {
            Some(Msg::Items(ItemsMsg::SourceHasLock {
                generation: 7,
                lock: got,
                has_items: false,
                ..
            })) => assert_eq!(got, lock),
            other => panic!("expected SourceHasLock, got {other:?}"),
        }
        assert!(rx.recv().await.is_none(), "nothing else is sent");
    }

    /// A missing file says so, like the CLI: the cause is kept, not only the path.
    #[tokio::test]
    async fn a_missing_file_reports_its_cause() {
        let (tx, mut rx) = mpsc::channel(4);
        let load = LocalSearch {
            path: "/nonexistent/items.ndjson".into(),
            filter: ItemFilter::default(),
            local: None,
            max_items: None,
        };
        load_local(1, load, tx, CancellationToken::new())
            .await
            .unwrap();
        match rx.recv().await {
            Some(Msg::Items(ItemsMsg::Failed { error, .. })) => {
                assert!(error.contains("/nonexistent/items.ndjson"), "{error}");
                assert!(error.contains("No such file"), "{error}");
            }
            other => panic!("expected Failed, got {other:?}"),
        }
    }
}
