//! The console in a real terminal: `stacpkg tui --demo` inside tmux (send-keys /
//! capture-pane). Items stream in from the demo catalogue, whose hrefs point at the
//! in-process file server; a panic inside a task is reported in the status bar and leaves the
//! console working; quitting restores the terminal (cooked mode, echo on).

mod support;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

/// A tmux server of its own (a private socket), killed on drop.
struct Tmux {
    socket: String,
}

impl Tmux {
    fn start(command: &str) -> Tmux {
        let found = Command::new("tmux").arg("-V").output().is_ok();
        assert!(
            found,
            "tmux is not installed; run `bash scripts/test` (it installs the test tools)"
        );
        let socket = format!("stacpkg-e2e-{}", std::process::id());
        let status = Command::new("tmux")
            .args(["-L", &socket, "-f", "/dev/null", "new-session", "-d"])
            .args(["-x", "100", "-y", "30", command])
            .status()
            .unwrap();
        assert!(status.success());
        Tmux { socket }
    }

    fn keys(&self, keys: &[&str]) {
        for k in keys {
            let status = Command::new("tmux")
                .args(["-L", &self.socket, "send-keys", k])
                .status()
                .unwrap();
            assert!(status.success());
        }
    }

    fn screen(&self) -> String {
        let out = Command::new("tmux")
            .args(["-L", &self.socket, "capture-pane", "-p"])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Waits until the screen shows `text` (the limit only stops a broken run).
    fn wait_for(&self, text: &str) -> String {
        let limit = Instant::now() + Duration::from_secs(30);
        loop {
            let screen = self.screen();
            if screen.contains(text) {
                return screen;
            }
            assert!(
                Instant::now() < limit,
                "the screen never showed {text:?}; last screen:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Tmux {
    /// Waits until the screen no longer shows `text`. Keys sent right after Escape would
    /// otherwise reach the terminal as one Alt+key sequence.
    fn wait_for_absent(&self, text: &str) {
        let limit = Instant::now() + Duration::from_secs(30);
        while self.screen().contains(text) {
            assert!(Instant::now() < limit, "the screen kept showing {text:?}");
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["-L", &self.socket, "kill-server"])
            .status();
    }
}

fn quote(p: &Path) -> String {
    format!("'{}'", p.display())
}

#[test]
fn demo_streams_items_survives_a_task_panic_and_restores_the_terminal() {
    let dir = support::temp_dir();
    let config = dir.path().join("config");
    let state = dir.path().join("state");
    std::fs::create_dir_all(&config).unwrap();
    // The user keymap patches the defaults: F12 panics inside a task.
    std::fs::write(
        config.join("keymap.json"),
        r#"{"bindings":[{"key":"f12","command":"debug_panic_task"}]}"#,
    )
    .unwrap();
    let stty = dir.path().join("stty.txt");
    let command = format!(
        "STACPKG_CONFIG_DIR={} STACPKG_STATE_DIR={} NO_COLOR=1 {} tui --demo; \
         echo EXIT=$?; stty -a > {}; sleep 600",
        quote(&config),
        quote(&state),
        quote(&support::stacpkg_path()),
        quote(&stty),
    );
    let tmux = Tmux::start(&command);
    let screen = tmux.wait_for("240 items");
    assert!(
        screen.contains("1 Search") && screen.contains("2 Items"),
        "{screen}"
    );

    // Enter opens the item's JSON; its hrefs point at the local file server.
    tmux.keys(&["Enter"]);
    let screen = tmux.wait_for("\"href\": \"http://127.0.0.1:");
    assert!(screen.contains("line 1/"), "{screen}");
    tmux.keys(&["Escape"]);
    tmux.wait_for_absent("line 1/");

    // `/` filters the table.
    tmux.keys(&["/", "drone", "Enter"]);
    tmux.wait_for("/drone → ");

    // A panic in a task: reported, the console keeps answering keys.
    tmux.keys(&["F12"]);
    tmux.wait_for("debug task failed: panicked");
    tmux.keys(&["?"]);
    tmux.wait_for("Keys (esc closes)");
    tmux.keys(&["Escape", "q"]);
    tmux.wait_for("EXIT=0");

    let stty = loop {
        let text = std::fs::read_to_string(&stty).unwrap_or_default();
        if text.contains("echo") {
            break text;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let words: Vec<&str> = stty.split_whitespace().collect();
    assert!(
        words.contains(&"icanon") && words.contains(&"echo"),
        "{stty}"
    );
    // The task's panic went to the log file, not over the screen.
    let log = std::fs::read_to_string(state.join("tui.log")).unwrap();
    assert!(log.contains("deliberate panic in a task"), "{log}");
}

#[test]
fn refuses_without_a_terminal() {
    let out = support::stacpkg().args(["tui"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("the console needs a terminal"), "{stderr}");
    let bare = support::stacpkg().output().unwrap();
    assert_eq!(bare.status.code(), Some(2));
}
