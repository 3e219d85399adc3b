//! `stacpkg push` / `pull` against a real registry (distribution, started per test) and OCI
//! image-layout directories, cross-checked with skopeo, the oras SDK and the Python stacpkg.

use std::path::Path;

use serde_json::Value;
use testkit::oci::{
    check_credentials, pull, pulls_back_from_layout, push, push_to_layout, pushed_to_registry,
    stderr,
};
use testkit::package::{full_package, shipped, tree, write_items, write_lock};
use testkit::registry::{require_tool, Registry};
use testkit::token_auth::TokenServer;
use testkit::{run_python, run_tool, stacpkg, temp_dir, tool_pystacpkg, tool_python};

fn skopeo_manifest(reference: &str) -> Value {
    let Some(skopeo) = require_tool("skopeo") else {
        return Value::Null;
    };
    let raw = run_tool(
        &skopeo,
        ["inspect", "--raw", "--tls-verify=false", reference],
    );
    serde_json::from_str(&raw).expect("skopeo prints the manifest JSON")
}

#[test]
fn registry_round_trip_is_byte_identical_and_ships_only_package_files() {
    let Some(registry) = Registry::start() else {
        return;
    };
    let work = temp_dir();
    let pkg = full_package(work.path());
    let target = registry.reference("pkgs/demo:v1");
    let first = push(&pkg, &target, &[]).success();
    let err = stderr(&first);
    assert!(
        err.contains("assets/old/stale.bin"),
        "stale asset reported: {err}"
    );
    let out = work.path().join("pulled");
    pull(&target, &out, &[]).success();
    assert_eq!(tree(&out), shipped(&pkg));
    assert!(!out.join(".DS_Store").exists() && !out.join("assets/old/stale.bin").exists());

    // A second push sends nothing: every blob is already there.
    let again = push(&pkg, &target, &[]).success();
    assert!(
        stderr(&again).contains("0 blobs, 0 bytes sent"),
        "{}",
        stderr(&again)
    );

    // skopeo reads the manifest: artifact type, empty config, layer types and titles.
    let m = skopeo_manifest(&format!("docker://{target}"));
    if m.is_null() {
        return;
    }
    assert_eq!(m["mediaType"], "application/vnd.oci.image.manifest.v1+json");
    assert_eq!(m["artifactType"], "application/vnd.stacpkg.package.v1+json");
    assert_eq!(
        m["config"]["mediaType"],
        "application/vnd.oci.empty.v1+json"
    );
    assert_eq!(
        m["config"]["digest"],
        "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"
    );
    let layers: Vec<(String, String)> = m["layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["mediaType"].as_str().unwrap().to_string(),
                l["annotations"]["org.opencontainers.image.title"]
                    .as_str()
                    .unwrap()
                    .to_string(),
            )
        })
        .collect();
    let expect = [
        ("application/vnd.stacpkg.items.v1.parquet", "items.parquet"),
        (
            "application/vnd.stacpkg.asset-lock.v1.parquet",
            "assets.lock.parquet",
        ),
        ("text/markdown", "README.md"),
        (
            "application/vnd.stacpkg.asset.v1",
            "assets/simple-1/thumbnail.png",
        ),
        (
            "application/vnd.stacpkg.asset.v1",
            "assets/simple-1/visual.tif",
        ),
        ("application/vnd.stacpkg.files.v1+zip", "incdir"),
    ];
    let expect: Vec<(String, String)> = expect
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
    assert_eq!(layers, expect);
    assert!(m["annotations"]["org.opencontainers.image.created"].is_string());
    assert_eq!(
        m["annotations"]["vnd.stacpkg.version"],
        env!("CARGO_PKG_VERSION")
    );
}

#[test]
fn oras_sdk_reads_what_we_pushed() {
    let Some(registry) = Registry::start() else {
        return;
    };
    if tool_python().is_none() {
        return;
    }
    let work = temp_dir();
    let pkg = full_package(work.path());
    let target = registry.reference("pkgs/oras:v1");
    push(&pkg, &target, &[]).success();
    let out = work.path().join("oras-out");
    let code = r#"
import json, sys, oras.client
target, outdir = sys.argv[1], sys.argv[2]
c = oras.client.OrasClient(hostname=target.split('/')[0], insecure=True)
m = c.get_manifest(target)
files = c.pull(target=target, outdir=outdir)
print(json.dumps({"artifactType": m.get("artifactType"), "n": len(m["layers"])}))
"#;
    let printed = run_python(code, [target.as_str(), out.to_str().unwrap()]);
    let v: Value = serde_json::from_str(printed.trim()).unwrap();
    assert_eq!(v["artifactType"], "application/vnd.stacpkg.package.v1+json");
    assert_eq!(v["n"], 6);
    for f in [
        "items.parquet",
        "assets.lock.parquet",
        "assets/simple-1/visual.tif",
        "README.md",
    ] {
        assert_eq!(
            std::fs::read(out.join(f)).unwrap(),
            std::fs::read(pkg.join(f)).unwrap(),
            "{f}"
        );
    }
}

#[test]
fn python_stacpkg_pulls_ours_and_we_pull_its() {
    let Some(registry) = Registry::start() else {
        return;
    };
    let Some(py) = tool_pystacpkg() else { return };
    let work = temp_dir();
    let pkg = full_package(work.path());

    let ours = registry.reference("pkgs/ours:v1");
    push(&pkg, &ours, &[]).success();
    let py_out = work.path().join("py-pulled");
    run_tool(
        &py,
        [
            "pull",
            ours.as_str(),
            "--plain-http",
            "--output-dir",
            py_out.to_str().unwrap(),
        ],
    );
    assert_eq!(tree(&py_out), shipped(&pkg));

    // The Python tool uploads everything in the directory, hidden and stale files included;
    // we pull all of it back byte for byte.
    let theirs = registry.reference("pkgs/theirs:v1");
    run_tool(
        &py,
        [
            "push",
            pkg.to_str().unwrap(),
            theirs.as_str(),
            "--plain-http",
        ],
    );
    let out = work.path().join("pulled");
    pull(&theirs, &out, &[]).success();
    assert_eq!(tree(&out), tree(&pkg));
}

#[test]
fn bearer_token_registry_takes_flag_env_and_docker_config_credentials() {
    let work = temp_dir();
    let Some(tokens) = TokenServer::start(work.path(), "bob", "t0ken-pw") else {
        return;
    };
    let Some(registry) = Registry::start_with_token_auth(&tokens, ("bob", "t0ken-pw")) else {
        return;
    };
    let pkg = full_package(work.path());
    let target = registry.reference("bearer/pkg:v1");
    check_credentials(&target, &pkg, work.path(), ("bob", "t0ken-pw"));
    // The registry sent every client to the token server; tokens went only to the right login.
    let requests = tokens.requests();
    assert!(
        requests.iter().any(|r| r.granted
            && r.scopes
                .iter()
                .any(|s| s == "repository:bearer/pkg:pull,push")),
        "{requests:?}"
    );
    assert!(requests
        .iter()
        .any(|r| !r.granted && r.user.as_deref() == Some("bob")));
    assert!(requests
        .iter()
        .all(|r| !r.granted || r.user.as_deref() == Some("bob")));
}

#[test]
fn basic_auth_registry_takes_flag_env_and_docker_config_credentials() {
    let Some(registry) = Registry::start_with_auth("alice", "s3cret-pw") else {
        return;
    };
    let work = temp_dir();
    let pkg = work.path().join("pkg");
    write_items(&pkg);
    write_lock(&pkg.join("assets.lock.parquet"), &[]);
    let target = registry.reference("auth/pkg:v1");

    check_credentials(&target, &pkg, work.path(), ("alice", "s3cret-pw"));

    if let Some(py) = tool_pystacpkg() {
        let py_out = work.path().join("py");
        let status = std::process::Command::new(py)
            .args([
                "pull",
                target.as_str(),
                "--plain-http",
                "--auth-backend",
                "basic",
                "--output-dir",
            ])
            .arg(&py_out)
            .env("ORAS_USER", "alice")
            .env("ORAS_PASS", "s3cret-pw")
            .output()
            .unwrap();
        assert!(
            status.status.success(),
            "{}",
            String::from_utf8_lossy(&status.stderr)
        );
        assert_eq!(tree(&py_out), tree(&pkg));
    }
}

#[test]
fn tampered_blob_fails_with_a_digest_error_and_writes_nothing() {
    let Some((registry, work, pkg, target)) = pushed_to_registry("pkgs/tamper:v1") else {
        return;
    };
    let digest = format!(
        "sha256:{}",
        sha256_hex(&std::fs::read(pkg.join("assets/simple-1/visual.tif")).unwrap())
    );
    let data = registry.blob_data(&digest);
    let mut bytes = std::fs::read(&data).unwrap();
    bytes[1000] ^= 0xff;
    std::fs::write(&data, bytes).unwrap();

    let out_parent = work.path().join("out");
    std::fs::create_dir_all(&out_parent).unwrap();
    let out = out_parent.join("pkg");
    let failed = pull(&target, &out, &[]).code(1);
    let err = stderr(&failed);
    assert!(
        err.contains("digest") && err.contains("assets/simple-1/visual.tif"),
        "{err}"
    );
    assert!(!out.exists(), "no partial package");
    assert_eq!(
        std::fs::read_dir(&out_parent).unwrap().count(),
        0,
        "no staging leftovers"
    );
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}

#[test]
fn non_empty_output_dir_needs_force_and_force_replaces_it() {
    let Some((_registry, work, pkg, target)) = pushed_to_registry("pkgs/force:v1") else {
        return;
    };
    let out = work.path().join("out");
    testkit::write_temp(&out, "items.parquet", b"stale");
    testkit::write_temp(&out, "leftover.txt", b"stale");
    let refused = pull(&target, &out, &[]).code(1);
    assert!(stderr(&refused).contains("--force"), "{}", stderr(&refused));
    assert_eq!(std::fs::read(out.join("items.parquet")).unwrap(), b"stale");
    stacpkg()
        .args([
            "pull",
            target.as_str(),
            "--plain-http",
            "--force",
            "--output-dir",
        ])
        .arg(&out)
        .assert()
        .success();
    assert_eq!(tree(&out), shipped(&pkg));
}

/// Rewrites the manifest tagged `tag` in an OCI layout with `edit`, returning the new digest.
fn edit_layout_manifest(layout: &Path, edit: impl FnOnce(&mut Value)) -> String {
    let index_path = layout.join("index.json");
    let mut index: Value = serde_json::from_slice(&std::fs::read(&index_path).unwrap()).unwrap();
    let entry = &mut index["manifests"][0];
    let old = entry["digest"]
        .as_str()
        .unwrap()
        .trim_start_matches("sha256:")
        .to_string();
    let mut manifest: Value =
        serde_json::from_slice(&std::fs::read(layout.join("blobs/sha256").join(old)).unwrap())
            .unwrap();
    edit(&mut manifest);
    let bytes = serde_json::to_vec(&manifest).unwrap();
    let hex = sha256_hex(&bytes);
    std::fs::write(layout.join("blobs/sha256").join(&hex), &bytes).unwrap();
    entry["digest"] = Value::String(format!("sha256:{hex}"));
    entry["size"] = Value::from(bytes.len());
    std::fs::write(&index_path, serde_json::to_vec(&index).unwrap()).unwrap();
    format!("sha256:{hex}")
}

/// The full test package pushed to `oci:WORK/layout:v1`: (work dir, package, layout, target).
fn pushed_to_layout() -> (
    tempfile::TempDir,
    std::path::PathBuf,
    std::path::PathBuf,
    String,
) {
    let work = temp_dir();
    let pkg = full_package(work.path());
    let layout = work.path().join("layout");
    let target = push_to_layout(&pkg, &layout);
    (work, pkg, layout, target)
}

#[test]
fn oci_layout_round_trip_readable_by_skopeo_and_copyable_to_a_registry() {
    let (work, pkg, layout, target) = pushed_to_layout();
    assert_eq!(
        std::fs::read_to_string(layout.join("oci-layout")).unwrap(),
        r#"{"imageLayoutVersion":"1.0.0"}"#
    );
    pulls_back_from_layout(&target, &work.path().join("from-layout"), &pkg);

    let m = skopeo_manifest(&target);
    if m.is_null() {
        return;
    }
    assert_eq!(m["artifactType"], "application/vnd.stacpkg.package.v1+json");
    let Some(registry) = Registry::start() else {
        return;
    };
    let skopeo = require_tool("skopeo").unwrap();
    let dest = format!("docker://{}", registry.reference("copied/pkg:v1"));
    run_tool(
        &skopeo,
        [
            "copy",
            "--dest-tls-verify=false",
            target.as_str(),
            dest.as_str(),
        ],
    );
    let out = work.path().join("from-registry");
    pull(&registry.reference("copied/pkg:v1"), &out, &[]).success();
    assert_eq!(tree(&out), shipped(&pkg));
}

#[test]
fn unsafe_titles_are_refused_before_anything_is_written() {
    let (work, _pkg, layout, target) = pushed_to_layout();
    edit_layout_manifest(&layout, |m| {
        m["layers"][3]["annotations"]["org.opencontainers.image.title"] =
            Value::String("../escaped.png".into());
    });
    let out = work.path().join("out");
    let failed = stacpkg()
        .args(["pull", target.as_str(), "--output-dir"])
        .arg(&out)
        .assert()
        .code(1);
    assert!(
        stderr(&failed).contains("unsafe package path"),
        "{}",
        stderr(&failed)
    );
    assert!(!out.exists());
    assert!(!work.path().join("escaped.png").exists());
}

#[test]
fn pull_checks_artifact_type_and_follows_an_image_index() {
    let (work, pkg, layout, target) = pushed_to_layout();

    // Wrap the manifest in an image index and tag the index instead.
    let index_path = layout.join("index.json");
    let mut index: Value = serde_json::from_slice(&std::fs::read(&index_path).unwrap()).unwrap();
    let entry = index["manifests"][0].clone();
    let mut child = entry.clone();
    child.as_object_mut().unwrap().remove("annotations");
    let inner = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [child],
    });
    let bytes = serde_json::to_vec(&inner).unwrap();
    let hex = sha256_hex(&bytes);
    std::fs::write(layout.join("blobs/sha256").join(&hex), &bytes).unwrap();
    index["manifests"][0] = serde_json::json!({
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "digest": format!("sha256:{hex}"),
        "size": bytes.len(),
        "annotations": {"org.opencontainers.image.ref.name": "v1"},
    });
    std::fs::write(&index_path, serde_json::to_vec(&index).unwrap()).unwrap();
    pulls_back_from_layout(&target, &work.path().join("via-index"), &pkg);

    // Not a stacpkg artifact: refused.
    let other = work.path().join("other");
    let other_target = push_to_layout(&pkg, &other);
    edit_layout_manifest(&other, |m| {
        m["artifactType"] = Value::String("application/vnd.example.thing".into());
    });
    let failed = stacpkg()
        .args(["pull", other_target.as_str(), "--output-dir"])
        .arg(work.path().join("x"))
        .assert()
        .code(1);
    assert!(
        stderr(&failed).contains("not a stacpkg package"),
        "{}",
        stderr(&failed)
    );
}

#[test]
fn push_refuses_a_directory_that_is_not_a_package() {
    let work = temp_dir();
    let failed = stacpkg()
        .arg("push")
        .arg(work.path())
        .arg(format!("oci:{}/layout:v1", work.path().display()))
        .assert()
        .code(1);
    let err = stderr(&failed);
    assert!(
        err.contains("missing items.parquet, assets.lock.parquet"),
        "{err}"
    );
    let bad = stacpkg()
        .args(["push", ".", "http://x/y:z"])
        .assert()
        .code(2);
    assert!(stderr(&bad).contains("no scheme"), "{}", stderr(&bad));
}

/// `push` says on stdout what it pushed, as `oras push` does: `Pushed REF` and `Digest: …`, or
/// with `--format json` the manifest's reference by digest, media type, digest and size. The
/// digest is the manifest the registry stores, and the reference pulls exactly it.
#[test]
fn push_prints_the_reference_and_the_manifest_digest() {
    let Some(registry) = Registry::start() else {
        return;
    };
    let work = temp_dir();
    let pkg = full_package(work.path());
    let target = registry.reference("pkgs/said:v1");
    let text = push(&pkg, &target, &[]).success();
    let text = String::from_utf8(text.get_output().stdout.clone()).unwrap();
    let (first, digest) = text
        .strip_suffix('\n')
        .and_then(|t| t.split_once("\nDigest: "))
        .unwrap_or_else(|| panic!("two lines: {text:?}"));
    assert_eq!(first, format!("Pushed {target}"));
    assert!(
        digest.len() == 71 && digest.starts_with("sha256:"),
        "{digest}"
    );
    let manifest = std::fs::read(registry.blob_data(digest)).unwrap();
    assert_eq!(format!("sha256:{}", sha256_hex(&manifest)), digest);

    // Pushed again (no blob to send) with --format json: the new manifest, said as JSON. Its
    // `created` annotation has a one-second resolution, so the digest may differ from the
    // first push's: compare with the manifest the registry now stores under the printed digest.
    let json = push(&pkg, &target, &["--format", "json"]).success();
    let stdout = &json.get_output().stdout;
    assert_eq!(stdout.iter().filter(|&&b| b == b'\n').count(), 1);
    let report: Value = serde_json::from_slice(stdout).unwrap();
    let digest = report["digest"].as_str().unwrap();
    let manifest = std::fs::read(registry.blob_data(digest)).unwrap();
    assert_eq!(format!("sha256:{}", sha256_hex(&manifest)), digest);
    let repo = target.rsplit_once(':').unwrap().0;
    assert_eq!(
        report,
        serde_json::json!({
            "reference": format!("{repo}@{digest}"),
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "digest": digest,
            "size": manifest.len(),
            "artifactType": "application/vnd.stacpkg.package.v1+json",
            "referenceAsTags": [target],
        })
    );
    let out = work.path().join("by-digest");
    pull(report["reference"].as_str().unwrap(), &out, &[]).success();
    assert_eq!(tree(&out), shipped(&pkg));

    // An image layout: addressed by tag (the default one when none is given).
    let layout = work.path().join("layout");
    let out = stacpkg()
        .arg("push")
        .arg(&pkg)
        .arg(format!("oci:{}", layout.display()))
        .args(["--format", "json"])
        .assert()
        .success();
    let report: Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    let index: Value =
        serde_json::from_slice(&std::fs::read(layout.join("index.json")).unwrap()).unwrap();
    assert_eq!(report["digest"], index["manifests"][0]["digest"]);
    assert_eq!(report["size"], index["manifests"][0]["size"]);
    assert_eq!(
        report["reference"],
        format!("oci:{}:latest", layout.display())
    );
    let bad = stacpkg()
        .arg("push")
        .arg(&pkg)
        .arg(format!("oci:{}", layout.display()))
        .args(["--format", "yaml"])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
}
