//! Opening a local items catalogue by its file extension, as a stream of items batches.
//!
//! The console's file opener and `stacpkg search` on a saved file must agree on what a name
//! means, so the rule lives here once: `.parquet` / `.geoparquet` is GeoParquet, `.json` /
//! `.geojson` one JSON document (a Feature or a FeatureCollection), anything else NDJSON.

use std::fs::File;
use std::path::Path;

use arrow_array::RecordBatch;
use arrow_schema::SchemaRef;

use super::read::{JsonItems, NdjsonItems, ReadOptions};
use crate::parquet_io::open_parquet;
use crate::{Error, Result};

/// The formats a local catalogue comes in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CatalogueFormat {
    /// A GeoParquet file, read batch by batch.
    GeoParquet,
    /// One JSON document.
    Json,
    /// One item per line.
    Ndjson,
}

impl CatalogueFormat {
    /// The format `path`'s extension names (case-insensitive); NDJSON when it names none.
    pub fn of(path: &Path) -> Self {
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .unwrap_or("")
            .to_ascii_lowercase();
        match ext.as_str() {
            "parquet" | "geoparquet" => Self::GeoParquet,
            "json" | "geojson" => Self::Json,
            _ => Self::Ndjson,
        }
    }
}

/// An opened catalogue: its schema and its items batches.
pub struct Catalogue {
    /// The items schema (the file's own for GeoParquet, inferred for JSON and NDJSON).
    pub schema: SchemaRef,
    /// The batches, `options.batch_size` rows at most, `options.filter` applied.
    pub batches: Box<dyn Iterator<Item = Result<RecordBatch>> + Send>,
}

/// Opens the catalogue at `path` in the format its extension names ([`CatalogueFormat::of`]).
/// A JSON document is read whole; GeoParquet and NDJSON stream.
pub fn open_catalogue(path: &Path, options: ReadOptions) -> Result<Catalogue> {
    let input = path.display().to_string();
    match CatalogueFormat::of(path) {
        CatalogueFormat::GeoParquet => {
            let batches = open_parquet(path, options.batch_size)?;
            let schema = batches.schema();
            let filter = options.filter;
            let batches = batches.map(move |b| b.and_then(|b| filter.apply(b)));
            Ok(Catalogue {
                schema,
                batches: Box::new(batches),
            })
        }
        CatalogueFormat::Json => {
            let bytes = std::fs::read(path).map_err(|e| Error::io(&input, e))?;
            let items = JsonItems::parse(&bytes, &input, &options)?;
            Ok(Catalogue {
                schema: items.schema(),
                batches: Box::new(items),
            })
        }
        CatalogueFormat::Ndjson => {
            let file = File::open(path).map_err(|e| Error::io(&input, e))?;
            let items = NdjsonItems::scan(file, &input, options)?;
            Ok(Catalogue {
                schema: items.schema(),
                batches: Box::new(items),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_follow_the_extension() {
        let of = |p: &str| CatalogueFormat::of(Path::new(p));
        assert_eq!(of("a.parquet"), CatalogueFormat::GeoParquet);
        assert_eq!(of("a.GeoParquet"), CatalogueFormat::GeoParquet);
        assert_eq!(of("a.json"), CatalogueFormat::Json);
        assert_eq!(of("a.geojson"), CatalogueFormat::Json);
        assert_eq!(of("a.ndjson"), CatalogueFormat::Ndjson);
        assert_eq!(of("items"), CatalogueFormat::Ndjson);
    }

    #[test]
    fn json_and_ndjson_open_to_the_same_items() {
        let dir = tempfile::tempdir().unwrap();
        let item = r#"{"type":"Feature","stac_version":"1.0.0","id":"a","geometry":null,"properties":{"datetime":"2020-01-01T00:00:00Z"},"assets":{},"links":[]}"#;
        let ndjson = dir.path().join("items.ndjson");
        std::fs::write(&ndjson, format!("{item}\n")).unwrap();
        let json = dir.path().join("items.geojson");
        std::fs::write(
            &json,
            format!(r#"{{"type":"FeatureCollection","features":[{item}]}}"#),
        )
        .unwrap();
        for path in [ndjson, json] {
            let catalogue = open_catalogue(&path, ReadOptions::default()).unwrap();
            let rows: usize = catalogue.batches.map(|b| b.unwrap().num_rows()).sum();
            assert_eq!(rows, 1, "{}", path.display());
        }
    }
}
