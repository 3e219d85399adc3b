//! `update` for the map pane: footprints follow the items pane's batches, and the keys and
//! the mouse move the view, choose a bbox for the search form, and pick a histogram bar that
//! filters the items table. Synchronous, no I/O.

use crossterm::event::{MouseButton, MouseEvent, MouseEventKind};
use ratatui::layout::Rect;

use super::histogram::bins;
use super::{areas, Areas, Draft, MapEffect, MapMsg, MapPane, Viewport};
use crate::tui::command::{Command, PaneId};
use crate::tui::model::Model;
use crate::tui::msg::Effect;
use crate::tui::panes::items;
use crate::tui::panes::search::form::BBOX_FIELD;
use crate::tui::tasks::TaskKind;

/// A pan step: this fraction of the view.
const PAN_STEP: f64 = 0.125;

/// After the items pane changed: a new load starts the footprints over, and batches not yet
/// read are asked for (one read out at a time; the answer asks for what arrived meanwhile).
pub fn items_changed(model: &mut Model) -> Vec<Effect> {
    let map = &mut model.map;
    if map.generation != model.items.load {
        *map = MapPane {
            generation: model.items.load,
            view: map.view,
            has_moved: map.has_moved,
            draft: map.draft,
            ..MapPane::default()
        };
    }
    let first = map.items.len();
    if map.is_reading || first >= model.items.batches.len() {
        return vec![];
    }
    map.is_reading = true;
    vec![Effect::Map(MapEffect::Read {
        generation: map.generation,
        first,
        batches: model.items.batches[first..].to_vec(),
    })]
}

/// A read answered: its items join the map (a stale one is dropped), and what arrived since
/// is asked for.
pub fn message(model: &mut Model, msg: MapMsg) -> Vec<Effect> {
    let MapMsg::Read {
        generation,
        first,
        batches,
    } = msg;
    let canvas = canvas(model);
    let map = &mut model.map;
    if generation != map.generation || first != map.items.len() {
        model.is_dirty = false;
        return vec![];
    }
    map.is_reading = false;
    for read in batches {
        for item in &read.items {
            match item.bbox {
                Some(b) => {
                    let e = map.extent.get_or_insert(b);
                    *e = [
                        e[0].min(b[0]),
                        e[1].min(b[1]),
                        e[2].max(b[2]),
                        e[3].max(b[3]),
                    ];
                }
                None => map.without_extent += 1,
            }
            if let Some((s, t)) = item.time {
                let te = map.time_extent.get_or_insert((s, t));
                *te = (te.0.min(s), te.1.max(t));
            }
        }
        if map.first_error.is_none() {
            map.first_error = read.first_error;
        }
        map.items.push(read.items);
    }
    if !map.has_moved {
        if let Some(extent) = map.extent {
            map.view = Viewport::fit(extent, canvas);
        }
    }
    items_changed(model)
}

/// A read task failed: the next change asks again.
pub fn task_failed(model: &mut Model, kind: TaskKind) {
    if kind == TaskKind::Map {
        model.map.is_reading = false;
    }
}

/// The pane's areas for the current terminal size (as the view draws them).
pub fn pane_areas(model: &Model) -> Areas {
    areas(model.body_area())
}

fn canvas(model: &Model) -> Rect {
    pane_areas(model).canvas
}

/// Histogram bars: one per column.
pub fn bin_count(model: &Model) -> usize {
    usize::from(pane_areas(model).histogram.width)
}

/// Applies a map command.
pub fn command(model: &mut Model, c: Command) -> Vec<Effect> {
    let canvas = canvas(model);
    match c {
        Command::ZoomIn | Command::ZoomOut => {
            let factor = if c == Command::ZoomIn { 0.5 } else { 2.0 };
            model.map.view.zoom(factor);
            model.map.has_moved = true;
            vec![]
        }
        Command::PanLeft => {
            step(model, -1.0, 0.0);
            vec![]
        }
        Command::PanRight => {
            step(model, 1.0, 0.0);
            vec![]
        }
        Command::ShowWorld => {
            model.map.view = Viewport::WORLD;
            model.map.has_moved = true;
            vec![]
        }
        Command::FitSelection => {
            let (bbox, what) = selection_extent(model);
            match bbox {
                Some(b) => {
                    model.map.view = Viewport::fit(b, canvas);
                    model.map.has_moved = true;
                    model.say(format!("map fitted to {what}"), false);
                }
                None => model.say(format!("{what}: nothing with a footprint to fit"), true),
            }
            vec![]
        }
        Command::CenterOnItem => {
            match current_bbox(model) {
                Some(b) => {
                    model.map.view = Viewport::fit(b, canvas);
                    model.map.has_moved = true;
                }
                None => model.say("the item under the cursor has no footprint", true),
            }
            vec![]
        }
        Command::NextItem | Command::PrevItem => {
            let delta = if c == Command::NextItem { 1 } else { -1 };
            items::update::move_by(model, delta);
            follow_cursor(model);
            vec![]
        }
        Command::ToggleMark | Command::MarkAll => items::update::command(model, c),
        Command::DrawBbox => {
            let map = &mut model.map;
            match map.draft {
                Some(d) if d.is_keyed => {
                    map.draft = Some(Draft {
                        is_keyed: false,
                        ..d
                    });
                    model.say(
                        "bbox drawn: B puts it in the search form, esc drops it",
                        false,
                    );
                }
                _ => {
                    let centre = (map.view.lon, map.view.lat);
                    map.draft = Some(Draft {
                        anchor: centre,
                        corner: centre,
                        is_keyed: true,
                    });
                    model.say(
                        "drawing a bbox from the centre: the arrows move its corner, v ends, B uses it",
                        false,
                    );
                }
            }
            vec![]
        }
        Command::UseBbox => use_bbox(model),
        Command::PrevBin | Command::NextBin => {
            let n = bin_count(model);
            let map = &mut model.map;
            map.bin = if c == Command::NextBin {
                (map.bin + 1).min(n.saturating_sub(1))
            } else {
                map.bin.saturating_sub(1)
            };
            vec![]
        }
        Command::FilterBin => {
            let n = bin_count(model);
            let Some(b) = bins(&model.map, n) else {
                model.say("no item has a time to filter by", true);
                return vec![];
            };
            let i = model.map.bin.min(n.saturating_sub(1));
            let (s, e) = b.window(i);
            let count = b.counts[i];
            let label = items::time_window_label(s, e);
            model.say(
                format!("items table filtered to {label} ({count} items); x clears"),
                false,
            );
            items::update::set_time_window(model, Some((s, e)))
        }
        Command::ClearTimeFilter => {
            if model.items.time_window.is_none() {
                model.is_dirty = false;
                return vec![];
            }
            model.say("time filter cleared", false);
            items::update::set_time_window(model, None)
        }
        _ => {
            model.is_dirty = false;
            vec![]
        }
    }
}

/// Up / down (and page keys): pan, or move the bbox corner while drawing.
pub fn move_by(model: &mut Model, delta: isize) {
    let dy = if delta.unsigned_abs() > 1 { 4.0 } else { 1.0 };
    step(model, 0.0, -(delta.signum() as f64) * dy);
}

/// One step of the pan keys: the view moves, or the drawn bbox's corner.
fn step(model: &mut Model, dx: f64, dy: f64) {
    let canvas = canvas(model);
    let map = &mut model.map;
    if let Some(d) = map.draft.as_mut().filter(|d| d.is_keyed) {
        let lat_span = map.view.lat_span(canvas);
        d.corner.0 = (d.corner.0 + dx * PAN_STEP / 2.0 * map.view.span).clamp(-180.0, 180.0);
        d.corner.1 = (d.corner.1 + dy * PAN_STEP / 2.0 * lat_span).clamp(-90.0, 90.0);
        return;
    }
    map.view.pan(dx * PAN_STEP, dy * PAN_STEP, canvas);
    map.has_moved = true;
}

/// Esc drops a bbox being drawn (`None`: nothing to cancel here).
pub fn cancel(model: &mut Model) -> Option<Vec<Effect>> {
    model.map.draft.take()?;
    model.map.press = None;
    model.say("bbox dropped", false);
    Some(vec![])
}

/// `B`: the drawn bbox (else the view) goes into the search form's bbox field, and the search
/// pane takes the focus there: enter runs the search.
pub fn use_bbox(model: &mut Model) -> Vec<Effect> {
    let bbox = match model.map.draft {
        Some(d) if d.bbox()[0] < d.bbox()[2] && d.bbox()[1] < d.bbox()[3] => d.bbox(),
        Some(_) => {
            model.say(
                "the drawn bbox has no area yet: move its corner first",
                true,
            );
            return vec![];
        }
        None => {
            let b = model.map.view.bounds(canvas(model));
            [
                b[0].max(-180.0),
                b[1].max(-90.0),
                b[2].min(180.0),
                b[3].min(90.0),
            ]
        }
    };
    let text = bbox_text(bbox);
    model.search.form.set_field(BBOX_FIELD, text.clone());
    model.search.cursor = BBOX_FIELD;
    model.map.draft = None;
    model.focus = PaneId::Search;
    model.say(
        format!("bbox {text} is in the search form: enter runs the search"),
        false,
    );
    vec![]
}

/// A bbox as the search form writes it: 6 decimals (about 0.1 m), trailing zeros dropped.
pub fn bbox_text(b: [f64; 4]) -> String {
    b.iter()
        .map(|v| {
            let t = format!("{v:.6}");
            let t = t.trim_end_matches('0').trim_end_matches('.');
            if t == "-0" {
                "0".to_string()
            } else {
                t.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// The mouse over the map: the wheel zooms at the pointer, a drag draws a bbox, a click
/// selects the item under the pointer (the smallest footprint holding it).
pub fn mouse(model: &mut Model, e: MouseEvent) -> Vec<Effect> {
    let a = pane_areas(model);
    let inside = |r: Rect| {
        e.column >= r.x && e.column < r.x + r.width && e.row >= r.y && e.row < r.y + r.height
    };
    if inside(a.histogram) && matches!(e.kind, MouseEventKind::Down(MouseButton::Left)) {
        model.map.bin = usize::from(e.column - a.histogram.x);
        return command(model, Command::FilterBin);
    }
    if !inside(a.canvas) {
        model.is_dirty = false;
        return vec![];
    }
    let at = model.map.view.at(a.canvas, e.column, e.row);
    let map = &mut model.map;
    match e.kind {
        MouseEventKind::ScrollUp | MouseEventKind::ScrollDown => {
            let factor = if e.kind == MouseEventKind::ScrollUp {
                0.5
            } else {
                2.0
            };
            map.view.zoom_at(factor, at);
            map.has_moved = true;
        }
        MouseEventKind::Down(MouseButton::Left) => map.press = Some((e.column, e.row)),
        MouseEventKind::Drag(MouseButton::Left) => {
            if let Some((x, y)) = map.press {
                let anchor = map.view.at(a.canvas, x, y);
                map.draft = Some(Draft {
                    anchor,
                    corner: at,
                    is_keyed: false,
                });
            }
        }
        MouseEventKind::Up(MouseButton::Left) => {
            let press = map.press.take();
            if press == Some((e.column, e.row)) {
                select_at(model, at);
            } else if map.draft.is_some() {
                model.say(
                    "bbox drawn: B puts it in the search form, esc drops it",
                    false,
                );
            }
        }
        _ => model.is_dirty = false,
    }
    vec![]
}

/// Puts the items cursor on the shown item with the smallest footprint holding `at`.
fn select_at(model: &mut Model, at: (f64, f64)) {
    let dot = model.map.view.dot(canvas(model));
    let best = model
        .items
        .rows
        .iter()
        .enumerate()
        .filter_map(|(i, r)| {
            let b = model.map.item(r.batch, r.row)?.bbox?;
            // A dot's slack, so a point-like footprint can be hit.
            let hit = at.0 >= b[0] - dot
                && at.0 <= b[2] + dot
                && at.1 >= b[1] - dot * 2.0
                && at.1 <= b[3] + dot * 2.0;
            hit.then_some((i, (b[2] - b[0]) * (b[3] - b[1])))
        })
        .min_by(|a, b| a.1.total_cmp(&b.1));
    match best {
        Some((i, _)) => {
            let page = model.page_rows();
            model.items.move_to(i, page);
        }
        None => model.is_dirty = false,
    }
}

/// Keeps the cursor's item on screen (re-centred when it left the view).
fn follow_cursor(model: &mut Model) {
    let canvas = canvas(model);
    let Some(b) = current_bbox(model) else {
        return;
    };
    let v = model.map.view.bounds(canvas);
    let inside = b[0] >= v[0] && b[2] <= v[2] && b[1] >= v[1] && b[3] <= v[3];
    if !inside {
        let map = &mut model.map;
        map.view.lon = (b[0] + b[2]) / 2.0;
        map.view.lat = (b[1] + b[3]) / 2.0;
        map.has_moved = true;
    }
}

/// The bbox of the item under the items cursor.
fn current_bbox(model: &Model) -> Option<[f64; 4]> {
    let r = model.items.current()?;
    model.map.item(r.batch, r.row)?.bbox
}

/// The extent of what `f` fits: the marked items, else the shown ones; and its name.
fn selection_extent(model: &Model) -> (Option<[f64; 4]>, String) {
    let items = &model.items;
    let mut extent: Option<[f64; 4]> = None;
    let mut add = |b: [f64; 4]| {
        let e = extent.get_or_insert(b);
        *e = [
            e[0].min(b[0]),
            e[1].min(b[1]),
            e[2].max(b[2]),
            e[3].max(b[3]),
        ];
    };
    let what = if items.marked.is_empty() {
        for r in items.rows.iter() {
            if let Some(b) = model.map.item(r.batch, r.row).and_then(|i| i.bbox) {
                add(b);
            }
        }
        format!("the {} shown items", items.rows.len())
    } else {
        for i in model.map.items.iter().flatten() {
            if let Some(b) = i.bbox.filter(|_| items.marked.contains(&*i.id)) {
                add(b);
            }
        }
        format!("the {} marked items", items.marked.len())
    };
    (extent, what)
}

/// `y` copies the drawn bbox (else the view's) as the search form writes it; `Y` the
/// selected item's STAC JSON.
pub fn copy_text(model: &Model, json: bool) -> Option<String> {
    if json {
        return items::update::copy_text(model, true);
    }
    let b = match model.map.draft {
        Some(d) => d.bbox(),
        None => model.map.view.bounds(canvas(model)),
    };
    Some(bbox_text([
        b[0].max(-180.0),
        b[1].max(-90.0),
        b[2].min(180.0),
        b[3].min(90.0),
    ]))
}
