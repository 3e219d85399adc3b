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
        // One tmux server per test: tests run in parallel in one process.
        static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let socket = format!("stacpkg-e2e-{}-{n}", std::process::id());
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

/// Starts `stacpkg tui ARGS` in tmux with private config/state dirs and NO_COLOR.
fn console(dir: &Path, args: &str) -> Tmux {
    let config = dir.join("config");
    let state = dir.join("state");
    std::fs::create_dir_all(&config).unwrap();
    let command = format!(
        "cd {} && STACPKG_CONFIG_DIR={} STACPKG_STATE_DIR={} NO_COLOR=1 {} tui {args}; sleep 600",
        quote(dir),
        quote(&config),
        quote(&state),
        quote(&support::stacpkg_path()),
    );
    Tmux::start(&command)
}

/// A local catalogue whose assets are on nginx: derive the lock, change one served file,
/// validate, see exactly that row drift; then write the lock and export the results.
#[test]
fn derive_then_validate_shows_drift_of_a_changed_file_on_nginx() {
    let nginx = support::servers::Nginx::start();
    nginx.put_file("scenes/a.tif", b"first scene bytes");
    nginx.put_file("scenes/b.tif", b"second scene bytes");
    let dir = support::temp_dir();
    let items: String = ["a", "b"]
        .iter()
        .map(|s| {
            let assets = serde_json::json!({
                "visual": {"href": nginx.url_for(&format!("scenes/{s}.tif"))}
            });
            format!(
                "{}\n",
                support::item_with_assets(&format!("scene-{s}"), assets)
            )
        })
        .collect();
    support::write_temp(dir.path(), "items.ndjson", items);
    let tmux = console(dir.path(), "items.ndjson");
    tmux.wait_for("2 items");
    tmux.keys(&["d"]);
    tmux.wait_for("lock: 2 rows for 2 items");
    nginx.put_file("scenes/b.tif", b"second scene bytes, re-encoded");
    tmux.keys(&["v"]);
    let screen = tmux.wait_for("validated 2");
    assert!(
        screen.contains("✓ 1 valid  ✗ 1 drifted  ? 0 unreachable"),
        "{screen}"
    );
    let drifted: Vec<&str> = screen.lines().filter(|l| l.contains("✗ drifted")).collect();
    assert_eq!(drifted.len(), 1, "{screen}");
    assert!(
        drifted[0].contains("size, etag") && drifted[0].contains("scene-b"),
        "{screen}"
    );
    // Export the results: the same JSON lines as `asset-lock validate`.
    tmux.keys(&["x"]);
    tmux.wait_for("export JSON lines to:");
    tmux.keys(&["Enter"]);
    tmux.wait_for("exported 2 results");
    let jsonl = std::fs::read_to_string(dir.path().join("validation.jsonl")).unwrap();
    assert!(
        jsonl.lines().nth(1).unwrap().contains("\"valid\": false"),
        "{jsonl}"
    );
    // Write the lock; writing again asks before replacing.
    tmux.keys(&["3", "w"]);
    tmux.wait_for("write lock to:");
    tmux.keys(&["Enter"]);
    tmux.wait_for("wrote 2 lock rows");
    assert!(dir.path().join("assets.lock.parquet").is_file());
    tmux.keys(&["w"]);
    tmux.wait_for("write lock to:");
    tmux.keys(&["Enter"]);
    tmux.wait_for("Replace it?");
    tmux.keys(&["n"]);
    tmux.wait_for("not replaced");
    drop(tmux);

    // `stacpkg tui LOCK.parquet` opens the written lock; validating it still sees the drift.
    let tmux = console(dir.path(), "assets.lock.parquet");
    tmux.wait_for("2 rows · ");
    tmux.keys(&["v"]);
    let screen = tmux.wait_for("validated 2");
    assert!(
        screen.contains("✓ 1 valid  ✗ 1 drifted  ? 0 unreachable"),
        "{screen}"
    );
}

/// The demo out of the box: the bundled lock is in the lock pane, and validating it shows
/// exactly the drift `scripts/gen-demo` made (4 of 481 rows).
#[test]
fn demo_validate_shows_the_bundled_drift() {
    let dir = support::temp_dir();
    let tmux = console(dir.path(), "--demo");
    tmux.wait_for("240 items");
    tmux.keys(&["3"]);
    tmux.wait_for("481 rows");
    tmux.keys(&["v"]);
    let screen = tmux.wait_for("validated 481");
    assert!(
        screen.contains("✓ 477 valid  ✗ 4 drifted  ? 0 unreachable"),
        "{screen}"
    );
    tmux.keys(&["p"]);
    let screen = tmux.wait_for("problems only");
    for drift in [
        "drifted: missing",
        "drifted: size, etag",
        "drifted: last_modified",
        "drifted: etag ",
    ] {
        assert!(screen.contains(drift), "{drift}: {screen}");
    }
}

/// `stacpkg tui PACKAGE_DIR`: the package's items in the items pane, its lock in the lock pane.
#[test]
fn a_package_directory_opens_its_items_and_its_lock() {
    let dir = support::temp_dir();
    let pkg = support::package::full_package(dir.path());
    let tmux = console(dir.path(), &quote(&pkg));
    let screen = tmux.wait_for("simple-1");
    assert!(screen.contains("2 Items"), "{screen}");
    tmux.keys(&["3"]);
    let screen = tmux.wait_for("3 rows · ");
    assert!(screen.contains("assets.lock.parquet"), "{screen}");
    assert!(screen.contains("simple-2"), "{screen}");
}
