//! STAC GeoParquet: schema metadata, normalisation and the Parquet writer.
//!
//! Files must satisfy three readers at once: the Python stacpkg (its five metadata keys and
//! `ARROW:schema`), GeoParquet 1.0 readers (`geo` with the observed `geometry_types` and no
//! `crs: null`, which would declare the CRS *undefined* — omitting it means OGC:CRS84 as STAC
//! requires), and stac-geoparquet readers such as rustac. The `geo` key of a written file is
//! computed from the geometries actually written, so a stream from another tool that declared
//! `geometry_types: []` still yields accurate metadata.

use std::collections::{BTreeSet, HashMap};
use std::fs::File;
use std::path::Path;
use std::sync::Arc;

use arrow_array::{Array, ArrayRef, BinaryArray, RecordBatch};
use arrow_schema::{DataType, Field, Schema, SchemaRef};
use parquet::arrow::arrow_writer::ArrowWriterOptions;
use parquet::arrow::ArrowWriter;
use parquet::file::metadata::KeyValue;

use super::wkb;
use crate::atomic::AtomicFile;
use crate::parquet_io::writer_properties;
use crate::schema::{KIND_KEY, SCHEMA_VERSION, VERSION_KEY};
use crate::{Error, Result};

/// Field-metadata key of an Arrow extension type name.
pub const EXTENSION_NAME_KEY: &str = "ARROW:extension:name";
/// The extension name tagging WKB geometry.
pub const GEOARROW_WKB: &str = "geoarrow.wkb";
/// GeoParquet metadata key.
pub const GEO_KEY: &str = "geo";

/// The `geometry` field: WKB bytes tagged `geoarrow.wkb`.
pub fn geometry_field() -> Field {
    Field::new("geometry", DataType::Binary, true).with_metadata(HashMap::from([(
        EXTENSION_NAME_KEY.to_string(),
        GEOARROW_WKB.to_string(),
    )]))
}

/// The `geo` metadata JSON (compact, sorted keys) for the observed geometry types.
pub fn geo_metadata(geometry_types: &[String]) -> String {
    let value = serde_json::json!({
        "columns": {"geometry": {"encoding": "WKB", "geometry_types": geometry_types}},
        "primary_column": "geometry",
        "version": "1.0.0",
    });
    value.to_string()
}

/// The schema metadata of an items table.
pub fn items_metadata(geometry_types: &[String]) -> HashMap<String, String> {
    HashMap::from([
        (KIND_KEY.to_string(), "items".to_string()),
        (VERSION_KEY.to_string(), SCHEMA_VERSION.to_string()),
        ("stac_geoparquet:version".to_string(), "1.0.0".to_string()),
        (
            "stac-geoparquet".to_string(),
            r#"{"version":"1.0.0"}"#.to_string(),
        ),
        (GEO_KEY.to_string(), geo_metadata(geometry_types)),
    ])
}

/// Columns with a fixed type in every items table, cast when a stream holds a variant
/// (large strings, string views, dictionaries) of it.
const STRING_COLUMNS: [&str; 4] = ["type", "stac_version", "id", "collection"];

/// The normalised items schema for an incoming stream schema, and whether batches need casting.
pub fn normalised_schema(input: &Schema) -> Result<(SchemaRef, bool)> {
    let mut needs_cast = false;
    let mut fields = Vec::with_capacity(input.fields().len());
    for field in input.fields() {
        let name = field.name().as_str();
        let mut f = field.as_ref().clone();
        if STRING_COLUMNS.contains(&name) && f.data_type() != &DataType::Utf8 {
            f = f.with_data_type(DataType::Utf8);
        }
        if name == "geometry" {
            if !matches!(f.data_type(), DataType::Binary) {
                f = f.with_data_type(DataType::Binary);
            }
            let mut md = f.metadata().clone();
            md.insert(EXTENSION_NAME_KEY.to_string(), GEOARROW_WKB.to_string());
            f = f.with_metadata(md);
        }
        if let DataType::Struct(children) = f.data_type() {
            if children.is_empty() {
                // Parquet cannot store a struct without children (Python tool: assets: struct<>).
                needs_cast = true;
                continue;
            }
        }
        if f.data_type() != field.data_type() {
            needs_cast = true;
        }
        fields.push(f);
    }
    let mut metadata = input.metadata().clone();
    let types: Vec<String> = Vec::new();
    for (k, v) in items_metadata(&types) {
        metadata.insert(k, v);
    }
    Ok((
        Arc::new(Schema::new_with_metadata(fields, metadata)),
        needs_cast,
    ))
}

/// Aligns a batch to `schema`: same-named columns, cast where types differ.
pub fn align_batch(batch: &RecordBatch, schema: &SchemaRef) -> Result<RecordBatch> {
    let columns = schema
        .fields()
        .iter()
        .map(|field| {
            let column = batch.column_by_name(field.name()).ok_or_else(|| {
                Error::input("stream", format!("batch lacks column `{}`", field.name()))
            })?;
            if column.data_type() == field.data_type() {
                Ok(column.clone())
            } else {
                arrow_cast::cast(column, field.data_type())
                    .map_err(|e| Error::arrow(format!("casting column `{}`", field.name()), e))
            }
        })
        .collect::<Result<Vec<ArrayRef>>>()?;
    RecordBatch::try_new(schema.clone(), columns)
        .map_err(|e| Error::arrow("aligning batch to the items schema", e))
}

/// Collects the geometry types present in a WKB column.
pub fn observe_geometry_types(
    column: &dyn Array,
    into: &mut BTreeSet<wkb::GeometryKind>,
) -> Result<()> {
    let Some(wkbs) = column.as_any().downcast_ref::<BinaryArray>() else {
        return Ok(());
    };
    for blob in wkbs.iter().flatten() {
        let kind = wkb::wkb_kind(blob)
            .map_err(|e| Error::input("geometry column", format!("invalid WKB: {e}")))?;
        into.insert(kind);
    }
    Ok(())
}

/// Writes an items GeoParquet file atomically, one row group per appended batch.
pub struct ItemsParquetWriter {
    writer: ArrowWriter<File>,
    file: AtomicFile,
    schema: SchemaRef,
    write_schema: SchemaRef,
    needs_cast: bool,
    geometry_types: BTreeSet<wkb::GeometryKind>,
    rows: usize,
}

impl ItemsParquetWriter {
    /// Starts writing to a temporary file beside `path`, for a stream with `input_schema`.
    pub fn create(path: &Path, input_schema: &Schema) -> Result<Self> {
        let (schema, needs_cast) = normalised_schema(input_schema)?;
        let file = AtomicFile::create(path)?;
        let handle = file.handle()?;
        // The file's key-value metadata — every schema key, `geo` recomputed from the geometries
        // actually written, and `ARROW:schema` carrying them too — is written at close.
        let mut write_schema = schema.as_ref().clone();
        write_schema.metadata.clear();
        let write_schema = Arc::new(write_schema);
        let options = ArrowWriterOptions::new()
            .with_properties(writer_properties())
            .with_skip_arrow_metadata(true);
        let writer = ArrowWriter::try_new_with_options(handle, write_schema.clone(), options)
            .map_err(|e| Error::parquet(path.display().to_string(), e))?;
        Ok(Self {
            writer,
            file,
            schema,
            write_schema,
            needs_cast,
            geometry_types: BTreeSet::new(),
            rows: 0,
        })
    }

    /// Writes one batch as its own row group.
    pub fn write(&mut self, batch: &RecordBatch) -> Result<()> {
        let batch = if self.needs_cast || batch.schema().fields() != self.schema.fields() {
            align_batch(batch, &self.schema)?
        } else {
            batch.clone()
        };
        if let Some(geometry) = batch.column_by_name("geometry") {
            observe_geometry_types(geometry.as_ref(), &mut self.geometry_types)?;
        }
        self.rows += batch.num_rows();
        let context = self.file.target().display().to_string();
        let batch = RecordBatch::try_new(self.write_schema.clone(), batch.columns().to_vec())
            .map_err(|e| Error::arrow(&context, e))?;
        self.writer
            .write(&batch)
            .map_err(|e| Error::parquet(&context, e))?;
        self.writer.flush().map_err(|e| Error::parquet(context, e))
    }

    /// Finishes the file and moves it into place; returns the rows written.
    pub fn finish(mut self) -> Result<usize> {
        let names: Vec<String> = self
            .geometry_types
            .iter()
            .map(|k| k.geoparquet_name())
            .collect();
        let mut schema = self.schema.as_ref().clone();
        schema
            .metadata
            .insert(GEO_KEY.to_string(), geo_metadata(&names));
        let mut keys: Vec<_> = schema.metadata.iter().collect();
        keys.sort();
        for (k, v) in keys {
            self.writer
                .append_key_value_metadata(KeyValue::new(k.clone(), v.clone()));
        }
        self.writer.append_key_value_metadata(KeyValue::new(
            "ARROW:schema".to_string(),
            parquet::arrow::encode_arrow_schema(&schema),
        ));
        let context = self.file.target().display().to_string();
        self.writer
            .close()
            .map_err(|e| Error::parquet(&context, e))?;
        self.file.commit()?;
        Ok(self.rows)
    }
}
