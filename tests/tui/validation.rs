//! The validation pane: streaming results, counters, filters and groups, stale runs, detail,
//! accept drift and export with confirmation, and snapshots of every state.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use rstest::rstest;
use stacpkg::tui::app::Effects;
use stacpkg::tui::command::PaneId;
use stacpkg::tui::line::LineEditor;
use stacpkg::tui::model::{Model, Popup};
use stacpkg::tui::msg::{Effect, Msg, WriteContent, WriteRequest};
use stacpkg::tui::panes::lock::LockEffect;
use stacpkg::tui::panes::validation::{GroupBy, RunPhase, Shown, ValidationEffect, ValidationMsg};
use stacpkg::tui::tasks::TaskEnd;
use stacpkg::tui::update::update;

use super::kit::*;

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
    assert_eq!(input.text(), "locks/assets.lock.accepted.parquet");
    // Never in place.
    m.input.as_mut().unwrap().line = LineEditor::new("locks/assets.lock.parquet");
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
            written: None,
        },
    );
    assert!(matches!(m.popup, Some(Popup::ConfirmOverwrite { .. })));
    let effects = update(&mut m, key('y'));
    assert!(matches!(&effects[..], [Effect::WriteFile(r)] if r.overwrite));
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
fn snapshots(
    #[values("empty", "streaming", "done", "error", "problems", "grouped", "detail")] state: &str,
    #[values((80, 24), (120, 40))] size: (u16, u16),
) {
    let m = validation_in(state, size.0, size.1);
    insta::assert_snapshot!(format!("{state}_{}x{}", size.0, size.1), render(&m));
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

/// Triage at scale: mark a whole group at once, filter results by drift kind, host or
/// collection, sort problems first; then accepting drift opens the new lock for validation.
#[test]
fn triage_marks_groups_filters_sorts_and_accepting_opens_the_new_lock() {
    let mut m = model(100, 40);
    open_lock(&mut m, 12);
    let (g, rows) = start_validation(&mut m);
    feed_results(&mut m, g, &rows);
    // Group by drift kind, put the cursor on the etag group's heading, mark the group.
    update(&mut m, key('b'));
    let heading = m
        .validation
        .shown
        .iter()
        .position(|s| matches!(s, Shown::Group(name, _) if name == "etag"))
        .expect("an etag group");
    m.validation.cursor = heading;
    update(&mut m, key('m'));
    let etag_rows: Vec<usize> = m.validation.marked.iter().copied().collect();
    assert_eq!(etag_rows, vec![7]);
    // `m` on a marked group unmarks it.
    update(&mut m, key('m'));
    assert!(m.validation.marked.is_empty());
    // Filter by a drift word: only matching results remain, from the top.
    update(&mut m, key('b'));
    update(&mut m, key('b'));
    update(&mut m, key('b'));
    assert_eq!(m.validation.group, GroupBy::None);
    update(&mut m, key('/'));
    for c in "etag".chars() {
        update(&mut m, key(c));
    }
    update(&mut m, code(KeyCode::Enter));
    let shown: Vec<usize> = m
        .validation
        .shown
        .iter()
        .filter_map(|s| match s {
            Shown::Entry(i) => Some(m.validation.entries[*i].index),
            Shown::Group(..) => None,
        })
        .collect();
    assert_eq!(shown, vec![3, 7]);
    assert_eq!(m.validation.cursor, 0);
    assert!(render(&m).contains("/etag → 2 shown"));
    // `m` without groups marks the shown results; accept them.
    update(&mut m, key('m'));
    assert_eq!(m.validation.marked.len(), 2);
    // Problems first.
    update(&mut m, key('/'));
    update(
        &mut m,
        Msg::Key(KeyEvent::new(KeyCode::Char('u'), KeyModifiers::CONTROL)),
    );
    update(&mut m, code(KeyCode::Enter));
    update(&mut m, key('s'));
    update(&mut m, key('s'));
    let first = match m.validation.shown[0] {
        Shown::Entry(i) => m.validation.entries[i].index,
        Shown::Group(..) => panic!("not grouped"),
    };
    assert_eq!(first, 11, "the missing object comes first");
    // Accept the marked drift: the new lock opens, ready to validate.
    update(&mut m, key('A'));
    let effects = update(&mut m, code(KeyCode::Enter));
    let [Effect::WriteFile(request)] = &effects[..] else {
        panic!("expected a write: {effects:?}")
    };
    let effects = update(
        &mut m,
        Msg::FileWritten {
            text: "accepted".into(),
            is_error: false,
            needs_confirm: None,
            written: Some((request.path.clone(), request.after)),
        },
    );
    assert!(
        effects.iter().any(
            |e| matches!(e, Effect::Lock(LockEffect::Open { path, .. }) if *path == request.path)
        ),
        "{effects:?}"
    );
    assert_eq!(m.lock.path.as_ref(), Some(&request.path));
}
