//! Drawing shared by the two run panes, lock (derive or read) and validation (validate),
//! which move through the same states and draw them alike: layout, progress gauge and its
//! label, failure text, byte counts, and keeping a cursor in its window.

use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{LineGauge, Paragraph, Wrap};
use ratatui::Frame;

use crate::tui::theme::{Role, Theme};

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

/// Bytes for progress and facts: `812 B`, `12.3 KiB`, `4.0 MiB`, `1.2 GiB`.
pub fn bytes_text(n: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if n < 1024 {
        return format!("{n} B");
    }
    let mut value = n as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
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
        assert_eq!(bytes_text(812), "812 B");
        assert_eq!(bytes_text(3 << 20), "3.0 MiB");
    }
}
