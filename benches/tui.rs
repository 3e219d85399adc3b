//! Drawing the items pane with 100,000 rows loaded: only the visible window is turned into
//! text, so a frame should cost well under 5 ms whatever the table size.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use ratatui::backend::TestBackend;
use ratatui::Terminal;
use stacpkg::stac::read::{NdjsonItems, ReadOptions};
use stacpkg::tui::keymap::Keymap;
use stacpkg::tui::model::Model;
use stacpkg::tui::msg::{Command, Msg};
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
    update(&mut m, Msg::ItemsOpened { generation, schema });
    let mut rows = 0;
    while rows < ROWS {
        for b in &batches {
            let b = b.slice(0, b.num_rows().min(ROWS - rows));
            rows += b.num_rows();
            update(
                &mut m,
                Msg::ItemsBatch {
                    generation,
                    batch: b,
                    elapsed_secs: 1.0,
                },
            );
        }
    }
    // Somewhere in the middle of the table.
    for _ in 0..50 {
        update(&mut m, Msg::Command(Command::PageDown));
    }
    m
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
        })
    });
}

criterion_group!(benches, draw_items);
criterion_main!(benches);
