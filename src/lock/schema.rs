//! The asset-lock schema (docs/COMPATIBILITY.md, "Asset lock columns"), its rows, and the
//! normalisation every produced lock gets.
//!
//! Column names, order, types and nullability are the Python stacpkg 0.1.4's exactly, with the
//! schema metadata `stacpkg:schema-kind = asset-lock`, `stacpkg:schema-version = v1`, so either
//! tool reads the other's files and streams. Rows are plain structs ([`LockRow`]) because every
//! lock operation is per row (probe, validate, copy) and a lock row is ~200 bytes: a million-row
//! lock is ~200 MB in memory, which the commands that need the whole lock (derive, validate,
//! relocate order their output by input) accept; `from-parquet` / `to-parquet` stream batches.

use std::collections::HashMap;
use std::fs::File;
use std::path::Path;
use std::sync::{Arc, OnceLock};

use arrow_array::cast::AsArray;
use arrow_array::types::Int64Type;
use arrow_array::{Array, ArrayRef, Int64Array, RecordBatch, StringArray};
use arrow_schema::{DataType, Field, Schema, SchemaRef};
use parquet::arrow::ArrowWriter;

use crate::atomic::AtomicFile;
use crate::schema::{SchemaKind, KIND_KEY, SCHEMA_VERSION, VERSION_KEY};
use crate::store::location::{normalise_endpoint, parse_href_lenient, HrefOptions, StoreType};
use crate::{Error, Result};

/// The lock columns, in order.
pub const LOCK_COLUMNS: [&str; 9] = [
    "item_id",
    "asset_key",
    "store_type",
    "store_container",
    "store_endpoint_url",
    "key",
    "size_bytes",
    "etag",
    "last_modified",
];

/// The asset-lock Arrow schema, with its kind metadata.
pub fn lock_schema() -> SchemaRef {
    static SCHEMA: OnceLock<SchemaRef> = OnceLock::new();
    SCHEMA
        .get_or_init(|| {
            let fields: Vec<Field> = LOCK_COLUMNS
                .iter()
                .map(|&name| match name {
                    "item_id" | "asset_key" => Field::new(name, DataType::Utf8, false),
                    "size_bytes" => Field::new(name, DataType::Int64, true),
                    _ => Field::new(name, DataType::Utf8, true),
                })
                .collect();
            let metadata = HashMap::from([
                (
                    KIND_KEY.to_string(),
                    SchemaKind::AssetLock.as_str().to_string(),
                ),
                (VERSION_KEY.to_string(), SCHEMA_VERSION.to_string()),
            ]);
            Arc::new(Schema::new_with_metadata(fields, metadata))
        })
        .clone()
}

/// One asset of one item: where its bytes live and what they looked like.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LockRow {
    /// STAC Item id (empty when the input had none).
    pub item_id: String,
    /// Asset key within the item (empty when the input had none).
    pub asset_key: String,
    /// `file`, `s3`, `gs`, `az`, `http`, `https` (normalised), or null.
    pub store_type: Option<String>,
    /// Bucket/container, http origin, or null (file).
    pub store_container: Option<String>,
    /// Normalised S3-compatible endpoint.
    pub store_endpoint_url: Option<String>,
    /// Object key or file path.
    pub key: Option<String>,
    /// Size in bytes.
    pub size_bytes: Option<i64>,
    /// The backend's validator, verbatim (quotes kept).
    pub etag: Option<String>,
    /// ISO-8601 instant from the backend.
    pub last_modified: Option<String>,
}

impl LockRow {
    /// The normalised store type.
    pub fn store_type(&self) -> Option<StoreType> {
        self.store_type.as_deref().and_then(StoreType::normalise)
    }

    /// The href this row's location rebuilds to (docs/COMPATIBILITY.md, "Href and location
    /// mapping").
    pub fn href(&self) -> Option<String> {
        crate::store::location::href_from_parts(
            self.store_type(),
            self.store_container.as_deref(),
            self.key.as_deref(),
        )
    }

    /// Applies the lock normalisation (docs/COMPATIBILITY.md, "Lock normalisation"): store-type
    /// aliases (unknown → null) and the endpoint rule.
    pub fn normalise(&mut self) {
        self.store_type = self.store_type().map(|t| t.as_str().to_string());
        self.store_endpoint_url = self
            .store_endpoint_url
            .as_deref()
            .and_then(normalise_endpoint);
    }

    /// A short name for messages: `item/asset`.
    pub fn label(&self) -> String {
        format!("{}/{}", self.item_id, self.asset_key)
    }
}

/// A column of `batch` as strings (cast when needed), or `None` when absent.
fn string_column(batch: &RecordBatch, name: &str) -> Result<Option<StringArray>> {
    match batch.column_by_name(name) {
        Some(column) => as_utf8(column, name).map(Some),
        None => Ok(None),
    }
}

/// A column as int64: numbers cast, numeric strings parsed, anything else null.
fn int_column(batch: &RecordBatch, name: &str) -> Result<Option<Int64Array>> {
    match batch.column_by_name(name) {
        Some(column) => as_int64(column, name).map(Some),
        None => Ok(None),
    }
}

/// An array as strings (cast when needed).
pub(crate) fn as_utf8(column: &ArrayRef, name: &str) -> Result<StringArray> {
    let cast = arrow_cast::cast(column, &DataType::Utf8)
        .map_err(|e| Error::arrow(format!("reading column `{name}` as text"), e))?;
    Ok(cast.as_string::<i32>().clone())
}

/// An array as int64: numbers cast (floats truncated), numeric strings parsed, the rest null.
pub(crate) fn as_int64(column: &ArrayRef, name: &str) -> Result<Int64Array> {
    let options = arrow_cast::CastOptions {
        safe: true,
        ..Default::default()
    };
    let source = match column.data_type() {
        DataType::Float16 | DataType::Float32 | DataType::Float64 => column.clone(),
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => {
            // "12.0" is a size too (Python int(float-ish) would refuse it, but it is harmless).
            arrow_cast::cast_with_options(column, &DataType::Float64, &options)
                .map_err(|e| Error::arrow(format!("reading lock column `{name}`"), e))?
        }
        _ => column.clone(),
    };
    let cast = arrow_cast::cast_with_options(&source, &DataType::Int64, &options)
        .map_err(|e| Error::arrow(format!("reading lock column `{name}`"), e))?;
    Ok(cast.as_primitive::<Int64Type>().clone())
}

fn get(column: &Option<StringArray>, row: usize) -> Option<String> {
    column
        .as_ref()
        .filter(|c| c.is_valid(row))
        .map(|c| c.value(row).to_string())
}

/// Reads the rows of a lock batch as they are (no normalisation). Missing columns read as null;
/// a null `item_id`/`asset_key` reads as `""`.
pub fn rows_from_batch(batch: &RecordBatch) -> Result<Vec<LockRow>> {
    let item_id = string_column(batch, "item_id")?;
    let asset_key = string_column(batch, "asset_key")?;
    let store_type = string_column(batch, "store_type")?;
    let container = string_column(batch, "store_container")?;
    let endpoint = string_column(batch, "store_endpoint_url")?;
    let key = string_column(batch, "key")?;
    let etag = string_column(batch, "etag")?;
    let last_modified = string_column(batch, "last_modified")?;
    let size = int_column(batch, "size_bytes")?;
    let legacy_size = int_column(batch, "size")?;
    let href = string_column(batch, "href")?;
    let int_at =
        |c: &Option<Int64Array>, i: usize| c.as_ref().filter(|c| c.is_valid(i)).map(|c| c.value(i));
    Ok((0..batch.num_rows())
        .map(|i| {
            let mut row = LockRow {
                item_id: get(&item_id, i).unwrap_or_default(),
                asset_key: get(&asset_key, i).unwrap_or_default(),
                store_type: get(&store_type, i),
                store_container: get(&container, i),
                store_endpoint_url: get(&endpoint, i),
                key: get(&key, i),
                size_bytes: int_at(&size, i).or_else(|| int_at(&legacy_size, i)),
                etag: get(&etag, i),
                last_modified: get(&last_modified, i),
            };
            // A legacy `href` column stands in when the row has no location
            // (docs/COMPATIBILITY.md, "Lock normalisation"); an
            // unknown scheme gets the one answer of `parse_href_lenient`.
            let empty = |v: &Option<String>| v.as_deref().is_none_or(str::is_empty);
            if empty(&row.store_type) && empty(&row.key) {
                if let Some(href) = get(&href, i) {
                    let opts = HrefOptions {
                        allow_signed_urls: true,
                    };
                    if let Ok(parts) = parse_href_lenient(&href, opts) {
                        row.store_type = parts.store_type.map(|t| t.as_str().to_string());
                        row.store_container = parts.store_container;
                        row.key = parts.key;
                    }
                }
            }
            row
        })
        .collect())
}

/// Builds a lock batch (with the lock schema) from rows.
pub fn rows_to_batch(rows: &[LockRow]) -> Result<RecordBatch> {
    let strings = |f: &dyn Fn(&LockRow) -> Option<&str>| -> ArrayRef {
        Arc::new(rows.iter().map(f).collect::<StringArray>())
    };
    let columns: Vec<ArrayRef> = vec![
        strings(&|r| Some(r.item_id.as_str())),
        strings(&|r| Some(r.asset_key.as_str())),
        strings(&|r| r.store_type.as_deref()),
        strings(&|r| r.store_container.as_deref()),
        strings(&|r| r.store_endpoint_url.as_deref()),
        strings(&|r| r.key.as_deref()),
        Arc::new(rows.iter().map(|r| r.size_bytes).collect::<Int64Array>()),
        strings(&|r| r.etag.as_deref()),
        strings(&|r| r.last_modified.as_deref()),
    ];
    RecordBatch::try_new(lock_schema(), columns)
        .map_err(|e| Error::arrow("building an asset-lock batch", e))
}

/// Aligns a batch from any asset-lock-shaped stream to the lock schema (`to-parquet`): columns
/// cast to their lock types, missing ones null, extra ones dropped; a null `item_id` or
/// `asset_key` is an error naming `input`.
pub fn align_batch(batch: &RecordBatch, input: &str) -> Result<RecordBatch> {
    let schema = lock_schema();
    let mut columns = Vec::with_capacity(LOCK_COLUMNS.len());
    for field in schema.fields() {
        let column = match batch.column_by_name(field.name()) {
            Some(c) if c.data_type() == field.data_type() => c.clone(),
            Some(c) => arrow_cast::cast(c, field.data_type()).map_err(|e| {
                Error::arrow(
                    format!(
                        "{input}: column `{}` cannot be read as {}",
                        field.name(),
                        field.data_type()
                    ),
                    e,
                )
            })?,
            None => arrow_array::new_null_array(field.data_type(), batch.num_rows()),
        };
        if !field.is_nullable() && column.null_count() > 0 {
            return Err(Error::input(
                input,
                format!(
                    "column `{}` is empty on {} row(s); every asset-lock row needs an item id and an asset key",
                    field.name(),
                    column.null_count()
                ),
            ));
        }
        columns.push(column);
    }
    RecordBatch::try_new(schema, columns).map_err(|e| Error::arrow(input.to_string(), e))
}

/// Writes an asset-lock Parquet file atomically, one row group per batch.
pub struct LockParquetWriter {
    writer: ArrowWriter<File>,
    file: AtomicFile,
    rows: usize,
}

impl LockParquetWriter {
    /// Starts writing beside `path` (parent directories created; an existing file replaced on
    /// finish).
    pub fn create(path: &Path) -> Result<Self> {
        let file = AtomicFile::create(path)?;
        let writer = ArrowWriter::try_new(
            file.handle()?,
            lock_schema(),
            Some(crate::parquet_io::writer_properties()),
        )
        .map_err(|e| Error::parquet(path.display().to_string(), e))?;
        Ok(Self {
            writer,
            file,
            rows: 0,
        })
    }

    /// Writes one batch already aligned to the lock schema.
    pub fn write(&mut self, batch: &RecordBatch) -> Result<()> {
        self.rows += batch.num_rows();
        self.writer
            .write(batch)
            .map_err(|e| Error::parquet(self.file.target().display().to_string(), e))
    }

    /// Finishes the file and moves it into place; returns the rows written.
    pub fn finish(self) -> Result<usize> {
        let context = self.file.target().display().to_string();
        self.writer
            .close()
            .map_err(|e| Error::parquet(&context, e))?;
        self.file.commit()?;
        Ok(self.rows)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(store_type: &str, endpoint: Option<&str>) -> LockRow {
        LockRow {
            item_id: "i".into(),
            asset_key: "a".into(),
            store_type: Some(store_type.into()),
            store_container: Some("b".into()),
            store_endpoint_url: endpoint.map(str::to_string),
            key: Some("k".into()),
            size_bytes: Some(3),
            ..Default::default()
        }
    }

    #[test]
    fn schema_is_exact() {
        let schema = lock_schema();
        let names: Vec<_> = schema.fields().iter().map(|f| f.name().as_str()).collect();
        assert_eq!(names, LOCK_COLUMNS);
        assert!(!schema.field(0).is_nullable() && !schema.field(1).is_nullable());
        assert!(schema.fields().iter().skip(2).all(|f| f.is_nullable()));
        assert_eq!(schema.field(6).data_type(), &DataType::Int64);
        assert_eq!(schema.metadata()[KIND_KEY], "asset-lock");
        assert_eq!(schema.metadata()[VERSION_KEY], "v1");
    }

    #[test]
    fn normalisation_applies_aliases_and_endpoints() {
        let mut r = row(" S3A ", Some("minio:9000/"));
        r.normalise();
        assert_eq!(r.store_type.as_deref(), Some("s3"));
        assert_eq!(r.store_endpoint_url.as_deref(), Some("https://minio:9000"));
        let mut r = row("ftp", Some("  "));
        r.normalise();
        assert_eq!(r.store_type, None);
        assert_eq!(r.store_endpoint_url, None);
    }

    #[test]
    fn rows_round_trip_through_batches() {
        let rows = vec![row("s3", None), LockRow::default()];
        let batch = rows_to_batch(&rows).unwrap();
        assert_eq!(rows_from_batch(&batch).unwrap(), rows);
    }

    #[test]
    fn sizes_are_coerced_and_legacy_hrefs_parsed() {
        let schema = Arc::new(Schema::new(vec![
            Field::new("item_id", DataType::Utf8, false),
            Field::new("asset_key", DataType::Utf8, false),
            Field::new("size", DataType::Utf8, true),
            Field::new("href", DataType::Utf8, true),
        ]));
        let batch = RecordBatch::try_new(
            schema,
            vec![
                Arc::new(StringArray::from(vec!["i", "j", "k"])),
                Arc::new(StringArray::from(vec!["a", "a", "a"])),
                Arc::new(StringArray::from(vec![Some("12"), Some("x"), None])),
                Arc::new(StringArray::from(vec![
                    Some("s3://b/k"),
                    Some("ftp://h/p"),
                    None,
                ])),
            ],
        )
        .unwrap();
        let rows = rows_from_batch(&batch).unwrap();
        assert_eq!(rows[0].size_bytes, Some(12));
        assert_eq!(rows[0].store_type.as_deref(), Some("s3"));
        assert_eq!(rows[0].key.as_deref(), Some("k"));
        assert_eq!(rows[1].size_bytes, None);
        assert_eq!(rows[1].store_type, None);
        assert_eq!(rows[1].key.as_deref(), Some("ftp://h/p"));
        assert_eq!(
            rows[2],
            LockRow {
                item_id: "k".into(),
                asset_key: "a".into(),
                ..Default::default()
            }
        );
    }

    #[test]
    fn align_refuses_null_ids_and_fills_missing_columns() {
        let schema = Arc::new(Schema::new(vec![
            Field::new("item_id", DataType::Utf8, true),
            Field::new("asset_key", DataType::Utf8, true),
            Field::new("extra", DataType::Utf8, true),
        ]));
        let ok = RecordBatch::try_new(
            schema.clone(),
            vec![
                Arc::new(StringArray::from(vec!["i"])),
                Arc::new(StringArray::from(vec!["a"])),
                Arc::new(StringArray::from(vec!["x"])),
            ],
        )
        .unwrap();
        let aligned = align_batch(&ok, "stdin").unwrap();
        assert_eq!(aligned.schema(), lock_schema());
        let bad = RecordBatch::try_new(
            schema,
            vec![
                Arc::new(StringArray::from(vec![None::<&str>])),
                Arc::new(StringArray::from(vec!["a"])),
                Arc::new(StringArray::from(vec!["x"])),
            ],
        )
        .unwrap();
        let err = align_batch(&bad, "stdin").unwrap_err().to_string();
        assert!(err.starts_with("stdin: column `item_id`"), "{err}");
    }
}
