//! Drawing the items pane: the summary line, the table, and the columns chooser.

use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table};
use ratatui::Frame;

use super::{ItemsPane, Phase, RowRef, MAX_COLUMN_WIDTH};
use crate::tui::theme::{Role, Theme};
use crate::tui::widgets::cell::table_cell;
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

/// Draws the columns chooser over `area` with `cursor` on a column; returns its rect.
pub fn draw_columns(
    frame: &mut Frame<'_>,
    area: Rect,
    pane: &ItemsPane,
    cursor: usize,
    theme: &Theme,
) -> Rect {
    let rect = centred(area, 40, area.height.saturating_sub(2));
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
    boxed(frame, rect, "Columns (space toggles)", lines, theme);
    rect
}
