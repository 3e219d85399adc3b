//! Drawing the search pane: the form, the run line, the remembered searches, and the
//! collections picker popup.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};
use ratatui::Frame;

use super::form::{is_url, FIELDS};
use super::{Picker, PickerList, SearchPane};
use crate::tui::line::LineEditor;
use crate::tui::panes::items::{ItemsPane, Phase};
use crate::tui::theme::{Role, Theme};
use crate::tui::widgets::line::caret_text;

/// The run line: what the last search is doing, from the items pane it streams into.
fn run_line(pane: &SearchPane, items: &ItemsPane, theme: &Theme) -> Option<Line<'static>> {
    let progress = pane
        .progress
        .filter(|(g, _)| *g == items.generation)
        .map(|(_, p)| p);
    let pages = progress.map_or(String::new(), |p| {
        let matched = p
            .matched
            .map(|m| format!(" of {m} matched"))
            .unwrap_or_default();
        format!(" · page {}{matched}", p.pages)
    });
    let rate = items
        .rate
        .map(|r| format!(" · {r:.0} items/s"))
        .unwrap_or_default();
    let n = items.total_rows;
    let (glyph, role, text) = match &items.phase {
        Phase::Empty => return None,
        Phase::Loading => ("… ", Role::Warn, format!("searching {}", items.source)),
        Phase::Streaming => (
            "… ",
            Role::Warn,
            format!("streaming: {n} items{rate}{pages} (esc cancels)"),
        ),
        Phase::Done => ("✓ ", Role::Good, format!("done: {n} items{rate}{pages}")),
        Phase::Failed(e) => ("✗ ", Role::Bad, format!("failed: {e}")),
    };
    Some(Line::from(vec![
        Span::styled(glyph, theme.style(role)),
        Span::raw(text),
    ]))
}

/// Draws the pane. `editing` is the editor of the field under the cursor, while typed into.
pub fn draw(
    frame: &mut Frame<'_>,
    area: Rect,
    pane: &SearchPane,
    items: &ItemsPane,
    editing: Option<&LineEditor>,
    theme: &Theme,
) {
    let kind = if is_url(&pane.form.source) {
        "STAC API search"
    } else {
        "Search: a STAC API URL, or a catalogue file (NDJSON / JSON / GeoParquet)"
    };
    let mut lines = vec![Line::styled(kind, theme.style(Role::Header))];
    for (i, label) in FIELDS.iter().enumerate() {
        let selected = pane.cursor == i;
        let value = match editing {
            Some(line) if selected => {
                let room = (area.width as usize).saturating_sub(14);
                Span::styled(caret_text(line, room), theme.style(Role::Input))
            }
            _ => Span::raw(pane.form.field(i).to_string()),
        };
        let marker = if selected { "▶ " } else { "  " };
        lines.push(Line::from(vec![
            Span::styled(marker, theme.style(Role::Key)),
            Span::styled(format!("{label:<12}"), theme.style(Role::Dim)),
            value,
        ]));
    }
    if let Some(error) = &pane.error {
        lines.push(Line::from(vec![
            Span::styled("✗ ", theme.style(Role::Bad)),
            Span::raw(error.clone()),
        ]));
    } else if let Some(line) = run_line(pane, items, theme) {
        lines.push(line);
    }
    lines.push(Line::raw(""));
    lines.push(Line::styled(
        "Remembered searches",
        theme.style(Role::Header),
    ));
    if pane.history.is_empty() {
        lines.push(Line::styled("  (none yet)", theme.style(Role::Dim)));
    }
    for (i, form) in pane.history.iter().enumerate() {
        let selected = pane.cursor == FIELDS.len() + i;
        let style = if selected {
            theme.style(Role::RowSelected)
        } else {
            theme.style(Role::Normal)
        };
        lines.push(Line::styled(format!("  {}", form.summary()), style));
    }
    frame.render_widget(Paragraph::new(lines), area);
}

/// Draws the collections picker as a popup over `area`; returns its rect.
pub fn draw_picker(frame: &mut Frame<'_>, area: Rect, picker: &Picker, theme: &Theme) -> Rect {
    let rect = crate::tui::widgets::popup::centred(
        area,
        area.width.saturating_sub(8).min(76),
        area.height.saturating_sub(2),
    );
    let inner = rect.height.saturating_sub(2).max(1) as usize;
    let lines: Vec<Line<'static>> = match &picker.list {
        PickerList::Loading => vec![Line::styled(
            format!("reading {} collections…", picker.source),
            theme.style(Role::Dim),
        )],
        PickerList::Failed(e) => vec![Line::from(vec![
            Span::styled("✗ ", theme.style(Role::Bad)),
            Span::raw(e.clone()),
        ])],
        PickerList::Loaded(list) if list.is_empty() => vec![Line::styled(
            "the server lists no collections",
            theme.style(Role::Dim),
        )],
        PickerList::Loaded(list) => {
            let start = picker.cursor.saturating_sub(inner - 1);
            list.iter()
                .enumerate()
                .skip(start)
                .take(inner)
                .map(|(i, (id, title))| {
                    let check = if picker.chosen.contains(id) {
                        "[x]"
                    } else {
                        "[ ]"
                    };
                    let style = if i == picker.cursor {
                        theme.style(Role::RowSelected)
                    } else {
                        theme.style(Role::Normal)
                    };
                    let title = title.as_deref().unwrap_or("");
                    Line::styled(format!("{check} {id:<24} {title}"), style)
                })
                .collect()
        }
    };
    frame.render_widget(Clear, rect);
    let title = format!(
        " Collections ({} chosen) · space marks · enter writes ",
        picker.chosen.len()
    );
    let block = Block::default()
        .borders(Borders::ALL)
        .title(title)
        .border_style(theme.style(Role::Popup));
    frame.render_widget(Paragraph::new(lines).block(block), rect);
    rect
}
