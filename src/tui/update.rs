//! `update(&mut Model, Msg) -> Vec<Effect>`: every state change, synchronous, no I/O.
//!
//! The core only dispatches: task results go to the pane they belong to, commands to the pane
//! [`Command::pane`] names (or the focused pane for moving, marking and cancelling), and keys
//! to the open confirmation, the text input, or the keymap. Each pane drops stale results (an
//! older generation) itself, so a new load or a new sort always wins over late answers.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::command::{Command, PaneId};
use super::model::{Input, InputTarget, Model, Popup};
use super::msg::{Effect, Msg};
use super::panes::search::SearchEffect;
use super::panes::{items, lock, search, validation};
use super::popups;
use super::write;

/// Applies one message.
pub fn update(model: &mut Model, msg: Msg) -> Vec<Effect> {
    model.is_dirty = true;
    match msg {
        Msg::Command(c) => command(model, c),
        Msg::Key(key) => key_event(model, key),
        Msg::Resized { width, height } => {
            model.size = (width, height);
            items::update::resized(model);
            vec![]
        }
        Msg::Search(m) => search::update::message(model, m),
        Msg::Items(m) => items::update::message(model, m),
        Msg::Lock(m) => lock::update::message(model, m),
        Msg::Validation(m) => validation::update::message(model, m),
        Msg::FileWritten {
            text,
            is_error,
            needs_confirm,
        } => {
            write::written(model, text, is_error, needs_confirm);
            vec![]
        }
        Msg::TaskEnded(end) => {
            if let Some(failure) = end.failure {
                search::update::task_failed(model, end.kind, &failure);
                items::update::task_failed(model, end.kind, &failure);
                lock::update::task_failed(model, end.kind, &failure);
                validation::update::task_failed(model, end.kind, &failure);
                model.say(format!("{} task failed: {failure}", end.kind.name()), true);
            }
            vec![]
        }
    }
}

/// A key: a confirmation, a text input, or a keymap command.
fn key_event(model: &mut Model, key: KeyEvent) -> Vec<Effect> {
    if model.popup == Some(Popup::ConfirmQuit) {
        model.popup = None;
        return match key.code {
            KeyCode::Char('y') | KeyCode::Char('Y') => {
                vec![Effect::Search(SearchEffect::CancelLoad), Effect::Quit]
            }
            _ => vec![],
        };
    }
    if matches!(model.popup, Some(Popup::ConfirmOverwrite { .. })) {
        return write::confirm_key(model, key);
    }
    if let Some(input) = &mut model.input {
        if key.modifiers.contains(KeyModifiers::CONTROL) && key.code == KeyCode::Char('c') {
            model.input = None;
            return vec![];
        }
        match key.code {
            KeyCode::Char(c) => input.text.push(c),
            KeyCode::Backspace => {
                input.text.pop();
            }
            KeyCode::Esc => model.input = None,
            KeyCode::Enter => {
                let input = model.input.take().expect("input is open");
                return submit(model, input);
            }
            _ => model.is_dirty = false,
        }
        return vec![];
    }
    match model.keymap.lookup(model.focus, &key) {
        Some(c) => command(model, c),
        None => {
            model.is_dirty = false;
            vec![]
        }
    }
}

/// A submitted text input goes to the pane that asked for it.
fn submit(model: &mut Model, input: Input) -> Vec<Effect> {
    match input.target {
        InputTarget::Filter => items::update::submit_filter(model, &input.text),
        InputTarget::Field(i) => search::update::submit_field(model, i, input.text),
        InputTarget::LockPath => lock::update::submit_path(model, &input.text),
        target @ (InputTarget::AcceptPath | InputTarget::ExportPath) => {
            validation::update::submit(model, target, &input.text)
        }
    }
}

/// Applies a user intent: the core's own, an open popup's, or a pane's.
pub fn command(model: &mut Model, c: Command) -> Vec<Effect> {
    let page = model.page_rows() as isize;
    match c {
        Command::Quit if model.is_busy() => {
            model.popup = Some(Popup::ConfirmQuit);
            vec![]
        }
        Command::Quit | Command::ForceQuit => {
            vec![Effect::Search(SearchEffect::CancelLoad), Effect::Quit]
        }
        Command::ToggleHelp => {
            model.popup = match model.popup {
                Some(Popup::Help { .. }) => None,
                _ => Some(Popup::Help { scroll: 0 }),
            };
            vec![]
        }
        Command::NextPane | Command::PrevPane => {
            let all = PaneId::ALL;
            let i = all.iter().position(|p| *p == model.focus).unwrap_or(0);
            let step = if c == Command::NextPane {
                1
            } else {
                all.len() - 1
            };
            focus(model, all[(i + step) % all.len()])
        }
        Command::FocusSearch => focus(model, PaneId::Search),
        Command::FocusItems => focus(model, PaneId::Items),
        Command::FocusLock => focus(model, PaneId::Lock),
        Command::FocusValidation => focus(model, PaneId::Validation),
        Command::DebugPanicTask => vec![Effect::PanicInTask],
        Command::Cancel => {
            if model.popup.take().is_some() {
                return vec![];
            }
            let cancelled = lock::update::cancel(model)
                .or_else(|| validation::update::cancel(model))
                .or_else(|| items::update::cancel_load(model));
            cancelled.unwrap_or_else(|| {
                model.is_dirty = false;
                vec![]
            })
        }
        Command::Up => move_by(model, -1),
        Command::Down => move_by(model, 1),
        Command::PageUp => move_by(model, -page),
        Command::PageDown => move_by(model, page),
        Command::Top => move_by(model, isize::MIN / 2),
        Command::Bottom => move_by(model, isize::MAX / 2),
        Command::ToggleMark if model.popup == Some(Popup::Collections) => {
            search::update::toggle_collection(model);
            vec![]
        }
        Command::ToggleMark if matches!(model.popup, Some(Popup::Columns { .. })) => {
            match model.popup {
                Some(Popup::Columns { cursor }) => items::update::toggle_column(model, cursor),
                _ => vec![],
            }
        }
        c => match c.pane().unwrap_or(model.focus) {
            PaneId::Search => search::update::command(model, c),
            PaneId::Items => items::update::command(model, c),
            PaneId::Lock => lock::update::command(model, c),
            PaneId::Validation => validation::update::command(model, c),
        },
    }
}

fn focus(model: &mut Model, pane: PaneId) -> Vec<Effect> {
    model.focus = pane;
    model.popup = None;
    vec![]
}

/// Moves whatever the arrows move: the open popup, else the focused pane's cursor.
fn move_by(model: &mut Model, delta: isize) -> Vec<Effect> {
    if !popups::move_by(model, delta) {
        match model.focus {
            PaneId::Search => search::update::move_by(model, delta),
            PaneId::Items => items::update::move_by(model, delta),
            PaneId::Lock => lock::update::move_by(model, delta),
            PaneId::Validation => validation::update::move_by(model, delta),
        }
    }
    vec![]
}
