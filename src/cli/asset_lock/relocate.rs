//! `asset-lock relocate`: plan destination rows (`--dry-run`) or copy the bytes there.
//!
//! The option checks are the Python tool's (same messages, exit 2), made before any copy; the
//! copy-budget check (memory limit vs chunk size) is made up front too, not after reading
//! everything. Output rows stream to stdout in destination order as copies finish; a copy
//! failure without `--keep-going` stops the command with exit 1 and leaves the output stream
//! without its end marker, so a downstream `to-parquet` writes nothing.

use std::io::{BufWriter, IsTerminal, Write};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::Result;
use clap::{ArgGroup, Args, ValueEnum};
use futures::StreamExt;
use stacpkg::ipc::IpcStreamWriter;
use stacpkg::lock::read::{read_rows, RowForm};
use stacpkg::lock::relocate::{copy_rows, plan, Layout, RelocateStatus, TargetSpec};
use stacpkg::lock::schema::{lock_schema, rows_to_batch, LockRow};
use stacpkg::store::copy::{
    parse_byte_size, CopySettings, DEFAULT_CHUNK_SIZE_BYTES, DEFAULT_MEMORY_LIMIT_BYTES,
};
use stacpkg::store::location::{normalise_endpoint, StoreType};

use super::{emit_rows, read_lock_stdin, runtime, IoArgs};
use crate::cli::progress::Progress;
use crate::cli::{UsageError, EXIT_FAILURE, EXIT_OK};

/// Default `--max-workers` for relocate (copies in flight, further bounded by memory).
const DEFAULT_WORKERS: usize = 16;
/// Output rows are flushed as a batch once this many are waiting…
const FLUSH_ROWS: usize = 256;
/// …or once the oldest waiting row is this old.
const FLUSH_INTERVAL: Duration = Duration::from_millis(500);

#[derive(Debug, Clone, Copy, ValueEnum)]
enum StoreTypeArg {
    File,
    S3,
    Gs,
    Az,
    Http,
    Https,
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
enum LayoutArg {
    /// `<item_id>/<asset_key><suffix>`
    ItemAsset,
    /// the source key (or URL path)
    SourceKey,
}

#[derive(Debug, Args)]
#[command(group(ArgGroup::new("destination").required(true).args(["destination_lock", "store_type"])))]
pub struct RelocateArgs {
    /// Pre-planned destination rows, as an asset-lock Parquet file
    #[arg(long, value_name = "PATH")]
    destination_lock: Option<PathBuf>,
    /// Destination store type (rows are planned in memory)
    #[arg(long, value_enum)]
    store_type: Option<StoreTypeArg>,
    /// Destination bucket, container, or HTTP origin (optionally with a base path)
    #[arg(long, value_name = "CONTAINER")]
    store_container: Option<String>,
    /// Destination S3-compatible endpoint URL (`host:port` means https)
    #[arg(long, value_name = "URL")]
    store_endpoint_url: Option<String>,
    /// Destination key or path prefix (required for file; relative paths resolve against --base-dir)
    #[arg(long, value_name = "PREFIX")]
    key: Option<String>,
    /// Only map rows whose href is this prefix or below it; others pass through unchanged
    #[arg(long, value_name = "PREFIX")]
    source_prefix: Option<String>,
    /// Destination key layout
    #[arg(long, value_enum, default_value = "item-asset")]
    layout: LayoutArg,
    /// Write the planned destination rows without copying anything
    #[arg(long)]
    dry_run: bool,
    /// Replace existing destination objects (default)
    #[arg(long, overrides_with = "no_overwrite")]
    overwrite: bool,
    /// Never replace an existing object; one with the same bytes counts as copied
    #[arg(long, overrides_with = "overwrite")]
    no_overwrite: bool,
    /// When a copy fails, report it on stderr and keep the row as planned
    #[arg(long)]
    keep_going: bool,
    /// Memory all copies' buffers may reserve, e.g. 2GiB or 512MiB
    #[arg(long, value_name = "SIZE", value_parser = parse_byte_size, default_value_t = DEFAULT_MEMORY_LIMIT_BYTES)]
    memory_limit_bytes: u64,
    /// Upload part size, e.g. 8MiB; smaller objects go up in one PUT
    #[arg(long, value_name = "SIZE", value_parser = parse_byte_size, default_value_t = DEFAULT_CHUNK_SIZE_BYTES)]
    chunk_size_bytes: u64,
    /// Parts uploaded concurrently per copy
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = super::parse_positive)]
    put_max_concurrency: usize,
    #[command(flatten)]
    io: IoArgs,
}

fn usage(message: impl Into<String>) -> anyhow::Error {
    UsageError(message.into()).into()
}

pub fn run(args: RelocateArgs) -> Result<u8> {
    let settings = CopySettings {
        chunk_size: args.chunk_size_bytes,
        put_concurrency: args.put_max_concurrency,
        memory_limit: args.memory_limit_bytes,
        overwrite: !args.no_overwrite,
    };
    if !args.dry_run {
        settings.check().map_err(usage)?;
    }
    let sources = read_lock_stdin(RowForm::Normalised)?;
    let destinations = match &args.destination_lock {
        Some(path) => {
            let layout_set = args.layout != LayoutArg::ItemAsset;
            let truthy = |v: &Option<String>| v.as_deref().is_some_and(|s| !s.is_empty());
            if truthy(&args.source_prefix)
                || truthy(&args.store_container)
                || truthy(&args.store_endpoint_url)
                || truthy(&args.key)
                || layout_set
            {
                return Err(usage(
                    "--source-prefix, --store-container, --store-endpoint-url, --key, and --layout are only used with --store-type",
                ));
            }
            read_rows(path, RowForm::Normalised)?
        }
        None => {
            let store_type = match args.store_type.expect("clap requires a destination") {
                StoreTypeArg::File => StoreType::File,
                StoreTypeArg::S3 => StoreType::S3,
                StoreTypeArg::Gs => StoreType::Gs,
                StoreTypeArg::Az => StoreType::Az,
                StoreTypeArg::Http => StoreType::Http,
                StoreTypeArg::Https => StoreType::Https,
            };
            let mut key = args.key.clone().unwrap_or_default();
            if store_type == StoreType::File && !key.is_empty() && !key.starts_with('/') {
                // A relative destination is relative to the base dir, never to `/`.
                let absolute = args.io.base_dir()?.join(&key);
                let trailing = if key.ends_with('/') { "/" } else { "" };
                key = format!("{}{trailing}", absolute.display());
            }
            let target = TargetSpec {
                store_type,
                store_container: args.store_container.clone().filter(|c| !c.is_empty()),
                store_endpoint_url: args
                    .store_endpoint_url
                    .as_deref()
                    .and_then(normalise_endpoint),
                key,
            };
            target.check().map_err(usage)?;
            let layout = match args.layout {
                LayoutArg::ItemAsset => Layout::ItemAsset,
                LayoutArg::SourceKey => Layout::SourceKey,
            };
            let (rows, mapped) = plan(&sources, &target, args.source_prefix.as_deref(), layout)?;
            tracing::info!("planned {mapped} of {} rows", sources.len());
            if mapped == 0 && !sources.is_empty() {
                tracing::warn!(
                    "no row matched --source-prefix; every row passes through unchanged"
                );
            }
            rows
        }
    };
    if args.dry_run {
        emit_rows(&destinations)?;
        return Ok(EXIT_OK);
    }
    copy(args, sources, destinations, settings)
}

fn copy(
    args: RelocateArgs,
    sources: Vec<LockRow>,
    destinations: Vec<LockRow>,
    settings: CopySettings,
) -> Result<u8> {
    let source_stores = args.io.stores(true)?;
    let target_stores = args.io.stores(true)?;
    let workers = args.io.max_workers.unwrap_or(DEFAULT_WORKERS);
    let total = destinations.len();
    let keep_going = args.keep_going;
    let to_terminal = std::io::stdout().is_terminal();
    let rt = runtime()?;
    let (rows, failed) = rt.block_on(async move {
        let mut progress = Progress::new("copying", total);
        let mut results = Box::pin(copy_rows(
            &sources,
            destinations,
            source_stores,
            target_stores,
            settings,
            workers,
        ));
        let mut writer = if to_terminal {
            None
        } else {
            let sink = BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
            Some(IpcStreamWriter::try_new(sink, &lock_schema(), "stdout")?)
        };
        let mut all = Vec::new();
        let mut pending: Vec<LockRow> = Vec::new();
        let mut oldest: Option<Instant> = None;
        let mut copied = 0usize;
        while let Some(result) = results.next().await {
            let failure = matches!(result.status, RelocateStatus::Failed { .. });
            progress.tick(failure);
            match &result.status {
                RelocateStatus::Failed { route, error } => {
                    progress.clear();
                    if !keep_going {
                        anyhow::bail!(
                            "{}: copy {route} failed: {error} (--keep-going keeps such rows as planned)",
                            result.row.label()
                        );
                    }
                    tracing::warn!(
                        "{}: copy {route} failed, row kept as planned: {error}",
                        result.row.label()
                    );
                }
                RelocateStatus::Copied | RelocateStatus::AlreadyPresent => copied += 1,
                RelocateStatus::PassedThrough => {}
            }
            pending.push(result.row);
            oldest.get_or_insert_with(Instant::now);
            if let Some(w) = writer.as_mut() {
                if pending.len() >= FLUSH_ROWS || oldest.is_some_and(|t| t.elapsed() >= FLUSH_INTERVAL)
                {
                    w.write(&rows_to_batch(&pending)?)?;
                    pending.clear();
                    oldest = None;
                }
            } else {
                all.append(&mut pending);
            }
        }
        progress.clear();
        if let Some(mut w) = writer {
            if !pending.is_empty() || copied == 0 && total == 0 {
                w.write(&rows_to_batch(&pending)?)?;
            }
            let mut sink = w.finish()?;
            sink.flush().map_err(|e| stacpkg::Error::io("stdout", e))?;
        }
        tracing::info!("copied {copied} of {total} rows");
        anyhow::Ok((all, progress.failed()))
    })?;
    if to_terminal {
        emit_rows(&rows)?;
    }
    if failed > 0 {
        tracing::warn!(
            "{failed} of {total} copies failed; those rows are as planned, without facts"
        );
        return Ok(if keep_going { EXIT_OK } else { EXIT_FAILURE });
    }
    Ok(EXIT_OK)
}
