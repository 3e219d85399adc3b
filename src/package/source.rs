//! What a path given to open names: an items catalogue, an asset lock, or a package.
//!
//! Faces that accept any of the three (`stacpkg tui SOURCE`) look at the path once, here,
//! instead of guessing from the name: a directory holding both package tables is a package, a
//! Parquet file whose schema is a lock's is a lock, and everything else is treated as items.

use std::path::{Path, PathBuf};

use super::{ITEMS_FILE, LOCK_FILE};
use crate::parquet_io::open_parquet;
use crate::schema::{detect_kind, DetectedKind, SchemaKind};

/// What a source names.
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

impl Source {
    /// Classifies a source by looking at it: a package directory, a lock Parquet (by its
    /// schema), or else items (also when it cannot be read: opening it reports why).
    pub fn classify(source: &str) -> Source {
        let path = Path::new(source);
        if path.is_dir() {
            let items = path.join(ITEMS_FILE);
            let lock = path.join(LOCK_FILE);
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
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lock::schema::{rows_to_batch, LockParquetWriter};

    fn write_lock(path: &Path) {
        let mut writer = LockParquetWriter::create(path).unwrap();
        writer.write(&rows_to_batch(&[]).unwrap()).unwrap();
        writer.finish().unwrap();
    }

    #[test]
    fn a_lock_parquet_is_a_lock() {
        let dir = tempfile::tempdir().unwrap();
        let lock = dir.path().join("l.parquet");
        write_lock(&lock);
        assert_eq!(
            Source::classify(&lock.display().to_string()),
            Source::Lock(lock)
        );
    }

    #[test]
    fn a_directory_with_both_tables_is_a_package() {
        let dir = tempfile::tempdir().unwrap();
        write_lock(&dir.path().join(LOCK_FILE));
        let shown = dir.path().display().to_string();
        assert_eq!(Source::classify(&shown), Source::Items(shown.clone()));
        std::fs::write(dir.path().join(ITEMS_FILE), b"").unwrap();
        assert_eq!(
            Source::classify(&shown),
            Source::Package {
                items: dir.path().join(ITEMS_FILE),
                lock: dir.path().join(LOCK_FILE),
            }
        );
    }

    #[test]
    fn anything_else_is_items() {
        let dir = tempfile::tempdir().unwrap();
        let not_a_lock = dir.path().join("items.parquet");
        std::fs::write(&not_a_lock, b"not parquet").unwrap();
        for source in [
            "items.ndjson".to_string(),
            "https://example.com/stac".to_string(),
            not_a_lock.display().to_string(),
        ] {
            assert_eq!(Source::classify(&source), Source::Items(source.clone()));
        }
    }
}
