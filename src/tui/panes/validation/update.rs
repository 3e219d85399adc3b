//! `update` for the validation pane: validate the lock (whole, or the marked results again),
//! triage (problems only, grouping, marks, details), accept drift into a new lock, export the
//! results. Synchronous, no I/O.
//!
//! A new validation (whole or re-validating marked rows) supersedes the running one; its late
//! results are dropped by generation.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use super::detail::detail_lines;
use super::{RunPhase, Shown, ValidationEffect, ValidationMsg, Verdict};
use crate::preview::cell_text;
use crate::tui::command::{Command, PaneId};
use crate::tui::model::Popup;
use crate::tui::model::{InputTarget, Model};
use crate::tui::msg::Effect;
use crate::tui::msg::{AfterWrite, WriteContent, WriteRequest};
use crate::tui::panes::package::update::refuse_read_only;
use crate::tui::tasks::TaskKind;
use crate::tui::write::target_path;

/// Default file name offered by the export prompt.
const DEFAULT_EXPORT_PATH: &str = "validation.jsonl";

/// Rows of the results table (the pane's summary and gauge take two).
fn page(model: &Model) -> usize {
    model.page_rows().saturating_sub(2)
}

/// Applies a validation command (or a marking command while the pane has focus).
pub fn command(model: &mut Model, c: Command) -> Vec<Effect> {
    let page = page(model);
    match c {
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
        Command::Sort => {
            let v = &mut model.validation;
            v.sort = v.sort.next();
            v.rebuild();
            v.move_to(0, page);
            vec![]
        }
        Command::StartFilter => {
            let text = model.validation.filter.clone();
            model.prompt(InputTarget::ResultsFilter, text);
            vec![]
        }
        Command::MarkGroup => {
            let v = &mut model.validation;
            let group = v.group_under_cursor();
            let n = group.len();
            if group.iter().all(|i| v.marked.contains(i)) {
                for i in &group {
                    v.marked.remove(i);
                }
                model.say(format!("unmarked {n} results"), false);
            } else {
                v.marked.extend(group);
                let total = model.validation.marked.len();
                model.say(format!("marked {n} results ({total} marked)"), false);
            }
            vec![]
        }
        Command::CycleGroup => {
            let v = &mut model.validation;
            v.group = v.group.next();
            v.rebuild();
            v.move_to(v.cursor, page);
            vec![]
        }
        Command::ToggleMark => {
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
        Command::MarkAll => {
            let v = &mut model.validation;
            let shown: Vec<usize> = v
                .shown
                .iter()
                .filter_map(|s| match s {
                    Shown::Entry(i) => Some(v.entries[*i].index),
                    Shown::Group(..) => None,
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
                let lines = detail_lines(e, row);
                model.popup = Some(Popup::Json {
                    title: format!("{}/{}", e.result.item_id, e.result.asset_key),
                    lines,
                    scroll: 0,
                });
            }
            vec![]
        }
        Command::AcceptDrift | Command::ExportResults
            if refuse_read_only(
                model,
                if c == Command::AcceptDrift {
                    "accept drift"
                } else {
                    "export"
                },
            ) =>
        {
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
            model.prompt(InputTarget::AcceptPath, default);
            vec![]
        }
        Command::ExportResults => {
            if model.validation.entries.is_empty() {
                model.say("no results to export: validate first", true);
                return vec![];
            }
            model.prompt(InputTarget::ExportPath, DEFAULT_EXPORT_PATH.to_string());
            vec![]
        }
        _ => {
            model.is_dirty = false;
            vec![]
        }
    }
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

/// A new lock makes the old results meaningless (they index the old rows): clear them, keep
/// the view settings, and drop any late results of a run against the old lock.
pub fn forget_results(model: &mut Model) -> Vec<Effect> {
    let generation = model.generation();
    let old = std::mem::take(&mut model.validation);
    model.validation.generation = generation;
    model.validation.is_problems_only = old.is_problems_only;
    model.validation.group = old.group;
    if old.is_running() {
        vec![Effect::Validation(ValidationEffect::Cancel)]
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
    // The last run's message would read as this run's.
    model.status = None;
    model.focus = PaneId::Validation;
    vec![Effect::Validation(ValidationEffect::Validate {
        generation,
        rows,
        base_dir: model.lock.base_dir.clone(),
    })]
}

/// Applies a validation task message; results of an older run are dropped.
pub fn message(model: &mut Model, msg: ValidationMsg) -> Vec<Effect> {
    let page = page(model);
    match msg {
        ValidationMsg::Rows {
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
        ValidationMsg::Done {
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
        _ => model.is_dirty = false,
    }
    vec![]
}

/// The results filter was submitted: the shown results from the top.
pub fn submit_filter(model: &mut Model, text: &str) -> Vec<Effect> {
    let page = page(model);
    let v = &mut model.validation;
    v.filter = text.trim().to_string();
    v.rebuild();
    v.move_to(0, page);
    vec![]
}

/// The accept-drift or export prompt was submitted.
pub fn submit(model: &mut Model, target: InputTarget, text: &str) -> Vec<Effect> {
    let Some(path) = target_path(model, text) else {
        return vec![];
    };
    let request = match target {
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
            let text = format!(
                "accepted drift of {accepted} rows: new lock {{path}}, opened; validate it (v)"
            );
            let mut request = WriteRequest::new(path, WriteContent::Lock(rows), text);
            request.after = AfterWrite::OpenLock;
            request
        }
        InputTarget::ExportPath => {
            let mut entries: Vec<_> = model.validation.entries.iter().collect();
            entries.sort_by_key(|e| e.index);
            WriteRequest::new(
                path,
                WriteContent::JsonLines(entries.iter().map(|e| e.result.to_json_line()).collect()),
                format!("exported {} results to {{path}}", entries.len()),
            )
        }
        _ => return vec![],
    };
    vec![Effect::WriteFile(request)]
}

/// Moves the cursor by `delta` lines (clamped).
pub fn move_by(model: &mut Model, delta: isize) {
    let page = page(model);
    let v = &mut model.validation;
    let target = (v.cursor as isize + delta).clamp(0, v.shown.len().saturating_sub(1) as isize);
    v.move_to(target as usize, page);
}

/// Esc in the validation pane: cancels its run, keeping the results so far.
pub fn cancel(model: &mut Model) -> Option<Vec<Effect>> {
    if !model.validation.is_running() {
        return None;
    }
    model.validation.generation = model.generation();
    model.validation.phase = RunPhase::Cancelled;
    let n = model.validation.run_done;
    model.say(format!("validation cancelled after {n} results"), false);
    Some(vec![Effect::Validation(ValidationEffect::Cancel)])
}

/// A validation task ended with a failure (error or panic).
pub fn task_failed(model: &mut Model, kind: TaskKind, failure: &str) {
    if kind == TaskKind::Validate && model.validation.is_running() {
        model.validation.phase = RunPhase::Failed(failure.to_string());
    }
}

/// What `y` (the result's href) or `Y` (the result's JSON line, as `validate` writes it)
/// copies here.
pub fn copy_text(model: &Model, json: bool) -> Option<String> {
    let e = model.validation.current()?;
    if json {
        return Some(e.result.to_json_line());
    }
    model.lock.entries.get(e.index).and_then(|l| l.row.href())
}
