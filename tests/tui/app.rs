//! The real app loop, headless on paused time: scripted task events and keys, frames into a
//! TestBackend, late results of a superseded search discarded.

use crossterm::event::KeyCode;
use stacpkg::tui::app::Effects;
use stacpkg::tui::msg::Msg;
use stacpkg::tui::panes::items::{ItemsMsg, Phase};

use super::kit::*;

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
