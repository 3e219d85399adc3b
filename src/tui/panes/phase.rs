//! Where a pane's background run stands: shared by the lock pane (derive or read) and the
//! validation pane (validate), which move through the same states and draw them alike.

use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{LineGauge, Paragraph, Wrap};
use ratatui::Frame;

use crate::tui::theme::{Role, Theme};

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

/// Draws a run pane's progress line.
pub fn draw_gauge(frame: &mut Frame<'_>, area: Rect, label: String, ratio: f64, theme: &Theme) {
    frame.render_widget(
        LineGauge::default()
            .ratio(ratio)
            .label(label)
            .filled_style(theme.style(Role::Good))
            .unfilled_style(theme.style(Role::Dim)),
        area,
    );
}

/// Draws why a run could not go on: a headline and the error, wrapped.
pub fn draw_failure(frame: &mut Frame<'_>, area: Rect, headline: &str, error: &str, theme: &Theme) {
    let text = vec![
        Line::styled(format!("✗ {headline}"), theme.style(Role::Bad)),
        Line::raw(error.to_string()),
    ];
    frame.render_widget(Paragraph::new(text).wrap(Wrap { trim: false }), area);
}
