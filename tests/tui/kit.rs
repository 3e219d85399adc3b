//! Helpers shared by the console tests: demo batches, a model at a size, keys, feeding a
//! load or a lock, rendering a frame, and running the real loop headless.

use std::sync::Arc;

use arrow::array::RecordBatch;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::backend::TestBackend;
use ratatui::Terminal;
use stacpkg::lock::validate::Validation;
use stacpkg::lock::LockRow;
use stacpkg::stac::read::{NdjsonItems, ReadOptions};
use stacpkg::store::probe::Facts;
use stacpkg::tui::app::{run_loop, Effects};
use stacpkg::tui::command::{Command, PaneId};
use stacpkg::tui::keymap::Keymap;
use stacpkg::tui::model::Model;
use stacpkg::tui::msg::{Effect, Msg};
use stacpkg::tui::panes::items::{ItemsEffect, ItemsMsg};
use stacpkg::tui::panes::lock::{LockEffect, LockEntry, LockMsg};
use stacpkg::tui::panes::search::form::ApiSearch;
use stacpkg::tui::panes::search::SearchEffect;
use stacpkg::tui::panes::validation::{ValidationEffect, ValidationEntry, ValidationMsg};
use stacpkg::tui::theme::Theme;
use stacpkg::tui::update::update;
use stacpkg::tui::view;

/// The first `n` items of the demo catalogue, in batches of `batch` rows.
pub fn demo_batches(n: usize, batch: usize) -> Vec<RecordBatch> {
    let text = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/demo/items.ndjson"),
    )
    .unwrap();
    let lines: String = text.lines().take(n).map(|l| format!("{l}\n")).collect();
    batches_of(lines, batch)
}

/// `n` Sentinel-2-like items (60-character ids that differ only in their tile and times), in
/// batches of `batch` rows.
pub fn sentinel_batches(n: usize, batch: usize) -> Vec<RecordBatch> {
    let tiles = ["T32TQM", "T32TQN", "T33UUP", "T31UFT"];
    let lines: String = (0..n)
        .map(|i| {
            let day = 10 + i / 4;
            let sat = if i % 2 == 0 { 'A' } else { 'B' };
            let id = format!(
                "S2{sat}_MSIL2A_202306{day:02}T101559_N0509_R065_{}_202306{day:02}T131829",
                tiles[i % 4]
            );
            format!(
                concat!(
                    r#"{{"type":"Feature","stac_version":"1.0.0","id":"{id}","#,
                    r#""collection":"sentinel-2-l2a","#,
                    r#""geometry":{{"type":"Point","coordinates":[9.0,45.0]}},"bbox":[9.0,45.0,9.0,45.0],"#,
                    r#""properties":{{"datetime":"2023-06-{day:02}T10:15:59Z","platform":"sentinel-2{sat_l}","#,
                    r#""gsd":10,"eo:cloud_cover":{cc},"proj:epsg":32632}},"links":[],"#,
                    r#""assets":{{"visual":{{"href":"https://e.invalid/{id}/TCI.tif"}},"#,
                    r#""thumbnail":{{"href":"https://e.invalid/{id}/preview.jpg"}}}}}}"#,
                    "\n"
                ),
                id = id,
                day = day,
                sat_l = sat.to_ascii_lowercase(),
                cc = (i * 7) % 100
            )
        })
        .collect();
    batches_of(lines, batch)
}

fn batches_of(lines: String, batch: usize) -> Vec<RecordBatch> {
    let options = ReadOptions {
        batch_size: batch,
        ..ReadOptions::default()
    };
    NdjsonItems::scan(std::io::Cursor::new(lines), "demo", options)
        .unwrap()
        .collect::<Result<Vec<_>, _>>()
        .unwrap()
}

pub fn model(w: u16, h: u16) -> Model {
    Model::new(Keymap::default(), Theme::mono(), (w, h))
}

pub fn key(c: char) -> Msg {
    Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE))
}

pub fn code(code: KeyCode) -> Msg {
    Msg::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

/// Starts a load from the form and returns its generation.
pub fn start_load(m: &mut Model) -> u64 {
    m.search.form.source = "demo.ndjson".into();
    let effects = update(m, Msg::Command(Command::RunSearch));
    match &effects[0] {
        Effect::Search(SearchEffect::LoadLocal { generation, .. }) => *generation,
        e => panic!("expected LoadItems, got {e:?}"),
    }
}

pub fn feed(m: &mut Model, generation: u64, batches: &[RecordBatch]) -> Vec<Effect> {
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
pub fn compute(m: &mut Model, effect: &Effect) {
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

pub fn render(m: &Model) -> String {
    let mut terminal = Terminal::new(TestBackend::new(m.size.0, m.size.1)).unwrap();
    terminal
        .draw(|f| {
            view::draw(f, m);
        })
        .unwrap();
    terminal.backend().to_string()
}

/// Runs the real app loop (30 fps cap) into a `size` TestBackend until the script quits it;
/// `each` sees the model after every frame. Returns the frames drawn and the last frame.
pub async fn run_headless(
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

pub const HOST: &str = "http://127.0.0.1:8080";

/// Lock rows of `n` demo-like assets (two per item, alternating collections).
pub fn lock_rows(n: usize) -> Vec<LockRow> {
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

/// [`lock_rows`] as the lock pane holds them, with no probe failure.
pub fn lock_entries(n: usize) -> Vec<LockEntry> {
    lock_rows(n)
        .into_iter()
        .map(|row| LockEntry { row, error: None })
        .collect()
}

/// The validation result of row `i`: rows 3, 7, 11 drift (size+etag, etag, missing), row 9
/// is unreachable, the rest are valid.
pub fn result_for(i: usize, row: &LockRow) -> ValidationEntry {
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
pub fn open_lock(m: &mut Model, n: usize) -> u64 {
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
pub fn start_validation(m: &mut Model) -> (u64, Vec<(usize, LockRow)>) {
    let effects = update(m, key('v'));
    match effects.into_iter().next() {
        Some(Effect::Validation(ValidationEffect::Validate {
            generation, rows, ..
        })) => (generation, rows),
        other => panic!("expected Validate, got {other:?}"),
    }
}

pub fn feed_results(m: &mut Model, generation: u64, rows: &[(usize, LockRow)]) {
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

/// Fills the form with a STAC API search and runs it; returns the generation and the search.
pub fn start_api_search(m: &mut Model, url: &str) -> (u64, ApiSearch) {
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
