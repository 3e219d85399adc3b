//! `update(&mut Model, Msg) -> Vec<Effect>`: every state change, synchronous, no I/O.
//!
//! Stale task results (an older generation) are dropped here, so a new load or a new sort
//! always wins over late answers to the old one.

use std::sync::Arc;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::compute::item_json;
use super::lock_update;
use super::model::{Input, InputTarget, Model, Popup};
use super::msg::{Command, Effect, Msg, PaneId};
use super::panes::items::{Phase, RowRef, SortSpec};
use super::panes::search::FIELDS;
use super::search_update;
pub use super::search_update::run_search;
use super::tasks::TaskKind;

/// Applies one message.
pub fn update(model: &mut Model, msg: Msg) -> Vec<Effect> {
    model.is_dirty = true;
    match msg {
        Msg::Command(c) => command(model, c),
        Msg::Key(key) => key_event(model, key),
        Msg::Resized { width, height } => {
            model.size = (width, height);
            let page = model.page_rows();
            model.items.scroll_into_view(page);
            vec![]
        }
        Msg::ItemsOpened { generation, schema } => {
            if generation == model.items.generation {
                model.items.set_schema(schema);
            } else {
                model.is_dirty = false;
            }
            vec![]
        }
        Msg::ItemsBatch {
            generation,
            batch,
            elapsed_secs,
        } => {
            if generation != model.items.generation {
                model.is_dirty = false;
                return vec![];
            }
            let items = &mut model.items;
            let b = items.batches.len();
            let n = batch.num_rows();
            items.batches.push(batch);
            items.total_rows += n;
            items.phase = Phase::Streaming;
            if elapsed_secs > 0.0 {
                items.rate = Some(items.total_rows as f64 / elapsed_secs);
            }
            if items.is_natural_order() {
                Arc::make_mut(&mut items.rows).extend((0..n).map(|r| RowRef::new(b, r)));
                if items.cursor_id.is_none() {
                    let page = model.page_rows();
                    model.items.move_to(0, page);
                }
                vec![]
            } else if items.is_view_pending {
                vec![]
            } else {
                vec![request_view(model)]
            }
        }
        Msg::ItemsDone {
            generation,
            elapsed_secs,
        } => {
            if generation == model.items.generation {
                let items = &mut model.items;
                items.phase = Phase::Done;
                if elapsed_secs > 0.0 {
                    items.rate = Some(items.total_rows as f64 / elapsed_secs);
                }
                let text = format!("loaded {} items in {elapsed_secs:.1} s", items.total_rows);
                model.say(text, false);
            }
            vec![]
        }
        Msg::SourceHasLock {
            generation,
            lock,
            base_dir,
            has_items,
        } => {
            if generation != model.items.generation {
                return vec![];
            }
            if !has_items {
                model.items.phase = Phase::Empty;
            }
            let effects = super::lock_update::open_lock(model, lock, base_dir);
            if !has_items {
                model.focus = PaneId::Lock;
            }
            effects
        }
        Msg::ItemsFailed { generation, error } => {
            if generation == model.items.generation {
                model.items.phase = Phase::Failed(error.clone());
                model.say(error, true);
            }
            vec![]
        }
        Msg::ViewComputed { generation, rows } => {
            if generation != model.items.view_generation {
                model.is_dirty = false;
                return vec![];
            }
            model.items.rows = rows;
            model.items.is_view_pending = false;
            let page = model.page_rows();
            model.items.reanchor(page);
            if model.items.view_covers < model.items.batches.len() {
                vec![request_view(model)]
            } else {
                vec![]
            }
        }
        msg @ (Msg::LockStarted { .. }
        | Msg::LockRows { .. }
        | Msg::LockDone { .. }
        | Msg::LockFailed { .. }
        | Msg::ValidationRows { .. }
        | Msg::ValidationDone { .. }
        | Msg::FileWritten { .. }) => lock_update::message(model, msg),
        Msg::SearchPage {
            generation,
            pages,
            matched,
        } => {
            search_update::page_received(model, generation, pages, matched);
            vec![]
        }
        Msg::CollectionsLoaded { generation, result } => {
            search_update::collections_loaded(model, generation, result);
            vec![]
        }
        Msg::TaskEnded { kind, failure, .. } => {
            if let Some(failure) = failure {
                lock_update::task_failed(model, kind, &failure);
                if kind == TaskKind::Collections {
                    search_update::collections_task_failed(model, &failure);
                }
                if kind == TaskKind::Load
                    && matches!(model.items.phase, Phase::Loading | Phase::Streaming)
                {
                    model.items.phase = Phase::Failed(failure.clone());
                }
                if kind == TaskKind::Compute {
                    model.items.is_view_pending = false;
                }
                model.say(format!("{} task failed: {failure}", kind.name()), true);
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
            KeyCode::Char('y') | KeyCode::Char('Y') => vec![Effect::CancelLoad, Effect::Quit],
            _ => vec![],
        };
    }
    if matches!(model.popup, Some(Popup::ConfirmOverwrite { .. })) {
        return lock_update::confirm_key(model, key);
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

fn submit(model: &mut Model, input: Input) -> Vec<Effect> {
    match input.target {
        InputTarget::Filter => {
            model.items.filter = input.text.trim().to_string();
            view_changed(model)
        }
        InputTarget::Field(i) => {
            model.search.form.set_field(i, input.text);
            model.search.error = None;
            vec![]
        }
        _ => lock_update::submit(model, input),
    }
}

/// A new filtered / sorted order is needed.
fn request_view(model: &mut Model) -> Effect {
    let generation = model.generation();
    let items = &mut model.items;
    items.view_generation = generation;
    items.is_view_pending = true;
    items.view_covers = items.batches.len();
    Effect::ComputeView {
        generation,
        batches: items.batches.clone(),
        spec: items.view_spec(),
    }
}

/// Filter or sort changed: natural order is rebuilt here, anything else in the task layer.
fn view_changed(model: &mut Model) -> Vec<Effect> {
    if model.items.is_natural_order() {
        let generation = model.generation();
        let items = &mut model.items;
        items.view_generation = generation;
        items.is_view_pending = false;
        items.rows = Arc::new(
            items
                .batches
                .iter()
                .enumerate()
                .flat_map(|(b, batch)| (0..batch.num_rows()).map(move |r| RowRef::new(b, r)))
                .collect(),
        );
        let page = model.page_rows();
        model.items.reanchor(page);
        vec![]
    } else {
        vec![request_view(model)]
    }
}

/// Applies a user intent.
pub fn command(model: &mut Model, c: Command) -> Vec<Effect> {
    let page = model.page_rows();
    match c {
        Command::Quit if model.is_busy() => {
            model.popup = Some(Popup::ConfirmQuit);
            vec![]
        }
        Command::Quit | Command::ForceQuit => vec![Effect::CancelLoad, Effect::Quit],
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
            model.focus = all[(i + step) % all.len()];
            model.popup = None;
            vec![]
        }
        Command::FocusSearch => focus(model, PaneId::Search),
        Command::FocusItems => focus(model, PaneId::Items),
        Command::Cancel => {
            if model.popup.take().is_some() {
                return vec![];
            }
            if let Some(effects) = lock_update::cancel(model) {
                return effects;
            }
            if matches!(model.items.phase, Phase::Loading | Phase::Streaming) {
                let generation = model.generation();
                model.items.generation = generation;
                model.items.phase = Phase::Done;
                let n = model.items.total_rows;
                model.say(format!("load cancelled after {n} items"), false);
                return vec![Effect::CancelLoad];
            }
            model.is_dirty = false;
            vec![]
        }
        Command::Up | Command::Down | Command::PageUp | Command::PageDown => {
            let delta: isize = match c {
                Command::Up => -1,
                Command::Down => 1,
                Command::PageUp => -(page as isize),
                _ => page as isize,
            };
            move_by(model, delta);
            vec![]
        }
        Command::Top => {
            move_by(model, isize::MIN / 2);
            vec![]
        }
        Command::Bottom => {
            move_by(model, isize::MAX / 2);
            vec![]
        }
        Command::Left | Command::Right => {
            let n = model.items.visible_columns().len();
            let cur = model.items.column_cursor;
            model.items.column_cursor = match c {
                Command::Left => cur.saturating_sub(1),
                _ => (cur + 1).min(n.saturating_sub(1)),
            };
            vec![]
        }
        Command::ToggleMark if model.popup == Some(Popup::Collections) => {
            search_update::toggle_collection(model);
            vec![]
        }
        Command::ToggleMark => {
            if let Some(Popup::Columns { cursor }) = model.popup {
                if let Some(col) = model.items.columns.get_mut(cursor) {
                    col.is_visible = !col.is_visible;
                }
                let n = model.items.visible_columns().len();
                model.items.column_cursor = model.items.column_cursor.min(n.saturating_sub(1));
                return vec![];
            }
            if let Some(id) = model.items.cursor_id.clone() {
                if !model.items.marked.remove(&id) {
                    model.items.marked.insert(id);
                }
                move_by(model, 1);
            }
            vec![]
        }
        Command::MarkAll => {
            let items = &mut model.items;
            let ids: Vec<String> = items.rows.iter().filter_map(|r| items.id_of(*r)).collect();
            if ids.iter().all(|id| items.marked.contains(id)) {
                for id in &ids {
                    items.marked.remove(id);
                }
            } else {
                items.marked.extend(ids);
            }
            vec![]
        }
        Command::OpenItem => {
            let items = &model.items;
            if let Some(r) = items.current() {
                let batch = &items.batches[r.batch as usize];
                let json = item_json(batch, r.row as usize);
                let text = serde_json::to_string_pretty(&json).unwrap_or_default();
                model.popup = Some(Popup::Json {
                    title: items.id_of(r).unwrap_or_default(),
                    lines: text.lines().map(String::from).collect(),
                    scroll: 0,
                });
            }
            vec![]
        }
        Command::StartFilter => {
            model.input = Some(Input {
                target: InputTarget::Filter,
                text: model.items.filter.clone(),
            });
            vec![]
        }
        Command::Sort => {
            let visible = model.items.visible_columns();
            let Some(column) = visible
                .get(model.items.column_cursor)
                .map(|s| s.to_string())
            else {
                return vec![];
            };
            model.items.sort = match model.items.sort.take() {
                Some(s) if s.column == column && !s.descending => Some(SortSpec {
                    column,
                    descending: true,
                }),
                Some(s) if s.column == column => None,
                _ => Some(SortSpec {
                    column,
                    descending: false,
                }),
            };
            view_changed(model)
        }
        Command::ChooseColumns => {
            model.popup = Some(Popup::Columns { cursor: 0 });
            vec![]
        }
        Command::EditField => {
            let i = model.search.cursor;
            if i < FIELDS.len() {
                model.input = Some(Input {
                    target: InputTarget::Field(i),
                    text: model.search.form.field(i).to_string(),
                });
            }
            vec![]
        }
        Command::RecallSearch => {
            search_update::recall(model);
            vec![]
        }
        Command::RunSearch => search_update::enter(model),
        Command::PickCollections => search_update::pick_collections(model),
        Command::DebugPanicTask => vec![Effect::PanicInTask],
        Command::FocusLock
        | Command::FocusValidation
        | Command::DeriveLock
        | Command::WriteLock
        | Command::ValidateLock
        | Command::RevalidateMarked
        | Command::ToggleProblemsOnly
        | Command::CycleGroup
        | Command::MarkResult
        | Command::MarkAllResults
        | Command::ShowDetail
        | Command::AcceptDrift
        | Command::ExportResults => lock_update::command(model, c),
    }
}

fn focus(model: &mut Model, pane: PaneId) -> Vec<Effect> {
    model.focus = pane;
    model.popup = None;
    vec![]
}

/// Moves whatever the arrows move in the current context.
fn move_by(model: &mut Model, delta: isize) {
    let step = |cur: usize, len: usize| -> usize {
        let target = cur as isize + delta;
        target.clamp(0, len.saturating_sub(1) as isize) as usize
    };
    if model.popup == Some(Popup::Collections) {
        return search_update::move_picker(model, delta);
    }
    let page = model.page_rows();
    match &mut model.popup {
        Some(Popup::Help { scroll }) => *scroll = step(*scroll, 200),
        Some(Popup::Json { lines, scroll, .. }) => *scroll = step(*scroll, lines.len()),
        Some(Popup::Columns { cursor }) => *cursor = step(*cursor, model.items.columns.len()),
        Some(Popup::ConfirmQuit) | Some(Popup::ConfirmOverwrite { .. }) => {}
        Some(Popup::Collections) => {}
        None => match model.focus {
            PaneId::Items => {
                let target = step(model.items.cursor, model.items.rows.len());
                model.items.move_to(target, page);
            }
            PaneId::Search => model.search.cursor = step(model.search.cursor, model.search.len()),
            PaneId::Lock | PaneId::Validation => lock_update::move_by(model, delta),
        },
    }
}
