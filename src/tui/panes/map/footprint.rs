//! An items batch read for the map: per row, the id, the footprint (the geometry's outline,
//! else the `bbox` column's rectangle) and the time range. Read once per batch as it
//! arrives; the map and the histogram only ever read these.

use arrow_array::cast::AsArray;
use arrow_array::{Array, RecordBatch};

use crate::search::local::{batch_extents, batch_time_ranges};
use crate::stac::wkb::wkb_outline;

/// Positions kept per ring or line: enough for a footprint's shape at any zoom a terminal
/// shows, and a bound on what one frame draws.
pub const MAX_POINTS: usize = 48;

/// Rings, lines and points, each a run of (lon, lat).
pub type Parts = Box<[Box<[(f64, f64)]>]>;

/// One item as the map sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct MapItem {
    /// The item id (the marks are by id).
    pub id: Box<str>,
    /// `[w, s, e, n]`, if the item has an extent.
    pub bbox: Option<[f64; 4]>,
    /// Rings, lines and points to draw (empty: draw the bbox).
    pub parts: Parts,
    /// `(start, end)` in UTC microseconds.
    pub time: Option<(i64, i64)>,
}

/// What reading a batch found.
#[derive(Debug, Default)]
pub struct ReadBatch {
    /// One per row.
    pub items: Vec<MapItem>,
    /// Rows whose geometry could not be read (they fall back to the bbox column).
    pub unreadable: usize,
    /// The first such error.
    pub first_error: Option<String>,
}

/// Reads a batch's ids, outlines and times.
pub fn read_batch(batch: &RecordBatch) -> ReadBatch {
    let rows = batch.num_rows();
    let ids = batch
        .column_by_name("id")
        .and_then(|c| c.as_string_opt::<i32>());
    let times = batch_time_ranges(batch).unwrap_or_else(|_| vec![None; rows]);
    let mut out = ReadBatch::default();
    let geometry = batch.column_by_name("geometry");
    let wkb = |row: usize| -> Option<&[u8]> {
        let g = geometry?;
        if g.is_null(row) {
            return None;
        }
        g.as_binary_opt::<i32>()
            .map(|a| a.value(row))
            .or_else(|| g.as_binary_opt::<i64>().map(|a| a.value(row)))
    };
    let mut missing = Vec::new();
    for (row, time) in times.into_iter().enumerate() {
        let id = ids.filter(|a| a.is_valid(row)).map_or("", |a| a.value(row));
        let outline = match wkb(row).map(|b| wkb_outline(b, MAX_POINTS)) {
            Some(Ok(o)) => o,
            Some(Err(e)) => {
                out.unreadable += 1;
                out.first_error
                    .get_or_insert_with(|| format!("item {id}: geometry: {e}"));
                None
            }
            None => None,
        };
        if outline.is_none() {
            missing.push(row);
        }
        let (bbox, parts) = match outline {
            Some(o) => (
                Some(o.bbox),
                o.parts.into_iter().map(Vec::into_boxed_slice).collect(),
            ),
            None => (None, Box::default()),
        };
        out.items.push(MapItem {
            id: id.into(),
            bbox,
            parts,
            time,
        });
    }
    if !missing.is_empty() {
        // The bbox column stands in for a missing or unreadable geometry.
        if let Ok(extents) = batch_extents(&bbox_only(batch)) {
            for row in missing {
                out.items[row].bbox = extents[row];
            }
        }
    }
    out
}

/// The batch without its geometry column, so extents come from `bbox` alone (the geometry
/// was already tried, and an unreadable one must not fail the rest).
fn bbox_only(batch: &RecordBatch) -> RecordBatch {
    match batch.schema().index_of("geometry") {
        Ok(i) => {
            let mut b = batch.clone();
            b.remove_column(i);
            b
        }
        Err(_) => batch.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stac::read::{NdjsonItems, ReadOptions};

    fn batch(lines: &[&str]) -> RecordBatch {
        let text = lines.join("\n");
        let reader =
            NdjsonItems::scan(std::io::Cursor::new(text), "t", ReadOptions::default()).unwrap();
        let batches: Vec<_> = reader.collect::<Result<_, _>>().unwrap();
        arrow_select::concat::concat_batches(&batches[0].schema(), &batches).unwrap()
    }

    #[test]
    fn outlines_bboxes_and_times() {
        let b = batch(&[
            r#"{"type":"Feature","stac_version":"1.0.0","id":"poly","geometry":{"type":"Polygon","coordinates":[[[10,45],[11,45],[11,46],[10,45]]]},"bbox":[10,45,11,46],"properties":{"datetime":"2024-01-02T00:00:00Z"},"links":[],"assets":{}}"#,
            r#"{"type":"Feature","stac_version":"1.0.0","id":"range","geometry":null,"bbox":[1,2,3,4],"properties":{"datetime":null,"start_datetime":"2020-01-01T00:00:00Z","end_datetime":"2020-02-01T00:00:00Z"},"links":[],"assets":{}}"#,
        ]);
        let read = read_batch(&b);
        assert_eq!(read.items.len(), 2);
        let poly = &read.items[0];
        assert_eq!(&*poly.id, "poly");
        assert_eq!(poly.bbox, Some([10.0, 45.0, 11.0, 46.0]));
        assert_eq!(poly.parts.len(), 1);
        let t = crate::stac::datetime::parse_rfc3339_micros("2024-01-02T00:00:00Z").unwrap();
        assert_eq!(poly.time, Some((t, t)));
        let range = &read.items[1];
        assert_eq!(range.bbox, Some([1.0, 2.0, 3.0, 4.0]));
        assert!(range.parts.is_empty());
        let (s, e) = range.time.unwrap();
        assert!(s < e);
        assert_eq!(read.unreadable, 0);
    }
}
