//! The map pane (`6`): the loaded items' footprints on a world map (ratatui's Braille canvas),
//! the search form's bbox, a bbox chosen on the map for the next search, and a histogram of
//! the items over time whose bars filter the items table.
//!
//! Footprints are read once per batch, in the task layer ([`jobs`], one read out at a time,
//! like the items pane's views; [`footprint::read_batch`]: the WKB outline thinned to
//! [`footprint::MAX_POINTS`] a part), and kept in the items pane's batch/row layout, so a frame walks the rows the table shows, skips those outside the view and draws a
//! footprint smaller than a dot as one dot: 100,000 items draw as fast as the screen has
//! dots. The selection is the items pane's (its cursor and marks), so the map, the table and
//! every action on "these items" agree.

pub mod footprint;
pub mod histogram;
pub mod jobs;
pub mod update;
pub mod view;
pub mod viewport;

use arrow_array::RecordBatch;
use ratatui::layout::Rect;

pub use self::footprint::MapItem;
pub use self::viewport::Viewport;

/// A bbox being chosen on the map (`v` with keys, or a mouse drag).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Draft {
    /// The corner where it started (lon, lat).
    pub anchor: (f64, f64),
    /// The corner that moves (lon, lat).
    pub corner: (f64, f64),
    /// The keys move `corner` (rather than the view) until `v` again or `B`.
    pub is_keyed: bool,
}

impl Draft {
    /// `[west, south, east, north]`.
    pub fn bbox(&self) -> [f64; 4] {
        let (a, c) = (self.anchor, self.corner);
        [a.0.min(c.0), a.1.min(c.1), a.0.max(c.0), a.1.max(c.1)]
    }
}

/// The map pane state.
#[derive(Debug, Clone)]
pub struct MapPane {
    /// The items load the footprints belong to (`ItemsPane::load`; a new load starts over).
    pub generation: u64,
    /// One entry per item, by batch then row (the items pane's [`RowRef`] layout).
    ///
    /// [`RowRef`]: super::items::RowRef
    pub items: Vec<Vec<MapItem>>,
    /// Items with neither a geometry nor a bbox (or an unreadable one).
    pub without_extent: usize,
    /// The first unreadable geometry, for the summary.
    pub first_error: Option<String>,
    /// The extent of every footprint, `[w, s, e, n]`.
    pub extent: Option<[f64; 4]>,
    /// The earliest start and latest end over the items' times (UTC microseconds).
    pub time_extent: Option<(i64, i64)>,
    /// What the canvas shows.
    pub view: Viewport,
    /// The user moved the view: arriving batches no longer refit it.
    pub has_moved: bool,
    /// A bbox being chosen.
    pub draft: Option<Draft>,
    /// Where a mouse press started (cell), until it is released.
    pub press: Option<(u16, u16)>,
    /// The histogram bar under the cursor.
    pub bin: usize,
    /// A read of new batches is out (the next waits for its answer).
    pub is_reading: bool,
}

impl Default for MapPane {
    fn default() -> Self {
        MapPane {
            generation: 0,
            items: Vec::new(),
            without_extent: 0,
            first_error: None,
            extent: None,
            time_extent: None,
            view: Viewport::WORLD,
            has_moved: false,
            draft: None,
            press: None,
            bin: 0,
            is_reading: false,
        }
    }
}

impl MapPane {
    /// The item at a batch and row.
    pub fn item(&self, batch: u32, row: u32) -> Option<&MapItem> {
        self.items.get(batch as usize)?.get(row as usize)
    }

    /// Items read so far.
    pub fn len(&self) -> usize {
        self.items.iter().map(Vec::len).sum()
    }

    /// Whether no item has been read.
    pub fn is_empty(&self) -> bool {
        self.items.iter().all(Vec::is_empty)
    }
}

/// Task results for the map pane.
#[derive(Debug)]
pub enum MapMsg {
    /// Batches read for the map.
    Read {
        /// The items load they belong to.
        generation: u64,
        /// The index of the first batch read.
        first: usize,
        /// One per batch, in order.
        batches: Vec<footprint::ReadBatch>,
    },
}

/// Work the map pane asks of the task layer.
#[derive(Debug, Clone)]
pub enum MapEffect {
    /// Read footprints and times of these batches.
    Read {
        /// The items load.
        generation: u64,
        /// The index of the first of `batches` among the items pane's batches.
        first: usize,
        /// The batches (cheap clones of shared buffers).
        batches: Vec<RecordBatch>,
    },
}

/// Histogram rows (bars, then the axis line) when the pane is tall enough for it.
pub const HISTOGRAM_ROWS: u16 = 5;

/// Where the pane draws what, from the pane's area (the same for drawing and the mouse).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Areas {
    /// The summary line.
    pub summary: Rect,
    /// The map canvas.
    pub canvas: Rect,
    /// The time histogram (zero height when the terminal is too short).
    pub histogram: Rect,
}

/// Splits the pane's area: a summary line, the canvas, the histogram under it.
pub fn areas(body: Rect) -> Areas {
    let summary = Rect {
        height: body.height.min(1),
        ..body
    };
    let rest = body.height.saturating_sub(1);
    let hist = if rest >= 12 { HISTOGRAM_ROWS } else { 0 };
    let canvas = Rect {
        y: body.y + 1,
        height: rest - hist,
        ..body
    };
    let histogram = Rect {
        y: canvas.y + canvas.height,
        height: hist,
        ..body
    };
    Areas {
        summary,
        canvas,
        histogram,
    }
}
