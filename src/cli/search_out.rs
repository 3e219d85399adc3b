//! Where `stacpkg search` results go: the items Arrow stream (or its preview), NDJSON, a
//! FeatureCollection, or GeoParquet — on stdout or atomically into `-o FILE` — and the offline
//! search of a local file that feeds the same writers.
//!
//! NDJSON and JSON are written item by item as pages arrive (flushed per page, so a pipe sees
//! results at once). The Arrow stream and GeoParquet need the union schema before their first
//! batch, so those items are spooled first (see `stacpkg::search::spool`).

use std::collections::BTreeSet;
use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};

use anyhow::Result;
use arrow_array::RecordBatch;
use arrow_schema::SchemaRef;
use clap::ValueEnum;
use futures::{Stream, StreamExt};
use serde_json::{Map, Value};
use stacpkg::atomic::AtomicFile;
use stacpkg::ipc::IpcStreamWriter;
use stacpkg::schema::{expect_kind, SchemaKind};
use stacpkg::search::{
    search_to_batches, LocalFilter, Page, SearchParams, SearchProgress, StacApi,
};
use stacpkg::stac::geoparquet::ItemsParquetWriter;
use stacpkg::stac::item_json::item_document;
use stacpkg::stac::json_out::JsonItemsWriter;
use stacpkg::stac::read::DEFAULT_MAX_BATCH_BYTES;
use stacpkg::stac::{open_catalogue, Catalogue, CatalogueFormat, ReadOptions};

use tokio_util::sync::CancellationToken;

use super::runtime::{runtime, Threads};
use super::{output, UsageError};

/// Items per page when a local JSON/NDJSON file is searched (pages only chunk the writes).
const LOCAL_PAGE_ITEMS: usize = 1_000;

/// `--output-format` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// The items Arrow IPC stream (a preview table on a terminal)
    Arrow,
    /// One STAC Item JSON per line
    Ndjson,
    /// One FeatureCollection JSON document
    Json,
    /// STAC GeoParquet (needs -o FILE)
    Parquet,
}

/// The output format: the flag, else `-o`'s extension, else the Arrow stream.
pub fn choose_format(flag: Option<OutputFormat>, output: Option<&Path>) -> Result<OutputFormat> {
    let from_ext = output.map(|p| {
        let ext = p
            .extension()
            .map(|e| e.to_string_lossy().to_ascii_lowercase())
            .unwrap_or_default();
        match ext.as_str() {
            "parquet" | "geoparquet" => Some(OutputFormat::Parquet),
            "ndjson" | "jsonl" | "geojsonl" => Some(OutputFormat::Ndjson),
            "json" | "geojson" => Some(OutputFormat::Json),
            "arrow" | "arrows" | "ipc" => Some(OutputFormat::Arrow),
            _ => None,
        }
    });
    let format = match (flag, from_ext) {
        (Some(f), Some(Some(e))) if f != e => {
            return Err(UsageError(format!(
                "--output-format {} contradicts the extension of {}",
                f.to_possible_value().map(|v| v.get_name().to_string()).unwrap_or_default(),
                output.map(|p| p.display().to_string()).unwrap_or_default()
            ))
            .into())
        }
        (Some(f), _) => f,
        (None, Some(Some(e))) => e,
        (None, Some(None)) => {
            return Err(UsageError(format!(
                "cannot tell the format of {} from its extension; pass --output-format (arrow, ndjson, json, parquet) or name it .parquet/.ndjson/.json/.arrow",
                output.map(|p| p.display().to_string()).unwrap_or_default()
            ))
            .into())
        }
        (None, None) => OutputFormat::Arrow,
    };
    if format == OutputFormat::Parquet && output.is_none() {
        return Err(UsageError(
            "GeoParquet is written to a file: add -o items.parquet (or pipe the Arrow stream into `stacpkg items to-parquet FILE`)".into(),
        )
        .into());
    }
    Ok(format)
}

/// An output file written atomically, or stdout.
pub(crate) enum Target {
    Stdout,
    File(AtomicFile),
}

impl Target {
    pub(crate) fn open(path: Option<&Path>) -> Result<Self> {
        Ok(match path {
            None => Target::Stdout,
            Some(p) => Target::File(AtomicFile::create(p)?),
        })
    }

    pub(crate) fn name(&self) -> String {
        match self {
            Target::Stdout => "stdout".into(),
            Target::File(f) => f.target().display().to_string(),
        }
    }

    pub(crate) fn writer(&self) -> Result<Box<dyn Write>> {
        Ok(match self {
            Target::Stdout => Box::new(BufWriter::with_capacity(1 << 20, std::io::stdout().lock())),
            Target::File(f) => Box::new(BufWriter::with_capacity(1 << 20, f.handle()?)),
        })
    }

    pub(crate) fn commit(self) -> Result<()> {
        if let Target::File(f) = self {
            f.commit()?;
        }
        Ok(())
    }
}

/// Where `search -o FILE.parquet` fetches the STAC Collections it records in the file's
/// stac-geoparquet metadata.
pub struct CollectionSource<'a> {
    /// The API searched.
    pub api: &'a StacApi,
    /// The `--collections` searched; when empty, the collections of the items found.
    pub searched: Vec<String>,
    /// Stops the fetches with the search.
    pub cancel: &'a CancellationToken,
    /// Retries are reported here.
    pub progress: &'a dyn SearchProgress,
}

impl CollectionSource<'_> {
    /// `GET /collections/{id}` for each collection; one that fails is left out with a warning
    /// (the items are written either way).
    async fn fetch(&self, seen: BTreeSet<String>) -> Map<String, Value> {
        let ids = if self.searched.is_empty() {
            seen
        } else {
            self.searched.iter().cloned().collect()
        };
        let mut out = Map::new();
        for id in ids {
            match self.api.collection(&id, self.cancel, self.progress).await {
                Ok(doc) => {
                    out.insert(id, doc);
                }
                Err(e) => tracing::warn!("collection `{id}` not recorded in the file: {e:#}"),
            }
        }
        out
    }
}

/// Writes search pages in `format`; returns the items written. With `collections`, a
/// GeoParquet output also records the searched collections.
pub async fn write_pages<S>(
    pages: S,
    source: &str,
    format: OutputFormat,
    output: Option<&Path>,
    batch_size: usize,
    collections: Option<CollectionSource<'_>>,
) -> Result<u64>
where
    S: Stream<Item = stacpkg::Result<Page>> + Unpin,
{
    match format {
        OutputFormat::Ndjson | OutputFormat::Json => {
            let mut pages = pages;
            let target = Target::open(output)?;
            let mut writer = JsonItemsWriter::new(
                target.writer()?,
                format == OutputFormat::Json,
                &target.name(),
            )?;
            while let Some(page) = pages.next().await {
                for item in &page?.items {
                    writer.item(item)?;
                }
                writer.flush()?;
            }
            let count = writer.count();
            drop(writer.finish()?);
            target.commit()?;
            warn_empty(source, count);
            Ok(count)
        }
        OutputFormat::Arrow | OutputFormat::Parquet => {
            let options = ReadOptions {
                batch_size,
                max_batch_bytes: DEFAULT_MAX_BATCH_BYTES,
                ..ReadOptions::default()
            };
            let seen = Arc::new(Mutex::new(BTreeSet::new()));
            let seen_in_pages = seen.clone();
            let pages = pages.inspect(move |page| {
                let Ok(page) = page else { return };
                let mut seen = seen_in_pages.lock().unwrap_or_else(PoisonError::into_inner);
                let ids = page
                    .items
                    .iter()
                    .filter_map(|i| i.get("collection")?.as_str());
                seen.extend(ids.map(str::to_string));
            });
            let batches = search_to_batches(pages, source, options).await?;
            for (path, kinds) in batches.shape().conflicts() {
                tracing::warn!(
                    "{source}: `{path}` holds values of different kinds ({kinds}); stored as JSON text in a string column"
                );
            }
            let count = batches.shape().count as u64;
            warn_empty(source, count);
            let records = match collections {
                Some(from) if format == OutputFormat::Parquet => {
                    let seen =
                        std::mem::take(&mut *seen.lock().unwrap_or_else(PoisonError::into_inner));
                    from.fetch(seen).await
                }
                _ => Map::new(),
            };
            write_batches(batches.schema(), batches, format, output, records)?;
            Ok(count)
        }
    }
}

/// Writes items batches back as STAC JSON (NDJSON, or a FeatureCollection), row by row, on
/// stdout or atomically into `output`; returns the items written.
pub(crate) fn write_json_rows(
    batches: impl Iterator<Item = stacpkg::Result<RecordBatch>>,
    collection: bool,
    output: Option<&Path>,
) -> Result<u64> {
    let target = Target::open(output)?;
    let mut writer = JsonItemsWriter::new(target.writer()?, collection, &target.name())?;
    for batch in batches {
        let batch = batch?;
        for row in 0..batch.num_rows() {
            writer.item(&item_document(&batch, row))?;
        }
    }
    let count = writer.count();
    drop(writer.finish()?);
    target.commit()?;
    Ok(count)
}

fn warn_empty(source: &str, count: u64) {
    if count == 0 {
        tracing::warn!("{source}: no items matched the search");
    }
}

/// Writes items batches as the Arrow stream (stdout or file) or GeoParquet.
fn write_batches(
    schema: SchemaRef,
    batches: impl Iterator<Item = stacpkg::Result<RecordBatch>>,
    format: OutputFormat,
    output: Option<&Path>,
    collections: Map<String, Value>,
) -> Result<()> {
    match (format, output) {
        (OutputFormat::Parquet, Some(path)) => {
            let mut writer = ItemsParquetWriter::create(path, &schema)?;
            writer.add_collections(collections);
            for batch in batches {
                writer.write(&batch?)?;
            }
            let rows = writer.finish()?;
            tracing::info!("wrote {rows} items to {}", path.display());
        }
        (_, Some(path)) => {
            let file = AtomicFile::create(path)?;
            let name = path.display().to_string();
            let sink = BufWriter::with_capacity(1 << 20, file.handle()?);
            let mut writer = IpcStreamWriter::try_new(sink, &schema, &name)?;
            for batch in batches {
                writer.write(&batch?)?;
            }
            writer
                .finish()?
                .flush()
                .map_err(|e| stacpkg::Error::io(&name, e))?;
            file.commit()?;
        }
        (_, None) => {
            output::emit(schema, batches, None)?;
        }
    }
    Ok(())
}

/// Searches a local NDJSON / JSON / stac-geoparquet file with the filters a file allows.
pub fn search_local(
    path: &Path,
    params: &SearchParams,
    max_items: Option<u64>,
    format: OutputFormat,
    output: Option<&Path>,
    batch_size: usize,
) -> Result<u64> {
    let name = path.display().to_string();
    if !path.exists() {
        return Err(stacpkg::Error::input(
            &name,
            "no such file; give a STAC API URL (http:// or https://) or a saved .ndjson, .json or .parquet file",
        )
        .into());
    }
    let filter = LocalFilter::from_params(params, &name).map_err(|e| UsageError(e.to_string()))?;
    let catalogue_format = CatalogueFormat::of(path);
    if catalogue_format == CatalogueFormat::GeoParquet {
        let options = ReadOptions {
            batch_size,
            ..ReadOptions::default()
        };
        let Catalogue { schema, batches } = open_catalogue(path, options)?;
        expect_kind(&schema, SchemaKind::Items, &name)?;
        let mut left = max_items.unwrap_or(u64::MAX);
        let mut count = 0u64;
        let filtered = batches
            .map(move |b| {
                let b = b?;
                let mask = filter.mask(&b)?;
                arrow_select::filter::filter_record_batch(&b, &mask)
                    .map_err(|e| stacpkg::Error::arrow("filtering items", e))
            })
            .map_while(move |b| {
                if left == 0 {
                    return None;
                }
                Some(b.map(|b| {
                    let n = (b.num_rows() as u64).min(left);
                    left -= n;
                    b.slice(0, n as usize)
                }))
            })
            .inspect(|b| {
                if let Ok(b) = b {
                    count += b.num_rows() as u64;
                }
            });
        if matches!(format, OutputFormat::Ndjson | OutputFormat::Json) {
            let written = write_json_rows(filtered, format == OutputFormat::Json, output)?;
            warn_empty(&name, written);
            return Ok(written);
        }
        write_batches(schema, filtered, format, output, Map::new())?;
        return Ok(count);
    }
    // JSON and NDJSON are searched as pages of JSON values, like an API's, for the same writers.
    let document = catalogue_format == CatalogueFormat::Json;
    let pages = LocalPages::open(path, filter, max_items, document)?;
    let runtime = runtime(Threads::CurrentThread)?;
    runtime.block_on(write_pages(
        futures::stream::iter(pages),
        &name,
        format,
        output,
        batch_size,
        None,
    ))
}

/// A local JSON / NDJSON file's matching items, in pages.
struct LocalPages {
    lines: Option<BufReader<File>>,
    pending: std::vec::IntoIter<Value>,
    filter: LocalFilter,
    left: u64,
    line: usize,
    page: u64,
    name: String,
    failed: bool,
}

impl LocalPages {
    fn open(
        path: &Path,
        filter: LocalFilter,
        max_items: Option<u64>,
        document: bool,
    ) -> Result<Self> {
        let name = path.display().to_string();
        let file = File::open(path).map_err(|e| stacpkg::Error::io(&name, e))?;
        let (lines, pending) = if document {
            let doc: Value = serde_json::from_reader(BufReader::new(file)).map_err(|source| {
                stacpkg::Error::Json {
                    input: name.clone(),
                    line: 0,
                    source,
                }
            })?;
            (None, features(doc, &name)?.into_iter())
        } else {
            (
                Some(BufReader::with_capacity(256 * 1024, file)),
                Vec::new().into_iter(),
            )
        };
        Ok(Self {
            lines,
            pending,
            filter,
            left: max_items.unwrap_or(u64::MAX),
            line: 0,
            page: 0,
            name,
            failed: false,
        })
    }

    fn next_item(&mut self) -> stacpkg::Result<Option<Value>> {
        loop {
            if let Some(item) = self.pending.next() {
                return Ok(Some(item));
            }
            let Some(reader) = &mut self.lines else {
                return Ok(None);
            };
            let mut buf = Vec::new();
            if reader
                .read_until(b'\n', &mut buf)
                .map_err(|e| stacpkg::Error::io(&self.name, e))?
                == 0
            {
                return Ok(None);
            }
            self.line += 1;
            if buf.trim_ascii().is_empty() {
                continue;
            }
            let doc: Value =
                serde_json::from_slice(&buf).map_err(|source| stacpkg::Error::Json {
                    input: self.name.clone(),
                    line: self.line,
                    source,
                })?;
            self.pending =
                features(doc, &format!("{}: line {}", self.name, self.line))?.into_iter();
        }
    }
}

/// The items of a Feature or FeatureCollection document.
fn features(doc: Value, at: &str) -> stacpkg::Result<Vec<Value>> {
    match doc.get("type").and_then(Value::as_str) {
        Some("Feature") => Ok(vec![doc]),
        Some("FeatureCollection" | "ItemCollection") => match doc {
            Value::Object(mut o) => match o.remove("features") {
                Some(Value::Array(a)) => Ok(a),
                _ => Err(stacpkg::Error::input(
                    at,
                    "the collection has no `features` array",
                )),
            },
            _ => unreachable!("has a type, so it is an object"),
        },
        _ => Err(stacpkg::Error::input(
            at,
            "expected a STAC Item or ItemCollection (type \"Feature\" or \"FeatureCollection\")",
        )),
    }
}

impl Iterator for LocalPages {
    type Item = stacpkg::Result<Page>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed || self.left == 0 {
            return None;
        }
        let mut items = Vec::new();
        while items.len() < LOCAL_PAGE_ITEMS && self.left > 0 {
            match self.next_item() {
                Ok(Some(item)) => {
                    if item
                        .as_object()
                        .is_some_and(|o| self.filter.matches_json(o))
                    {
                        items.push(item);
                        self.left -= 1;
                    }
                }
                Ok(None) => {
                    self.left = 0;
                }
                Err(e) => {
                    self.failed = true;
                    return Some(Err(e));
                }
            }
        }
        if items.is_empty() {
            return None;
        }
        self.page += 1;
        Some(Ok(Page {
            number: self.page,
            items,
            matched: None,
        }))
    }
}
