//! The popups over the panes (one at a time, [`Popup`]): how arrows move in them and how they
//! are drawn. Help, JSON and the confirmations are drawn here; the columns chooser and the
//! collections picker belong to their panes, which draw them.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::Frame;

use super::command::{Command, PaneId};
use super::keymap::Scope;
use super::model::{Model, Popup};
use super::panes;
use super::theme::Role;
use super::widgets::popup::{boxed, centred};

/// Moves the cursor or scroll of the open popup by `delta`; `false` if no popup is open.
pub fn move_by(model: &mut Model, delta: isize) -> bool {
    let step = |cur: usize, len: usize| -> usize {
        let target = cur as isize + delta;
        target.clamp(0, len.saturating_sub(1) as isize) as usize
    };
    match &mut model.popup {
        None => return false,
        Some(Popup::Collections) => panes::search::update::move_picker(model, delta),
        Some(Popup::Help { scroll }) => *scroll = step(*scroll, 200),
        Some(Popup::Json { lines, scroll, .. }) => *scroll = step(*scroll, lines.len()),
        Some(Popup::Columns { cursor }) => *cursor = step(*cursor, model.items.columns.len()),
        Some(Popup::ConfirmQuit) | Some(Popup::ConfirmOverwrite { .. }) => {}
    }
    true
}

/// The help lines: every scope's bindings, from the one keymap table.
pub fn help_lines(model: &Model) -> Vec<Line<'static>> {
    let mut lines = Vec::new();
    let scopes = std::iter::once((Scope::GLOBAL, "Everywhere".to_string())).chain(
        PaneId::ALL
            .into_iter()
            .map(|p| (Scope::Pane(p), format!("{} pane", p.title()))),
    );
    for (scope, title) in scopes {
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
    let theme = &model.theme;
    let inner_h = |rect: Rect| rect.height.saturating_sub(2) as usize;
    match popup {
        Popup::Help { scroll } => {
            let rect = centred(area, 60, area.height.saturating_sub(2));
            let lines = help_lines(model);
            let start = (*scroll).min(lines.len().saturating_sub(1));
            let lines = lines.into_iter().skip(start).collect();
            boxed(frame, rect, "Keys (esc closes)", lines, theme);
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
            boxed(frame, rect, &title, shown, theme);
            Some(rect)
        }
        Popup::Columns { cursor } => {
            let key = |c: Command| {
                let k = model.keymap.key_for(PaneId::Items, c);
                k.map_or_else(|| "?".to_string(), |k| k.to_string())
            };
            let title = format!(
                "Columns ({} shows/hides, {}/{} move)",
                key(Command::ToggleMark),
                key(Command::MoveColumnUp),
                key(Command::MoveColumnDown)
            );
            Some(panes::items::view::draw_columns(
                frame,
                area,
                &model.items,
                *cursor,
                &title,
                theme,
            ))
        }
        Popup::Collections => {
            let picker = model.search.picker.as_ref()?;
            Some(panes::search::view::draw_picker(frame, area, picker, theme))
        }
        Popup::ConfirmQuit => {
            let rect = centred(area, 44, 5);
            let lines = vec![
                Line::raw("Work is still running."),
                Line::styled(
                    "Quit anyway? y = yes, any other key = no",
                    theme.style(Role::Warn),
                ),
            ];
            boxed(frame, rect, "Quit?", lines, theme);
            Some(rect)
        }
        Popup::ConfirmOverwrite { path } => {
            let rect = centred(area, 60, 5);
            let lines = vec![
                Line::raw(format!("{path} exists.")),
                Line::styled(
                    "Replace it? y = yes, any other key = no",
                    theme.style(Role::Warn),
                ),
            ];
            boxed(frame, rect, "Replace file?", lines, theme);
            Some(rect)
        }
    }
}
