//! The remembered searches, kept across runs in `searches.json` in the state dir. Fields added
//! later default to empty, so older history files still load.

use std::path::{Path, PathBuf};

use super::form::SearchForm;

/// The remembered searches file.
pub fn path(state_dir: &Path) -> PathBuf {
    state_dir.join("searches.json")
}

/// Reads the remembered searches (none if the file is missing or unreadable).
pub fn read(state_dir: &Path) -> Vec<SearchForm> {
    std::fs::read(path(state_dir))
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default()
}

/// Writes the remembered searches atomically.
pub async fn save(state_dir: PathBuf, history: Vec<SearchForm>) -> anyhow::Result<()> {
    tokio::task::spawn_blocking(move || -> anyhow::Result<()> {
        std::fs::create_dir_all(&state_dir)?;
        let path = path(&state_dir);
        let file = crate::atomic::AtomicFile::create(&path)?;
        serde_json::to_writer_pretty(file.handle()?, &history)?;
        file.commit()?;
        Ok(())
    })
    .await?
}

#[cfg(test)]
mod tests {
    use super::super::SearchPane;
    use super::*;

    #[test]
    fn history_keeps_newest_first_without_duplicates_and_loads_old_files() {
        let mut pane = SearchPane::default();
        let a = SearchForm {
            source: "a".into(),
            ..SearchForm::default()
        };
        let b = SearchForm {
            source: "b".into(),
            ..SearchForm::default()
        };
        pane.remember(a.clone());
        pane.remember(b.clone());
        pane.remember(a.clone());
        assert_eq!(pane.history, vec![a, b]);
        // A history file written before bbox/datetime/filter existed.
        let old: Vec<SearchForm> = serde_json::from_str(
            r#"[{"source":"x.ndjson","collections":"","item_ids":"","providers":"","max_items":"5"}]"#,
        )
        .unwrap();
        assert_eq!(old[0].max_items, "5");
        assert_eq!(old[0].bbox, "");
    }
}
