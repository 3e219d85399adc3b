//! The filtered and sorted row order of the items table ([`compute_view`]): CPU work on every
//! row, so it runs in the task layer, never in `update`. The filter matches the text the table
//! shows and the sort follows it ([`Source`]: the asset keys, start_datetime standing in for a
//! null datetime).

use arrow_array::cast::AsArray;
use arrow_array::{Array, RecordBatch};
use arrow_schema::DataType;
use tokio_util::sync::CancellationToken;

use super::columns::Source;
use super::{RowRef, SortSpec, ViewSpec};
use crate::preview::cell_text;
use crate::search::local::batch_time_ranges;

/// A sort key: numbers (and times) compare as numbers, everything else as text; nulls last.
#[derive(Debug, Clone, PartialEq, PartialOrd)]
enum SortKey {
    Num(f64),
    Text(String),
    Null,
}

/// The numeric value of a cell, if its column is numeric or temporal.
fn numeric(array: &dyn Array, row: usize) -> Option<f64> {
    let dt = array.data_type();
    if !(dt.is_numeric() || dt.is_temporal()) {
        return None;
    }
    let one = arrow_cast::cast(&array.slice(row, 1), &DataType::Float64).ok()?;
    let one = arrow_cast::cast(&one, &DataType::Float64).ok()?;
    let f = one.as_primitive_opt::<arrow_array::types::Float64Type>()?;
    f.is_valid(0).then(|| f.value(0))
}

fn sort_key(array: &dyn Array, row: usize) -> SortKey {
    if array.is_null(row) {
        return SortKey::Null;
    }
    let array = match array.data_type() {
        DataType::Timestamp(..) | DataType::Date32 | DataType::Date64 => {
            match arrow_cast::cast(&array.slice(row, 1), &DataType::Int64) {
                Ok(a) => return numeric(a.as_ref(), 0).map_or(SortKey::Null, SortKey::Num),
                Err(_) => array,
            }
        }
        _ => array,
    };
    match numeric(array, row) {
        Some(v) => SortKey::Num(v),
        None => SortKey::Text(cell_text(array, row).to_lowercase()),
    }
}

/// The sort key of a derived column's text (empty: null).
fn text_key(text: &str) -> SortKey {
    if text.is_empty() {
        SortKey::Null
    } else {
        SortKey::Text(text.to_lowercase())
    }
}

/// The rows to show, in order, or `None` if cancelled part way.
pub fn compute_view(
    batches: &[RecordBatch],
    spec: &ViewSpec,
    cancel: &CancellationToken,
) -> Option<Vec<RowRef>> {
    let needle = spec.filter.trim().to_lowercase();
    let mut rows: Vec<(RowRef, SortKey)> = Vec::new();
    for (b, batch) in batches.iter().enumerate() {
        if cancel.is_cancelled() {
            return None;
        }
        let filter_cols: Vec<Source> = spec
            .filter_columns
            .iter()
            .filter_map(|n| Source::of(batch, n))
            .collect();
        let sort_col = spec
            .sort
            .as_ref()
            .and_then(|s| Source::of(batch, &s.column));
        let times = match spec.time_window {
            Some(_) => batch_time_ranges(batch).unwrap_or_else(|_| vec![None; batch.num_rows()]),
            None => Vec::new(),
        };
        for r in 0..batch.num_rows() {
            if let Some((w0, w1)) = spec.time_window {
                if !times
                    .get(r)
                    .copied()
                    .flatten()
                    .is_some_and(|(s, e)| s <= w1 && e >= w0)
                {
                    continue;
                }
            }
            if !needle.is_empty()
                && !filter_cols
                    .iter()
                    .any(|c| c.text(r).to_lowercase().contains(&needle))
            {
                continue;
            }
            let key = sort_col.map_or(SortKey::Null, |c| match c.sort_array(r) {
                Some(array) => sort_key(array, r),
                None => text_key(&c.text(r)),
            });
            rows.push((RowRef::new(b, r), key));
        }
    }
    if let Some(SortSpec { descending, .. }) = spec.sort {
        rows.sort_by(|(_, a), (_, b)| {
            let ord = match (a, b) {
                (SortKey::Null, SortKey::Null) => std::cmp::Ordering::Equal,
                (SortKey::Null, _) => return std::cmp::Ordering::Greater,
                (_, SortKey::Null) => return std::cmp::Ordering::Less,
                (a, b) => a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal),
            };
            if descending {
                ord.reverse()
            } else {
                ord
            }
        });
    }
    Some(rows.into_iter().map(|(r, _)| r).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stac::read::{NdjsonItems, ReadOptions};

    fn batches() -> Vec<RecordBatch> {
        let text = concat!(
            r#"{"type":"Feature","stac_version":"1.0.0","id":"b","geometry":{"type":"Point","coordinates":[1.0,2.0]},"bbox":[1.0,2.0,1.0,2.0],"properties":{"datetime":"2024-01-02T00:00:00Z","gsd":0.5,"title":"Beta"},"links":[],"assets":{}}"#,
            "\n",
            r#"{"type":"Feature","stac_version":"1.0.0","id":"a","geometry":{"type":"Point","coordinates":[3.0,4.0]},"bbox":[3.0,4.0,3.0,4.0],"properties":{"datetime":"2024-01-01T00:00:00Z","gsd":0.1,"title":"Alpha"},"links":[],"assets":{}}"#,
            "\n",
            r#"{"type":"Feature","stac_version":"1.0.0","id":"c","geometry":{"type":"Point","coordinates":[5.0,6.0]},"bbox":[5.0,6.0,5.0,6.0],"properties":{"datetime":"2024-01-03T00:00:00Z","title":"Gamma"},"links":[],"assets":{}}"#,
            "\n"
        );
        let reader =
            NdjsonItems::scan(std::io::Cursor::new(text), "t", ReadOptions::default()).unwrap();
        reader.collect::<Result<Vec<_>, _>>().unwrap()
    }

    fn ids(batches: &[RecordBatch], rows: &[RowRef]) -> Vec<String> {
        rows.iter()
            .map(|r| {
                let b = &batches[r.batch as usize];
                let i = b.schema().index_of("id").unwrap();
                cell_text(b.column(i).as_ref(), r.row as usize)
            })
            .collect()
    }

    #[test]
    fn sorts_numbers_as_numbers_with_nulls_last() {
        let b = batches();
        let spec = |descending| ViewSpec {
            filter: String::new(),
            filter_columns: vec![],
            sort: Some(SortSpec {
                column: "gsd".into(),
                descending,
            }),
            time_window: None,
        };
        let t = CancellationToken::new();
        assert_eq!(
            ids(&b, &compute_view(&b, &spec(false), &t).unwrap()),
            ["a", "b", "c"]
        );
        assert_eq!(
            ids(&b, &compute_view(&b, &spec(true), &t).unwrap()),
            ["b", "a", "c"]
        );
    }

    #[test]
    fn filters_case_insensitively_on_the_given_columns() {
        let b = batches();
        let spec = ViewSpec {
            filter: "GAM".into(),
            filter_columns: vec!["id".into(), "title".into()],
            sort: None,
            time_window: None,
        };
        let t = CancellationToken::new();
        assert_eq!(ids(&b, &compute_view(&b, &spec, &t).unwrap()), ["c"]);
        t.cancel();
        assert!(compute_view(&b, &spec, &t).is_none());
    }

    #[test]
    fn a_time_window_keeps_the_items_whose_time_overlaps_it() {
        let b = batches();
        let at = |s: &str| crate::stac::datetime::parse_rfc3339_micros(s).unwrap();
        let spec = ViewSpec {
            time_window: Some((at("2024-01-01T12:00:00Z"), at("2024-01-03T00:00:00Z"))),
            ..ViewSpec::default()
        };
        let t = CancellationToken::new();
        assert_eq!(ids(&b, &compute_view(&b, &spec, &t).unwrap()), ["b", "c"]);
    }
}
