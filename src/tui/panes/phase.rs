//! Where a pane's background run stands: shared by the lock pane (derive or read) and the
//! validation pane (validate), which move through the same states and draw them alike.

use ratatui::layout::Rect;

/// Where a pane's run stands.
#[derive(Debug, Clone, PartialEq)]
pub enum RunPhase {
    /// Nothing has run yet.
    Empty,
    /// Rows are arriving.
    Running,
    /// Every row is in.
    Done,
    /// The user cancelled; the rows so far are kept.
    Cancelled,
    /// The run could not go on.
    Failed(String),
}

/// A run pane's rows: summary line, gauge line, body; `None` when `area` has no room for them.
pub fn run_layout(area: Rect) -> Option<(Rect, Rect, Rect)> {
    if area.height < 3 {
        return None;
    }
    let line = |offset: u16, height: u16| Rect {
        y: area.y + offset,
        height,
        ..area
    };
    Some((line(0, 1), line(1, 1), line(2, area.height - 2)))
}
