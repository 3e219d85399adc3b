//! `stacpkg build`: atomic package directories, included assets and files, refusals.

use testkit::package::{noise, tree};
use testkit::{read_parquet, shell, stacpkg, temp_dir, tool_pystacpkg, write_temp};

fn setup(dir: &std::path::Path) {
    write_temp(dir, "src/a.tif", noise(200_000, 3));
    write_temp(dir, "src/t.png", b"png!");
    write_temp(
        dir,
        "items.ndjson",
        format!(
            concat!(
                r#"{{"type":"Feature","stac_version":"1.0.0","id":"i-1","collection":"c","geometry":{{"type":"Point","coordinates":[1,2]}},"properties":{{"datetime":"2025-01-01T00:00:00Z"}},"links":[],"assets":{{"visual":{{"href":"{}/src/a.tif"}},"thumbnail":{{"href":"src/t.png"}},"metadata":{{"href":"src/missing.json"}}}}}}"#,
                "\n",
                r#"{{"type":"Feature","stac_version":"1.0.0","id":"i-2","collection":"d","geometry":{{"type":"Point","coordinates":[1,2]}},"properties":{{"datetime":"2025-01-01T00:00:00Z"}},"links":[],"assets":{{"thumbnail":{{"href":"src/t.png"}}}}}}"#,
                "\n"
            ),
            dir.display()
        ),
    );
    write_temp(dir, "README.md", b"# readme\n");
    write_temp(dir, "inc/sub/x.txt", b"x\n");
}

#[test]
fn builds_with_assets_and_includes_and_round_trips_through_a_layout() {
    let work = temp_dir();
    setup(work.path());
    shell(r#"$STACPKG items from-ndjson items.ndjson | $STACPKG build pkg --include-assets --includes README.md --includes inc"#)
        .current_dir(work.path())
        .assert()
        .success();
    let pkg = work.path().join("pkg");
    let files: Vec<String> = tree(&pkg).into_keys().collect();
    assert_eq!(
        files,
        [
            "README.md",
            "assets.lock.parquet",
            "assets/i-1/thumbnail.png",
            "assets/i-1/visual.tif",
            "assets/i-2/thumbnail.png",
            "inc/sub/x.txt",
            "items.parquet"
        ]
    );
    assert_eq!(
        std::fs::read(pkg.join("assets/i-1/visual.tif")).unwrap(),
        std::fs::read(work.path().join("src/a.tif")).unwrap()
    );
    let (_, batches) = read_parquet(&pkg.join("assets.lock.parquet"));
    let rows: usize = batches
        .iter()
        .map(arrow::array::RecordBatch::num_rows)
        .sum();
    assert_eq!(rows, 3, "metadata assets skipped by default");
    // No staging leftovers beside the package.
    let beside: Vec<String> = std::fs::read_dir(work.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect();
    assert!(beside.is_empty(), "{beside:?}");

    let layout = format!("oci:{}:v1", work.path().join("layout").display());
    stacpkg()
        .arg("push")
        .arg(&pkg)
        .arg(&layout)
        .assert()
        .success();
    let out = work.path().join("pulled");
    stacpkg()
        .args(["pull", layout.as_str(), "--output-dir"])
        .arg(&out)
        .assert()
        .success();
    assert_eq!(tree(&out), tree(&pkg));

    if let Some(py) = tool_pystacpkg() {
        let theirs = std::process::Command::new(py)
            .current_dir(work.path())
            .args(["inspect", "pkg", "--format", "json"])
            .output()
            .unwrap();
        let ours = stacpkg()
            .current_dir(work.path())
            .args(["inspect", "pkg", "--format", "json"])
            .assert()
            .success();
        assert_eq!(ours.get_output().stdout, theirs.stdout);
    }
}

#[test]
fn refuses_existing_dirs_clobbering_includes_and_leaves_nothing_on_failure() {
    let work = temp_dir();
    setup(work.path());
    write_temp(work.path(), "pkg/old.txt", b"old");
    let refused = shell(
        r#"$STACPKG items from-ndjson items.ndjson | $STACPKG build pkg --no-probe-metadata"#,
    )
    .current_dir(work.path())
    .assert()
    .code(1);
    assert!(String::from_utf8_lossy(&refused.get_output().stderr).contains("--force"));
    shell(r#"$STACPKG items from-ndjson items.ndjson | $STACPKG build pkg --no-probe-metadata --force"#)
        .current_dir(work.path())
        .assert()
        .success();
    assert!(
        !work.path().join("pkg/old.txt").exists(),
        "stale files gone"
    );

    write_temp(work.path(), "x/items.parquet", b"not a table");
    let clobber = shell(r#"$STACPKG items from-ndjson items.ndjson | $STACPKG build pkg2 --no-probe-metadata --includes x/items.parquet"#)
        .current_dir(work.path())
        .assert()
        .code(1);
    assert!(String::from_utf8_lossy(&clobber.get_output().stderr)
        .contains("may not be named items.parquet"));

    // A probe failure (missing metadata asset) fails the build and writes nothing.
    let failed = shell(r#"$STACPKG items from-ndjson items.ndjson | $STACPKG build pkg3 --include-metadata-assets"#)
        .current_dir(work.path())
        .assert()
        .code(1);
    assert!(String::from_utf8_lossy(&failed.get_output().stderr).contains("i-1/metadata"));
    assert!(!work.path().join("pkg3").exists());
}

#[test]
fn given_lock_is_filtered_to_the_selected_items() {
    let work = temp_dir();
    setup(work.path());
    shell(
        r#"$STACPKG items from-ndjson items.ndjson | $STACPKG asset-lock derive --no-probe-metadata > lock.arrow
$STACPKG items from-ndjson items.ndjson | $STACPKG build pkg --asset-lock lock.arrow --collections d"#,
    )
    .current_dir(work.path())
    .assert()
    .success();
    let (_, batches) = read_parquet(&work.path().join("pkg/assets.lock.parquet"));
    let rows: usize = batches
        .iter()
        .map(arrow::array::RecordBatch::num_rows)
        .sum();
    assert_eq!(rows, 1, "only i-2's row");
    let (_, items) = read_parquet(&work.path().join("pkg/items.parquet"));
    assert_eq!(
        items
            .iter()
            .map(arrow::array::RecordBatch::num_rows)
            .sum::<usize>(),
        1
    );
}

/// Names that sanitise to one file — asset keys `visual` (a `.tif` href) and `visual.tif` (no
/// extension), item ids `x/y` and `x_y`, `Visual.tif` on a case-insensitive file system — each
/// keep their own bytes in the package: the later ones get numbered names, and every lock row
/// points at its own file.
#[test]
fn include_assets_never_puts_two_objects_in_one_file() {
    let work = temp_dir();
    let dir = work.path();
    for (name, seed) in [
        ("a.tif", 1),
        ("b", 2),
        ("c.tif", 3),
        ("d.tif", 4),
        ("e.tif", 5),
    ] {
        write_temp(dir, &format!("src/{name}"), noise(5_000, seed));
    }
    let item = |id: &str, assets: &str| {
        format!(
            r#"{{"type":"Feature","stac_version":"1.0.0","id":"{id}","geometry":null,"properties":{{"datetime":"2025-01-01T00:00:00Z"}},"links":[],"assets":{{{assets}}}}}"#
        )
    };
    let lines = [
        item(
            "x/y",
            r#""visual":{"href":"src/a.tif"},"visual.tif":{"href":"src/b"},"Visual.tif":{"href":"src/e.tif"}"#,
        ),
        item("x_y", r#""visual":{"href":"src/c.tif"}"#),
        item("z", r#""visual":{"href":"src/d.tif"}"#),
    ];
    write_temp(dir, "items.ndjson", lines.join("\n") + "\n");
    shell(r#"$STACPKG items from-ndjson items.ndjson | $STACPKG build pkg --include-assets"#)
        .current_dir(dir)
        .assert()
        .success();
    let pkg = dir.join("pkg");
    let (_, batches) = read_parquet(&pkg.join("assets.lock.parquet"));
    let mut sources = std::collections::BTreeMap::new();
    for b in &batches {
        let col = |name: &str| {
            b.column_by_name(name)
                .unwrap()
                .as_any()
                .downcast_ref::<arrow::array::StringArray>()
                .unwrap()
                .clone()
        };
        let (items, assets, keys) = (col("item_id"), col("asset_key"), col("key"));
        for r in 0..b.num_rows() {
            sources.insert(
                (items.value(r).to_string(), assets.value(r).to_string()),
                keys.value(r).to_string(),
            );
        }
    }
    let expected = [
        (("x/y", "visual"), "src/a.tif"),
        (("x/y", "visual.tif"), "src/b"),
        (("x/y", "Visual.tif"), "src/e.tif"),
        (("x_y", "visual"), "src/c.tif"),
        (("z", "visual"), "src/d.tif"),
    ];
    assert_eq!(sources.len(), expected.len(), "{sources:?}");
    let mut lower = std::collections::BTreeSet::new();
    for ((id, asset), source) in expected {
        let key = &sources[&(id.to_string(), asset.to_string())];
        assert!(
            lower.insert(key.to_lowercase()),
            "{key} used twice: {sources:?}"
        );
        assert_eq!(
            std::fs::read(pkg.join(key)).unwrap(),
            std::fs::read(dir.join(source)).unwrap(),
            "{id}/{asset} at {key}"
        );
    }
    assert_eq!(tree(&pkg.join("assets")).len(), expected.len());
}

/// `build --includes DIR` copies no symbolic link from inside DIR (each is reported), and an
/// include that contains the package being built is refused instead of copying itself.
#[test]
fn includes_copy_no_links_and_never_contain_the_package() {
    let work = temp_dir();
    setup(work.path());
    let secret = write_temp(work.path(), "private/token", b"PRIVATE-TOKEN");
    std::os::unix::fs::symlink(&secret, work.path().join("inc/sub/token")).unwrap();
    std::os::unix::fs::symlink("/", work.path().join("inc/root")).unwrap();
    let out = shell(r#"$STACPKG items from-ndjson items.ndjson | $STACPKG build pkg --includes inc --no-probe-metadata"#)
        .current_dir(work.path())
        .assert()
        .success();
    let err = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(
        err.contains("inc/sub/token: a symbolic link, not copied") && err.contains("inc/root"),
        "{err}"
    );
    let files: Vec<String> = tree(&work.path().join("pkg")).into_keys().collect();
    assert_eq!(
        files,
        ["assets.lock.parquet", "inc/sub/x.txt", "items.parquet"]
    );
    // An include around the output: refused (exit 1, like every refused build), nothing written.
    let out = shell(r#"$STACPKG items from-ndjson items.ndjson | $STACPKG build out/pkg --includes ../"$(basename "$PWD")" --no-probe-metadata"#)
        .current_dir(work.path())
        .assert()
        .code(1);
    let err = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(err.contains("contains the package being built"), "{err}");
    assert!(!work.path().join("out").exists());
}
