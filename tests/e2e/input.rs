//! The interaction layer in a real terminal: a bracketed paste (`tmux paste-buffer -p`) lands
//! in the field under the cursor, and `q` inside a popup closes the popup, never the console.

use std::process::Command;

use super::*;

/// Pastes `text` into the pane as a bracketed paste.
fn paste(tmux: &Tmux, text: &str) {
    let status = Command::new("tmux")
        .args(["-L", &tmux.socket, "set-buffer", "--", text])
        .status()
        .unwrap();
    assert!(status.success());
    let status = Command::new("tmux")
        .args(["-L", &tmux.socket, "paste-buffer", "-p"])
        .status()
        .unwrap();
    assert!(status.success());
}

#[test]
fn a_bracketed_paste_lands_in_the_field_under_the_cursor() {
    let dir = testkit::temp_dir();
    let tmux = console_in(dir.path(), "");
    tmux.wait_for("Remembered searches");
    // On the collections field, paste ids one per line: they become one comma list.
    tmux.keys(&["j"]);
    paste(&tmux, "sentinel-2-l2a\nlandsat-c2-l2\n");
    tmux.wait_for("collections: sentinel-2-l2a,landsat-c2-l2▏");
    tmux.keys(&["Home"]);
    paste(&tmux, "naip,");
    tmux.keys(&["Enter"]);
    let screen = tmux.wait_for("naip,sentinel-2-l2a,landsat-c2-l2");
    assert!(!screen.contains("EXIT="), "the console ended: {screen}");
}

#[test]
fn q_inside_a_popup_closes_it_and_the_console_stays() {
    let dir = testkit::temp_dir();
    let tmux = console_in(dir.path(), "--demo");
    tmux.wait_for("240 items");
    tmux.keys(&["2"]);
    tmux.keys(&["Enter"]);
    tmux.wait_for("line 1/");
    tmux.keys(&["q"]);
    tmux.wait_for_absent("line 1/");
    tmux.keys(&["?"]);
    tmux.wait_for("Keys (esc closes");
    tmux.keys(&["q"]);
    tmux.wait_for_absent("Keys (esc closes");
    let screen = tmux.wait_for("240 items");
    assert!(
        !screen.contains("EXIT="),
        "q in a popup quit the console: {screen}"
    );
    // And q outside popups still quits.
    tmux.keys(&["q"]);
    tmux.wait_for("EXIT=0");
}

/// Triage to the end in a real terminal: validate the demo's lock, mark the problems, accept
/// their drift; the new lock opens, and validating it leaves only the object that is gone
/// (a missing object has no current facts to accept).
#[test]
fn accepting_drift_opens_the_new_lock_and_it_validates_clean() {
    let dir = testkit::temp_dir();
    let tmux = console_in(dir.path(), "--demo");
    tmux.wait_for("240 items");
    for (key, until) in [
        ("3", "481 rows"),
        ("v", "validated 481"),
        ("p", "unreachable · problems only"),
        ("a", "4 marked"),
        ("A", "new lock with accepted drift: "),
        // The new lock opens (validation forgets the old lock's results).
        ("Enter", "Not validated yet"),
    ] {
        tmux.press(key, until);
    }
    let screen = tmux.press("3", "481 rows · ");
    assert!(screen.contains("accepted.parquet"), "{screen}");
    let screen = tmux.press("v", "validated 481");
    assert!(screen.contains("✓ 480 valid  ✗ 1 drifted"), "{screen}");
}
