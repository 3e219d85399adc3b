//! Relocation: plan where each asset goes, then copy the bytes there.
//!
//! Planning (docs/COMPATIBILITY.md, "Relocate planning") maps every source row that matches
//! `--source-prefix` to a key under the
//! target location, by one of two layouts (`item-asset`: `<item>/<asset><suffix>`;
//! `source-key`: the source key). Mapped rows keep `size_bytes` and drop `etag` and
//! `last_modified` — a planned object has no facts until it exists (documented and kept: same
//! page, "Rough edges we fix: relocate dry runs and collisions"). Unlike the Python tool, two
//! different source objects that map to the same
//! destination are an error ([`Collision`]) instead of silently overwriting each other.
//!
//! Copying ([`copy_rows`]) pairs each destination row with its source row by
//! `(item_id, asset_key)` (the last source row wins), copies with [`crate::store::copy`], and
//! yields destination rows carrying the target's fresh facts, **in destination order, as copies
//! finish** (an ordered `buffered` stream), so a pipeline sees rows long before the last copy.

use std::collections::HashMap;
use std::sync::Arc;

use futures::{Stream, StreamExt};

use super::derive::row_location;
use super::destinations::{Destinations, OnClash};
use super::schema::LockRow;
use crate::store::copy::{copy_object, CopyBudget, CopyOutcome, CopySettings};
use crate::store::location::{href_from_parts, url_path, StoreType};
use crate::store::Stores;
use crate::Result;

/// Destination key layouts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Layout {
    /// `<item_id>/<asset_key><suffix>`, each part sanitised.
    #[default]
    ItemAsset,
    /// The source key (or URL path) as is.
    SourceKey,
}

/// Where relocated rows go (store-type mode).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetSpec {
    /// The destination backend.
    pub store_type: StoreType,
    /// Bucket/container or http base.
    pub store_container: Option<String>,
    /// Normalised endpoint.
    pub store_endpoint_url: Option<String>,
    /// Key prefix (`""` for none).
    pub key: String,
}

impl TargetSpec {
    /// Checks the fields the store type needs (the Python messages).
    pub fn check(&self) -> std::result::Result<(), String> {
        if self.store_type == StoreType::File && self.key.is_empty() {
            return Err("key is required when store_type is file".into());
        }
        if self.store_type != StoreType::File
            && self.store_container.as_deref().is_none_or(str::is_empty)
        {
            return Err(format!(
                "store_container is required when store_type is {}",
                self.store_type
            ));
        }
        Ok(())
    }
}

/// Replaces runs outside `[A-Za-z0-9._=-]` with `_`, strips `.`, `_`, `/` at both ends, falls
/// back to `default`.
pub fn component(value: &str, default: &str) -> String {
    let text = value.trim();
    let text = if text.is_empty() { default } else { text };
    let mut out = String::with_capacity(text.len());
    let mut in_run = false;
    for c in text.chars() {
        if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '=' | '-') {
            out.push(c);
            in_run = false;
        } else if !in_run {
            out.push('_');
            in_run = true;
        }
    }
    let out = out.trim_matches(['.', '_', '/']);
    if out.is_empty() {
        default.to_string()
    } else {
        out.to_string()
    }
}

/// The last extension of an href's URL path (`.tif`, `.gz` of `.tar.gz`, or `""`), as Python's
/// `PurePosixPath(path).suffix`.
fn suffix(href: Option<&str>) -> String {
    let Some(href) = href else {
        return String::new();
    };
    let path = url_path(href);
    let name = path.rsplit('/').next().unwrap_or("");
    match name.rfind('.') {
        Some(i) if i > 0 && i + 1 < name.len() => name[i..].to_string(),
        _ => String::new(),
    }
}

/// The destination path of a row under a layout.
pub fn target_path(row: &LockRow, layout: Layout) -> String {
    let href = row.href();
    if layout == Layout::SourceKey {
        if let Some(key) = row.key.as_deref().filter(|k| !k.is_empty()) {
            return key.trim_start_matches('/').to_string();
        }
        if let Some(h) = &href {
            let path = url_path(h);
            let path = path.trim_start_matches('/');
            if !path.is_empty() {
                return path.to_string();
            }
        }
    }
    let item = component(&row.item_id, "item");
    let mut asset = component(&row.asset_key, "asset");
    let suffix = suffix(href.as_deref());
    if !suffix.is_empty() && !asset.ends_with(&suffix) {
        asset.push_str(&suffix);
    }
    format!("{item}/{asset}")
}

/// Whether an href is at or below a prefix (trailing `/` of the prefix ignored).
pub fn matches_prefix(href: Option<&str>, prefix: Option<&str>) -> bool {
    let Some(prefix) = prefix else {
        return true;
    };
    let Some(href) = href.filter(|h| !h.is_empty()) else {
        return false;
    };
    let prefix = prefix.trim_end_matches('/');
    href == prefix || href.starts_with(&format!("{prefix}/"))
}

/// Two different source objects planned onto one destination.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Collision {
    /// The destination href.
    pub destination: String,
    /// The first row mapped there.
    pub first: String,
    /// The second row mapped there.
    pub second: String,
}

/// Plans destination rows; returns them (input order) and the number of mapped rows.
pub fn plan(
    rows: &[LockRow],
    target: &TargetSpec,
    source_prefix: Option<&str>,
    layout: Layout,
) -> Result<(Vec<LockRow>, usize)> {
    let mut out = Vec::with_capacity(rows.len());
    let mut mapped = 0;
    let mut destinations = Destinations::new(OnClash::Refuse);
    for row in rows {
        let source_href = row.href();
        if !matches_prefix(source_href.as_deref(), source_prefix) {
            out.push(row.clone());
            continue;
        }
        let path = target_path(row, layout);
        let key = if target.key.is_empty() {
            path
        } else {
            format!(
                "{}/{}",
                target.key.trim_end_matches('/'),
                path.trim_start_matches('/')
            )
        };
        let mut planned = LockRow {
            item_id: row.item_id.clone(),
            asset_key: row.asset_key.clone(),
            store_type: Some(target.store_type.as_str().to_string()),
            store_container: target.store_container.clone(),
            store_endpoint_url: target.store_endpoint_url.clone(),
            key: Some(key),
            size_bytes: row.size_bytes,
            etag: None,
            last_modified: None,
        };
        planned.normalise();
        if let Some(destination) = planned.href() {
            destinations.claim(destination, &row.label(), source_href.as_deref())?;
        }
        out.push(planned);
        mapped += 1;
    }
    Ok((out, mapped))
}

/// One destination row after its copy.
#[derive(Debug, Clone)]
pub struct Relocated {
    /// The destination row: new facts after a copy, unchanged when passed through or failed.
    pub row: LockRow,
    /// What happened.
    pub status: RelocateStatus,
}

/// What happened to one destination row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RelocateStatus {
    /// Bytes copied.
    Copied,
    /// The same bytes were already there (`--no-overwrite`).
    AlreadyPresent,
    /// Nothing to copy: no source row, an empty location, or source = destination.
    PassedThrough,
    /// The copy failed; the row is as planned.
    Failed {
        /// Source href (redacted) → destination href (redacted).
        route: String,
        /// Why.
        error: String,
    },
}

/// Copies every destination row's object from its source; yields rows in destination order.
pub fn copy_rows(
    sources: &[LockRow],
    destinations: Vec<LockRow>,
    source_stores: Arc<Stores>,
    target_stores: Arc<Stores>,
    settings: CopySettings,
    workers: usize,
) -> impl Stream<Item = Relocated> {
    let mut index: HashMap<(String, String), LockRow> = HashMap::new();
    for row in sources {
        index.insert((row.item_id.clone(), row.asset_key.clone()), row.clone());
    }
    let index = Arc::new(index);
    let budget = CopyBudget::new(&settings);
    let workers = settings.effective_workers(workers);
    futures::stream::iter(destinations)
        .map(move |row| {
            let index = index.clone();
            let source_stores = source_stores.clone();
            let target_stores = target_stores.clone();
            let budget = budget.clone();
            async move {
                let source = index.get(&(row.item_id.clone(), row.asset_key.clone()));
                copy_one(
                    source,
                    row,
                    &source_stores,
                    &target_stores,
                    &settings,
                    &budget,
                )
                .await
            }
        })
        .buffered(workers)
}

async fn copy_one(
    source: Option<&LockRow>,
    mut row: LockRow,
    source_stores: &Stores,
    target_stores: &Stores,
    settings: &CopySettings,
    budget: &CopyBudget,
) -> Relocated {
    let pass = |row: LockRow| Relocated {
        row,
        status: RelocateStatus::PassedThrough,
    };
    let Some(source) = source else {
        return pass(row);
    };
    let (Some(source_href), Some(target_href)) = (source.href(), row.href()) else {
        return pass(row);
    };
    if source_href == target_href && source.store_endpoint_url == row.store_endpoint_url {
        return pass(row);
    }
    let route = format!(
        "{} -> {}",
        crate::store::location::redact(&source_href),
        crate::store::location::redact(&target_href)
    );
    let fail = |row: LockRow, error: String| Relocated {
        row,
        status: RelocateStatus::Failed {
            route: route.clone(),
            error,
        },
    };
    let (source_location, target_location) = match (row_location(source), row_location(&row)) {
        (Ok(s), Ok(t)) => (s, t),
        (Err(e), _) | (_, Err(e)) => return fail(row, e),
    };
    let objects = source_stores
        .object(&source_location)
        .and_then(|s| Ok((s, target_stores.object(&target_location)?)));
    let (source_object, target_object) = match objects {
        Ok(pair) => pair,
        Err(e) => return fail(row, e.to_string()),
    };
    let _source_permit = source_stores.host_permit(&source_location).await;
    let _target_permit = target_stores.host_permit(&target_location).await;
    match copy_object(
        &source_object,
        &target_object,
        source.size_bytes,
        settings,
        budget,
    )
    .await
    {
        Ok(outcome) => {
            let facts = outcome.facts().clone();
            row.size_bytes = Some(facts.size_bytes);
            row.etag = facts.etag;
            row.last_modified = facts.last_modified;
            let status = match outcome {
                CopyOutcome::Copied(_) => RelocateStatus::Copied,
                CopyOutcome::AlreadyIdentical(_) => RelocateStatus::AlreadyPresent,
            };
            Relocated { row, status }
        }
        Err(e) => fail(row, e.to_string()),
    }
}

/// The href of a planned row (for messages).
pub fn describe(row: &LockRow) -> String {
    href_from_parts(
        row.store_type(),
        row.store_container.as_deref(),
        row.key.as_deref(),
    )
    .map_or_else(
        || "(no location)".into(),
        |h| crate::store::location::redact(&h),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    fn row(item: &str, asset: &str, t: &str, c: Option<&str>, key: &str) -> LockRow {
        LockRow {
            item_id: item.into(),
            asset_key: asset.into(),
            store_type: Some(t.into()),
            store_container: c.map(str::to_string),
            key: Some(key.into()),
            size_bytes: Some(12),
            etag: Some("\"e\"".into()),
            last_modified: Some("2026-01-01T00:00:00+00:00".into()),
            ..Default::default()
        }
    }

    #[rstest]
    #[case("it em/1", "item", "it_em_1")]
    #[case("..", "item", "item")]
    #[case("", "asset", "asset")]
    #[case("a=b.c-d", "x", "a=b.c-d")]
    fn components(#[case] input: &str, #[case] default: &str, #[case] expected: &str) {
        assert_eq!(component(input, default), expected);
    }

    #[test]
    fn layouts_follow_the_python_examples() {
        let file = row("item-1", "data", "file", None, "/data/local/data.bin");
        let http = row(
            "item-1",
            "thumbnail",
            "http",
            Some("http://127.0.0.1:18765"),
            "a/thumb.png",
        );
        assert_eq!(target_path(&file, Layout::ItemAsset), "item-1/data.bin");
        assert_eq!(
            target_path(&http, Layout::ItemAsset),
            "item-1/thumbnail.png"
        );
        assert_eq!(target_path(&http, Layout::SourceKey), "a/thumb.png");
        assert_eq!(target_path(&file, Layout::SourceKey), "data/local/data.bin");
        let thumb = row("x", "thumb.png", "s3", Some("b"), "t/thumb.png");
        assert_eq!(target_path(&thumb, Layout::ItemAsset), "x/thumb.png");
        let gz = row("x", "k", "s3", Some("b"), "a.tar.gz");
        assert_eq!(target_path(&gz, Layout::ItemAsset), "x/k.gz");
    }

    #[test]
    fn tutorial_dry_run_maps_https_to_s3() {
        let source = row(
            "631ee6653cdf1c0006b63c5b",
            "thumbnail",
            "https",
            Some("https://oin-hotosm-temp.s3.amazonaws.com"),
            "631ee60c3cdf1c0006b63c56/0/631ee60c3cdf1c0006b63c57.png",
        );
        let target = TargetSpec {
            store_type: StoreType::S3,
            store_container: Some("oin-hotosm-temp".into()),
            store_endpoint_url: Some("https://s3.amazonaws.com".into()),
            key: String::new(),
        };
        let (rows, mapped) = plan(
            &[source],
            &target,
            Some("https://oin-hotosm-temp.s3.amazonaws.com/"),
            Layout::SourceKey,
        )
        .unwrap();
        assert_eq!(mapped, 1);
        assert_eq!(
            rows[0].href().unwrap(),
            "s3://oin-hotosm-temp/631ee60c3cdf1c0006b63c56/0/631ee60c3cdf1c0006b63c57.png"
        );
        assert_eq!(rows[0].size_bytes, Some(12));
        assert_eq!(
            (rows[0].etag.clone(), rows[0].last_modified.clone()),
            (None, None)
        );
        assert_eq!(
            rows[0].store_endpoint_url.as_deref(),
            Some("https://s3.amazonaws.com")
        );
    }

    #[test]
    fn unmatched_rows_pass_unchanged_and_collisions_are_caught() {
        let a = row("it em", "data", "s3", Some("src"), "a.tif");
        let b = row("it_em", "data", "s3", Some("src"), "b.tif");
        let other = row("x", "data", "s3", Some("elsewhere"), "c.tif");
        let target = TargetSpec {
            store_type: StoreType::File,
            store_container: None,
            store_endpoint_url: None,
            key: "/reloc".into(),
        };
        let (rows, mapped) = plan(
            &[a.clone(), other.clone()],
            &target,
            Some("s3://src"),
            Layout::ItemAsset,
        )
        .unwrap();
        assert_eq!(mapped, 1);
        assert_eq!(rows[0].key.as_deref(), Some("/reloc/it_em/data.tif"));
        assert_eq!(rows[1], other);
        let err = plan(&[a, b], &target, None, Layout::ItemAsset)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("it em/data and it_em/data both map to file:///reloc/it_em/data.tif"),
            "{err}"
        );
    }
}
