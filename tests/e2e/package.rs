//! Package curation in a real terminal against the real local servers: search → mark →
//! derive → validate → build → push (a registry with basic auth, and an `oci:` layout) →
//! pull → the pulled package validates clean and is byte-identical to the built one; a push
//! cancelled midway; the same flow through `:` commands.

use std::path::Path;

use std::time::Duration;

use testkit::proxy::{Fault, FaultProxy};
use testkit::registry::Registry;

use super::{catalogue, quote, Tmux};

/// The console with private config, state and Docker config dirs (so no credentials are
/// found but the ones typed), working in `dir`.
fn console(dir: &Path, args: &str) -> Tmux {
    let docker = dir.join("docker");
    std::fs::create_dir_all(&docker).unwrap();
    Tmux::start(&format!(
        "cd {} && env -u ORAS_USER -u ORAS_PASS DOCKER_CONFIG={} {}",
        quote(dir),
        quote(&docker),
        super::console(dir, args)
    ))
}

fn same_bytes(a: &Path, b: &Path) {
    for f in ["items.parquet", "assets.lock.parquet"] {
        let (x, y) = (
            std::fs::read(a.join(f)).unwrap(),
            std::fs::read(b.join(f)).unwrap(),
        );
        assert!(
            x == y,
            "{f} differs between {} and {}",
            a.display(),
            b.display()
        );
    }
}

impl Tmux {
    /// Types `text` literally (no key names).
    fn type_text(&self, text: &str) {
        let status = std::process::Command::new("tmux")
            .args(["-L", &self.socket, "send-keys", "-l", text])
            .status()
            .unwrap();
        assert!(status.success());
    }

    /// Types `text` at the open prompt, replacing what it holds, and presses enter.
    fn answer(&self, text: &str) {
        // Past the end (ctrl-e), then everything before the cursor (ctrl-u).
        self.keys(&["C-e", "C-u"]);
        self.type_text(text);
        self.keys(&["Enter"]);
    }
}

/// The whole curation flow with keystrokes, to a registry that wants a password.
#[test]
fn search_mark_derive_validate_build_push_pull_with_basic_auth_and_an_oci_layout() {
    let dir = testkit::temp_dir();
    let Some((_nginx, server)) = catalogue(dir.path()) else {
        return;
    };
    let Some(registry) = Registry::start_with_auth("curator", "s3cret-pass") else {
        return;
    };
    let tmux = console(dir.path(), &server.url());
    tmux.wait_for("4 items");
    // Mark two items, derive and validate their lock.
    tmux.keys(&["Space", "Space"]);
    tmux.wait_for("2 marked");
    tmux.press("d", "lock: 2 rows for 2 items");
    tmux.press("v", "validated 2");
    // Build: the preview names the items and the lock, then y builds.
    tmux.keys(&["5", "b"]);
    tmux.wait_for("build package into");
    tmux.answer("built.pkg");
    let preview = tmux.wait_for("y = build");
    assert!(preview.contains("2 marked items"), "{preview}");
    assert!(
        preview.contains("the console's lock: 2 assets"),
        "{preview}"
    );
    tmux.press("y", "built built.pkg");
    let built = dir.path().join("built.pkg");
    let pane = tmux.wait_for("2 items · collections: scenes");
    assert!(pane.contains("items.parquet"), "{pane}");
    // Push: no credentials are found, so the console asks; the password is never shown.
    let target = registry.reference("curation/scenes:v1");
    tmux.press("p", "push to");
    tmux.answer(&format!("{target} --plain-http"));
    tmux.wait_for("registry user:");
    tmux.answer("curator");
    tmux.wait_for("password (hidden):");
    tmux.type_text("s3cret-pass");
    let masked = tmux.screen();
    assert!(!masked.contains("s3cret"), "{masked}");
    tmux.keys(&["Enter"]);
    let confirm = tmux.wait_for("y = push");
    assert!(confirm.contains("this leaves the machine"), "{confirm}");
    assert!(confirm.contains(&target), "{confirm}");
    tmux.keys(&["y"]);
    let pushed = tmux.wait_for("pushed sha256:");
    assert!(registry.has_tag("curation/scenes", "v1"), "{pushed}");
    // Pushing the same tag again wants the tag typed; a wrong word sends nothing.
    tmux.press("p", "push to");
    tmux.answer(&format!("{target} --plain-http"));
    tmux.wait_for("registry user:");
    tmux.answer("curator");
    tmux.wait_for("password (hidden):");
    tmux.answer("s3cret-pass");
    tmux.wait_for("exists: type the tag \"v1\"");
    tmux.answer("v2");
    tmux.wait_for("not the tag");
    // Pull it back into a new directory: it opens in the panes and validates clean.
    tmux.press("l", "pull from");
    tmux.answer(&format!("{target} --plain-http"));
    tmux.wait_for("pull into directory");
    tmux.answer("pulled.pkg");
    tmux.wait_for("registry user:");
    tmux.answer("curator");
    tmux.wait_for("password (hidden):");
    tmux.answer("s3cret-pass");
    tmux.wait_for("pulled ");
    let pulled = dir.path().join("pulled.pkg");
    same_bytes(&built, &pulled);
    tmux.keys(&["3"]);
    tmux.wait_for("pulled.pkg");
    tmux.press("v", "validated 2");
    let clean = tmux.wait_for("✓ 2 valid");
    assert!(clean.contains("✗ 0 drifted"), "{clean}");
    // The same through an OCI image-layout directory.
    tmux.keys(&["5"]);
    tmux.press("p", "push to");
    tmux.answer("oci:layout:v1");
    tmux.wait_for("y = push");
    tmux.press("y", "pushed sha256:");
    tmux.press("l", "pull from");
    tmux.answer("oci:layout:v1");
    tmux.wait_for("pull into directory");
    tmux.answer("from-layout.pkg");
    tmux.wait_for("(pulled from oci:layout:v1)");
    same_bytes(&built, &dir.path().join("from-layout.pkg"));
    // The command log holds the CLI line of every step; the password is not in it.
    tmux.keys(&["L"]);
    let end = tmux.wait_for("Command log");
    assert!(
        end.contains("stacpkg push pulled.pkg oci:layout:v1"),
        "{end}"
    );
    assert!(
        end.contains("stacpkg items from-parquet pulled.pkg/items.parquet"),
        "{end}"
    );
    tmux.keys(&["g"]);
    let top = tmux.wait_for("Command log: the same from a shell (esc closes) · line 1/");
    assert!(top.contains("stacpkg build built.pkg --item-ids"), "{top}");
    assert!(!top.contains("s3cret") && !end.contains("s3cret"));
    tmux.keys(&["Escape"]);
    tmux.wait_for_absent("Command log");
    tmux.keys(&["t"]);
    let tasks = tmux.wait_for("Tasks:");
    assert!(
        tasks.contains("push") && tasks.contains("✓ sha256:"),
        "{tasks}"
    );
    tmux.keys(&["Escape"]);
    tmux.wait_for_absent("Tasks:");
    tmux.keys(&["q"]);
}

/// A push cancelled from the task panel while one blob hangs: the tag keeps its old
/// manifest, and the status says how many blobs landed. (The tag exists first, so the push
/// also wants the tag typed.)
#[test]
fn a_push_cancelled_midway_leaves_no_manifest_and_says_so() {
    let dir = testkit::temp_dir();
    let Some(registry) = Registry::start() else {
        return;
    };
    let old = testkit::package::full_package(&dir.path().join("old"));
    std::fs::write(old.join("README.md"), "an older package").unwrap();
    testkit::oci::push(&old, &registry.reference("pkgs/hung:v1"), &[]).success();
    let before = tag_link(&registry);
    let pkg = testkit::package::full_package(dir.path());
    let readme = testkit::oci::file_digest(&pkg.join("README.md"));
    // The new README's upload never gets an answer.
    let proxy = FaultProxy::with_rule(registry.addr(), move |r| {
        if testkit::oci::is_upload_of(&r.method, &r.target, &readme) {
            Fault::Delay(Duration::from_secs(600))
        } else {
            Fault::Pass
        }
    });
    let tmux = console(dir.path(), &quote(&pkg));
    tmux.wait_for("simple-1");
    tmux.keys(&["5"]);
    tmux.wait_for("items · collections");
    tmux.press("p", "push to");
    tmux.answer(&format!("{}/pkgs/hung:v1 --plain-http", proxy.addr()));
    tmux.wait_for("type the tag \"v1\"");
    tmux.answer("v1");
    tmux.wait_for("blobs ·");
    tmux.keys(&["t"]);
    tmux.wait_for("Tasks:");
    tmux.keys(&["x"]);
    tmux.wait_for("⊘ push can");
    tmux.keys(&["Escape"]);
    // The status line (shortened from the middle at 100 columns) says how many blobs landed.
    let screen = tmux.wait_for("push cancelled: ");
    assert!(screen.contains(" of 7 blobs are in"), "{screen}");
    assert_eq!(
        tag_link(&registry),
        before,
        "the tag still names the old manifest"
    );
    tmux.keys(&["q"]);
}

/// A pull cancelled while a blob hangs leaves no directory and no staging litter.
#[test]
fn a_pull_cancelled_midway_leaves_no_partial_directory() {
    let dir = testkit::temp_dir();
    let Some(registry) = Registry::start() else {
        return;
    };
    let pkg = testkit::package::full_package(&dir.path().join("src"));
    testkit::oci::push(&pkg, &registry.reference("pkgs/slow:v1"), &[]).success();
    let big = testkit::oci::file_digest(&pkg.join("assets/simple-1/visual.tif"));
    // The 3 MiB blob's download stalls after its first 64 KiB.
    let proxy = FaultProxy::with_rule(registry.addr(), move |r| {
        if r.method == "GET" && r.target.contains(&big) {
            Fault::StallAfter(64 << 10)
        } else {
            Fault::Pass
        }
    });
    let work = dir.path().join("work");
    std::fs::create_dir_all(&work).unwrap();
    let tmux = console(&work, "");
    tmux.keys(&["5"]);
    tmux.press("l", "pull from");
    tmux.answer(&format!("{}/pkgs/slow:v1 --plain-http", proxy.addr()));
    tmux.wait_for("pull into directory");
    tmux.answer("slow.pkg");
    tmux.wait_for("blobs ·");
    tmux.keys(&["t"]);
    tmux.wait_for("Tasks:");
    tmux.keys(&["x"]);
    tmux.wait_for("⊘ pull can");
    let left: Vec<String> = std::fs::read_dir(&work)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n != "config" && n != "state" && n != "docker")
        .collect();
    assert!(left.is_empty(), "a cancelled pull left {left:?}");
    tmux.keys(&["Escape", "q"]);
}

/// The manifest digest the registry's tag `pkgs/hung:v1` names, from its storage.
fn tag_link(registry: &Registry) -> String {
    let link = "storage/docker/registry/v2/repositories/pkgs/hung/_manifests/tags/v1/current/link";
    std::fs::read_to_string(registry.storage().join(link)).unwrap()
}

/// The same flow driven through the command line: `:derive`, `:validate`, `:build`,
/// `:push`, `:pull`, `:open`; a line that does not parse stays open with the reason.
#[test]
fn the_curation_flow_through_colon_commands() {
    let dir = testkit::temp_dir();
    let nginx = testkit::servers::Nginx::start();
    let items: String = ["c-1", "c-2"]
        .iter()
        .map(|id| {
            nginx.put_file(&format!("c/{id}.tif"), id.repeat(50).as_bytes());
            let assets =
                serde_json::json!({"visual": {"href": nginx.url_for(&format!("c/{id}.tif"))}});
            format!("{}\n", testkit::item_with_assets(id, assets))
        })
        .collect();
    let items = testkit::write_temp(dir.path(), "items.ndjson", items);
    let tmux = console(dir.path(), &quote(&items));
    tmux.wait_for("c-2");
    tmux.keys(&[":"]);
    tmux.answer("derive");
    tmux.wait_for("lock: 2 rows for 2 items");
    tmux.keys(&[":"]);
    tmux.answer("validate");
    tmux.wait_for("validated 2");
    tmux.keys(&["3"]);
    // Relocate the bytes into a local directory, then enrich the items with the new hrefs.
    tmux.keys(&[":"]);
    tmux.answer("relocate --store-type file --key moved/");
    let preview = tmux.wait_for("y = copy the bytes");
    assert!(preview.contains("2 rows move to file"), "{preview}");
    assert!(preview.contains("/c/c-1.tif"), "{preview}");
    tmux.keys(&["y"]);
    tmux.wait_for("enrich the items: alternate key");
    tmux.answer("moved");
    tmux.wait_for("write the enriched items to");
    tmux.answer("enriched.parquet");
    tmux.wait_for("wrote the enriched items to enriched.parquet");
    let moved = std::fs::read(dir.path().join("moved/c-1/visual.tif")).unwrap();
    assert_eq!(moved, "c-1".repeat(50).as_bytes());
    assert!(
        std::fs::metadata(dir.path().join("enriched.parquet"))
            .unwrap()
            .len()
            > 0
    );
    // The lock pane now holds the relocated lock: validating it checks the copies.
    tmux.keys(&["3"]);
    tmux.wait_for("relocated to file");
    tmux.press("v", "validated 2");
    tmux.wait_for("✓ 2 valid");
    // A mistake stays on the line with the reason.
    tmux.keys(&[":"]);
    tmux.answer("build");
    tmux.wait_for("usage: :build DIR");
    tmux.answer("build rebuilt.pkg --include-assets");
    tmux.wait_for("y = build");
    tmux.press("y", "built rebuilt.pkg");
    tmux.keys(&[":"]);
    tmux.answer("push oci:lay:v1");
    tmux.wait_for("y = push");
    tmux.press("y", "pushed sha256:");
    tmux.keys(&[":"]);
    tmux.answer("pull oci:lay:v1 back.pkg");
    tmux.wait_for("(pulled from oci:lay:v1)");
    let (built, back) = (dir.path().join("rebuilt.pkg"), dir.path().join("back.pkg"));
    same_bytes(&built, &back);
    // The copied assets came along, byte for byte.
    let a = std::fs::read(built.join("assets/c-1/visual.tif")).unwrap();
    let b = std::fs::read(back.join("assets/c-1/visual.tif")).unwrap();
    assert!(a == b && !a.is_empty());
    // ↑ brings the last command back.
    tmux.keys(&[":", "Up"]);
    tmux.wait_for(":pull oci:lay:v1 back.pkg");
    tmux.keys(&["Escape"]);
    tmux.keys(&["q"]);
}

/// `y` and `Y` copy over OSC 52; tmux with `set-clipboard on` keeps them as paste buffers,
/// which `tmux show-buffer` reads back.
#[test]
fn copying_an_item_cell_and_its_json_reaches_the_tmux_clipboard() {
    let dir = testkit::temp_dir();
    let pkg = testkit::package::full_package(dir.path());
    let tmux = Tmux::start(&format!(
        "tmux set-option -g set-clipboard on; cd {} && {}",
        quote(dir.path()),
        super::console(dir.path(), &quote(&pkg))
    ));
    tmux.wait_for("simple-1");
    tmux.keys(&["y"]);
    let status = tmux.wait_for("copied ");
    assert!(status.contains("(OSC 52 via tmux)"), "{status}");
    let buffer = |tmux: &Tmux| {
        let out = std::process::Command::new("tmux")
            .args(["-L", &tmux.socket, "show-buffer"])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let cell = buffer(&tmux);
    assert!(!cell.is_empty() && !cell.contains('\n'), "{cell:?}");
    // I: the item's id.
    tmux.keys(&["I"]);
    let limit = std::time::Instant::now() + Duration::from_secs(30);
    while buffer(&tmux) != "simple-1" {
        assert!(std::time::Instant::now() < limit, "{:?}", buffer(&tmux));
        std::thread::sleep(Duration::from_millis(100));
    }
    // Y: the row as JSON (the buffer changes once the console has written it).
    tmux.keys(&["Y"]);
    let limit = std::time::Instant::now() + Duration::from_secs(30);
    let json = loop {
        if let Ok(json) = serde_json::from_str::<serde_json::Value>(&buffer(&tmux)) {
            break json;
        }
        assert!(std::time::Instant::now() < limit, "{:?}", buffer(&tmux));
        std::thread::sleep(Duration::from_millis(100));
    };
    assert_eq!(json["id"], "simple-1");
    tmux.keys(&["q"]);
}

/// Mouse events reach the console as SGR sequences: a click on a tab focuses its pane, the
/// wheel moves the cursor, a click selects a row.
#[test]
fn sgr_mouse_events_focus_tabs_scroll_and_select_rows() {
    let dir = testkit::temp_dir();
    let pkg = testkit::package::full_package(dir.path());
    let tmux = console(dir.path(), &quote(&pkg));
    tmux.wait_for("row 1/3");
    // SGR: ESC [ < button ; column ; row M, 1-based. Button 65 is the wheel down.
    tmux.type_text("\x1b[<65;10;6M");
    tmux.wait_for("row 3/3");
    tmux.type_text("\x1b[<0;10;5M");
    tmux.wait_for("row 2/3");
    // The "3 Lock" tab starts at column 30 (1-based 31).
    tmux.type_text("\x1b[<0;33;1M");
    tmux.wait_for("3 rows · ");
    tmux.keys(&["q"]);
}

/// `stacpkg doctor` inside tmux reads tmux's own options: with `set-clipboard off` it says
/// copies go to a file, and prints the line that fixes it.
#[test]
fn doctor_inside_tmux_names_the_clipboard_fix() {
    let dir = testkit::temp_dir();
    let report = dir.path().join("doctor.txt");
    let tmux = Tmux::start(&format!(
        "tmux set-option -g set-clipboard off; {} doctor > {}; echo DONE; sleep 60",
        quote(&testkit::stacpkg_path()),
        quote(&report)
    ));
    tmux.wait_for("DONE");
    let text = std::fs::read_to_string(&report).unwrap();
    assert!(text.contains("✗ clipboard"), "{text}");
    assert!(text.contains("fix: set -g set-clipboard on"), "{text}");
    assert!(text.contains("✓ tmux                 yes"), "{text}");
}

/// `NO_COLOR=1` (set by the test console) draws without a single colour escape.
#[test]
fn no_color_means_no_colour_escapes() {
    let dir = testkit::temp_dir();
    let pkg = testkit::package::full_package(dir.path());
    let tmux = console(dir.path(), &quote(&pkg));
    tmux.wait_for("simple-1");
    let out = std::process::Command::new("tmux")
        .args(["-L", &tmux.socket, "capture-pane", "-p", "-e"])
        .output()
        .unwrap();
    let screen = String::from_utf8_lossy(&out.stdout).into_owned();
    // SGR colour parameters: 30–38, 90–97 foreground, backgrounds alike (39 and 49 only reset
    // to the terminal's default, which tmux writes after every run).
    let colour = first_colour(&screen);
    assert!(colour.is_none(), "colour escape {colour:?} in {screen:?}");
    tmux.keys(&["q"]);
}

/// The first SGR sequence of `text` that sets a colour, if any.
fn first_colour(text: &str) -> Option<String> {
    let mut rest = text;
    while let Some(i) = rest.find("\x1b[") {
        let tail = &rest[i + 2..];
        let end = tail.find('m')?;
        let params = &tail[..end];
        if params.chars().all(|c| c.is_ascii_digit() || c == ';') {
            let colour = params.split(';').any(|p| {
                matches!(
                    p.parse::<u16>(),
                    Ok(30..=38 | 40..=48 | 90..=97 | 100..=107)
                )
            });
            if colour {
                return Some(params.to_string());
            }
        }
        rest = &tail[end..];
    }
    None
}
