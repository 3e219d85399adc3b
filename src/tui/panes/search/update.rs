//! `update` for the search pane: running a search, the collections picker, recalling
//! remembered searches and the paging progress. Synchronous and free of I/O like the rest of
//! `update`; what it needs from the outside world it returns as effects.

use super::form::{is_url, SearchSpec, COLLECTIONS_FIELD, FIELDS};
use super::{PageProgress, Picker, PickerList, SearchEffect, SearchMsg};
use crate::tui::command::{Command, PaneId};
use crate::tui::model::Popup;
use crate::tui::model::{InputTarget, Model};
use crate::tui::msg::Effect;
use crate::tui::tasks::TaskKind;

/// Applies a search task result.
pub fn message(model: &mut Model, msg: SearchMsg) -> Vec<Effect> {
    match msg {
        SearchMsg::Page {
            generation,
            pages,
            matched,
        } => page_received(model, generation, pages, matched),
        SearchMsg::CollectionsLoaded { generation, result } => {
            collections_loaded(model, generation, result);
        }
    }
    vec![]
}

/// Applies a search-pane command.
pub fn command(model: &mut Model, c: Command) -> Vec<Effect> {
    match c {
        Command::EditField => {
            let i = model.search.cursor;
            if i < FIELDS.len() {
                let text = model.search.form.field(i).to_string();
                model.prompt(InputTarget::Field(i), text);
            }
            vec![]
        }
        Command::RecallSearch => {
            recall(model);
            vec![]
        }
        Command::RunSearch => enter(model),
        Command::PickCollections => pick_collections(model),
        _ => {
            model.is_dirty = false;
            vec![]
        }
    }
}

/// A field's prompt was submitted.
pub fn submit_field(model: &mut Model, i: usize, text: String) -> Vec<Effect> {
    model.search.form.set_field(i, text);
    model.search.error = None;
    vec![]
}

/// Moves the cursor over the fields and the remembered searches.
pub fn move_by(model: &mut Model, delta: isize) {
    let s = &mut model.search;
    let target = (s.cursor as isize + delta).clamp(0, s.len().saturating_sub(1) as isize);
    s.cursor = target as usize;
}

/// A search task ended with a failure (error or panic).
pub fn task_failed(model: &mut Model, kind: TaskKind, failure: &str) {
    if kind == TaskKind::Collections {
        collections_task_failed(model, failure);
    }
}

/// Starts the search the form describes: a STAC API search or a local load. A form that
/// does not check out is refused with one line in the pane and the status bar.
pub fn run_search(model: &mut Model) -> Vec<Effect> {
    let spec = match model.search.form.request() {
        Ok(s) => s,
        Err(e) => {
            model.search.error = Some(e.clone());
            model.say(e, true);
            return vec![];
        }
    };
    model.search.error = None;
    model.search.progress = None;
    let generation = model.generation();
    let source = model.search.form.source.trim().to_string();
    model.items.start_load(source, generation);
    model.search.remember(model.search.form.clone());
    model.focus = PaneId::Items;
    model.status = None;
    let run = match spec {
        SearchSpec::Api(search) => SearchEffect::SearchApi {
            generation,
            search: Box::new(search),
        },
        SearchSpec::Local(load) => SearchEffect::LoadLocal {
            generation,
            load: Box::new(load),
        },
    };
    let save = SearchEffect::SaveHistory(model.search.history.clone());
    vec![Effect::Search(run), Effect::Search(save)]
}

/// Enter on the search pane: run (a remembered search under the cursor is copied into the
/// form first). In the open picker, enter confirms it instead (see `popups`).
fn enter(model: &mut Model) -> Vec<Effect> {
    let s = &mut model.search;
    if let Some(form) = s
        .cursor
        .checked_sub(FIELDS.len())
        .and_then(|i| s.history.get(i))
    {
        s.form = form.clone();
        s.cursor = 0;
    }
    run_search(model)
}

/// The recall key: on a remembered search, copy it into the form; on a field, step through
/// the remembered searches, newest first.
fn recall(model: &mut Model) {
    let s = &mut model.search;
    if let Some(i) = s.cursor.checked_sub(FIELDS.len()) {
        if let Some(form) = s.history.get(i) {
            s.form = form.clone();
            s.cursor = 0;
            s.recalled = Some(i);
        }
        return;
    }
    if s.history.is_empty() {
        model.say("no remembered searches yet", false);
        return;
    }
    let next = s.recalled.map_or(0, |i| (i + 1) % s.history.len());
    s.form = s.history[next].clone();
    s.recalled = Some(next);
    s.error = None;
    let n = s.history.len();
    model.say(format!("recalled search {}/{n}", next + 1), false);
}

/// Opens the collections picker and asks for the endpoint's `/collections`.
fn pick_collections(model: &mut Model) -> Vec<Effect> {
    let source = model.search.form.source.trim().to_string();
    if !is_url(&source) {
        model.say(
            "collections: the picker lists a STAC API's collections; enter its URL as the source first",
            true,
        );
        return vec![];
    }
    let generation = model.generation();
    let chosen = model
        .search
        .form
        .collections
        .split(',')
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(String::from)
        .collect();
    model.search.picker = Some(Picker {
        generation,
        source: source.clone(),
        list: PickerList::Loading,
        chosen,
        cursor: 0,
    });
    model.popup = Some(Popup::Collections);
    vec![Effect::Search(SearchEffect::LoadCollections {
        generation,
        source,
    })]
}

/// The picker's list arrived (dropped when the picker was closed or reopened since).
fn collections_loaded(
    model: &mut Model,
    generation: u64,
    result: Result<Vec<(String, Option<String>)>, String>,
) {
    let is_open = model.popup == Some(Popup::Collections);
    let Some(picker) = model
        .search
        .picker
        .as_mut()
        .filter(|p| is_open && p.generation == generation)
    else {
        model.is_dirty = false;
        return;
    };
    match result {
        Ok(list) => picker.list = PickerList::Loaded(list),
        Err(e) => {
            picker.list = PickerList::Failed(e.clone());
            model.say(e, true);
        }
    }
}

/// The picker's task failed (a panic or an error outside the answer).
fn collections_task_failed(model: &mut Model, failure: &str) {
    if let Some(p) = model.search.picker.as_mut() {
        if p.list == PickerList::Loading {
            p.list = PickerList::Failed(failure.to_string());
        }
    }
}

/// Space in the picker: choose or unchoose the collection under the cursor.
pub fn toggle_collection(model: &mut Model) {
    let Some(p) = model.search.picker.as_mut() else {
        return;
    };
    let PickerList::Loaded(list) = &p.list else {
        return;
    };
    if let Some((id, _)) = list.get(p.cursor) {
        if !p.chosen.remove(id) {
            p.chosen.insert(id.clone());
        }
        p.cursor = (p.cursor + 1).min(list.len().saturating_sub(1));
    }
}

/// Moves the picker's cursor.
pub fn move_picker(model: &mut Model, delta: isize) {
    if let Some(p) = model.search.picker.as_mut() {
        let len = match &p.list {
            PickerList::Loaded(l) => l.len(),
            _ => 0,
        };
        let target = p.cursor as isize + delta;
        p.cursor = target.clamp(0, len.saturating_sub(1) as isize) as usize;
    }
}

/// Enter in the picker: the chosen ids become the collections field.
pub fn confirm_collections(model: &mut Model) {
    model.popup = None;
    if let Some(p) = model.search.picker.take() {
        let text = p.chosen.into_iter().collect::<Vec<_>>().join(",");
        model.search.form.set_field(COLLECTIONS_FIELD, text);
        model.search.cursor = COLLECTIONS_FIELD;
        model.search.error = None;
    }
}

/// A page of the running API search arrived.
fn page_received(model: &mut Model, generation: u64, pages: u64, matched: Option<u64>) {
    if generation != model.items.generation {
        model.is_dirty = false;
        return;
    }
    model.search.progress = Some((generation, PageProgress { pages, matched }));
}

/// What `y` copies here: the field under the cursor (`Y`: the whole form as JSON).
pub fn copy_text(model: &Model, json: bool) -> Option<String> {
    let s = &model.search;
    if json {
        return serde_json::to_string_pretty(&s.form).ok();
    }
    (s.cursor < super::form::FIELDS.len()).then(|| s.form.field(s.cursor).to_string())
}
