//! `update` for the lock pane: derive from the items (marked, or all), open a lock file, write
//! the lock, and the rows of a run streaming in. Synchronous, no I/O.
//!
//! Runs carry generations: a new derive or open supersedes the old lock (its late rows are
//! dropped), and the old lock's validation results are forgotten with it.

use std::path::{Path, PathBuf};

use super::jobs::item_count;
use super::{relocate, LockEffect, LockMsg, LockPhase};
use crate::tui::command::{Command, PaneId};
use crate::tui::model::{InputTarget, Model, Popup};
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
        Command::RelocateLock => {
            if refuse_read_only(model, "relocate") || !has_rows(model) {
                return vec![];
            }
            model.prompt(
                InputTarget::Relocate,
                "--store-type file --key relocated/".to_string(),
            );
            vec![]
        }
        Command::EnrichItems => {
            if refuse_read_only(model, "enrich") || !has_rows(model) {
                return vec![];
            }
            if model.items.batches.is_empty() {
                model.say("no items loaded to enrich: run a search first", true);
                return vec![];
            }
            model.prompt(InputTarget::EnrichKey, "relocated".to_string());
            vec![]
        }
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

fn has_rows(model: &mut Model) -> bool {
    if model.lock.is_running() {
        model.say(
            "the lock is still running: wait for it, or cancel it (esc)",
            true,
        );
        return false;
    }
    if model.lock.entries.is_empty() {
        model.say("no lock: derive or open one first", true);
        return false;
    }
    true
}

/// The relocate prompt (or `:relocate FLAGS`) was submitted: plan the shown rows and preview.
pub fn submit_relocate(model: &mut Model, text: &str) -> Vec<Effect> {
    if refuse_read_only(model, "relocate") || !has_rows(model) {
        return vec![];
    }
    let rows = model.lock.rows();
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    match relocate::plan_relocation(&rows, &model.lock.shown, text, &cwd) {
        Ok(r) if r.mapped == 0 => {
            model.prompt(InputTarget::Relocate, text.to_string());
            model.say(
                "no shown row moves (already there, or outside --source-prefix)",
                true,
            );
        }
        Ok(r) => {
            model.lock.relocation = Some(r);
            model.popup = Some(Popup::ConfirmRelocate);
        }
        Err(e) => {
            model.prompt(InputTarget::Relocate, text.to_string());
            model.say(e, true);
        }
    }
    vec![]
}

/// `y` on the relocation preview: copy, the rows streaming in as the new lock.
pub fn confirm_relocate(model: &mut Model) -> Vec<Effect> {
    model.popup = None;
    let Some(relocation) = model.lock.relocation.take() else {
        return vec![];
    };
    let generation = model.generation();
    let base_dir = model.lock.base_dir.clone();
    let source = format!("relocated to {}", relocation.target);
    model.activity.relocate_flags = Some(relocation.flags.clone());
    model.lock.start(source, None, generation);
    model.lock.is_relocation = true;
    model.status = None;
    let mut effects = forget_results(model);
    model.focus = PaneId::Lock;
    effects.push(Effect::Lock(LockEffect::Relocate {
        generation,
        relocation: Box::new(relocation),
        base_dir,
    }));
    effects
}

/// Anything but `y` on the preview.
pub fn decline_relocate(model: &mut Model) {
    model.popup = None;
    model.lock.relocation = None;
    model.say("relocation not started; nothing copied", false);
}

/// The alternate key was given (empty: sizes only): ask where to write the enriched items.
pub fn submit_enrich_key(model: &mut Model, text: &str) -> Vec<Effect> {
    let key = text.trim();
    if key.contains(char::is_whitespace) {
        model.prompt(InputTarget::EnrichKey, text.to_string());
        model.say("an alternate key is one word, e.g. relocated", true);
        return vec![];
    }
    model.lock.enrich_key = Some(key.to_string());
    model.prompt(
        InputTarget::EnrichPath,
        "items.enriched.parquet".to_string(),
    );
    vec![]
}

/// Where the enriched items go: `items enrich` on every loaded item, written atomically.
pub fn submit_enrich_path(model: &mut Model, text: &str) -> Vec<Effect> {
    let Some(path) = target_path(model, text) else {
        return vec![];
    };
    let key = model.lock.enrich_key.take().unwrap_or_default();
    let alternate_key = (!key.is_empty()).then_some(key);
    let content = WriteContent::EnrichedItems {
        batches: model.items.batches.clone(),
        lock: model.lock.rows(),
        alternate_key,
    };
    vec![Effect::WriteFile(WriteRequest::new(
        path,
        content,
        "wrote the enriched items to {path}",
    ))]
}

/// The directory relative hrefs of the loaded items resolve against.
/// The directory relative hrefs of the loaded items resolve against.
pub fn items_dir(model: &Model) -> PathBuf {
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
    let selection = model.items.selection();
    let (item_ids, source) = (selection.ids, format!("derived from {}", selection.label));
    if selection.count == 0 {
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
            if std::mem::take(&mut lock.is_relocation) {
                // Offer the next step: the items, enriched with the new locations.
                if !model.items.batches.is_empty() && !model.read_only {
                    model.prompt(InputTarget::EnrichKey, "relocated".to_string());
                }
                model.say(
                    format!("relocated: {text}; enrich the items with an alternate key (esc: not now, E later), w writes this lock"),
                    is_error,
                );
                return vec![];
            }
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
    if !model.lock.is_running() {
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

/// What `y` (the row's href) or `Y` (the row as JSON) copies here.
pub fn copy_text(model: &Model, json: bool) -> Option<String> {
    let e = model.lock.current()?;
    let r = &e.row;
    if !json {
        return r.href();
    }
    let value = serde_json::json!({
        "item_id": r.item_id,
        "asset_key": r.asset_key,
        "href": r.href(),
        "store_type": r.store_type,
        "store_container": r.store_container,
        "store_endpoint_url": r.store_endpoint_url,
        "key": r.key,
        "size_bytes": r.size_bytes,
        "etag": r.etag,
        "last_modified": r.last_modified,
        "probe_error": e.error,
    });
    serde_json::to_string_pretty(&value).ok()
}
