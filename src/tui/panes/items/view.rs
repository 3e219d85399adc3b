//! Drawing the items pane: the summary line, the table, and the columns chooser.

use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table};
use ratatui::Frame;

use super::columns::{fit, ColumnWidth, Source};
use super::{ItemsPane, Phase, RowRef};
use crate::tui::theme::{Role, Theme};
use crate::tui::widgets::cell::{clip, display_width};
use crate::tui::widgets::popup::{boxed, centred};

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
    if let Some(held) = &pane.paused {
        let done = if held.done.is_some() { ", done" } else { "" };
        parts.push(format!("⏸ paused · +{} new{done} (P resumes)", held.rows));
    }
    if !pane.rows.is_empty() {
        parts.push(format!("row {}/{}", pane.cursor + 1, pane.rows.len()));
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
    // Widths come from the load's sample, not from the rows on screen.
    let widths: Vec<ColumnWidth> = visible.iter().map(|n| pane.profile.width(n)).collect();
    let cursor = pane.column_cursor.min(widths.len().saturating_sub(1));
    let fit = fit(
        table_area.width as usize,
        pane.profile.width("id"),
        &widths,
        cursor,
    );
    // Columns are looked up by name in each row's own batch: the pages of a STAC API search
    // each have their own schema (a property may first appear on page 7).
    let cell = |r: RowRef, name: &str, width: usize| -> (String, bool) {
        match pane
            .batches
            .get(r.batch as usize)
            .and_then(|b| Source::of(b, name))
        {
            Some(source) => {
                let row = r.row as usize;
                (clip(&source.text(row), width), source.is_fallback(row))
            }
            None => (String::new(), false),
        }
    };
    let ids: Vec<String> = window
        .iter()
        .map(|r| pane.id_of(*r).unwrap_or_default())
        .collect();
    let sort_col = pane.sort.as_ref().map(|s| s.column.as_str());
    let header_cell = |name: &str, selected: bool, width: usize| {
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
        Cell::from(clip(&format!("{name}{mark}"), width)).style(style)
    };
    let mut header = vec![Cell::from(" "), header_cell("id", false, fit.id)];
    header.extend(
        fit.shown
            .iter()
            .map(|&(c, w)| header_cell(visible[c], c == cursor, w)),
    );
    let rows: Vec<Row> = window
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let is_marked = pane.marked.contains(&ids[i]);
            let mut row = vec![
                Cell::from(if is_marked { "●" } else { " " }),
                Cell::from(clip(&ids[i], fit.id)).style(theme.style(Role::Key)),
            ];
            row.extend(fit.shown.iter().map(|&(c, w)| {
                let (text, is_fallback) = cell(*r, visible[c], w);
                if is_fallback {
                    // start_datetime standing in for a null datetime.
                    Cell::from(text).style(theme.style(Role::Dim))
                } else {
                    Cell::from(text)
                }
            }));
            let mut style = if is_marked {
                theme.style(Role::RowMarked)
            } else {
                theme.style(Role::Normal)
            };
            if pane.offset + i == pane.cursor {
                style = style.patch(theme.style(Role::RowSelected));
            }
            Row::new(row).style(style)
        })
        .collect();
    let mut constraints = vec![Constraint::Length(1), Constraint::Length(fit.id as u16)];
    constraints.extend(fit.shown.iter().map(|&(_, w)| Constraint::Length(w as u16)));
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

/// Draws the columns chooser over `area` with `cursor` on a column, titled `title` (its
/// keys); returns its rect.
pub fn draw_columns(
    frame: &mut Frame<'_>,
    area: Rect,
    pane: &ItemsPane,
    cursor: usize,
    title: &str,
    theme: &Theme,
) -> Rect {
    let width = (display_width(title) + 6).max(40) as u16;
    let rect = centred(area, width, area.height.saturating_sub(2));
    let h = (rect.height.saturating_sub(2) as usize).max(1);
    let start = cursor.saturating_sub(h - 1);
    let lines = pane
        .columns
        .iter()
        .enumerate()
        .skip(start)
        .take(h)
        .map(|(i, c)| {
            let check = if c.is_visible { "[x]" } else { "[ ]" };
            let style = if i == cursor {
                theme.style(Role::RowSelected)
            } else {
                theme.style(Role::Normal)
            };
            Line::styled(format!("{check} {}", c.name), style)
        })
        .collect();
    boxed(frame, rect, title, lines, theme);
    rect
}
