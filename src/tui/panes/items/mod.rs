//! The items pane: a table over the streamed Arrow batches.
//!
//! The pane holds the batches themselves and a row order (`rows`, 8 bytes a row: 100,000 rows
//! is 800 KB); only the visible window is turned into text when drawing. The cursor and the
//! marks are anchored by item id, so a batch arriving or a new sort never moves what the user
//! looks at. Filter and sort run in the task layer and come back as a new row order.

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::{Array, RecordBatch};
use arrow_schema::SchemaRef;

pub use self::columns::Column;
use self::columns::{arrange, column_names, source_kind, Profile};
use self::layout::{Layouts, SavedColumn};

pub mod columns;
pub mod jobs;
pub mod layout;
pub mod order;
pub mod update;
pub mod view;

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
    /// Only items whose time overlaps this window (UTC microseconds, inclusive), from a
    /// histogram bar of the map pane.
    pub time_window: Option<(i64, i64)>,
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

/// The items pane state.
#[derive(Debug, Clone)]
pub struct ItemsPane {
    /// What the items came from.
    pub source: String,
    /// Load state.
    pub phase: Phase,
    /// The current load; messages of other loads are stale.
    pub generation: u64,
    /// The generation the load started with (a cancel moves `generation` on to drop late
    /// pages, but the batches are the same): what the map's footprints belong to.
    pub load: u64,
    /// The items schema.
    pub schema: Option<SchemaRef>,
    /// The batches, in arrival order.
    pub batches: Vec<RecordBatch>,
    /// Rows in all batches.
    pub total_rows: usize,
    /// Rows a second, measured by the loader.
    pub rate: Option<f64>,
    /// Seconds since the load started, as last reported.
    pub elapsed_secs: f64,
    /// The shown rows, in order.
    pub rows: Arc<Vec<RowRef>>,
    /// The current view request; other answers are stale.
    pub view_generation: u64,
    /// Whether a filter / sort is being computed.
    pub is_view_pending: bool,
    /// How many batches the last view request covered.
    pub view_covers: usize,
    /// The next computed view starts at its top (the filter or sort changed), rather than
    /// keeping the cursor's item (batches arrived).
    pub is_view_reset: bool,
    /// An action on "the rows shown" asked for while the view was being computed: it runs when
    /// the view arrives, on the rows the user will see.
    pub pending: Option<crate::tui::command::Command>,
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
    /// The histogram bar's time window the rows are filtered to (see [`ViewSpec`]).
    pub time_window: Option<(i64, i64)>,
    /// The column names of the schema (derived ones included), in schema order.
    pub names: Vec<String>,
    /// What the load's first rows tell (column widths, default columns).
    pub profile: Profile,
    /// The source kind the layout is remembered under.
    pub kind: String,
    /// The remembered layouts, by source kind (read at start).
    pub layouts: Layouts,
    /// Where the layouts are written (none: not remembered).
    pub state_dir: Option<PathBuf>,
    /// Paused (`P`): the batches that arrived since, applied on resume.
    pub paused: Option<super::Held<RecordBatch>>,
}

impl Default for ItemsPane {
    fn default() -> Self {
        ItemsPane {
            source: String::new(),
            phase: Phase::Empty,
            generation: 0,
            load: 0,
            schema: None,
            batches: Vec::new(),
            total_rows: 0,
            rate: None,
            elapsed_secs: 0.0,
            rows: Arc::new(Vec::new()),
            view_generation: 0,
            is_view_pending: false,
            view_covers: 0,
            is_view_reset: false,
            pending: None,
            cursor: 0,
            cursor_id: None,
            offset: 0,
            marked: HashSet::new(),
            columns: Vec::new(),
            column_cursor: 0,
            sort: None,
            filter: String::new(),
            time_window: None,
            names: Vec::new(),
            profile: Profile::default(),
            kind: String::new(),
            layouts: Layouts::new(),
            state_dir: None,
            paused: None,
        }
    }
}

/// What [`ItemsPane::selection`] picked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selection {
    /// The item ids (empty: all loaded items).
    pub ids: Vec<String>,
    /// How many items.
    pub count: usize,
    /// In words: "3 marked items", "12 filtered items (/drone)", "all 240 items".
    pub label: String,
}

impl ItemsPane {
    /// Resets for a new load.
    pub fn start_load(&mut self, source: String, generation: u64) {
        let marked = std::mem::take(&mut self.marked);
        *self = ItemsPane {
            phase: Phase::Loading,
            generation,
            load: generation,
            marked,
            filter: std::mem::take(&mut self.filter),
            time_window: self.time_window.take(),
            sort: self.sort.take(),
            view_generation: self.view_generation,
            kind: source_kind(&source),
            layouts: std::mem::take(&mut self.layouts),
            state_dir: self.state_dir.take(),
            source,
            ..ItemsPane::default()
        };
    }

    /// Takes the schema of a load (again when a page brings new fields): new columns are
    /// measured, and the columns arranged (remembered layout, else the default columns).
    pub fn set_schema(&mut self, schema: SchemaRef) {
        self.names = column_names(schema.fields().iter().map(|f| f.name().as_str()));
        self.schema = Some(schema);
        self.phase = Phase::Streaming;
        self.profile.update(&self.batches, &self.names);
        self.arrange_columns();
    }

    /// After a batch arrived: measures it while the sample fills.
    pub fn batch_added(&mut self) {
        if self.profile.update(&self.batches, &self.names) {
            self.arrange_columns();
        }
    }

    /// Orders and shows the columns from the remembered layout of this source kind and the
    /// sample's defaults.
    fn arrange_columns(&mut self) {
        let saved = self.layouts.get(&self.kind).map(Vec::as_slice);
        self.columns = arrange(&self.names, &self.profile, saved);
        let n = self.visible_columns().len();
        self.column_cursor = self.column_cursor.min(n.saturating_sub(1));
    }

    /// Remembers the current layout for this source kind (columns of other sources kept
    /// after it) and asks for the file to be written.
    pub fn remember_layout(&mut self) -> ItemsEffect {
        let mut saved: Vec<SavedColumn> = self
            .columns
            .iter()
            .map(|c| SavedColumn {
                name: c.name.clone(),
                visible: c.is_visible,
            })
            .collect();
        if let Some(old) = self.layouts.get(&self.kind) {
            let extra: Vec<SavedColumn> = old
                .iter()
                .filter(|o| !saved.iter().any(|s| s.name == o.name))
                .cloned()
                .collect();
            saved.extend(extra);
        }
        self.layouts.insert(self.kind.clone(), saved);
        ItemsEffect::SaveLayouts {
            state_dir: self.state_dir.clone(),
            layouts: self.layouts.clone(),
        }
    }

    /// Whether rows are shown in arrival order, unfiltered.
    pub fn is_natural_order(&self) -> bool {
        self.filter.is_empty() && self.sort.is_none() && self.time_window.is_none()
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
            time_window: self.time_window,
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

    /// The ids of the shown rows, in order.
    pub fn shown_ids(&self) -> Vec<String> {
        self.rows.iter().filter_map(|r| self.id_of(*r)).collect()
    }

    /// The items an action on "these items" takes (derive, build): the marked ones, else the
    /// shown ones when a filter hides some, else all.
    pub fn selection(&self) -> Selection {
        if !self.marked.is_empty() {
            let mut ids: Vec<String> = self.marked.iter().cloned().collect();
            // Sorted: the CLI lines that name them are the same every time.
            ids.sort();
            let count = ids.len();
            return Selection {
                ids,
                count,
                label: format!("{count} marked items"),
            };
        }
        if self.is_filtered() {
            let ids = self.shown_ids();
            let count = ids.len();
            return Selection {
                ids,
                count,
                label: format!("{count} filtered items ({})", self.filter_label()),
            };
        }
        Selection {
            ids: Vec::new(),
            count: self.total_rows,
            label: format!("all {} items", self.total_rows),
        }
    }

    /// Whether rows are filtered out of view (the shown rows are not all rows).
    pub fn is_filtered(&self) -> bool {
        !self.filter.is_empty() || self.time_window.is_some()
    }

    /// The filters in words: `/drone`, `2019-10-06…2019-11-02`, or both.
    pub fn filter_label(&self) -> String {
        let mut parts = Vec::new();
        if !self.filter.is_empty() {
            parts.push(format!("/{}", self.filter));
        }
        if let Some((s, e)) = self.time_window {
            parts.push(time_window_label(s, e));
        }
        parts.join(" ")
    }

    /// Keeps only the marks of items that are loaded (a new load replaced the items).
    pub fn prune_marks(&mut self) {
        if self.marked.is_empty() {
            return;
        }
        let mut present = HashSet::new();
        for batch in &self.batches {
            let Some(ids) = batch
                .column_by_name("id")
                .and_then(|c| c.as_string_opt::<i32>())
            else {
                continue;
            };
            for id in ids.iter().flatten() {
                if self.marked.contains(id) {
                    present.insert(id.to_string());
                }
            }
        }
        self.marked = present;
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

/// Task results for the items pane: a load streaming in (from the search pane's jobs) and
/// computed views.
#[derive(Debug)]
pub enum ItemsMsg {
    /// A load opened its source and knows the schema.
    Opened {
        /// The load it belongs to.
        generation: u64,
        /// The items schema.
        schema: SchemaRef,
    },
    /// A batch of items arrived.
    Batch {
        /// The load it belongs to.
        generation: u64,
        /// The rows.
        batch: RecordBatch,
        /// Seconds since the load started (for the rate).
        elapsed_secs: f64,
    },
    /// A load finished.
    Done {
        /// The load it belongs to.
        generation: u64,
        /// Seconds since the load started.
        elapsed_secs: f64,
    },
    /// The source of a load turned out to hold an asset lock (a lock Parquet file, or a
    /// package directory whose items keep loading): open it in the lock pane.
    SourceHasLock {
        /// The load it belongs to.
        generation: u64,
        /// The lock file.
        lock: PathBuf,
        /// Where its relative `file` keys resolve.
        base_dir: PathBuf,
        /// Whether items keep arriving for this load (a package) or not (a bare lock).
        has_items: bool,
    },
    /// A load failed.
    Failed {
        /// The load it belongs to.
        generation: u64,
        /// One line, with the cause chain.
        error: String,
    },
    /// A filtered / sorted row order was computed.
    ViewComputed {
        /// The view request it answers.
        generation: u64,
        /// The rows to show, in order.
        rows: Arc<Vec<RowRef>>,
    },
}

/// Work the items pane asks of the task layer.
#[derive(Debug, Clone)]
pub enum ItemsEffect {
    /// Compute a filtered / sorted row order off the UI thread.
    ComputeView {
        /// The generation the answer will carry.
        generation: u64,
        /// The batches (cheap clones of shared buffers).
        batches: Vec<RecordBatch>,
        /// What to compute.
        spec: ViewSpec,
    },
    /// Write the remembered column layouts (`columns.json`).
    SaveLayouts {
        /// The state dir (none: not remembered).
        state_dir: Option<PathBuf>,
        /// Every source kind's layout.
        layouts: Layouts,
    },
}

/// A time window in words, to the day (or the minute when shorter than a day).
pub fn time_window_label(start: i64, end: i64) -> String {
    use crate::stac::datetime::format_rfc3339_micros;
    const DAY: i64 = 86_400_000_000;
    let cut = if end - start >= DAY { 10 } else { 16 };
    let short = |t: i64| -> String {
        format_rfc3339_micros(t)
            .chars()
            .take(cut)
            .collect::<String>()
            .replace('T', " ")
    };
    format!("{}…{}", short(start), short(end))
}
