//! `update` for the items pane: batches streaming in, computed views, and the table's commands
//! (move, mark, filter, sort, columns, open an item). Synchronous, no I/O.
//!
//! Natural order (no filter, no sort) is kept here as batches arrive; any other order is asked
//! of the task layer, one request at a time, and its answer is dropped if a newer one is out.

use std::sync::Arc;

use super::{ItemsEffect, ItemsMsg, Phase, RowRef, SortSpec};
use crate::stac::item_json::item_document;
use crate::tui::command::{Command, PaneId};
use crate::tui::model::Popup;
use crate::tui::model::{InputTarget, Model};
use crate::tui::msg::Effect;
use crate::tui::panes;
use crate::tui::panes::search::SearchEffect;
use crate::tui::tasks::TaskKind;

/// Applies an items task result; results of an older load or view are dropped.
pub fn message(model: &mut Model, msg: ItemsMsg) -> Vec<Effect> {
    match msg {
        ItemsMsg::Opened { generation, schema } => {
            if generation == model.items.generation {
                model.items.set_schema(schema);
            } else {
                model.is_dirty = false;
            }
            vec![]
        }
        ItemsMsg::Batch {
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
            items.batch_added();
            items.phase = Phase::Streaming;
            items.elapsed_secs = elapsed_secs;
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
        ItemsMsg::Done {
            generation,
            elapsed_secs,
        } => {
            if generation == model.items.generation {
                let items = &mut model.items;
                items.phase = Phase::Done;
                items.prune_marks();
                if elapsed_secs > 0.0 {
                    items.rate = Some(items.total_rows as f64 / elapsed_secs);
                }
                let text = format!("loaded {} items in {elapsed_secs:.1} s", items.total_rows);
                model.say(text, false);
            }
            vec![]
        }
        ItemsMsg::SourceHasLock {
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
            let effects = panes::lock::update::open_lock(model, lock, base_dir);
            if !has_items {
                model.focus = PaneId::Lock;
            }
            effects
        }
        ItemsMsg::Failed { generation, error } => {
            if generation == model.items.generation {
                model.items.phase = Phase::Failed(error.clone());
                model.say(error, true);
            }
            vec![]
        }
        ItemsMsg::ViewComputed { generation, rows } => {
            if generation != model.items.view_generation {
                model.is_dirty = false;
                return vec![];
            }
            model.items.rows = rows;
            model.items.is_view_pending = false;
            let page = model.page_rows();
            if std::mem::take(&mut model.items.is_view_reset) {
                model.items.move_to(0, page);
            } else {
                model.items.reanchor(page);
            }
            if model.items.view_covers < model.items.batches.len() {
                vec![request_view(model)]
            } else {
                vec![]
            }
        }
    }
}

/// Applies an items command (or a marking command while the items pane has focus).
pub fn command(model: &mut Model, c: Command) -> Vec<Effect> {
    match c {
        Command::Left | Command::Right => {
            let n = model.items.visible_columns().len();
            let cur = model.items.column_cursor;
            model.items.column_cursor = match c {
                Command::Left => cur.saturating_sub(1),
                _ => (cur + 1).min(n.saturating_sub(1)),
            };
            vec![]
        }
        Command::ToggleMark => {
            if let Some(id) = model.items.cursor_id.clone() {
                if !model.items.marked.remove(&id) {
                    model.items.marked.insert(id);
                }
                move_by(model, 1);
            }
            vec![]
        }
        Command::MarkAll if wait_for_view(model, c) => vec![],
        Command::MarkAll => {
            let ids = model.items.shown_ids();
            let items = &mut model.items;
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
                let doc = item_document(batch, r.row as usize);
                let text = serde_json::to_string_pretty(&doc).unwrap_or_default();
                model.popup = Some(Popup::Json {
                    title: items.id_of(r).unwrap_or_default(),
                    lines: text.lines().map(String::from).collect(),
                    scroll: 0,
                });
            }
            vec![]
        }
        Command::StartFilter => {
            let text = model.items.filter.clone();
            model.prompt(InputTarget::Filter, text);
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
        Command::MoveColumnUp | Command::MoveColumnDown => {
            let Some(Popup::Columns { cursor }) = model.popup else {
                model.is_dirty = false;
                return vec![];
            };
            let up = c == Command::MoveColumnUp;
            match move_column(model, cursor, up) {
                Some(to) => {
                    model.popup = Some(Popup::Columns { cursor: to });
                    vec![Effect::Items(model.items.remember_layout())]
                }
                None => vec![],
            }
        }
        _ => {
            model.is_dirty = false;
            vec![]
        }
    }
}

/// Space in the columns chooser: shows or hides the column under its cursor, and remembers
/// the layout.
pub fn toggle_column(model: &mut Model, cursor: usize) -> Vec<Effect> {
    let selected = selected_column(model);
    let Some(col) = model.items.columns.get_mut(cursor) else {
        return vec![];
    };
    col.is_visible = !col.is_visible;
    reselect(model, selected);
    vec![Effect::Items(model.items.remember_layout())]
}

/// Moves the chooser's column at `cursor` one place up or down; returns where it went.
fn move_column(model: &mut Model, cursor: usize, up: bool) -> Option<usize> {
    let n = model.items.columns.len();
    let to = if up {
        cursor.checked_sub(1)?
    } else {
        Some(cursor + 1).filter(|&t| t < n)?
    };
    if cursor >= n {
        return None;
    }
    let selected = selected_column(model);
    model.items.columns.swap(cursor, to);
    reselect(model, selected);
    Some(to)
}

/// The name of the table's selected column.
fn selected_column(model: &Model) -> Option<String> {
    let visible = model.items.visible_columns();
    visible
        .get(model.items.column_cursor)
        .map(|s| s.to_string())
}

/// Keeps the table's selection on the column `name` if it is still shown.
fn reselect(model: &mut Model, name: Option<String>) {
    let visible = model.items.visible_columns();
    let at = name.and_then(|n| visible.iter().position(|v| *v == n));
    let n = visible.len();
    model.items.column_cursor = at.unwrap_or(model.items.column_cursor.min(n.saturating_sub(1)));
}

/// The filter prompt was submitted.
pub fn submit_filter(model: &mut Model, text: &str) -> Vec<Effect> {
    model.items.filter = text.trim().to_string();
    view_changed(model)
}

/// A histogram bar (or `None`: every time) filters the rows.
pub fn set_time_window(model: &mut Model, window: Option<(i64, i64)>) -> Vec<Effect> {
    model.items.time_window = window;
    view_changed(model)
}

/// Moves the table cursor by `delta` rows (clamped).
pub fn move_by(model: &mut Model, delta: isize) {
    let page = model.page_rows();
    let len = model.items.rows.len();
    let target = (model.items.cursor as isize + delta).clamp(0, len.saturating_sub(1) as isize);
    model.items.move_to(target as usize, page);
}

/// Esc while items load: stops the load, keeping what arrived.
pub fn cancel_load(model: &mut Model) -> Option<Vec<Effect>> {
    if !matches!(model.items.phase, Phase::Loading | Phase::Streaming) {
        return None;
    }
    let generation = model.generation();
    model.items.generation = generation;
    model.items.phase = Phase::Done;
    let n = model.items.total_rows;
    model.say(format!("load cancelled after {n} items"), false);
    Some(vec![Effect::Search(SearchEffect::CancelLoad)])
}

/// The terminal was resized: keep the cursor on screen.
pub fn resized(model: &mut Model) {
    let page = model.page_rows();
    model.items.scroll_into_view(page);
}

/// A load or view task ended with a failure (error or panic).
pub fn task_failed(model: &mut Model, kind: TaskKind, failure: &str) {
    match kind {
        TaskKind::Load if matches!(model.items.phase, Phase::Loading | Phase::Streaming) => {
            model.items.phase = Phase::Failed(failure.to_string());
        }
        TaskKind::Compute => model.items.is_view_pending = false,
        _ => {}
    }
}

/// A new filtered / sorted order is needed.
fn request_view(model: &mut Model) -> Effect {
    let generation = model.generation();
    let items = &mut model.items;
    items.view_generation = generation;
    items.is_view_pending = true;
    items.view_covers = items.batches.len();
    Effect::Items(ItemsEffect::ComputeView {
        generation,
        batches: items.batches.clone(),
        spec: items.view_spec(),
    })
}

/// The action that waited for the view, once the view is in (the core applies it).
pub fn ready_action(model: &mut Model) -> Option<Command> {
    if model.items.is_view_pending {
        return None;
    }
    model.items.pending.take()
}

/// Whether an action on the shown rows must wait for the view being computed; if so, it is
/// kept and runs when the view arrives.
pub fn wait_for_view(model: &mut Model, c: Command) -> bool {
    if !model.items.is_view_pending {
        return false;
    }
    model.items.pending = Some(c);
    model.say(
        format!("{}: waiting for the filtered view…", c.description()),
        false,
    );
    true
}

/// Filter or sort changed: the new order is shown from its top. Natural order is rebuilt here,
/// anything else in the task layer.
fn view_changed(model: &mut Model) -> Vec<Effect> {
    model.items.is_view_reset = true;
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
        model.items.is_view_reset = false;
        model.items.move_to(0, page);
        vec![]
    } else {
        vec![request_view(model)]
    }
}

/// What `y` (the cell under the cursor) or `Y` (the item as STAC JSON) copies here.
pub fn copy_text(model: &Model, json: bool) -> Option<String> {
    let items = &model.items;
    let r = items.current()?;
    let batch = &items.batches[r.batch as usize];
    if json {
        let doc = item_document(batch, r.row as usize);
        return serde_json::to_string_pretty(&doc).ok();
    }
    let columns = items.visible_columns();
    let name = columns.get(items.column_cursor).copied().unwrap_or("id");
    let column = batch.column_by_name(name)?;
    Some(crate::tui::widgets::cell::table_cell(
        column.as_ref(),
        r.row as usize,
    ))
}

/// A click on the items table's header at column `x`: selects that column and sorts by it
/// (as `s` does: again reverses, a third time unsorts). The layout is the view's own
/// ([`super::columns::fit`]): a mark cell, the id, then the drawn columns, one cell apart.
pub fn click_header(model: &mut Model, x: u16) -> Vec<Effect> {
    let items = &model.items;
    let visible = items.visible_columns();
    let widths: Vec<_> = visible.iter().map(|n| items.profile.width(n)).collect();
    let cursor = items.column_cursor.min(widths.len().saturating_sub(1));
    let fit = super::columns::fit(
        model.size.0 as usize,
        items.profile.width("id"),
        &widths,
        cursor,
    );
    let mut left = 1 + 1 + fit.id + 1;
    let x = usize::from(x);
    for (index, width) in fit.shown {
        if (left..left + width).contains(&x) {
            model.items.column_cursor = index;
            return command(model, Command::Sort);
        }
        left += width + 1;
    }
    model.is_dirty = false;
    vec![]
}
