//! The console in a real terminal: `stacpkg tui --demo` inside tmux (send-keys /
//! capture-pane). Items stream in from the demo catalogue, whose hrefs point at the
//! in-process file server; a panic inside a task is reported in the status bar and leaves the
//! console working; quitting restores the terminal (cooked mode, echo on). STAC API search
//! from the search pane against `rustac serve` and against the demo's own STAC API, and the
//! CLI's `stacpkg search` against the demo API as a cross-check. `input`: paste and modal
//! popups in a real terminal.

mod input;
mod map;
mod package;

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
        // One tmux server per test: tests run in parallel.
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
    /// Presses `key` and waits until the screen shows `until`; returns that screen.
    fn press(&self, key: &str, until: &str) -> String {
        self.keys(&[key]);
        self.wait_for(until)
    }

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
    let dir = testkit::temp_dir();
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
        quote(&testkit::stacpkg_path()),
        quote(&stty),
    );
    let tmux = Tmux::start(&command);
    let screen = tmux.wait_for("240 items");
    assert!(
        screen.contains("1 Search") && screen.contains("2 Items"),
        "{screen}"
    );

    // Enter opens the item's JSON, in STAC's key order; its asset hrefs (further down, page
    // by page) point at the local file server.
    tmux.keys(&["Enter"]);
    let screen = tmux.wait_for("line 1/");
    assert!(screen.contains("\"type\": \"Feature\""), "{screen}");
    let mut pages = 0;
    while !tmux.screen().contains("\"href\": \"http://127.0.0.1:") {
        assert!(
            pages < 12,
            "no local href in the item's JSON: {}",
            tmux.screen()
        );
        let before = tmux.screen();
        tmux.keys(&["NPage"]);
        let limit = Instant::now() + Duration::from_secs(10);
        while tmux.screen() == before && Instant::now() < limit {
            std::thread::sleep(Duration::from_millis(50));
        }
        pages += 1;
    }
    tmux.keys(&["Escape"]);
    tmux.wait_for_absent("— line ");

    // `/` filters the table.
    tmux.keys(&["/", "drone", "Enter"]);
    tmux.wait_for("/drone → ");

    // A panic in a task: reported, the console keeps answering keys.
    tmux.keys(&["F12"]);
    tmux.wait_for("debug task failed: panicked");
    tmux.keys(&["?"]);
    tmux.wait_for("Keys (esc closes");
    // Esc alone, then q: sent together they would read as alt-q (ESC prefixes a meta key).
    tmux.keys(&["Escape"]);
    tmux.wait_for_absent("Keys (esc closes");
    tmux.keys(&["q"]);
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

/// The console command with private config/state dirs, its exit code echoed afterwards.
fn console(dir: &Path, args: &str) -> String {
    let config = dir.join("config");
    let state = dir.join("state");
    std::fs::create_dir_all(&config).unwrap();
    format!(
        "STACPKG_CONFIG_DIR={} STACPKG_STATE_DIR={} NO_COLOR=1 {} tui {args}; echo EXIT=$?; sleep 600",
        quote(&config),
        quote(&state),
        quote(&testkit::stacpkg_path()),
    )
}

#[test]
fn api_search_against_rustac_serve_streams_items_and_picks_collections() {
    let dir = testkit::temp_dir();
    let Some(items) = testkit::stac_api::generate_items(dir.path(), 120, 11) else {
        return;
    };
    let collection = testkit::stac_api::write_collection(dir.path(), "openaerialmap");
    let Some(server) = testkit::stac_api::RustacServer::start(&collection, &items) else {
        return;
    };
    // `stacpkg tui URL` runs the search at once (POST, so bbox would work too).
    let tmux = Tmux::start(&console(dir.path(), &server.url()));
    let screen = tmux.wait_for("120 items");
    assert!(screen.contains("2 Items"), "{screen}");
    // The search pane reports the finished run; the picker lists the server's collections.
    tmux.keys(&["1"]);
    tmux.wait_for("done: 120 items");
    tmux.keys(&["c"]);
    tmux.wait_for("[ ] openaerialmap");
    tmux.keys(&["Space", "Enter"]);
    tmux.wait_for("collections openaerialmap");
    // max items: the pager stops exactly there.
    tmux.keys(&["j", "j", "j", "e", "25", "Enter", "Enter"]);
    tmux.wait_for("25 items");
    // The search was remembered in the state dir, with its fields.
    let history = std::fs::read_to_string(dir.path().join("state/searches.json")).unwrap();
    assert!(history.contains("\"max_items\": \"25\""), "{history}");
    tmux.keys(&["q"]);
    tmux.wait_for("EXIT=0");
}

#[test]
fn api_search_of_an_unreachable_server_is_one_line_not_a_crash() {
    let dir = testkit::temp_dir();
    let port = testkit::stac_api::free_port();
    let tmux = Tmux::start(&console(
        dir.path(),
        &format!("http://127.0.0.1:{port}/stac"),
    ));
    let screen = tmux.wait_for("✗ landing page http://127.0.0.1:");
    assert!(
        screen.contains("items, failed") || screen.contains("error"),
        "{screen}"
    );
    tmux.keys(&["1"]);
    tmux.wait_for("failed: landing page");
    tmux.keys(&["q"]);
    tmux.wait_for("EXIT=0");
}

#[test]
fn demo_api_search_from_the_prefilled_form() {
    let dir = testkit::temp_dir();
    let tmux = Tmux::start(&console(dir.path(), "--demo"));
    tmux.wait_for("240 items");
    // The form's source is the demo STAC API; set a datetime and max items, then run.
    tmux.keys(&["1"]);
    let screen = tmux.wait_for("STAC API search");
    assert!(screen.contains("source      http://127.0.0.1:"), "{screen}");
    tmux.keys(&["j", "j", "j", "e", "2015-01-01/..", "Enter"]);
    tmux.keys(&["j", "e", "37", "Enter", "Enter"]);
    tmux.wait_for("37 items");
    tmux.keys(&["1"]);
    tmux.wait_for("done: 37 items");
    tmux.keys(&["q"]);
    tmux.wait_for("EXIT=0");
}

/// `stacpkg search` (the CLI) against the demo API finds exactly what it finds in the file.
#[test]
fn cli_search_of_the_demo_api_matches_the_offline_search() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let catalogue = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/demo/items.ndjson");
    let api = runtime
        .block_on(stacpkg::demo::api::serve(&catalogue))
        .unwrap();
    let filters = [
        "--bbox",
        "-20,-40,60,40",
        "--datetime",
        "2018-01-01/..",
        "--output-format",
        "ndjson",
    ];
    let ids = |source: &str, extra: &[&str]| -> Vec<String> {
        let out = testkit::stacpkg()
            .arg("search")
            .arg(source)
            .args(filters)
            .args(extra)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["id"].to_string())
            .collect()
    };
    let offline = ids(catalogue.to_str().unwrap(), &[]);
    assert!(
        !offline.is_empty() && offline.len() < 240,
        "{}",
        offline.len()
    );
    assert_eq!(ids(&api.url(), &["--limit", "7"]), offline);
    assert_eq!(
        ids(&api.url(), &["--limit", "7", "--method", "get"]),
        offline
    );
    // A parameter only a full server applies is refused with the server's own words.
    let out = testkit::stacpkg()
        .args(["search", &api.url(), "--filter", "gsd < 1"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("not supported by the demo API"), "{stderr}");
}

#[test]
fn refuses_without_a_terminal() {
    let out = testkit::stacpkg().args(["tui"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("the console needs a terminal"), "{stderr}");
    let bare = testkit::stacpkg().output().unwrap();
    assert_eq!(bare.status.code(), Some(2));
}

/// Starts [`console`] in tmux, working in `dir` (where the prompts' relative paths land).
fn console_in(dir: &Path, args: &str) -> Tmux {
    Tmux::start(&format!("cd {} && {}", quote(dir), console(dir, args)))
}

/// A local catalogue whose assets are on nginx: derive the lock, change one served file,
/// validate, see exactly that row drift; then write the lock and export the results.
#[test]
fn derive_then_validate_shows_drift_of_a_changed_file_on_nginx() {
    let nginx = testkit::servers::Nginx::start();
    nginx.put_file("scenes/a.tif", b"first scene bytes");
    nginx.put_file("scenes/b.tif", b"second scene bytes");
    let dir = testkit::temp_dir();
    let items: String = ["a", "b"]
        .iter()
        .map(|s| {
            let assets = serde_json::json!({
                "visual": {"href": nginx.url_for(&format!("scenes/{s}.tif"))}
            });
            format!(
                "{}\n",
                testkit::item_with_assets(&format!("scene-{s}"), assets)
            )
        })
        .collect();
    testkit::write_temp(dir.path(), "items.ndjson", items);
    let tmux = console_in(dir.path(), "items.ndjson");
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
    let tmux = console_in(dir.path(), "assets.lock.parquet");
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
    let dir = testkit::temp_dir();
    let tmux = console_in(dir.path(), "--demo");
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
    // The summary line's marker, not the hint bar's `p problems only`.
    let screen = tmux.wait_for("unreachable · problems only");
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
    let dir = testkit::temp_dir();
    let pkg = testkit::package::full_package(dir.path());
    let tmux = console_in(dir.path(), &quote(&pkg));
    let screen = tmux.wait_for("simple-1");
    assert!(screen.contains("2 Items"), "{screen}");
    tmux.keys(&["3"]);
    let screen = tmux.wait_for("3 rows · ");
    assert!(screen.contains("assets.lock.parquet"), "{screen}");
    assert!(screen.contains("simple-2"), "{screen}");
}

/// The whole console flow against real servers: a STAC API search (`rustac serve`) streams
/// items whose assets live on nginx; derive their lock; two served files change (one longer,
/// one deleted); validate shows exactly those rows, with their drift kinds.
#[test]
fn search_then_derive_then_validate_shows_drift_on_real_servers() {
    let dir = testkit::temp_dir();
    let Some((nginx, server)) = catalogue(dir.path()) else {
        return;
    };
    // `stacpkg tui URL` searches at once; the four items stream into the items pane.
    let tmux = console_in(dir.path(), &server.url());
    tmux.wait_for("4 items");
    // Derive the lock for every loaded item: one HEAD per asset on nginx.
    tmux.keys(&["d"]);
    tmux.wait_for("lock: 4 rows for 4 items");
    // The served bytes drift: b grows, d disappears.
    nginx.put_file(
        "scenes/scene-b.tif",
        b"re-encoded and longer than it was before, by far",
    );
    nginx.remove_file("scenes/scene-d.tif");
    tmux.keys(&["v"]);
    let screen = tmux.wait_for("validated 4");
    assert!(
        screen.contains("✓ 2 valid  ✗ 2 drifted  ? 0 unreachable"),
        "{screen}"
    );
    // Problems only: exactly the two changed rows, each with its kind in words.
    tmux.keys(&["p"]);
    tmux.wait_for_absent("scene-a");
    let screen = tmux.screen();
    let problems: Vec<&str> = screen.lines().filter(|l| l.contains("✗ drifted")).collect();
    assert_eq!(problems.len(), 2, "{screen}");
    assert!(
        problems
            .iter()
            .any(|l| l.contains("scene-b") && l.contains("size")),
        "{screen}"
    );
    assert!(
        problems
            .iter()
            .any(|l| l.contains("scene-d") && l.contains("missing")),
        "{screen}"
    );
    assert!(!screen.contains("scene-c"), "{screen}");
    tmux.keys(&["q"]);
}

// ---- Signals and a lost terminal ------------------------------------------------------------

impl Tmux {
    /// A tmux format of the pane, e.g. `#{alternate_on}`.
    fn pane_format(&self, format: &str) -> String {
        let out = Command::new("tmux")
            .args(["-L", &self.socket, "display-message", "-p", format])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    /// Waits until the pane's format `format` reads `value`.
    fn wait_for_format(&self, format: &str, value: &str) {
        let limit = Instant::now() + Duration::from_secs(30);
        loop {
            let now = self.pane_format(format);
            if now == value {
                return;
            }
            assert!(
                Instant::now() < limit,
                "{format} stayed {now:?}, not {value:?}; screen:\n{}",
                self.screen()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn kill_pane(&self) {
        let status = Command::new("tmux")
            .args(["-L", &self.socket, "kill-pane"])
            .status()
            .unwrap();
        assert!(status.success());
    }
}

/// Waits (the limit only stops a broken run) until `path` holds a line, and returns it.
fn wait_for_file(path: &Path) -> String {
    let limit = Instant::now() + Duration::from_secs(30);
    loop {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        if text.ends_with('\n') {
            return text.trim().to_string();
        }
        assert!(
            Instant::now() < limit,
            "{} was never written",
            path.display()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Whether process `pid` still runs (an exited one waiting to be reaped does not).
fn is_running(pid: &str) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
        // `pid (comm) STATE ...`: the state follows the last `)`.
        let state = stat.rsplit(')').next().unwrap_or_default().trim_start();
        !state.starts_with('Z') && !state.starts_with('X')
    })
}

/// Waits until process `pid` is gone, polling (the limit only stops a broken run).
fn wait_until_gone(pid: &str, tmux: Option<&Tmux>) {
    let limit = Instant::now() + Duration::from_secs(30);
    while is_running(pid) {
        assert!(
            Instant::now() < limit,
            "stacpkg (pid {pid}) is still running; screen:\n{}",
            tmux.map(Tmux::screen).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// `stacpkg tui --demo` as its own process (`exec`), its pid written to `dir/pid`; `prefix`
/// goes in front of it (e.g. `setsid`).
fn demo_with_pid(dir: &Path, prefix: &str) -> String {
    let config = dir.join("config");
    let state = dir.join("state");
    std::fs::create_dir_all(&config).unwrap();
    format!(
        "STACPKG_CONFIG_DIR={} STACPKG_STATE_DIR={} NO_COLOR=1 {prefix} sh -c \
         'echo $$ > {}; exec \"$0\" tui --demo' {}",
        quote(&config),
        quote(&state),
        quote(&dir.join("pid")),
        quote(&testkit::stacpkg_path()),
    )
}

/// Starts the demo in tmux between two `stty -g` snapshots of the pane's terminal, waits
/// until it is up (items shown, alternate screen on, cursor hidden), and returns its pid.
fn demo_up(dir: &Path) -> (Tmux, String) {
    let command = format!(
        "stty -g > {}; {}; echo EXIT=$?; stty -g > {}; sleep 600",
        quote(&dir.join("stty-before")),
        demo_with_pid(dir, ""),
        quote(&dir.join("stty-after")),
    );
    let tmux = Tmux::start(&command);
    tmux.wait_for("240 items");
    let pid = wait_for_file(&dir.join("pid"));
    assert_eq!(
        std::fs::read_to_string(format!("/proc/{pid}/comm"))
            .unwrap()
            .trim(),
        "stacpkg"
    );
    // Console mode is on, so the checks after the signal mean something.
    assert_eq!(tmux.pane_format("#{alternate_on} #{cursor_flag}"), "1 0");
    (tmux, pid)
}

/// Sends `signal` to the console; it leaves with `code`, the terminal as it was before
/// (same `stty -g`, alternate screen left, cursor shown), and no process left behind.
fn signal_restores_the_terminal_and_exits_with(signal: &str, code: u8) {
    let dir = testkit::temp_dir();
    let (tmux, pid) = demo_up(dir.path());
    let status = Command::new("kill")
        .args([&format!("-{signal}"), pid.as_str()])
        .status()
        .unwrap();
    assert!(status.success());
    let screen = tmux.wait_for("EXIT=");
    assert!(screen.contains(&format!("EXIT={code}")), "{screen}");
    let before = wait_for_file(&dir.path().join("stty-before"));
    let after = wait_for_file(&dir.path().join("stty-after"));
    assert_eq!(after, before, "terminal settings after {signal}");
    tmux.wait_for_format("#{alternate_on} #{cursor_flag}", "0 1");
    wait_until_gone(&pid, Some(&tmux));
    let log = std::fs::read_to_string(dir.path().join("state/tui.log")).unwrap();
    assert!(log.contains("received: leaving"), "{log}");
    assert!(log.contains("console stopped"), "{log}");
}

#[test]
fn sigterm_restores_the_terminal_and_exits_143() {
    signal_restores_the_terminal_and_exits_with("TERM", 143);
}

#[test]
fn sighup_restores_the_terminal_and_exits_129() {
    signal_restores_the_terminal_and_exits_with("HUP", 129);
}

#[test]
fn sigint_from_outside_restores_the_terminal_and_exits_130() {
    signal_restores_the_terminal_and_exits_with("INT", 130);
}

/// The pane is killed (its pty closes, as on a dropped SSH connection): the console is gone
/// soon after, not left running headless.
#[test]
fn a_killed_pane_ends_the_console() {
    let dir = testkit::temp_dir();
    let (tmux, pid) = demo_up(dir.path());
    tmux.kill_pane();
    wait_until_gone(&pid, None);
}

/// Without any SIGHUP (the console in a session of its own, so the kernel's hangup signal
/// goes elsewhere), the terminal closing alone ends it, with the SIGHUP status 129.
#[test]
fn a_closed_terminal_ends_the_console_without_a_sighup() {
    let dir = testkit::temp_dir();
    let exit = dir.path().join("exit");
    // The outer shell ignores the hangup, so it outlives the pane and records the status.
    let command = format!(
        "trap '' HUP; {}; echo $? > {}",
        demo_with_pid(dir.path(), "setsid"),
        quote(&exit),
    );
    let tmux = Tmux::start(&command);
    tmux.wait_for("240 items");
    let pid = wait_for_file(&dir.path().join("pid"));
    tmux.kill_pane();
    wait_until_gone(&pid, None);
    assert_eq!(wait_for_file(&exit), "129");
    let log = std::fs::read_to_string(dir.path().join("state/tui.log")).unwrap();
    assert!(log.contains("hangup"), "{log}");
}

/// Four items on nginx, served by `rustac serve`; `None` when rustac is skipped.
pub(crate) fn catalogue(
    dir: &Path,
) -> Option<(testkit::servers::Nginx, testkit::stac_api::RustacServer)> {
    let nginx = testkit::servers::Nginx::start();
    let items: String = ["scene-a", "scene-b", "scene-c", "scene-d"]
        .iter()
        .map(|id| {
            nginx.put_file(&format!("scenes/{id}.tif"), id.repeat(40).as_bytes());
            let assets = serde_json::json!({
                "visual": {"href": nginx.url_for(&format!("scenes/{id}.tif"))}
            });
            let mut item = testkit::item_with_assets(id, assets);
            item["collection"] = "scenes".into();
            item["bbox"] = serde_json::json!([10.0, 45.0, 11.0, 46.0]);
            item["geometry"] = serde_json::json!({"type": "Polygon", "coordinates":
                [[[10.0, 45.0], [11.0, 45.0], [11.0, 46.0], [10.0, 46.0], [10.0, 45.0]]]});
            format!("{item}\n")
        })
        .collect();
    let items = testkit::write_temp(dir, "items.ndjson", items);
    let collection = testkit::stac_api::write_collection(dir, "scenes");
    let server = testkit::stac_api::RustacServer::start(&collection, &items)?;
    Some((nginx, server))
}
