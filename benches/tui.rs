//! Drawing the items pane with 100,000 rows loaded: only the visible window is turned into
//! text, so a frame should cost well under 5 ms whatever the table size.
//!
//! Validation ingest: 10,000 results arrive in the inbox's 256-row chunks while the user
//! presses keys; a key waits at most for one chunk ahead of it, its own update and a frame.
//! The benches time exactly that (target < 50 ms), in lock order and in the costliest view
//! (problems only, grouped by drift kind: every chunk rebuilds the grouped order).
//!
//! The map: a frame with 100,000 footprints loaded (target < 16 ms), over the whole world
//! (most are one dot) and zoomed onto one demo footprint (its ~400 copies all drawn as
//! outlines, the rest culled); and a thumbnail decoded and drawn in half-blocks.
// criterion's `criterion_group!` / `criterion_main!` generate public functions that cannot
// carry docs: the one place `missing_docs` is allowed.
#![allow(missing_docs)]

use std::collections::HashSet;
use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::backend::TestBackend;
use ratatui::Terminal;
use stacpkg::lock::validate::Validation;
use stacpkg::stac::read::{NdjsonItems, ReadOptions};
use stacpkg::store::probe::Facts;
use stacpkg::tui::command::{Command, PaneId};
use stacpkg::tui::keymap::Keymap;
use stacpkg::tui::model::Model;
use stacpkg::tui::msg::Msg;
use stacpkg::tui::panes::items::ItemsMsg;
use stacpkg::tui::panes::map::jobs::read_inline;
use stacpkg::tui::panes::validation::{GroupBy, ValidationEntry, ValidationMsg};
use stacpkg::tui::tasks::forward::ROWS_PER_MSG;
use stacpkg::tui::theme::Theme;
use stacpkg::tui::update::update;
use stacpkg::tui::view;

/// Rows loaded for the bench.
const ROWS: usize = 100_000;

fn loaded_model() -> Model {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/demo/items.ndjson");
    let file = std::fs::File::open(path).expect("demo catalogue");
    let batches: Vec<_> = NdjsonItems::scan(file, "demo", ReadOptions::default())
        .expect("readable")
        .collect::<Result<_, _>>()
        .expect("valid");
    let mut m = Model::new(Keymap::default(), Theme::colour(), (120, 40));
    m.search.form.source = "demo.ndjson".into();
    update(&mut m, Msg::Command(Command::RunSearch));
    let generation = m.items.generation;
    let schema = batches[0].schema();
    update(&mut m, Msg::Items(ItemsMsg::Opened { generation, schema }));
    let mut rows = 0;
    while rows < ROWS {
        for b in &batches {
            let b = b.slice(0, b.num_rows().min(ROWS - rows));
            rows += b.num_rows();
            let effects = update(
                &mut m,
                Msg::Items(ItemsMsg::Batch {
                    generation,
                    batch: b,
                    elapsed_secs: 1.0,
                }),
            );
            read_inline(&mut m, effects);
        }
    }
    // Somewhere in the middle of the table.
    for _ in 0..50 {
        update(&mut m, Msg::Command(Command::PageDown));
    }
    m
}

fn draw_map(c: &mut Criterion) {
    let mut m = loaded_model();
    assert_eq!(m.map.len(), ROWS);
    update(&mut m, Msg::Command(Command::FocusMap));
    let mut terminal = Terminal::new(TestBackend::new(120, 40)).expect("test backend");
    let mut frame = |m: &Model| {
        terminal
            .draw(|f| {
                black_box(view::draw(f, m));
            })
            .expect("draw");
    };
    c.bench_function("map frame, 100k footprints, world, 120x40", |b| {
        b.iter(|| frame(&m));
    });
    update(&mut m, Msg::Command(Command::CenterOnItem));
    c.bench_function("map frame, 100k footprints, zoomed to one, 120x40", |b| {
        b.iter(|| frame(&m));
    });
}

fn thumbnail(c: &mut Criterion) {
    use ratatui::layout::Size;
    use ratatui_image::Image;
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("assets/demo/files/530f0cb92620c2065fec69d7/0/530f0cb92620c2065fec69d8.png");
    let bytes = std::fs::read(path).expect("demo thumbnail");
    let picker = stacpkg::tui::thumbnail::protocol::halfblocks();
    let mut terminal = Terminal::new(TestBackend::new(120, 40)).expect("test backend");
    let make = |image| {
        picker
            .new_protocol(
                image,
                Size::new(118, 34),
                stacpkg::tui::thumbnail::update::RESIZE,
            )
            .expect("protocol")
    };
    c.bench_function("thumbnail decode + half-blocks for 118x34 cells", |b| {
        b.iter(|| {
            let (image, _) = stacpkg::tui::thumbnail::jobs::decode("t.png", &bytes).expect("png");
            black_box(make(image))
        });
    });
    let (image, _) = stacpkg::tui::thumbnail::jobs::decode("t.png", &bytes).expect("png");
    let protocol = make(image);
    c.bench_function("thumbnail frame, 118x34 half-block cells", |b| {
        b.iter(|| {
            terminal
                .draw(|f| f.render_widget(Image::new(&protocol), f.area()))
                .expect("draw");
        });
    });
}

fn draw_items(c: &mut Criterion) {
    let m = loaded_model();
    assert_eq!(m.items.rows.len(), ROWS);
    let mut terminal = Terminal::new(TestBackend::new(120, 40)).expect("test backend");
    c.bench_function("draw items pane, 100k rows, 120x40", |b| {
        b.iter(|| {
            terminal
                .draw(|f| {
                    black_box(view::draw(f, &m));
                })
                .expect("draw");
        });
    });
}

/// Validation results ingested in the bench.
const RESULTS: usize = 10_000;

/// A result for lock row `i`: every 50th drifts, every 199th is unreachable.
fn validation_entry(i: usize) -> ValidationEntry {
    let errors = if i % 199 == 0 {
        vec![format!(
            "http://127.0.0.1:8080/s/{i}.tif: connection refused"
        )]
    } else if i % 50 == 0 {
        vec![format!("size mismatch: expected {i}, actual {}", i + 1)]
    } else {
        vec![]
    };
    let result = Validation {
        item_id: format!("item-{:05}", i / 2),
        asset_key: if i % 2 == 0 { "thumbnail" } else { "visual" }.into(),
        store_type: Some("http".into()),
        store_container: Some(format!("http://127.0.0.1:{}", 8080 + i % 3)),
        key: Some(format!("s/{i}.tif")),
        store_endpoint_url: None,
        valid: errors.is_empty(),
        errors,
    };
    let facts = Facts {
        size_bytes: i as i64,
        etag: Some(format!("\"{i:x}\"")),
        last_modified: Some("2026-01-15T09:00:00+00:00".into()),
    };
    ValidationEntry::new(i, result, Some(facts))
}

/// A model validating a 10,000-row lock, `loaded` results in; `grouped` = problems only,
/// grouped by drift kind.
fn validating_model(loaded: usize, grouped: bool) -> (Model, u64) {
    let mut m = Model::new(Keymap::default(), Theme::colour(), (120, 40));
    m.focus = PaneId::Validation;
    let generation = 7;
    let all: HashSet<usize> = (0..RESULTS).collect();
    m.validation.start(generation, &all, true);
    if grouped {
        m.validation.is_problems_only = true;
        m.validation.group = GroupBy::Kind;
    }
    for chunk in (0..loaded).collect::<Vec<_>>().chunks(ROWS_PER_MSG) {
        let rows = chunk.iter().map(|&i| validation_entry(i)).collect();
        update(
            &mut m,
            Msg::Validation(ValidationMsg::Rows {
                generation,
                rows,
                elapsed_secs: 1.0,
            }),
        );
    }
    (m, generation)
}

/// One validation chunk into the model, then a key, then a frame: what a key waits for at most.
fn chunk_key_frame(
    m: &mut Model,
    terminal: &mut Terminal<TestBackend>,
    generation: u64,
    rows: Vec<ValidationEntry>,
    key: KeyEvent,
) {
    update(
        m,
        Msg::Validation(ValidationMsg::Rows {
            generation,
            rows,
            elapsed_secs: 1.0,
        }),
    );
    update(m, Msg::Key(key));
    terminal
        .draw(|f| {
            black_box(view::draw(f, m));
        })
        .expect("draw");
}

fn key_during_ingest(c: &mut Criterion) {
    let mut group = c.benchmark_group("validation ingest");
    for grouped in [false, true] {
        let (base, generation) = validating_model(RESULTS - ROWS_PER_MSG, grouped);
        let chunk: Vec<ValidationEntry> = (RESULTS - ROWS_PER_MSG..RESULTS)
            .map(validation_entry)
            .collect();
        let mut terminal = Terminal::new(TestBackend::new(120, 40)).expect("test backend");
        let key = KeyEvent::new(KeyCode::Char('j'), KeyModifiers::NONE);
        let name = if grouped {
            "chunk + key + frame at 10k rows, problems only grouped by kind"
        } else {
            "chunk + key + frame at 10k rows, lock order"
        };
        group.bench_function(name, |b| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    let mut m = base.clone();
                    let rows = chunk.clone();
                    let start = Instant::now();
                    chunk_key_frame(&mut m, &mut terminal, generation, rows, key);
                    total += start.elapsed();
                }
                total
            });
        });
    }
    group.bench_function(
        "all 10k rows in 256-row chunks, key + frame after each",
        |b| {
            let mut terminal = Terminal::new(TestBackend::new(120, 40)).expect("test backend");
            let key = KeyEvent::new(KeyCode::Char('j'), KeyModifiers::NONE);
            let chunks: Vec<Vec<ValidationEntry>> = (0..RESULTS)
                .collect::<Vec<_>>()
                .chunks(ROWS_PER_MSG)
                .map(|c| c.iter().map(|&i| validation_entry(i)).collect())
                .collect();
            b.iter(|| {
                let (mut m, generation) = validating_model(0, true);
                for rows in chunks.clone() {
                    chunk_key_frame(&mut m, &mut terminal, generation, rows, key);
                }
                assert_eq!(m.validation.entries.len(), RESULTS);
            });
        },
    );
    group.finish();
}

criterion_group!(benches, draw_items, key_during_ingest, draw_map, thumbnail);
criterion_main!(benches);
