//! Reading STAC JSON and NDJSON into items batches.
//!
//! An Arrow IPC stream fixes its schema before the first batch, and the Python tool lost every
//! property, asset key or bbox dimension that first showed up after its first batch. We read
//! NDJSON **twice**: the first pass discovers the union shape of all items (it keeps only the
//! shape, a few kilobytes), the second builds batches against that schema. Memory therefore
//! stays flat whatever the input size: one parsed line at a time plus one batch of Arrow arrays,
//! capped by rows (`--batch-size`) and by input bytes ([`DEFAULT_MAX_BATCH_BYTES`]). The price
//! is a seekable input — the CLI spools stdin to an anonymous temporary file (disk, not RAM) —
//! and a second parse. A JSON document (`from-json`) is held in memory whole, as its format
//! forces; batches are still built from it one at a time.

use std::io::{BufRead, BufReader, Read, Seek, SeekFrom};

use arrow_array::RecordBatch;
use arrow_schema::SchemaRef;
use serde_json::{Map, Value};

use super::item::{items_schema, observe_item, ItemsBatchBuilder};
use super::shape::ItemsShape;
use crate::items::ItemFilter;
use crate::{Error, Result};

/// Default rows per batch (as in the Python tool).
pub const DEFAULT_BATCH_SIZE: usize = 64_000;
/// A batch is closed once this many bytes of JSON went into it: 32 MiB of OpenAerialMap-like
/// NDJSON (~2.2 KB an item, ~15,000 items) becomes roughly 20 MiB of Arrow arrays, so the
/// converter's peak memory is a few tens of MiB whatever `--batch-size` and the input size.
pub const DEFAULT_MAX_BATCH_BYTES: usize = 32 * 1024 * 1024;

/// How to read items.
#[derive(Debug, Clone)]
pub struct ReadOptions {
    /// Maximum rows per batch.
    pub batch_size: usize,
    /// Maximum bytes of input JSON per batch.
    pub max_batch_bytes: usize,
    /// Which items to keep.
    pub filter: ItemFilter,
}

impl Default for ReadOptions {
    fn default() -> Self {
        Self {
            batch_size: DEFAULT_BATCH_SIZE,
            max_batch_bytes: DEFAULT_MAX_BATCH_BYTES,
            filter: ItemFilter::default(),
        }
    }
}

/// Calls `f` with every item a parsed document holds (a Feature, or a collection's features).
fn for_each_item(
    doc: &Value,
    at: &dyn Fn() -> String,
    f: &mut dyn FnMut(&Map<String, Value>) -> Result<()>,
) -> Result<()> {
    let Value::Object(obj) = doc else {
        return Err(Error::input(
            at(),
            "expected a STAC Item or ItemCollection object, found a JSON value of another kind",
        ));
    };
    match obj.get("type").and_then(Value::as_str) {
        Some("Feature") => f(obj),
        Some("FeatureCollection" | "ItemCollection") => match obj.get("features") {
            Some(Value::Array(features)) => {
                for feature in features {
                    match feature {
                        Value::Object(item) => f(item)?,
                        _ => {
                            return Err(Error::input(
                                at(),
                                "every entry of `features` must be a STAC Item object",
                            ))
                        }
                    }
                }
                Ok(())
            }
            _ => Err(Error::input(at(), "the collection has no `features` array")),
        },
        Some(other) => Err(Error::input(
            at(),
            format!(
                "expected a STAC Item (type \"Feature\") or ItemCollection, found type {other:?}{}",
                if other == "Collection" || other == "Catalog" {
                    "; fetch its items (e.g. with `stacpkg search` or the API's /items) instead"
                } else {
                    ""
                }
            ),
        )),
        None => Err(Error::input(
            at(),
            "expected a STAC Item or ItemCollection, found an object without `type`",
        )),
    }
}

/// Items from an NDJSON source, converted in two passes.
pub struct NdjsonItems<R: Read + Seek> {
    reader: BufReader<R>,
    input: String,
    options: ReadOptions,
    shape: ItemsShape,
    schema: SchemaRef,
    builder: ItemsBatchBuilder,
    line: usize,
    bytes_in_batch: usize,
    buffer: Vec<u8>,
    done: bool,
}

impl<R: Read + Seek> NdjsonItems<R> {
    /// Runs the first pass over `source` (discovering the schema) and rewinds it.
    pub fn scan(source: R, input: &str, options: ReadOptions) -> Result<Self> {
        let mut reader = BufReader::with_capacity(256 * 1024, source);
        let mut shape = ItemsShape::default();
        let mut scratch = Vec::new();
        let mut buffer = Vec::new();
        let mut line = 0usize;
        loop {
            buffer.clear();
            let n = reader
                .read_until(b'\n', &mut buffer)
                .map_err(|e| Error::io(input, e))?;
            if n == 0 {
                break;
            }
            line += 1;
            let Some(doc) = parse_line(&buffer, input, line)? else {
                continue;
            };
            let at = || format!("{input}: line {line}");
            for_each_item(&doc, &at, &mut |item| {
                if options.filter.matches_json(item) {
                    observe_item(&mut shape, item, &mut scratch)
                        .map_err(|p| Error::input(at(), p.0))?;
                }
                Ok(())
            })?;
        }
        reader
            .seek(SeekFrom::Start(0))
            .map_err(|e| Error::io(format!("{input}: rewinding for the second pass"), e))?;
        let schema = items_schema(&shape);
        Ok(Self {
            reader,
            input: input.to_string(),
            builder: ItemsBatchBuilder::new(schema.clone()),
            schema,
            shape,
            options,
            line: 0,
            bytes_in_batch: 0,
            buffer,
            done: false,
        })
    }

    /// Starts the second pass over `source` (positioned at its start) with a shape that a
    /// first pass made elsewhere — e.g. while spooling search results — found for exactly the
    /// items `options.filter` keeps.
    pub fn from_shape(source: R, input: &str, options: ReadOptions, shape: ItemsShape) -> Self {
        let schema = items_schema(&shape);
        Self {
            reader: BufReader::with_capacity(256 * 1024, source),
            input: input.to_string(),
            builder: ItemsBatchBuilder::new(schema.clone()),
            schema,
            shape,
            options,
            line: 0,
            bytes_in_batch: 0,
            buffer: Vec::new(),
            done: false,
        }
    }

    /// The schema every batch has.
    pub fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }

    /// What the first pass found (item count, conflicting fields).
    pub fn shape(&self) -> &ItemsShape {
        &self.shape
    }

    fn next_batch(&mut self) -> Result<Option<RecordBatch>> {
        if self.done {
            return Ok(None);
        }
        loop {
            if self.builder.len() >= self.options.batch_size
                || self.bytes_in_batch >= self.options.max_batch_bytes
            {
                self.bytes_in_batch = 0;
                return self.finish_batch().map(Some);
            }
            self.buffer.clear();
            let n = self
                .reader
                .read_until(b'\n', &mut self.buffer)
                .map_err(|e| Error::io(&self.input, e))?;
            if n == 0 {
                self.done = true;
                if self.builder.is_empty() {
                    return Ok(None);
                }
                return self.finish_batch().map(Some);
            }
            self.line += 1;
            let line = self.line;
            let input = self.input.as_str();
            let Some(doc) = parse_line(&self.buffer, input, line)? else {
                continue;
            };
            self.bytes_in_batch += n;
            let at = || format!("{input}: line {line}");
            let builder = &mut self.builder;
            let filter = &self.options.filter;
            for_each_item(&doc, &at, &mut |item| {
                if filter.matches_json(item) {
                    builder.append(item).map_err(|p| Error::input(at(), p.0))?;
                }
                Ok(())
            })?;
        }
    }

    fn finish_batch(&mut self) -> Result<RecordBatch> {
        self.builder
            .finish()
            .map_err(|e| Error::arrow(format!("{}: building items batch", self.input), e))
    }
}

impl<R: Read + Seek> Iterator for NdjsonItems<R> {
    type Item = Result<RecordBatch>;

    fn next(&mut self) -> Option<Self::Item> {
        match self.next_batch() {
            Ok(Some(b)) => Some(Ok(b)),
            Ok(None) => None,
            Err(e) => {
                self.done = true;
                Some(Err(e))
            }
        }
    }
}

/// Parses one NDJSON line; `None` for a blank line.
fn parse_line(raw: &[u8], input: &str, line: usize) -> Result<Option<Value>> {
    let trimmed = raw.trim_ascii();
    if trimmed.is_empty() {
        return Ok(None);
    }
    serde_json::from_slice(trimmed)
        .map(Some)
        .map_err(|source| Error::Json {
            input: input.to_string(),
            line,
            source,
        })
}

/// Items from one STAC JSON document (an Item, ItemCollection or FeatureCollection).
pub struct JsonItems {
    items: Vec<Map<String, Value>>,
    schema: SchemaRef,
    shape: ItemsShape,
    builder: ItemsBatchBuilder,
    next: usize,
    batch_size: usize,
    input: String,
}

impl JsonItems {
    /// Parses the document and discovers the schema of the items that pass the filter.
    pub fn parse(bytes: &[u8], input: &str, options: &ReadOptions) -> Result<Self> {
        if bytes.trim_ascii().is_empty() {
            return Err(Error::input(
                input,
                "is empty; expected a STAC Item or ItemCollection JSON document",
            ));
        }
        let doc: Value = serde_json::from_slice(bytes).map_err(|source| Error::Json {
            input: input.to_string(),
            line: 0,
            source,
        })?;
        let mut items = Vec::new();
        let at = || input.to_string();
        for_each_item(&doc, &at, &mut |item| {
            if options.filter.matches_json(item) {
                items.push(item.clone());
            }
            Ok(())
        })?;
        drop(doc);
        let mut shape = ItemsShape::default();
        let mut scratch = Vec::new();
        for (index, item) in items.iter().enumerate() {
            observe_item(&mut shape, item, &mut scratch)
                .map_err(|p| Error::input(format!("{input}: feature {}", index + 1), p.0))?;
        }
        let schema = items_schema(&shape);
        Ok(Self {
            builder: ItemsBatchBuilder::new(schema.clone()),
            items,
            schema,
            shape,
            next: 0,
            batch_size: options.batch_size.max(1),
            input: input.to_string(),
        })
    }

    /// The schema every batch has.
    pub fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }

    /// What discovery found.
    pub fn shape(&self) -> &ItemsShape {
        &self.shape
    }
}

impl Iterator for JsonItems {
    type Item = Result<RecordBatch>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.next >= self.items.len() {
            return None;
        }
        let end = (self.next + self.batch_size).min(self.items.len());
        for index in self.next..end {
            if let Err(p) = self.builder.append(&self.items[index]) {
                self.next = self.items.len();
                return Some(Err(Error::input(
                    format!("{}: feature {}", self.input, index + 1),
                    p.0,
                )));
            }
            // Release each item once it is in the batch.
            self.items[index] = Map::new();
        }
        self.next = end;
        Some(
            self.builder
                .finish()
                .map_err(|e| Error::arrow(format!("{}: building items batch", self.input), e)),
        )
    }
}
