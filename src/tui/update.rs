//! `update(&mut Model, Msg) -> Vec<Effect>`: every state change, synchronous, no I/O.
//!
//! The core only dispatches: task results go to the pane they belong to, commands to the pane
//! [`Command::pane`] names (or the focused pane for moving, marking and cancelling), and keys
//! to the open confirmation, the text input, or the keymap. Each pane drops stale results (an
//! older generation) itself, so a new load or a new sort always wins over late answers.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::activity;
use super::cmdline;
use super::command::{Command, PaneId};
use super::model::{Input, InputTarget, Model, Popup};
use super::mouse;
use super::msg::{Effect, Msg};
use super::panes::search::form::FIELDS;
use super::panes::search::SearchEffect;
use super::panes::{items, lock, map, package, search, validation};
use super::pause;
use super::popups::{self, PopupKey};
use super::thumbnail;
use super::watch;
use super::write;

/// Applies one message (and keeps the activity log in step with the runs it moved).
pub fn update(model: &mut Model, msg: Msg) -> Vec<Effect> {
    let before = watch::before(model);
    let mut effects = dispatch(model, msg);
    // The map follows the items, however they changed (a load, a resumed pause).
    effects.extend(map::update::items_changed(model));
    watch::after(model, before, &effects);
    for (what, outcome, secs) in std::mem::take(&mut model.activity.ended) {
        if !model.is_focused && secs >= NOTIFY_AFTER_SECS {
            effects.push(Effect::Notify(format!("stacpkg: {what}: {outcome}")));
        }
    }
    effects
}

/// A run at least this long that ends while the terminal is not focused rings (seconds).
pub const NOTIFY_AFTER_SECS: f64 = 10.0;

fn dispatch(model: &mut Model, msg: Msg) -> Vec<Effect> {
    model.is_dirty = true;
    match msg {
        Msg::Command(c) => command(model, c),
        Msg::Key(key) => key_event(model, key),
        Msg::Focus(focused) => {
            model.is_focused = focused;
            model.is_dirty = false;
            vec![]
        }
        Msg::Mouse(e) => match mouse::event(model, e) {
            Some(mouse::Action::Commands(c, times)) => {
                let mut effects = Vec::new();
                for _ in 0..times {
                    effects.extend(command(model, c));
                }
                effects
            }
            Some(mouse::Action::SortAt(x)) => items::update::click_header(model, x),
            Some(mouse::Action::Map(e)) => map::update::mouse(model, e),
            None => {
                model.is_dirty = false;
                vec![]
            }
        },
        Msg::Paste(text) => {
            paste(model, &text);
            vec![]
        }
        Msg::Resized { width, height } => {
            model.size = (width, height);
            items::update::resized(model);
            thumbnail::update::resized(model);
            vec![]
        }
        Msg::Search(m) => search::update::message(model, m),
        Msg::Items(m) => {
            let Some(m) = pause::hold_items(model, m) else {
                return vec![];
            };
            let mut effects = items::update::message(model, m);
            if let Some(c) = items::update::ready_action(model) {
                effects.extend(command(model, c));
            }
            effects
        }
        Msg::Lock(m) => lock::update::message(model, m),
        Msg::Validation(m) => match pause::hold_results(model, m) {
            Some(m) => validation::update::message(model, m),
            None => vec![],
        },
        Msg::Package(m) => package::update::message(model, m),
        Msg::Thumbnail(m) => thumbnail::update::message(model, m),
        Msg::Map(m) => map::update::message(model, m),
        Msg::Copied { text, is_error } => {
            model.say(text, is_error);
            vec![]
        }
        Msg::Completed { line, found } => {
            cmdline::complete::completed(model, &line, &found);
            vec![]
        }
        Msg::FileWritten {
            text,
            is_error,
            needs_confirm,
            written,
        } => {
            watch::written(model, &text, is_error, needs_confirm.is_some());
            match write::written(model, text, is_error, needs_confirm, written) {
                Some(path) => {
                    let base = model.lock.base_dir.clone();
                    lock::update::open_lock(model, path, base)
                }
                None => vec![],
            }
        }
        Msg::Warning(text) => {
            model.warn(text);
            vec![]
        }
        Msg::TaskEnded(end) => {
            if let Some(failure) = end.failure {
                search::update::task_failed(model, end.kind, &failure);
                items::update::task_failed(model, end.kind, &failure);
                lock::update::task_failed(model, end.kind, &failure);
                validation::update::task_failed(model, end.kind, &failure);
                package::update::task_failed(model, end.kind, &failure);
                map::update::task_failed(model, end.kind);
                model.say(format!("{} task failed: {failure}", end.kind.name()), true);
            }
            vec![]
        }
        Msg::Signal(signal) => {
            model.ended_by.get_or_insert(signal);
            command(model, Command::ForceQuit)
        }
    }
}

/// A key: a confirmation, a text input, or a keymap command.
fn key_event(model: &mut Model, key: KeyEvent) -> Vec<Effect> {
    if model
        .input
        .as_ref()
        .is_some_and(|i| i.target == InputTarget::CommandLine)
    {
        if let Some(effects) = cmdline::key(model, &key) {
            return effects;
        }
    }
    if let Some(effects) = package::update::target_history_key(model, &key) {
        return effects;
    }
    if let Some(input) = &mut model.input {
        let ctrl_c =
            key.modifiers.contains(KeyModifiers::CONTROL) && key.code == KeyCode::Char('c');
        match key.code {
            KeyCode::Esc => model.input = None,
            _ if ctrl_c => model.input = None,
            KeyCode::Enter => {
                let input = model.input.take().expect("input is open");
                return submit(model, input);
            }
            _ => {
                if !input.line.key(&key) {
                    model.is_dirty = false;
                }
            }
        }
        return vec![];
    }
    if model.popup.is_some() {
        return match popups::key(model, key) {
            PopupKey::Done(effects) => effects,
            PopupKey::Command(c) => command(model, c),
            PopupKey::CancelRun => cancel_run(model),
        };
    }
    match model.keymap.lookup(model.focus, &key) {
        Some(c) => command(model, c),
        None => {
            model.is_dirty = false;
            vec![]
        }
    }
}

/// A paste goes into the open text input at its cursor; with none open, into the field it
/// obviously means (the search field under the cursor, the items filter), opened for editing.
fn paste(model: &mut Model, text: &str) {
    if model.input.is_none() && model.popup.is_none() {
        match model.focus {
            PaneId::Search if model.search.cursor < FIELDS.len() => {
                let i = model.search.cursor;
                let current = model.search.form.field(i).to_string();
                model.prompt(InputTarget::Field(i), current);
            }
            PaneId::Items => {
                let current = model.items.filter.clone();
                model.prompt(InputTarget::Filter, current);
            }
            _ => {}
        }
    }
    match &mut model.input {
        Some(input) => input.line.paste(text),
        None => {
            model.say("nothing to paste into here: open a field first", true);
        }
    }
}

/// A submitted text input goes to the pane that asked for it.
fn submit(model: &mut Model, input: Input) -> Vec<Effect> {
    match input.target {
        InputTarget::Filter => items::update::submit_filter(model, input.text()),
        InputTarget::LockFilter => lock::update::submit_filter(model, input.text()),
        InputTarget::ResultsFilter => validation::update::submit_filter(model, input.text()),
        InputTarget::HelpSearch => {
            popups::search_help(model, input.text());
            vec![]
        }
        InputTarget::Field(i) => search::update::submit_field(model, i, input.text().to_string()),
        InputTarget::LockPath => lock::update::submit_path(model, input.text()),
        target @ (InputTarget::AcceptPath | InputTarget::ExportPath) => {
            validation::update::submit(model, target, input.text())
        }
        InputTarget::BuildDir => package::update::submit_build(model, input.text()),
        InputTarget::PushTarget => package::update::submit_push(model, input.text()),
        InputTarget::PullSource => package::update::submit_pull_source(model, input.text()),
        InputTarget::PullDir => package::update::submit_pull_dir(model, input.text()),
        InputTarget::OpenDir => package::update::submit_open(model, input.text()),
        InputTarget::RegistryUser => package::update::submit_user(model, input.text()),
        InputTarget::RegistryPassword => package::update::submit_password(model, input.text()),
        InputTarget::ConfirmTag => package::update::submit_typed_tag(model, input.text()),
        InputTarget::Relocate => lock::update::submit_relocate(model, input.text()),
        InputTarget::EnrichKey => lock::update::submit_enrich_key(model, input.text()),
        InputTarget::EnrichPath => lock::update::submit_enrich_path(model, input.text()),
        InputTarget::CommandLine => match cmdline::submit(model, input.text()) {
            cmdline::Ran::Effects(effects) => effects,
            cmdline::Ran::Command(effects, c) => {
                let mut effects = effects;
                effects.extend(command(model, c));
                effects
            }
        },
    }
}

/// Applies a user intent: an open popup's (it is modal: nothing reaches the panes behind it),
/// the core's own, or a pane's.
pub fn command(model: &mut Model, c: Command) -> Vec<Effect> {
    if model.popup.is_some() {
        if let Some(effects) = popups::command(model, c) {
            return effects;
        }
    }
    let page = model.page_rows() as isize;
    match c {
        // q asks while work runs or a derived lock is unwritten; ctrl-c only for the latter.
        Command::Quit if model.is_busy() || model.unsaved_work().is_some() => {
            model.popup = Some(Popup::ConfirmQuit);
            vec![]
        }
        Command::ForceQuit if model.unsaved_work().is_some() => {
            model.popup = Some(Popup::ConfirmQuit);
            vec![]
        }
        Command::Quit | Command::ForceQuit => {
            vec![Effect::Search(SearchEffect::CancelLoad), Effect::Quit]
        }
        Command::ToggleHelp => {
            model.popup = match model.popup {
                Some(Popup::Help { .. }) => None,
                _ => Some(Popup::help()),
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
        Command::FocusPackage => focus(model, PaneId::Package),
        Command::FocusMap => focus(model, PaneId::Map),
        Command::ShowThumbnail => thumbnail::update::open(model),
        Command::ShowTasks => {
            model.popup = Some(Popup::Tasks { cursor: 0 });
            vec![]
        }
        Command::ShowCommandLog => {
            let lines = activity::view::command_lines(&model.activity, &model.theme, model.size.0);
            let scroll = lines.len().saturating_sub(popups::help_page(model.size.1));
            model.popup = Some(Popup::Commands { scroll });
            vec![]
        }
        Command::CommandLine => {
            cmdline::open(model);
            vec![]
        }
        Command::TogglePause => pause::toggle(model),
        Command::ToggleMouse => mouse::toggle(model),
        Command::CopyValue | Command::CopyJson => {
            let json = c == Command::CopyJson;
            let text = match model.focus {
                PaneId::Search => search::update::copy_text(model, json),
                PaneId::Items => items::update::copy_text(model, json),
                PaneId::Lock => lock::update::copy_text(model, json),
                PaneId::Validation => validation::update::copy_text(model, json),
                PaneId::Package => package::update::copy_text(model, json),
                PaneId::Map => map::update::copy_text(model, json),
            };
            match text {
                Some(t) => vec![Effect::Copy(t)],
                None => {
                    model.say("nothing to copy here: move the cursor onto a row", true);
                    vec![]
                }
            }
        }
        Command::CopyId => {
            let id = match model.focus {
                PaneId::Items => model.items.cursor_id.clone(),
                PaneId::Lock => model.lock.current().map(|e| e.row.item_id.clone()),
                PaneId::Validation => model.validation.current().and_then(|e| {
                    model
                        .lock
                        .entries
                        .get(e.index)
                        .map(|l| l.row.item_id.clone())
                }),
                PaneId::Map => model.items.cursor_id.clone(),
                PaneId::Search | PaneId::Package => None,
            };
            match id {
                Some(id) => vec![Effect::Copy(id)],
                None => {
                    model.say("no item under the cursor here", true);
                    vec![]
                }
            }
        }
        Command::CopyCommand => match model.activity.commands().last() {
            Some(a) => vec![Effect::Copy(a.cli.clone().unwrap_or_default())],
            None => {
                model.say(
                    "no action yet: nothing to copy (L shows the command log)",
                    true,
                );
                vec![]
            }
        },
        Command::DebugPanicTask => vec![Effect::PanicInTask],
        Command::ShowMessages => {
            // The newest messages are what one opens the log for.
            let lines = popups::messages_lines(model, model.size.0).len();
            let scroll = lines.saturating_sub(popups::help_page(model.size.1));
            model.popup = Some(Popup::Messages { scroll });
            vec![]
        }
        // (With a popup open, `popups::command` has already closed it.)
        Command::Cancel => {
            if model.long_run_in_focus().is_some() {
                model.popup = Some(Popup::ConfirmCancel);
                return vec![];
            }
            cancel_run(model)
        }
        Command::Up => move_by(model, -1),
        Command::Down => move_by(model, 1),
        Command::PageUp => move_by(model, -page),
        Command::PageDown => move_by(model, page),
        Command::Top => move_by(model, isize::MIN / 2),
        Command::Bottom => move_by(model, isize::MAX / 2),
        c => match c.pane().unwrap_or(model.focus) {
            PaneId::Search => search::update::command(model, c),
            PaneId::Items => items::update::command(model, c),
            PaneId::Lock => lock::update::command(model, c),
            PaneId::Validation => validation::update::command(model, c),
            PaneId::Package => package::update::command(model, c),
            PaneId::Map => map::update::command(model, c),
        },
    }
}

/// Cancels the run esc is about: the focused pane's derive or validation, else a load.
pub fn cancel_run(model: &mut Model) -> Vec<Effect> {
    // The focused pane's own run first; else a load, which every pane shows the result of.
    let own = match model.focus {
        PaneId::Lock => lock::update::cancel(model),
        PaneId::Validation => validation::update::cancel(model),
        PaneId::Package => package::update::cancel(model),
        PaneId::Map => map::update::cancel(model),
        PaneId::Search | PaneId::Items => None,
    };
    let cancelled = own.or_else(|| items::update::cancel_load(model));
    cancelled.unwrap_or_else(|| {
        model.is_dirty = false;
        vec![]
    })
}

fn focus(model: &mut Model, pane: PaneId) -> Vec<Effect> {
    model.focus = pane;
    model.popup = None;
    vec![]
}

/// Moves the focused pane's cursor.
fn move_by(model: &mut Model, delta: isize) -> Vec<Effect> {
    match model.focus {
        PaneId::Search => search::update::move_by(model, delta),
        PaneId::Items => items::update::move_by(model, delta),
        PaneId::Lock => lock::update::move_by(model, delta),
        PaneId::Validation => validation::update::move_by(model, delta),
        PaneId::Package => package::update::move_by(model, delta),
        PaneId::Map => map::update::move_by(model, delta),
    }
    vec![]
}
