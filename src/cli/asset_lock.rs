//! `stacpkg asset-lock …`: derive, convert, validate and relocate asset locks.
//!
//! The Parquet converters live here; derive, validate and relocate each have a file under
//! `asset_lock/`. Shared conventions: the lock stream comes on stdin (a terminal there is a
//! usage error), `--max-workers` must be at least 1, relative file hrefs resolve against
//! `--base-dir` (default: the working directory), and each command builds its own tokio runtime.

pub(crate) mod derive;
mod relocate;
mod validate;

use std::path::PathBuf;

use anyhow::{Context, Result};
use arrow_array::RecordBatch;
use clap::{Args, Subcommand};
use stacpkg::lock::read::{read_ipc_rows, RowForm};
use stacpkg::lock::schema::{self, LockRow};
use stacpkg::schema::{expect_kind, SchemaKind};
use stacpkg::stac::read::DEFAULT_BATCH_SIZE;

use super::runtime::Threads;
use super::{input, output, EXIT_OK};

#[derive(Debug, Subcommand)]
pub enum AssetLockCommand {
    /// Derive asset-lock rows from an items stream, recording each object's current facts
    ///
    /// Reads an items stream on stdin and writes one lock row per asset (metadata assets only
    /// when asked). By default every object gets a HEAD, many at once, and its size, ETag and
    /// Last-Modified are recorded; rows keep the input order.
    #[command(after_long_help = super::examples::LOCK_DERIVE)]
    Derive(derive::DeriveArgs),
    /// Read an asset-lock Parquet file as an asset-lock stream
    FromParquet {
        /// Asset-lock Parquet file (`-` spools stdin)
        input: PathBuf,
        /// Maximum rows per Arrow batch
        #[arg(long, value_name = "N", default_value_t = DEFAULT_BATCH_SIZE, value_parser = parse_positive)]
        batch_size: usize,
    },
    /// Write an asset-lock stream from stdin to a Parquet file (atomically), or to stdout
    ToParquet {
        /// Parquet file to write (parent directories are created, an existing file replaced),
        /// or `-` for stdout (not a terminal; sent once complete)
        output: PathBuf,
    },
    /// Check current objects against the locked facts; JSON lines, exit 1 on any drift
    ///
    /// One JSON object per lock row on stdout, written as soon as it and every earlier row are
    /// done. Unreachable or missing objects are invalid rows with the reason, never an abort.
    #[command(after_long_help = super::examples::LOCK_VALIDATE)]
    Validate(validate::ValidateArgs),
    /// Plan new locations for asset bytes, or copy the bytes there
    ///
    /// Give the destination as `--store-type` (+ container, endpoint, key prefix) or as a
    /// pre-planned `--destination-lock` Parquet file. `--dry-run` writes the planned lock; without
    /// it the bytes are copied and the output lock carries the destination's facts.
    #[command(after_long_help = super::examples::LOCK_RELOCATE)]
    Relocate(relocate::RelocateArgs),
}

/// Options shared by the commands that touch objects.
#[derive(Debug, Args, Clone)]
pub struct IoArgs {
    /// Maximum requests (HEADs or copies) in flight
    #[arg(long, value_name = "N", value_parser = parse_positive)]
    pub max_workers: Option<usize>,
    /// Maximum requests in flight to any one host
    #[arg(long, value_name = "N", default_value_t = stacpkg::store::DEFAULT_PER_HOST, value_parser = parse_positive)]
    pub max_per_host: usize,
    /// Directory that relative file hrefs and keys resolve against [default: the working directory]
    #[arg(long, value_name = "DIR")]
    pub base_dir: Option<PathBuf>,
}

impl IoArgs {
    /// The resolution base for relative file keys, absolute.
    pub fn base_dir(&self) -> Result<PathBuf> {
        let cwd = std::env::current_dir().context("reading the working directory")?;
        Ok(match &self.base_dir {
            Some(dir) => cwd.join(dir),
            None => cwd,
        })
    }

    /// Stores for this command.
    pub fn stores(&self, streaming: bool) -> Result<std::sync::Arc<stacpkg::store::Stores>> {
        Ok(std::sync::Arc::new(
            stacpkg::store::Stores::new(self.base_dir()?, streaming)
                .with_per_host(self.max_per_host),
        ))
    }
}

pub use super::input::parse_positive;

const LOCK_EXAMPLE: &str =
    "`stacpkg asset-lock from-parquet assets.lock.parquet | stacpkg asset-lock validate`";
const ITEMS_EXAMPLE: &str =
    "`stacpkg items from-parquet items.parquet | stacpkg asset-lock derive`";

/// Reads a whole lock stream from stdin (kind checked) as rows.
pub fn read_lock_stdin(form: RowForm) -> Result<Vec<LockRow>> {
    input::require_piped_stdin("an Arrow IPC asset-lock stream", LOCK_EXAMPLE)?;
    Ok(read_ipc_rows(std::io::stdin().lock(), "stdin", form)?)
}

/// Rows per output batch when writing a lock.
const OUTPUT_BATCH_ROWS: usize = 65_536;

/// Writes lock rows to stdout (IPC on a pipe, the preview on a terminal).
pub fn emit_rows(rows: &[LockRow]) -> Result<usize> {
    let batches: Vec<stacpkg::Result<RecordBatch>> = rows
        .chunks(OUTPUT_BATCH_ROWS)
        .map(schema::rows_to_batch)
        .collect();
    let batches = if batches.is_empty() {
        vec![schema::rows_to_batch(&[])]
    } else {
        batches
    };
    output::emit(schema::lock_schema(), batches.into_iter(), Some(rows.len()))
}

/// The runtime of derive, validate and relocate: many requests in flight.
pub fn runtime() -> Result<tokio::runtime::Runtime> {
    super::runtime::runtime(Threads::PerCore)
}

/// Runs an asset-lock command; returns the exit code.
pub fn run(cmd: AssetLockCommand) -> Result<u8> {
    match cmd {
        AssetLockCommand::Derive(args) => derive::run(args),
        AssetLockCommand::Validate(args) => validate::run(args),
        AssetLockCommand::Relocate(args) => relocate::run(args),
        AssetLockCommand::FromParquet {
            input: path,
            batch_size,
        } => {
            let (path, _spool) =
                input::path_or_spool(&path, "asset-lock Parquet", "give the file path instead")?;
            let name = path.display().to_string();
            let batches = stacpkg::parquet_io::open_parquet(&path, batch_size)?;
            let schema = batches.schema();
            if let Err(e) = expect_kind(&schema, SchemaKind::AssetLock, &name) {
                return Err(e).context("use `stacpkg items from-parquet` for items");
            }
            let total = batches.total_rows();
            output::emit(schema, batches, Some(total))?;
            Ok(EXIT_OK)
        }
        AssetLockCommand::ToParquet { output: path } => {
            let target = output::ParquetOutput::new(
                &path,
                "`stacpkg asset-lock to-parquet - > assets.lock.parquet`",
            )?;
            input::require_piped_stdin("an Arrow IPC asset-lock stream", ITEMS_EXAMPLE)?;
            let mut stream = stacpkg::ipc::open_stream(std::io::stdin().lock(), "stdin")?;
            if let Err(e) = expect_kind(&stream.schema(), SchemaKind::AssetLock, "stdin") {
                return Err(e).context("items streams go to `stacpkg items to-parquet`");
            }
            let mut writer = schema::LockParquetWriter::create(target.path())?;
            while let Some(batch) = stream.next_batch()? {
                writer.write(&schema::align_batch(&batch, "stdin")?)?;
            }
            let rows = writer.finish()?;
            let name = target.name();
            target.finish()?;
            tracing::info!("wrote {rows} lock rows to {name}");
            Ok(EXIT_OK)
        }
    }
}
