//! Drawing the lock pane: summary, gauge while a run goes on, and the rows with their facts.

use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table};
use ratatui::Frame;

use super::{LockPane, LockPhase, LockSort};
use crate::tui::theme::{Role, Theme};
use crate::tui::widgets::run::{draw_failure, draw_gauge, progress_label, run_layout, size_text};

/// Draws the pane.
pub fn draw(frame: &mut Frame<'_>, area: Rect, pane: &LockPane, theme: &Theme) {
    let Some((summary, gauge, body)) = run_layout(area) else {
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
    if !pane.filter.is_empty() {
        spans.push(Span::styled(
            format!(" · /{} → {} shown", pane.filter, pane.shown.len()),
            theme.style(Role::Info),
        ));
    }
    if pane.sort != LockSort::LockOrder {
        spans.push(Span::styled(
            format!(" · sort {}", pane.sort.word()),
            theme.style(Role::Info),
        ));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), summary);
    if pane.phase != LockPhase::Empty {
        let rate_eta = pane.rate_and_eta().filter(|_| pane.is_running());
        let (label, ratio) = progress_label(pane.entries.len(), pane.total, rate_eta);
        draw_gauge(frame, gauge, label, ratio, theme);
    }
    if let LockPhase::Failed(error) = &pane.phase {
        if pane.entries.is_empty() {
            draw_failure(frame, body, "the lock could not be made", error, theme);
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
        .shown
        .iter()
        .map(|&i| &pane.entries[i])
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

/// Draws the relocation preview: where to, how many rows move, and each move as
/// source → destination (what `asset-lock relocate --dry-run` plans).
pub fn draw_relocation(
    frame: &mut Frame<'_>,
    area: Rect,
    pane: &LockPane,
    theme: &Theme,
) -> Option<Rect> {
    let r = pane.relocation.as_ref()?;
    let rect = crate::tui::widgets::popup::centred(
        area,
        area.width.saturating_sub(4),
        area.height.saturating_sub(2),
    );
    let passed = r.destinations.len() - r.mapped;
    let mut lines = vec![
        Line::raw(format!(
            "{} rows move to {}{}; {passed} stay where they are",
            r.mapped,
            r.target,
            if r.overwrite {
                ""
            } else {
                " (never replacing an object there)"
            }
        )),
        Line::styled(
            "y = copy the bytes (then enrich the items), any other key = no · ↑/↓ scroll",
            theme.style(Role::Warn),
        ),
        Line::raw(""),
    ];
    let room = rect.height.saturating_sub(2 + 3) as usize;
    let half = (rect.width as usize).saturating_sub(8) / 2;
    let clip = |t: &str| crate::tui::widgets::cell::clip(t, half.max(8));
    for (from, to) in r.moves.iter().skip(r.scroll).take(room) {
        lines.push(Line::from(vec![
            Span::raw(clip(from)),
            Span::styled(" → ", theme.style(Role::Dim)),
            Span::raw(clip(to)),
        ]));
    }
    let title = format!(
        "Relocate (dry run: nothing copied yet) · {} moves",
        r.moves.len()
    );
    crate::tui::widgets::popup::boxed(frame, rect, &title, lines, theme);
    Some(rect)
}
