//! STAC GeoParquet: schema metadata, normalisation and the Parquet writer.
//!
//! Files must satisfy three readers at once: the Python stacpkg (its five metadata keys and
//! `ARROW:schema`), GeoParquet 1.1 readers (`geo` with a `bbox` covering, the file's extent and
//! the observed `geometry_types`; see `geo_meta`), and stac-geoparquet readers such as rustac.
//! The `geo` key of a written file is computed from the geometries actually written, so a
//! stream from another tool that declared `geometry_types: []` still yields accurate metadata,
//! while the members we do not compute (a PROJJSON `crs`, stac-geoparquet's `collections`)
//! are kept.
//!
//! Row groups have a fixed size whatever the batches written (see [`ROW_GROUP_ROWS`]), and the
//! footer's float column orders are rewritten so that pyarrow and DuckDB use the statistics
//! (`crate::parquet_footer`).

use std::collections::HashMap;
use std::fs::File;
use std::path::Path;
use std::sync::Arc;

use arrow_array::{Array, ArrayRef, RecordBatch, StructArray};
use arrow_schema::{DataType, Field, Schema, SchemaRef};
use parquet::arrow::arrow_writer::ArrowWriterOptions;
use parquet::arrow::ArrowWriter;
use parquet::file::metadata::KeyValue;
use serde_json::{Map, Value};

use super::geo_meta::{
    self, GeometryStats, CRS84_EXTENSION_METADATA, EXTENSION_METADATA_KEY, STAC_GEOPARQUET_KEY,
};
use super::item::BBOX_3D_FIELDS;
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
/// Rows per row group of an items file (the last one holds the rest). Readers skip whole row
/// groups by their `bbox.*` statistics, so a group should be small enough that a bbox query
/// over a large file skips most of them, and large enough that each column chunk is a
/// sizeable read and the footer stays small: 16,384 STAC items are ~10–100 MiB (a few KiB
/// each, mostly assets and links), 61 row groups per million items. docs/ARCHITECTURE.md,
/// "Decisions", says more.
pub const ROW_GROUP_ROWS: usize = 16_384;
/// Upper bound of a row group's encoded size, for tables of unusually wide items: the writer
/// holds one row group in memory before writing it out.
pub const ROW_GROUP_BYTES: usize = 128 * 1024 * 1024;

/// The `geometry` field: WKB bytes tagged `geoarrow.wkb`, in OGC:CRS84.
pub fn geometry_field() -> Field {
    Field::new("geometry", DataType::Binary, true).with_metadata(HashMap::from([
        (EXTENSION_NAME_KEY.to_string(), GEOARROW_WKB.to_string()),
        (
            EXTENSION_METADATA_KEY.to_string(),
            CRS84_EXTENSION_METADATA.to_string(),
        ),
    ]))
}

/// The schema metadata of an items table with `fields` (their metadata is ignored), built on
/// the metadata it came with (`input`: another tool's `geo` and `stac-geoparquet` members are
/// kept) for the geometries in `stats`.
pub fn items_metadata(
    fields: &Schema,
    input: &HashMap<String, String>,
    stats: &GeometryStats,
    collections: &Map<String, Value>,
) -> HashMap<String, String> {
    let mut metadata = input.clone();
    metadata.insert(KIND_KEY.to_string(), "items".to_string());
    metadata.insert(VERSION_KEY.to_string(), SCHEMA_VERSION.to_string());
    metadata.insert(
        "stac_geoparquet:version".to_string(),
        geo_meta::STAC_GEOPARQUET_VERSION.to_string(),
    );
    metadata.insert(
        STAC_GEOPARQUET_KEY.to_string(),
        geo_meta::stac_geoparquet_json(
            input.get(STAC_GEOPARQUET_KEY).map(String::as_str),
            collections,
        ),
    );
    metadata.insert(
        GEO_KEY.to_string(),
        geo_meta::geo_json(input.get(GEO_KEY).map(String::as_str), fields, stats),
    );
    metadata
}

/// The `collections` member of a schema's stac-geoparquet metadata (id → Collection JSON).
pub fn schema_collections(schema: &Schema) -> Map<String, Value> {
    schema
        .metadata()
        .get(STAC_GEOPARQUET_KEY)
        .and_then(|text| serde_json::from_str::<Value>(text).ok())
        .and_then(|meta| match meta.get("collections") {
            Some(Value::Object(c)) => Some(c.clone()),
            _ => None,
        })
        .unwrap_or_default()
}

/// The geometry field of `field` with the extension name and, unless it has one, the CRS the
/// table's `geo` metadata gives it (OGC:CRS84 by default).
pub fn tag_geometry_field(field: Field, geo: Option<&str>) -> Field {
    let mut md = field.metadata().clone();
    md.insert(EXTENSION_NAME_KEY.to_string(), GEOARROW_WKB.to_string());
    if !md.contains_key(EXTENSION_METADATA_KEY) {
        md.insert(
            EXTENSION_METADATA_KEY.to_string(),
            geo_meta::geometry_extension_metadata(geo),
        );
    }
    field.with_metadata(md)
}

/// A schema read from a file or stream with its geometry field tagged (see
/// [`tag_geometry_field`]); everything else unchanged.
pub fn with_tagged_geometry(schema: &SchemaRef) -> SchemaRef {
    let Ok(geometry) = schema.field_with_name("geometry") else {
        return schema.clone();
    };
    let geo = schema.metadata().get(GEO_KEY).map(String::as_str);
    let tagged = tag_geometry_field(geometry.clone(), geo);
    if tagged.metadata() == geometry.metadata() {
        return schema.clone();
    }
    let fields: Vec<Field> = schema
        .fields()
        .iter()
        .map(|f| {
            if f.name() == "geometry" {
                tagged.clone()
            } else {
                f.as_ref().clone()
            }
        })
        .collect();
    Arc::new(Schema::new_with_metadata(fields, schema.metadata().clone()))
}

/// Columns with a fixed type in every items table, cast when a stream holds a variant
/// (large strings, string views, dictionaries) of it.
const STRING_COLUMNS: [&str; 4] = ["type", "stac_version", "id", "collection"];

/// The bbox struct type with a 3-D box in GeoParquet 1.1's order, when `ty` is the same
/// fields in another order (an older stacpkg's `xmin, ymin, xmax, ymax, zmin, zmax`).
fn bbox_in_covering_order(ty: &DataType) -> Option<DataType> {
    let DataType::Struct(fields) = ty else {
        return None;
    };
    let names: Vec<&str> = fields.iter().map(|f| f.name().as_str()).collect();
    if names == BBOX_3D_FIELDS || names.len() != 6 {
        return None;
    }
    let reordered: Option<Vec<Arc<Field>>> = BBOX_3D_FIELDS
        .iter()
        .map(|n| fields.iter().find(|f| f.name() == n).cloned())
        .collect();
    reordered.map(|f| DataType::Struct(f.into()))
}

/// The normalised items schema for an incoming stream schema, and whether batches need casting.
/// Its metadata is the input's with the stacpkg keys set; `geo` and `stac-geoparquet` are
/// finished by the writer.
pub fn normalised_schema(input: &Schema) -> Result<(SchemaRef, bool)> {
    let mut needs_cast = false;
    let mut fields = Vec::with_capacity(input.fields().len());
    let geo = input.metadata().get(GEO_KEY).map(String::as_str);
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
            f = tag_geometry_field(f, geo);
        }
        if name == "bbox" {
            if let Some(ty) = bbox_in_covering_order(f.data_type()) {
                f = f.with_data_type(ty);
            }
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
    let bare = Schema::new(fields.clone());
    let metadata = items_metadata(
        &bare,
        &input.metadata().clone().into(),
        &GeometryStats::default(),
        &Map::new(),
    );
    Ok((
        Arc::new(Schema::new_with_metadata(fields, metadata)),
        needs_cast,
    ))
}

/// Aligns a batch to `schema`: same-named columns, cast where types differ (struct children
/// with the same names in another order are reordered by name).
pub fn align_batch(batch: &RecordBatch, schema: &SchemaRef) -> Result<RecordBatch> {
    let columns = schema
        .fields()
        .iter()
        .map(|field| {
            let column = batch.column_by_name(field.name()).ok_or_else(|| {
                Error::input("stream", format!("batch lacks column `{}`", field.name()))
            })?;
            if column.data_type() == field.data_type() {
                return Ok(column.clone());
            }
            if let Some(reordered) = reorder_struct(column, field.data_type()) {
                return Ok(reordered);
            }
            arrow_cast::cast(column, field.data_type())
                .map_err(|e| Error::arrow(format!("casting column `{}`", field.name()), e))
        })
        .collect::<Result<Vec<ArrayRef>>>()?;
    RecordBatch::try_new(schema.clone(), columns)
        .map_err(|e| Error::arrow("aligning batch to the items schema", e))
}

/// `column` with its struct children in the order of `target`, when both hold the same names
/// and child types.
fn reorder_struct(column: &ArrayRef, target: &DataType) -> Option<ArrayRef> {
    let DataType::Struct(fields) = target else {
        return None;
    };
    let structs = column.as_any().downcast_ref::<StructArray>()?;
    if structs.num_columns() != fields.len() {
        return None;
    }
    let children: Option<Vec<ArrayRef>> = fields
        .iter()
        .map(|f| {
            let child = structs.column_by_name(f.name())?;
            (child.data_type() == f.data_type()).then(|| child.clone())
        })
        .collect();
    let array = StructArray::try_new(fields.clone(), children?, structs.nulls().cloned()).ok()?;
    Some(Arc::new(array))
}

/// Writes an items GeoParquet file atomically in row groups of [`ROW_GROUP_ROWS`].
pub struct ItemsParquetWriter {
    writer: ArrowWriter<File>,
    file: AtomicFile,
    schema: SchemaRef,
    write_schema: SchemaRef,
    needs_cast: bool,
    input_metadata: HashMap<String, String>,
    geometry: GeometryStats,
    collections: Map<String, Value>,
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
        let properties = writer_properties()
            .into_builder()
            .set_max_row_group_row_count(Some(ROW_GROUP_ROWS))
            .set_max_row_group_bytes(Some(ROW_GROUP_BYTES))
            .build();
        let options = ArrowWriterOptions::new()
            .with_properties(properties)
            .with_skip_arrow_metadata(true);
        let writer = ArrowWriter::try_new_with_options(handle, write_schema.clone(), options)
            .map_err(|e| Error::parquet(path.display().to_string(), e))?;
        Ok(Self {
            writer,
            file,
            schema,
            write_schema,
            needs_cast,
            input_metadata: input_schema.metadata().clone().into(),
            geometry: GeometryStats::default(),
            collections: Map::new(),
            rows: 0,
        })
    }

    /// Adds STAC Collections (id → Collection JSON) to the file's stac-geoparquet
    /// `collections`, replacing those the input carried under the same ids.
    pub fn add_collections(&mut self, collections: Map<String, Value>) {
        self.collections.extend(collections);
    }

    /// Writes one batch (row groups are cut at [`ROW_GROUP_ROWS`], not at batch ends).
    pub fn write(&mut self, batch: &RecordBatch) -> Result<()> {
        let batch = if self.needs_cast || batch.schema().fields() != self.schema.fields() {
            align_batch(batch, &self.schema)?
        } else {
            batch.clone()
        };
        if let Some(geometry) = batch.column_by_name("geometry") {
            self.geometry.observe(geometry.as_ref())?;
        }
        self.rows += batch.num_rows();
        let context = self.file.target().display().to_string();
        let batch = RecordBatch::try_new(self.write_schema.clone(), batch.columns().to_vec())
            .map_err(|e| Error::arrow(&context, e))?;
        self.writer
            .write(&batch)
            .map_err(|e| Error::parquet(&context, e))
    }

    /// Finishes the file and moves it into place; returns the rows written.
    pub fn finish(mut self) -> Result<usize> {
        let mut schema = self.schema.as_ref().clone();
        schema.metadata = items_metadata(
            &self.write_schema,
            &self.input_metadata,
            &self.geometry,
            &self.collections,
        )
        .into();
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
        let mut handle = self.file.handle()?;
        crate::parquet_footer::type_defined_float_orders(&mut handle)
            .map_err(|e| Error::io(&context, e))?;
        self.file.commit()?;
        Ok(self.rows)
    }
}
