//! The lock pane: derive from marked items, open a lock (also typed as the search source), a
//! new lock forgetting old results, and snapshots of every state.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use rstest::rstest;
use stacpkg::tui::command::{Command, PaneId};
use stacpkg::tui::model::{Model, Popup};
use stacpkg::tui::msg::{Effect, Msg};
use stacpkg::tui::panes::items::{ItemsMsg, Phase};
use stacpkg::tui::panes::lock::{LockEffect, LockMsg, LockPhase};
use stacpkg::tui::panes::search::SearchEffect;
use stacpkg::tui::panes::validation::ValidationEffect;
use stacpkg::tui::update::update;

use super::kit::*;

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
    let mut rows = lock_entries(2);
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
    // The derive was cancelled: the lock is offered, and written, as partial.
    let input = m.input.clone().unwrap();
    assert_eq!(input.text(), "assets.lock.partial.parquet");
    assert_eq!(
        m.prompt_label(input.target),
        "write PARTIAL lock (2 of 4 rows) to: "
    );
    let effects = update(&mut m, code(KeyCode::Enter));
    let [Effect::WriteFile(request)] = &effects[..] else {
        panic!("expected a write: {effects:?}")
    };
    assert!(
        request.done_text.contains("PARTIAL"),
        "{}",
        request.done_text
    );
}

/// One reflex key never loses long work: esc on a derive running for a while asks first, and
/// quitting with a derived lock that was never written asks too (q and ctrl-c), until it is
/// written.
#[test]
fn long_runs_and_unwritten_locks_ask_before_they_are_lost() {
    let mut m = model(80, 24);
    let g = start_load(&mut m);
    feed(&mut m, g, &demo_batches(3, 3));
    update(
        &mut m,
        Msg::Items(ItemsMsg::Done {
            generation: g,
            elapsed_secs: 0.1,
        }),
    );
    m.focus = PaneId::Items;
    let effects = update(&mut m, key('d'));
    let Some(Effect::Lock(LockEffect::Derive { generation, .. })) = effects.last() else {
        panic!("expected a derive")
    };
    let generation = *generation;
    update(
        &mut m,
        Msg::Lock(LockMsg::Started {
            generation,
            total: 6,
        }),
    );
    let rows = lock_entries(6);
    update(
        &mut m,
        Msg::Lock(LockMsg::Rows {
            generation,
            rows: rows[..3].to_vec(),
            elapsed_secs: 12.0,
        }),
    );
    assert!(update(&mut m, code(KeyCode::Esc)).is_empty());
    assert_eq!(m.popup, Some(Popup::ConfirmCancel));
    assert!(render(&m).contains("Cancel the derive?"));
    update(&mut m, key('n'));
    assert!(m.lock.is_running(), "any key but y lets it run");
    update(&mut m, code(KeyCode::Esc));
    let effects = update(&mut m, key('y'));
    assert!(matches!(effects[..], [Effect::Lock(LockEffect::Cancel)]));
    // Derive again, to the end: the lock is unwritten, so q and ctrl-c ask.
    m.focus = PaneId::Items;
    let effects = update(&mut m, key('d'));
    let Some(Effect::Lock(LockEffect::Derive { generation, .. })) = effects.last() else {
        panic!("expected a derive")
    };
    let generation = *generation;
    update(
        &mut m,
        Msg::Lock(LockMsg::Rows {
            generation,
            rows,
            elapsed_secs: 1.0,
        }),
    );
    update(
        &mut m,
        Msg::Lock(LockMsg::Done {
            generation,
            elapsed_secs: 1.0,
        }),
    );
    for quit in [key('q'), ctrl_c()] {
        assert!(update(&mut m, quit).is_empty());
        assert_eq!(m.popup, Some(Popup::ConfirmQuit));
        let screen = render(&m);
        assert!(
            screen.contains("The derived lock (6 rows) is not written."),
            "{screen}"
        );
        update(&mut m, key('n'));
    }
    // Written: quitting no longer asks.
    update(&mut m, key('w'));
    let effects = update(&mut m, code(KeyCode::Enter));
    let [Effect::WriteFile(request)] = &effects[..] else {
        panic!("expected a write")
    };
    update(
        &mut m,
        Msg::FileWritten {
            text: "wrote 6 lock rows".into(),
            is_error: false,
            needs_confirm: None,
            written: Some((request.path.clone(), request.after)),
        },
    );
    assert!(m.unsaved_work().is_none());
    let effects = update(&mut m, key('q'));
    assert!(
        effects.iter().any(|e| matches!(e, Effect::Quit)),
        "{effects:?}"
    );
}

fn ctrl_c() -> Msg {
    Msg::Key(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL))
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
            let mut rows = lock_entries(6);
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
fn snapshots(
    #[values("empty", "running", "cancelled", "error", "done")] state: &str,
    #[values((80, 24), (120, 40))] size: (u16, u16),
) {
    let m = lock_in(state, size.0, size.1);
    insta::assert_snapshot!(format!("{state}_{}x{}", size.0, size.1), render(&m));
}

/// The lock pane filters (item, asset, location, probe text) and sorts its rows.
#[test]
fn the_lock_pane_filters_and_sorts_its_rows() {
    let mut m = model(100, 30);
    open_lock(&mut m, 12);
    m.focus = PaneId::Lock;
    update(&mut m, key('/'));
    for c in "visual".chars() {
        update(&mut m, key(c));
    }
    update(&mut m, code(KeyCode::Enter));
    assert_eq!(m.lock.shown.len(), 6);
    assert!(m
        .lock
        .shown
        .iter()
        .all(|&i| m.lock.entries[i].row.asset_key == "visual"));
    assert!(render(&m).contains("/visual → 6 shown"));
    // Sort: by item, then largest first.
    update(&mut m, key('s'));
    update(&mut m, key('s'));
    let sizes: Vec<i64> = m
        .lock
        .shown
        .iter()
        .map(|&i| m.lock.entries[i].row.size_bytes.unwrap())
        .collect();
    assert!(sizes.windows(2).all(|w| w[0] >= w[1]), "{sizes:?}");
    assert_eq!(m.lock.cursor, 0);
    assert!(render(&m).contains("sort size"));
}
