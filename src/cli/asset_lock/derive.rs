//! `asset-lock derive`: items stream → lock rows, probed concurrently, in input order.

use anyhow::Result;
use clap::Args;
use futures::StreamExt;
use stacpkg::items::ItemFilter;
use stacpkg::lock::derive::{probe, rows_from_items, AssetSelection};
use stacpkg::schema::{expect_kind, SchemaKind};
use stacpkg::store::location::HrefOptions;

use super::{emit_rows, runtime, IoArgs, ITEMS_EXAMPLE};
use crate::cli::progress::Progress;
use crate::cli::{input, EXIT_FAILURE, EXIT_OK};

/// Default `--max-workers` for derive (HEADs in flight).
const DEFAULT_WORKERS: usize = 64;

#[derive(Debug, Args)]
pub struct DeriveArgs {
    /// HEAD every locked object and record its size, ETag and Last-Modified (default)
    #[arg(long, overrides_with = "no_probe_metadata")]
    probe_metadata: bool,
    /// Lock hrefs without any network or file access (sizes from `file:size` only)
    #[arg(long, overrides_with = "probe_metadata")]
    no_probe_metadata: bool,
    /// Keep items with this id; repeat for several
    #[arg(long = "item-ids", value_name = "ITEM_ID")]
    item_ids: Vec<String>,
    /// Keep items of this collection; repeat for several
    #[arg(long = "collections", value_name = "COLLECTION")]
    collections: Vec<String>,
    /// Keep items with this provider name; repeat for several
    #[arg(long = "providers", value_name = "PROVIDER")]
    providers: Vec<String>,
    /// Lock only assets with this key; repeat for several (`metadata` included when named)
    #[arg(long = "asset-keys", value_name = "ASSET_KEY")]
    asset_keys: Vec<String>,
    /// Also lock assets whose key is `metadata`
    #[arg(long)]
    include_metadata_assets: bool,
    /// When a probe fails, report it on stderr and keep the row without facts
    #[arg(long)]
    keep_going: bool,
    /// Lock signed URLs (X-Amz-Signature, SAS sig=, …) by their plain URL, query stripped
    #[arg(long)]
    allow_signed_urls: bool,
    #[command(flatten)]
    io: IoArgs,
}

pub fn run(args: DeriveArgs) -> Result<u8> {
    input::require_piped_stdin("an Arrow IPC items stream", ITEMS_EXAMPLE)?;
    let mut stream = stacpkg::ipc::open_stream(std::io::stdin().lock(), "stdin")?;
    if let Err(e) = expect_kind(&stream.schema(), SchemaKind::Items, "stdin") {
        return Err(anyhow::Error::from(e).context(
            "asset-lock derive reads items; to re-probe a lock use `asset-lock validate`",
        ));
    }
    let filter = ItemFilter::new(&args.item_ids, &args.collections, &args.providers);
    let selection = AssetSelection {
        asset_keys: args.asset_keys.iter().cloned().collect(),
        include_metadata_assets: args.include_metadata_assets,
        href: HrefOptions {
            allow_signed_urls: args.allow_signed_urls,
        },
    };
    let mut rows = Vec::new();
    let mut unmapped = Vec::new();
    while let Some(batch) = stream.next_batch()? {
        let batch = filter.apply(batch)?;
        rows.extend(rows_from_items(&batch, &selection, &mut unmapped)?);
    }
    for problem in &unmapped {
        tracing::warn!(
            "{}: {}; locked without a store",
            problem.label,
            problem.reason
        );
    }
    if rows.is_empty() {
        tracing::warn!("no assets to lock (check the filters and --asset-keys)");
    }
    if args.no_probe_metadata {
        emit_rows(&rows)?;
        return Ok(EXIT_OK);
    }
    let stores = args.io.stores(false)?;
    let workers = args.io.max_workers.unwrap_or(DEFAULT_WORKERS);
    let total = rows.len();
    let keep_going = args.keep_going;
    let probed = runtime()?.block_on(async move {
        let mut progress = Progress::new("probing", total);
        let mut out = Vec::with_capacity(total);
        let mut results = Box::pin(probe(rows, stores, workers));
        while let Some(probed) = results.next().await {
            progress.tick(probed.error.is_some());
            if let Some(error) = &probed.error {
                progress.clear();
                if !keep_going {
                    anyhow::bail!(
                        "{}: {error} (nothing written; --keep-going locks such rows without facts)",
                        probed.row.label()
                    );
                }
                tracing::warn!(
                    "{}: probe failed, row kept without facts: {error}",
                    probed.row.label()
                );
            }
            out.push(probed.row);
        }
        progress.clear();
        Ok((out, progress.failed()))
    })?;
    let (rows, failed) = probed;
    emit_rows(&rows)?;
    if failed > 0 {
        tracing::warn!("{failed} of {total} probes failed; those rows have no facts");
        return Ok(if keep_going { EXIT_OK } else { EXIT_FAILURE });
    }
    Ok(EXIT_OK)
}
