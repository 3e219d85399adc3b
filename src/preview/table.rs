//! The preview table: terminal width, the first-20-rows collector, column widths,
//! shrinking and clipping.
//!
//! Kept apart from the cell text so the layout rules (which users compare line by line
//! with the Python tool's output) can be read and tested on their own.

use std::collections::HashMap;
use std::fmt::Write as _;

use arrow_array::RecordBatch;
use arrow_schema::{Schema, SchemaRef};

use super::{cell_text, DEFAULT_WIDTH, MAX_CELL_WIDTH, MAX_ROWS};

/// Widest terminal that gets the Python tool's layout, cell for cell: its default width, so an
/// unknown width (which falls back to it) and narrow terminals look as they did. Wider
/// terminals get [`wide_layout`].
pub const PYTHON_LAYOUT_MAX_WIDTH: usize = DEFAULT_WIDTH;
/// Columns that name a row (items: `id`; asset locks: `item_id`, `asset_key`), never narrowed
/// in the wide layout.
const KEY_COLUMNS: [&str; 3] = ["id", "item_id", "asset_key"];
/// Narrowest a non-key column gets in the wide layout before columns are left out instead.
const WIDE_MIN_CELL_WIDTH: usize = 10;

/// Returns the terminal width: `COLUMNS`, else the terminal size, else 120.
pub fn terminal_width() -> usize {
    let columns = std::env::var("COLUMNS").ok();
    let term = crossterm::terminal::size().ok().map(|(cols, _)| cols);
    width_from(columns.as_deref(), term)
}

fn width_from(columns: Option<&str>, term: Option<u16>) -> usize {
    match columns.and_then(|c| c.trim().parse::<usize>().ok()) {
        Some(n) if n > 0 => n,
        _ => match term {
            Some(n) if n > 0 => usize::from(n),
            _ => DEFAULT_WIDTH,
        },
    }
}

/// Keeps the first 20 rows of a stream of batches and counts all rows.
#[derive(Debug, Clone)]
pub struct PreviewCollector {
    schema: SchemaRef,
    batches: Vec<RecordBatch>,
    kept: usize,
    total: usize,
}

impl PreviewCollector {
    /// Creates an empty collector for batches of `schema`.
    pub fn new(schema: SchemaRef) -> Self {
        Self {
            schema,
            batches: Vec::new(),
            kept: 0,
            total: 0,
        }
    }

    /// Counts the rows of `batch` and keeps the ones still needed for the preview.
    pub fn push(&mut self, batch: &RecordBatch) {
        let rows = batch.num_rows();
        self.total = self.total.saturating_add(rows);
        let take = rows.min(MAX_ROWS - self.kept);
        if take > 0 {
            self.batches.push(batch.slice(0, take));
            self.kept += take;
        }
    }

    /// Renders the preview for a terminal `width` columns wide.
    pub fn render(&self, width: usize) -> String {
        render_preview(&self.schema, &self.batches, self.total, width)
    }

    /// Number of rows pushed so far (or the value given to `set_total_rows`).
    pub fn total_rows(&self) -> usize {
        self.total
    }

    /// Overrides the total row count shown in the footer.
    pub fn set_total_rows(&mut self, n: usize) {
        self.total = n;
    }
}

/// Renders the preview of `batches` (all sharing `schema`) with `total_rows` in the footer, for a terminal `width` columns wide.
pub fn render_preview(
    schema: &Schema,
    batches: &[RecordBatch],
    total_rows: usize,
    width: usize,
) -> String {
    let ncols = schema.fields().len();
    if ncols == 0 {
        return format!("{total_rows} rows x 0 columns\n");
    }
    let headers: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
    // Python read cells through `to_pylist()` dicts, so a repeated name shows its last column.
    let last: HashMap<&str, usize> = headers.iter().enumerate().map(|(i, h)| (*h, i)).collect();
    let sources: Vec<usize> = (0..ncols)
        .map(|i| last.get(headers[i]).map_or(i, |&j| j))
        .collect();
    let mut rows: Vec<Vec<String>> = Vec::new();
    for batch in batches {
        for r in 0..batch.num_rows().min(MAX_ROWS - rows.len()) {
            let cell = |&c: &usize| batch.columns().get(c).map(|a| cell_text(a.as_ref(), r));
            rows.push(
                sources
                    .iter()
                    .map(|c| cell(c).unwrap_or_default())
                    .collect(),
            );
        }
    }
    let natural: Vec<usize> = (0..ncols)
        .map(|c| {
            let cells = rows.iter().map(|r| char_len(&r[c])).max().unwrap_or(0);
            char_len(headers[c]).max(cells).min(MAX_CELL_WIDTH)
        })
        .collect();
    let (shown, widths) = if width > PYTHON_LAYOUT_MAX_WIDTH {
        wide_layout(&headers, &natural, width)
    } else {
        let mut widths = natural;
        let available = width
            .max(20)
            .saturating_sub(ncols.saturating_sub(1).saturating_mul(3));
        shrink(&mut widths, available);
        ((0..ncols).collect(), widths)
    };
    let hidden = ncols - shown.len();
    let headers: Vec<&str> = shown.iter().map(|&c| headers[c]).collect();
    let rows: Vec<Vec<String>> = rows
        .into_iter()
        .map(|mut r| shown.iter().map(|&c| std::mem::take(&mut r[c])).collect())
        .collect();

    let line = |texts: &mut dyn Iterator<Item = &str>| -> String {
        texts
            .zip(&widths)
            .map(|(t, &w)| {
                let clipped = clip(t, w);
                let pad = w.saturating_sub(char_len(&clipped));
                clipped + &" ".repeat(pad)
            })
            .collect::<Vec<_>>()
            .join(" | ")
    };
    let mut lines = vec![line(&mut headers.iter().copied())];
    lines.push(
        widths
            .iter()
            .map(|&w| "-".repeat(w))
            .collect::<Vec<_>>()
            .join("-+-"),
    );
    for row in &rows {
        lines.push(line(&mut row.iter().map(String::as_str)));
    }
    let mut footer = format!("{total_rows} rows x {ncols} columns");
    if rows.len() < total_rows {
        let _ = write!(footer, " (showing first {})", rows.len());
    }
    if hidden > 0 {
        let _ = write!(footer, " ({hidden} columns not shown)");
    }
    lines.push(footer);
    lines.join("\n") + "\n"
}

/// The layout of a terminal wider than the Python tool's default: the columns that name a row
/// (`id`; `item_id`, `asset_key`) keep their whole text (up to 48 characters), the others
/// narrow only down to [`WIDE_MIN_CELL_WIDTH`], and columns that still do not fit are left
/// out from the right (the footer counts them). Returns the shown columns and their widths.
fn wide_layout(headers: &[&str], natural: &[usize], width: usize) -> (Vec<usize>, Vec<usize>) {
    let is_key = |c: usize| KEY_COLUMNS.contains(&headers[c]);
    let minimum = |c: usize| {
        if is_key(c) {
            natural[c]
        } else {
            natural[c].min(WIDE_MIN_CELL_WIDTH)
        }
    };
    let needed = |shown: &[usize]| -> usize {
        shown.iter().map(|&c| minimum(c)).sum::<usize>() + shown.len().saturating_sub(1) * 3
    };
    let mut shown: Vec<usize> = (0..natural.len()).collect();
    while needed(&shown) > width {
        let Some(pos) = shown.iter().rposition(|&c| !is_key(c)) else {
            break;
        };
        shown.remove(pos);
    }
    let mut widths: Vec<usize> = shown.iter().map(|&c| natural[c]).collect();
    let mut minimums: Vec<usize> = shown.iter().map(|&c| minimum(c)).collect();
    let available = width.saturating_sub(shown.len().saturating_sub(1) * 3);
    if minimums.iter().sum::<usize>() > available {
        // Only key columns are left and even they are too wide: the Python tool's minimums.
        minimums = widths.iter().map(|&w| w.min(4)).collect();
    }
    shrink_to(&mut widths, &minimums, available);
    (shown, widths)
}

/// Narrows the widest columns (relative to their minimum) until they fit `available`.
fn shrink(widths: &mut [usize], available: usize) {
    let minimums: Vec<usize> = widths.iter().map(|&w| w.min(4)).collect();
    shrink_to(widths, &minimums, available);
}

/// Narrows the columns with the most room above their minimum, one character at a time
/// (ties: the leftmost), until they fit `available` or all are at their minimum.
fn shrink_to(widths: &mut [usize], minimums: &[usize], available: usize) {
    let mut total: usize = widths.iter().sum();
    while total > available {
        let mut best: Option<(usize, usize)> = None;
        for (i, (&w, &m)) in widths.iter().zip(minimums).enumerate() {
            let slack = w - m;
            if slack > 0 && best.is_none_or(|(_, s)| slack > s) {
                best = Some((i, slack));
            }
        }
        let Some((i, _)) = best else { break };
        widths[i] -= 1;
        total -= 1;
    }
}

fn char_len(s: &str) -> usize {
    s.chars().count()
}

/// Clips `text` to `w` characters, ending with "..." when it is cut.
fn clip(text: &str, w: usize) -> String {
    if char_len(text) <= w {
        text.to_string()
    } else if w <= 3 {
        ".".repeat(w)
    } else {
        text.chars().take(w - 3).collect::<String>() + "..."
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::{ArrayRef, Int64Array, StringArray};
    use arrow_schema::{DataType, Field};
    use std::sync::Arc;

    fn batch(cols: Vec<(&str, ArrayRef)>) -> RecordBatch {
        RecordBatch::try_from_iter(cols).unwrap()
    }

    fn strings(v: &[&str]) -> ArrayRef {
        Arc::new(StringArray::from(v.to_vec()))
    }

    fn render(b: &RecordBatch, width: usize) -> String {
        render_preview(&b.schema(), std::slice::from_ref(b), b.num_rows(), width)
    }

    #[test]
    fn asset_lock_table_at_90_columns() {
        let etag = "\"22275a8e2b0f1c9d3e4f5a6b7c8d9e0f\"";
        let b = batch(vec![
            ("item_id", strings(&["item-1", "item-2", "item-3"])),
            ("asset_key", strings(&["data", "data", "data"])),
            ("store_type", strings(&["s3", "s3", "s3"])),
            ("store_container", strings(&["mybkt", "mybkt", "mybkt"])),
            ("store_endpoint_url", strings(&["http://127.0.0.1:9000"; 3])),
            (
                "key",
                strings(&[
                    "runs/2026/item-1/data.tif",
                    "runs/2026/item-2/data.tif",
                    "runs/2026/item-3/data.tif",
                ]),
            ),
            (
                "size_bytes",
                Arc::new(Int64Array::from(vec![1234, 5678, 91011])),
            ),
            ("etag", strings(&[etag; 3])),
            ("last_modified", strings(&["2026-01-02T03:04:05+00:00"; 3])),
        ]);
        let expected = "\
item_id | asse... | stor... | stor... | stor... | key     | size_... | etag     | last_...
--------+---------+---------+---------+---------+---------+----------+----------+---------
item-1  | data    | s3      | mybkt   | http... | runs... | 1234     | \"2227... | 2026-...
item-2  | data    | s3      | mybkt   | http... | runs... | 5678     | \"2227... | 2026-...
item-3  | data    | s3      | mybkt   | http... | runs... | 91011    | \"2227... | 2026-...
3 rows x 9 columns
";
        assert_eq!(render(&b, 90), expected);
    }

    #[test]
    fn repeated_name_shows_last_column_like_python() {
        let b = batch(vec![("c", strings(&["1"])), ("c", strings(&["a"]))]);
        assert_eq!(render(&b, 80), "c | c\n--+--\na | a\n1 rows x 2 columns\n");
    }

    #[test]
    fn zero_columns() {
        let schema = Schema::empty();
        assert_eq!(render_preview(&schema, &[], 7, 80), "7 rows x 0 columns\n");
    }

    #[test]
    fn more_than_twenty_rows_across_small_batches() {
        let schema = Arc::new(Schema::new(vec![Field::new("n", DataType::Int64, true)]));
        let mut collector = PreviewCollector::new(schema.clone());
        for start in (0..25).step_by(5) {
            let col: ArrayRef = Arc::new(Int64Array::from_iter_values(start..start + 5));
            collector.push(&RecordBatch::try_new(schema.clone(), vec![col]).unwrap());
        }
        assert_eq!(collector.total_rows(), 25);
        let out = collector.render(80);
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.len(), 2 + 20 + 1);
        assert_eq!(lines[2], "0 ");
        assert_eq!(lines[21], "19");
        assert_eq!(lines[22], "25 rows x 1 columns (showing first 20)");
        collector.set_total_rows(1000);
        assert!(collector
            .render(80)
            .ends_with("1000 rows x 1 columns (showing first 20)\n"));
    }

    #[test]
    fn clipping() {
        assert_eq!(clip("abcdef", 3), "...");
        assert_eq!(clip("abcdef", 2), "..");
        assert_eq!(clip("abcdef", 0), "");
        assert_eq!(clip("abcdef", 5), "ab...");
        assert_eq!(clip("abc", 3), "abc");
    }

    #[test]
    fn non_ascii_width_counts_chars() {
        let b = batch(vec![
            ("名前", strings(&["日本語", "é"])),
            ("x", strings(&["1", "2"])),
        ]);
        let out = render(&b, 80);
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines[0], "名前  | x");
        assert_eq!(lines[1], "----+--");
        assert_eq!(lines[2], "日本語 | 1");
        assert_eq!(lines[3], "é   | 2");
    }

    #[test]
    fn shrink_tie_goes_to_leftmost() {
        let b = batch(vec![
            ("aaaaaaaaaa", strings(&["1"])),
            ("bbbbbbbbbb", strings(&["2"])),
        ]);
        let out = render(&b, 10);
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines[0], "aaaaa... | bbbbbb...");
        assert_eq!(lines[1], "---------+----------");
        assert_eq!(lines[2], "1        | 2        ");
        let mut w = vec![6, 6, 2];
        shrink(&mut w, 9);
        assert_eq!(w, [4, 4, 2]);
        let mut w = vec![6, 6, 2];
        shrink(&mut w, 11);
        assert_eq!(w, [4, 5, 2]);
    }

    /// An id and ten 20-character columns: at 120 columns (and below, and when the width is
    /// unknown) the Python tool's layout cuts the id to 8 characters; at 130 the wide layout
    /// keeps it whole, narrows the others to 10–11 and leaves out the two that do not fit.
    #[test]
    fn wide_terminals_keep_ids_whole() {
        let mut cols = vec![("id", strings(&["631ee6653cdf1c0006b63c5b"]))];
        let names = ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j"];
        for name in names {
            cols.push((name, strings(&[name.repeat(20).as_str()])));
        }
        let b = batch(cols);
        let python = "\
id       | a        | b        | c        | d        | e        | f        | g        | h        | i         | j        
---------+----------+----------+----------+----------+----------+----------+----------+----------+-----------+----------
631ee... | aaaaa... | bbbbb... | ccccc... | ddddd... | eeeee... | fffff... | ggggg... | hhhhh... | iiiiii... | jjjjjj...
1 rows x 11 columns
";
        assert_eq!(render(&b, 120), python);
        assert_eq!(render(&b, DEFAULT_WIDTH), python);
        let wide = "\
id                       | a          | b          | c          | d          | e          | f          | g           | h          
-------------------------+------------+------------+------------+------------+------------+------------+-------------+------------
631ee6653cdf1c0006b63c5b | aaaaaaa... | bbbbbbb... | ccccccc... | ddddddd... | eeeeeee... | fffffff... | gggggggg... | hhhhhhhh...
1 rows x 11 columns (2 columns not shown)
";
        assert_eq!(render(&b, 130), wide);
        // Wide enough for everything: the natural widths, nothing left out.
        let all = render(&b, 400);
        let row = all.lines().nth(2).unwrap();
        assert!(row.starts_with("631ee6653cdf1c0006b63c5b | aaaaaaaaaaaaaaaaaaaa | "));
        assert!(row.ends_with(" | jjjjjjjjjjjjjjjjjjjj"), "{row}");
        assert!(all.ends_with("\n1 rows x 11 columns\n"), "{all}");
    }

    /// A table that fits is laid out alike by both layouts.
    #[test]
    fn a_table_that_fits_looks_the_same_wide() {
        let b = batch(vec![
            ("item_id", strings(&["item-1"])),
            ("asset_key", strings(&["data"])),
        ]);
        assert_eq!(render(&b, 80), render(&b, 200));
    }

    #[test]
    fn terminal_width_fallbacks() {
        assert_eq!(width_from(Some("90"), Some(50)), 90);
        assert_eq!(width_from(Some("0"), Some(50)), 50);
        assert_eq!(width_from(Some("abc"), Some(0)), DEFAULT_WIDTH);
        assert_eq!(width_from(None, None), DEFAULT_WIDTH);
        assert!(terminal_width() > 0);
    }
}
