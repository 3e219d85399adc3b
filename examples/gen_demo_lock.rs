//! Makes the demo's bundled lock, `assets/demo/assets.lock.parquet`, with this crate's engine.
//!
//! Run by `scripts/gen-demo` after it wrote the asset files and their manifest and *before* it
//! changes a few of them: the demo's file server serves `files/` (validators from content and
//! manifest, as in the console), the items' hrefs are pointed at it, `lock::derive` probes
//! every asset, and the rows are rebased onto the placeholder base the bundle uses.
//!
//! Usage: `cargo run --example gen_demo_lock -- assets/demo`

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use futures::StreamExt;
use stacpkg::demo::fileserver::{read_manifest, serve_with};
use stacpkg::demo::rebase_rows;
use stacpkg::demo::DEMO_BASE;
use stacpkg::lock::derive::{derive, DeriveOptions, ProbeSettings};
use stacpkg::lock::schema::{rows_to_batch, LockParquetWriter};
use stacpkg::stac::read::{NdjsonItems, ReadOptions};
use stacpkg::store::Stores;
use tokio_util::sync::CancellationToken;

fn main() -> anyhow::Result<()> {
    let dir = PathBuf::from(std::env::args().nth(1).unwrap_or("assets/demo".into()));
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async {
        let manifest = read_manifest(&dir.join("files.json"))?;
        let server = serve_with(dir.join("files"), manifest).await?;
        let base = format!("http://{}", server.addr);
        let items = dir.join("items.ndjson");
        let text = std::fs::read_to_string(&items)
            .with_context(|| format!("reading {}", items.display()))?
            .replace(DEMO_BASE, &base);
        let batches = NdjsonItems::scan(
            std::io::Cursor::new(text),
            "items.ndjson",
            ReadOptions::default(),
        )?;
        let options = DeriveOptions {
            probe: Some(ProbeSettings {
                stores: Arc::new(Stores::new(dir.clone(), false)),
                workers: 16,
            }),
            ..DeriveOptions::default()
        };
        let derivation = derive(batches, options, CancellationToken::new())?;
        let unmapped = &derivation.unmapped;
        anyhow::ensure!(unmapped.is_empty(), "unmapped hrefs: {unmapped:?}");
        let mut probed = Vec::new();
        let mut results = derivation.rows;
        while let Some(p) = results.next().await {
            if let Some(e) = p.error {
                anyhow::bail!("{}: {e}", p.row.label());
            }
            probed.push(p.row);
        }
        rebase_rows(&mut probed, &base, DEMO_BASE);
        let out = dir.join("assets.lock.parquet");
        let mut writer = LockParquetWriter::create(&out)?;
        writer.write(&rows_to_batch(&probed)?)?;
        let n = writer.finish()?;
        println!("wrote {n} lock rows to {}", out.display());
        Ok(())
    })
}
