//! The asset-lock pane: the lock being derived (rows appear as probes complete) or opened
//! from a file, with a gauge, rate and ETA while a derive runs.
//!
//! Rows are plain [`LockRow`]s (~200 bytes each: a 100,000-row lock is ~20 MB) because every
//! lock action works per row (validate, write, accept drift) and the engine takes rows. A probe
//! failure is kept as data beside its row (keep-going semantics): the row stays in the lock
//! without facts and the pane shows the reason.

use std::path::PathBuf;

use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table};
use ratatui::Frame;

use crate::lock::LockRow;
use crate::tui::theme::{Role, Theme};

/// One lock row and, if its probe failed, why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockEntry {
    /// The row (facts filled in by the probe).
    pub row: LockRow,
    /// The probe failure, if any.
    pub error: Option<String>,
}

/// Where the pane's lock stands (derive or file read).
pub use super::phase::RunPhase as LockPhase;

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
    /// Row under the cursor.
    pub cursor: usize,
    /// First row drawn.
    pub offset: usize,
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
            cursor: 0,
            offset: 0,
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

    /// Moves the cursor to `index` (clamped) and scrolls it into a `page_rows` window.
    pub fn move_to(&mut self, index: usize, page_rows: usize) {
        self.cursor = index.min(self.entries.len().saturating_sub(1));
        (self.cursor, self.offset) = scrolled(self.cursor, self.offset, page_rows);
    }
}

/// Keeps `cursor` inside the window of `page` rows starting at `offset`.
pub fn scrolled(cursor: usize, offset: usize, page: usize) -> (usize, usize) {
    let page = page.max(1);
    let offset = if cursor < offset {
        cursor
    } else if cursor >= offset + page {
        cursor + 1 - page
    } else {
        offset
    };
    (cursor, offset)
}

/// A byte count for a table cell.
pub fn size_text(size: Option<i64>) -> String {
    match size {
        None => "—".to_string(),
        Some(n) if n < 10_000 => format!("{n} B"),
        Some(n) if n < 10_000_000 => format!("{} KB", n / 1000),
        Some(n) => format!("{} MB", n / 1_000_000),
    }
}

/// Seconds as `12 s` / `3 min`.
pub fn duration_text(secs: f64) -> String {
    if secs < 100.0 {
        format!("{secs:.0} s")
    } else {
        format!("{:.0} min", secs / 60.0)
    }
}

/// The progress line and ratio for a run of `done` of `total`.
pub fn progress_label(done: usize, total: usize, rate_eta: Option<(f64, f64)>) -> (String, f64) {
    let ratio = if total == 0 {
        1.0
    } else {
        (done as f64 / total as f64).min(1.0)
    };
    let mut label = format!("{done}/{total}");
    if let Some((rate, eta)) = rate_eta {
        label.push_str(&format!(" · {rate:.0}/s · ETA {}", duration_text(eta)));
    }
    (label, ratio)
}

/// Draws the pane.
pub fn draw(frame: &mut Frame<'_>, area: Rect, pane: &LockPane, theme: &Theme) {
    let Some((summary, gauge, body)) = super::phase::run_layout(area) else {
        return;
    };
    let state = match &pane.phase {
        LockPhase::Empty => "no lock".to_string(),
        LockPhase::Running => "deriving…".to_string(),
        LockPhase::Done => format!("{} rows", pane.entries.len()),
        LockPhase::Cancelled => format!("{} rows, cancelled", pane.entries.len()),
        LockPhase::Failed(_) => format!("{} rows, failed", pane.entries.len()),
    };
    let mut spans = vec![Span::styled(state, theme.style(Role::Header))];
    if !pane.source.is_empty() {
        spans.push(Span::styled(
            format!(" · {}", pane.source),
            theme.style(Role::Dim),
        ));
    }
    if pane.failed > 0 {
        spans.push(Span::styled(
            format!(" · ✗ {} probe(s) failed", pane.failed),
            theme.style(Role::Bad),
        ));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), summary);
    if pane.phase != LockPhase::Empty {
        let rate_eta = pane.rate_and_eta().filter(|_| pane.is_running());
        let (label, ratio) = progress_label(pane.entries.len(), pane.total, rate_eta);
        super::phase::draw_gauge(frame, gauge, label, ratio, theme);
    }
    if let LockPhase::Failed(error) = &pane.phase {
        if pane.entries.is_empty() {
            super::phase::draw_failure(frame, body, "the lock could not be made", error, theme);
            return;
        }
    }
    if pane.entries.is_empty() {
        let hint = match pane.phase {
            LockPhase::Empty => {
                "No lock yet: derive one from the marked items (or all items), or open a lock \
                 file with `stacpkg tui LOCK.parquet` or a package directory."
            }
            _ => "Waiting for the first probes…",
        };
        frame.render_widget(
            Paragraph::new(Line::styled(hint, theme.style(Role::Dim)))
                .wrap(ratatui::widgets::Wrap { trim: false }),
            body,
        );
        return;
    }
    let page = body.height.saturating_sub(1) as usize;
    // Below 100 columns the probe result (a failure's reason) matters more than the date.
    let is_wide = body.width >= 100;
    let rows: Vec<Row> = pane
        .entries
        .iter()
        .enumerate()
        .skip(pane.offset)
        .take(page)
        .map(|(i, e)| {
            let (status, role) = match &e.error {
                None => ("✓ ok".to_string(), Role::Good),
                // The row names the object; the reason is the last part of the chain.
                Some(err) => (
                    format!("✗ {}", err.rsplit(": ").next().unwrap_or(err)),
                    Role::Bad,
                ),
            };
            let style = if i == pane.cursor {
                theme.style(Role::RowSelected)
            } else {
                theme.style(Role::Normal)
            };
            let mut cells = vec![
                Cell::from(e.row.item_id.clone()),
                Cell::from(e.row.asset_key.clone()),
                Cell::from(size_text(e.row.size_bytes)),
                Cell::from(Span::styled(status, theme.style(role))),
            ];
            if is_wide {
                cells.push(Cell::from(e.row.last_modified.clone().unwrap_or_default()));
            }
            Row::new(cells).style(style)
        })
        .collect();
    let titles = ["item", "asset", "size", "probe", "last_modified"];
    let header =
        Row::new(titles[..if is_wide { 5 } else { 4 }].to_vec()).style(theme.style(Role::Header));
    let mut widths = vec![
        Constraint::Length(26),
        Constraint::Length(10),
        Constraint::Length(8),
        Constraint::Min(14),
    ];
    if is_wide {
        widths.push(Constraint::Length(26));
    }
    frame.render_widget(Table::new(rows, widths).header(header), body);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_and_scrolling() {
        let (label, ratio) = progress_label(5, 20, Some((10.0, 1.5)));
        assert_eq!(label, "5/20 · 10/s · ETA 2 s");
        assert!((ratio - 0.25).abs() < 1e-9);
        assert_eq!(progress_label(0, 0, None).1, 1.0);
        assert_eq!(scrolled(12, 0, 10), (12, 3));
        assert_eq!(scrolled(2, 3, 10), (2, 2));
        assert_eq!(size_text(Some(12_345)), "12 KB");
    }
}
