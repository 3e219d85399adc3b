//! The search pane: API and local searches, field checks, the collections picker, recalled
//! searches, and snapshots of every state.

use crossterm::event::KeyCode;
use rstest::rstest;
use stacpkg::tui::command::{Command, PaneId};
use stacpkg::tui::model::Popup;
use stacpkg::tui::msg::{Effect, Msg};
use stacpkg::tui::panes::items::{ItemsMsg, Phase};
use stacpkg::tui::panes::search::{PickerList, SearchEffect, SearchMsg};
use stacpkg::tui::update::update;

use super::kit::*;

#[test]
fn a_url_source_runs_an_api_search_and_esc_cancels_it() {
    let mut m = model(80, 24);
    let (g, search) = start_api_search(&mut m, "http://127.0.0.1:9/stac");
    assert_eq!(search.source, "http://127.0.0.1:9/stac");
    assert_eq!(
        search.params.bbox.as_deref(),
        Some(&[-20.0, -40.0, 60.0, 40.0][..])
    );
    assert!(search.params.datetime.is_some());
    assert_eq!(
        (search.max_items, search.params.limit),
        (Some(100), Some(100))
    );
    assert_eq!(m.focus, PaneId::Items);
    assert_eq!(m.items.phase, Phase::Loading);
    let batches = demo_batches(30, 10);
    feed(&mut m, g, &batches[..1]);
    update(
        &mut m,
        Msg::Search(SearchMsg::Page {
            generation: g,
            pages: 1,
            matched: Some(57),
        }),
    );
    assert_eq!(m.search.progress.unwrap().1.matched, Some(57));
    // Esc cancels: the task is told, and pages still in flight are dropped.
    let effects = update(&mut m, code(KeyCode::Esc));
    assert!(
        matches!(effects[..], [Effect::Search(SearchEffect::CancelLoad)]),
        "{effects:?}"
    );
    assert_eq!(m.items.phase, Phase::Done);
    feed(&mut m, g, &batches[1..]);
    assert_eq!(m.items.total_rows, 10);
    // Remembered, with its new fields.
    assert_eq!(m.search.history[0].bbox, "-20,-40,60,40");
}

#[test]
fn bad_fields_are_refused_before_running_with_the_field_named() {
    let mut m = model(80, 24);
    m.search.form.source = "https://example.com/stac".into();
    m.search.form.bbox = "1,2,3".into();
    assert!(update(&mut m, Msg::Command(Command::RunSearch)).is_empty());
    let e = m.search.error.clone().unwrap();
    assert!(
        e.starts_with("bbox: ") && e.contains("4 or 6 numbers"),
        "{e}"
    );
    assert_eq!(m.status.as_ref().unwrap().text, e);
    assert!(m.status.as_ref().unwrap().is_error);
    assert_eq!(m.focus, PaneId::Search);
    m.search.form.bbox = String::new();
    m.search.form.datetime = "yesterday".into();
    assert!(update(&mut m, Msg::Command(Command::RunSearch)).is_empty());
    assert!(m.search.error.as_deref().unwrap().starts_with("datetime: "));
    // Editing a field clears the message.
    update(&mut m, key('e'));
    update(&mut m, code(KeyCode::Enter));
    assert!(m.search.error.is_none());
}

#[test]
fn a_failed_search_is_one_line_in_the_status_bar_and_the_pane() {
    let mut m = model(80, 24);
    let (g, _) = start_api_search(&mut m, "http://127.0.0.1:9/");
    let error = "landing page http://127.0.0.1:9/: connection refused".to_string();
    update(
        &mut m,
        Msg::Items(ItemsMsg::Failed {
            generation: g,
            error: error.clone(),
        }),
    );
    assert_eq!(m.items.phase, Phase::Failed(error.clone()));
    assert_eq!(m.status.as_ref().unwrap().text, error);
    update(&mut m, key('1'));
    assert!(render(&m).contains("failed: landing page"));
}

#[test]
fn the_collections_picker_fills_the_collections_field() {
    let mut m = model(80, 24);
    // Only a STAC API has collections to pick.
    m.search.form.source = "a.ndjson".into();
    assert!(update(&mut m, key('c')).is_empty());
    assert!(m.status.as_ref().unwrap().is_error);
    m.search.form.source = "http://127.0.0.1:9/stac".into();
    m.search.form.collections = "sentinel-2".into();
    let effects = update(&mut m, key('c'));
    let Effect::Search(SearchEffect::LoadCollections { generation, source }) = &effects[0] else {
        panic!("expected LoadCollections, got {effects:?}")
    };
    assert_eq!(source, "http://127.0.0.1:9/stac");
    assert_eq!(m.popup, Some(Popup::Collections));
    let list = vec![
        ("landsat".to_string(), Some("Landsat".to_string())),
        ("naip".to_string(), None),
        ("sentinel-2".to_string(), Some("Sentinel-2 L2A".to_string())),
    ];
    // A stale answer is ignored.
    update(
        &mut m,
        Msg::Search(SearchMsg::CollectionsLoaded {
            generation: generation - 1,
            result: Ok(vec![]),
        }),
    );
    assert_eq!(m.search.picker.as_ref().unwrap().list, PickerList::Loading);
    update(
        &mut m,
        Msg::Search(SearchMsg::CollectionsLoaded {
            generation: *generation,
            result: Ok(list),
        }),
    );
    update(&mut m, key(' ')); // landsat
    update(&mut m, key('j')); // sentinel-2 (space moved to naip)
    update(&mut m, key(' ')); // unmark sentinel-2
    let effects = update(&mut m, code(KeyCode::Enter));
    assert!(effects.is_empty(), "{effects:?}");
    assert_eq!(m.popup, None);
    assert_eq!(m.search.form.collections, "landsat");
    assert_eq!(m.focus, PaneId::Search);
    // An endpoint that cannot list them says why.
    let effects = update(&mut m, key('c'));
    let Effect::Search(SearchEffect::LoadCollections { generation, .. }) = &effects[0] else {
        panic!("expected LoadCollections")
    };
    update(
        &mut m,
        Msg::Search(SearchMsg::CollectionsLoaded {
            generation: *generation,
            result: Err("collections http://127.0.0.1:9/stac/collections: HTTP 404".into()),
        }),
    );
    assert!(matches!(
        &m.search.picker.as_ref().unwrap().list,
        PickerList::Failed(e) if e.contains("404")
    ));
    update(&mut m, code(KeyCode::Esc));
    assert_eq!(m.popup, None);
}

#[test]
fn the_recall_key_steps_through_remembered_searches() {
    let mut m = model(80, 24);
    update(&mut m, key('r'));
    assert_eq!(
        m.status.as_ref().unwrap().text,
        "no remembered searches yet"
    );
    for url in ["http://a.example/stac", "http://b.example/stac"] {
        start_api_search(&mut m, url);
    }
    update(&mut m, key('1'));
    m.search.form = Default::default();
    update(&mut m, key('r'));
    assert_eq!(m.search.form.source, "http://b.example/stac");
    assert_eq!(m.search.form.bbox, "-20,-40,60,40");
    update(&mut m, key('r'));
    assert_eq!(m.search.form.source, "http://a.example/stac");
    update(&mut m, key('r'));
    assert_eq!(m.search.form.source, "http://b.example/stac");
}

#[rstest]
fn snapshots(
    #[values(
        "empty",
        "editing",
        "error",
        "history",
        "help",
        "picker",
        "streaming",
        "done",
        "failed"
    )]
    state: &str,
    #[values((80, 24), (120, 40))] size: (u16, u16),
) {
    let mut m = model(size.0, size.1);
    match state {
        "empty" => {}
        "editing" => {
            update(&mut m, key('e'));
            for c in "assets/demo/items.ndjson".chars() {
                update(&mut m, key(c));
            }
        }
        "error" => {
            update(&mut m, Msg::Command(Command::RunSearch));
        }
        "history" => {
            for s in ["a.ndjson", "b.parquet"] {
                m.search.form.source = s.into();
                m.search.form.max_items = "100".into();
                update(&mut m, Msg::Command(Command::RunSearch));
            }
            update(&mut m, key('1'));
            update(&mut m, key('G'));
        }
        "help" => {
            update(&mut m, key('?'));
        }
        "picker" => {
            m.search.form.source = "http://127.0.0.1:8080/stac".into();
            m.search.form.collections = "naip".into();
            let effects = update(&mut m, key('c'));
            let Effect::Search(SearchEffect::LoadCollections { generation, .. }) = &effects[0]
            else {
                panic!("expected LoadCollections")
            };
            let list = vec![
                (
                    "landsat-c2-l2".to_string(),
                    Some("Landsat Collection 2 Level-2".to_string()),
                ),
                (
                    "naip".to_string(),
                    Some("NAIP: National Agriculture Imagery Program".to_string()),
                ),
                ("sentinel-2-l2a".to_string(), None),
            ];
            update(
                &mut m,
                Msg::Search(SearchMsg::CollectionsLoaded {
                    generation: *generation,
                    result: Ok(list),
                }),
            );
            update(&mut m, key('j'));
            update(&mut m, key('j'));
            update(&mut m, key(' '));
        }
        "streaming" | "done" | "failed" => {
            let (g, _) = start_api_search(&mut m, "http://127.0.0.1:8080/stac");
            let batches = demo_batches(40, 20);
            feed(&mut m, g, &batches[..1]);
            update(
                &mut m,
                Msg::Search(SearchMsg::Page {
                    generation: g,
                    pages: 1,
                    matched: Some(57),
                }),
            );
            if state == "done" {
                feed(&mut m, g, &batches[1..]);
                update(
                    &mut m,
                    Msg::Search(SearchMsg::Page {
                        generation: g,
                        pages: 2,
                        matched: Some(57),
                    }),
                );
                update(
                    &mut m,
                    Msg::Items(ItemsMsg::Done {
                        generation: g,
                        elapsed_secs: 0.5,
                    }),
                );
            }
            if state == "failed" {
                update(
                    &mut m,
                    Msg::Items(ItemsMsg::Failed {
                        generation: g,
                        error:
                            "page 2 of POST http://127.0.0.1:8080/stac/search: HTTP 502 Bad Gateway"
                                .into(),
                    }),
                );
            }
            update(&mut m, key('1'));
        }
        other => panic!("unknown state {other}"),
    }
    let name = format!("{state}_{}x{}", size.0, size.1);
    insta::assert_snapshot!(name, render(&m));
}
