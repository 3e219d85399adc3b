//! STAC JSON and NDJSON ⇄ Arrow items tables, and STAC GeoParquet files.

pub mod catalogue;
pub mod column;
pub mod datetime;
pub mod geo_meta;
pub mod geoparquet;
pub mod item;
pub mod item_json;
pub mod json_out;
pub mod json_value;
pub mod read;
pub mod shape;
pub mod wkb;

pub use catalogue::{open_catalogue, Catalogue, CatalogueFormat};
pub use read::{JsonItems, NdjsonItems, ReadOptions};
