//! The map pane and thumbnails: zoom, pan and fit; a bbox chosen with the keys and with the
//! mouse, written into the search form; the time histogram filtering the items table; a
//! click selecting a footprint; snapshots of the map and of a half-block thumbnail; the
//! thumbnail fetch against nginx (cached by ETag, a TIFF named as not an image).

use crossterm::event::{KeyCode, KeyModifiers, MouseButton, MouseEvent, MouseEventKind};
use rstest::rstest;
use stacpkg::tui::command::{Command, PaneId};
use stacpkg::tui::model::{Model, Popup};
use stacpkg::tui::msg::{Effect, Msg};
use stacpkg::tui::panes::items::ItemsEffect;
use stacpkg::tui::panes::map::footprint::read_batch;
use stacpkg::tui::panes::map::jobs::read_inline;
use stacpkg::tui::panes::map::update::pane_areas;
use stacpkg::tui::panes::map::{MapEffect, MapMsg};
use stacpkg::tui::thumbnail::{jobs, Loaded, Phase, ThumbnailEffect, ThumbnailMsg};
use stacpkg::tui::update::update;

use super::kit::{code, compute, demo_batches, feed, key, model, render, start_load};

/// The demo's 240 items loaded, the map pane focused.
fn on_map(w: u16, h: u16) -> Model {
    let mut m = model(w, h);
    let g = start_load(&mut m);
    let effects = feed(&mut m, g, &demo_batches(240, 60));
    read_inline(&mut m, effects);
    update(&mut m, key('6'));
    assert_eq!(m.focus, PaneId::Map);
    m
}

fn mouse(kind: MouseEventKind, column: u16, row: u16) -> Msg {
    Msg::Mouse(MouseEvent {
        kind,
        column,
        row,
        modifiers: KeyModifiers::NONE,
    })
}

fn status(m: &Model) -> String {
    m.status.clone().map(|s| s.text).unwrap_or_default()
}

fn inside(b: [f64; 4], (lon, lat): (f64, f64)) -> bool {
    lon >= b[0] && lon <= b[2] && lat >= b[1] && lat <= b[3]
}

#[test]
fn the_map_fits_the_loaded_items_and_zooms_pans_and_fits_the_marked_ones() {
    let mut m = on_map(120, 40);
    assert_eq!(m.map.len(), 240);
    let all = m.map.extent.unwrap();
    let canvas = pane_areas(&m).canvas;
    let view = m.map.view.bounds(canvas);
    assert!(
        view[0] <= all[0].max(-180.0) && view[2] >= all[2].min(180.0),
        "{view:?} {all:?}"
    );
    let span = m.map.view.span;
    update(&mut m, key('+'));
    assert!((m.map.view.span - span / 2.0).abs() < 1e-9);
    update(&mut m, key('-'));
    update(&mut m, key('-'));
    assert!((m.map.view.span - (span * 2.0).min(720.0)).abs() < 1e-9);
    let lon = m.map.view.lon;
    update(&mut m, key('l'));
    assert!(m.map.view.lon > lon, "l pans east");
    let lat = m.map.view.lat;
    update(&mut m, key('k'));
    assert!(m.map.view.lat > lat, "k pans north");
    // Mark two items, fit: the view holds both and is much smaller than the world.
    update(&mut m, key('2'));
    update(&mut m, key(' '));
    update(&mut m, key(' '));
    update(&mut m, key('6'));
    update(&mut m, key('f'));
    let v = m.map.view.bounds(canvas);
    for i in &m.map.items[0][..2] {
        let b = i.bbox.unwrap();
        assert!(
            inside(v, (b[0], b[1])) && inside(v, (b[2], b[3])),
            "{v:?} {b:?}"
        );
    }
    assert!(status(&m).contains("fitted to the 2 marked items"));
    update(&mut m, key('0'));
    assert_eq!(m.map.view.span, 360.0);
    // n selects the next item and the map follows it.
    update(&mut m, key('+'));
    update(&mut m, key('+'));
    update(&mut m, key('+'));
    let before = m.items.cursor;
    update(&mut m, key('n'));
    assert_eq!(m.items.cursor, before + 1);
    let b = m.map.items[0][before + 1].bbox.unwrap();
    let v = m.map.view.bounds(canvas);
    assert!(inside(v, ((b[0] + b[2]) / 2.0, (b[1] + b[3]) / 2.0)));
}

#[test]
fn a_bbox_drawn_with_the_keys_goes_into_the_search_form() {
    let mut m = on_map(120, 40);
    let centre = (m.map.view.lon, m.map.view.lat);
    update(&mut m, key('v'));
    assert!(m.map.draft.unwrap().is_keyed);
    let lon = m.map.view.lon;
    for _ in 0..8 {
        update(&mut m, key('l'));
        update(&mut m, key('k'));
    }
    assert_eq!(
        m.map.view.lon, lon,
        "while drawing, the keys move the corner"
    );
    let drawn = m.map.draft.unwrap().bbox();
    assert_eq!((drawn[0], drawn[1]), centre);
    assert!(drawn[2] > centre.0 && drawn[3] > centre.1);
    assert!(render(&m).contains("drawn bbox"));
    update(&mut m, key('B'));
    assert_eq!(m.focus, PaneId::Search);
    assert_eq!(m.search.cursor, 2);
    let text = &m.search.form.bbox;
    let parsed: Vec<f64> = text.split(',').map(|v| v.parse().unwrap()).collect();
    for (a, b) in parsed.iter().zip(drawn) {
        assert!((a - b).abs() < 1e-5, "{text} {drawn:?}");
    }
    assert!(m.map.draft.is_none());
    // Enter runs the search with it: its request carries the bbox.
    let effects = update(&mut m, code(KeyCode::Enter));
    assert!(
        format!("{effects:?}").contains("bbox: Some("),
        "{effects:?}"
    );
    // Without a drawn bbox, B takes the view; esc drops a drawing.
    update(&mut m, key('6'));
    update(&mut m, key('v'));
    update(&mut m, code(KeyCode::Esc));
    assert!(m.map.draft.is_none());
    update(&mut m, key('B'));
    assert!(status(&m).contains("is in the search form"));
}

#[test]
fn a_mouse_drag_draws_a_bbox_the_wheel_zooms_and_a_click_selects_a_footprint() {
    let mut m = on_map(120, 40);
    let canvas = pane_areas(&m).canvas;
    update(
        &mut m,
        mouse(MouseEventKind::Down(MouseButton::Left), 10, 5),
    );
    update(
        &mut m,
        mouse(MouseEventKind::Drag(MouseButton::Left), 40, 20),
    );
    update(&mut m, mouse(MouseEventKind::Up(MouseButton::Left), 40, 20));
    let d = m.map.draft.unwrap();
    assert!(!d.is_keyed);
    let (a, c) = (m.map.view.at(canvas, 10, 5), m.map.view.at(canvas, 40, 20));
    assert_eq!((d.anchor, d.corner), (a, c));
    let span = m.map.view.span;
    update(&mut m, mouse(MouseEventKind::ScrollUp, 60, 20));
    assert!(m.map.view.span < span);
    // Zoom onto one item, then click at its centre: the cursor goes to it.
    update(&mut m, code(KeyCode::Esc));
    let target = 17;
    let b = m.map.items[0][target].bbox.unwrap();
    m.map.view = stacpkg::tui::panes::map::Viewport::fit(b, canvas);
    m.map.view.span *= 4.0;
    let v = m.map.view;
    // The cell under the item's centre.
    let cx = canvas.x
        + ((((b[0] + b[2]) / 2.0 - v.bounds(canvas)[0]) / v.span) * f64::from(canvas.width)) as u16;
    let lat_span = v.lat_span(canvas);
    let cy = canvas.y
        + (((v.bounds(canvas)[3] - (b[1] + b[3]) / 2.0) / lat_span) * f64::from(canvas.height))
            as u16;
    update(
        &mut m,
        mouse(MouseEventKind::Down(MouseButton::Left), cx, cy),
    );
    update(&mut m, mouse(MouseEventKind::Up(MouseButton::Left), cx, cy));
    assert_eq!(m.items.cursor, target);
}

#[test]
fn a_histogram_bar_filters_the_items_table_and_x_clears_it() {
    let mut m = on_map(120, 40);
    let bins = stacpkg::tui::panes::map::histogram::bins(&m.map, 120).unwrap();
    // The fullest bar.
    let (i, &count) = bins
        .counts
        .iter()
        .enumerate()
        .max_by_key(|(_, c)| **c)
        .unwrap();
    for _ in 0..i {
        update(&mut m, key(']'));
    }
    assert_eq!(m.map.bin, i);
    let effects = update(&mut m, code(KeyCode::Enter));
    let Some(e @ Effect::Items(ItemsEffect::ComputeView { spec, .. })) = effects.first() else {
        panic!("{effects:?}");
    };
    assert_eq!(spec.time_window, Some(bins.window(i)));
    compute(&mut m, e);
    assert_eq!(m.items.rows.len(), count as usize);
    let (s, e) = bins.window(i);
    for r in m.items.rows.iter() {
        let (a, z) = m.map.item(r.batch, r.row).unwrap().time.unwrap();
        assert!(a <= e && z >= s);
    }
    assert!(m.items.selection().label.contains("filtered items"));
    // The items pane says it is filtered by time.
    update(&mut m, key('2'));
    assert!(render(&m).contains(&format!("{count} items shown")) || m.items.is_filtered());
    update(&mut m, key('6'));
    update(&mut m, key('x'));
    assert_eq!(m.items.rows.len(), 240);
    assert!(m.items.time_window.is_none());
}

fn ready_thumbnail(m: &mut Model) {
    update(m, key('2'));
    let effects = update(m, key('T'));
    let Some(Effect::Thumbnail(ThumbnailEffect::Fetch {
        generation, href, ..
    })) = effects.first()
    else {
        panic!("{effects:?}");
    };
    assert!(href.ends_with(".png"), "{href}");
    assert_eq!(m.popup, Some(Popup::Thumbnail));
    // The demo's own PNG for this item, decoded as the task layer does.
    let rel = href.trim_start_matches("https://demo.stacpkg.invalid/");
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("assets/demo/files")
        .join(rel);
    let bytes = std::fs::read(path).unwrap();
    let (image, original) = jobs::decode(href, &bytes).unwrap();
    let msg = ThumbnailMsg::Loaded {
        generation: *generation,
        result: Ok(Loaded {
            image,
            original,
            bytes: bytes.len() as u64,
            is_cached: false,
        }),
    };
    update(m, Msg::Thumbnail(msg));
}

#[test]
fn t_asks_for_the_thumbnail_and_draws_it_in_half_blocks() {
    let mut m = on_map(100, 30);
    ready_thumbnail(&mut m);
    let Some(Phase::Ready(r)) = m.thumbnail.as_ref().map(|t| &t.phase) else {
        panic!("{:?}", m.thumbnail);
    };
    assert_eq!(r.original, (48, 32));
    let screen = render(&m);
    assert!(
        screen.contains("48×32 px") && screen.contains("drawn with halfblocks"),
        "{screen}"
    );
    assert!(screen.contains('▀') || screen.contains('▄'), "{screen}");
    // A resize remakes it for the new size; esc closes it.
    update(
        &mut m,
        Msg::Resized {
            width: 80,
            height: 24,
        },
    );
    assert!(render(&m).contains("48×32 px"));
    update(&mut m, code(KeyCode::Esc));
    assert_eq!(m.popup, None);
    // An answer to an older request is dropped.
    let stale = ThumbnailMsg::Loaded {
        generation: 0,
        result: Err("late".into()),
    };
    update(&mut m, Msg::Thumbnail(stale));
    assert!(matches!(
        m.thumbnail.as_ref().unwrap().phase,
        Phase::Ready(_)
    ));
}

#[test]
fn an_item_without_a_thumbnail_says_so() {
    let mut m = model(80, 24);
    let g = start_load(&mut m);
    let line = r#"{"type":"Feature","stac_version":"1.0.0","id":"bare","geometry":null,"properties":{"datetime":"2024-01-01T00:00:00Z"},"links":[],"assets":{"data":{"href":"d.tif"}}}"#;
    let batches: Vec<_> = stacpkg::stac::read::NdjsonItems::scan(
        std::io::Cursor::new(format!("{line}\n")),
        "t",
        stacpkg::stac::read::ReadOptions::default(),
    )
    .unwrap()
    .collect::<Result<_, _>>()
    .unwrap();
    let effects = feed(&mut m, g, &batches);
    read_inline(&mut m, effects);
    update(&mut m, key('2'));
    assert!(update(&mut m, key('T')).is_empty());
    assert!(status(&m).contains("item bare has no thumbnail or overview asset"));
    // The map says the item has no footprint.
    update(&mut m, key('6'));
    assert!(render(&m).contains("1 without a footprint"));
}

/// The fetch against a real server: the bytes come once, then from the cache while the
/// ETag holds; a changed file is fetched again; a TIFF is named as not a thumbnail.
#[test]
fn thumbnails_come_through_the_store_layer_and_are_cached_by_etag() {
    let nginx = testkit::servers::Nginx::start();
    let dir = testkit::temp_dir();
    let png = std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("assets/demo/files/530f0cb92620c2065fec69d7/0/530f0cb92620c2065fec69d8.png"),
    )
    .unwrap();
    nginx.put_file("t/a.png", &png);
    nginx.put_file("t/a.tif", b"II*\0not a preview");
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let cache = dir.path().join("thumbnails");
    let fetch =
        |href: String| runtime.block_on(jobs::fetch(&href, dir.path().to_path_buf(), Some(&cache)));
    let first = fetch(nginx.url_for("t/a.png")).unwrap();
    assert!(!first.is_cached);
    assert_eq!(first.original, (48, 32));
    assert_eq!(std::fs::read_dir(&cache).unwrap().count(), 1);
    let second = fetch(nginx.url_for("t/a.png")).unwrap();
    assert!(second.is_cached);
    // New bytes, new ETag: fetched again.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let mut other = png.clone();
    other.extend_from_slice(b"trailing");
    nginx.put_file("t/a.png", &other);
    assert!(!fetch(nginx.url_for("t/a.png")).unwrap().is_cached);
    let tif = fetch(nginx.url_for("t/a.tif")).unwrap_err();
    assert!(
        tif.contains("is a TIFF") && tif.contains("PNG and JPEG"),
        "{tif}"
    );
    let missing = fetch(nginx.url_for("t/none.png")).unwrap_err();
    assert!(missing.to_lowercase().contains("not found"), "{missing}");
}

fn map_in(state: &str, w: u16, h: u16) -> Model {
    if state == "empty" {
        let mut m = model(w, h);
        update(&mut m, key('6'));
        return m;
    }
    let mut m = on_map(w, h);
    match state {
        "selection" => {
            update(&mut m, key('2'));
            for _ in 0..5 {
                update(&mut m, key(' '));
            }
            update(&mut m, key('6'));
            update(&mut m, key('n'));
        }
        "bbox" => {
            m.search.form.bbox = "-20,-40,60,40".into();
            update(&mut m, key('v'));
            for _ in 0..6 {
                update(&mut m, key('l'));
                update(&mut m, key('j'));
            }
        }
        "filtered" => {
            for _ in 0..(w / 3) {
                update(&mut m, key(']'));
            }
            let effects = update(&mut m, code(KeyCode::Enter));
            compute(&mut m, &effects[0]);
        }
        _ => {}
    }
    m
}

#[rstest]
fn snapshots(
    #[values("empty", "items", "selection", "bbox", "filtered")] state: &str,
    #[values((80, 24), (120, 40))] size: (u16, u16),
) {
    let m = map_in(state, size.0, size.1);
    let name = format!("map_{state}_{}x{}", size.0, size.1);
    insta::assert_snapshot!(name, render(&m));
}

#[rstest]
fn thumbnail_snapshots(#[values((80, 24), (120, 40))] size: (u16, u16)) {
    let mut m = on_map(size.0, size.1);
    ready_thumbnail(&mut m);
    let name = format!("thumbnail_{}x{}", size.0, size.1);
    insta::assert_snapshot!(name, render(&m));
}

/// Batches that arrive while a read is out wait for it; a new load drops the old answers.
#[test]
fn footprints_are_read_in_the_task_layer_one_read_at_a_time() {
    let mut m = model(80, 24);
    let g = start_load(&mut m);
    let batches = demo_batches(90, 30);
    let effects = feed(&mut m, g, &batches[..1]);
    let reads: Vec<_> = effects
        .into_iter()
        .filter(|e| matches!(e, Effect::Map(_)))
        .collect();
    assert_eq!(reads.len(), 1);
    assert!(m.map.is_reading);
    // Two more batches arrive while the first read is out: no second read yet.
    for b in &batches[1..] {
        let e = update(
            &mut m,
            Msg::Items(stacpkg::tui::panes::items::ItemsMsg::Batch {
                generation: g,
                batch: b.clone(),
                elapsed_secs: 0.1,
            }),
        );
        assert!(!e.iter().any(|e| matches!(e, Effect::Map(_))), "{e:?}");
    }
    // Its answer asks for the other two.
    let Effect::Map(MapEffect::Read {
        generation,
        first,
        batches: b,
        ..
    }) = &reads[0]
    else {
        unreachable!()
    };
    let answer = MapMsg::Read {
        generation: *generation,
        first: *first,
        batches: b.iter().map(read_batch).collect(),
    };
    let next = update(&mut m, Msg::Map(answer));
    let Some(Effect::Map(MapEffect::Read { first, batches, .. })) = next.first() else {
        panic!("{next:?}");
    };
    assert_eq!((*first, batches.len()), (1, 2));
    read_inline(&mut m, next);
    assert_eq!(m.map.len(), 90);
    // A new load: an answer for the old one is dropped.
    let old = MapMsg::Read {
        generation: g,
        first: 0,
        batches: vec![read_batch(&batches_of_one())],
    };
    start_load(&mut m);
    update(&mut m, Msg::Map(old));
    assert!(m.map.is_empty());
}

fn batches_of_one() -> arrow::array::RecordBatch {
    demo_batches(1, 1).remove(0)
}

#[test]
fn the_map_keys_are_in_the_keymap_and_the_help() {
    let keymap = stacpkg::tui::keymap::Keymap::default();
    for c in [
        Command::ZoomIn,
        Command::FitSelection,
        Command::DrawBbox,
        Command::UseBbox,
        Command::FilterBin,
        Command::ShowThumbnail,
    ] {
        assert!(keymap.key_for(PaneId::Map, c).is_some(), "{c:?}");
    }
    assert!(keymap
        .key_for(PaneId::Items, Command::ShowThumbnail)
        .is_some());
}
