//! `stacpkg inspect`: the Python stacpkg's output on clean packages, plus what it lacks.

use serde_json::Value;
use testkit::package::{full_package, write_items, write_lock};
use testkit::{stacpkg, temp_dir, tool_pystacpkg, write_temp};

fn inspect_json(dir: &std::path::Path, args: &[&str]) -> Value {
    let out = stacpkg()
        .current_dir(dir)
        .args(["inspect", "pkg", "--format", "json"])
        .args(args)
        .assert()
        .success();
    serde_json::from_slice(&out.get_output().stdout).unwrap()
}

#[test]
fn same_output_as_python_stacpkg_on_a_clean_package() {
    let Some(py) = tool_pystacpkg() else { return };
    let work = temp_dir();
    let pkg = full_package(work.path());
    // A clean package: no stale asset, no hidden file (the Python tool lists those too).
    std::fs::remove_dir_all(pkg.join("assets/old")).unwrap();
    std::fs::remove_file(pkg.join(".DS_Store")).unwrap();
    write_temp(&pkg, "notes/ünïcode.txt", b"x");
    for format in ["yaml", "json", "markdown", "md"] {
        let ours = stacpkg()
            .current_dir(work.path())
            .args(["inspect", "pkg", "--format", format])
            .assert()
            .success();
        let ours = String::from_utf8(ours.get_output().stdout.clone()).unwrap();
        let theirs = std::process::Command::new(&py)
            .current_dir(work.path())
            .args(["inspect", "pkg", "--format", format])
            .output()
            .unwrap();
        assert!(theirs.status.success());
        assert_eq!(
            ours,
            String::from_utf8(theirs.stdout).unwrap(),
            "format {format}"
        );
    }
}

#[test]
fn reports_skipped_and_missing_files_and_validation_state() {
    let work = temp_dir();
    let pkg = full_package(work.path());
    std::fs::remove_file(pkg.join("assets/simple-1/thumbnail.png")).unwrap();
    let report = write_temp(
        work.path(),
        "report.jsonl",
        concat!(
            r#"{"item_id":"simple-1","asset_key":"visual","valid":true,"errors":[]}"#,
            "\n",
            r#"{"item_id":"simple-2","asset_key":"visual","valid":false,"errors":["size_bytes changed: 1234 -> 99"]}"#,
            "\n",
            r#"{"item_id":"gone","asset_key":"visual","valid":true,"errors":[]}"#,
            "\n"
        ),
    );
    let doc = inspect_json(work.path(), &["--validation", report.to_str().unwrap()]);
    assert_eq!(doc["items"]["count"], 3);
    assert_eq!(doc["items"]["collections"], serde_json::json!(["demo"]));
    assert_eq!(doc["assets"]["count"], 3);
    assert_eq!(doc["assets"]["known_size_bytes"], (3 << 20) + 9 + 1234);
    let skipped: Vec<&str> = doc["skipped_files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["path"].as_str().unwrap())
        .collect();
    assert_eq!(skipped, [".DS_Store", "assets/old/stale.bin"]);
    assert_eq!(
        doc["missing_files"],
        serde_json::json!(["assets/simple-1/thumbnail.png"])
    );
    let v = &doc["validation"];
    assert_eq!(v["state"], "invalid");
    assert_eq!(
        (v["valid"].as_i64(), v["invalid"].as_i64()),
        (Some(1), Some(1))
    );
    assert_eq!(v["unchecked"], 1);
    assert_eq!(v["not_in_lock"], 1);
    assert_eq!(
        v["failures"][0]["errors"][0],
        "size_bytes changed: 1234 -> 99"
    );
    let files: Vec<&str> = doc["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert_eq!(
        files,
        [
            "README.md",
            "assets/simple-1/visual.tif",
            "assets.lock.parquet",
            "incdir/a.json",
            "incdir/sub/n.txt",
            "items.parquet"
        ]
    );
    let digest = doc["files"][0]["digest"].as_str().unwrap();
    assert!(
        digest.starts_with("sha256:") && digest.len() == 71,
        "{digest}"
    );
}

#[test]
fn validation_state_valid_when_every_row_checked() {
    let work = temp_dir();
    let pkg = work.path().join("pkg");
    write_items(&pkg);
    write_lock(
        &pkg.join("assets.lock.parquet"),
        &[(
            "simple-1",
            "visual",
            "https",
            Some("https://example.com"),
            "a.tif",
            None,
        )],
    );
    let report = write_temp(
        work.path(),
        "r.jsonl",
        r#"{"item_id":"simple-1","asset_key":"visual","valid":true,"errors":[]}"#,
    );
    let md = stacpkg()
        .current_dir(work.path())
        .args(["inspect", "pkg", "--format", "md", "--validation"])
        .arg(&report)
        .assert()
        .success();
    let md = String::from_utf8_lossy(&md.get_output().stdout).into_owned();
    assert!(
        md.contains("## Validation") && md.contains("- State: valid"),
        "{md}"
    );
    assert!(md.contains("- Known asset bytes: 0"), "{md}");
}

#[test]
fn missing_or_non_package_directory_is_an_error() {
    let work = temp_dir();
    let missing = stacpkg()
        .current_dir(work.path())
        .args(["inspect", "nope"])
        .assert()
        .code(1);
    let err = String::from_utf8_lossy(&missing.get_output().stderr).into_owned();
    assert!(err.starts_with("stacpkg: error: package nope"), "{err}");
    assert!(missing.get_output().stdout.is_empty());
    write_temp(work.path(), "plain/readme.txt", b"x");
    let plain = stacpkg()
        .current_dir(work.path())
        .args(["inspect", "plain"])
        .assert()
        .code(1);
    let err = String::from_utf8_lossy(&plain.get_output().stderr).into_owned();
    assert!(
        err.contains("missing items.parquet, assets.lock.parquet"),
        "{err}"
    );
}

/// Symbolic links are never followed out of a package: a link to a private file, to `/`, and
/// a loop are listed as skipped by `inspect`, and `push` ships none of their bytes (the OCI
/// layout it writes holds no blob with the private file's text); a table that is a link is
/// refused before anything is written.
#[test]
fn links_are_never_followed_out_of_a_package() {
    let work = temp_dir();
    let pkg = full_package(work.path());
    let secret = write_temp(work.path(), "private/id_rsa", b"PRIVATE-KEY-MATERIAL");
    let link = |target: &std::path::Path, at: &str| {
        std::os::unix::fs::symlink(target, pkg.join(at)).unwrap();
    };
    link(&secret, "incdir/key");
    link(std::path::Path::new("/"), "incdir/root");
    link(&pkg.join("incdir"), "incdir/sub/loop");
    link(&secret, "top-level-key");
    let doc = inspect_json(work.path(), &[]);
    let skipped: Vec<(&str, &str)> = doc["skipped_files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["path"].as_str().unwrap(),
                s["reason"].as_str().unwrap_or(""),
            )
        })
        .collect();
    for path in [
        "incdir/key",
        "incdir/root",
        "incdir/sub/loop",
        "top-level-key",
    ] {
        assert!(
            skipped.iter().any(|(p, _)| *p == path),
            "{path} not skipped: {skipped:?}"
        );
    }
    let layout = work.path().join("layout");
    let out = stacpkg()
        .arg("push")
        .arg(&pkg)
        .arg(format!("oci:{}:v1", layout.display()))
        .assert()
        .success();
    let err = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(
        err.contains("incdir/key"),
        "the skipped link is reported: {err}"
    );
    for blob in std::fs::read_dir(layout.join("blobs/sha256")).unwrap() {
        let bytes = std::fs::read(blob.unwrap().path()).unwrap();
        assert!(
            !bytes
                .windows(b"PRIVATE-KEY".len())
                .any(|w| w == b"PRIVATE-KEY"),
            "a blob holds the private file"
        );
    }
    // A table that is a link: refused, nothing written.
    let items = pkg.join("items.parquet");
    let real = work.path().join("items-elsewhere.parquet");
    std::fs::rename(&items, &real).unwrap();
    std::os::unix::fs::symlink(&real, &items).unwrap();
    let out = stacpkg()
        .arg("push")
        .arg(&pkg)
        .arg(format!("oci:{}:v2", work.path().join("layout2").display()))
        .assert()
        .code(1);
    let err = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(
        err.starts_with("stacpkg: error: ") && err.contains("items.parquet: is a symbolic link"),
        "{err}"
    );
    assert!(!work.path().join("layout2").exists());
}
