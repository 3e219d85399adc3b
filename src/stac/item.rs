//! One STAC Item ⇄ one row of the items table.
//!
//! The table follows STAC GeoParquet 1.0 and the Python stacpkg 0.1.4 column conventions
//! (`stac_version`, `stac_extensions`, `id`, `links`, `assets`, `collection`, `datetime`,
//! `bbox`, `geometry`, then one column per property in sorted order), with these deliberate
//! differences: a leading `type` column (`"Feature"`) so rows round-trip to valid GeoJSON;
//! `id` is non-nullable; link fields beyond href/rel/type/title are kept; the `assets` column is
//! omitted when no item has any asset (Parquet cannot store an empty struct); and the `datetime`
//! column is `properties.datetime` only — items with a null datetime keep their
//! `start_datetime`/`end_datetime` in those columns, never copied into `datetime`.

use std::collections::HashMap;
use std::sync::Arc;

use arrow_array::builder::{BinaryBuilder, Float64Builder, StringBuilder};
use arrow_array::{ArrayRef, RecordBatch, StructArray};
use arrow_buffer::NullBufferBuilder;
use arrow_schema::{DataType, Field, Fields, Schema, SchemaRef};
use serde_json::{Map, Value};

use super::column::ColumnBuilder;
use super::datetime::is_datetime_field;
use super::geo_meta::GeometryStats;
use super::geoparquet;
use super::shape::{timestamp_type, ItemsShape, Shape, RESERVED};
use super::wkb;

/// Link fields that always exist, in this order, before any extra link fields.
const LINK_FIELDS: [&str; 4] = ["href", "rel", "type", "title"];

/// Why one item cannot be converted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemProblem(pub String);

fn problem(msg: impl Into<String>) -> ItemProblem {
    ItemProblem(msg.into())
}

/// The item's id, which every row needs.
pub fn item_id(item: &Map<String, Value>) -> Result<&str, ItemProblem> {
    match item.get("id") {
        Some(Value::String(id)) => Ok(id),
        Some(other) => Err(problem(format!(
            "item `id` must be a string, found {other}"
        ))),
        None => Err(problem("item has no `id`")),
    }
}

/// Merges one item into the shape (the first pass).
pub fn observe_item(
    shape: &mut ItemsShape,
    item: &Map<String, Value>,
    scratch: &mut Vec<u8>,
) -> Result<(), ItemProblem> {
    let id = item_id(item)?;
    let in_item = |msg: String| problem(format!("item {id:?}: {msg}"));
    shape.count += 1;
    match item.get("links") {
        None | Some(Value::Null) => {}
        Some(Value::Array(links)) => {
            for link in links {
                let Value::Object(link) = link else {
                    return Err(in_item("every entry of `links` must be an object".into()));
                };
                observe_fields(&mut shape.link, link);
            }
        }
        Some(_) => return Err(in_item("`links` must be an array".into())),
    }
    match item.get("assets") {
        None | Some(Value::Null) => {}
        Some(Value::Object(assets)) => {
            for (key, asset) in assets {
                let Value::Object(asset) = asset else {
                    return Err(in_item(format!("asset {key:?} must be an object")));
                };
                if !shape.assets.contains_key(key) {
                    shape.assets.insert(key.clone(), Default::default());
                }
                if let Some(fields) = shape.assets.get_mut(key) {
                    observe_fields(fields, asset);
                }
            }
        }
        Some(_) => return Err(in_item("`assets` must be an object".into())),
    }
    match bbox_values(item.get("bbox")) {
        Ok(Some(b)) => {
            shape.has_bbox = true;
            shape.bbox_3d |= b.len() == 6;
        }
        Ok(None) => {}
        Err(msg) => return Err(in_item(msg)),
    }
    if let Some(geometry) = item.get("geometry") {
        scratch.clear();
        match wkb::write_wkb(geometry, scratch) {
            Ok(Some(kind)) => {
                shape.geometry_types.insert(kind);
            }
            Ok(None) => {}
            Err(e) => return Err(in_item(format!("geometry: {e}"))),
        }
    }
    match item.get("properties") {
        None | Some(Value::Null) => {}
        Some(Value::Object(props)) => {
            for (name, value) in props {
                if RESERVED.contains(&name.as_str()) {
                    continue;
                }
                match shape.properties.get_mut(name) {
                    Some(s) => s.observe(value, is_datetime_field(name)),
                    None => {
                        let s = Shape::of(value, is_datetime_field(name));
                        shape.properties.insert(name.clone(), s);
                    }
                }
            }
        }
        Some(_) => return Err(in_item("`properties` must be an object".into())),
    }
    Ok(())
}

fn observe_fields(
    fields: &mut std::collections::BTreeMap<String, Shape>,
    obj: &Map<String, Value>,
) {
    for (k, v) in obj {
        match fields.get_mut(k) {
            Some(s) => s.observe(v, false),
            None => {
                fields.insert(k.clone(), Shape::of(v, false));
            }
        }
    }
}

/// A bbox as 4 or 6 numbers, `None` when absent, an error when malformed.
fn bbox_values(value: Option<&Value>) -> Result<Option<Vec<f64>>, String> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Array(a)) if a.len() == 4 || a.len() == 6 => {
            let nums: Option<Vec<f64>> = a.iter().map(Value::as_f64).collect();
            nums.map(Some)
                .ok_or_else(|| "`bbox` must hold numbers".to_string())
        }
        Some(_) => Err("`bbox` must be an array of 4 or 6 numbers".to_string()),
    }
}

/// The Arrow type of the `links` column for a discovered link shape.
fn link_type(link: &std::collections::BTreeMap<String, Shape>) -> DataType {
    let mut fields: Vec<Field> = LINK_FIELDS
        .iter()
        .map(|name| Field::new(*name, DataType::Utf8, true))
        .collect();
    for (name, shape) in link {
        if !LINK_FIELDS.contains(&name.as_str()) {
            fields.push(Field::new(name, shape.data_type(), true));
        }
    }
    DataType::List(Arc::new(Field::new(
        "item",
        DataType::Struct(Fields::from(fields)),
        true,
    )))
}

/// The `bbox` struct type: 2-D, or 3-D in GeoParquet 1.1's covering order (`zmin` after
/// `ymin`, `zmax` after `ymax`; docs/COMPATIBILITY.md, "Items table").
pub fn bbox_type(three_d: bool) -> DataType {
    let names: &[&str] = if three_d {
        &BBOX_3D_FIELDS
    } else {
        &["xmin", "ymin", "xmax", "ymax"]
    };
    DataType::Struct(
        names
            .iter()
            .map(|n| Field::new(*n, DataType::Float64, true))
            .collect(),
    )
}

/// The items schema for a discovered shape, with the stacpkg and GeoParquet metadata.
pub fn items_schema(shape: &ItemsShape) -> SchemaRef {
    let mut fields = vec![
        Field::new("type", DataType::Utf8, true),
        Field::new("stac_version", DataType::Utf8, true),
        Field::new(
            "stac_extensions",
            DataType::List(Arc::new(Field::new("item", DataType::Utf8, true))),
            true,
        ),
        Field::new("id", DataType::Utf8, false),
        Field::new("links", link_type(&shape.link), true),
    ];
    if !shape.assets.is_empty() {
        let assets: Fields = shape
            .assets
            .iter()
            .map(|(key, asset)| {
                let mut asset = asset.clone();
                asset.entry("href".to_string()).or_insert(Shape::Str);
                let asset_fields: Fields = asset
                    .iter()
                    .map(|(n, s)| Field::new(n, s.data_type(), true))
                    .collect();
                Field::new(key, DataType::Struct(asset_fields), true)
            })
            .collect();
        fields.push(Field::new("assets", DataType::Struct(assets), true));
    }
    fields.push(Field::new("collection", DataType::Utf8, true));
    let datetime_type = match shape.properties.get("datetime") {
        None | Some(Shape::Null) => timestamp_type(),
        Some(s) => s.data_type(),
    };
    fields.push(Field::new("datetime", datetime_type, true));
    fields.push(Field::new("bbox", bbox_type(shape.bbox_3d), true));
    fields.push(geoparquet::geometry_field());
    for (name, s) in &shape.properties {
        if name == "datetime" {
            continue;
        }
        let dt = match s {
            Shape::Null if is_datetime_field(name) => timestamp_type(),
            s => s.data_type(),
        };
        fields.push(Field::new(name, dt, true));
    }
    let stats = GeometryStats::from_kinds(shape.geometry_types.iter().copied());
    let metadata = geoparquet::items_metadata(
        &Schema::new(fields.clone()),
        &HashMap::new(),
        &stats,
        &Map::new(),
    );
    Arc::new(Schema::new_with_metadata(fields, metadata))
}

/// The 3-D bbox struct's fields, in the order we write.
pub const BBOX_3D_FIELDS: [&str; 6] = ["xmin", "ymin", "zmin", "xmax", "ymax", "zmax"];

/// Builds record batches of items against a fixed schema (the second pass).
pub struct ItemsBatchBuilder {
    schema: SchemaRef,
    type_: StringBuilder,
    stac_version: ColumnBuilder,
    stac_extensions: ColumnBuilder,
    id: StringBuilder,
    links: ColumnBuilder,
    assets: Option<ColumnBuilder>,
    collection: ColumnBuilder,
    datetime: ColumnBuilder,
    bbox: BboxBuilder,
    geometry: BinaryBuilder,
    properties: Vec<(String, ColumnBuilder)>,
    rows: usize,
    scratch: Vec<u8>,
}

impl ItemsBatchBuilder {
    /// A builder for `schema` (from [`items_schema`]).
    pub fn new(schema: SchemaRef) -> Self {
        let col = |name: &str| {
            schema
                .field_with_name(name)
                .map_or(ColumnBuilder::Text(StringBuilder::new()), |f| {
                    ColumnBuilder::new(f.data_type())
                })
        };
        let three_d = matches!(schema.field_with_name("bbox").map(|f| f.data_type()),
            Ok(DataType::Struct(f)) if f.len() == 6);
        // Every column but the item members and `datetime` (which have their own builders).
        let is_property = |name: &str| name != "datetime" && !RESERVED.contains(&name);
        let properties = schema
            .fields()
            .iter()
            .filter(|f| is_property(f.name()))
            .map(|f| (f.name().clone(), ColumnBuilder::new(f.data_type())))
            .collect();
        Self {
            type_: StringBuilder::new(),
            stac_version: col("stac_version"),
            stac_extensions: col("stac_extensions"),
            id: StringBuilder::new(),
            links: col("links"),
            assets: schema
                .field_with_name("assets")
                .ok()
                .map(|f| ColumnBuilder::new(f.data_type())),
            collection: col("collection"),
            datetime: col("datetime"),
            bbox: BboxBuilder::new(three_d),
            geometry: BinaryBuilder::new(),
            properties,
            rows: 0,
            scratch: Vec::new(),
            schema,
        }
    }

    /// Rows appended since the last batch.
    pub fn len(&self) -> usize {
        self.rows
    }

    /// Whether no rows are pending.
    pub fn is_empty(&self) -> bool {
        self.rows == 0
    }

    /// Appends one item. On error the builder must be discarded (columns may be uneven).
    pub fn append(&mut self, item: &Map<String, Value>) -> Result<(), ItemProblem> {
        let id = item_id(item)?;
        let ctx = |field: &str, m: super::column::Mismatch| {
            problem(format!(
                "item {id:?}: `{field}` should be {} (did the input change between the two reading passes?)",
                m.expected
            ))
        };
        let props = item.get("properties").and_then(Value::as_object);
        self.type_.append_value("Feature");
        self.stac_version
            .append(item.get("stac_version"))
            .map_err(|m| ctx("stac_version", m))?;
        self.stac_extensions
            .append(item.get("stac_extensions"))
            .map_err(|m| ctx("stac_extensions", m))?;
        self.id.append_value(id);
        self.links
            .append(item.get("links"))
            .map_err(|m| ctx("links", m))?;
        if let Some(assets) = &mut self.assets {
            // An item without assets still gets a (valid) struct whose asset keys are null.
            let value = match item.get("assets") {
                Some(v @ Value::Object(_)) => v,
                _ => &*EMPTY_OBJECT,
            };
            assets.append(Some(value)).map_err(|m| ctx("assets", m))?;
        }
        self.collection
            .append(item.get("collection"))
            .map_err(|m| ctx("collection", m))?;
        self.datetime
            .append(props.and_then(|p| p.get("datetime")))
            .map_err(|m| ctx("datetime", m))?;
        let bbox =
            bbox_values(item.get("bbox")).map_err(|m| problem(format!("item {id:?}: {m}")))?;
        self.bbox.append(bbox.as_deref());
        self.scratch.clear();
        match item.get("geometry") {
            Some(g) => match wkb::write_wkb(g, &mut self.scratch) {
                Ok(Some(_)) => self.geometry.append_value(&self.scratch),
                Ok(None) => self.geometry.append_null(),
                Err(e) => return Err(problem(format!("item {id:?}: geometry: {e}"))),
            },
            None => self.geometry.append_null(),
        }
        for (name, builder) in &mut self.properties {
            builder
                .append(props.and_then(|p| p.get(name)))
                .map_err(|m| ctx(name, m))?;
        }
        self.rows += 1;
        Ok(())
    }

    /// Finishes the pending rows as a batch (empty batches are allowed).
    pub fn finish(&mut self) -> Result<RecordBatch, arrow_schema::ArrowError> {
        let mut columns: Vec<ArrayRef> = vec![
            Arc::new(self.type_.finish()),
            self.stac_version.finish(),
            self.stac_extensions.finish(),
            Arc::new(self.id.finish()),
            self.links.finish(),
        ];
        if let Some(assets) = &mut self.assets {
            columns.push(assets.finish());
        }
        columns.push(self.collection.finish());
        columns.push(self.datetime.finish());
        columns.push(self.bbox.finish());
        columns.push(Arc::new(self.geometry.finish()));
        for (_, b) in &mut self.properties {
            columns.push(b.finish());
        }
        self.rows = 0;
        RecordBatch::try_new(self.schema.clone(), columns)
    }
}

static EMPTY_OBJECT: std::sync::LazyLock<Value> =
    std::sync::LazyLock::new(|| Value::Object(Map::new()));

/// Builds the bbox struct column.
struct BboxBuilder {
    coords: Vec<Float64Builder>,
    validity: NullBufferBuilder,
    three_d: bool,
}

impl BboxBuilder {
    fn new(three_d: bool) -> Self {
        let n = if three_d { 6 } else { 4 };
        Self {
            coords: (0..n).map(|_| Float64Builder::new()).collect(),
            validity: NullBufferBuilder::new(0),
            three_d,
        }
    }

    fn append(&mut self, bbox: Option<&[f64]>) {
        // Column order: xmin, ymin, xmax, ymax, or xmin, ymin, zmin, xmax, ymax, zmax as a
        // GeoJSON 3-D bbox; a 2-D box in a 3-D table has null z.
        let three_d = self.three_d;
        let ordered: Option<Vec<Option<f64>>> = bbox.map(|b| match (b.len(), three_d) {
            (6, true) => b.iter().copied().map(Some).collect(),
            (6, false) => vec![Some(b[0]), Some(b[1]), Some(b[3]), Some(b[4])],
            (_, true) => vec![Some(b[0]), Some(b[1]), None, Some(b[2]), Some(b[3]), None],
            _ => b.iter().take(4).copied().map(Some).collect(),
        });
        match ordered {
            Some(values) => {
                for (b, v) in self.coords.iter_mut().zip(values) {
                    b.append_option(v);
                }
                self.validity.append_non_null();
            }
            None => {
                for b in &mut self.coords {
                    b.append_null();
                }
                self.validity.append_null();
            }
        }
    }

    fn finish(&mut self) -> ArrayRef {
        let DataType::Struct(fields) = bbox_type(self.three_d) else {
            unreachable!("bbox_type is a struct")
        };
        let arrays: Vec<ArrayRef> = self
            .coords
            .iter_mut()
            .map(|b| Arc::new(b.finish()) as ArrayRef)
            .collect();
        Arc::new(StructArray::new(fields, arrays, self.validity.finish()))
    }
}
