//! The items table's columns: what a cell shows ([`Source`]), which columns an operator sees
//! first and in what order ([`arrange`]), and how wide they are drawn ([`Profile`], [`fit`]).
//!
//! Widths come from a sample of the load (its first [`SAMPLE_ROWS`] rows, measured again when
//! the schema grows), never from the rows on screen, so scrolling does not move the columns.
//! Each column has a natural width (its widest sampled cell, capped) and a minimum; when the
//! terminal is too narrow the other columns shrink to their minimum first, columns past the
//! edge are scrolled to, and the id shrinks last. A cell wider than its column is clipped with
//! `…` ([`clip`](crate::tui::widgets::cell::clip)).

use std::collections::{HashMap, HashSet};
use std::path::Path;

use arrow_array::cast::AsArray;
use arrow_array::{Array, RecordBatch};
use arrow_schema::DataType;

use super::layout::SavedColumn;
use crate::tui::panes::search::form::is_url;
use crate::tui::widgets::cell::{display_width, table_cell};

/// The derived column listing the keys of a row's `assets` in schema order (`thumbnail,visual`).
pub const ASSET_KEYS: &str = "asset keys";
/// Rows of a load that column widths and default columns are computed from.
pub const SAMPLE_ROWS: usize = 256;
/// The columns an operator reads first, in order (after the frozen id); the rest are hidden.
/// `start_datetime` is shown when `datetime` is null in the whole sample, `collection` only
/// when it varies in the sample.
pub const DEFAULT_COLUMNS: [&str; 7] = [
    "title",
    "datetime",
    "start_datetime",
    "collection",
    ASSET_KEYS,
    "gsd",
    "platform",
];
/// Widest the id is drawn (Sentinel-2, Landsat and Maxar ids are up to ~60 characters).
pub const ID_MAX_WIDTH: usize = 64;
/// Narrowest the id is shrunk to in a narrow terminal.
pub const ID_MIN_WIDTH: usize = 12;
/// Widest another column is drawn.
pub const MAX_COLUMN_WIDTH: usize = 40;
/// Narrowest a text column is shrunk to (numbers and times are never shrunk).
pub const MIN_COLUMN_WIDTH: usize = 12;

/// A column as one batch holds it.
#[derive(Debug, Clone, Copy)]
pub enum Source<'a> {
    /// A schema field, shown as its cell text.
    Plain(&'a dyn Array),
    /// `datetime`, falling back to `start_datetime` where it is null.
    Datetime {
        /// The datetime column.
        datetime: &'a dyn Array,
        /// The start_datetime column.
        start: &'a dyn Array,
    },
    /// The keys of `assets`.
    AssetKeys(&'a dyn Array),
}

impl<'a> Source<'a> {
    /// The column `name` of `batch` (none if this batch lacks it).
    pub fn of(batch: &'a RecordBatch, name: &str) -> Option<Source<'a>> {
        let field = |n: &str| batch.column_by_name(n).map(|c| c.as_ref());
        match name {
            ASSET_KEYS => field("assets").map(Source::AssetKeys),
            "datetime" => {
                let datetime = field("datetime")?;
                Some(match field("start_datetime") {
                    Some(start) => Source::Datetime { datetime, start },
                    None => Source::Plain(datetime),
                })
            }
            _ => field(name).map(Source::Plain),
        }
    }

    /// The text a cell shows.
    pub fn text(&self, row: usize) -> String {
        match *self {
            Source::Plain(a) => table_cell(a, row),
            Source::Datetime { datetime, start } => {
                if datetime.is_null(row) {
                    table_cell(start, row)
                } else {
                    table_cell(datetime, row)
                }
            }
            Source::AssetKeys(a) => asset_keys(a, row),
        }
    }

    /// Whether the cell shows a fallback (`start_datetime` in the datetime column).
    pub fn is_fallback(&self, row: usize) -> bool {
        matches!(self, Source::Datetime { datetime, start } if datetime.is_null(row) && !start.is_null(row))
    }

    /// The array a row's sort key is read from (none: sort by the text).
    pub fn sort_array(&self, row: usize) -> Option<&'a dyn Array> {
        match *self {
            Source::Plain(a) => Some(a),
            Source::Datetime { datetime, start } => Some(if datetime.is_null(row) {
                start
            } else {
                datetime
            }),
            Source::AssetKeys(_) => None,
        }
    }

    /// Whether clipping would misread it (numbers and times keep their width).
    fn is_numeric(&self) -> bool {
        match self {
            Source::Plain(a) => {
                let dt = a.data_type();
                dt.is_numeric() || dt.is_temporal()
            }
            Source::Datetime { .. } => true,
            Source::AssetKeys(_) => false,
        }
    }
}

/// The keys of a row's `assets`, comma-separated: the non-null children of the struct (or the
/// keys of the JSON object, if the column fell back to text).
fn asset_keys(array: &dyn Array, row: usize) -> String {
    if array.is_null(row) {
        return String::new();
    }
    match array.data_type() {
        DataType::Struct(fields) => {
            let s = array.as_struct();
            fields
                .iter()
                .zip(s.columns())
                .filter(|(_, c)| c.is_valid(row))
                .map(|(f, _)| f.name().as_str())
                .collect::<Vec<_>>()
                .join(",")
        }
        DataType::Utf8 | DataType::LargeUtf8 => {
            match serde_json::from_str::<serde_json::Value>(&table_cell(array, row)) {
                Ok(serde_json::Value::Object(map)) => {
                    map.keys().map(String::as_str).collect::<Vec<_>>().join(",")
                }
                _ => table_cell(array, row),
            }
        }
        _ => table_cell(array, row),
    }
}

/// The column names of a schema after the frozen id, with the derived ones (the asset keys
/// just before `assets`).
pub fn column_names<'a>(fields: impl Iterator<Item = &'a str>) -> Vec<String> {
    let mut names = Vec::new();
    for name in fields.filter(|n| *n != "id") {
        if name == "assets" {
            names.push(ASSET_KEYS.to_string());
        }
        names.push(name.to_string());
    }
    names
}

/// A table column other than the frozen id (a schema field, or a derived one such as
/// [`ASSET_KEYS`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    /// The column name.
    pub name: String,
    /// Whether it is drawn.
    pub is_visible: bool,
}

/// How wide a column is drawn: its natural width and how far it may shrink.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ColumnWidth {
    /// The widest sampled cell or the header (with room for the sort arrow), capped.
    pub natural: usize,
    /// The narrowest it is drawn before it is scrolled off instead.
    pub min: usize,
}

/// What a column's sampled rows measured.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Measure {
    /// Batches looked at.
    batches: usize,
    /// Rows measured (of batches holding the column).
    rows: usize,
    /// The widest cell.
    widest: usize,
    /// Whether it holds numbers or times.
    is_numeric: bool,
}

/// What the first rows of a load tell: column widths and the default columns' conditions.
///
/// Each column is measured on its own first [`SAMPLE_ROWS`] rows (of the batches that hold
/// it, so a property first seen on page 7 is measured from there), batch by batch as they
/// arrive; after that its width is fixed for the load.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Profile {
    /// Rows of the load sampled for the default columns' conditions.
    pub rows: usize,
    /// Batches sampled for them.
    batches: usize,
    /// By column name (the id as `id`).
    measures: HashMap<String, Measure>,
    /// Collections seen in the sample (two are enough to tell).
    collections: HashSet<String>,
    /// Whether a sampled row has a datetime.
    has_datetime: bool,
}

impl Profile {
    /// Measures what `batches` added since the last call, for the id and `names`; `true` if
    /// the default columns' conditions may have changed.
    pub fn update(&mut self, batches: &[RecordBatch], names: &[String]) -> bool {
        for name in std::iter::once("id").chain(names.iter().map(String::as_str)) {
            let m = self.measures.entry(name.to_string()).or_default();
            for batch in &batches[m.batches.min(batches.len())..] {
                if m.rows >= SAMPLE_ROWS {
                    break;
                }
                let Some(source) = Source::of(batch, name) else {
                    continue;
                };
                let take = batch.num_rows().min(SAMPLE_ROWS - m.rows);
                m.is_numeric |= source.is_numeric();
                let widest = (0..take)
                    .map(|r| display_width(&source.text(r)))
                    .max()
                    .unwrap_or(0);
                m.widest = m.widest.max(widest);
                m.rows += take;
            }
            m.batches = batches.len();
        }
        let was = self.rows;
        for batch in &batches[self.batches.min(batches.len())..] {
            let take = batch.num_rows().min(SAMPLE_ROWS - self.rows);
            if take == 0 {
                break;
            }
            if let Some(c) = batch.column_by_name("collection") {
                for r in (0..take).filter(|r| c.is_valid(*r)) {
                    if self.collections.len() < 2 {
                        self.collections.insert(table_cell(c, r));
                    }
                }
            }
            if let Some(d) = batch.column_by_name("datetime") {
                self.has_datetime |= (0..take).any(|r| d.is_valid(r));
            }
            self.rows += take;
        }
        self.batches = batches.len();
        self.rows != was
    }

    /// Whether the sample holds more than one collection.
    pub fn collection_varies(&self) -> bool {
        self.collections.len() > 1
    }

    /// Whether `datetime` is null (or missing) in every sampled row.
    pub fn datetime_all_null(&self) -> bool {
        !self.has_datetime
    }

    /// The width of a column (its header's if nothing was sampled): natural width is the
    /// widest sampled cell or the header with room for the sort arrow, capped; text columns
    /// may shrink to [`MIN_COLUMN_WIDTH`], the id to [`ID_MIN_WIDTH`], numbers and times not.
    pub fn width(&self, name: &str) -> ColumnWidth {
        let m = self.measures.get(name).copied().unwrap_or_default();
        let header = display_width(name) + 1;
        if name == "id" {
            let natural = header.max(m.widest).clamp(4, ID_MAX_WIDTH);
            return ColumnWidth {
                natural,
                min: natural.min(ID_MIN_WIDTH),
            };
        }
        let natural = header.max(m.widest).min(MAX_COLUMN_WIDTH);
        let min = if m.is_numeric {
            m.widest.max(header - 1).min(natural)
        } else {
            natural.min(MIN_COLUMN_WIDTH)
        };
        ColumnWidth { natural, min }
    }
}

/// Whether a column is shown when the user has not said.
pub fn default_visible(name: &str, names: &[String], profile: &Profile) -> bool {
    let has = |n: &str| names.iter().any(|x| x == n);
    let start_instead = profile.rows > 0 && profile.datetime_all_null() && has("start_datetime");
    match name {
        "datetime" => !start_instead,
        "start_datetime" => start_instead,
        "collection" => profile.collection_varies(),
        n => DEFAULT_COLUMNS.contains(&n),
    }
}

/// The columns in the order and visibility shown: the saved layout's columns first (as
/// saved), then the others in the default order ([`DEFAULT_COLUMNS`], then schema order),
/// shown by default only if they are default columns.
pub fn arrange(names: &[String], profile: &Profile, saved: Option<&[SavedColumn]>) -> Vec<Column> {
    let mut out: Vec<Column> = Vec::with_capacity(names.len());
    for s in saved.unwrap_or_default() {
        if names.contains(&s.name) && !out.iter().any(|c| c.name == s.name) {
            out.push(Column {
                name: s.name.clone(),
                is_visible: s.visible,
            });
        }
    }
    let rank = |n: &str| DEFAULT_COLUMNS.iter().position(|d| *d == n);
    let mut rest: Vec<&String> = names
        .iter()
        .filter(|n| !out.iter().any(|c| &c.name == *n))
        .collect();
    // Stable: default columns by their rank, then the others in schema order.
    rest.sort_by_key(|n| rank(n).unwrap_or(DEFAULT_COLUMNS.len()));
    out.extend(rest.into_iter().map(|n| Column {
        name: n.clone(),
        is_visible: default_visible(n, names, profile),
    }));
    out
}

/// The layout kind a source's columns are remembered under: `stac-api`, or the file's
/// extension (`ndjson`, `parquet`, …; `file` without one).
pub fn source_kind(source: &str) -> String {
    if is_url(source) {
        return "stac-api".to_string();
    }
    Path::new(source.trim())
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .filter(|e| !e.is_empty())
        .unwrap_or_else(|| "file".to_string())
}

/// The drawn widths of a table `width` cells wide.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fit {
    /// The id's width.
    pub id: usize,
    /// The drawn columns: (index among the visible columns, width).
    pub shown: Vec<(usize, usize)>,
}

/// Fits the id and the visible `columns` into a table `width` cells wide, with the column
/// `cursor` drawn. The table is a mark cell, the id and the columns, one cell apart.
///
/// Columns start at their minimum (the id at its natural width); those left of the cursor
/// scroll off until the cursor's column fits, columns after it are drawn while they fit, and
/// the room left grows the drawn columns evenly towards their natural widths. Only when the
/// cursor's column would not fit at its minimum does the id shrink (to [`ID_MIN_WIDTH`]).
pub fn fit(width: usize, id: ColumnWidth, columns: &[ColumnWidth], cursor: usize) -> Fit {
    let avail = width.saturating_sub(2);
    if columns.is_empty() {
        return Fit {
            id: id.natural.min(avail),
            shown: vec![],
        };
    }
    let cursor = cursor.min(columns.len() - 1);
    let needed = columns[cursor].min + 1;
    let id_w = if id.natural + needed <= avail {
        id.natural
    } else {
        avail
            .saturating_sub(needed)
            .max(id.min.min(avail))
            .min(id.natural)
    };
    let room = avail - id_w;
    let cost = |c: &ColumnWidth| c.min + 1;
    let mut start = 0;
    while start < cursor && columns[start..=cursor].iter().map(cost).sum::<usize>() > room {
        start += 1;
    }
    let mut shown: Vec<(usize, usize)> = Vec::new();
    let mut used = 0;
    for (i, c) in columns.iter().enumerate().skip(start) {
        if used + cost(c) > room {
            if shown.is_empty() {
                shown.push((i, room.saturating_sub(1)));
                used = room;
            }
            break;
        }
        used += cost(c);
        shown.push((i, c.min));
    }
    let mut extra = room - used;
    while extra > 0 {
        let mut grew = false;
        for (i, w) in &mut shown {
            if extra > 0 && *w < columns[*i].natural {
                *w += 1;
                extra -= 1;
                grew = true;
            }
        }
        if !grew {
            break;
        }
    }
    Fit { id: id_w, shown }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stac::read::{NdjsonItems, ReadOptions};

    fn w(natural: usize, min: usize) -> ColumnWidth {
        ColumnWidth { natural, min }
    }

    fn batches(lines: &[&str]) -> Vec<RecordBatch> {
        let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
        let options = ReadOptions {
            batch_size: 2,
            ..ReadOptions::default()
        };
        NdjsonItems::scan(std::io::Cursor::new(text), "t", options)
            .unwrap()
            .collect::<Result<Vec<_>, _>>()
            .unwrap()
    }

    fn item(id: &str, collection: &str, props: &str, assets: &str) -> String {
        format!(
            r#"{{"type":"Feature","stac_version":"1.0.0","id":"{id}","collection":"{collection}","geometry":{{"type":"Point","coordinates":[1.0,2.0]}},"properties":{{{props}}},"links":[],"assets":{{{assets}}}}}"#
        )
    }

    #[test]
    fn widths_come_from_the_sample_and_are_capped() {
        let long = "S2B_MSIL2A_20230615T101559_N0509_R065_T32TQM_20230615T131829";
        let lines = [
            item(
                long,
                "sentinel-2-l2a",
                r#""datetime":"2023-06-15T10:15:59Z","title":"a","gsd":10"#,
                r#""visual":{"href":"v.tif"},"thumbnail":{"href":"t.png"}"#,
            ),
            item(
                "short",
                "sentinel-2-l2a",
                r#""datetime":null,"start_datetime":"2023-06-15T10:00:00Z","title":"a title far longer than any column is drawn, really","gsd":10"#,
                r#""visual":{"href":"v.tif"}"#,
            ),
        ];
        let lines: Vec<&str> = lines.iter().map(String::as_str).collect();
        let b = batches(&lines);
        let names = column_names(b[0].schema().fields().iter().map(|f| f.name().as_str()));
        let mut p = Profile::default();
        assert!(p.update(&b, &names));
        assert_eq!(p.rows, 2);
        assert_eq!(p.width("id"), w(60, ID_MIN_WIDTH));
        assert_eq!(p.width("title"), w(MAX_COLUMN_WIDTH, MIN_COLUMN_WIDTH));
        // Times and numbers never shrink; the header counts (with room for the sort arrow).
        assert_eq!(p.width("datetime"), w(20, 20));
        assert_eq!(p.width("gsd"), w(4, 3));
        assert_eq!(p.width(ASSET_KEYS), w(16, MIN_COLUMN_WIDTH));
        assert!(!p.collection_varies());
        assert!(!p.datetime_all_null());
        // The derived columns' text: asset keys, and start_datetime where datetime is null.
        let s = Source::of(&b[0], ASSET_KEYS).unwrap();
        assert_eq!(s.text(0), "thumbnail,visual");
        assert_eq!(s.text(1), "visual");
        let d = Source::of(&b[0], "datetime").unwrap();
        assert_eq!(d.text(1), "2023-06-15T10:00:00Z");
        assert!(d.is_fallback(1) && !d.is_fallback(0));
        // Measured once: the same batches again change nothing; a column first seen later
        // is measured from the batches that hold it.
        let before = p.clone();
        assert!(!p.update(&b, &names));
        assert_eq!(p, before);
        let mut more = names.clone();
        more.push("later".into());
        p.update(&b, &more);
        assert_eq!(p.width("later"), w(6, 6));
        assert_eq!(p.width("id"), w(60, ID_MIN_WIDTH));
    }

    #[test]
    fn default_columns_follow_the_sample() {
        let lines = [
            item(
                "a",
                "c1",
                r#""datetime":null,"start_datetime":"2023-01-01T00:00:00Z","title":"t","platform":"p","gsd":1,"license":"x""#,
                r#""visual":{"href":"v"}"#,
            ),
            item(
                "b",
                "c2",
                r#""datetime":null,"start_datetime":"2023-01-02T00:00:00Z","title":"t","platform":"p","gsd":1,"license":"x""#,
                r#""visual":{"href":"v"}"#,
            ),
        ];
        let lines: Vec<&str> = lines.iter().map(String::as_str).collect();
        let b = batches(&lines);
        let names = column_names(b[0].schema().fields().iter().map(|f| f.name().as_str()));
        let mut p = Profile::default();
        p.update(&b, &names);
        assert!(p.collection_varies() && p.datetime_all_null());
        let cols = arrange(&names, &p, None);
        let shown: Vec<&str> = cols
            .iter()
            .filter(|c| c.is_visible)
            .map(|c| c.name.as_str())
            .collect();
        assert_eq!(
            shown,
            [
                "title",
                "start_datetime",
                "collection",
                ASSET_KEYS,
                "gsd",
                "platform"
            ]
        );
        // Hidden ones stay in the chooser, after the defaults.
        assert!(cols.iter().any(|c| c.name == "license" && !c.is_visible));
        assert_eq!(cols[1].name, "datetime");
        // A saved layout wins for the columns it names; new columns follow with defaults.
        let saved = vec![
            SavedColumn {
                name: "license".into(),
                visible: true,
            },
            SavedColumn {
                name: "title".into(),
                visible: false,
            },
            SavedColumn {
                name: "gone".into(),
                visible: true,
            },
        ];
        let cols = arrange(&names, &p, Some(&saved));
        assert_eq!(
            (cols[0].name.as_str(), cols[0].is_visible),
            ("license", true)
        );
        assert_eq!(
            (cols[1].name.as_str(), cols[1].is_visible),
            ("title", false)
        );
        assert_eq!(cols[2].name, "datetime");
        assert!(!cols.iter().any(|c| c.name == "gone"));
    }

    #[test]
    fn fit_shrinks_other_columns_first_and_the_id_last() {
        let id = w(60, ID_MIN_WIDTH);
        let cols = [w(30, 12), w(20, 20), w(16, 12), w(6, 6)];
        // Wide: everything natural.
        let f = fit(200, id, &cols, 0);
        assert_eq!(f.id, 60);
        assert_eq!(f.shown, vec![(0, 30), (1, 20), (2, 16), (3, 6)]);
        // Narrower: the text columns shrink evenly, the id keeps its width.
        let f = fit(2 + 60 + 13 + 21 + 13 + 7 + 6, id, &cols, 0);
        assert_eq!(f.id, 60);
        assert_eq!(f.shown, vec![(0, 15), (1, 20), (2, 15), (3, 6)]);
        // Narrower still: columns at their minimum scroll off the right edge.
        let f = fit(2 + 60 + 13 + 21, id, &cols, 0);
        assert_eq!(f.shown, vec![(0, 12), (1, 20)]);
        // The selected column is always drawn: the ones before it scroll off.
        let f = fit(2 + 60 + 13 + 21, id, &cols, 3);
        assert_eq!(f.id, 60);
        assert_eq!(f.shown, vec![(2, 16), (3, 6)]);
        // Too narrow for the id and one column: the id shrinks, to its minimum at most.
        let f = fit(50, id, &cols, 0);
        assert_eq!((f.id, f.shown.clone()), (35, vec![(0, 12)]));
        let f = fit(20, id, &cols, 0);
        assert_eq!((f.id, f.shown.clone()), (12, vec![(0, 5)]));
        // No columns: the id takes what there is.
        assert_eq!(fit(40, id, &[], 0).id, 38);
    }

    #[test]
    fn sources_are_remembered_by_kind() {
        assert_eq!(
            source_kind("https://earth-search.aws.element84.com/v1"),
            "stac-api"
        );
        assert_eq!(source_kind("demo/items.NDJSON"), "ndjson");
        assert_eq!(source_kind("x.parquet"), "parquet");
        assert_eq!(source_kind("packages/p1"), "file");
    }
}
