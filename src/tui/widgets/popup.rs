//! Popups drawn over the panes: help (from the keymap), item JSON, columns, quit confirmation.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};
use ratatui::Frame;

use crate::tui::keymap::Scope;
use crate::tui::model::{Model, Popup};
use crate::tui::theme::Role;

/// A rectangle of at most `w`×`h` centred in `area`.
pub fn centred(area: Rect, w: u16, h: u16) -> Rect {
    let w = w.min(area.width);
    let h = h.min(area.height);
    Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 2,
        width: w,
        height: h,
    }
}

fn boxed<'a>(frame: &mut Frame<'_>, area: Rect, title: &str, lines: Vec<Line<'a>>, model: &Model) {
    frame.render_widget(Clear, area);
    let block = Block::default()
        .borders(Borders::ALL)
        .title(format!(" {title} "))
        .border_style(model.theme.style(Role::Popup));
    frame.render_widget(Paragraph::new(lines).block(block), area);
}

/// The help lines: every scope's bindings, from the one keymap table.
pub fn help_lines(model: &Model) -> Vec<Line<'static>> {
    let mut lines = Vec::new();
    for (scope, title) in [
        (Scope::Global, "Everywhere"),
        (Scope::Search, "Search pane"),
        (Scope::Items, "Items pane"),
        (Scope::Lock, "Lock pane"),
        (Scope::Validation, "Validation pane"),
    ] {
        lines.push(Line::styled(title, model.theme.style(Role::Header)));
        for (keys, desc) in model.keymap.entries(scope) {
            lines.push(Line::from(vec![
                Span::styled(
                    format!("  {:<16}", keys.join(" ")),
                    model.theme.style(Role::Key),
                ),
                Span::raw(desc),
            ]));
        }
    }
    lines
}

/// Draws the open popup, if any; returns the rect it covers.
pub fn draw(frame: &mut Frame<'_>, area: Rect, model: &Model) -> Option<Rect> {
    let popup = model.popup.as_ref()?;
    let inner_h = |rect: Rect| rect.height.saturating_sub(2) as usize;
    match popup {
        Popup::Help { scroll } => {
            let rect = centred(area, 60, area.height.saturating_sub(2));
            let lines = help_lines(model);
            let start = (*scroll).min(lines.len().saturating_sub(1));
            let lines = lines.into_iter().skip(start).collect();
            boxed(frame, rect, "Keys (esc closes)", lines, model);
            Some(rect)
        }
        Popup::Json {
            title,
            lines,
            scroll,
        } => {
            let rect = centred(
                area,
                area.width.saturating_sub(4),
                area.height.saturating_sub(2),
            );
            let shown = lines
                .iter()
                .skip(*scroll)
                .take(inner_h(rect))
                .map(|l| Line::raw(l.clone()))
                .collect();
            let title = format!("{title} — line {}/{}", scroll + 1, lines.len());
            boxed(frame, rect, &title, shown, model);
            Some(rect)
        }
        Popup::Columns { cursor } => {
            let rect = centred(area, 40, area.height.saturating_sub(2));
            let h = inner_h(rect).max(1);
            let start = cursor.saturating_sub(h - 1);
            let lines = model
                .items
                .columns
                .iter()
                .enumerate()
                .skip(start)
                .take(h)
                .map(|(i, c)| {
                    let check = if c.is_visible { "[x]" } else { "[ ]" };
                    let style = if i == *cursor {
                        model.theme.style(Role::RowSelected)
                    } else {
                        model.theme.style(Role::Normal)
                    };
                    Line::styled(format!("{check} {}", c.name), style)
                })
                .collect();
            boxed(frame, rect, "Columns (space toggles)", lines, model);
            Some(rect)
        }
        Popup::Collections => {
            let picker = model.search.picker.as_ref()?;
            Some(crate::tui::panes::search::draw_picker(
                frame,
                area,
                picker,
                &model.theme,
            ))
        }
        Popup::ConfirmQuit => {
            let rect = centred(area, 44, 5);
            let lines = vec![
                Line::raw("Work is still running."),
                Line::styled(
                    "Quit anyway? y = yes, any other key = no",
                    model.theme.style(Role::Warn),
                ),
            ];
            boxed(frame, rect, "Quit?", lines, model);
            Some(rect)
        }
        Popup::ConfirmOverwrite { path } => {
            let rect = centred(area, 60, 5);
            let lines = vec![
                Line::raw(format!("{path} exists.")),
                Line::styled(
                    "Replace it? y = yes, any other key = no",
                    model.theme.style(Role::Warn),
                ),
            ];
            boxed(frame, rect, "Replace file?", lines, model);
            Some(rect)
        }
    }
}
