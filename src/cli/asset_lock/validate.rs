//! `asset-lock validate`: lock stream → JSON lines, streamed and flushed line by line.

use std::io::Write;

use anyhow::Result;
use clap::Args;
use futures::StreamExt;
use stacpkg::lock::validate::{validate, RowSelection};

use stacpkg::lock::read::RowForm;

use super::{read_lock_stdin, runtime, IoArgs};
use crate::cli::progress::Progress;
use crate::cli::{EXIT_FAILURE, EXIT_OK};

/// Default `--max-workers` for validate (HEADs in flight).
const DEFAULT_WORKERS: usize = 64;

#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// Validate only rows with this item id; repeat for several
    #[arg(long = "item-ids", value_name = "ITEM_ID")]
    item_ids: Vec<String>,
    /// Validate only rows with this asset key; repeat for several
    #[arg(long = "asset-keys", value_name = "ASSET_KEY")]
    asset_keys: Vec<String>,
    /// Accepted for compatibility: failures are always reported per row, never abort the run
    #[arg(long)]
    keep_going: bool,
    #[command(flatten)]
    io: IoArgs,
}

pub fn run(args: ValidateArgs) -> Result<u8> {
    let rows = read_lock_stdin(RowForm::AsWritten)?;
    let total = rows.len();
    let selection = RowSelection {
        item_ids: args.item_ids.iter().cloned().collect(),
        asset_keys: args.asset_keys.iter().cloned().collect(),
    };
    let rows: Vec<_> = rows.into_iter().filter(|r| selection.selects(r)).collect();
    if rows.is_empty() {
        if total == 0 {
            tracing::warn!("the lock on stdin has no rows; nothing to validate");
        } else {
            tracing::warn!(
                "no lock rows match --item-ids/--asset-keys ({total} rows in the lock); nothing validated"
            );
        }
        return Ok(EXIT_OK);
    }
    let _ = args.keep_going;
    let stores = args.io.stores(false)?;
    let workers = args.io.max_workers.unwrap_or(DEFAULT_WORKERS);
    let selected = rows.len();
    let invalid = runtime()?.block_on(async move {
        let mut progress = Progress::new("validating", selected);
        let mut results = Box::pin(validate(rows, stores, workers));
        let stdout = std::io::stdout();
        while let Some(result) = results.next().await {
            progress.tick(!result.valid);
            let mut line = result.to_json_line();
            line.push('\n');
            let mut out = stdout.lock();
            out.write_all(line.as_bytes())
                .and_then(|()| out.flush())
                .map_err(|e| stacpkg::Error::io("stdout", e))?;
        }
        progress.clear();
        anyhow::Ok(progress.failed())
    })?;
    if invalid > 0 {
        tracing::info!("{invalid} of {selected} assets drifted or could not be checked");
        return Ok(EXIT_FAILURE);
    }
    Ok(EXIT_OK)
}
