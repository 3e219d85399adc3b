//! The offline demo: the bundled OpenAerialMap-like catalogue, its asset files served by an
//! in-process file server on 127.0.0.1, and the catalogue's hrefs pointed at that server.
//!
//! The bundled items (`assets/demo/items.ndjson`, made by `scripts/gen-items`) name their
//! assets under [`DEMO_BASE`]; at start the demo writes a copy into the state dir with that
//! base replaced by the live server's URL, and opens the copy. The copy is also served as a
//! small STAC API ([`super::demo_api`]), so a real API search works offline too.

use std::path::{Path, PathBuf};

use anyhow::Context;

use super::demo_api::{self, DemoApi};
use super::fileserver::{serve, FileServer};

/// The placeholder asset base in the bundled catalogue.
pub const DEMO_BASE: &str = "https://demo.stacpkg.invalid";

/// The demo catalogue directory: `STACPKG_DEMO_DIR`, else the source tree's `assets/demo`.
pub fn demo_dir() -> PathBuf {
    std::env::var_os("STACPKG_DEMO_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/demo"))
}

/// A running demo.
pub struct Demo {
    /// The catalogue copy with live hrefs.
    pub items_path: PathBuf,
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
    let server = serve(dir.join("files"))
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
    let api = demo_api::serve(&items_path).await?;
    Ok(Demo {
        items_path,
        base_url,
        api_url: api.url(),
        _server: server,
        _api: api,
    })
}
