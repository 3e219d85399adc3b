//! Task bodies for the lock and validation panes: derive (probe), open a lock file, validate,
//! and write files. They call the engine (`lock::derive`, `lock::validate`, `lock::schema`)
//! and only translate its results into inbox messages.
//!
//! Results go to the inbox in chunks of at most [`ROWS_PER_MSG`] rows, flushed at least every
//! [`FLUSH_EVERY`], so the UI sees rows as probes complete without one message per row: with
//! the 64-message inbox that is at most 64 × 256 entries (~10 MB) queued before the prober
//! waits. Probes run [`WORKERS`] at a time (the CLI default), under the stores' per-host caps.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use arrow_array::RecordBatch;
use futures::{Stream, StreamExt};
use tokio::sync::mpsc;
use tokio::time::MissedTickBehavior;
use tokio_util::sync::CancellationToken;

use super::msg::{Msg, WriteContent, WriteRequest};
use super::panes::lock::LockEntry;
use super::panes::validation::ValidationEntry;
use crate::items::ItemFilter;
use crate::lock::derive::{probe, rows_from_items, AssetSelection};
use crate::lock::location::{parse_href, HrefOptions};
use crate::lock::schema::{align_batch, rows_from_batch, rows_to_batch, LockParquetWriter};
use crate::lock::validate::check_row;
use crate::lock::LockRow;
use crate::parquet_io::open_parquet;
use crate::schema::{detect_kind, expect_kind, DetectedKind, SchemaKind};
use crate::store::Stores;

/// HEADs in flight for derive and validate (the CLI's `--max-workers` default).
pub const WORKERS: usize = 64;
/// Most rows in one inbox message.
pub const ROWS_PER_MSG: usize = 256;
/// Longest a finished row waits before it is sent.
pub const FLUSH_EVERY: Duration = Duration::from_millis(50);

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

/// Forwards `results` to the inbox in chunks of at most [`ROWS_PER_MSG`], flushing what
/// waits every [`FLUSH_EVERY`] even while the next result is slow; then sends `done`. Stops
/// quietly when cancelled or when the app loop is gone.
async fn forward<T, S>(
    results: S,
    token: &CancellationToken,
    tx: &mpsc::Sender<Msg>,
    start: Instant,
    rows_msg: impl Fn(Vec<T>, f64) -> Msg,
    done_msg: impl FnOnce(f64) -> Msg,
) -> anyhow::Result<()>
where
    S: Stream<Item = T>,
{
    let mut results = std::pin::pin!(results);
    let mut chunk = Vec::new();
    let mut tick = tokio::time::interval(FLUSH_EVERY);
    tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            () = token.cancelled() => return Ok(()),
            next = results.next() => match next {
                Some(row) => {
                    chunk.push(row);
                    if chunk.len() < ROWS_PER_MSG {
                        continue;
                    }
                }
                None => break,
            },
            _ = tick.tick() => {
                if chunk.is_empty() {
                    continue;
                }
            }
        }
        let rows = std::mem::take(&mut chunk);
        if tx
            .send(rows_msg(rows, start.elapsed().as_secs_f64()))
            .await
            .is_err()
        {
            return Ok(());
        }
    }
    let elapsed_secs = start.elapsed().as_secs_f64();
    if !chunk.is_empty() {
        let _ = tx.send(rows_msg(chunk, elapsed_secs)).await;
    }
    let _ = tx.send(done_msg(elapsed_secs)).await;
    Ok(())
}

/// Derives lock rows from items batches (only `item_ids` when not empty) and probes them,
/// streaming `LockStarted`, `LockRows`…, `LockDone` (or `LockFailed`).
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
                let error = format!("{e:#}");
                let _ = tx.send(Msg::LockFailed { generation, error }).await;
                return Ok(());
            }
        }
    }
    let total = rows.len();
    if tx
        .send(Msg::LockStarted { generation, total })
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
        |rows, elapsed_secs| Msg::LockRows {
            generation,
            rows,
            elapsed_secs,
        },
        |elapsed_secs| Msg::LockDone {
            generation,
            elapsed_secs,
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
            Msg::LockStarted {
                generation,
                total: rows.len(),
            },
            Msg::LockRows {
                generation,
                rows: rows
                    .into_iter()
                    .map(|row| LockEntry { row, error: None })
                    .collect(),
                elapsed_secs,
            },
            Msg::LockDone {
                generation,
                elapsed_secs,
            },
        ],
        Err(e) => vec![Msg::LockFailed {
            generation,
            error: format!("{e:#}"),
        }],
    };
    for msg in msgs {
        if tx.send(msg).await.is_err() {
            break;
        }
    }
    Ok(())
}

/// Validates `(index, row)` pairs, streaming `ValidationRows`… and `ValidationDone`.
pub async fn validate(
    generation: u64,
    rows: Vec<(usize, LockRow)>,
    base_dir: PathBuf,
    tx: mpsc::Sender<Msg>,
    token: CancellationToken,
) -> anyhow::Result<()> {
    let stores = Arc::new(Stores::new(base_dir, false));
    validate_with(generation, rows, stores, tx, token).await
}

/// [`validate`] with given stores.
pub async fn validate_with(
    generation: u64,
    rows: Vec<(usize, LockRow)>,
    stores: Arc<Stores>,
    tx: mpsc::Sender<Msg>,
    token: CancellationToken,
) -> anyhow::Result<()> {
    let start = Instant::now();
    // Results arrive as they complete (the pane orders them by lock row), so a slow host
    // never holds finished rows back.
    let results = futures::stream::iter(rows)
        .map(move |(index, row)| {
            let stores = stores.clone();
            async move {
                let (result, facts) = check_row(&row, &stores).await;
                ValidationEntry::new(index, result, facts)
            }
        })
        .buffer_unordered(WORKERS);
    forward(
        results,
        &token,
        &tx,
        start,
        |rows, elapsed_secs| Msg::ValidationRows {
            generation,
            rows,
            elapsed_secs,
        },
        |elapsed_secs| Msg::ValidationDone {
            generation,
            elapsed_secs,
        },
    )
    .await
}

/// Writes a lock or JSON lines atomically; an existing target is left alone unless the
/// request says `overwrite` (the UI then asks the user).
pub fn write_now(request: &WriteRequest) -> anyhow::Result<bool> {
    if !request.overwrite && request.path.exists() {
        return Ok(false);
    }
    match &request.content {
        WriteContent::Lock(rows) => {
            let mut writer = LockParquetWriter::create(&request.path)?;
            writer.write(&rows_to_batch(rows)?)?;
            writer.finish()?;
        }
        WriteContent::JsonLines(lines) => {
            use std::io::Write;
            let file = crate::atomic::AtomicFile::create(&request.path)?;
            {
                let mut out = std::io::BufWriter::new(file.handle()?);
                for line in lines {
                    out.write_all(line.as_bytes())?;
                    out.write_all(b"\n")?;
                }
                out.flush()?;
            }
            file.commit()?;
        }
    }
    Ok(true)
}

/// The write task: reports `FileWritten`.
pub async fn write_file(request: WriteRequest, tx: mpsc::Sender<Msg>) -> anyhow::Result<()> {
    let msg = tokio::task::spawn_blocking(move || {
        let shown = request.path.display().to_string();
        match write_now(&request) {
            Ok(true) => Msg::FileWritten {
                text: request.done_text.replace("{path}", &shown),
                is_error: false,
                needs_confirm: None,
            },
            Ok(false) => Msg::FileWritten {
                text: format!("{shown} exists"),
                is_error: false,
                needs_confirm: Some(request),
            },
            Err(e) => Msg::FileWritten {
                text: format!("writing {shown}: {e:#}; nothing was written"),
                is_error: true,
                needs_confirm: None,
            },
        }
    })
    .await?;
    let _ = tx.send(msg).await;
    Ok(())
}

/// Rewrites rows whose href starts with `from` to start with `to` instead (the demo's
/// placeholder base ⇄ its live server), through the engine's href parser.
pub fn rebase_rows(rows: &mut [LockRow], from: &str, to: &str) {
    for row in rows {
        let Some(href) = row.href() else { continue };
        let Some(rest) = href.strip_prefix(from) else {
            continue;
        };
        if let Ok(parts) = parse_href(&format!("{to}{rest}"), HrefOptions::default()) {
            row.store_type = parts.store_type.map(|t| t.as_str().to_string());
            row.store_container = parts.store_container;
            row.key = parts.key;
        }
    }
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

    #[test]
    fn writes_refuse_to_overwrite_unless_confirmed_and_rebase_round_trips() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.jsonl");
        let mut request = WriteRequest {
            path: path.clone(),
            overwrite: false,
            content: WriteContent::JsonLines(vec!["{}".into()]),
            done_text: "wrote {path}".into(),
        };
        assert!(write_now(&request).unwrap());
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "{}\n");
        request.content = WriteContent::JsonLines(vec!["[]".into()]);
        assert!(!write_now(&request).unwrap());
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "{}\n");
        request.overwrite = true;
        assert!(write_now(&request).unwrap());
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "[]\n");

        let mut rows = vec![LockRow {
            item_id: "i".into(),
            asset_key: "a".into(),
            store_type: Some("https".into()),
            store_container: Some("https://demo.invalid".into()),
            key: Some("x/y.tif".into()),
            ..Default::default()
        }];
        rebase_rows(&mut rows, "https://demo.invalid", "http://127.0.0.1:9");
        assert_eq!(rows[0].store_type.as_deref(), Some("http"));
        assert_eq!(
            rows[0].href().as_deref(),
            Some("http://127.0.0.1:9/x/y.tif")
        );
        let lock = dir.path().join("l.parquet");
        let req = WriteRequest {
            path: lock.clone(),
            overwrite: false,
            content: WriteContent::Lock(rows.clone()),
            done_text: String::new(),
        };
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
