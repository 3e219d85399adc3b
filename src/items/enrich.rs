//! `items enrich` and `items add-alternate`: project lock facts into STAC assets
//! (docs/COMPATIBILITY.md, "Enrich and add-alternate" and "Matching lock rows to assets"),
//! batch by batch, rewriting only the `assets` struct column (and
//! `stac_extensions`); every other column passes through untouched.
//!
//! Rows match on (item_id, asset_key) only. The output type of `assets` is computed from the
//! input type alone (new fields appended, existing ones keep their types), so every batch of a
//! stream agrees. Fixes over the Python tool (same page, "Rough edges we fix: alternates
//! written by enrich and add-alternate"): add-alternate declares the
//! Alternate Assets extension as enrich does, and enrich keeps an existing `alternate:name`
//! instead of replacing the whole entry. A `store_endpoint_url` equal to AWS's default S3
//! endpoint is not written: an `s3://` href means AWS unless told otherwise, so it adds
//! nothing (and the tutorial's enriched asset shows only the href).

use std::collections::HashMap;
use std::sync::Arc;

use arrow_array::builder::{ListBuilder, StringBuilder};
use arrow_array::cast::AsArray;
use arrow_array::{Array, ArrayRef, Int64Array, RecordBatch, StringArray, StructArray};
use arrow_buffer::NullBuffer;
use arrow_schema::{DataType, Field, Fields, Schema, SchemaRef};

use crate::lock::LockRow;
use crate::store::location::normalise_endpoint;
use crate::{Error, Result};

/// The File extension schema URL enrich declares.
pub const FILE_EXTENSION: &str = "https://stac-extensions.github.io/file/v2.1.0/schema.json";
/// The Alternate Assets extension schema URL.
pub const ALTERNATE_EXTENSION: &str =
    "https://stac-extensions.github.io/alternate-assets/v1.2.0/schema.json";
/// AWS's default S3 endpoint: not recorded on alternates (it is what `s3://` means).
const AWS_DEFAULT_ENDPOINT: &str = "https://s3.amazonaws.com";

/// What one lock row contributes.
#[derive(Debug, Clone, Default)]
struct Entry {
    size: Option<i64>,
    href: Option<String>,
    endpoint: Option<String>,
}

/// Lock rows by (item_id, asset_key); the last row wins.
#[derive(Debug, Default)]
pub struct LockIndex {
    rows: HashMap<(String, String), Entry>,
}

impl LockIndex {
    /// Indexes lock rows.
    pub fn new(rows: impl IntoIterator<Item = LockRow>) -> Self {
        let mut index = LockIndex::default();
        for row in rows {
            let endpoint = row
                .store_endpoint_url
                .as_deref()
                .and_then(normalise_endpoint)
                .filter(|e| e != AWS_DEFAULT_ENDPOINT);
            let entry = Entry {
                size: row.size_bytes,
                href: row.href(),
                endpoint,
            };
            index.rows.insert((row.item_id, row.asset_key), entry);
        }
        index
    }

    fn get(&self, item: &str, asset: &str) -> Option<&Entry> {
        self.rows.get(&(item.to_string(), asset.to_string()))
    }
}

/// Which projection to run.
#[derive(Debug, Clone)]
pub enum Projection {
    /// `items enrich`: `file:size`, drop `file:checksum`, optional alternate href.
    Enrich {
        /// `--alternate-key`.
        alternate_key: Option<String>,
    },
    /// `items add-alternate`: `alternate.KEY = {href, store_endpoint_url, alternate:name}`.
    AddAlternate {
        /// `--alternate-key`.
        key: String,
        /// `--alternate-name` (defaults to the key).
        name: String,
    },
}

/// Applies `projection` to one items batch.
pub fn project(
    batch: &RecordBatch,
    index: &LockIndex,
    projection: &Projection,
) -> Result<RecordBatch> {
    let schema = batch.schema();
    let Some(assets_idx) = schema.index_of("assets").ok() else {
        return Ok(batch.clone());
    };
    let ids = schema
        .index_of("id")
        .ok()
        .map(|i| arrow_cast::cast(batch.column(i), &DataType::Utf8))
        .transpose()
        .map_err(|e| Error::arrow("reading item ids", e))?;
    let ids: Option<&StringArray> = ids.as_ref().map(|a| a.as_string::<i32>());
    let assets = batch.column(assets_idx).as_struct_opt().ok_or_else(|| {
        Error::input(
            "items stream",
            "`assets` is not a struct column; is this an items stream?",
        )
    })?;
    let rows = batch.num_rows();
    let mut file_used = vec![false; rows];
    let mut alt_used = vec![false; rows];
    let mut children: Vec<ArrayRef> = Vec::new();
    let mut fields: Vec<Field> = Vec::new();
    for (field, child) in assets.fields().iter().zip(assets.columns()) {
        let Some(asset) = child.as_struct_opt() else {
            fields.push(field.as_ref().clone());
            children.push(child.clone());
            continue;
        };
        let matched: Vec<Option<&Entry>> = (0..rows)
            .map(|r| {
                let id = ids.filter(|a| a.is_valid(r)).map(|a| a.value(r))?;
                if asset.is_null(r) {
                    return None;
                }
                index.get(id, field.name())
            })
            .collect();
        let new_asset = project_asset(asset, &matched, projection, &mut file_used, &mut alt_used)?;
        fields.push(Field::new(
            field.name(),
            new_asset.data_type().clone(),
            field.is_nullable(),
        ));
        children.push(Arc::new(new_asset));
    }
    let new_assets = StructArray::try_new(Fields::from(fields), children, assets.nulls().cloned())
        .map_err(|e| Error::arrow("rebuilding assets", e))?;
    let mut columns = batch.columns().to_vec();
    let mut schema_fields: Vec<Field> =
        schema.fields().iter().map(|f| f.as_ref().clone()).collect();
    schema_fields[assets_idx] = schema_fields[assets_idx]
        .clone()
        .with_data_type(new_assets.data_type().clone());
    columns[assets_idx] = Arc::new(new_assets);
    if let Ok(ext_idx) = schema.index_of("stac_extensions") {
        columns[ext_idx] = add_extensions(batch.column(ext_idx), &file_used, &alt_used)?;
        schema_fields[ext_idx] = schema_fields[ext_idx]
            .clone()
            .with_data_type(columns[ext_idx].data_type().clone());
    }
    let schema: SchemaRef = Arc::new(Schema::new_with_metadata(
        schema_fields,
        schema.metadata().clone(),
    ));
    RecordBatch::try_new(schema, columns).map_err(|e| Error::arrow("rebuilding an items batch", e))
}

pub(crate) fn strings(values: impl Iterator<Item = Option<String>>) -> ArrayRef {
    Arc::new(values.collect::<StringArray>())
}

/// Replaces (same position, cast to the existing type) or appends a field of a struct.
pub(crate) fn set_field(
    fields: &mut Vec<Field>,
    children: &mut Vec<ArrayRef>,
    name: &str,
    value: ArrayRef,
) -> Result<()> {
    match fields.iter().position(|f| f.name() == name) {
        Some(i) => {
            let target = fields[i].data_type().clone();
            let cast = if value.data_type() == &target {
                value
            } else {
                arrow_cast::cast(&value, &target)
                    .map_err(|e| Error::arrow(format!("writing asset field `{name}`"), e))?
            };
            fields[i] = fields[i].clone().with_nullable(true);
            children[i] = cast;
        }
        None => {
            fields.push(Field::new(name, value.data_type().clone(), true));
            children.push(value);
        }
    }
    Ok(())
}

pub(crate) fn parts(s: &StructArray) -> (Vec<Field>, Vec<ArrayRef>) {
    (
        s.fields().iter().map(|f| f.as_ref().clone()).collect(),
        s.columns().to_vec(),
    )
}

pub(crate) fn string_child(s: &StructArray, name: &str, row: usize) -> Option<String> {
    let col = s.column_by_name(name)?;
    if s.is_null(row) || col.is_null(row) {
        return None;
    }
    let text = arrow_cast::cast(col, &DataType::Utf8).ok()?;
    Some(text.as_string::<i32>().value(row).to_string())
}

fn project_asset(
    asset: &StructArray,
    matched: &[Option<&Entry>],
    projection: &Projection,
    file_used: &mut [bool],
    alt_used: &mut [bool],
) -> Result<StructArray> {
    let rows = asset.len();
    let (mut fields, mut children) = parts(asset);
    let (alt_key, alt_name) = match projection {
        Projection::Enrich { alternate_key } => {
            // file:size from the lock where known, else the value already there.
            let old = asset
                .column_by_name("file:size")
                .map(|c| arrow_cast::cast(c, &DataType::Int64))
                .transpose()
                .map_err(|e| Error::arrow("reading file:size", e))?;
            let old = old
                .as_ref()
                .map(|a| a.as_primitive::<arrow_array::types::Int64Type>());
            let sizes: Int64Array = (0..rows)
                .map(|r| match matched[r].and_then(|m| m.size) {
                    Some(size) => {
                        file_used[r] = true;
                        Some(size)
                    }
                    None => old.filter(|o| o.is_valid(r)).map(|o| o.value(r)),
                })
                .collect();
            set_field(&mut fields, &mut children, "file:size", Arc::new(sizes))?;
            if let Some(i) = fields.iter().position(|f| f.name() == "file:checksum") {
                let matched_rows: arrow_array::BooleanArray =
                    (0..rows).map(|r| Some(matched[r].is_some())).collect();
                children[i] = arrow_select::nullif::nullif(&children[i], &matched_rows)
                    .map_err(|e| Error::arrow("dropping file:checksum", e))?;
            }
            match alternate_key {
                Some(k) => (k.clone(), None),
                None => {
                    return StructArray::try_new(
                        Fields::from(fields),
                        children,
                        asset.nulls().cloned(),
                    )
                    .map_err(|e| Error::arrow("rebuilding an asset", e))
                }
            }
        }
        Projection::AddAlternate { key, name } => (key.clone(), Some(name.clone())),
    };
    // alternate.KEY = {href, store_endpoint_url[, alternate:name]} where the lock has an href.
    let hit: Vec<bool> = (0..rows)
        .map(|r| matched[r].is_some_and(|m| m.href.is_some()))
        .collect();
    let alt_idx = fields.iter().position(|f| f.name() == "alternate");
    let old_alt = alt_idx.and_then(|i| children[i].as_struct_opt().cloned());
    if alt_idx.is_some() && old_alt.is_none() {
        // A non-struct `alternate` (e.g. JSON text) is left alone, as the Python tool does.
        return StructArray::try_new(Fields::from(fields), children, asset.nulls().cloned())
            .map_err(|e| Error::arrow("rebuilding an asset", e));
    }
    let old_entry = old_alt
        .as_ref()
        .and_then(|a| a.column_by_name(&alt_key))
        .and_then(|c| c.as_struct_opt().cloned());
    let (mut entry_fields, mut entry_children) = match &old_entry {
        Some(e) => parts(e),
        None => (Vec::new(), Vec::new()),
    };
    let keep_old = |name: &str, r: usize| old_entry.as_ref().and_then(|e| string_child(e, name, r));
    let hrefs = strings((0..rows).map(|r| match matched[r].filter(|_| hit[r]) {
        Some(m) => m.href.clone(),
        None => keep_old("href", r),
    }));
    let endpoints = strings((0..rows).map(|r| match matched[r].filter(|_| hit[r]) {
        Some(m) => m.endpoint.clone(),
        None => keep_old("store_endpoint_url", r),
    }));
    set_field(&mut entry_fields, &mut entry_children, "href", hrefs)?;
    set_field(
        &mut entry_fields,
        &mut entry_children,
        "store_endpoint_url",
        endpoints,
    )?;
    if let Some(name) = &alt_name {
        let names = strings((0..rows).map(|r| {
            if hit[r] && !name.is_empty() {
                Some(name.clone())
            } else {
                keep_old("alternate:name", r)
            }
        }));
        set_field(
            &mut entry_fields,
            &mut entry_children,
            "alternate:name",
            names,
        )?;
    }
    let entry_valid: Vec<bool> = (0..rows)
        .map(|r| hit[r] || old_entry.as_ref().is_some_and(|e| e.is_valid(r)))
        .collect();
    let entry = StructArray::try_new(
        Fields::from(entry_fields),
        entry_children,
        Some(NullBuffer::from(entry_valid.clone())),
    )
    .map_err(|e| Error::arrow("building the alternate entry", e))?;
    let (mut alt_fields, mut alt_children) = match &old_alt {
        Some(a) => parts(a),
        None => (Vec::new(), Vec::new()),
    };
    match alt_fields.iter().position(|f| f.name() == &alt_key) {
        Some(i) => {
            alt_fields[i] = Field::new(&alt_key, entry.data_type().clone(), true);
            alt_children[i] = Arc::new(entry);
        }
        None => {
            alt_fields.push(Field::new(&alt_key, entry.data_type().clone(), true));
            alt_children.push(Arc::new(entry));
        }
    }
    let alt_valid: Vec<bool> = (0..rows)
        .map(|r| entry_valid[r] || old_alt.as_ref().is_some_and(|a| a.is_valid(r)))
        .collect();
    let alternate = StructArray::try_new(
        Fields::from(alt_fields),
        alt_children,
        Some(NullBuffer::from(alt_valid)),
    )
    .map_err(|e| Error::arrow("building alternate", e))?;
    for (r, used) in alt_used.iter_mut().enumerate() {
        *used |= hit[r];
    }
    match alt_idx {
        Some(i) => {
            fields[i] = Field::new("alternate", alternate.data_type().clone(), true);
            children[i] = Arc::new(alternate);
        }
        None => {
            fields.push(Field::new("alternate", alternate.data_type().clone(), true));
            children.push(Arc::new(alternate));
        }
    }
    StructArray::try_new(Fields::from(fields), children, asset.nulls().cloned())
        .map_err(|e| Error::arrow("rebuilding an asset", e))
}

/// Appends the extension URLs to `stac_extensions` of the rows that used them.
fn add_extensions(column: &ArrayRef, file_used: &[bool], alt_used: &[bool]) -> Result<ArrayRef> {
    let Some(list) = column.as_list_opt::<i32>() else {
        return Ok(column.clone());
    };
    let item_field = match column.data_type() {
        DataType::List(f) => f.clone(),
        _ => return Ok(column.clone()),
    };
    if item_field.data_type() != &DataType::Utf8 {
        return Ok(column.clone());
    }
    let mut builder = ListBuilder::new(StringBuilder::new()).with_field(item_field);
    for r in 0..list.len() {
        let mut values: Vec<String> = if list.is_valid(r) {
            list.value(r)
                .as_string::<i32>()
                .iter()
                .flatten()
                .map(str::to_string)
                .collect()
        } else {
            Vec::new()
        };
        let mut wanted = Vec::new();
        if file_used[r] {
            wanted.push(FILE_EXTENSION);
        }
        if alt_used[r] {
            wanted.push(ALTERNATE_EXTENSION);
        }
        for url in wanted {
            if !values.iter().any(|v| v == url) {
                values.push(url.to_string());
            }
        }
        if list.is_null(r) && values.is_empty() {
            builder.append_null();
        } else {
            for v in values {
                builder.values().append_value(v);
            }
            builder.append(true);
        }
    }
    Ok(Arc::new(builder.finish()))
}
