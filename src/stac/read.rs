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

use std::fs::File;
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom};
use std::os::unix::fs::FileExt;

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

/// Calls `f` with every item a parsed document holds (a Feature, a collection's features, or
/// the entries of a bare JSON array of Items, as many scripts and test suites write them).
fn for_each_item(
    doc: &Value,
    at: &dyn Fn() -> String,
    f: &mut dyn FnMut(&Map<String, Value>) -> Result<()>,
) -> Result<()> {
    if let Value::Array(entries) = doc {
        for (i, entry) in entries.iter().enumerate() {
            match entry {
                Value::Object(item)
                    if item.get("type").and_then(Value::as_str) == Some("Feature") =>
                {
                    f(item)?;
                }
                _ => {
                    return Err(Error::input(
                        at(),
                        format!(
                            "entry {} of the JSON array is not a STAC Item (an object with \"type\": \"Feature\")",
                            i + 1
                        ),
                    ))
                }
            }
        }
        return Ok(());
    }
    let Value::Object(obj) = doc else {
        return Err(Error::input(
            at(),
            "expected a STAC Item, an ItemCollection or a JSON array of Items, found a JSON value of another kind",
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
    buffer: Vec<u8>,
    line: usize,
    input: String,
    options: ReadOptions,
    shape: ItemsShape,
    schema: SchemaRef,
    builder: ItemsBatchBuilder,
    bytes_in_batch: usize,
    done: bool,
}

impl<R: Read + Seek> NdjsonItems<R> {
    /// Runs the first pass over `source` (discovering the schema) and rewinds it.
    pub fn scan(source: R, input: &str, options: ReadOptions) -> Result<Self> {
        let mut reader = BufReader::with_capacity(READ_BUFFER_BYTES, source);
        let (shape, _) = scan_lines(&mut reader, input, &options)?;
        Self::after_scan(reader, shape, input, options)
    }

    fn after_scan(
        mut reader: BufReader<R>,
        shape: ItemsShape,
        input: &str,
        options: ReadOptions,
    ) -> Result<Self> {
        reader
            .seek(SeekFrom::Start(0))
            .map_err(|e| Error::io(format!("{input}: rewinding for the second pass"), e))?;
        let schema = items_schema(&shape);
        Ok(Self {
            reader,
            buffer: Vec::new(),
            line: 0,
            input: input.to_string(),
            builder: ItemsBatchBuilder::new(schema.clone()),
            schema,
            shape,
            options,
            bytes_in_batch: 0,
            done: false,
        })
    }

    /// Starts the second pass over `source` (positioned at its start) with a shape that a
    /// first pass made elsewhere — e.g. while spooling search results — found for exactly the
    /// items `options.filter` keeps.
    pub fn from_shape(source: R, input: &str, options: ReadOptions, shape: ItemsShape) -> Self {
        let schema = items_schema(&shape);
        Self {
            reader: BufReader::with_capacity(READ_BUFFER_BYTES, source),
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
            let Some((line, n, doc)) = self.next_document()? else {
                self.done = true;
                if self.builder.is_empty() {
                    return Ok(None);
                }
                return self.finish_batch().map(Some);
            };
            self.bytes_in_batch += n;
            let input = self.input.as_str();
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

    /// The next non-blank line of the second pass: its number, size in bytes and document.
    fn next_document(&mut self) -> Result<Option<(usize, usize, Value)>> {
        loop {
            self.buffer.clear();
            let n = self
                .reader
                .read_until(b'\n', &mut self.buffer)
                .map_err(|e| Error::io(&self.input, e))?;
            if n == 0 {
                return Ok(None);
            }
            self.line += 1;
            if let Some(doc) = parse_line(&self.buffer, &self.input, self.line)? {
                return Ok(Some((self.line, n, doc)));
            }
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
        // After an error the stream is fused: the next call ends it.
        let next = self.next_batch().transpose();
        self.done |= matches!(next, Some(Err(_)));
        next
    }
}

impl NdjsonItems<File> {
    /// Like [`NdjsonItems::scan`], but large files are scanned by several threads at once
    /// (each over its own byte range, split at line starts); their shapes merge in file order,
    /// so the schema is the same as a sequential scan's.
    pub fn scan_file(file: File, input: &str, options: ReadOptions) -> Result<Self> {
        let len = file.metadata().map_err(|e| Error::io(input, e))?.len();
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        if threads < 2 || len < PARALLEL_SCAN_MIN_BYTES {
            return Self::scan(file, input, options);
        }
        match scan_parallel(&file, len, input, &options, threads)? {
            Some(shape) => {
                let reader = BufReader::with_capacity(READ_BUFFER_BYTES, file);
                Self::after_scan(reader, shape, input, options)
            }
            // A chunk failed: rescan sequentially so the error names the right line.
            None => Self::scan(file, input, options),
        }
    }
}

/// Read buffer of each pass.
const READ_BUFFER_BYTES: usize = 256 * 1024;
/// Files smaller than this are scanned on one thread (thread start-up would not pay off).
const PARALLEL_SCAN_MIN_BYTES: u64 = 8 * 1024 * 1024;

/// The first-pass loop over lines: the union shape and the number of physical lines.
fn scan_lines<B: BufRead>(
    reader: &mut B,
    input: &str,
    options: &ReadOptions,
) -> Result<(ItemsShape, usize)> {
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
            return Ok((shape, line));
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
}

/// Scans byte ranges of `file` on `threads` threads. `None` when any range failed (the caller
/// rescans sequentially for an exact error location).
fn scan_parallel(
    file: &File,
    len: u64,
    input: &str,
    options: &ReadOptions,
    threads: usize,
) -> Result<Option<ItemsShape>> {
    let mut starts = vec![0u64];
    for i in 1..threads as u64 {
        let start = next_line_start(file, len * i / threads as u64, len)
            .map_err(|e| Error::io(input, e))?;
        if start > *starts.last().unwrap_or(&0) && start < len {
            starts.push(start);
        }
    }
    starts.push(len);
    let results: Vec<Result<(ItemsShape, usize)>> = std::thread::scope(|scope| {
        let handles: Vec<_> = starts
            .windows(2)
            .map(|range| {
                let (start, end) = (range[0], range[1]);
                scope.spawn(move || {
                    let mut reader = BufReader::with_capacity(
                        READ_BUFFER_BYTES,
                        RangeReader {
                            file,
                            pos: start,
                            end,
                        },
                    );
                    scan_lines(&mut reader, input, options)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(Error::input(input, "scanner thread panicked")))
            })
            .collect()
    });
    let mut merged = ItemsShape::default();
    for result in results {
        match result {
            Ok((shape, _)) => merged.merge(shape),
            Err(_) => return Ok(None),
        }
    }
    Ok(Some(merged))
}

/// The offset of the first line starting at or after `pos`.
fn next_line_start(file: &File, pos: u64, len: u64) -> std::io::Result<u64> {
    let mut at = pos.saturating_sub(1);
    let mut window = vec![0u8; 64 * 1024];
    while at < len {
        let n = file.read_at(&mut window, at)?;
        if n == 0 {
            break;
        }
        if let Some(i) = window[..n].iter().position(|&b| b == b'\n') {
            return Ok(at + i as u64 + 1);
        }
        at += n as u64;
    }
    Ok(len)
}

/// Reads the byte range `pos..end` of a file with positioned reads (no shared cursor).
struct RangeReader<'a> {
    file: &'a File,
    pos: u64,
    end: u64,
}

impl Read for RangeReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let left = self.end.saturating_sub(self.pos);
        if left == 0 {
            return Ok(0);
        }
        let want = buf.len().min(usize::try_from(left).unwrap_or(usize::MAX));
        let n = self.file.read_at(&mut buf[..want], self.pos)?;
        self.pos += n as u64;
        Ok(n)
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    /// An NDJSON file larger than the parallel-scan threshold, with a property and an asset
    /// key that first appear near the end.
    fn big_file(bad_line: Option<usize>) -> (tempfile::NamedTempFile, usize) {
        let mut file = tempfile::NamedTempFile::new().unwrap();
        let filler = "x".repeat(900);
        let count = (PARALLEL_SCAN_MIN_BYTES as usize / 1000) + 500;
        for i in 0..count {
            let extra = if i == count - 3 {
                r#","late":true"#
            } else {
                ""
            };
            let asset = if i == count - 2 {
                r#","late_asset":{"href":"b"}"#
            } else {
                ""
            };
            if Some(i + 1) == bad_line {
                writeln!(file, "{{not json").unwrap();
                continue;
            }
            writeln!(
                file,
                r#"{{"type":"Feature","id":"i{i}","properties":{{"f":"{filler}"{extra}}},"assets":{{"a":{{"href":"a"}}{asset}}}}}"#
            )
            .unwrap();
        }
        (file, count)
    }

    #[test]
    fn a_bare_json_array_of_items_is_read_and_a_stray_entry_named() {
        let item = |id: &str| {
            format!(
                r#"{{"type":"Feature","stac_version":"1.0.0","id":"{id}","geometry":null,"properties":{{"datetime":"2024-01-01T00:00:00Z"}},"links":[],"assets":{{}}}}"#
            )
        };
        let doc = format!("[{}, {}]", item("a"), item("b"));
        let items = JsonItems::parse(doc.as_bytes(), "arr.json", &ReadOptions::default()).unwrap();
        let rows: usize = items.map(|b| b.unwrap().num_rows()).sum();
        assert_eq!(rows, 2);
        let doc = format!("[{}, 3]", item("a"));
        let err = JsonItems::parse(doc.as_bytes(), "arr.json", &ReadOptions::default())
            .err()
            .unwrap()
            .to_string();
        assert!(
            err.contains("arr.json") && err.contains("entry 2 of the JSON array"),
            "{err}"
        );
        let empty = JsonItems::parse(b"[]", "e.json", &ReadOptions::default()).unwrap();
        assert_eq!(empty.count(), 0);
    }

    #[test]
    fn parallel_scan_finds_the_same_schema() {
        let (file, count) = big_file(None);
        let parallel =
            NdjsonItems::scan_file(file.reopen().unwrap(), "big", ReadOptions::default()).unwrap();
        let sequential =
            NdjsonItems::scan(file.reopen().unwrap(), "big", ReadOptions::default()).unwrap();
        assert_eq!(parallel.schema(), sequential.schema());
        assert_eq!(parallel.shape().count, count);
        assert!(parallel.schema().field_with_name("late").is_ok());
        let rows: usize = parallel.map(|b| b.unwrap().num_rows()).sum();
        assert_eq!(rows, count);
    }

    #[test]
    fn parallel_scan_errors_name_the_right_line() {
        let (file, count) = big_file(Some(8000));
        assert!(count > 8000);
        let err = NdjsonItems::scan_file(file.reopen().unwrap(), "big", ReadOptions::default())
            .err()
            .unwrap();
        assert!(err.to_string().starts_with("big: line 8000:"), "{err}");
    }
}
