//! Items → asset-lock rows, and the probes that record each object's facts.
//!
//! Rows come out in input order (item order, then the asset order of the `assets` struct) while
//! HEADs run concurrently: the probed rows are an ordered stream ([`super::ordered`]), so a
//! caller can write rows as soon as every earlier row is done and memory holds a bounded
//! window of rows.
//! A probe failure is data ([`Probed::error`]); the caller decides whether it stops the command
//! (default) or is reported and kept (`--keep-going`).
//!
//! [`derive`](fn@derive) is the whole pipeline each face runs (items → rows → unmapped hrefs →
//! probes), so the CLI's `asset-lock derive` and `build` and the console's lock pane cannot drift apart: it
//! returns what is known before the first probe (the row count, the unmapped hrefs to report)
//! and the probed rows as a stream the caller consumes at its own pace, stopped by a token.

use std::collections::HashSet;
use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::{Array, RecordBatch};
use arrow_schema::DataType;
use futures::stream::BoxStream;
use futures::{Stream, StreamExt};
use tokio_util::sync::CancellationToken;

use super::schema::{as_int64, as_utf8, LockRow};
use crate::items::ItemFilter;
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

impl std::fmt::Display for UnmappedHref {
    /// The warning every face shows.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}; locked without a store", self.label, self.reason)
    }
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

/// Probes `rows` with up to `workers` HEADs in flight, yielding them in input order; ends once
/// `token` is cancelled, stopping the HEADs in flight.
fn probe_until(
    rows: Vec<LockRow>,
    stores: Arc<Stores>,
    workers: usize,
    token: CancellationToken,
) -> impl Stream<Item = Probed> {
    let work = rows.into_iter().map(move |row| {
        let (stores, token) = (stores.clone(), token.clone());
        async move {
            tokio::select! {
                biased;
                () = token.cancelled() => None,
                probed = probe_row(row, &stores) => Some(probed),
            }
        }
    });
    super::ordered::ordered_concurrent(work, workers)
        .take_while(|probed| std::future::ready(probed.is_some()))
        .filter_map(std::future::ready)
}

/// How [`derive`](fn@derive) probes rows.
#[derive(Debug, Clone)]
pub struct ProbeSettings {
    /// The stores the HEADs go through.
    pub stores: Arc<Stores>,
    /// HEADs in flight.
    pub workers: usize,
}

/// What [`derive`](fn@derive) locks and how.
#[derive(Debug, Clone, Default)]
pub struct DeriveOptions {
    /// Which items to keep.
    pub filter: ItemFilter,
    /// Which of their assets become rows, and how hrefs map.
    pub selection: AssetSelection,
    /// HEAD each row's object; `None` locks without any network or file access.
    pub probe: Option<ProbeSettings>,
}

/// A derive under way: what is known before the first probe, and the rows to come.
pub struct Derivation {
    /// Rows `rows` yields unless cancelled.
    pub total: usize,
    /// Rows whose href maps to no store, kept without a location; for the caller to report.
    pub unmapped: Vec<UnmappedHref>,
    /// The rows in input order, each with its probe failure if any (never one without
    /// probes). Ends early once the token is cancelled; with probes it needs a tokio runtime.
    pub rows: BoxStream<'static, Probed>,
}

/// Items batches → lock rows → probed rows: the derive every face runs. An unreadable batch
/// or a refused href (a signed URL) is an error before anything is probed; a failed probe is
/// data ([`Probed::error`]). Cancelling `token` stops the in-flight probes and ends the stream.
pub fn derive<I>(batches: I, options: DeriveOptions, token: CancellationToken) -> Result<Derivation>
where
    I: IntoIterator<Item = Result<RecordBatch>>,
{
    let mut rows = Vec::new();
    let mut unmapped = Vec::new();
    for batch in batches {
        let batch = options.filter.apply(batch?)?;
        rows.extend(rows_from_items(&batch, &options.selection, &mut unmapped)?);
    }
    let total = rows.len();
    let rows = match options.probe {
        None => futures::stream::iter(rows)
            .take_while(move |_| std::future::ready(!token.is_cancelled()))
            .map(|row| Probed { row, error: None })
            .boxed(),
        Some(ProbeSettings { stores, workers }) => {
            probe_until(rows, stores, workers, token).boxed()
        }
    };
    Ok(Derivation {
        total,
        unmapped,
        rows,
    })
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

    fn file_items(hrefs: &[&str]) -> RecordBatch {
        let href = StringArray::from(hrefs.to_vec());
        let data = StructArray::from(vec![(
            Arc::new(Field::new("href", DataType::Utf8, true)),
            Arc::new(href) as ArrayRef,
        )]);
        let fields = Fields::from(vec![Field::new("data", data.data_type().clone(), true)]);
        let assets = StructArray::new(fields.clone(), vec![Arc::new(data)], None);
        let ids: Vec<String> = (0..hrefs.len()).map(|i| format!("i{i}")).collect();
        let schema = Arc::new(Schema::new(vec![
            Field::new("id", DataType::Utf8, false),
            Field::new("assets", DataType::Struct(fields), true),
        ]));
        RecordBatch::try_new(
            schema,
            vec![Arc::new(StringArray::from(ids)), Arc::new(assets)],
        )
        .unwrap()
    }

    #[test]
    fn derive_without_probes_filters_and_reports_unmapped() {
        let options = DeriveOptions {
            filter: ItemFilter::new(&["i2".to_string()], &[], &[]),
            ..Default::default()
        };
        let derivation = derive([Ok(items_batch())], options, CancellationToken::new()).unwrap();
        assert_eq!(derivation.total, 1);
        let problem = &derivation.unmapped[0];
        assert_eq!(
            problem.to_string(),
            format!("i2/data: {}; locked without a store", problem.reason)
        );
        let rows: Vec<_> = futures::executor::block_on(derivation.rows.collect::<Vec<_>>());
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].row.label(), "i2/data");
        assert!(rows[0].error.is_none());
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn derive_probes_in_order_with_failures_as_data_and_stops_when_cancelled() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.bin"), b"abc").unwrap();
        std::fs::write(dir.path().join("b.bin"), b"hello").unwrap();
        let batch = file_items(&["a.bin", "missing.bin", "b.bin"]);
        let stores = Arc::new(Stores::new(dir.path().to_path_buf(), false));
        let options = |stores: &Arc<Stores>| DeriveOptions {
            probe: Some(ProbeSettings {
                stores: stores.clone(),
                workers: 2,
            }),
            ..Default::default()
        };
        let derivation = derive(
            [Ok(batch.clone())],
            options(&stores),
            CancellationToken::new(),
        )
        .unwrap();
        assert_eq!(derivation.total, 3);
        let rows: Vec<Probed> = derivation.rows.collect().await;
        let sizes: Vec<_> = rows.iter().map(|p| p.row.size_bytes).collect();
        assert_eq!(sizes, [Some(3), None, Some(5)]);
        assert!(rows[1].error.is_some() && rows[0].error.is_none());

        let token = CancellationToken::new();
        token.cancel();
        let derivation = derive([Ok(batch)], options(&stores), token).unwrap();
        assert_eq!(derivation.total, 3);
        assert_eq!(derivation.rows.count().await, 0);
    }
}
