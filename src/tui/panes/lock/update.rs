//! `update` for the lock pane: derive from the items (marked, or all), open a lock file, write
//! the lock, and the rows of a run streaming in. Synchronous, no I/O.
//!
//! Runs carry generations: a new derive or open supersedes the old lock (its late rows are
//! dropped), and the old lock's validation results are forgotten with it.

use std::path::{Path, PathBuf};

use super::jobs::item_count;
use super::{LockEffect, LockMsg, LockPhase};
use crate::tui::command::{Command, PaneId};
use crate::tui::model::{InputTarget, Model};
use crate::tui::msg::Effect;
use crate::tui::msg::{AfterWrite, WriteContent, WriteRequest};
use crate::tui::panes::items::update::wait_for_view;
use crate::tui::panes::package::update::refuse_read_only;
use crate::tui::panes::validation::update::forget_results;
use crate::tui::tasks::TaskKind;
use crate::tui::write::target_path;

/// Default file name offered by the write prompt.
const DEFAULT_LOCK_PATH: &str = "assets.lock.parquet";
/// The same for a lock whose derive was cancelled: the name says it is partial.
const PARTIAL_LOCK_PATH: &str = "assets.lock.partial.parquet";

/// Applies a lock command.
pub fn command(model: &mut Model, c: Command) -> Vec<Effect> {
    match c {
        Command::DeriveLock => derive(model),
        Command::StartFilter => {
            let text = model.lock.filter.clone();
            model.prompt(InputTarget::LockFilter, text);
            vec![]
        }
        Command::Sort => {
            let page = model.page_rows().saturating_sub(2);
            model.lock.sort = model.lock.sort.next();
            model.lock.rebuild();
            model.lock.move_to(0, page);
            vec![]
        }
        Command::WriteLock if refuse_read_only(model, "write") => vec![],
        Command::WriteLock => {
            if model.lock.entries.is_empty() {
                model.say("no lock to write: derive or open one first", true);
                return vec![];
            }
            let default = if model.lock.phase == LockPhase::Cancelled {
                PARTIAL_LOCK_PATH
            } else {
                DEFAULT_LOCK_PATH
            };
            model.prompt(InputTarget::LockPath, default.to_string());
            vec![]
        }
        _ => {
            model.is_dirty = false;
            vec![]
        }
    }
}

/// The directory relative hrefs of the loaded items resolve against.
fn items_dir(model: &Model) -> PathBuf {
    Path::new(&model.items.source)
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
}

/// Derives a lock from the marked items (or all loaded items) and shows it streaming in.
fn derive(model: &mut Model) -> Vec<Effect> {
    if model.items.batches.is_empty() {
        model.say("no items loaded: run a search first", true);
        return vec![];
    }
    if wait_for_view(model, Command::DeriveLock) {
        return vec![];
    }
    // The rows the user sees: the marked items, else the filtered rows, else all.
    let items = &model.items;
    let (item_ids, source) = if !items.marked.is_empty() {
        let ids: Vec<String> = items.marked.iter().cloned().collect();
        let source = format!("derived from {} marked items", ids.len());
        (ids, source)
    } else if items.is_filtered() {
        let ids = items.shown_ids();
        let source = format!(
            "derived from {} filtered items (/{})",
            ids.len(),
            items.filter
        );
        (ids, source)
    } else {
        (
            Vec::new(),
            format!("derived from all {} items", items.total_rows),
        )
    };
    if item_ids.is_empty() && items.is_filtered() {
        model.say("no items shown: the filter matches nothing", true);
        return vec![];
    }
    let generation = model.generation();
    let base_dir = items_dir(model);
    model.lock.base_dir = base_dir.clone();
    model.lock.start(source, None, generation);
    // The last run's message would read as this run's.
    model.status = None;
    let mut effects = forget_results(model);
    model.focus = PaneId::Lock;
    effects.push(Effect::Lock(LockEffect::Derive {
        generation,
        batches: model.items.batches.clone(),
        item_ids,
        base_dir,
    }));
    effects
}

/// Opens a lock file into the lock pane; relative keys resolve against `base_dir`.
pub fn open_lock(model: &mut Model, path: PathBuf, base_dir: PathBuf) -> Vec<Effect> {
    let generation = model.generation();
    model.lock.base_dir = base_dir;
    model
        .lock
        .start(path.display().to_string(), Some(path.clone()), generation);
    let mut effects = forget_results(model);
    effects.push(Effect::Lock(LockEffect::Open { generation, path }));
    effects
}

/// Applies a lock task message; messages of an older run are dropped.
pub fn message(model: &mut Model, msg: LockMsg) -> Vec<Effect> {
    match msg {
        LockMsg::Started { generation, total } if generation == model.lock.generation => {
            model.lock.total = total;
        }
        LockMsg::Rows {
            generation,
            rows,
            elapsed_secs,
        } if generation == model.lock.generation => {
            let lock = &mut model.lock;
            lock.failed += rows.iter().filter(|e| e.error.is_some()).count();
            lock.ingest(rows);
            lock.elapsed_secs = elapsed_secs;
            if lock.entries.len() > lock.total {
                lock.total = lock.entries.len();
            }
        }
        LockMsg::Done {
            generation,
            elapsed_secs,
        } if generation == model.lock.generation => {
            let lock = &mut model.lock;
            lock.phase = LockPhase::Done;
            lock.elapsed_secs = elapsed_secs;
            let rows = lock.rows();
            let text = format!(
                "lock: {} rows for {} items in {elapsed_secs:.1} s{}",
                rows.len(),
                item_count(&rows),
                if lock.failed > 0 {
                    format!("; {} probe(s) failed, kept without facts", lock.failed)
                } else {
                    String::new()
                }
            );
            let is_error = lock.failed > 0;
            lock.is_unsaved = lock.path.is_none();
            model.say(text, is_error);
        }
        LockMsg::Failed { generation, error } if generation == model.lock.generation => {
            model.lock.phase = LockPhase::Failed(error.clone());
            model.say(error, true);
        }
        _ => model.is_dirty = false,
    }
    vec![]
}

/// The filter prompt was submitted: the shown rows from the top.
pub fn submit_filter(model: &mut Model, text: &str) -> Vec<Effect> {
    let page = model.page_rows().saturating_sub(2);
    model.lock.filter = text.trim().to_string();
    model.lock.rebuild();
    model.lock.move_to(0, page);
    vec![]
}

/// The write prompt was submitted.
pub fn submit_path(model: &mut Model, text: &str) -> Vec<Effect> {
    let Some(path) = target_path(model, text) else {
        return vec![];
    };
    let lock = &model.lock;
    let n = lock.entries.len();
    let done_text = if lock.phase == LockPhase::Cancelled {
        format!(
            "wrote a PARTIAL lock ({n} of {} rows; the derive was cancelled) to {{path}}",
            lock.total
        )
    } else {
        format!("wrote {n} lock rows to {{path}}")
    };
    let mut request = WriteRequest::new(path, WriteContent::Lock(lock.rows()), done_text);
    request.after = AfterWrite::LockSaved(lock.generation);
    vec![Effect::WriteFile(request)]
}

/// Moves the cursor by `delta` rows (clamped).
pub fn move_by(model: &mut Model, delta: isize) {
    let page = model.page_rows().saturating_sub(2);
    let len = model.lock.shown.len();
    let target = (model.lock.cursor as isize + delta).clamp(0, len.saturating_sub(1) as isize);
    model.lock.move_to(target as usize, page);
}

/// Esc in the lock pane: cancels its run, keeping the rows so far.
pub fn cancel(model: &mut Model) -> Option<Vec<Effect>> {
    if model.focus != PaneId::Lock || !model.lock.is_running() {
        return None;
    }
    model.lock.generation = model.generation();
    model.lock.phase = LockPhase::Cancelled;
    model.lock.is_unsaved = !model.lock.entries.is_empty();
    let n = model.lock.entries.len();
    model.say(format!("derive cancelled after {n} rows"), false);
    Some(vec![Effect::Lock(LockEffect::Cancel)])
}

/// A lock task ended with a failure (error or panic).
pub fn task_failed(model: &mut Model, kind: TaskKind, failure: &str) {
    if kind == TaskKind::Lock && model.lock.is_running() {
        model.lock.phase = LockPhase::Failed(failure.to_string());
    }
}
