//! The remembered column layouts (order and visibility), one per source kind
//! ([`source_kind`](super::columns::source_kind): `stac-api`, `ndjson`, `parquet`, …), kept
//! across runs in `columns.json` in the state dir. Read at start; written by the task layer
//! whenever the user changes a layout.

use std::collections::BTreeMap;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

/// One column of a remembered layout.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedColumn {
    /// The column name.
    pub name: String,
    /// Whether it is drawn.
    pub visible: bool,
}

/// The remembered layouts by source kind, each in column order.
pub type Layouts = BTreeMap<String, Vec<SavedColumn>>;

/// The remembered layouts file.
pub fn path(state_dir: &Path) -> PathBuf {
    state_dir.join("columns.json")
}

/// Reads the remembered layouts (none if the file is missing or unreadable).
pub fn read(state_dir: &Path) -> Layouts {
    std::fs::read(path(state_dir))
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default()
}

/// Order of the saves asked for, and the newest one written to each state dir: every toggle
/// starts a save, and an older one finishing last must not put an older layout back.
static ASKED: AtomicU64 = AtomicU64::new(0);
static WRITTEN: Mutex<BTreeMap<PathBuf, u64>> = Mutex::new(BTreeMap::new());

/// Writes the remembered layouts atomically; the order is taken when called, and a save
/// overtaken by a newer one is skipped.
pub fn save(state_dir: PathBuf, layouts: Layouts) -> impl Future<Output = anyhow::Result<()>> {
    let seq = ASKED.fetch_add(1, Ordering::SeqCst) + 1;
    async move { tokio::task::spawn_blocking(move || write(&state_dir, &layouts, seq)).await? }
}

fn write(state_dir: &Path, layouts: &Layouts, seq: u64) -> anyhow::Result<()> {
    let mut written = WRITTEN.lock().unwrap_or_else(|e| e.into_inner());
    let newest = written.entry(state_dir.to_path_buf()).or_insert(0);
    if *newest > seq {
        return Ok(());
    }
    std::fs::create_dir_all(state_dir)?;
    let file = crate::atomic::AtomicFile::create(&path(state_dir))?;
    serde_json::to_writer_pretty(file.handle()?, layouts)?;
    file.commit()?;
    *newest = seq;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn layouts_round_trip_and_a_missing_or_broken_file_reads_as_none() {
        let dir = tempfile::tempdir().unwrap();
        assert!(read(dir.path()).is_empty());
        let mut layouts = Layouts::new();
        layouts.insert(
            "stac-api".into(),
            vec![SavedColumn {
                name: "title".into(),
                visible: false,
            }],
        );
        save(dir.path().join("state"), layouts.clone())
            .await
            .unwrap();
        assert_eq!(read(&dir.path().join("state")), layouts);
        std::fs::write(path(dir.path()), "{not json").unwrap();
        assert!(read(dir.path()).is_empty());
        // Two saves asked in order and run in the other order: the newer layout stays.
        let state = dir.path().join("state");
        let older = save(state.clone(), Layouts::new());
        let newer = save(state.clone(), layouts.clone());
        newer.await.unwrap();
        older.await.unwrap();
        assert_eq!(read(&state), layouts);
    }
}
