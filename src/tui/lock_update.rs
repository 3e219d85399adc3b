//! `update` for the lock and validation panes: their commands, task messages, prompts and
//! confirmations. Synchronous, no I/O — like the rest of `update`, which delegates here.
//!
//! Runs carry generations: a new derive or open supersedes the old lock (its late rows are
//! dropped), and a new validation (whole or re-validating marked rows) supersedes the old run.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use crossterm::event::{KeyCode, KeyEvent};

use super::model::{Input, InputTarget, Model, Popup};
use super::msg::{Command, Effect, Msg, PaneId, WriteContent, WriteRequest};
use super::panes::lock::LockPhase;
use super::panes::validation::{RunPhase, Verdict};
use super::tasks::TaskKind;
use crate::preview::cell_text;

/// Default file names offered by the prompts.
const DEFAULT_LOCK_PATH: &str = "assets.lock.parquet";
const DEFAULT_EXPORT_PATH: &str = "validation.jsonl";

/// Applies a lock / validation command.
pub fn command(model: &mut Model, c: Command) -> Vec<Effect> {
    let page = model.page_rows().saturating_sub(2);
    match c {
        Command::FocusLock | Command::FocusValidation => {
            model.focus = if c == Command::FocusLock {
                PaneId::Lock
            } else {
                PaneId::Validation
            };
            model.popup = None;
            vec![]
        }
        Command::DeriveLock => derive(model),
        Command::WriteLock => {
            if model.lock.entries.is_empty() {
                model.say("no lock to write: derive or open one first", true);
                return vec![];
            }
            prompt(model, InputTarget::LockPath, DEFAULT_LOCK_PATH.to_string());
            vec![]
        }
        Command::ValidateLock => validate(model, None),
        Command::RevalidateMarked => {
            let selected: HashSet<usize> = model
                .validation
                .selected()
                .iter()
                .map(|e| e.index)
                .collect();
            if selected.is_empty() {
                model.say("nothing selected: mark results with space", true);
                return vec![];
            }
            validate(model, Some(selected))
        }
        Command::ToggleProblemsOnly => {
            let v = &mut model.validation;
            v.is_problems_only = !v.is_problems_only;
            v.rebuild();
            v.move_to(v.cursor, page);
            vec![]
        }
        Command::CycleGroup => {
            let v = &mut model.validation;
            v.group = v.group.next();
            v.rebuild();
            v.move_to(v.cursor, page);
            vec![]
        }
        Command::MarkResult => {
            let v = &mut model.validation;
            if let Some(index) = v.current().map(|e| e.index) {
                if !v.marked.remove(&index) {
                    v.marked.insert(index);
                }
            }
            let next = v.cursor + 1;
            v.move_to(next, page);
            vec![]
        }
        Command::MarkAllResults => {
            let v = &mut model.validation;
            let shown: Vec<usize> = v
                .shown
                .iter()
                .filter_map(|s| match s {
                    super::panes::validation::Shown::Entry(i) => Some(v.entries[*i].index),
                    _ => None,
                })
                .collect();
            if shown.iter().all(|i| v.marked.contains(i)) {
                for i in &shown {
                    v.marked.remove(i);
                }
            } else {
                v.marked.extend(shown);
            }
            vec![]
        }
        Command::ShowDetail => {
            if let Some(e) = model.validation.current() {
                let row = model.lock.entries.get(e.index).map(|l| &l.row);
                let lines = super::panes::validation::detail_lines(e, row);
                model.popup = Some(Popup::Json {
                    title: format!("{}/{}", e.result.item_id, e.result.asset_key),
                    lines,
                    scroll: 0,
                });
            }
            vec![]
        }
        Command::AcceptDrift => {
            let drifted = model
                .validation
                .selected()
                .iter()
                .filter(|e| matches!(e.verdict, Verdict::Drifted(_)) && e.facts.is_some())
                .count();
            if drifted == 0 {
                model.say(
                    "nothing to accept: mark drifted results (present objects) first",
                    true,
                );
                return vec![];
            }
            let default = accepted_name(model.lock.path.as_deref());
            prompt(model, InputTarget::AcceptPath, default);
            vec![]
        }
        Command::ExportResults => {
            if model.validation.entries.is_empty() {
                model.say("no results to export: validate first", true);
                return vec![];
            }
            prompt(
                model,
                InputTarget::ExportPath,
                DEFAULT_EXPORT_PATH.to_string(),
            );
            vec![]
        }
        _ => vec![],
    }
}

fn prompt(model: &mut Model, target: InputTarget, text: String) {
    model.input = Some(Input { target, text });
}

/// `x.parquet` → `x.accepted.parquet` beside it (never the lock itself).
fn accepted_name(lock: Option<&Path>) -> String {
    match lock {
        Some(p) => {
            let stem = p
                .file_stem()
                .and_then(|s| s.to_str())
                .unwrap_or("assets.lock");
            p.with_file_name(format!("{stem}.accepted.parquet"))
                .display()
                .to_string()
        }
        None => "assets.lock.accepted.parquet".to_string(),
    }
}

/// The directory relative hrefs of the loaded items resolve against.
fn items_dir(model: &Model) -> PathBuf {
    Path::new(&model.items.source)
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
}

fn derive(model: &mut Model) -> Vec<Effect> {
    if model.items.batches.is_empty() {
        model.say("no items loaded: run a search first", true);
        return vec![];
    }
    let item_ids: Vec<String> = model.items.marked.iter().cloned().collect();
    let source = if item_ids.is_empty() {
        format!("derived from all {} items", model.items.total_rows)
    } else {
        format!("derived from {} marked items", item_ids.len())
    };
    let generation = model.generation();
    let base_dir = items_dir(model);
    model.lock.base_dir = base_dir.clone();
    model.lock.start(source, None, generation);
    let mut effects = forget_results(model);
    model.focus = PaneId::Lock;
    effects.push(Effect::DeriveLock {
        generation,
        batches: model.items.batches.clone(),
        item_ids,
        base_dir,
    });
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
    effects.push(Effect::OpenLock { generation, path });
    effects
}

/// A new lock makes the old results meaningless (they index the old rows): clear them, keep
/// the view settings, and drop any late results of a run against the old lock.
fn forget_results(model: &mut Model) -> Vec<Effect> {
    let generation = model.generation();
    let old = std::mem::take(&mut model.validation);
    model.validation.generation = generation;
    model.validation.is_problems_only = old.is_problems_only;
    model.validation.group = old.group;
    if old.is_running() {
        vec![Effect::CancelValidation]
    } else {
        vec![]
    }
}

/// Item id → collection, from the items pane (for grouping by collection).
fn collections(model: &Model) -> HashMap<String, String> {
    let mut out = HashMap::new();
    for batch in &model.items.batches {
        let (Some(ids), Some(cols)) = (
            batch.column_by_name("id"),
            batch.column_by_name("collection"),
        ) else {
            continue;
        };
        for r in 0..batch.num_rows() {
            out.insert(cell_text(ids.as_ref(), r), cell_text(cols.as_ref(), r));
        }
    }
    out
}

/// Validates the whole lock, or only `only`.
fn validate(model: &mut Model, only: Option<HashSet<usize>>) -> Vec<Effect> {
    if model.lock.entries.is_empty() {
        model.say("no lock to validate: derive or open one first", true);
        return vec![];
    }
    if model.lock.is_running() {
        model.say(
            "the lock is still being made; validate when it is done",
            true,
        );
        return vec![];
    }
    let replace_all = only.is_none();
    let indices: HashSet<usize> = only.unwrap_or_else(|| (0..model.lock.entries.len()).collect());
    let mut rows: Vec<(usize, crate::lock::LockRow)> = indices
        .iter()
        .filter_map(|&i| model.lock.entries.get(i).map(|e| (i, e.row.clone())))
        .collect();
    rows.sort_by_key(|(i, _)| *i);
    let generation = model.generation();
    model.validation.collections = collections(model);
    model.validation.start(generation, &indices, replace_all);
    model.focus = PaneId::Validation;
    vec![Effect::Validate {
        generation,
        rows,
        base_dir: model.lock.base_dir.clone(),
    }]
}

/// Applies a lock / validation task message.
pub fn message(model: &mut Model, msg: Msg) -> Vec<Effect> {
    let page = model.page_rows().saturating_sub(2);
    match msg {
        Msg::LockStarted { generation, total } if generation == model.lock.generation => {
            model.lock.total = total;
        }
        Msg::LockRows {
            generation,
            rows,
            elapsed_secs,
        } if generation == model.lock.generation => {
            let lock = &mut model.lock;
            lock.failed += rows.iter().filter(|e| e.error.is_some()).count();
            lock.entries.extend(rows);
            lock.elapsed_secs = elapsed_secs;
            if lock.entries.len() > lock.total {
                lock.total = lock.entries.len();
            }
        }
        Msg::LockDone {
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
                super::lock_jobs::item_count(&rows),
                if lock.failed > 0 {
                    format!("; {} probe(s) failed, kept without facts", lock.failed)
                } else {
                    String::new()
                }
            );
            let is_error = lock.failed > 0;
            model.say(text, is_error);
        }
        Msg::LockFailed { generation, error } if generation == model.lock.generation => {
            model.lock.phase = LockPhase::Failed(error.clone());
            model.say(error, true);
        }
        Msg::ValidationRows {
            generation,
            mut rows,
            elapsed_secs,
        } if generation == model.validation.generation => {
            for e in &mut rows {
                e.collection = model.validation.collections.get(&e.result.item_id).cloned();
            }
            model.validation.ingest(rows, elapsed_secs);
            let v = &mut model.validation;
            v.move_to(v.cursor, page);
        }
        Msg::ValidationDone {
            generation,
            elapsed_secs,
        } if generation == model.validation.generation => {
            let v = &mut model.validation;
            v.phase = RunPhase::Done;
            v.elapsed_secs = elapsed_secs;
            let c = v.counters();
            let text = format!(
                "validated {} in {elapsed_secs:.1} s: {} valid, {} drifted, {} unreachable",
                v.run_done, c.valid, c.drifted, c.unreachable
            );
            model.say(text, c.drifted + c.unreachable > 0);
        }
        Msg::FileWritten {
            text,
            is_error,
            needs_confirm,
        } => {
            if let Some(request) = needs_confirm {
                model.popup = Some(Popup::ConfirmOverwrite {
                    path: request.path.display().to_string(),
                });
                model.pending_write = Some(request);
            } else {
                model.say(text, is_error);
            }
        }
        _ => model.is_dirty = false,
    }
    vec![]
}

/// A finished prompt.
pub fn submit(model: &mut Model, input: Input) -> Vec<Effect> {
    let text = input.text.trim().to_string();
    if text.is_empty() {
        model.say("no path given; nothing written", true);
        return vec![];
    }
    let path = PathBuf::from(&text);
    let request = match input.target {
        InputTarget::LockPath => WriteRequest {
            path,
            overwrite: false,
            content: WriteContent::Lock(model.lock.rows()),
            done_text: format!("wrote {} lock rows to {{path}}", model.lock.entries.len()),
        },
        InputTarget::AcceptPath => {
            if model.lock.path.as_deref() == Some(path.as_path()) {
                model.say(
                    "accept drift writes a NEW lock; choose a path other than the open lock",
                    true,
                );
                return vec![];
            }
            let mut rows = model.lock.rows();
            let mut accepted = 0;
            for e in model.validation.selected() {
                let (Verdict::Drifted(_), Some(facts)) = (&e.verdict, &e.facts) else {
                    continue;
                };
                if let Some(row) = rows.get_mut(e.index) {
                    row.size_bytes = Some(facts.size_bytes);
                    row.etag = facts.etag.clone();
                    row.last_modified = facts.last_modified.clone();
                    accepted += 1;
                }
            }
            WriteRequest {
                path,
                overwrite: false,
                content: WriteContent::Lock(rows),
                done_text: format!("accepted drift of {accepted} rows: new lock {{path}}"),
            }
        }
        InputTarget::ExportPath => {
            let mut entries: Vec<_> = model.validation.entries.iter().collect();
            entries.sort_by_key(|e| e.index);
            WriteRequest {
                path,
                overwrite: false,
                content: WriteContent::JsonLines(
                    entries.iter().map(|e| e.result.to_json_line()).collect(),
                ),
                done_text: format!("exported {} results to {{path}}", entries.len()),
            }
        }
        _ => return vec![],
    };
    vec![Effect::WriteFile(request)]
}

/// The prompt label of a lock / validation input.
pub fn input_label(target: InputTarget) -> &'static str {
    match target {
        InputTarget::LockPath => "write lock to: ",
        InputTarget::AcceptPath => "new lock with accepted drift: ",
        InputTarget::ExportPath => "export JSON lines to: ",
        _ => "",
    }
}

/// A key while "replace the file?" is open.
pub fn confirm_key(model: &mut Model, key: KeyEvent) -> Vec<Effect> {
    model.popup = None;
    let request = model.pending_write.take();
    match (key.code, request) {
        (KeyCode::Char('y') | KeyCode::Char('Y'), Some(mut request)) => {
            request.overwrite = true;
            vec![Effect::WriteFile(request)]
        }
        _ => {
            model.say("not replaced; nothing written", false);
            vec![]
        }
    }
}

/// Moves the cursor of the focused lock / validation pane.
pub fn move_by(model: &mut Model, delta: isize) {
    let page = model.page_rows().saturating_sub(2);
    let step = |cur: usize, len: usize| -> usize {
        (cur as isize + delta).clamp(0, len.saturating_sub(1) as isize) as usize
    };
    match model.focus {
        PaneId::Lock => {
            let target = step(model.lock.cursor, model.lock.entries.len());
            model.lock.move_to(target, page);
        }
        PaneId::Validation => {
            let target = step(model.validation.cursor, model.validation.shown.len());
            model.validation.move_to(target, page);
        }
        _ => {}
    }
}

/// Esc in the lock / validation pane: cancels its run, keeping the rows so far.
pub fn cancel(model: &mut Model) -> Option<Vec<Effect>> {
    match model.focus {
        PaneId::Lock if model.lock.is_running() => {
            model.lock.generation = model.generation();
            model.lock.phase = LockPhase::Cancelled;
            let n = model.lock.entries.len();
            model.say(format!("derive cancelled after {n} rows"), false);
            Some(vec![Effect::CancelLock])
        }
        PaneId::Validation if model.validation.is_running() => {
            model.validation.generation = model.generation();
            model.validation.phase = RunPhase::Cancelled;
            let n = model.validation.run_done;
            model.say(format!("validation cancelled after {n} results"), false);
            Some(vec![Effect::CancelValidation])
        }
        _ => None,
    }
}

/// A lock / validation task ended with a failure (error or panic).
pub fn task_failed(model: &mut Model, kind: TaskKind, failure: &str) {
    match kind {
        TaskKind::Lock if model.lock.is_running() => {
            model.lock.phase = LockPhase::Failed(failure.to_string());
        }
        TaskKind::Validate if model.validation.is_running() => {
            model.validation.phase = RunPhase::Failed(failure.to_string());
        }
        _ => {}
    }
}
