//! `stacpkg items …`: STAC JSON / NDJSON / GeoParquet ⇄ the items Arrow stream.

use std::path::PathBuf;

use anyhow::{Context, Result};
use arrow_array::RecordBatch;
use clap::{Args, Subcommand};
use stacpkg::ipc::IpcStreamReader;
use stacpkg::items::alternate::{apply, AlternateOp, PromoteMode};
use stacpkg::items::enrich::{project, LockIndex, Projection};
use stacpkg::items::ItemFilter;
use stacpkg::lock::read::{read_ipc_rows, RowForm};
use stacpkg::lock::LockRow;
use stacpkg::schema::{expect_kind, SchemaKind};
use stacpkg::stac::geoparquet::ItemsParquetWriter;
use stacpkg::stac::read::{DEFAULT_BATCH_SIZE, DEFAULT_MAX_BATCH_BYTES};
use stacpkg::stac::shape::ItemsShape;
use stacpkg::stac::{JsonItems, NdjsonItems, ReadOptions};

use super::{input, output, EXIT_OK};

#[derive(Debug, Subcommand)]
pub enum ItemsCommand {
    /// Convert a STAC Item, ItemCollection, FeatureCollection or JSON array of Items to an items stream
    FromJson {
        /// STAC JSON file; omit or `-` for stdin
        input: Option<PathBuf>,
        #[command(flatten)]
        batch: BatchSize,
        #[command(flatten)]
        filter: FilterArgs,
    },
    /// Convert STAC NDJSON (one Item or ItemCollection per line) to an items stream
    ///
    /// The input is read twice — once to find every column any item has, once to convert — so
    /// nothing is dropped and memory stays flat; stdin is spooled to a temporary file for that.
    #[command(after_long_help = super::examples::ITEMS_FROM_NDJSON)]
    FromNdjson {
        /// STAC NDJSON file; omit or `-` for stdin
        input: Option<PathBuf>,
        #[command(flatten)]
        batch: BatchSize,
        #[command(flatten)]
        filter: FilterArgs,
    },
    /// Read a STAC GeoParquet file as an items stream
    FromParquet {
        /// STAC GeoParquet file (`-` spools stdin)
        input: PathBuf,
        #[command(flatten)]
        batch: BatchSize,
        #[command(flatten)]
        filter: FilterArgs,
    },
    /// Write asset-lock facts (file:size) and optional alternate hrefs into the items' assets
    Enrich {
        /// Asset-lock Arrow IPC stream file (a file, FIFO or `<(...)`, not stdin)
        #[arg(long, value_name = "PATH")]
        asset_lock: PathBuf,
        /// Also set `alternate.KEY.href` from the lock (no `--key` alias here)
        #[arg(long, value_name = "KEY")]
        alternate_key: Option<String>,
    },
    /// Add the lock's hrefs to the items' assets as `alternate.KEY`
    AddAlternate {
        /// Asset-lock Arrow IPC stream file (a file, FIFO or `<(...)`, not stdin)
        #[arg(long, value_name = "PATH")]
        asset_lock: PathBuf,
        /// Alternate key to set
        #[arg(long, alias = "key", value_name = "KEY")]
        alternate_key: String,
        /// `alternate:name` of the entry (default: the key)
        #[arg(long, alias = "name", value_name = "NAME")]
        alternate_name: Option<String>,
    },
    /// Make `alternate.KEY` the primary href of every asset that has it
    PromoteAlternate {
        /// Alternate key to promote
        #[arg(long, alias = "key", value_name = "KEY")]
        alternate_key: String,
        /// replace: drop the old primary; switch: keep it as `alternate.KEY`
        #[arg(long, value_enum, default_value = "replace")]
        mode: PromoteModeArg,
        /// Switch mode: `alternate:name` of the demoted original when it has none
        #[arg(long, value_name = "NAME", default_value = "original")]
        switched_alternate_name: String,
        /// Replace mode: remove the whole `alternate` object
        #[arg(long)]
        drop_alternates: bool,
    },
    /// Remove `alternate.KEY` from every asset
    RemoveAlternate {
        /// Alternate key to remove
        #[arg(long, alias = "key", value_name = "KEY")]
        alternate_key: String,
    },
    /// Write an items stream from stdin to a STAC GeoParquet file (atomically), or to stdout
    #[command(after_long_help = super::examples::ITEMS_TO_PARQUET)]
    ToParquet {
        /// GeoParquet file to write (parent directories are created, an existing file
        /// replaced), or `-` for stdout (not a terminal; sent once complete)
        output: PathBuf,
    },
    /// Write an items stream from stdin as STAC Items, one JSON object a line
    ToNdjson {
        /// File to write atomically (default, or `-`: stdout)
        output: Option<PathBuf>,
    },
    /// Write an items stream from stdin as one STAC FeatureCollection
    ToJson {
        /// File to write atomically (default, or `-`: stdout)
        output: Option<PathBuf>,
    },
}

/// Rows per output batch.
#[derive(Debug, Args)]
pub struct BatchSize {
    /// Maximum rows per Arrow batch (NDJSON/JSON batches also close at 32 MiB of input)
    #[arg(long, value_name = "N", default_value_t = DEFAULT_BATCH_SIZE, value_parser = input::parse_positive)]
    batch_size: usize,
}

/// The three repeatable item filters.
#[derive(Debug, Args, Clone)]
pub struct FilterArgs {
    /// Keep items of this collection; repeat for several
    #[arg(long = "collections", value_name = "COLLECTION")]
    collections: Vec<String>,
    /// Keep items with this provider name (provider, oam:producer_name, providers[].name); repeat for several
    #[arg(long = "providers", value_name = "PROVIDER")]
    providers: Vec<String>,
    /// Keep items with this id; repeat for several
    #[arg(long = "item-ids", value_name = "ITEM_ID")]
    item_ids: Vec<String>,
}

impl FilterArgs {
    /// The engine filter.
    pub fn filter(&self) -> ItemFilter {
        ItemFilter::new(&self.item_ids, &self.collections, &self.providers)
    }
}

const IPC_EXAMPLE: &str =
    "`stacpkg items from-ndjson items.ndjson | stacpkg items to-parquet items.parquet`";
const PARQUET_STDOUT_EXAMPLE: &str = "`stacpkg items to-parquet - > items.parquet`";
const JSON_EXAMPLE: &str = "`curl -fsS URL | stacpkg items from-json` or give a file path";

/// Runs an items command; returns the exit code.
pub fn run(cmd: ItemsCommand) -> Result<u8> {
    match cmd {
        ItemsCommand::FromJson {
            input: path,
            batch,
            filter,
        } => {
            let name = input::name(path.as_deref());
            let bytes = input::read_all(path.as_deref(), "STAC JSON", JSON_EXAMPLE)?;
            let options = read_options(batch.batch_size, &filter);
            let items = JsonItems::parse(&bytes, &name, &options)?;
            drop(bytes);
            warn_shape(&name, items.shape(), &options.filter);
            output::emit(items.schema(), items, None)?;
        }
        ItemsCommand::FromNdjson {
            input: path,
            batch,
            filter,
        } => {
            let name = input::name(path.as_deref());
            let source = input::seekable(path.as_deref(), "STAC NDJSON", JSON_EXAMPLE)?;
            let options = read_options(batch.batch_size, &filter);
            let items = NdjsonItems::scan_file(source, &name, options.clone())?;
            warn_shape(&name, items.shape(), &options.filter);
            output::emit(items.schema(), items, None)?;
        }
        ItemsCommand::FromParquet {
            input: path,
            batch,
            filter,
        } => {
            let (path, _spool) =
                input::path_or_spool(&path, "STAC GeoParquet", "give the file path instead")?;
            let name = path.display().to_string();
            let batches = stacpkg::parquet_io::open_parquet(&path, batch.batch_size)?;
            let schema = batches.schema();
            if let Err(e) = expect_kind(&schema, SchemaKind::Items, &name) {
                return Err(e).context("use `stacpkg asset-lock from-parquet` for asset locks");
            }
            // The geometry's CRS rides on the field (docs/COMPATIBILITY.md, "Items table").
            let schema = stacpkg::stac::geoparquet::with_tagged_geometry(&schema);
            let filter = filter.filter();
            if filter.is_empty() {
                let total = batches.total_rows();
                output::emit(schema, batches, Some(total))?;
            } else {
                let filtered = batches.map(move |b| b.and_then(|b| filter.apply(b)));
                output::emit(schema, filtered, None)?;
            }
        }
        ItemsCommand::Enrich {
            asset_lock,
            alternate_key,
        } => {
            let projection = Projection::Enrich { alternate_key };
            project_stdin(&asset_lock, &projection)?;
        }
        ItemsCommand::AddAlternate {
            asset_lock,
            alternate_key,
            alternate_name,
        } => {
            let name = alternate_name.unwrap_or_else(|| alternate_key.clone());
            let projection = Projection::AddAlternate {
                key: alternate_key,
                name,
            };
            project_stdin(&asset_lock, &projection)?;
        }
        ItemsCommand::PromoteAlternate {
            alternate_key,
            mode,
            switched_alternate_name,
            drop_alternates,
        } => {
            if drop_alternates && mode != PromoteModeArg::Replace {
                return Err(super::UsageError(
                    "--drop-alternates is only used with --mode replace".into(),
                )
                .into());
            }
            let op = AlternateOp::Promote {
                key: alternate_key,
                mode: match mode {
                    PromoteModeArg::Replace => PromoteMode::Replace,
                    PromoteModeArg::Switch => PromoteMode::Switch,
                },
                switched_name: switched_alternate_name,
                drop_alternates,
            };
            alternate_stdin(&op)?;
        }
        ItemsCommand::RemoveAlternate { alternate_key } => {
            alternate_stdin(&AlternateOp::Remove { key: alternate_key })?;
        }
        ItemsCommand::ToNdjson { output } => to_json(output, false)?,
        ItemsCommand::ToJson { output } => to_json(output, true)?,
        ItemsCommand::ToParquet { output: path } => {
            let target = output::ParquetOutput::new(&path, PARQUET_STDOUT_EXAMPLE)?;
            let mut stream = open_geoparquet_shaped_stdin()?;
            let schema = stream.schema();
            let mut writer = ItemsParquetWriter::create(target.path(), &schema)?;
            while let Some(batch) = stream.next_batch()? {
                writer.write(&batch)?;
            }
            let rows = writer.finish()?;
            let name = target.name();
            target.finish()?;
            tracing::info!("wrote {rows} items to {name}");
        }
    }
    Ok(EXIT_OK)
}

/// Reads the whole lock from an IPC stream file (`--asset-lock`).
pub fn read_lock_file(path: &std::path::Path, form: RowForm) -> Result<Vec<LockRow>> {
    if path.as_os_str() == "-" {
        return Err(super::UsageError(
            "--asset-lock expects a path to an Arrow IPC stream, not stdin; use `<(stacpkg asset-lock from-parquet lock.parquet)`".into(),
        )
        .into());
    }
    let name = path.display().to_string();
    let file = std::fs::File::open(path).map_err(|e| stacpkg::Error::io(&name, e))?;
    Ok(read_ipc_rows(std::io::BufReader::new(file), &name, form)?)
}

/// Streams the items on stdin through a lock projection, batch by batch.
fn project_stdin(lock: &std::path::Path, projection: &Projection) -> Result<()> {
    let index = LockIndex::new(read_lock_file(lock, RowForm::AsWritten)?);
    map_items_stdin(|b| project(b, &index, projection))
}

/// `--mode` of promote-alternate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum PromoteModeArg {
    /// The alternate replaces the primary
    Replace,
    /// The alternate and the primary swap
    Switch,
}

/// Streams the items on stdin through an alternate operation, batch by batch.
fn alternate_stdin(op: &AlternateOp) -> Result<()> {
    map_items_stdin(|b| apply(b, op))
}

/// The items Arrow stream on stdin (refused when stdin is a terminal or holds another kind).
fn open_items_stdin() -> Result<IpcStreamReader<std::io::StdinLock<'static>>> {
    input::require_piped_stdin("an Arrow IPC items stream", IPC_EXAMPLE)?;
    let stream = stacpkg::ipc::open_stream(std::io::stdin().lock(), "stdin")?;
    expect_kind(&stream.schema(), SchemaKind::Items, "stdin")?;
    Ok(stream)
}

/// `items to-ndjson` / `to-json`: the items on stdin back as STAC JSON (`collection`: one
/// FeatureCollection), on stdout or atomically into `output`.
fn to_json(output: Option<PathBuf>, collection: bool) -> Result<()> {
    let stream = open_geoparquet_shaped_stdin()?;
    let output = output.filter(|p| p.as_os_str() != "-");
    let rows = super::search_out::write_json_rows(stream, collection, output.as_deref())?;
    tracing::info!("wrote {rows} items as JSON");
    Ok(())
}

/// The items stream on stdin, refused in the internal compact shape (`assets_json`), which
/// only the package builder reads.
fn open_geoparquet_shaped_stdin() -> Result<IpcStreamReader<std::io::StdinLock<'static>>> {
    let stream = open_items_stdin()?;
    if stream.schema().field_with_name("assets_json").is_ok() {
        anyhow::bail!(stacpkg::Error::input(
            "stdin",
            "holds the internal compact items shape (`assets_json`); produce a GeoParquet-shaped stream with `stacpkg items from-json/from-ndjson/from-parquet`"
        ));
    }
    Ok(stream)
}

/// Writes the items on stdin mapped through `f`, batch by batch; the output schema is `f`'s
/// result on an empty batch, so a bad option fails before any output.
fn map_items_stdin(f: impl Fn(&RecordBatch) -> stacpkg::Result<RecordBatch>) -> Result<()> {
    let stream = open_items_stdin()?;
    let out_schema = f(&RecordBatch::new_empty(stream.schema()))?.schema();
    let batches = stream.map(move |b| b.and_then(|b| f(&b)));
    output::emit(out_schema, batches, None)?;
    Ok(())
}

fn read_options(batch_size: usize, filter: &FilterArgs) -> ReadOptions {
    ReadOptions {
        batch_size,
        max_batch_bytes: DEFAULT_MAX_BATCH_BYTES,
        filter: filter.filter(),
    }
}

/// Tells the user about conflicting fields and empty results.
fn warn_shape(name: &str, shape: &ItemsShape, filter: &ItemFilter) {
    for (path, kinds) in shape.conflicts() {
        tracing::warn!(
            "{name}: `{path}` holds values of different kinds ({kinds}); stored as JSON text in a string column"
        );
    }
    if shape.count == 0 {
        if filter.is_empty() {
            tracing::warn!("{name}: no items in the input");
        } else {
            tracing::warn!("{name}: no items matched the filters");
        }
    }
}
