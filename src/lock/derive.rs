//! Items → asset-lock rows, and the probes that record each object's facts.
//!
//! Rows come out in input order (item order, then the asset order of the `assets` struct) while
//! HEADs run concurrently: [`probe`] is an ordered stream ([`super::ordered`]), so a caller can
//! write rows as soon as every earlier row is done and memory holds a bounded window of rows.
//! A probe failure is data ([`Probed::error`]); the caller decides whether it stops the command
//! (default) or is reported and kept (`--keep-going`).

use std::collections::HashSet;
use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::{Array, RecordBatch};
use arrow_schema::DataType;
use futures::Stream;

use super::schema::{as_int64, as_utf8, LockRow};
use crate::store::location::{parse_href, HrefError, HrefOptions, Location};
use crate::store::Stores;
use crate::{Error, Result};

/// The asset key skipped unless asked for.
pub const METADATA_ASSET_KEY: &str = "metadata";

/// Which assets become lock rows.
#[derive(Debug, Clone, Default)]
pub struct AssetSelection {
    /// Keep only these asset keys (empty: all).
    pub asset_keys: HashSet<String>,
    /// Also lock `metadata` assets (implied by an explicit `--asset-keys metadata`).
    pub include_metadata_assets: bool,
    /// How hrefs are mapped.
    pub href: HrefOptions,
}

impl AssetSelection {
    fn keeps(&self, key: &str) -> bool {
        if !self.asset_keys.is_empty() {
            return self.asset_keys.contains(key);
        }
        key != METADATA_ASSET_KEY || self.include_metadata_assets
    }
}

/// A row whose href maps to no store: kept without a location, and reported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnmappedHref {
    /// `item/asset`.
    pub label: String,
    /// Why.
    pub reason: String,
}

/// Lock rows for the assets of one items batch (GeoParquet shape: `id` + `assets` struct).
/// Signed URLs are an error naming the asset; unknown schemes are kept with a null store type
/// and reported in `unmapped`.
pub fn rows_from_items(
    batch: &RecordBatch,
    selection: &AssetSelection,
    unmapped: &mut Vec<UnmappedHref>,
) -> Result<Vec<LockRow>> {
    if batch.column_by_name("assets_json").is_some() {
        return Err(Error::input(
            "items stream",
            "holds the internal compact items shape (`assets_json`); produce a GeoParquet-shaped stream with `stacpkg items from-json/from-ndjson/from-parquet`",
        ));
    }
    let Some(ids) = batch.column_by_name("id") else {
        return Err(Error::input("items stream", "has no `id` column"));
    };
    let ids = as_utf8(ids, "id")?;
    let Some(assets) = batch.column_by_name("assets") else {
        return Ok(Vec::new());
    };
    let DataType::Struct(fields) = assets.data_type() else {
        return Err(Error::input(
            "items stream",
            format!(
                "column `assets` is {}, expected a struct of assets",
                assets.data_type()
            ),
        ));
    };
    let assets = assets.as_struct();
    struct AssetColumns {
        key: String,
        valid: Arc<dyn Array>,
        href: arrow_array::StringArray,
        size: Option<arrow_array::Int64Array>,
        endpoint: Option<arrow_array::StringArray>,
    }
    let mut columns = Vec::new();
    for (index, field) in fields.iter().enumerate() {
        let key = field.name();
        if !selection.keeps(key) {
            continue;
        }
        let column = assets.column(index);
        let Some(asset) = column.as_struct_opt() else {
            continue;
        };
        let Some(href) = asset.column_by_name("href") else {
            continue;
        };
        let child = |name: &str| asset.column_by_name(name);
        columns.push(AssetColumns {
            key: key.clone(),
            valid: column.clone(),
            href: as_utf8(href, &format!("assets.{key}.href"))?,
            size: child("file:size")
                .map(|c| as_int64(c, &format!("assets.{key}.file:size")))
                .transpose()?,
            endpoint: child("store_endpoint_url")
                .map(|c| as_utf8(c, &format!("assets.{key}.store_endpoint_url")))
                .transpose()?,
        });
    }
    let mut rows = Vec::new();
    for i in 0..batch.num_rows() {
        if !assets.is_valid(i) {
            continue;
        }
        let item_id = if ids.is_valid(i) { ids.value(i) } else { "" };
        for asset in &columns {
            if !asset.valid.is_valid(i) || !asset.href.is_valid(i) || asset.href.value(i).is_empty()
            {
                continue;
            }
            let href = asset.href.value(i);
            let label = format!("{item_id}/{}", asset.key);
            let parts = match parse_href(href, selection.href) {
                Ok(parts) => parts,
                Err(e @ HrefError::SignedUrl { .. }) => {
                    return Err(Error::input(
                        format!("item {item_id}, asset {}", asset.key),
                        e.to_string(),
                    ));
                }
                Err(e @ HrefError::UnsupportedScheme { .. }) => {
                    unmapped.push(UnmappedHref {
                        label,
                        reason: e.to_string(),
                    });
                    crate::store::location::HrefParts {
                        store_type: None,
                        store_container: None,
                        key: Some(href.to_string()),
                    }
                }
            };
            let mut row = LockRow {
                item_id: item_id.to_string(),
                asset_key: asset.key.clone(),
                store_type: parts.store_type.map(|t| t.as_str().to_string()),
                store_container: parts.store_container,
                store_endpoint_url: asset
                    .endpoint
                    .as_ref()
                    .filter(|c| c.is_valid(i) && !c.value(i).is_empty())
                    .map(|c| c.value(i).to_string()),
                key: parts.key,
                size_bytes: asset
                    .size
                    .as_ref()
                    .filter(|c| c.is_valid(i))
                    .map(|c| c.value(i)),
                etag: None,
                last_modified: None,
            };
            row.normalise();
            rows.push(row);
        }
    }
    Ok(rows)
}

/// A row after its probe.
#[derive(Debug, Clone)]
pub struct Probed {
    /// The row, with the facts the backend reported (unchanged on failure).
    pub row: LockRow,
    /// Why the probe failed, if it did.
    pub error: Option<String>,
}

/// The I/O location of a row, or the reason there is none (the validate wording).
pub fn row_location(row: &LockRow) -> std::result::Result<Location, String> {
    let location = Location::from_parts(
        row.store_type.as_deref(),
        row.store_container.as_deref(),
        row.store_endpoint_url.as_deref(),
        row.key.as_deref(),
    )
    .map_err(|e| e.to_string())?;
    if location.href().is_none() {
        return Err("asset location is empty".to_string());
    }
    Ok(location)
}

/// HEADs one row and records the facts (missing facts keep their previous value).
pub async fn probe_row(mut row: LockRow, stores: &Stores) -> Probed {
    let location = match row_location(&row) {
        Ok(l) => l,
        Err(error) => {
            let error = if row.store_type().is_none() && row.key.is_some() {
                format!(
                    "no store for `{}`: {error}",
                    crate::store::location::redact(row.key.as_deref().unwrap_or(""))
                )
            } else {
                error
            };
            return Probed {
                row,
                error: Some(error),
            };
        }
    };
    match stores.head(&location).await {
        Ok(facts) => {
            row.size_bytes = Some(facts.size_bytes);
            if facts.etag.is_some() {
                row.etag = facts.etag;
            }
            if facts.last_modified.is_some() {
                row.last_modified = facts.last_modified;
            }
            Probed { row, error: None }
        }
        Err(e) => Probed {
            row,
            error: Some(e.to_string()),
        },
    }
}

/// Probes `rows` with up to `workers` HEADs in flight; yields them in input order.
pub fn probe(
    rows: Vec<LockRow>,
    stores: Arc<Stores>,
    workers: usize,
) -> impl Stream<Item = Probed> {
    let work = rows.into_iter().map(move |row| {
        let stores = stores.clone();
        async move { probe_row(row, &stores).await }
    });
    super::ordered::ordered_concurrent(work, workers)
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::{ArrayRef, Int64Array, StringArray, StructArray};
    use arrow_schema::{Field, Fields, Schema};

    fn items_batch() -> RecordBatch {
        let asset = |hrefs: Vec<Option<&str>>, sizes: Vec<Option<i64>>| -> ArrayRef {
            Arc::new(StructArray::from(vec![
                (
                    Arc::new(Field::new("href", DataType::Utf8, true)),
                    Arc::new(StringArray::from(hrefs)) as ArrayRef,
                ),
                (
                    Arc::new(Field::new("file:size", DataType::Int64, true)),
                    Arc::new(Int64Array::from(sizes)) as ArrayRef,
                ),
            ]))
        };
        let data = asset(
            vec![Some("s3://b/a.tif"), Some("ftp://h/x")],
            vec![Some(5), None],
        );
        let meta = asset(vec![Some("m.json"), Some("m2.json")], vec![None, None]);
        let thumb = asset(vec![Some("https://h/t.png"), None], vec![None, None]);
        let fields = Fields::from(vec![
            Field::new("data", data.data_type().clone(), true),
            Field::new("metadata", meta.data_type().clone(), true),
            Field::new("thumbnail", thumb.data_type().clone(), true),
        ]);
        let assets = StructArray::new(fields.clone(), vec![data, meta, thumb], None);
        let schema = Arc::new(Schema::new(vec![
            Field::new("id", DataType::Utf8, false),
            Field::new("assets", DataType::Struct(fields), true),
        ]));
        RecordBatch::try_new(
            schema,
            vec![
                Arc::new(StringArray::from(vec!["i1", "i2"])),
                Arc::new(assets),
            ],
        )
        .unwrap()
    }

    #[test]
    fn rows_follow_item_then_asset_order() {
        let mut unmapped = Vec::new();
        let rows =
            rows_from_items(&items_batch(), &AssetSelection::default(), &mut unmapped).unwrap();
        let labels: Vec<_> = rows.iter().map(LockRow::label).collect();
        assert_eq!(labels, ["i1/data", "i1/thumbnail", "i2/data"]);
        assert_eq!(rows[0].size_bytes, Some(5));
        assert_eq!(rows[0].store_container.as_deref(), Some("b"));
        assert_eq!(rows[2].store_type, None);
        assert_eq!(rows[2].key.as_deref(), Some("ftp://h/x"));
        assert_eq!(unmapped.len(), 1);
        assert_eq!(unmapped[0].label, "i2/data");
    }

    #[test]
    fn metadata_assets_need_asking() {
        let mut unmapped = Vec::new();
        let with = AssetSelection {
            include_metadata_assets: true,
            ..Default::default()
        };
        let rows = rows_from_items(&items_batch(), &with, &mut unmapped).unwrap();
        assert_eq!(rows.len(), 5);
        let only = AssetSelection {
            asset_keys: ["metadata".to_string()].into(),
            ..Default::default()
        };
        let rows = rows_from_items(&items_batch(), &only, &mut unmapped).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].key.as_deref(), Some("m.json"));
    }
}
