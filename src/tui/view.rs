//! The whole screen as a pure function of the Model: tabs, the focused pane, the status bar
//! (a prompt, the last message, or the focused pane's keys from the keymap), and popups.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use super::command::{Command, PaneId};
use super::model::{InputTarget, Model};
use super::panes;
use super::popups;
use super::theme::Role;
use super::widgets::line::caret_text;

/// The rects one frame drew (for hit-testing and tests).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Drawn {
    /// The tab row.
    pub tabs: Rect,
    /// The focused pane.
    pub body: Rect,
    /// The status bar.
    pub status: Rect,
    /// The popup, if one is open.
    pub popup: Option<Rect>,
}

/// Draws a frame.
pub fn draw(frame: &mut Frame<'_>, model: &Model) -> Drawn {
    let area = frame.area();
    let tabs = Rect {
        height: 1.min(area.height),
        ..area
    };
    let status = Rect {
        y: area.y + area.height.saturating_sub(1),
        height: 1.min(area.height),
        ..area
    };
    let body = model.body_area();
    draw_tabs(frame, tabs, model);
    match model.focus {
        PaneId::Search => {
            let editing = match &model.input {
                Some(i) if matches!(i.target, InputTarget::Field(_)) => Some(&i.line),
                _ => None,
            };
            panes::search::view::draw(
                frame,
                body,
                &model.search,
                &model.items,
                editing,
                &model.theme,
            );
        }
        PaneId::Items => panes::items::view::draw(frame, body, &model.items, &model.theme),
        PaneId::Lock => panes::lock::view::draw(frame, body, &model.lock, &model.theme),
        PaneId::Validation => {
            panes::validation::view::draw(frame, body, &model.validation, &model.theme);
        }
        PaneId::Package => panes::package::view::draw(frame, body, &model.package, &model.theme),
        PaneId::Map => {
            let search_bbox = crate::search::params::parse_bbox(model.search.form.bbox.trim())
                .ok()
                .map(|b| [b[0], b[1], b[b.len() / 2], b[b.len() / 2 + 1]]);
            let overlays = panes::map::view::Overlays { search_bbox };
            panes::map::view::draw(
                frame,
                body,
                &model.map,
                &model.items,
                overlays,
                &model.theme,
            );
        }
    }
    draw_status(frame, status, model);
    let popup = popups::draw(frame, body, model);
    draw_prompt_error(frame, status, model);
    Drawn {
        tabs,
        body,
        status,
        popup,
    }
}

fn draw_tabs(frame: &mut Frame<'_>, area: Rect, model: &Model) {
    let mut spans = vec![Span::styled("stacpkg ", model.theme.style(Role::Header))];
    for (i, pane) in PaneId::ALL.iter().enumerate() {
        let style = if *pane == model.focus {
            model.theme.style(Role::TabActive)
        } else {
            model.theme.style(Role::TabInactive)
        };
        spans.push(Span::styled(format!(" {} {} ", i + 1, pane.title()), style));
        spans.push(Span::raw(" "));
    }
    if let Some(key) = model.keymap.key_for(model.focus, Command::ToggleHelp) {
        let hint = format!("  {key} help");
        let used: usize = spans.iter().map(|s| s.content.chars().count()).sum();
        // Only whole: a clipped "? hel" helps nobody (the hint bar names ? too).
        if used + hint.chars().count() <= usize::from(area.width) {
            spans.push(Span::styled(hint, model.theme.style(Role::Dim)));
        }
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

fn draw_status(frame: &mut Frame<'_>, area: Rect, model: &Model) {
    let theme = &model.theme;
    let line = if let Some(input) = &model.input {
        let label = model.prompt_label(input.target);
        const KEYS: &str = "  enter apply · esc cancel";
        let room = (area.width as usize)
            .saturating_sub(label.chars().count() + KEYS.chars().count())
            .max(12);
        Line::from(vec![
            Span::styled(label, theme.style(Role::Key)),
            Span::styled(
                if input.target.is_secret() {
                    // Only that something was typed, never what, nor how much beyond 8.
                    "•".repeat(input.text().chars().count().min(8))
                } else {
                    caret_text(&input.line, room)
                },
                theme.style(Role::Input),
            ),
            Span::styled(KEYS, theme.style(Role::Dim)),
        ])
    } else if let Some(status) = &model.status {
        let (glyph, role) = if status.is_error {
            ("✗ ", Role::Bad)
        } else if status.text.starts_with("warning: ") {
            ("⚠ ", Role::Warn)
        } else {
            ("✓ ", Role::Good)
        };
        // The message first: shortened from the middle (its cause is at the end), with the
        // key of the full text; hints only in the room left.
        let width = area.width as usize;
        let room = width.saturating_sub(2);
        let len = status.text.chars().count();
        let text = if len <= room {
            status.text.clone()
        } else {
            // Only errors and warnings are in the message log.
            let logged = status.is_error || status.text.starts_with("warning: ");
            let more = model
                .keymap
                .key_for(model.focus, Command::ShowMessages)
                .filter(|_| logged)
                .map(|k| format!(" ({k}: full text)"))
                .unwrap_or_default();
            shorten_middle(&status.text, room.saturating_sub(more.chars().count())) + &more
        };
        let left = width.saturating_sub(2 + text.chars().count() + 4);
        let mut spans = vec![Span::styled(glyph, theme.style(role)), Span::raw(text)];
        if left >= 12 {
            spans.push(Span::styled("  · ", theme.style(Role::Dim)));
            spans.push(hints_span(model, left.min(width / 2)));
        }
        Line::from(spans)
    } else {
        Line::from(hints_span(model, area.width as usize))
    };
    frame.render_widget(Paragraph::new(line), area);
}

/// A prompt keeps the status bar for the text being edited; what was said since it opened
/// (the reason a command line did not parse, "the registry wants credentials") goes on the
/// row above.
fn draw_prompt_error(frame: &mut Frame<'_>, status: Rect, model: &Model) {
    let (Some(_), Some(s)) = (&model.input, &model.status) else {
        return;
    };
    if status.y == 0 {
        return;
    }
    let row = Rect {
        y: status.y - 1,
        height: 1,
        ..status
    };
    let text = shorten_middle(&s.text, (row.width as usize).saturating_sub(2));
    let (glyph, role) = if s.is_error {
        ("✗ ", Role::Bad)
    } else {
        ("· ", Role::Info)
    };
    let line = Line::from(vec![
        Span::styled(glyph, model.theme.style(role)),
        Span::styled(text, model.theme.style(role)),
    ]);
    frame.render_widget(ratatui::widgets::Clear, row);
    frame.render_widget(Paragraph::new(line), row);
}

/// `text` in at most `room` chars, the middle replaced by `…`: both the context at the start
/// and the cause at the end stay readable.
pub fn shorten_middle(text: &str, room: usize) -> String {
    let chars: Vec<char> = text.chars().collect();
    if chars.len() <= room {
        return text.to_string();
    }
    let room = room.max(3);
    let tail = (room - 1) / 2;
    let head = room - 1 - tail;
    let mut out: String = chars[..head].iter().collect();
    out.push('…');
    out.extend(&chars[chars.len() - tail..]);
    out
}

/// The focused pane's keys (its own first, then the global ones), as many as fit in `width`
/// cells; when some do not fit, the last piece says which key lists them all.
fn hints_span(model: &Model, width: usize) -> Span<'static> {
    let pieces: Vec<String> = model
        .keymap
        .hints(model.focus)
        .into_iter()
        .map(|(keys, desc)| format!("{} {desc}", keys.first().cloned().unwrap_or_default()))
        .collect();
    let joined = pieces.join("  ");
    if joined.chars().count() <= width {
        return Span::styled(joined, model.theme.style(Role::Dim));
    }
    let help_key = model.keymap.key_for(model.focus, Command::ToggleHelp);
    let rest = help_key
        .map(|k| format!("{k} all keys"))
        .unwrap_or_default();
    let help_piece = help_key.map(|k| format!("{k} {}", Command::ToggleHelp.description()));
    let room = width.saturating_sub(rest.chars().count() + 2);
    let mut text = String::new();
    for piece in pieces {
        let extra = if text.is_empty() { 0 } else { 2 };
        if text.chars().count() + extra + piece.chars().count() > room {
            break;
        }
        if !text.is_empty() {
            text.push_str("  ");
        }
        text.push_str(&piece);
    }
    let shows_help = help_piece.is_some_and(|p| text.split("  ").any(|t| t == p));
    if !rest.is_empty() && !shows_help && text.chars().count() + 2 + rest.chars().count() <= width {
        if !text.is_empty() {
            text.push_str("  ");
        }
        text.push_str(&rest);
    }
    Span::styled(text, model.theme.style(Role::Dim))
}
