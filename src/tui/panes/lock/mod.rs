//! The asset-lock pane: the lock being derived (rows appear as probes complete) or opened
//! from a file, with a gauge, rate and ETA while a derive runs.
//!
//! Rows are plain [`LockRow`]s (~200 bytes each: a 100,000-row lock is ~20 MB) because every
//! lock action works per row (validate, write, accept drift) and the engine takes rows. A probe
//! failure is kept as data beside its row (keep-going semantics): the row stays in the lock
//! without facts and the pane shows the reason.

pub mod jobs;
pub mod relocate;
pub mod update;
pub mod view;

use std::path::PathBuf;

use crate::lock::LockRow;
use crate::tui::widgets::run::scrolled;

/// One lock row and, if its probe failed, why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockEntry {
    /// The row (facts filled in by the probe).
    pub row: LockRow,
    /// The probe failure, if any.
    pub error: Option<String>,
}

/// Where the pane's lock stands (derive or file read).
pub use super::RunPhase as LockPhase;

/// The asset-lock pane state.
#[derive(Debug, Clone)]
pub struct LockPane {
    /// What the lock came from (a file, or "derived from N items").
    pub source: String,
    /// The file the lock was opened from (accept-drift never writes there).
    pub path: Option<PathBuf>,
    /// Where relative `file` keys resolve.
    pub base_dir: PathBuf,
    /// Progress.
    pub phase: LockPhase,
    /// The current run; messages of other runs are stale.
    pub generation: u64,
    /// The rows so far, in lock order.
    pub entries: Vec<LockEntry>,
    /// Rows expected in all.
    pub total: usize,
    /// Rows whose probe failed.
    pub failed: usize,
    /// Seconds since the run started, as last reported.
    pub elapsed_secs: f64,
    /// A derived lock (whole or partial) that has not been written: quitting asks first.
    pub is_unsaved: bool,
    /// The shown rows (indices into `entries`), filtered and sorted.
    pub shown: Vec<usize>,
    /// Only rows whose item, asset or probe result contain this (any case).
    pub filter: String,
    /// The order of the shown rows.
    pub sort: LockSort,
    /// Row under the cursor (an index into `shown`).
    pub cursor: usize,
    /// First row drawn.
    pub offset: usize,
    /// A relocation waiting for its `y` (the preview popup shows it).
    pub relocation: Option<relocate::Relocation>,
    /// The run is a relocation's copy (its rows are the relocated lock).
    pub is_relocation: bool,
    /// The alternate key chosen for enriching the items, while the path is asked.
    pub enrich_key: Option<String>,
}

impl Default for LockPane {
    fn default() -> Self {
        LockPane {
            source: String::new(),
            path: None,
            base_dir: PathBuf::from("."),
            phase: LockPhase::Empty,
            generation: 0,
            entries: Vec::new(),
            total: 0,
            failed: 0,
            elapsed_secs: 0.0,
            is_unsaved: false,
            shown: Vec::new(),
            filter: String::new(),
            sort: LockSort::LockOrder,
            cursor: 0,
            offset: 0,
            relocation: None,
            is_relocation: false,
            enrich_key: None,
        }
    }
}

impl LockPane {
    /// Starts a new run (derive or open), forgetting the old rows.
    pub fn start(&mut self, source: String, path: Option<PathBuf>, generation: u64) {
        *self = LockPane {
            source,
            path,
            base_dir: std::mem::take(&mut self.base_dir),
            phase: LockPhase::Running,
            generation,
            ..LockPane::default()
        };
    }

    /// Whether a derive or read is running.
    pub fn is_running(&self) -> bool {
        self.phase == LockPhase::Running
    }

    /// The rows, without failure notes.
    pub fn rows(&self) -> Vec<LockRow> {
        self.entries.iter().map(|e| e.row.clone()).collect()
    }

    /// Rows a second and seconds left, once there is something to measure.
    pub fn rate_and_eta(&self) -> Option<(f64, f64)> {
        let done = self.entries.len();
        if self.elapsed_secs <= 0.0 || done == 0 {
            return None;
        }
        let rate = done as f64 / self.elapsed_secs;
        let left = self.total.saturating_sub(done) as f64 / rate;
        Some((rate, left))
    }

    /// Adds rows of the run, in lock order.
    pub fn ingest(&mut self, rows: Vec<LockEntry>) {
        let base = self.entries.len();
        self.entries.extend(rows);
        if self.filter.is_empty() && self.sort == LockSort::LockOrder {
            self.shown.extend(base..self.entries.len());
        } else {
            self.rebuild();
        }
    }

    /// Rebuilds the shown rows from the filter and the order.
    pub fn rebuild(&mut self) {
        let needle = self.filter.to_lowercase();
        let mut shown: Vec<usize> = (0..self.entries.len())
            .filter(|&i| needle.is_empty() || self.entries[i].matches(&needle))
            .collect();
        let entries = &self.entries;
        match self.sort {
            LockSort::LockOrder => {}
            LockSort::Item => shown.sort_by(|&a, &b| {
                let key = |i: usize| (&entries[i].row.item_id, &entries[i].row.asset_key);
                key(a).cmp(&key(b))
            }),
            LockSort::Size => {
                shown.sort_by_key(|&i| std::cmp::Reverse(entries[i].row.size_bytes.unwrap_or(-1)));
            }
            LockSort::Failures => shown.sort_by_key(|&i| entries[i].error.is_none()),
        }
        self.shown = shown;
        self.cursor = self.cursor.min(self.shown.len().saturating_sub(1));
    }

    /// The row under the cursor.
    pub fn current(&self) -> Option<&LockEntry> {
        self.entries.get(*self.shown.get(self.cursor)?)
    }

    /// Moves the cursor to `index` (clamped) and scrolls it into a `page_rows` window.
    pub fn move_to(&mut self, index: usize, page_rows: usize) {
        self.cursor = index.min(self.shown.len().saturating_sub(1));
        (self.cursor, self.offset) = scrolled(self.cursor, self.offset, page_rows);
    }
}

impl LockEntry {
    /// Whether the item, asset, location or probe failure contains `needle` (lower case).
    pub fn matches(&self, needle: &str) -> bool {
        let probe = self.error.as_deref().unwrap_or("ok");
        [
            self.row.item_id.as_str(),
            self.row.asset_key.as_str(),
            self.row.key.as_deref().unwrap_or_default(),
            self.row.store_container.as_deref().unwrap_or_default(),
            probe,
        ]
        .iter()
        .any(|t| t.to_lowercase().contains(needle))
    }
}

/// The order of the lock pane's rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LockSort {
    /// Lock order.
    #[default]
    LockOrder,
    /// By item id, then asset key.
    Item,
    /// Largest first.
    Size,
    /// Failed probes first.
    Failures,
}

impl LockSort {
    /// The next order (`s` cycles).
    pub fn next(self) -> LockSort {
        match self {
            LockSort::LockOrder => LockSort::Item,
            LockSort::Item => LockSort::Size,
            LockSort::Size => LockSort::Failures,
            LockSort::Failures => LockSort::LockOrder,
        }
    }

    /// A word for the summary line.
    pub fn word(self) -> &'static str {
        match self {
            LockSort::LockOrder => "lock order",
            LockSort::Item => "item",
            LockSort::Size => "size",
            LockSort::Failures => "failures first",
        }
    }
}

/// Task results for the lock pane: a derive or a file read streaming rows in.
#[derive(Debug)]
pub enum LockMsg {
    /// A run started and knows how many rows to expect.
    Started {
        /// The run it belongs to.
        generation: u64,
        /// Rows expected.
        total: usize,
    },
    /// Rows arrived (in lock order).
    Rows {
        /// The run it belongs to.
        generation: u64,
        /// The rows, with probe failures.
        rows: Vec<LockEntry>,
        /// Seconds since the run started.
        elapsed_secs: f64,
    },
    /// A run finished.
    Done {
        /// The run it belongs to.
        generation: u64,
        /// Seconds since the run started.
        elapsed_secs: f64,
    },
    /// A run could not go on.
    Failed {
        /// The run it belongs to.
        generation: u64,
        /// One line, with the cause chain.
        error: String,
    },
}

/// Work the lock pane asks of the task layer.
#[derive(Debug, Clone)]
pub enum LockEffect {
    /// Derive a lock from items (cancelling any running lock run).
    Derive {
        /// The generation its messages will carry.
        generation: u64,
        /// The items batches (cheap clones).
        batches: Vec<arrow_array::RecordBatch>,
        /// Only these item ids (empty: all).
        item_ids: Vec<String>,
        /// Where relative file hrefs resolve.
        base_dir: PathBuf,
    },
    /// Read a lock file into the lock pane.
    Open {
        /// The generation its messages will carry.
        generation: u64,
        /// The asset-lock Parquet file.
        path: PathBuf,
    },
    /// Copy the bytes a relocation planned; the rows stream in as the new lock.
    Relocate {
        /// The generation its messages will carry.
        generation: u64,
        /// The plan.
        relocation: Box<relocate::Relocation>,
        /// Where the sources' relative `file` keys resolve.
        base_dir: PathBuf,
    },
    /// Cancel the running lock run.
    Cancel,
}
