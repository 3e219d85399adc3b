//! Item filters: `--item-ids`, `--collections`, `--providers`.
//!
//! Values within one filter are ORed, different filters ANDed, matching exact and
//! case-sensitive, as in the Python tool. Unlike it, every command sees the same providers: the
//! names come from the `provider`, `oam:producer_name` and `providers` properties wherever the
//! filter runs — on JSON items before conversion ([`ItemFilter::matches_json`]) or on Arrow
//! columns ([`ItemFilter::mask`]); because our items schema holds the union of every item's
//! properties, both see the same values.

use std::collections::HashSet;

use arrow_array::cast::AsArray;
use arrow_array::{Array, BooleanArray, RecordBatch, StringArray};
use arrow_schema::DataType;
use serde_json::{Map, Value};

use crate::{Error, Result};

/// Properties that name an item's providers.
pub const PROVIDER_FIELDS: [&str; 3] = ["provider", "oam:producer_name", "providers"];

/// Which items to keep.
#[derive(Debug, Clone, Default)]
pub struct ItemFilter {
    /// Keep items with one of these ids.
    pub item_ids: HashSet<String>,
    /// Keep items in one of these collections.
    pub collections: HashSet<String>,
    /// Keep items with one of these provider names.
    pub providers: HashSet<String>,
}

impl ItemFilter {
    /// A filter from the three repeatable options.
    pub fn new(item_ids: &[String], collections: &[String], providers: &[String]) -> Self {
        Self {
            item_ids: item_ids.iter().cloned().collect(),
            collections: collections.iter().cloned().collect(),
            providers: providers.iter().cloned().collect(),
        }
    }

    /// Whether the filter keeps everything.
    pub fn is_empty(&self) -> bool {
        self.item_ids.is_empty() && self.collections.is_empty() && self.providers.is_empty()
    }

    /// Whether a JSON item passes.
    pub fn matches_json(&self, item: &Map<String, Value>) -> bool {
        if !json_member_in(item, "id", &self.item_ids)
            || !json_member_in(item, "collection", &self.collections)
        {
            return false;
        }
        if !self.providers.is_empty() {
            let props = item.get("properties").and_then(Value::as_object);
            let mut found = false;
            if let Some(props) = props {
                for field in PROVIDER_FIELDS {
                    json_provider_names(props.get(field), &mut |name| {
                        found |= self.providers.contains(name);
                    });
                }
            }
            return found;
        }
        true
    }

    /// The rows of `batch` that pass, or `None` when the filter keeps everything.
    pub fn mask(&self, batch: &RecordBatch) -> Result<Option<BooleanArray>> {
        if self.is_empty() {
            return Ok(None);
        }
        let rows = batch.num_rows();
        let mut keep = vec![true; rows];
        if !self.item_ids.is_empty() {
            and_string_column(batch, "id", &self.item_ids, &mut keep)?;
        }
        if !self.collections.is_empty() {
            and_string_column(batch, "collection", &self.collections, &mut keep)?;
        }
        if !self.providers.is_empty() {
            let mut any = vec![false; rows];
            for field in PROVIDER_FIELDS {
                if let Some(column) = batch.column_by_name(field) {
                    provider_matches(column.as_ref(), &self.providers, &mut any)?;
                }
            }
            for (k, a) in keep.iter_mut().zip(any) {
                *k &= a;
            }
        }
        Ok(Some(BooleanArray::from(keep)))
    }

    /// The rows of `batch` that pass.
    pub fn apply(&self, batch: RecordBatch) -> Result<RecordBatch> {
        match self.mask(&batch)? {
            None => Ok(batch),
            Some(mask) => arrow_select::filter::filter_record_batch(&batch, &mask)
                .map_err(|e| Error::arrow("filtering items", e)),
        }
    }
}

/// Whether the string member `key` of `item` is one of `wanted` (an empty set keeps all).
fn json_member_in(item: &Map<String, Value>, key: &str, wanted: &HashSet<String>) -> bool {
    wanted.is_empty()
        || item
            .get(key)
            .and_then(Value::as_str)
            .is_some_and(|v| wanted.contains(v))
}

/// Calls `f` with every provider name a JSON property value holds.
fn json_provider_names(value: Option<&Value>, f: &mut dyn FnMut(&str)) {
    match value {
        Some(Value::String(s)) => f(s),
        Some(Value::Array(entries)) => {
            for entry in entries {
                match entry {
                    Value::String(s) => f(s),
                    Value::Object(o) => {
                        if let Some(Value::String(name)) = o.get("name") {
                            f(name);
                        }
                    }
                    _ => {}
                }
            }
        }
        _ => {}
    }
}

fn as_utf8(column: &dyn Array, name: &str) -> Result<StringArray> {
    let cast = arrow_cast::cast(column, &DataType::Utf8)
        .map_err(|e| Error::arrow(format!("reading column `{name}` as text"), e))?;
    Ok(cast.as_string::<i32>().clone())
}

fn and_string_column(
    batch: &RecordBatch,
    name: &str,
    wanted: &HashSet<String>,
    keep: &mut [bool],
) -> Result<()> {
    let Some(column) = batch.column_by_name(name) else {
        keep.iter_mut().for_each(|k| *k = false);
        return Ok(());
    };
    let values = as_utf8(column.as_ref(), name)?;
    for (k, v) in keep.iter_mut().zip(values.iter()) {
        *k &= v.is_some_and(|v| wanted.contains(v));
    }
    Ok(())
}

/// Marks rows whose provider column holds a wanted name.
fn provider_matches(column: &dyn Array, wanted: &HashSet<String>, any: &mut [bool]) -> Result<()> {
    match column.data_type() {
        DataType::List(_) | DataType::LargeList(_) => {
            let list = arrow_cast::cast(
                column,
                &DataType::List(match column.data_type() {
                    DataType::List(f) | DataType::LargeList(f) => f.clone(),
                    _ => unreachable!("matched list types"),
                }),
            )
            .map_err(|e| Error::arrow("reading providers", e))?;
            let list = list.as_list::<i32>();
            for (row, hit) in any.iter_mut().enumerate() {
                if list.is_null(row) || *hit {
                    continue;
                }
                let entries = list.value(row);
                *hit = entries_match(entries.as_ref(), wanted)?;
            }
        }
        _ => {
            let values = as_utf8(column, "provider")?;
            for (hit, v) in any.iter_mut().zip(values.iter()) {
                *hit |= v.is_some_and(|v| name_matches(v, wanted));
            }
        }
    }
    Ok(())
}

/// Whether a list of provider entries (structs with `name`, or strings) holds a wanted name.
fn entries_match(entries: &dyn Array, wanted: &HashSet<String>) -> Result<bool> {
    if let Some(entries) = entries.as_struct_opt() {
        return match entries.column_by_name("name") {
            Some(names) => Ok(as_utf8(names.as_ref(), "providers.name")?
                .iter()
                .flatten()
                .any(|n| wanted.contains(n))),
            None => Ok(false),
        };
    }
    Ok(as_utf8(entries, "providers")?
        .iter()
        .flatten()
        .any(|n| name_matches(n, wanted)))
}

/// A text entry is a name, or — where mixed entries were stored as JSON text — an object.
fn name_matches(text: &str, wanted: &HashSet<String>) -> bool {
    if wanted.contains(text) {
        return true;
    }
    if text.starts_with('{') {
        if let Ok(Value::Object(o)) = serde_json::from_str::<Value>(text) {
            return o
                .get("name")
                .and_then(Value::as_str)
                .is_some_and(|n| wanted.contains(n));
        }
    }
    false
}
