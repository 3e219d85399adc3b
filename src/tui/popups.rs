//! The popups over the panes (one at a time, [`Popup`]): how arrows move in them and how they
//! are drawn. Help, JSON and the confirmations are drawn here; the columns chooser and the
//! collections picker belong to their panes, which draw them.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::Frame;

use super::activity::{self, Activity, ActivityKind, Outcome};
use super::command::{Command, PaneId};
use super::keymap::Scope;
use super::model::{InputTarget, Model, Popup};
use super::msg::Effect;
use super::panes;
use super::panes::search::SearchEffect;
use super::theme::Role;
use super::widgets::popup::{boxed, centred};
use super::write;

/// What a key in a popup comes to.
#[derive(Debug)]
pub enum PopupKey {
    /// The popup handled it (or ignored it): these effects, nothing else.
    Done(Vec<Effect>),
    /// The key means this command, for [`command`] (through the core's `update`).
    Command(Command),
    /// The user confirmed cancelling the long run (the core cancels it).
    CancelRun,
}

/// A key while a popup is open: the popup is modal, so the key means what it means there or
/// nothing. `esc` and `q` close it; the confirmations take `y` (anything else is no).
pub fn key(model: &mut Model, key: KeyEvent) -> PopupKey {
    match model.popup {
        Some(Popup::ConfirmQuit) => {
            model.popup = None;
            let ctrl_c =
                key.modifiers.contains(KeyModifiers::CONTROL) && key.code == KeyCode::Char('c');
            return PopupKey::Done(match key.code {
                KeyCode::Char('y' | 'Y') => {
                    vec![Effect::Search(SearchEffect::CancelLoad), Effect::Quit]
                }
                _ if ctrl_c => vec![Effect::Search(SearchEffect::CancelLoad), Effect::Quit],
                _ => vec![],
            });
        }
        Some(Popup::ConfirmCancel) => {
            model.popup = None;
            return match key.code {
                KeyCode::Char('y' | 'Y') => PopupKey::CancelRun,
                _ => PopupKey::Done(vec![]),
            };
        }
        Some(Popup::ConfirmOverwrite { .. }) => {
            return PopupKey::Done(write::confirm_key(model, key));
        }
        Some(Popup::ConfirmPackage) => {
            return PopupKey::Done(match key.code {
                KeyCode::Char('y' | 'Y') => panes::package::update::confirm(model),
                _ => {
                    panes::package::update::decline(model);
                    vec![]
                }
            });
        }
        Some(Popup::ConfirmRelocate)
            if !matches!(
                key.code,
                KeyCode::Up | KeyCode::Down | KeyCode::PageUp | KeyCode::PageDown
            ) =>
        {
            return PopupKey::Done(match key.code {
                KeyCode::Char('y' | 'Y') => panes::lock::update::confirm_relocate(model),
                _ => {
                    panes::lock::update::decline_relocate(model);
                    vec![]
                }
            });
        }
        Some(Popup::Tasks { cursor })
            if key.modifiers.difference(KeyModifiers::SHIFT).is_empty() =>
        {
            match key.code {
                KeyCode::Char('x') => return PopupKey::Done(cancel_task(model, cursor)),
                KeyCode::Enter => {
                    show_task(model, cursor);
                    return PopupKey::Done(vec![]);
                }
                _ => {}
            }
        }
        None => return PopupKey::Done(vec![]),
        _ => {}
    }
    let plain = key.modifiers.difference(KeyModifiers::SHIFT).is_empty();
    if key.code == KeyCode::Esc || (plain && key.code == KeyCode::Char('q')) {
        return PopupKey::Done(close(model));
    }
    if matches!(model.popup, Some(Popup::Help { .. })) && key.code == KeyCode::Char('/') {
        return PopupKey::Command(Command::StartFilter);
    }
    match model.keymap.lookup(model.focus, &key) {
        Some(c) => PopupKey::Command(c),
        None => {
            model.is_dirty = false;
            PopupKey::Done(vec![])
        }
    }
}

/// A command while a popup is open: `Some` when the popup took it (acted or ignored it),
/// `None` for the few that act anyway (quit now).
pub fn command(model: &mut Model, c: Command) -> Option<Vec<Effect>> {
    let popup = model.popup.clone()?;
    let page = model.page_rows() as isize;
    let delta = match c {
        Command::Up => Some(-1),
        Command::Down => Some(1),
        Command::PageUp => Some(-page),
        Command::PageDown => Some(page),
        Command::Top => Some(isize::MIN / 2),
        Command::Bottom => Some(isize::MAX / 2),
        _ => None,
    };
    if let Some(delta) = delta {
        move_by(model, delta);
        return Some(vec![]);
    }
    match (popup, c) {
        (_, Command::ForceQuit) => None,
        (Popup::ConfirmOverwrite { .. }, Command::Cancel | Command::Quit) => {
            Some(write::confirm_key(model, KeyEvent::from(KeyCode::Esc)))
        }
        (_, Command::Cancel | Command::Quit) | (Popup::Help { .. }, Command::ToggleHelp) => {
            Some(close(model))
        }
        (Popup::Help { query, .. }, Command::StartFilter) => {
            model.prompt(InputTarget::HelpSearch, query);
            Some(vec![])
        }
        (Popup::Columns { cursor }, Command::ToggleMark) => {
            Some(panes::items::update::toggle_column(model, cursor))
        }
        (Popup::Columns { .. }, Command::MoveColumnUp | Command::MoveColumnDown) => {
            Some(panes::items::update::command(model, c))
        }
        (Popup::Collections, Command::ToggleMark) => {
            panes::search::update::toggle_collection(model);
            Some(vec![])
        }
        (Popup::Collections, Command::RunSearch | Command::OpenItem) => {
            panes::search::update::confirm_collections(model);
            Some(vec![])
        }
        _ => {
            model.is_dirty = false;
            Some(vec![])
        }
    }
}

/// The task under the task panel's cursor (the newest first).
fn task_at(model: &Model, cursor: usize) -> Option<&Activity> {
    model.activity.entries.iter().rev().nth(cursor)
}

/// A pane's cancel: its run's effects, `None` when nothing of it runs.
type Canceller = fn(&mut Model) -> Option<Vec<Effect>>;

/// `x` in the task panel: cancels the selected run if it still runs.
fn cancel_task(model: &mut Model, cursor: usize) -> Vec<Effect> {
    let Some(a) = task_at(model, cursor) else {
        return vec![];
    };
    if !a.outcome.is_running() {
        let text = format!("the {} is not running", a.kind.word());
        model.say(text, false);
        return vec![];
    }
    let kind = a.kind;
    let cancel: Canceller = match kind {
        ActivityKind::Search => panes::items::update::cancel_load,
        ActivityKind::Derive | ActivityKind::Read | ActivityKind::Relocate => {
            panes::lock::update::cancel
        }
        ActivityKind::Validate => panes::validation::update::cancel,
        ActivityKind::Build | ActivityKind::Push | ActivityKind::Pull => {
            panes::package::update::cancel
        }
        ActivityKind::Write | ActivityKind::Inspect => {
            model.say(
                "a write or an inspect cannot be cancelled: it is brief, and a write is atomic",
                false,
            );
            return vec![];
        }
    };
    cancel(model).unwrap_or_default()
}

/// Enter in the task panel: a failed run's whole error chain (or its command line).
fn show_task(model: &mut Model, cursor: usize) {
    let Some(a) = task_at(model, cursor) else {
        return;
    };
    let width = (model.size.0 as usize).saturating_sub(8).max(20);
    let mut lines = vec![format!("{} {}", a.kind.word(), a.target), String::new()];
    let body = match &a.outcome {
        Outcome::Failed(e) => format!("failed: {e}"),
        Outcome::Cancelled(t) => format!("cancelled: {t}"),
        Outcome::Done(t) => format!("done: {t}"),
        Outcome::Running => format!("running: {}", a.progress),
    };
    // The chain is "a: b: c"; one cause a line reads best.
    for (i, part) in body.split(": ").enumerate() {
        let text = if i == 0 {
            part.to_string()
        } else {
            format!("  {part}")
        };
        let chars: Vec<char> = text.chars().collect();
        lines.extend(chars.chunks(width).map(|c| c.iter().collect::<String>()));
    }
    if let Some(cli) = &a.cli {
        lines.push(String::new());
        lines.push("the same from a shell:".to_string());
        let chars: Vec<char> = cli.chars().collect();
        lines.extend(chars.chunks(width).map(|c| c.iter().collect::<String>()));
    }
    let title = format!("{} {}", a.kind.word(), a.target);
    model.popup = Some(Popup::Json {
        title,
        lines,
        scroll: 0,
    });
}

fn close(model: &mut Model) -> Vec<Effect> {
    model.popup = None;
    vec![]
}

/// The help search was submitted: list only the bindings that contain `text`.
pub fn search_help(model: &mut Model, text: &str) {
    if let Some(Popup::Help { scroll, query }) = &mut model.popup {
        *query = text.trim().to_string();
        *scroll = 0;
    }
}

/// Moves the cursor or scroll of the open popup by `delta`.
fn move_by(model: &mut Model, delta: isize) {
    let step = |cur: usize, len: usize| -> usize {
        let target = cur as isize + delta;
        target.clamp(0, len.saturating_sub(1) as isize) as usize
    };
    let help_len = match &model.popup {
        Some(Popup::Help { query, .. }) => help_lines(model, query).len(),
        _ => 0,
    };
    let page = help_page(model.size.1);
    let messages_len = match &model.popup {
        Some(Popup::Messages { .. }) => messages_lines(model, model.size.0).len(),
        _ => 0,
    };
    let tasks_len = model.activity.entries.len();
    let commands_len = match &model.popup {
        Some(Popup::Commands { .. }) => {
            activity::view::command_lines(&model.activity, &model.theme, model.size.0).len()
        }
        _ => 0,
    };
    match &mut model.popup {
        None
        | Some(
            Popup::ConfirmQuit
            | Popup::ConfirmCancel
            | Popup::ConfirmOverwrite { .. }
            | Popup::ConfirmPackage,
        ) => {}
        Some(Popup::Tasks { cursor }) => *cursor = step(*cursor, tasks_len),
        Some(Popup::ConfirmRelocate) => {
            if let Some(r) = &mut model.lock.relocation {
                r.scroll = step(r.scroll, r.moves.len());
            }
        }
        Some(Popup::Commands { scroll }) => {
            *scroll = step(*scroll, commands_len.saturating_sub(page) + 1);
        }
        Some(Popup::Collections) => panes::search::update::move_picker(model, delta),
        Some(Popup::Help { scroll, .. }) => {
            *scroll = step(*scroll, help_len.saturating_sub(page) + 1);
        }
        Some(Popup::Json { lines, scroll, .. }) => *scroll = step(*scroll, lines.len()),
        Some(Popup::Messages { scroll }) => {
            *scroll = step(*scroll, messages_len.saturating_sub(page) + 1);
        }
        Some(Popup::Columns { cursor }) => *cursor = step(*cursor, model.items.columns.len()),
        Some(Popup::Thumbnail) => {}
    }
}

/// The message log as screen lines for a popup on a `width`-column terminal: each entry
/// wrapped, never cut.
pub fn messages_lines(model: &Model, width: u16) -> Vec<Line<'static>> {
    let room = (width as usize).saturating_sub(4 + 2 + 2).max(10);
    let mut lines = Vec::new();
    for entry in &model.log {
        let (glyph, role) = if entry.is_warning {
            ("⚠ ", Role::Warn)
        } else {
            ("✗ ", Role::Bad)
        };
        let chars: Vec<char> = entry.text.chars().collect();
        for (i, piece) in chars.chunks(room).enumerate() {
            let lead = if i == 0 { glyph } else { "  " };
            lines.push(Line::from(vec![
                Span::styled(lead, model.theme.style(role)),
                Span::raw(piece.iter().collect::<String>()),
            ]));
        }
    }
    if lines.is_empty() {
        lines.push(Line::styled(
            "no errors or warnings this session",
            model.theme.style(Role::Dim),
        ));
    }
    lines
}

/// Lines of a full-height popup (help, messages) that fit on a screen `height` rows high.
pub fn help_page(height: u16) -> usize {
    // Tabs and status rows, the popup's margin and its borders.
    (height as usize).saturating_sub(2 + 2 + 2).max(1)
}

/// The help lines: every scope's bindings, from the one keymap table; with a `query`, only
/// the bindings whose keys or description contain it (and their headings).
pub fn help_lines(model: &Model, query: &str) -> Vec<Line<'static>> {
    let needle = query.to_lowercase();
    let mut lines = Vec::new();
    let scopes = std::iter::once((Scope::GLOBAL, "Everywhere".to_string())).chain(
        PaneId::ALL
            .into_iter()
            .map(|p| (Scope::Pane(p), format!("{} pane", p.title()))),
    );
    for (scope, title) in scopes {
        let entries: Vec<_> = model
            .keymap
            .entries(scope)
            .into_iter()
            .filter(|(keys, desc)| {
                needle.is_empty()
                    || desc.to_lowercase().contains(&needle)
                    || keys.iter().any(|k| k.to_lowercase() == needle)
            })
            .collect();
        if entries.is_empty() && !needle.is_empty() {
            continue;
        }
        lines.push(Line::styled(title, model.theme.style(Role::Header)));
        for (keys, desc) in entries {
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
        Popup::Help { scroll, query } => {
            let rect = centred(area, 60, area.height.saturating_sub(2));
            let typed = match &model.input {
                Some(i) if i.target == InputTarget::HelpSearch => i.text(),
                _ => query.as_str(),
            };
            let lines = help_lines(model, typed);
            let total = lines.len();
            let start = (*scroll).min(total.saturating_sub(1));
            let shown = inner_h(rect);
            let end = (start + shown).min(total);
            let mut title = if typed.is_empty() {
                "Keys (esc closes · / finds)".to_string()
            } else {
                format!("Keys matching \"{typed}\" (esc closes)")
            };
            if total > shown {
                title.push_str(&format!(" · {}–{end} of {total}", start + 1));
                if end < total {
                    title.push_str(" · ↓ more");
                }
            }
            let lines = lines.into_iter().skip(start).collect();
            boxed(frame, rect, &title, lines, theme);
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
        Popup::Messages { scroll } => {
            let rect = centred(
                area,
                area.width.saturating_sub(4),
                area.height.saturating_sub(2),
            );
            let lines = messages_lines(model, area.width);
            let shown = inner_h(rect);
            let start = (*scroll).min(lines.len().saturating_sub(shown));
            let total = lines.len();
            let title = format!(
                "Messages: {} this session (esc closes) · lines {}–{} of {total}",
                model.log.len(),
                start + 1,
                (start + shown).min(total)
            );
            let lines = lines.into_iter().skip(start).collect();
            boxed(frame, rect, &title, lines, theme);
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
            let why = match model.unsaved_work() {
                Some(work) => format!("{}{}.", work[..1].to_uppercase(), &work[1..]),
                None => "Work is still running.".to_string(),
            };
            let rect = centred(area, (why.chars().count() as u16 + 4).max(44), 5);
            let lines = vec![
                Line::raw(why),
                Line::styled(
                    "Quit anyway? y = yes, any other key = no",
                    theme.style(Role::Warn),
                ),
            ];
            boxed(frame, rect, "Quit?", lines, theme);
            Some(rect)
        }
        Popup::ConfirmCancel => {
            let what = model.long_run_in_focus().unwrap_or("the run");
            let rect = centred(area, 56, 5);
            let lines = vec![
                Line::raw(format!("Cancel {what}? What arrived so far is kept.")),
                Line::styled(
                    "y = cancel it, any other key = let it run",
                    theme.style(Role::Warn),
                ),
            ];
            boxed(frame, rect, "Cancel?", lines, theme);
            Some(rect)
        }
        Popup::ConfirmRelocate => {
            panes::lock::view::draw_relocation(frame, area, &model.lock, theme)
        }
        Popup::ConfirmPackage => {
            panes::package::view::draw_confirm(frame, area, &model.package, theme)
        }
        Popup::Thumbnail => model
            .thumbnail
            .as_ref()
            .map(|t| crate::tui::thumbnail::view::draw(frame, model, t)),
        Popup::Tasks { cursor } => Some(activity::view::draw_tasks(
            frame,
            area,
            &model.activity,
            *cursor,
            theme,
        )),
        Popup::Commands { scroll } => Some(activity::view::draw_commands(
            frame,
            area,
            &model.activity,
            *scroll,
            theme,
        )),
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
