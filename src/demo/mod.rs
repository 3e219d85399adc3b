//! The offline demo: the bundled OpenAerialMap-like catalogue, its asset files served by an
//! in-process file server on 127.0.0.1, and the catalogue's hrefs pointed at that server.
//!
//! The bundled items (`assets/demo/items.ndjson`, made by `scripts/gen-items`) name their
//! assets under [`DEMO_BASE`]; at start the demo writes a copy into the state dir with that
//! base replaced by the live server's URL, and opens the copy. The copy is also served as a
//! small STAC API ([`api`]), so a real API search works offline too.
//!
//! The bundled lock (`assets/demo/assets.lock.parquet`) was derived by `scripts/gen-demo` with
//! this crate's engine *before* it changed a few files (a size change, a same-size content
//! change, a newer Last-Modified, one deletion), so validating it shows drift out of the box.
//! Its rows are rebased onto the live server the same way. The server's validators come from
//! the content and the manifest `files.json`, not file mtimes, so the drift is the same on
//! every fresh clone.

pub mod api;
pub mod fileserver;
pub mod listener;

use std::path::{Path, PathBuf};

use anyhow::Context;

use self::api::DemoApi;
use self::fileserver::{read_manifest, serve_with, FileServer, Manifest};
use crate::lock::read::{read_rows, RowForm};
use crate::lock::schema::LockParquetWriter;
use crate::lock::LockRow;
use crate::store::location::{parse_href, HrefOptions};

/// The placeholder asset base in the bundled catalogue.
pub const DEMO_BASE: &str = "https://demo.stacpkg.invalid";

/// The demo catalogue directory: `STACPKG_DEMO_DIR`, else the source tree's `assets/demo`.
pub fn demo_dir() -> PathBuf {
    std::env::var_os("STACPKG_DEMO_DIR").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/demo"),
        PathBuf::from,
    )
}

/// A running demo.
pub struct Demo {
    /// The catalogue copy with live hrefs.
    pub items_path: PathBuf,
    /// The bundled lock rebased onto the live server (none if the bundle has no lock).
    pub lock_path: Option<PathBuf>,
    /// The asset server's base URL.
    pub base_url: String,
    /// The demo STAC API's root URL.
    pub api_url: String,
    _server: FileServer,
    _api: DemoApi,
}

/// Starts the asset server and writes the catalogue copy under `state_dir/demo`.
pub async fn start(state_dir: &Path) -> anyhow::Result<Demo> {
    let dir = demo_dir();
    let items = dir.join("items.ndjson");
    let text = std::fs::read_to_string(&items).with_context(|| {
        format!(
            "demo catalogue {}: not found; run from the source tree (cargo run -- tui --demo) \
             or set STACPKG_DEMO_DIR to a copy of assets/demo",
            items.display()
        )
    })?;
    let manifest_path = dir.join("files.json");
    let manifest = if manifest_path.is_file() {
        read_manifest(&manifest_path)?
    } else {
        Manifest::new()
    };
    let server = serve_with(dir.join("files"), manifest)
        .await
        .context("starting the demo file server on 127.0.0.1")?;
    let base_url = format!("http://{}", server.addr);
    let items_path = state_dir.join("demo").join("items.ndjson");
    let file = crate::atomic::AtomicFile::create(&items_path)?;
    {
        use std::io::Write;
        let mut handle = file.handle()?;
        handle
            .write_all(text.replace(DEMO_BASE, &base_url).as_bytes())
            .with_context(|| format!("writing {}", items_path.display()))?;
    }
    file.commit()?;
    let bundled = dir.join("assets.lock.parquet");
    let lock_path = if bundled.is_file() {
        let mut rows = read_rows(&bundled, RowForm::AsWritten)?;
        rebase_rows(&mut rows, DEMO_BASE, &base_url);
        let path = state_dir.join("demo").join("assets.lock.parquet");
        let mut writer = LockParquetWriter::create(&path)?;
        writer.write(&crate::lock::schema::rows_to_batch(&rows)?)?;
        writer.finish()?;
        Some(path)
    } else {
        None
    };
    let api = api::serve(&items_path).await?;
    Ok(Demo {
        items_path,
        lock_path,
        base_url,
        api_url: api.url(),
        _server: server,
        _api: api,
    })
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

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use futures::StreamExt;

    use super::*;
    use crate::lock::validate::validate;
    use crate::store::Stores;
    use crate::tui::panes::validation::Verdict;

    /// The bundled lock validates to exactly the drift `scripts/gen-demo` made, whatever the
    /// files' mtimes are (a fresh clone sets them to the checkout time).
    #[tokio::test]
    async fn bundled_lock_shows_exactly_the_planned_drift() {
        let state = tempfile::tempdir().unwrap();
        let demo = start(state.path()).await.unwrap();
        let rows = read_rows(demo.lock_path.as_ref().unwrap(), RowForm::AsWritten).unwrap();
        assert!(rows.len() > 400, "{}", rows.len());
        assert!(rows[0].href().unwrap().starts_with(&demo.base_url));
        let stores = Arc::new(Stores::new(state.path().to_path_buf(), false));
        let results: Vec<_> = validate(rows, stores, 16).collect().await;
        let mut problems: Vec<String> = results
            .iter()
            .filter(|r| !r.valid)
            .map(|r| format!("{}/{}: {}", r.item_id, r.asset_key, Verdict::of(r).text()))
            .collect();
        problems.sort();
        insta::assert_snapshot!(problems.join("\n"));
    }

    #[test]
    fn rebase_points_rows_at_the_live_server() {
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
    }
}
