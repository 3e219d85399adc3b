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
use stacpkg::tui::keymap::Keymap;
use stacpkg::tui::model::{Model, Popup};
use stacpkg::tui::msg::{Command, Effect, Msg, PaneId};
use stacpkg::tui::panes::items::Phase;
use stacpkg::tui::tasks::TaskManager;
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
        Effect::LoadItems { generation, .. } => *generation,
        e => panic!("expected LoadItems, got {e:?}"),
    }
}

fn feed(m: &mut Model, generation: u64, batches: &[RecordBatch]) -> Vec<Effect> {
    let schema = batches[0].schema();
    let mut effects = update(m, Msg::ItemsOpened { generation, schema });
    for b in batches {
        effects.extend(update(
            m,
            Msg::ItemsBatch {
                generation,
                batch: b.clone(),
                elapsed_secs: 0.5,
            },
        ));
    }
    effects
}

/// Runs a ComputeView effect the way the task layer does, and feeds the answer back.
fn compute(m: &mut Model, effect: &Effect) {
    let Effect::ComputeView {
        generation,
        batches,
        spec,
    } = effect
    else {
        panic!("expected ComputeView, got {effect:?}")
    };
    let token = tokio_util::sync::CancellationToken::new();
    let rows = stacpkg::tui::compute::compute_view(batches, spec, &token).unwrap();
    update(
        m,
        Msg::ViewComputed {
            generation: *generation,
            rows: Arc::new(rows),
        },
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
        Msg::ItemsDone {
            generation: g2,
            elapsed_secs: 1.0,
        },
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
    assert!(matches!(effects[0], Effect::ComputeView { .. }));
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
    assert!(matches!(effects[0], Effect::CancelLoad));
    assert_eq!(m.items.phase, Phase::Done);
    // Late batches of the cancelled load are dropped.
    feed(&mut m, g, &demo_batches(10, 10));
    assert_eq!(m.items.total_rows, 10);
}

#[test]
fn a_url_source_is_refused_with_the_reason() {
    let mut m = model(80, 24);
    m.search.form.source = "https://example.com/stac".into();
    assert!(update(&mut m, Msg::Command(Command::RunSearch)).is_empty());
    assert!(m
        .search
        .error
        .as_deref()
        .unwrap()
        .contains("not in this build"));
    assert_eq!(m.focus, PaneId::Search);
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
                Msg::ItemsDone {
                    generation: g,
                    elapsed_secs: 0.25,
                },
            );
        }
        "error" => {
            update(
                &mut m,
                Msg::ItemsFailed {
                    generation: g,
                    error: "demo.ndjson: line 3: expected value at column 1".into(),
                },
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
    #[values("empty", "editing", "error", "history", "help")] state: &str,
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
        other => panic!("unknown state {other}"),
    }
    let name = format!("search_{state}_{}x{}", size.0, size.1);
    insta::assert_snapshot!(name, render(&m));
}

/// The real loop, headless: scripted task events and keys on paused time, frames into a
/// TestBackend; the loop stays idle between events and quits on `q`.
#[tokio::test(start_paused = true)]
async fn headless_app_loop_streams_draws_and_quits() {
    let (tx, mut rx) = tokio::sync::mpsc::channel(16);
    let mut effects = Effects {
        tasks: TaskManager::new(tx.clone()),
        state_dir: None,
    };
    let mut m = model(80, 24);
    let generation = start_load(&mut m);
    let batches = demo_batches(40, 10);
    let script = tokio::spawn(async move {
        let schema = batches[0].schema();
        tx.send(Msg::ItemsOpened { generation, schema })
            .await
            .unwrap();
        for (i, b) in batches.into_iter().enumerate() {
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            tx.send(Msg::ItemsBatch {
                generation,
                batch: b,
                elapsed_secs: 0.1 * (i + 1) as f64,
            })
            .await
            .unwrap();
        }
        tx.send(Msg::ItemsDone {
            generation,
            elapsed_secs: 0.4,
        })
        .await
        .unwrap();
        // Idle for a long (virtual) while: no frames are drawn in between.
        tokio::time::sleep(std::time::Duration::from_secs(3600)).await;
        tx.send(key('G')).await.unwrap();
        tx.send(key('q')).await.unwrap();
    });
    let mut terminal = Terminal::new(TestBackend::new(80, 24)).unwrap();
    let mut frames = 0;
    let mut last = String::new();
    run_loop(&mut m, &mut rx, &mut effects, 30, |model| {
        frames += 1;
        terminal
            .draw(|f| {
                view::draw(f, model);
            })
            .unwrap();
        last = terminal.backend().to_string();
        Ok(())
    })
    .await
    .unwrap();
    script.await.unwrap();
    effects.tasks.shutdown().await;
    assert_eq!(m.items.total_rows, 40);
    assert_eq!(m.items.cursor, 39);
    assert!(last.contains("40 items"), "{last}");
    // One frame per burst at most, never a busy loop: a handful of frames, not thousands.
    assert!(frames <= 10, "{frames} frames");
}
