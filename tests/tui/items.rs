//! The items pane: streaming loads, stale generations, cursor and marks across sorts, the
//! filter, the JSON popup, and snapshots of every state.

use crossterm::event::KeyCode;
use rstest::rstest;
use stacpkg::tui::command::PaneId;
use stacpkg::tui::model::{Model, Popup};
use stacpkg::tui::msg::{Effect, Msg};
use stacpkg::tui::panes::items::columns::ASSET_KEYS;
use stacpkg::tui::panes::items::layout::SavedColumn;
use stacpkg::tui::panes::items::{ItemsEffect, ItemsMsg, Phase};
use stacpkg::tui::panes::lock::LockEffect;
use stacpkg::tui::panes::search::SearchEffect;
use stacpkg::tui::update::update;

use super::kit::*;

#[test]
fn a_load_streams_rows_and_stale_generations_are_dropped() {
    let mut m = model(80, 24);
    let g1 = start_load(&mut m);
    assert_eq!(m.focus, PaneId::Items);
    assert_eq!(m.items.phase, Phase::Loading);
    let batches = demo_batches(30, 10);
    feed(&mut m, g1, &batches[..2]);
    assert_eq!(m.items.phase, Phase::Streaming);
    assert_eq!(m.items.rows.len(), 20);
    // A new search supersedes the old one: its late pages are ignored.
    let g2 = start_load(&mut m);
    assert!(g2 > g1);
    feed(&mut m, g1, &batches[2..]);
    assert_eq!(m.items.rows.len(), 0);
    feed(&mut m, g2, &batches);
    update(
        &mut m,
        Msg::Items(ItemsMsg::Done {
            generation: g2,
            elapsed_secs: 1.0,
        }),
    );
    assert_eq!(m.items.phase, Phase::Done);
    assert_eq!(m.items.total_rows, 30);
}

#[test]
fn a_sort_shows_the_new_order_from_its_top_and_streaming_keeps_the_cursor_item() {
    let mut m = model(80, 24);
    let g = start_load(&mut m);
    let batches = demo_batches(30, 10);
    feed(&mut m, g, &batches[..1]);
    update(&mut m, key('j'));
    update(&mut m, key('j'));
    let id = m.items.cursor_id.clone().unwrap();
    update(&mut m, key(' '));
    assert!(m.items.marked.contains(&id));
    // Sort by a visible column: move to `gsd`.
    let gsd = m
        .items
        .visible_columns()
        .iter()
        .position(|c| *c == "gsd")
        .unwrap();
    for _ in 0..gsd {
        update(&mut m, key('l'));
    }
    update(&mut m, key('k'));
    let effects = update(&mut m, key('s'));
    assert!(m.items.is_view_pending);
    compute(&mut m, &effects[0]);
    // The new order is shown from its top, cursor on its first row.
    assert_eq!((m.items.cursor, m.items.offset), (0, 0));
    let first = m.items.id_of(m.items.rows[0]).unwrap();
    assert_eq!(m.items.cursor_id.as_deref(), Some(first.as_str()));
    update(&mut m, key('j'));
    update(&mut m, key('j'));
    let anchored = m.items.cursor_id.clone().unwrap();
    // More rows stream in while sorted: a new view is requested, the cursor stays put.
    let effects = feed(&mut m, g, &batches[1..2]);
    assert_eq!(effects.len(), 1);
    compute(&mut m, &effects[0]);
    assert_eq!(m.items.rows.len(), 20);
    assert_eq!(m.items.id_of(m.items.current().unwrap()).unwrap(), anchored);
    assert!(m.items.marked.contains(&id));
}

#[test]
fn filter_input_help_and_quit_confirmation() {
    let mut m = model(80, 24);
    let g = start_load(&mut m);
    feed(&mut m, g, &demo_batches(30, 10));
    update(&mut m, key('/'));
    assert!(m.input.is_some());
    for c in "uav".chars() {
        update(&mut m, key(c));
    }
    // Typed letters go to the input, not the keymap (`a` would mark all).
    assert!(m.items.marked.is_empty());
    let effects = update(&mut m, code(KeyCode::Enter));
    assert_eq!(m.items.filter, "uav");
    assert!(matches!(
        effects[0],
        Effect::Items(ItemsEffect::ComputeView { .. })
    ));
    update(&mut m, key('?'));
    assert_eq!(m.popup, Some(Popup::help()));
    update(&mut m, code(KeyCode::Esc));
    assert_eq!(m.popup, None);
    // Still streaming: q asks; n keeps going; q then y quits.
    assert!(update(&mut m, key('q')).is_empty());
    assert_eq!(m.popup, Some(Popup::ConfirmQuit));
    assert!(update(&mut m, key('n')).is_empty());
    update(&mut m, key('q'));
    let effects = update(&mut m, key('y'));
    assert!(matches!(effects.last(), Some(Effect::Quit)));
}

#[test]
fn enter_opens_the_items_json_and_esc_cancels_a_running_load() {
    let mut m = model(80, 24);
    let g = start_load(&mut m);
    feed(&mut m, g, &demo_batches(10, 10));
    update(&mut m, code(KeyCode::Enter));
    let Some(Popup::Json { title, lines, .. }) = &m.popup else {
        panic!("expected the JSON popup, got {:?}", m.popup)
    };
    let json: serde_json::Value = serde_json::from_str(&lines.join("\n")).unwrap();
    assert_eq!(&json["id"], title.as_str());
    assert_eq!(json["type"], "Feature");
    assert!(json["geometry"]["coordinates"].is_array());
    update(&mut m, code(KeyCode::Esc));
    let effects = update(&mut m, code(KeyCode::Esc));
    assert!(matches!(
        effects[0],
        Effect::Search(SearchEffect::CancelLoad)
    ));
    assert_eq!(m.items.phase, Phase::Done);
    // Late batches of the cancelled load are dropped.
    feed(&mut m, g, &demo_batches(10, 10));
    assert_eq!(m.items.total_rows, 10);
}

/// The visible columns after the id.
fn shown(m: &Model) -> Vec<String> {
    m.items
        .visible_columns()
        .into_iter()
        .map(String::from)
        .collect()
}

/// A finished load of `batches` from `source`.
fn loaded(m: &mut Model, source: &str, batches: &[arrow::array::RecordBatch]) {
    m.search.form.source = source.into();
    let effects = update(m, Msg::Command(stacpkg::tui::command::Command::RunSearch));
    let g = match &effects[0] {
        Effect::Search(SearchEffect::LoadLocal { generation, .. }) => *generation,
        e => panic!("expected LoadLocal, got {e:?}"),
    };
    feed(m, g, batches);
    update(
        m,
        Msg::Items(ItemsMsg::Done {
            generation: g,
            elapsed_secs: 0.25,
        }),
    );
}

#[test]
fn default_columns_are_the_ones_an_operator_reads_first() {
    // The demo: one collection (hidden), datetime null in half the rows (start_datetime
    // stands in, in the datetime column).
    let mut m = model(120, 40);
    loaded(&mut m, "demo.ndjson", &demo_batches(60, 20));
    assert_eq!(
        shown(&m),
        ["title", "datetime", ASSET_KEYS, "gsd", "platform"]
    );
    let frame = render(&m);
    assert!(frame.contains("metadata,thumbnail,v…"), "{frame}");
    assert!(
        frame.contains("2019-10-06T05:34:59Z"),
        "start_datetime fallback\n{frame}"
    );
    // The rest are hidden but in the chooser, after the defaults.
    let names: Vec<&str> = m.items.columns.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(
        &names[..7],
        [
            "title",
            "datetime",
            "start_datetime",
            "collection",
            ASSET_KEYS,
            "gsd",
            "platform"
        ]
    );
    assert!(names.contains(&"created") && names.contains(&"assets"));
    // Two collections in the sample: collection is shown.
    let mut mixed = demo_batches(10, 10);
    mixed.extend(sentinel_batches(10, 10));
    let mut m = model(120, 40);
    loaded(&mut m, "mixed.ndjson", &mixed);
    assert!(
        shown(&m).contains(&"collection".to_string()),
        "{:?}",
        shown(&m)
    );
    // Datetime null in the whole sample: start_datetime is shown instead.
    let text = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/demo/items.ndjson"),
    )
    .unwrap();
    let nulls: Vec<&str> = text
        .lines()
        .filter(|l| l.contains(r#""datetime":null"#))
        .take(5)
        .collect();
    assert_eq!(nulls.len(), 5);
    let options = stacpkg::stac::read::ReadOptions::default();
    let batches: Vec<_> = stacpkg::stac::read::NdjsonItems::scan(
        std::io::Cursor::new(nulls.join("\n")),
        "nulls",
        options,
    )
    .unwrap()
    .collect::<Result<_, _>>()
    .unwrap();
    let mut m = model(120, 40);
    loaded(&mut m, "nulls.ndjson", &batches);
    assert_eq!(
        shown(&m),
        ["title", "start_datetime", ASSET_KEYS, "gsd", "platform"]
    );
}

#[test]
fn column_widths_come_from_the_sample_not_from_the_rows_on_screen() {
    let mut m = model(120, 40);
    loaded(&mut m, "demo.ndjson", &demo_batches(240, 60));
    let header = |m: &Model| render(m).lines().nth(2).unwrap().to_string();
    let first = header(&m);
    for _ in 0..6 {
        update(&mut m, code(KeyCode::PageDown));
        assert_eq!(header(&m), first);
    }
    // A long id is drawn whole when there is room, clipped with … when there is not.
    let mut m = model(120, 40);
    loaded(&mut m, "s2.ndjson", &sentinel_batches(40, 10));
    let id = m.items.cursor_id.clone().unwrap();
    assert_eq!(id.chars().count(), 60);
    assert!(render(&m).contains(&id));
    m.size = (70, 20);
    let frame = render(&m);
    assert!(!frame.contains(&id));
    assert!(
        frame.contains(&format!("{}…", &id[..(70 - 2 - 21 - 1)])),
        "{frame}"
    );
}

#[test]
fn the_chooser_reorders_columns_and_the_layout_is_remembered_per_source_kind() {
    let mut m = model(120, 40);
    loaded(&mut m, "demo.ndjson", &demo_batches(60, 20));
    update(&mut m, key('c'));
    // `gsd` is the 6th column in the chooser: move it to the top, hide `title`.
    for _ in 0..5 {
        update(&mut m, key('j'));
    }
    assert_eq!(m.popup, Some(Popup::Columns { cursor: 5 }));
    assert_eq!(m.items.columns[5].name, "gsd");
    let mut saved = None;
    for _ in 0..6 {
        for e in update(&mut m, key('K')) {
            if let Effect::Items(ItemsEffect::SaveLayouts { layouts, .. }) = e {
                saved = Some(layouts);
            }
        }
    }
    assert_eq!(m.popup, Some(Popup::Columns { cursor: 0 }));
    assert_eq!(m.items.columns[0].name, "gsd");
    update(&mut m, key('J'));
    assert_eq!(m.popup, Some(Popup::Columns { cursor: 1 }));
    update(&mut m, key('k'));
    let effects = update(&mut m, key(' '));
    assert_eq!(shown(&m), ["gsd", "datetime", ASSET_KEYS, "platform"]);
    let Some(Effect::Items(ItemsEffect::SaveLayouts { layouts, state_dir })) =
        effects.into_iter().next()
    else {
        panic!("a toggle saves the layout");
    };
    assert!(state_dir.is_none(), "no state dir in tests");
    assert_ne!(saved, Some(layouts.clone()));
    let ndjson = &layouts["ndjson"];
    assert_eq!(
        ndjson[..2],
        [
            SavedColumn {
                name: "title".into(),
                visible: false
            },
            SavedColumn {
                name: "gsd".into(),
                visible: true
            }
        ]
    );
    // Next start: the saved layouts are loaded; a file of the same kind gets the layout…
    let mut m = model(120, 40);
    m.items.layouts = layouts.clone();
    loaded(&mut m, "other.NDJSON", &demo_batches(20, 20));
    assert_eq!(shown(&m), ["gsd", "datetime", ASSET_KEYS, "platform"]);
    // … another kind keeps the defaults.
    loaded(&mut m, "demo.parquet", &demo_batches(20, 20));
    assert_eq!(
        shown(&m),
        ["title", "datetime", ASSET_KEYS, "gsd", "platform"]
    );
    // K / J outside the chooser do nothing.
    assert!(update(&mut m, key('K')).is_empty());
    assert_eq!(m.items.columns[0].name, "title");
}

#[test]
fn a_long_id_is_clipped_with_an_ellipsis_in_a_narrow_terminal() {
    let mut m = model(64, 14);
    loaded(&mut m, "s2.ndjson", &sentinel_batches(40, 10));
    insta::assert_snapshot!("long_id_64x14", render(&m));
}

/// A model of the items pane in a given state.
fn items_in(state: &str, w: u16, h: u16) -> Model {
    let mut m = model(w, h);
    if state == "empty" {
        m.focus = PaneId::Items;
        return m;
    }
    if state == "sentinel" {
        loaded(&mut m, "s2.ndjson", &sentinel_batches(60, 20));
        return m;
    }
    let g = start_load(&mut m);
    let batches = demo_batches(60, 20);
    match state {
        "loading" => {}
        "streaming" => {
            feed(&mut m, g, &batches[..1]);
        }
        "done" | "filtered" | "sorted" | "json" | "columns" | "reordered" => {
            feed(&mut m, g, &batches);
            update(
                &mut m,
                Msg::Items(ItemsMsg::Done {
                    generation: g,
                    elapsed_secs: 0.25,
                }),
            );
        }
        "error" => {
            update(
                &mut m,
                Msg::Items(ItemsMsg::Failed {
                    generation: g,
                    error: "demo.ndjson: line 3: expected value at column 1".into(),
                }),
            );
        }
        other => panic!("unknown state {other}"),
    }
    match state {
        "filtered" => {
            update(&mut m, key('/'));
            // Matches the platform column (the filter looks in the shown columns).
            for c in "matrice".chars() {
                update(&mut m, key(c));
            }
            let effects = update(&mut m, code(KeyCode::Enter));
            compute(&mut m, &effects[0]);
        }
        "sorted" => {
            update(&mut m, key('l'));
            let effects = update(&mut m, key('s'));
            compute(&mut m, &effects[0]);
            update(&mut m, key(' '));
        }
        "json" => {
            update(&mut m, code(KeyCode::Enter));
        }
        "columns" => {
            update(&mut m, key('c'));
        }
        "reordered" => {
            // platform to the top, asset keys down one, title hidden.
            update(&mut m, key('c'));
            for _ in 0..6 {
                update(&mut m, key('j'));
            }
            for _ in 0..6 {
                update(&mut m, key('K'));
            }
            for _ in 0..5 {
                update(&mut m, key('j'));
            }
            update(&mut m, key('J'));
            update(&mut m, Msg::Command(stacpkg::tui::command::Command::Top));
            update(&mut m, key('j'));
            update(&mut m, key(' '));
        }
        _ => {}
    }
    m
}

#[rstest]
fn snapshots(
    #[values(
        "empty",
        "loading",
        "streaming",
        "done",
        "error",
        "filtered",
        "sorted",
        "json",
        "columns",
        "reordered",
        "sentinel"
    )]
    state: &str,
    #[values((80, 24), (120, 40))] size: (u16, u16),
) {
    let m = items_in(state, size.0, size.1);
    let name = format!("{state}_{}x{}", size.0, size.1);
    insta::assert_snapshot!(name, render(&m));
}

/// After `G`, a filter matching a few rows shows them all from the top, cursor on the first
/// (the viewport used to stay scrolled down, showing one row).
#[test]
fn a_filter_after_the_end_shows_its_rows_from_the_top() {
    let mut m = model(80, 24);
    let g = start_load(&mut m);
    feed(&mut m, g, &demo_batches(60, 20));
    m.focus = PaneId::Items;
    update(&mut m, key('G'));
    assert!(m.items.offset > 0);
    update(&mut m, key('/'));
    for c in "2019".chars() {
        update(&mut m, key(c));
    }
    let effects = update(&mut m, code(KeyCode::Enter));
    compute(&mut m, &effects[0]);
    let shown = m.items.rows.len();
    assert!(shown > 1 && shown < 60, "{shown}");
    assert_eq!((m.items.cursor, m.items.offset), (0, 0));
    let screen = render(&m);
    assert!(screen.contains(&format!("row 1/{shown}")), "{screen}");
    let body_rows = screen
        .lines()
        .filter(|l| l.contains("T") && l.contains(" 2019-"))
        .count();
    assert_eq!(body_rows, shown.min(m.page_rows() - 1), "{screen}");
}

/// `a` and `d` right after a filter act on the rows the user will see: they wait for the view
/// being computed instead of marking (or deriving from) the unfiltered rows.
#[test]
fn actions_on_the_shown_rows_wait_for_a_pending_view() {
    let mut m = model(80, 24);
    let g = start_load(&mut m);
    feed(&mut m, g, &demo_batches(60, 20));
    m.focus = PaneId::Items;
    update(&mut m, key('/'));
    for c in "2019".chars() {
        update(&mut m, key(c));
    }
    let view = update(&mut m, code(KeyCode::Enter));
    assert!(m.items.is_view_pending);
    assert!(update(&mut m, key('a')).is_empty());
    assert!(m.items.marked.is_empty(), "marked the unfiltered rows");
    compute(&mut m, &view[0]);
    let shown = m.items.rows.len();
    assert_eq!(m.items.marked.len(), shown);
    // Derive with no marks takes the filtered rows, not all items.
    update(&mut m, key('a'));
    assert!(m.items.marked.is_empty());
    let effects = update(&mut m, key('d'));
    let Some(Effect::Lock(LockEffect::Derive { item_ids, .. })) = effects.last() else {
        panic!("expected a derive: {effects:?}")
    };
    assert_eq!(item_ids.len(), shown);
    assert!(m.lock.source.contains("filtered"), "{}", m.lock.source);
}

/// Marks are kept across a new load only for items the new load still has.
#[test]
fn a_new_load_keeps_only_the_marks_of_items_it_still_has() {
    let mut m = model(80, 24);
    let g = start_load(&mut m);
    let batches = demo_batches(40, 20);
    feed(&mut m, g, &batches);
    m.focus = PaneId::Items;
    update(&mut m, key(' '));
    update(&mut m, key('G'));
    update(&mut m, key(' '));
    assert_eq!(m.items.marked.len(), 2);
    let g = start_load(&mut m);
    feed(&mut m, g, &batches[..1]);
    update(
        &mut m,
        Msg::Items(ItemsMsg::Done {
            generation: g,
            elapsed_secs: 0.1,
        }),
    );
    assert_eq!(m.items.marked.len(), 1, "{:?}", m.items.marked);
}
