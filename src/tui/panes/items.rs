//! The items pane: a table over the streamed Arrow batches.
//!
//! The pane holds the batches themselves and a row order (`rows`, 8 bytes a row: 100,000 rows
//! is 800 KB); only the visible window is turned into text when drawing. The cursor and the
//! marks are anchored by item id, so a batch arriving or a new sort never moves what the user
//! looks at. Filter and sort run in the task layer and come back as a new row order.

use std::collections::HashSet;
use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::{Array, RecordBatch};
use arrow_schema::SchemaRef;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table};
use ratatui::Frame;

use super::cell::table_cell;
use crate::tui::theme::{Role, Theme};

/// Columns hidden until the user shows them (long or structural values).
pub const HIDDEN_BY_DEFAULT: [&str; 7] = [
    "type",
    "stac_version",
    "stac_extensions",
    "links",
    "assets",
    "geometry",
    "bbox",
];
/// Widest a column is drawn, in cells.
pub const MAX_COLUMN_WIDTH: usize = 28;

/// A row: batch index and row within the batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RowRef {
    /// Index into the pane's batches.
    pub batch: u32,
    /// Row within that batch.
    pub row: u32,
}

impl RowRef {
    /// A row reference (tables beyond 4 billion rows or batches are out of scope).
    pub fn new(batch: usize, row: usize) -> RowRef {
        RowRef {
            batch: batch as u32,
            row: row as u32,
        }
    }
}

/// A sort request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SortSpec {
    /// The column.
    pub column: String,
    /// Largest first.
    pub descending: bool,
}

/// What the shown row order is computed from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ViewSpec {
    /// Case-insensitive text a shown row contains (empty: all rows).
    pub filter: String,
    /// The columns the filter looks in.
    pub filter_columns: Vec<String>,
    /// The order.
    pub sort: Option<SortSpec>,
}

/// Where the pane's items stand.
#[derive(Debug, Clone, PartialEq)]
pub enum Phase {
    /// Nothing loaded.
    Empty,
    /// A source is being opened.
    Loading,
    /// Batches are arriving.
    Streaming,
    /// All items are in.
    Done,
    /// The load failed.
    Failed(String),
}

/// A table column other than the frozen id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    /// The schema field name.
    pub name: String,
    /// Whether it is drawn.
    pub is_visible: bool,
}

/// The items pane state.
#[derive(Debug, Clone)]
pub struct ItemsPane {
    /// What the items came from.
    pub source: String,
    /// Load state.
    pub phase: Phase,
    /// The current load; messages of other loads are stale.
    pub generation: u64,
    /// The items schema.
    pub schema: Option<SchemaRef>,
    /// The batches, in arrival order.
    pub batches: Vec<RecordBatch>,
    /// Rows in all batches.
    pub total_rows: usize,
    /// Rows a second, measured by the loader.
    pub rate: Option<f64>,
    /// The shown rows, in order.
    pub rows: Arc<Vec<RowRef>>,
    /// The current view request; other answers are stale.
    pub view_generation: u64,
    /// Whether a filter / sort is being computed.
    pub is_view_pending: bool,
    /// How many batches the last view request covered.
    pub view_covers: usize,
    /// Cursor position in `rows`.
    pub cursor: usize,
    /// The id under the cursor (the anchor).
    pub cursor_id: Option<String>,
    /// First shown row.
    pub offset: usize,
    /// Marked item ids.
    pub marked: HashSet<String>,
    /// Columns after the frozen id.
    pub columns: Vec<Column>,
    /// The selected column among the visible ones.
    pub column_cursor: usize,
    /// Current order.
    pub sort: Option<SortSpec>,
    /// Current filter text.
    pub filter: String,
}

impl Default for ItemsPane {
    fn default() -> Self {
        ItemsPane {
            source: String::new(),
            phase: Phase::Empty,
            generation: 0,
            schema: None,
            batches: Vec::new(),
            total_rows: 0,
            rate: None,
            rows: Arc::new(Vec::new()),
            view_generation: 0,
            is_view_pending: false,
            view_covers: 0,
            cursor: 0,
            cursor_id: None,
            offset: 0,
            marked: HashSet::new(),
            columns: Vec::new(),
            column_cursor: 0,
            sort: None,
            filter: String::new(),
        }
    }
}

impl ItemsPane {
    /// Resets for a new load.
    pub fn start_load(&mut self, source: String, generation: u64) {
        let marked = std::mem::take(&mut self.marked);
        *self = ItemsPane {
            source,
            phase: Phase::Loading,
            generation,
            marked,
            filter: std::mem::take(&mut self.filter),
            sort: self.sort.take(),
            view_generation: self.view_generation,
            ..ItemsPane::default()
        };
    }

    /// Takes the schema of a new load: columns in schema order, long ones hidden.
    pub fn set_schema(&mut self, schema: SchemaRef) {
        let old: Vec<Column> = std::mem::take(&mut self.columns);
        self.columns = schema
            .fields()
            .iter()
            .filter(|f| f.name() != "id")
            .map(|f| Column {
                name: f.name().clone(),
                is_visible: old
                    .iter()
                    .find(|c| &c.name == f.name())
                    .map_or(!HIDDEN_BY_DEFAULT.contains(&f.name().as_str()), |c| {
                        c.is_visible
                    }),
            })
            .collect();
        self.schema = Some(schema);
        self.phase = Phase::Streaming;
    }

    /// Whether rows are shown in arrival order, unfiltered.
    pub fn is_natural_order(&self) -> bool {
        self.filter.is_empty() && self.sort.is_none()
    }

    /// The visible columns after the id.
    pub fn visible_columns(&self) -> Vec<&str> {
        self.columns
            .iter()
            .filter(|c| c.is_visible)
            .map(|c| c.name.as_str())
            .collect()
    }

    /// The view request for the current filter and sort.
    pub fn view_spec(&self) -> ViewSpec {
        let mut filter_columns = vec!["id".to_string()];
        filter_columns.extend(self.visible_columns().into_iter().map(String::from));
        ViewSpec {
            filter: self.filter.clone(),
            filter_columns,
            sort: self.sort.clone(),
        }
    }

    /// The id of a row.
    pub fn id_of(&self, r: RowRef) -> Option<String> {
        let batch = self.batches.get(r.batch as usize)?;
        let i = batch.schema().index_of("id").ok()?;
        let col = batch.column(i);
        let ids = col.as_string_opt::<i32>()?;
        (!ids.is_null(r.row as usize)).then(|| ids.value(r.row as usize).to_string())
    }

    /// The row under the cursor.
    pub fn current(&self) -> Option<RowRef> {
        self.rows.get(self.cursor).copied()
    }

    /// Moves the cursor to `index` (clamped) and re-anchors it.
    pub fn move_to(&mut self, index: usize, page_rows: usize) {
        if self.rows.is_empty() {
            self.cursor = 0;
            self.cursor_id = None;
            self.offset = 0;
            return;
        }
        self.cursor = index.min(self.rows.len() - 1);
        self.cursor_id = self.current().and_then(|r| self.id_of(r));
        self.scroll_into_view(page_rows);
    }

    /// Keeps the cursor within the shown window of `page_rows` rows.
    pub fn scroll_into_view(&mut self, page_rows: usize) {
        let page = page_rows.max(1);
        if self.cursor < self.offset {
            self.offset = self.cursor;
        } else if self.cursor >= self.offset + page {
            self.offset = self.cursor + 1 - page;
        }
    }

    /// After the row order changed: put the cursor back on its item.
    pub fn reanchor(&mut self, page_rows: usize) {
        let found = self.cursor_id.clone().and_then(|id| {
            (0..self.rows.len()).find(|&i| self.id_of(self.rows[i]).as_deref() == Some(&id))
        });
        match found {
            Some(i) => {
                self.cursor = i;
                self.scroll_into_view(page_rows);
            }
            None => self.move_to(self.cursor, page_rows),
        }
    }
}

/// One-line summary above the table.
fn summary(pane: &ItemsPane) -> String {
    let mut parts = Vec::new();
    if !pane.source.is_empty() {
        parts.push(pane.source.clone());
    }
    let count = match &pane.phase {
        Phase::Empty => "no items".to_string(),
        Phase::Loading => "opening…".to_string(),
        Phase::Streaming => format!("{} items, loading", pane.total_rows),
        Phase::Done => format!("{} items", pane.total_rows),
        Phase::Failed(_) => format!("{} items, failed", pane.total_rows),
    };
    parts.push(count);
    if let Some(rate) = pane.rate.filter(|_| pane.phase == Phase::Streaming) {
        parts.push(format!("{rate:.0}/s"));
    }
    if !pane.filter.is_empty() {
        parts.push(format!("/{} → {} shown", pane.filter, pane.rows.len()));
    }
    if let Some(s) = &pane.sort {
        let arrow = if s.descending { "↓" } else { "↑" };
        parts.push(format!("sort {} {arrow}", s.column));
    }
    if pane.is_view_pending {
        parts.push("computing…".to_string());
    }
    if !pane.marked.is_empty() {
        parts.push(format!("{} marked", pane.marked.len()));
    }
    parts.join(" · ")
}

/// Draws the pane into `area`.
pub fn draw(frame: &mut Frame<'_>, area: Rect, pane: &ItemsPane, theme: &Theme) {
    if area.height < 2 {
        return;
    }
    let info = Rect { height: 1, ..area };
    let table_area = Rect {
        y: area.y + 1,
        height: area.height - 1,
        ..area
    };
    frame.render_widget(
        Paragraph::new(Line::styled(summary(pane), theme.style(Role::Info))),
        info,
    );
    if let Phase::Failed(error) = &pane.phase {
        if pane.rows.is_empty() {
            frame.render_widget(
                Paragraph::new(Line::from(vec![
                    Span::styled("✗ error: ", theme.style(Role::Bad)),
                    Span::raw(error.clone()),
                ]))
                .wrap(ratatui::widgets::Wrap { trim: true }),
                table_area,
            );
            return;
        }
    }
    if pane.schema.is_none() {
        return;
    }
    let body_rows = (table_area.height as usize).saturating_sub(1);
    let end = (pane.offset + body_rows).min(pane.rows.len());
    let window = &pane.rows[pane.offset.min(end)..end];
    let visible = pane.visible_columns();
    // Columns are looked up by name in each row's own batch: the pages of a STAC API search
    // each have their own schema (a property may first appear on page 7).
    let text = |r: RowRef, name: &str| -> String {
        match pane
            .batches
            .get(r.batch as usize)
            .and_then(|b| b.column_by_name(name))
        {
            Some(column) => table_cell(column.as_ref(), r.row as usize),
            None => String::new(),
        }
    };
    let ids: Vec<String> = window.iter().map(|r| text(*r, "id")).collect();
    let cells: Vec<Vec<String>> = window
        .iter()
        .map(|r| visible.iter().map(|n| text(*r, n)).collect())
        .collect();
    let width_of = |header: &str, values: &mut dyn Iterator<Item = usize>| {
        values
            .fold(header.chars().count() + 2, usize::max)
            .min(MAX_COLUMN_WIDTH)
    };
    let id_width = width_of("id", &mut ids.iter().map(|s| s.chars().count())).max(4);
    let widths: Vec<usize> = visible
        .iter()
        .enumerate()
        .map(|(c, name)| width_of(name, &mut cells.iter().map(|row| row[c].chars().count())))
        .collect();
    // Horizontal scroll: the selected column is drawn, with as many columns before it as fit.
    let room = (table_area.width as usize).saturating_sub(2 + id_width + 1);
    let cursor = pane.column_cursor.min(widths.len().saturating_sub(1));
    let mut start = 0;
    while start < cursor && widths[start..=cursor].iter().map(|w| w + 1).sum::<usize>() > room {
        start += 1;
    }
    let mut shown = Vec::new();
    let mut used = 0;
    for (c, w) in widths.iter().enumerate().skip(start) {
        if used + w + 1 > room && !shown.is_empty() {
            break;
        }
        used += w + 1;
        shown.push(c);
    }
    let sort_col = pane.sort.as_ref().map(|s| s.column.as_str());
    let header_cell = |name: &str, selected: bool| {
        let mark = match (
            sort_col == Some(name),
            pane.sort.as_ref().map(|s| s.descending),
        ) {
            (true, Some(true)) => "↓",
            (true, _) => "↑",
            _ => "",
        };
        let style = if selected {
            theme.style(Role::HeaderSelected)
        } else {
            theme.style(Role::Header)
        };
        Cell::from(format!("{name}{mark}")).style(style)
    };
    let mut header = vec![Cell::from(" "), header_cell("id", false)];
    header.extend(shown.iter().map(|&c| header_cell(visible[c], c == cursor)));
    let rows: Vec<Row> = window
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let is_marked = pane.marked.contains(&ids[i]);
            let mut row = vec![
                Cell::from(if is_marked { "●" } else { " " }),
                Cell::from(ids[i].clone()).style(theme.style(Role::Key)),
            ];
            row.extend(shown.iter().map(|&c| Cell::from(cells[i][c].clone())));
            let mut style = if is_marked {
                theme.style(Role::RowMarked)
            } else {
                theme.style(Role::Normal)
            };
            if pane.offset + i == pane.cursor {
                style = style.patch(theme.style(Role::RowSelected));
            }
            let _ = r;
            Row::new(row).style(style)
        })
        .collect();
    let mut constraints = vec![Constraint::Length(1), Constraint::Length(id_width as u16)];
    constraints.extend(shown.iter().map(|&c| Constraint::Length(widths[c] as u16)));
    let table = Table::new(rows, constraints)
        .header(Row::new(header))
        .column_spacing(1);
    frame.render_widget(table, table_area);
    if pane.rows.is_empty() && pane.phase == Phase::Done {
        let msg = if pane.filter.is_empty() {
            "no items"
        } else {
            "no items match the filter"
        };
        let y = table_area.y + 1;
        if y < table_area.y + table_area.height {
            frame.render_widget(
                Paragraph::new(Line::styled(msg, theme.style(Role::Dim))),
                Rect {
                    y,
                    height: 1,
                    ..table_area
                },
            );
        }
    }
}
