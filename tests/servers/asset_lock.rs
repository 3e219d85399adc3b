//! The asset-lock commands against real servers on 127.0.0.1: nginx (http), moto (s3), and a
//! fault-injecting TCP proxy in front of nginx (5xx, 429 + Retry-After, reset, stall).
//!
//! The servers come from the shared harness (`testkit::servers`, `testkit::proxy`):
//! started by the test itself (random ports, temp dirs, killed on drop); a missing server binary
//! fails with a hint to run `bash scripts/test`. Slow servers (a dripping body, headers later
//! than the client's timeout, a body that stalls mid-copy) must end in a per-row result or a
//! successful retry, never a hang: the tests set `STACPKG_TIMEOUT_SECS` small to keep them short.

use std::path::Path;
use std::time::{Duration, SystemTime};

use serde_json::{json, Value};
use testkit::proxy::{Fault, FaultProxy};
use testkit::servers::{Azurite, FakeGcs, Moto, Nginx};
use testkit::{shell, temp_dir, write_temp};

fn item(id: &str, assets: Value) -> Value {
    json!({"type": "Feature", "stac_version": "1.1.0", "id": id, "collection": "c",
        "geometry": null, "properties": {"datetime": "2026-01-01T00:00:00Z"}, "links": [],
        "assets": assets})
}

fn write_items(dir: &Path, items: &[Value]) {
    let text: String = items.iter().map(|i| format!("{i}\n")).collect();
    write_temp(dir, "items.ndjson", text);
}

fn lines(stdout: &[u8]) -> Vec<Value> {
    String::from_utf8_lossy(stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn validate(dir: &Path, envs: &[(&str, &str)]) -> (i32, Vec<Value>, String) {
    let mut cmd =
        shell("$STACPKG asset-lock from-parquet lock.parquet | $STACPKG asset-lock validate");
    cmd.current_dir(dir);
    for (k, v) in envs {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    (
        out.status.code().unwrap(),
        lines(&out.stdout),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn derive(dir: &Path) {
    shell("$STACPKG items from-ndjson items.ndjson | $STACPKG asset-lock derive | $STACPKG asset-lock to-parquet lock.parquet")
        .current_dir(dir)
        .assert()
        .success();
}

/// An instant `secs` seconds ago (nginx's Last-Modified has one-second resolution).
fn ago(secs: u64) -> SystemTime {
    SystemTime::now() - Duration::from_secs(secs)
}

#[test]
fn http_derive_validate_and_real_drift() {
    let nginx = Nginx::start();
    for (name, body) in [
        ("a.bin", "a".repeat(10)),
        ("b.bin", "b".repeat(20)),
        ("c.bin", "c".repeat(30)),
        ("d.bin", "d".repeat(40)),
    ] {
        nginx.put_file(name, body);
        nginx.set_mtime(name, ago(100));
    }
    let dir = temp_dir();
    let url = |n: &str| format!("{}/{n}", nginx.url());
    write_items(
        dir.path(),
        &[
            item(
                "i1",
                json!({"a": {"href": url("a.bin")}, "b": {"href": url("b.bin")}}),
            ),
            item(
                "i2",
                json!({"c": {"href": url("c.bin")}, "d": {"href": url("d.bin")}}),
            ),
        ],
    );
    derive(dir.path());
    let (code, results, _) = validate(dir.path(), &[]);
    assert_eq!(code, 0, "{results:?}");
    assert_eq!(results.len(), 4);
    // a: bigger; b: same size, other bytes, new mtime; c: only touched; d: untouched.
    nginx.put_file("a.bin", "a".repeat(11));
    nginx.put_file("b.bin", "B".repeat(20));
    nginx.set_mtime("b.bin", ago(50));
    nginx.set_mtime("c.bin", ago(10));
    let (code, results, _) = validate(dir.path(), &[]);
    assert_eq!(code, 1);
    let valid: Vec<_> = results
        .iter()
        .map(|r| r["valid"].as_bool().unwrap())
        .collect();
    assert_eq!(valid, [false, false, false, true]);
    let first = |i: usize| results[i]["errors"][0].as_str().unwrap().to_string();
    assert_eq!(first(0), "size mismatch: expected 10, actual 11");
    assert!(
        first(1).starts_with("etag mismatch: expected \""),
        "{}",
        first(1)
    );
    assert!(results[2]["errors"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e.as_str().unwrap().starts_with("last_modified mismatch")));
    assert_eq!(results[0]["store_container"], nginx.url());
}

#[test]
fn relocate_http_to_s3_and_back_keeps_the_bytes() {
    let nginx = Nginx::start();
    let moto = Moto::start();
    moto.create_bucket("dest-bkt");
    let small: Vec<u8> = (0..5000u32).map(|i| (i * 7 % 251) as u8).collect();
    let big: Vec<u8> = (0..11 * 1024 * 1024u32).map(|i| (i % 253) as u8).collect();
    nginx.put_file("small.bin", &small);
    nginx.put_file("big.bin", &big);
    let dir = temp_dir();
    write_items(
        dir.path(),
        &[item(
            "it",
            json!({
        "small": {"href": format!("{}/small.bin", nginx.url())},
        "big": {"href": format!("{}/big.bin", nginx.url())}}),
        )],
    );
    derive(dir.path());
    let env = moto.env();
    let relocate = format!(
        "$STACPKG asset-lock from-parquet lock.parquet | $STACPKG asset-lock relocate --store-type s3 \
         --store-container dest-bkt --store-endpoint-url {} --key runs/1 --chunk-size-bytes 5MiB {{}} \
         | $STACPKG asset-lock to-parquet s3.parquet",
        moto.endpoint()
    );
    let mut cmd = shell(&relocate.replace("{}", ""));
    cmd.current_dir(dir.path())
        .envs(env.clone())
        .assert()
        .success();
    let (_, batches) = testkit::read_parquet(&dir.path().join("s3.parquet"));
    use arrow::array::{Array, AsArray};
    let etags = batches[0]
        .column_by_name("etag")
        .unwrap()
        .as_string::<i32>()
        .clone();
    let keys = batches[0]
        .column_by_name("key")
        .unwrap()
        .as_string::<i32>()
        .clone();
    let etag_of = |k: &str| {
        (0..keys.len())
            .find(|&i| keys.value(i) == k)
            .map(|i| etags.value(i).to_string())
            .unwrap()
    };
    assert!(
        etag_of("runs/1/it/big.bin").ends_with("-3\""),
        "multipart above the chunk size"
    );
    let single = etag_of("runs/1/it/small.bin");
    assert!(
        !single.contains('-') && single.len() == 34,
        "one PUT below the chunk size: {single}"
    );
    // The s3 lock validates, a second --no-overwrite run accepts the identical objects, and
    // copying back to disk gives the original bytes.
    let out = shell("$STACPKG asset-lock from-parquet s3.parquet | $STACPKG asset-lock validate")
        .current_dir(dir.path())
        .envs(env.clone())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    shell(&relocate.replace("{}", "--no-overwrite"))
        .current_dir(dir.path())
        .envs(env.clone())
        .assert()
        .success();
    shell("$STACPKG asset-lock from-parquet s3.parquet | $STACPKG asset-lock relocate --store-type file --key back --layout source-key > /dev/null")
        .current_dir(dir.path()).envs(env.clone()).assert().success();
    assert_eq!(
        std::fs::read(dir.path().join("back/runs/1/it/small.bin")).unwrap(),
        small
    );
    assert_eq!(
        std::fs::read(dir.path().join("back/runs/1/it/big.bin")).unwrap(),
        big
    );
    // s3:// hrefs find their endpoint through the bucket-scoped variable.
    write_items(
        dir.path(),
        &[item(
            "s",
            json!({"x": {"href": "s3://dest-bkt/runs/1/it/small.bin"}}),
        )],
    );
    let mut bucket_env = env.clone();
    bucket_env.retain(|(k, _)| k != "AWS_ENDPOINT_URL");
    bucket_env.push(("STACPKG_S3_ENDPOINT_DEST_BKT".into(), moto.endpoint()));
    let out = shell("$STACPKG items from-ndjson items.ndjson | $STACPKG asset-lock derive | $STACPKG asset-lock validate")
        .current_dir(dir.path()).envs(bucket_env).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Short limits so slow-server tests take seconds: 1 s per request (and per silent read), two
/// retries after the first attempt.
const FAST: [(&str, &str); 2] = [("STACPKG_TIMEOUT_SECS", "1"), ("STACPKG_MAX_RETRIES", "2")];
/// A guard, not a timing assertion: a command still running after this is hung, so the test
/// fails instead of blocking the suite.
const HANG_GUARD: Duration = Duration::from_secs(120);
/// Header bytes per second for [`Fault::Drip`] so slow that one HEAD answer (~250 bytes)
/// outlasts the 1 s request timeout of [`FAST`].
const HEAD_DRIP_BYTES_PER_SEC: u64 = 40;

/// Nginx serving `x.bin` (`body`), a fault proxy in front whose plan is one pass (the derive
/// in `dir`) then `faults`, and a lock in `dir` of that asset through the proxy.
fn proxied_lock(nginx: &Nginx, dir: &Path, body: &[u8], faults: Vec<Fault>) -> FaultProxy {
    proxied_lock_with_default(nginx, dir, body, faults, Fault::Pass)
}

/// [`proxied_lock`] with `default` for the requests after the plan.
fn proxied_lock_with_default(
    nginx: &Nginx,
    dir: &Path,
    body: &[u8],
    faults: Vec<Fault>,
    default: Fault,
) -> FaultProxy {
    nginx.put_file("x.bin", body);
    let plan = std::iter::once(Fault::Pass).chain(faults).collect();
    let proxy = FaultProxy::start_with_default(nginx.addr(), plan, default);
    let href = format!("{}/x.bin", proxy.url());
    write_items(dir, &[item("i", json!({"x": {"href": href}}))]);
    derive(dir);
    proxy
}

/// `validate` of `dir`'s lock with [`FAST`] limits, failing instead of hanging.
fn validate_fast(dir: &Path) -> (i32, Vec<Value>, String) {
    let out = shell("$STACPKG asset-lock from-parquet lock.parquet | $STACPKG asset-lock validate")
        .current_dir(dir)
        .envs(FAST)
        .timeout(HANG_GUARD)
        .output()
        .unwrap();
    let code = out.status.code().expect("validate finished (no hang)");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    (code, lines(&out.stdout), stderr)
}

#[test]
fn faults_and_slow_headers_are_retried_never_hung() {
    let nginx = Nginx::start();
    let slow_head = Fault::Delay(Duration::from_secs(30));
    let drip_head = Fault::Drip {
        bytes_per_sec: HEAD_DRIP_BYTES_PER_SEC,
    };
    for faults in [
        vec![Fault::status(500), Fault::status(503)],
        vec![Fault::retry_after(429, 1)],
        vec![Fault::Reset],
        vec![slow_head.clone()],
        vec![drip_head.clone()],
    ] {
        let label = format!("{faults:?}");
        let dir = temp_dir();
        let proxy = proxied_lock(&nginx, dir.path(), &[b'x'; 64], faults.clone());
        let (code, results, stderr) = validate_fast(dir.path());
        assert_eq!(code, 0, "{label}: {results:?} {stderr}");
        assert_eq!(results[0]["valid"], true, "{label}");
        assert!(
            proxy.requests_seen() > 1 + faults.len(),
            "{label}: the faults were served, then a retry passed"
        );
    }
}

#[test]
fn servers_slower_than_every_retry_give_row_errors() {
    let nginx = Nginx::start();
    let attempts = 3; // FAST: the first attempt and two retries.
    for fault in [
        Fault::Delay(Duration::from_secs(30)),
        Fault::Drip {
            bytes_per_sec: HEAD_DRIP_BYTES_PER_SEC,
        },
    ] {
        let dir = temp_dir();
        let _proxy = proxied_lock(&nginx, dir.path(), b"xyz", vec![fault.clone(); attempts]);
        let (code, results, stderr) = validate_fast(dir.path());
        assert_eq!(code, 1, "{fault:?}: {stderr}");
        assert_eq!(results.len(), 1);
        assert_eq!(results[0]["valid"], false, "{fault:?}");
        let error = results[0]["errors"][0].as_str().unwrap();
        assert!(error.contains("x.bin"), "{fault:?}: {error}");
    }
}

/// Relocates `dir`'s lock to the local directory `dir/out`, with [`FAST`] limits.
fn relocate_fast(dir: &Path, extra: &str) -> std::process::Output {
    let script = format!(
        "$STACPKG asset-lock from-parquet lock.parquet | $STACPKG asset-lock relocate \
         --store-type file --key out {extra}"
    );
    shell(&script)
        .current_dir(dir)
        .envs(FAST)
        .timeout(HANG_GUARD)
        .output()
        .unwrap()
}

#[test]
fn relocate_survives_a_dripping_body_and_retries_a_stalled_one() {
    let nginx = Nginx::start();
    let body: Vec<u8> = (0..64 * 1024u32).map(|i| (i % 241) as u8).collect();
    let copies_the_bytes = |dir: &Path| {
        let out = relocate_fast(dir, "");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{stderr}");
        assert_eq!(std::fs::read(dir.join("out/i/x.bin")).unwrap(), body);
    };
    // A body dripping at 32 KiB/s takes ~2 s, longer than the 1 s timeout, but it never goes
    // silent for 1 s: a slow server is not a dead one, so the copy completes.
    let dir = temp_dir();
    let drip = Fault::Drip {
        bytes_per_sec: 32 * 1024,
    };
    let _proxy = proxied_lock_with_default(&nginx, dir.path(), &body, vec![], drip);
    copies_the_bytes(dir.path());
    // A body that stops after 16 KiB: the 1 s read timeout ends the attempt, a retry copies.
    let dir = temp_dir();
    let stall = Fault::StallAfter(16 * 1024);
    let proxy = proxied_lock(&nginx, dir.path(), &body, vec![stall]);
    copies_the_bytes(dir.path());
    assert!(
        proxy.requests_seen() >= 3,
        "derive, the stalled GET, a retry"
    );
}

#[test]
fn relocate_of_a_body_that_always_stalls_fails_or_keeps_the_row() {
    let nginx = Nginx::start();
    let body = vec![b's'; 64 * 1024];
    let dir = temp_dir();
    let stall = Fault::StallAfter(16 * 1024);
    let _proxy = proxied_lock_with_default(&nginx, dir.path(), &body, vec![], stall);
    // Without --keep-going: exit 1, the error names the source, no rows written.
    let out = relocate_fast(dir.path(), "> rows.arrow");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("x.bin") && stderr.contains("timed out"),
        "{stderr}"
    );
    // With --keep-going: a warning naming the row, the row kept as planned, exit 0
    // (docs/COMPATIBILITY.md, "Copy engine" and "Rough edges we fix: keep-going reporting").
    let out = relocate_fast(dir.path(), "--keep-going > rows.arrow");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("i/x: copy ") && stderr.contains("failed, row kept as planned"),
        "{stderr}"
    );
    let (_, batches) =
        testkit::read_ipc_stream(&std::fs::read(dir.path().join("rows.arrow")).unwrap());
    assert_eq!(
        batches
            .iter()
            .map(arrow::array::RecordBatch::num_rows)
            .sum::<usize>(),
        1
    );
    assert!(
        !dir.path().join("out/i/x.bin").exists(),
        "no partial object at the destination"
    );
}

#[test]
fn azurite_and_fake_gcs_objects_derive_and_validate() {
    let azurite = Azurite::start();
    azurite.create_container("lockbox");
    azurite.put_blob("lockbox", "dir/a.bin", b"azure bytes".to_vec());
    let gcs = FakeGcs::start_with(&[("gbkt", "dir/g.bin", b"gcs bytes!")]);
    let dir = temp_dir();
    write_items(
        dir.path(),
        &[item(
            "i",
            json!({
        "az": {"href": "az://lockbox/dir/a.bin"},
        "gs": {"href": "gs://gbkt/dir/g.bin"}}),
        )],
    );
    let mut env = azurite.env();
    env.extend(gcs.env());
    let out = shell("$STACPKG items from-ndjson items.ndjson | $STACPKG asset-lock derive | tee lock.arrow | $STACPKG asset-lock validate")
        .current_dir(dir.path())
        .envs(env.clone())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (_, batches) =
        testkit::read_ipc_stream(&std::fs::read(dir.path().join("lock.arrow")).unwrap());
    use arrow::array::AsArray;
    let sizes = batches[0]
        .column_by_name("size_bytes")
        .unwrap()
        .as_primitive::<arrow::datatypes::Int64Type>();
    assert_eq!(sizes.values().to_vec(), [11, 10]);
    // Drift on azurite: the blob is replaced by one of another size.
    azurite.put_blob("lockbox", "dir/a.bin", b"azure bytes, longer".to_vec());
    let out = shell("$STACPKG asset-lock validate < lock.arrow")
        .current_dir(dir.path())
        .envs(env)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let results = lines(&out.stdout);
    assert_eq!(
        results[0]["errors"][0],
        "size mismatch: expected 11, actual 19"
    );
    assert_eq!(results[1]["valid"], true);
}
