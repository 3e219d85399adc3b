//! `items promote-alternate` and `items remove-alternate` (docs/COMPATIBILITY.md, "Promote and
//! remove alternates"): no lock involved, every asset of every item, batch by batch over the
//! `assets` struct column.
//!
//! Fix over the Python tool (same page, "Rough edges we fix: promote-alternate replace mode"):
//! `--mode replace` removes the promoted entry from `alternate` instead of leaving a copy of the
//! new primary there. An `alternate` object left with no entries is removed per row (null), and
//! from the type when no entry field remains.

use std::sync::Arc;

use arrow_array::{Array, ArrayRef, RecordBatch, StructArray};
use arrow_buffer::NullBuffer;
use arrow_schema::{Field, Fields, Schema};

use super::enrich::{parts, set_field, string_child, strings};
use crate::store::location::normalise_endpoint;
use crate::{Error, Result};

/// `promote-alternate --mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PromoteMode {
    /// The alternate becomes the primary; the old primary is dropped.
    Replace,
    /// The alternate and the primary swap places.
    Switch,
}

/// What to do to the alternates.
#[derive(Debug, Clone)]
pub enum AlternateOp {
    /// Promote `alternate.KEY` to the primary href.
    Promote {
        /// The alternate key.
        key: String,
        /// Replace or switch.
        mode: PromoteMode,
        /// Name given to the demoted original in switch mode when it has none.
        switched_name: String,
        /// Replace mode: remove the whole `alternate` object.
        drop_alternates: bool,
    },
    /// Remove `alternate.KEY`.
    Remove {
        /// The alternate key.
        key: String,
    },
}

/// Applies `op` to one items batch.
pub fn apply(batch: &RecordBatch, op: &AlternateOp) -> Result<RecordBatch> {
    let schema = batch.schema();
    let Ok(idx) = schema.index_of("assets") else {
        return Ok(batch.clone());
    };
    let Some(assets) = batch.column(idx).as_any().downcast_ref::<StructArray>() else {
        return Ok(batch.clone());
    };
    let (mut fields, mut children) = parts(assets);
    for (f, c) in fields.iter_mut().zip(children.iter_mut()) {
        if let Some(asset) = c.as_any().downcast_ref::<StructArray>() {
            let new = match op {
                AlternateOp::Remove { key } => remove(asset, key)?,
                AlternateOp::Promote { .. } => promote(asset, op)?,
            };
            *f = Field::new(f.name(), new.data_type().clone(), f.is_nullable());
            *c = Arc::new(new);
        }
    }
    let new_assets = StructArray::try_new(Fields::from(fields), children, assets.nulls().cloned())
        .map_err(|e| Error::arrow("rebuilding assets", e))?;
    let mut schema_fields: Vec<Field> =
        schema.fields().iter().map(|f| f.as_ref().clone()).collect();
    schema_fields[idx] = schema_fields[idx]
        .clone()
        .with_data_type(new_assets.data_type().clone());
    let mut columns = batch.columns().to_vec();
    columns[idx] = Arc::new(new_assets);
    let schema = Arc::new(Schema::new_with_metadata(
        schema_fields,
        schema.metadata().clone(),
    ));
    RecordBatch::try_new(schema, columns).map_err(|e| Error::arrow("rebuilding an items batch", e))
}

fn alternate_of(asset: &StructArray) -> Option<(usize, StructArray)> {
    let i = asset
        .fields()
        .iter()
        .position(|f| f.name() == "alternate")?;
    let alt = asset
        .column(i)
        .as_any()
        .downcast_ref::<StructArray>()?
        .clone();
    Some((i, alt))
}

/// Rebuilds `alternate` from its fields, null on rows where no entry remains; `None` when no
/// entry field remains at all.
fn rebuild_alternate(
    old: &StructArray,
    fields: Vec<Field>,
    children: Vec<ArrayRef>,
) -> Result<Option<StructArray>> {
    if fields.is_empty() {
        return Ok(None);
    }
    let valid: Vec<bool> = (0..old.len())
        .map(|r| old.is_valid(r) && children.iter().any(|c| c.is_valid(r)))
        .collect();
    StructArray::try_new(
        Fields::from(fields),
        children,
        Some(NullBuffer::from(valid)),
    )
    .map(Some)
    .map_err(|e| Error::arrow("rebuilding alternate", e))
}

fn put_alternate(
    asset: &StructArray,
    alt_idx: usize,
    alternate: Option<StructArray>,
) -> Result<StructArray> {
    let (mut fields, mut children) = parts(asset);
    match alternate {
        Some(a) => {
            fields[alt_idx] = Field::new("alternate", a.data_type().clone(), true);
            children[alt_idx] = Arc::new(a);
        }
        None => {
            fields.remove(alt_idx);
            children.remove(alt_idx);
        }
    }
    StructArray::try_new(Fields::from(fields), children, asset.nulls().cloned())
        .map_err(|e| Error::arrow("rebuilding an asset", e))
}

fn remove(asset: &StructArray, key: &str) -> Result<StructArray> {
    let Some((alt_idx, alt)) = alternate_of(asset) else {
        return Ok(asset.clone());
    };
    let (mut fields, mut children) = parts(&alt);
    let Some(k) = fields.iter().position(|f| f.name() == key) else {
        return Ok(asset.clone());
    };
    fields.remove(k);
    children.remove(k);
    put_alternate(asset, alt_idx, rebuild_alternate(&alt, fields, children)?)
}

/// The endpoint of an `s3://bucket/key` alternate, inferred from the http(s) original
/// (virtual-hosted `bucket.HOST/key` or path-style `HOST/bucket/key`).
fn infer_endpoint(alt_href: &str, original: &str) -> Option<String> {
    let rest = alt_href.strip_prefix("s3://")?;
    let (bucket, key) = rest.split_once('/')?;
    let url = url::Url::parse(original).ok()?;
    if !matches!(url.scheme(), "http" | "https") {
        return None;
    }
    let host = url.host_str()?;
    let port = url.port().map(|p| format!(":{p}")).unwrap_or_default();
    let path = url.path().trim_start_matches('/');
    if let Some(rest_host) = host.strip_prefix(&format!("{bucket}.")) {
        if path == key {
            return Some(format!("{}://{rest_host}{port}", url.scheme()));
        }
    }
    if path == format!("{bucket}/{key}") {
        return Some(format!("{}://{host}{port}", url.scheme()));
    }
    None
}

fn promote(asset: &StructArray, op: &AlternateOp) -> Result<StructArray> {
    let AlternateOp::Promote {
        key,
        mode,
        switched_name,
        drop_alternates,
    } = op
    else {
        unreachable!("promote called with {op:?}");
    };
    let Some((alt_idx, alt)) = alternate_of(asset) else {
        return Ok(asset.clone());
    };
    let Some(entry) = alt
        .column_by_name(key)
        .and_then(|c| c.as_any().downcast_ref::<StructArray>())
        .cloned()
    else {
        return Ok(asset.clone());
    };
    let rows = asset.len();
    let alt_href: Vec<Option<String>> = (0..rows)
        .map(|r| {
            if asset.is_null(r) || alt.is_null(r) {
                return None;
            }
            string_child(&entry, "href", r).filter(|h| !h.is_empty())
        })
        .collect();
    let promoted = |r: usize| alt_href[r].is_some();
    let orig_href: Vec<Option<String>> =
        (0..rows).map(|r| string_child(asset, "href", r)).collect();
    let orig_name: Vec<Option<String>> = (0..rows)
        .map(|r| string_child(asset, "alternate:name", r))
        .collect();
    let orig_ep: Vec<Option<String>> = (0..rows)
        .map(|r| string_child(asset, "store_endpoint_url", r).and_then(|e| normalise_endpoint(&e)))
        .collect();
    let (mut fields, mut children) = parts(asset);
    let new_href = strings((0..rows).map(|r| alt_href[r].clone().or_else(|| orig_href[r].clone())));
    let new_ep = strings((0..rows).map(|r| {
        match &alt_href[r] {
            Some(h) => string_child(&entry, "store_endpoint_url", r)
                .and_then(|e| normalise_endpoint(&e))
                .or_else(|| orig_href[r].as_deref().and_then(|o| infer_endpoint(h, o))),
            None => orig_ep[r].clone(),
        }
    }));
    let new_name = strings((0..rows).map(|r| {
        if promoted(r) {
            Some(string_child(&entry, "alternate:name", r).unwrap_or_else(|| key.clone()))
        } else {
            orig_name[r].clone()
        }
    }));
    set_field(&mut fields, &mut children, "href", new_href)?;
    set_field(&mut fields, &mut children, "store_endpoint_url", new_ep)?;
    set_field(&mut fields, &mut children, "alternate:name", new_name)?;
    let asset = StructArray::try_new(Fields::from(fields), children, asset.nulls().cloned())
        .map_err(|e| Error::arrow("rebuilding an asset", e))?;
    if *mode == PromoteMode::Replace && *drop_alternates {
        return put_alternate(&asset, alt_idx, None);
    }
    // The entry: the demoted original (switch), or nothing (replace), on promoted rows.
    let (mut e_fields, mut e_children) = parts(&entry);
    let keep = |name: &str, r: usize| string_child(&entry, name, r);
    let switch = *mode == PromoteMode::Switch;
    let demoted = |r: usize| switch && orig_href[r].as_deref().is_some_and(|h| !h.is_empty());
    let e_href = strings((0..rows).map(|r| {
        if promoted(r) {
            demoted(r).then(|| orig_href[r].clone()).flatten()
        } else {
            keep("href", r)
        }
    }));
    let e_ep = strings((0..rows).map(|r| {
        if promoted(r) {
            demoted(r).then(|| orig_ep[r].clone()).flatten()
        } else {
            keep("store_endpoint_url", r)
        }
    }));
    let e_name = strings((0..rows).map(|r| {
        if promoted(r) {
            demoted(r)
                .then(|| {
                    orig_name[r]
                        .clone()
                        .or_else(|| Some(switched_name.clone()).filter(|n| !n.is_empty()))
                })
                .flatten()
        } else {
            keep("alternate:name", r)
        }
    }));
    set_field(&mut e_fields, &mut e_children, "href", e_href)?;
    set_field(&mut e_fields, &mut e_children, "store_endpoint_url", e_ep)?;
    set_field(&mut e_fields, &mut e_children, "alternate:name", e_name)?;
    let e_valid: Vec<bool> = (0..rows)
        .map(|r| {
            if promoted(r) {
                demoted(r)
            } else {
                entry.is_valid(r)
            }
        })
        .collect();
    let entry = StructArray::try_new(
        Fields::from(e_fields),
        e_children,
        Some(NullBuffer::from(e_valid)),
    )
    .map_err(|e| Error::arrow("rebuilding the alternate entry", e))?;
    let (mut a_fields, mut a_children) = parts(&alt);
    let k = a_fields
        .iter()
        .position(|f| f.name() == key)
        .expect("entry present");
    a_fields[k] = Field::new(key, entry.data_type().clone(), true);
    a_children[k] = Arc::new(entry);
    let (_, alt_now) = alternate_of(&asset).expect("alternate present");
    put_alternate(
        &asset,
        alt_idx,
        rebuild_alternate(&alt_now, a_fields, a_children)?,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn infers_s3_endpoints() {
        let alt = "s3://bucket/path/x.tif";
        assert_eq!(
            infer_endpoint(alt, "https://bucket.s3.us-east-1.amazonaws.com/path/x.tif").as_deref(),
            Some("https://s3.us-east-1.amazonaws.com")
        );
        assert_eq!(
            infer_endpoint(alt, "http://127.0.0.1:9000/bucket/path/x.tif").as_deref(),
            Some("http://127.0.0.1:9000")
        );
        assert_eq!(
            infer_endpoint(alt, "https://cdn.example.com/other.tif"),
            None
        );
    }
}
