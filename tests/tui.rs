//! The console without a terminal: `update` message sequences (no runtime), view snapshots of
//! every pane state at 80×24 and 120×40 (ratatui `TestBackend` + insta), and the app loop
//! driven headless by scripted task events on paused tokio time.

use std::sync::Arc;

use arrow::array::RecordBatch;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::backend::TestBackend;
use ratatui::Terminal;
use rstest::rstest;
use stacpkg::stac::read::{NdjsonItems, ReadOptions};
use stacpkg::tui::app::{run_loop, Effects};
use stacpkg::tui::command::{Command, PaneId};
use stacpkg::tui::keymap::Keymap;
use stacpkg::tui::model::{Model, Popup};
use stacpkg::tui::msg::{Effect, Msg};
use stacpkg::tui::panes::items::{ItemsEffect, ItemsMsg, Phase};
use stacpkg::tui::panes::lock::{LockEffect, LockMsg};
use stacpkg::tui::panes::search::form::ApiSearch;
use stacpkg::tui::panes::search::{PickerList, SearchEffect, SearchMsg};
use stacpkg::tui::panes::validation::{ValidationEffect, ValidationMsg};
use stacpkg::tui::tasks::TaskEnd;
use stacpkg::tui::theme::Theme;
use stacpkg::tui::update::update;
use stacpkg::tui::view;

/// The first `n` items of the demo catalogue, in batches of `batch` rows.
fn demo_batches(n: usize, batch: usize) -> Vec<RecordBatch> {
    let text = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/demo/items.ndjson"),
    )
    .unwrap();
    let lines: String = text.lines().take(n).map(|l| format!("{l}\n")).collect();
    let options = ReadOptions {
        batch_size: batch,
        ..ReadOptions::default()
    };
    NdjsonItems::scan(std::io::Cursor::new(lines), "demo", options)
        .unwrap()
        .collect::<Result<Vec<_>, _>>()
        .unwrap()
}

fn model(w: u16, h: u16) -> Model {
    Model::new(Keymap::default(), Theme::mono(), (w, h))
}

fn key(c: char) -> Msg {
    Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE))
}

fn code(code: KeyCode) -> Msg {
    Msg::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

/// Starts a load from the form and returns its generation.
fn start_load(m: &mut Model) -> u64 {
    m.search.form.source = "demo.ndjson".into();
    let effects = update(m, Msg::Command(Command::RunSearch));
    match &effects[0] {
        Effect::Search(SearchEffect::LoadLocal { generation, .. }) => *generation,
        e => panic!("expected LoadItems, got {e:?}"),
    }
}

fn feed(m: &mut Model, generation: u64, batches: &[RecordBatch]) -> Vec<Effect> {
    let schema = batches[0].schema();
    let mut effects = update(m, Msg::Items(ItemsMsg::Opened { generation, schema }));
    for b in batches {
        effects.extend(update(
            m,
            Msg::Items(ItemsMsg::Batch {
                generation,
                batch: b.clone(),
                elapsed_secs: 0.5,
            }),
        ));
    }
    effects
}

/// Runs a ComputeView effect the way the task layer does, and feeds the answer back.
fn compute(m: &mut Model, effect: &Effect) {
    let Effect::Items(ItemsEffect::ComputeView {
        generation,
        batches,
        spec,
    }) = effect
    else {
        panic!("expected ComputeView, got {effect:?}")
    };
    let token = tokio_util::sync::CancellationToken::new();
    let rows = stacpkg::tui::panes::items::order::compute_view(batches, spec, &token).unwrap();
    update(
        m,
        Msg::Items(ItemsMsg::ViewComputed {
            generation: *generation,
            rows: Arc::new(rows),
        }),
    );
}

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
fn cursor_and_marks_stay_on_their_item_across_sort_and_streaming() {
    let mut m = model(80, 24);
    let g = start_load(&mut m);
    let batches = demo_batches(30, 10);
    feed(&mut m, g, &batches[..1]);
    update(&mut m, key('j'));
    update(&mut m, key('j'));
    let id = m.items.cursor_id.clone().unwrap();
    update(&mut m, key(' '));
    assert!(m.items.marked.contains(&id));
    // Sort by the first visible column (collection, then datetime …): move to `gsd`.
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
    let anchored = m.items.cursor_id.clone().unwrap();
    let effects = update(&mut m, key('s'));
    assert!(m.items.is_view_pending);
    compute(&mut m, &effects[0]);
    assert_eq!(m.items.cursor_id.as_deref(), Some(anchored.as_str()));
    let at = m.items.current().unwrap();
    assert_eq!(m.items.id_of(at).unwrap(), anchored);
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
    assert_eq!(m.popup, Some(Popup::Help { scroll: 0 }));
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

/// Fills the form with a STAC API search and runs it; returns the generation and the search.
fn start_api_search(m: &mut Model, url: &str) -> (u64, ApiSearch) {
    m.search.form.source = url.into();
    m.search.form.bbox = "-20,-40,60,40".into();
    m.search.form.datetime = "2018-01-01/..".into();
    m.search.form.max_items = "100".into();
    let effects = update(m, Msg::Command(Command::RunSearch));
    assert!(
        matches!(effects[1], Effect::Search(SearchEffect::SaveHistory(_))),
        "{effects:?}"
    );
    match &effects[0] {
        Effect::Search(SearchEffect::SearchApi { generation, search }) => {
            (*generation, (**search).clone())
        }
        e => panic!("expected SearchApi, got {e:?}"),
    }
}

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

fn render(m: &Model) -> String {
    let mut terminal = Terminal::new(TestBackend::new(m.size.0, m.size.1)).unwrap();
    terminal
        .draw(|f| {
            view::draw(f, m);
        })
        .unwrap();
    terminal.backend().to_string()
}

/// A model of the items pane in a given state.
fn items_in(state: &str, w: u16, h: u16) -> Model {
    let mut m = model(w, h);
    if state == "empty" {
        m.focus = PaneId::Items;
        return m;
    }
    let g = start_load(&mut m);
    let batches = demo_batches(60, 20);
    match state {
        "loading" => {}
        "streaming" => {
            feed(&mut m, g, &batches[..1]);
        }
        "done" | "filtered" | "sorted" | "json" | "columns" => {
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
            for c in "drone".chars() {
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
        _ => {}
    }
    m
}

#[rstest]
fn items_pane_snapshots(
    #[values(
        "empty",
        "loading",
        "streaming",
        "done",
        "error",
        "filtered",
        "sorted",
        "json",
        "columns"
    )]
    state: &str,
    #[values((80, 24), (120, 40))] size: (u16, u16),
) {
    let m = items_in(state, size.0, size.1);
    let name = format!("items_{state}_{}x{}", size.0, size.1);
    insta::assert_snapshot!(name, render(&m));
}

#[rstest]
fn search_pane_snapshots(
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
    let name = format!("search_{state}_{}x{}", size.0, size.1);
    insta::assert_snapshot!(name, render(&m));
}

/// Runs the real app loop (30 fps cap) into a `size` TestBackend until the script quits it;
/// `each` sees the model after every frame. Returns the frames drawn and the last frame.
async fn run_headless(
    m: &mut Model,
    rx: &mut tokio::sync::mpsc::Receiver<Msg>,
    effects: &mut Effects,
    size: (u16, u16),
    mut each: impl FnMut(&Model),
) -> (usize, String) {
    let mut terminal = Terminal::new(TestBackend::new(size.0, size.1)).unwrap();
    let mut frames = 0;
    let mut last = String::new();
    run_loop(m, rx, effects, 30, |model| {
        frames += 1;
        terminal
            .draw(|f| {
                view::draw(f, model);
            })
            .unwrap();
        last = terminal.backend().to_string();
        each(model);
        Ok(())
    })
    .await
    .unwrap();
    (frames, last)
}

/// The real loop, headless: scripted task events and keys on paused time, frames into a
/// TestBackend; the loop stays idle between events and quits on `q`.
#[tokio::test(start_paused = true)]
async fn headless_app_loop_streams_draws_and_quits() {
    let (tx, mut rx) = tokio::sync::mpsc::channel(16);
    let mut effects = Effects::new(tx.clone(), None);
    let mut m = model(80, 24);
    let generation = start_load(&mut m);
    let batches = demo_batches(40, 10);
    let script = tokio::spawn(async move {
        let schema = batches[0].schema();
        tx.send(Msg::Items(ItemsMsg::Opened { generation, schema }))
            .await
            .unwrap();
        for (i, b) in batches.into_iter().enumerate() {
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            tx.send(Msg::Items(ItemsMsg::Batch {
                generation,
                batch: b,
                elapsed_secs: 0.1 * (i + 1) as f64,
            }))
            .await
            .unwrap();
        }
        tx.send(Msg::Items(ItemsMsg::Done {
            generation,
            elapsed_secs: 0.4,
        }))
        .await
        .unwrap();
        // Idle for a long (virtual) while: no frames are drawn in between.
        tokio::time::sleep(std::time::Duration::from_secs(3600)).await;
        tx.send(key('G')).await.unwrap();
        tx.send(key('q')).await.unwrap();
    });
    let (frames, last) = run_headless(&mut m, &mut rx, &mut effects, (80, 24), |_| ()).await;
    script.await.unwrap();
    effects.tasks.shutdown().await;
    assert_eq!(m.items.total_rows, 40);
    assert_eq!(m.items.cursor, 39);
    assert!(last.contains("40 items"), "{last}");
    // One frame per burst at most, never a busy loop: a handful of frames, not thousands.
    assert!(frames <= 10, "{frames} frames");
}

/// The real loop on paused time: an API search streams, a second search (a local file,
/// typed in the form) starts mid-stream, and the first search's late pages are discarded.
#[tokio::test(start_paused = true)]
async fn headless_second_search_discards_the_first_ones_late_pages() {
    let (tx, mut rx) = tokio::sync::mpsc::channel(16);
    let mut effects = Effects::new(tx.clone(), None);
    let mut m = model(100, 30);
    // The first search's task is scripted below (its effect is not run).
    let (g1, _) = start_api_search(&mut m, "http://127.0.0.1:9/stac");
    let first = demo_batches(30, 10);
    let local = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/demo/items.ndjson");
    let (done_tx, mut done_rx) = tokio::sync::watch::channel(false);
    let script = tokio::spawn(async move {
        let schema = first[0].schema();
        tx.send(Msg::Items(ItemsMsg::Opened {
            generation: g1,
            schema,
        }))
        .await
        .unwrap();
        tx.send(Msg::Items(ItemsMsg::Batch {
            generation: g1,
            batch: first[0].clone(),
            elapsed_secs: 0.1,
        }))
        .await
        .unwrap();
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        // The operator types a new source and runs it: focus search, edit the source field.
        tx.send(key('1')).await.unwrap();
        tx.send(key('e')).await.unwrap();
        for _ in 0.."http://127.0.0.1:9/stac".len() {
            tx.send(code(KeyCode::Backspace)).await.unwrap();
        }
        for c in local.display().to_string().chars() {
            tx.send(key(c)).await.unwrap();
        }
        tx.send(code(KeyCode::Enter)).await.unwrap();
        // Clear bbox, datetime and max items so the whole file loads.
        tx.send(key('j')).await.unwrap();
        for text in ["-20,-40,60,40", "2018-01-01/..", "100"] {
            tx.send(key('j')).await.unwrap();
            tx.send(key('e')).await.unwrap();
            for _ in 0..text.len() {
                tx.send(code(KeyCode::Backspace)).await.unwrap();
            }
            tx.send(code(KeyCode::Enter)).await.unwrap();
        }
        tx.send(code(KeyCode::Enter)).await.unwrap();
        // The first search's pages arrive late.
        for b in &first[1..] {
            tx.send(Msg::Items(ItemsMsg::Batch {
                generation: g1,
                batch: b.clone(),
                elapsed_secs: 0.3,
            }))
            .await
            .unwrap();
        }
        tx.send(Msg::Items(ItemsMsg::Done {
            generation: g1,
            elapsed_secs: 0.4,
        }))
        .await
        .unwrap();
        while !*done_rx.borrow_and_update() {
            done_rx.changed().await.unwrap();
        }
        tx.send(key('q')).await.unwrap();
    });
    let (_, last) = run_headless(&mut m, &mut rx, &mut effects, (100, 30), |model| {
        if model.items.generation != g1 && model.items.phase == Phase::Done {
            let _ = done_tx.send(true);
        }
    })
    .await;
    script.await.unwrap();
    effects.tasks.shutdown().await;
    assert!(m.items.generation > g1);
    assert!(
        m.items.source.ends_with("items.ndjson"),
        "{}",
        m.items.source
    );
    assert_eq!(m.items.total_rows, 240, "{last}");
    assert!(last.contains("240 items"), "{last}");
}

// ---- The asset-lock and validation panes ----------------------------------------------------

use stacpkg::lock::validate::Validation;
use stacpkg::lock::LockRow;
use stacpkg::store::probe::Facts;
use stacpkg::tui::msg::{WriteContent, WriteRequest};
use stacpkg::tui::panes::lock::{LockEntry, LockPhase};
use stacpkg::tui::panes::validation::{GroupBy, RunPhase, ValidationEntry};

const HOST: &str = "http://127.0.0.1:8080";

/// Lock rows of `n` demo-like assets (two per item, alternating collections).
fn lock_rows(n: usize) -> Vec<LockRow> {
    (0..n)
        .map(|i| LockRow {
            item_id: format!("item-{:03}", i / 2),
            asset_key: if i % 2 == 0 { "thumbnail" } else { "visual" }.into(),
            store_type: Some("http".into()),
            store_container: Some(HOST.into()),
            key: Some(format!("scenes/{:03}/{}.tif", i / 2, i % 2)),
            size_bytes: Some(1000 + i as i64),
            etag: Some(format!("\"e{i}\"")),
            last_modified: Some("2026-01-15T09:00:00+00:00".into()),
            ..Default::default()
        })
        .collect()
}

/// The validation result of row `i`: rows 3, 7, 11 drift (size+etag, etag, missing), row 9
/// is unreachable, the rest are valid.
fn result_for(i: usize, row: &LockRow) -> ValidationEntry {
    let (errors, facts): (Vec<String>, Option<Facts>) = match i {
        3 => (
            vec![
                format!(
                    "size mismatch: expected {}, actual 2000",
                    row.size_bytes.unwrap()
                ),
                format!("etag mismatch: expected \"e{i}\", actual \"new\""),
            ],
            Some(Facts {
                size_bytes: 2000,
                etag: Some("\"new\"".into()),
                last_modified: row.last_modified.clone(),
            }),
        ),
        7 => (
            vec![format!(
                "etag mismatch: expected \"e{i}\", actual \"same-size\""
            )],
            Some(Facts {
                size_bytes: row.size_bytes.unwrap(),
                etag: Some("\"same-size\"".into()),
                last_modified: row.last_modified.clone(),
            }),
        ),
        11 => (
            vec![format!("{}: object not found", row.href().unwrap())],
            None,
        ),
        9 => (
            vec![format!("{}: connection refused", row.href().unwrap())],
            None,
        ),
        _ => (
            vec![],
            Some(Facts {
                size_bytes: row.size_bytes.unwrap(),
                etag: row.etag.clone(),
                last_modified: row.last_modified.clone(),
            }),
        ),
    };
    let result = Validation {
        item_id: row.item_id.clone(),
        asset_key: row.asset_key.clone(),
        store_type: row.store_type.clone(),
        store_container: row.store_container.clone(),
        key: row.key.clone(),
        store_endpoint_url: None,
        valid: errors.is_empty(),
        errors,
    };
    ValidationEntry::new(i, result, facts)
}

/// Opens a lock of `n` rows from `path` and feeds its rows; returns the generation.
fn open_lock(m: &mut Model, n: usize) -> u64 {
    let effects = stacpkg::tui::panes::lock::update::open_lock(
        m,
        "locks/assets.lock.parquet".into(),
        ".".into(),
    );
    let Some(Effect::Lock(LockEffect::Open { generation, .. })) = effects.last().cloned() else {
        panic!("expected OpenLock, got {effects:?}")
    };
    m.focus = PaneId::Lock;
    update(
        m,
        Msg::Lock(LockMsg::Started {
            generation,
            total: n,
        }),
    );
    let rows = lock_rows(n)
        .into_iter()
        .map(|row| LockEntry { row, error: None })
        .collect();
    update(
        m,
        Msg::Lock(LockMsg::Rows {
            generation,
            rows,
            elapsed_secs: 0.1,
        }),
    );
    update(
        m,
        Msg::Lock(LockMsg::Done {
            generation,
            elapsed_secs: 0.1,
        }),
    );
    generation
}

/// Presses `v` and returns the validate effect's generation and rows.
fn start_validation(m: &mut Model) -> (u64, Vec<(usize, LockRow)>) {
    let effects = update(m, key('v'));
    match effects.into_iter().next() {
        Some(Effect::Validation(ValidationEffect::Validate {
            generation, rows, ..
        })) => (generation, rows),
        other => panic!("expected Validate, got {other:?}"),
    }
}

fn feed_results(m: &mut Model, generation: u64, rows: &[(usize, LockRow)]) {
    let entries = rows.iter().map(|(i, r)| result_for(*i, r)).collect();
    update(
        m,
        Msg::Validation(ValidationMsg::Rows {
            generation,
            rows: entries,
            elapsed_secs: 0.5,
        }),
    );
}

#[test]
fn derive_takes_the_marked_items_streams_rows_and_esc_cancels() {
    let mut m = model(80, 24);
    let g = start_load(&mut m);
    let batches = demo_batches(10, 10);
    feed(&mut m, g, &batches);
    update(
        &mut m,
        Msg::Items(ItemsMsg::Done {
            generation: g,
            elapsed_secs: 0.1,
        }),
    );
    update(&mut m, key(' '));
    update(&mut m, key(' '));
    let effects = update(&mut m, key('d'));
    let Some(Effect::Lock(LockEffect::Derive {
        generation,
        item_ids,
        ..
    })) = effects.first().cloned()
    else {
        panic!("expected DeriveLock, got {effects:?}")
    };
    assert_eq!(item_ids.len(), 2);
    assert_eq!(m.focus, PaneId::Lock);
    assert!(m.is_busy());
    update(
        &mut m,
        Msg::Lock(LockMsg::Started {
            generation,
            total: 4,
        }),
    );
    let mut rows: Vec<LockEntry> = lock_rows(2)
        .into_iter()
        .map(|row| LockEntry { row, error: None })
        .collect();
    rows[1].error = Some("http://h/x: connection refused".into());
    update(
        &mut m,
        Msg::Lock(LockMsg::Rows {
            generation,
            rows: rows.clone(),
            elapsed_secs: 1.0,
        }),
    );
    assert_eq!((m.lock.entries.len(), m.lock.failed), (2, 1));
    assert_eq!(m.lock.rate_and_eta(), Some((2.0, 1.0)));
    // Esc cancels and keeps the rows so far; late rows of the cancelled run are dropped.
    let effects = update(&mut m, code(KeyCode::Esc));
    assert!(matches!(effects[..], [Effect::Lock(LockEffect::Cancel)]));
    assert_eq!(m.lock.phase, LockPhase::Cancelled);
    update(
        &mut m,
        Msg::Lock(LockMsg::Rows {
            generation,
            rows,
            elapsed_secs: 2.0,
        }),
    );
    assert_eq!(m.lock.entries.len(), 2);
    assert!(!m.is_busy());
    // `w` prompts for a path and writes the lock.
    update(&mut m, key('w'));
    update(&mut m, code(KeyCode::Enter));
    let effects = update(&mut m, Msg::Command(Command::WriteLock));
    assert!(effects.is_empty());
    let input = m.input.clone().unwrap();
    assert_eq!(input.text, "assets.lock.parquet");
}

#[test]
fn validation_streams_counts_filters_groups_and_drops_stale_runs() {
    let mut m = model(120, 40);
    open_lock(&mut m, 12);
    let (g1, rows) = start_validation(&mut m);
    assert_eq!(rows.len(), 12);
    assert_eq!(m.focus, PaneId::Validation);
    feed_results(&mut m, g1, &rows[..6]);
    assert_eq!(m.validation.run_done, 6);
    assert!(m.is_busy());
    // q while validating asks first.
    update(&mut m, key('q'));
    assert_eq!(m.popup, Some(Popup::ConfirmQuit));
    update(&mut m, key('n'));
    feed_results(&mut m, g1, &rows[6..]);
    update(
        &mut m,
        Msg::Validation(ValidationMsg::Done {
            generation: g1,
            elapsed_secs: 1.0,
        }),
    );
    let c = m.validation.counters();
    assert_eq!((c.valid, c.drifted, c.unreachable), (8, 3, 1));
    // Problems only, then grouped by drift kind.
    update(&mut m, key('p'));
    assert_eq!(m.validation.shown.len(), 4);
    update(&mut m, key('b'));
    assert_eq!(m.validation.group, GroupBy::Kind);
    let groups: Vec<String> = m
        .validation
        .shown
        .iter()
        .filter_map(|s| match s {
            stacpkg::tui::panes::validation::Shown::Group(name, _) => Some(name.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(groups, ["etag", "missing", "size, etag", "unreachable"]);
    update(&mut m, key('b'));
    update(&mut m, key('b'));
    assert_eq!(m.validation.group, GroupBy::Collection);
    update(&mut m, key('b'));
    // Mark two results and re-validate only them: the old run's late rows are dropped.
    update(&mut m, key(' '));
    update(&mut m, key(' '));
    let effects = update(&mut m, key('r'));
    let Some(Effect::Validation(ValidationEffect::Validate {
        generation: g2,
        rows: again,
        ..
    })) = effects.into_iter().next()
    else {
        panic!("expected Validate")
    };
    assert_eq!(again.iter().map(|(i, _)| *i).collect::<Vec<_>>(), [3, 7]);
    assert_eq!(m.validation.entries.len(), 10);
    feed_results(&mut m, g1, &rows);
    assert_eq!(m.validation.entries.len(), 10);
    feed_results(&mut m, g2, &again);
    assert_eq!(m.validation.entries.len(), 12);
    // Esc cancels a run.
    let (g3, _) = start_validation(&mut m);
    assert!(matches!(
        update(&mut m, code(KeyCode::Esc))[..],
        [Effect::Validation(ValidationEffect::Cancel)]
    ));
    assert_eq!(m.validation.phase, RunPhase::Cancelled);
    assert!(g3 > g2);
}

#[test]
fn detail_accept_drift_and_export_write_new_files_with_confirmation() {
    let mut m = model(80, 24);
    open_lock(&mut m, 12);
    let (g, rows) = start_validation(&mut m);
    feed_results(&mut m, g, &rows);
    update(&mut m, key('p'));
    // Enter: expected vs current per field.
    update(&mut m, code(KeyCode::Enter));
    let Some(Popup::Json { title, lines, .. }) = m.popup.clone() else {
        panic!("expected the detail popup")
    };
    assert_eq!(title, "item-001/visual");
    assert!(lines[0].contains("✗ drifted: size, etag"), "{lines:?}");
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("✗ size_bytes") && l.contains("1003") && l.contains("2000")),
        "{lines:?}"
    );
    update(&mut m, code(KeyCode::Esc));
    // Accept the drift of the marked rows into a NEW lock.
    update(&mut m, key(' '));
    update(&mut m, key(' '));
    update(&mut m, key('A'));
    let input = m.input.clone().unwrap();
    assert_eq!(input.text, "locks/assets.lock.accepted.parquet");
    // Never in place.
    m.input.as_mut().unwrap().text = "locks/assets.lock.parquet".into();
    assert!(update(&mut m, code(KeyCode::Enter)).is_empty());
    assert!(m.status.as_ref().unwrap().text.contains("NEW lock"));
    update(&mut m, key('A'));
    let effects = update(&mut m, code(KeyCode::Enter));
    let [Effect::WriteFile(WriteRequest {
        content: WriteContent::Lock(new_rows),
        overwrite: false,
        ..
    })] = &effects[..]
    else {
        panic!("expected WriteFile, got {effects:?}")
    };
    assert_eq!(new_rows.len(), 12);
    assert_eq!(new_rows[3].size_bytes, Some(2000));
    assert_eq!(new_rows[3].etag.as_deref(), Some("\"new\""));
    assert_eq!(new_rows[7].etag.as_deref(), Some("\"same-size\""));
    assert_eq!(new_rows[0], lock_rows(12)[0]);
    // Export: the same JSON lines as `asset-lock validate`; an existing file asks first.
    update(&mut m, key('x'));
    let effects = update(&mut m, code(KeyCode::Enter));
    let [Effect::WriteFile(request)] = &effects[..] else {
        panic!("expected WriteFile")
    };
    let WriteContent::JsonLines(lines) = &request.content else {
        panic!("expected JSON lines")
    };
    assert_eq!(lines.len(), 12);
    assert!(lines[3].starts_with("{\"asset_key\": \"visual\", \"errors\": [\"size mismatch"));
    update(
        &mut m,
        Msg::FileWritten {
            text: "validation.jsonl exists".into(),
            is_error: false,
            needs_confirm: Some(request.clone()),
        },
    );
    assert!(matches!(m.popup, Some(Popup::ConfirmOverwrite { .. })));
    let effects = update(&mut m, key('y'));
    assert!(matches!(&effects[..], [Effect::WriteFile(r)] if r.overwrite));
}

/// A model of the lock pane in a given state.
fn lock_in(state: &str, w: u16, h: u16) -> Model {
    let mut m = model(w, h);
    m.focus = PaneId::Lock;
    match state {
        "empty" => {}
        "running" | "cancelled" | "error" => {
            let g = start_load(&mut m);
            feed(&mut m, g, &demo_batches(10, 10));
            let effects = update(&mut m, key('d'));
            let Some(Effect::Lock(LockEffect::Derive { generation, .. })) =
                effects.first().cloned()
            else {
                panic!("expected DeriveLock")
            };
            m.status = None;
            update(
                &mut m,
                Msg::Lock(LockMsg::Started {
                    generation,
                    total: 20,
                }),
            );
            let mut rows: Vec<LockEntry> = lock_rows(6)
                .into_iter()
                .map(|row| LockEntry { row, error: None })
                .collect();
            rows[4].error = Some(format!("{HOST}/scenes/002/0.tif: object not found"));
            update(
                &mut m,
                Msg::Lock(LockMsg::Rows {
                    generation,
                    rows,
                    elapsed_secs: 2.0,
                }),
            );
            if state == "cancelled" {
                update(&mut m, code(KeyCode::Esc));
            }
            if state == "error" {
                update(
                    &mut m,
                    Msg::Lock(LockMsg::Failed {
                        generation,
                        error: "items stream: has no `id` column".into(),
                    }),
                );
            }
        }
        "done" => {
            open_lock(&mut m, 30);
        }
        other => panic!("unknown state {other}"),
    }
    m
}

#[rstest]
fn lock_pane_snapshots(
    #[values("empty", "running", "cancelled", "error", "done")] state: &str,
    #[values((80, 24), (120, 40))] size: (u16, u16),
) {
    let m = lock_in(state, size.0, size.1);
    insta::assert_snapshot!(format!("lock_{state}_{}x{}", size.0, size.1), render(&m));
}

/// A model of the validation pane in a given state.
fn validation_in(state: &str, w: u16, h: u16) -> Model {
    let mut m = model(w, h);
    m.focus = PaneId::Validation;
    if state == "empty" {
        return m;
    }
    open_lock(&mut m, 30);
    let (g, rows) = start_validation(&mut m);
    match state {
        "streaming" => feed_results(&mut m, g, &rows[..12]),
        "error" => {
            update(
                &mut m,
                Msg::TaskEnded(TaskEnd {
                    id: stacpkg::tui::tasks::TaskId(7),
                    kind: stacpkg::tui::tasks::TaskKind::Validate,
                    failure: Some("panicked: deliberate".into()),
                }),
            );
        }
        _ => {
            feed_results(&mut m, g, &rows);
            update(
                &mut m,
                Msg::Validation(ValidationMsg::Done {
                    generation: g,
                    elapsed_secs: 0.75,
                }),
            );
        }
    }
    match state {
        "problems" => {
            update(&mut m, key('p'));
        }
        "grouped" => {
            update(&mut m, key('b'));
            update(&mut m, key('j'));
            update(&mut m, key(' '));
        }
        "detail" => {
            update(&mut m, key('p'));
            update(&mut m, code(KeyCode::Enter));
        }
        _ => {}
    }
    m
}

#[rstest]
fn validation_pane_snapshots(
    #[values("empty", "streaming", "done", "error", "problems", "grouped", "detail")] state: &str,
    #[values((80, 24), (120, 40))] size: (u16, u16),
) {
    let m = validation_in(state, size.0, size.1);
    insta::assert_snapshot!(
        format!("validation_{state}_{}x{}", size.0, size.1),
        render(&m)
    );
}

/// The real loop, headless, on paused time: validation results stream in from a scripted
/// task, the counters follow, keys are answered between batches, late rows of a superseded
/// run are dropped.
#[tokio::test(start_paused = true)]
async fn headless_validation_streams_and_keys_are_answered_between_batches() {
    let (tx, mut rx) = tokio::sync::mpsc::channel(16);
    let mut effects = Effects::new(tx.clone(), None);
    let mut m = model(80, 24);
    open_lock(&mut m, 40);
    let (g, rows) = start_validation(&mut m);
    let script = tokio::spawn(async move {
        for chunk in rows.chunks(10) {
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            let entries = chunk.iter().map(|(i, r)| result_for(*i, r)).collect();
            tx.send(Msg::Validation(ValidationMsg::Rows {
                generation: g,
                rows: entries,
                elapsed_secs: 0.1,
            }))
            .await
            .unwrap();
            if chunk[0].0 < 30 {
                tx.send(key('j')).await.unwrap();
            }
        }
        // A stale run's late rows.
        tx.send(Msg::Validation(ValidationMsg::Rows {
            generation: g - 1,
            rows: vec![result_for(0, &lock_rows(1)[0])],
            elapsed_secs: 0.1,
        }))
        .await
        .unwrap();
        tx.send(Msg::Validation(ValidationMsg::Done {
            generation: g,
            elapsed_secs: 0.4,
        }))
        .await
        .unwrap();
        tokio::time::sleep(std::time::Duration::from_secs(3600)).await;
        tx.send(key('p')).await.unwrap();
        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
        tx.send(key('q')).await.unwrap();
    });
    let (frames, last) = run_headless(&mut m, &mut rx, &mut effects, (80, 24), |_| ()).await;
    script.await.unwrap();
    effects.tasks.shutdown().await;
    assert_eq!(m.validation.entries.len(), 40);
    let current = m.validation.current().unwrap().index;
    assert_eq!(current, 3, "problems only keeps the cursor on its row");
    assert!(
        last.contains("✓ 36 valid  ✗ 3 drifted  ? 1 unreachable"),
        "{last}"
    );
    assert!(last.contains("problems only"), "{last}");
    assert!(frames <= 12, "{frames} frames");
}

#[test]
fn a_new_lock_clears_old_results_and_drops_their_late_rows() {
    let mut m = model(80, 24);
    open_lock(&mut m, 12);
    let (g, rows) = start_validation(&mut m);
    feed_results(&mut m, g, &rows[..4]);
    update(&mut m, key('p'));
    let effects =
        stacpkg::tui::panes::lock::update::open_lock(&mut m, "b.parquet".into(), ".".into());
    assert!(matches!(
        effects[..],
        [
            Effect::Validation(ValidationEffect::Cancel),
            Effect::Lock(LockEffect::Open { .. })
        ]
    ));
    open_lock(&mut m, 6);
    assert!(m.validation.entries.is_empty());
    assert!(m.validation.is_problems_only);
    assert!(!m.is_busy());
    feed_results(&mut m, g, &rows[4..]);
    assert!(m.validation.entries.is_empty());
}

/// A lock file typed as the search source: the load task reports it holds a lock, and the
/// console opens it in the lock pane instead of failing to read items from it; a stale
/// report (an older load) is ignored.
#[test]
fn a_lock_source_opens_in_the_lock_pane() {
    let mut m = model(80, 24);
    m.search.form.source = "assets.lock.parquet".into();
    let effects = update(&mut m, code(KeyCode::Enter));
    assert!(
        matches!(effects[0], Effect::Search(SearchEffect::LoadLocal { .. })),
        "{effects:?}"
    );
    let generation = m.items.generation;
    let stale = update(
        &mut m,
        Msg::Items(ItemsMsg::SourceHasLock {
            generation: generation - 1,
            lock: "old.parquet".into(),
            base_dir: ".".into(),
            has_items: false,
        }),
    );
    assert!(stale.is_empty());
    let effects = update(
        &mut m,
        Msg::Items(ItemsMsg::SourceHasLock {
            generation,
            lock: "assets.lock.parquet".into(),
            base_dir: "/work".into(),
            has_items: false,
        }),
    );
    assert!(
        matches!(&effects[..], [Effect::Lock(LockEffect::Open { path, .. })] if path.ends_with("assets.lock.parquet")),
        "{effects:?}"
    );
    assert_eq!(m.focus, PaneId::Lock);
    assert_eq!(m.items.phase, Phase::Empty);
    assert_eq!(m.lock.base_dir, std::path::Path::new("/work"));
}
