//! The map pane and thumbnails in a real terminal: the demo's footprints as Braille cells,
//! a thumbnail in half-blocks (tmux: `auto` picks them), and a bbox drawn on the map that
//! runs a search returning exactly the items the CLI finds inside it.

use super::{console, Tmux};

/// Waits for `text`, then until two captures 100 ms apart agree: the frame that brought
/// `text` is drawn whole (tmux can be captured while a frame is half written).
fn settled(tmux: &Tmux, text: &str) -> String {
    let mut screen = tmux.wait_for(text);
    for _ in 0..100 {
        std::thread::sleep(std::time::Duration::from_millis(100));
        let again = tmux.screen();
        if again == screen {
            return screen;
        }
        screen = again;
    }
    screen
}

/// Braille pattern cells (U+2801–U+28FF) on a screen.
fn braille(screen: &str) -> usize {
    screen
        .chars()
        .filter(|c| ('\u{2801}'..='\u{28ff}').contains(c))
        .count()
}

#[test]
fn the_demo_map_thumbnail_and_a_bbox_search_drawn_on_the_map() {
    let dir = testkit::temp_dir();
    let tmux = Tmux::start(&console(dir.path(), "--demo"));
    tmux.wait_for("240 items");
    // The map: footprints and land in Braille, the histogram under them.
    tmux.keys(&["6"]);
    let screen = settled(&tmux, "240 of 240 shown items in view");
    assert!(braille(&screen) > 200, "{screen}");
    assert!(
        screen.contains('▲'),
        "the histogram's cursor line: {screen}"
    );
    // A thumbnail, fetched from the demo's file server, drawn in half-blocks.
    tmux.keys(&["T"]);
    let screen = settled(&tmux, "drawn with halfblocks");
    assert!(screen.contains("48×32 px"), "{screen}");
    let blocks = screen.chars().filter(|c| matches!(c, '▀' | '▄')).count();
    assert!(blocks > 50, "{screen}");
    tmux.keys(&["Escape"]);
    tmux.wait_for_absent("drawn with halfblocks");
    // Draw a bbox from the view's centre towards the north-east and put it in the form.
    tmux.press("v", "drawing a bbox");
    for _ in 0..8 {
        tmux.keys(&["l", "k"]);
    }
    tmux.wait_for("drawn bbox");
    tmux.keys(&["B"]);
    let screen = settled(&tmux, "is in the search form");
    let bbox = screen
        .split("bbox ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .expect("the bbox in the status line")
        .to_string();
    // Enter in the search pane runs the demo API search with it.
    tmux.keys(&["Enter"]);
    let catalogue = dir.path().join("state/demo/items.ndjson");
    let out = testkit::stacpkg()
        .arg("search")
        .arg(&catalogue)
        .args(["--bbox", &bbox, "--output-format", "ndjson"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let expected = String::from_utf8(out.stdout).unwrap().lines().count();
    assert!(expected > 0 && expected < 240, "{expected} items in {bbox}");
    let screen = settled(&tmux, &format!("· {expected} items"));
    assert!(!screen.contains("240 items"), "{screen}");
    // The map shows only them.
    tmux.press("6", &format!("of {expected} shown items in view"));
    tmux.keys(&["q"]);
    tmux.wait_for("EXIT=0");
}
