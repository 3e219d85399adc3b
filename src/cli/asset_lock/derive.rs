//! `asset-lock derive`: items stream → lock rows, probed concurrently, in input order.
//!
//! The pipeline is the engine's `lock::derive`; this file adds what the CLI shows around it
//! (the unmapped-href warnings, the progress line, what a failed probe does), shared with
//! `build`, which derives the same way when no lock is given.

use anyhow::Result;
use clap::Args;
use futures::{Stream, StreamExt};
use stacpkg::items::ItemFilter;
use stacpkg::lock::derive::{
    derive, AssetSelection, Derivation, DeriveOptions, ProbeSettings, Probed,
};
use stacpkg::lock::LockRow;
use stacpkg::schema::{expect_kind, SchemaKind};
use stacpkg::store::location::HrefOptions;
use tokio_util::sync::CancellationToken;

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
    let selection = AssetSelection {
        asset_keys: args.asset_keys.iter().cloned().collect(),
        include_metadata_assets: args.include_metadata_assets,
        href: HrefOptions {
            allow_signed_urls: args.allow_signed_urls,
        },
    };
    let probe = if args.no_probe_metadata {
        None
    } else {
        Some(ProbeSettings {
            stores: args.io.stores(false)?,
            workers: args.io.max_workers.unwrap_or(DEFAULT_WORKERS),
        })
    };
    let options = DeriveOptions {
        filter: ItemFilter::new(&args.item_ids, &args.collections, &args.providers),
        selection,
        probe,
    };
    let probing = options.probe.is_some();
    let derivation = derive(
        std::iter::from_fn(|| stream.next_batch().transpose()),
        options,
        CancellationToken::new(),
    )?;
    warn_unmapped(&derivation);
    if derivation.total == 0 {
        tracing::warn!("no assets to lock (check the filters and --asset-keys)");
    }
    if !probing {
        let rows: Vec<LockRow> =
            futures::executor::block_on(derivation.rows.map(|p| p.row).collect());
        emit_rows(&rows)?;
        return Ok(EXIT_OK);
    }
    let total = derivation.total;
    let keep_going = args.keep_going;
    let hint = "nothing written; --keep-going locks such rows without facts";
    let (rows, failed) = runtime()?.block_on(collect_probed(
        derivation.rows,
        total,
        ProbeFailures {
            keep_going,
            hint,
            progress: true,
        },
    ))?;
    emit_rows(&rows)?;
    if failed > 0 {
        tracing::warn!("{failed} of {total} probes failed; those rows have no facts");
        return Ok(if keep_going { EXIT_OK } else { EXIT_FAILURE });
    }
    Ok(EXIT_OK)
}

/// Warns about each row whose href maps to no store (derive and build).
pub fn warn_unmapped(derivation: &Derivation) {
    for problem in &derivation.unmapped {
        tracing::warn!("{problem}");
    }
}

/// What [`collect_probed`] does with a failed probe.
pub struct ProbeFailures {
    /// Warn and keep the row without facts, instead of stopping.
    pub keep_going: bool,
    /// Said after the error when stopping.
    pub hint: &'static str,
    /// Draw a `probing` progress line on a terminal.
    pub progress: bool,
}

/// Drives derive's probes to the end: the rows in input order and how many probes failed.
pub async fn collect_probed(
    rows: impl Stream<Item = Probed>,
    total: usize,
    failures: ProbeFailures,
) -> Result<(Vec<LockRow>, usize)> {
    let mut progress = failures.progress.then(|| Progress::new("probing", total));
    let mut out = Vec::with_capacity(total);
    let mut failed = 0;
    let mut rows = std::pin::pin!(rows);
    while let Some(probed) = rows.next().await {
        if let Some(p) = progress.as_mut() {
            p.tick(probed.error.is_some());
        }
        if let Some(error) = &probed.error {
            failed += 1;
            if let Some(p) = progress.as_mut() {
                p.clear();
            }
            if !failures.keep_going {
                anyhow::bail!("{}: {error} ({})", probed.row.label(), failures.hint);
            }
            tracing::warn!(
                "{}: probe failed, row kept without facts: {error}",
                probed.row.label()
            );
        }
        out.push(probed.row);
    }
    Ok((out, failed))
}
