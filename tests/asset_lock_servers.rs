//! The asset-lock commands against real servers on 127.0.0.1: nginx (http), moto (s3), and a
//! fault-injecting TCP proxy in front of nginx (5xx, 429 + Retry-After, reset, stall).
//!
//! The servers are started by the test itself (random ports, temp dirs, killed on drop). The
//! small starters at the bottom stand in until the shared harness (`tests/support/servers.rs`,
//! `proxy.rs`) lands; a missing server binary fails with a hint to run `bash scripts/test`.

mod support;

use std::collections::VecDeque;
use std::net::TcpListener as StdListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use serde_json::{json, Value};
use support::{shell, temp_dir, write_temp};

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

fn set_mtime(path: &Path, secs_from_now: i64) {
    let when = if secs_from_now >= 0 {
        SystemTime::now() + Duration::from_secs(secs_from_now as u64)
    } else {
        SystemTime::now() - Duration::from_secs((-secs_from_now) as u64)
    };
    let f = std::fs::File::options().write(true).open(path).unwrap();
    f.set_modified(when).unwrap();
}

#[test]
fn http_derive_validate_and_real_drift() {
    let nginx = Nginx::start();
    let www = nginx.root();
    for (name, body) in [
        ("a.bin", "a".repeat(10)),
        ("b.bin", "b".repeat(20)),
        ("c.bin", "c".repeat(30)),
        ("d.bin", "d".repeat(40)),
    ] {
        write_temp(&www, name, body);
        set_mtime(&www.join(name), -100);
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
    std::fs::write(www.join("a.bin"), "a".repeat(11)).unwrap();
    std::fs::write(www.join("b.bin"), "B".repeat(20)).unwrap();
    set_mtime(&www.join("b.bin"), -50);
    set_mtime(&www.join("c.bin"), -10);
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
    let www = nginx.root();
    let small: Vec<u8> = (0..5000u32).map(|i| (i * 7 % 251) as u8).collect();
    let big: Vec<u8> = (0..11 * 1024 * 1024u32).map(|i| (i % 253) as u8).collect();
    write_temp(&www, "small.bin", &small);
    write_temp(&www, "big.bin", &big);
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
        moto.url()
    );
    let mut cmd = shell(&relocate.replace("{}", ""));
    cmd.current_dir(dir.path())
        .envs(env.clone())
        .assert()
        .success();
    let (_, batches) = support::read_parquet(&dir.path().join("s3.parquet"));
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
    bucket_env.push(("STACPKG_S3_ENDPOINT_DEST_BKT".into(), moto.url()));
    let out = shell("$STACPKG items from-ndjson items.ndjson | $STACPKG asset-lock derive | $STACPKG asset-lock validate")
        .current_dir(dir.path()).envs(bucket_env).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn faults_are_retried_or_reported_never_hung() {
    let nginx = Nginx::start();
    write_temp(&nginx.root(), "x.bin", "x".repeat(64));
    let proxy = FaultProxy::start(nginx.port);
    let dir = temp_dir();
    write_items(
        dir.path(),
        &[item(
            "i",
            json!({"x": {"href": format!("http://127.0.0.1:{}/x.bin", proxy.port)}}),
        )],
    );
    derive(dir.path());
    let fast = [("STACPKG_TIMEOUT_SECS", "1"), ("STACPKG_MAX_RETRIES", "2")];
    for faults in [
        vec![Fault::Status(500, None), Fault::Status(503, None)],
        vec![Fault::Status(429, Some(1))],
        vec![Fault::Reset],
    ] {
        let label = format!("{faults:?}");
        let before = proxy.hits();
        proxy.push(faults.clone());
        let (code, results, stderr) = validate(dir.path(), &fast);
        assert_eq!(code, 0, "{label}: {results:?} {stderr}");
        assert_eq!(results[0]["valid"], true, "{label}");
        assert!(
            proxy.hits() > before + faults.len(),
            "{label}: the faults were served"
        );
    }
    proxy.push(vec![Fault::Stall; 3]);
    let (code, results, _) = validate(dir.path(), &fast);
    assert_eq!(code, 1);
    assert_eq!(results[0]["valid"], false);
    assert!(
        results[0]["errors"][0].as_str().unwrap().contains("x.bin"),
        "{results:?}"
    );
}

// ------------------------------------------------------------------------------------------
// Servers (stand-ins until the shared harness lands)
// ------------------------------------------------------------------------------------------

fn free_port() -> u16 {
    StdListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn wait_for_port(port: u16, what: &str) {
    for _ in 0..200 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("{what} did not listen on 127.0.0.1:{port}");
}

fn find_tool(name: &str, candidates: &[&str]) -> PathBuf {
    for c in candidates {
        let p = PathBuf::from(c);
        if p.exists() {
            return p;
        }
    }
    if let Ok(out) = Command::new("sh")
        .arg("-c")
        .arg(format!("command -v {name}"))
        .output()
    {
        let path = String::from_utf8_lossy(&out.stdout).trim().to_string();
        if !path.is_empty() {
            return PathBuf::from(path);
        }
    }
    panic!("{name} not found: run `bash scripts/test` (installs the test servers)");
}

struct Killed(Child);
impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

struct Nginx {
    dir: tempfile::TempDir,
    port: u16,
    _child: Killed,
}

impl Nginx {
    fn start() -> Nginx {
        let nginx = find_tool("nginx", &["/usr/sbin/nginx"]);
        let dir = temp_dir();
        let port = free_port();
        let d = dir.path().display();
        std::fs::create_dir_all(dir.path().join("www")).unwrap();
        let conf = format!(
            "daemon off; pid {d}/nginx.pid; error_log {d}/error.log; events {{}}\n\
             http {{ access_log off; client_body_temp_path {d}; proxy_temp_path {d}; fastcgi_temp_path {d};\n\
             uwsgi_temp_path {d}; scgi_temp_path {d};\n\
             server {{ listen 127.0.0.1:{port}; root {d}/www; etag on; }} }}\n"
        );
        write_temp(dir.path(), "nginx.conf", conf);
        let child = Command::new(nginx)
            .args(["-c", &format!("{d}/nginx.conf"), "-p", &d.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start nginx");
        wait_for_port(port, "nginx");
        Nginx {
            dir,
            port,
            _child: Killed(child),
        }
    }
    fn root(&self) -> PathBuf {
        self.dir.path().join("www")
    }
    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

struct Moto {
    port: u16,
    _child: Killed,
}

impl Moto {
    fn start() -> Moto {
        let moto = find_tool("moto_server", &[]);
        let port = free_port();
        let child = Command::new(moto)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start moto_server");
        wait_for_port(port, "moto_server");
        Moto {
            port,
            _child: Killed(child),
        }
    }
    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
    fn create_bucket(&self, name: &str) {
        let status = Command::new("curl")
            .args(["-fsS", "-X", "PUT", &format!("{}/{name}", self.url())])
            .stdout(Stdio::null())
            .status()
            .expect("curl");
        assert!(status.success(), "create bucket {name}");
    }
    fn env(&self) -> Vec<(String, String)> {
        [
            ("AWS_ACCESS_KEY_ID", "test".to_string()),
            ("AWS_SECRET_ACCESS_KEY", "test".to_string()),
            ("AWS_REGION", "us-east-1".to_string()),
            ("AWS_ENDPOINT_URL", self.url()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect()
    }
}

/// What the proxy does with one connection.
#[derive(Debug, Clone, Copy)]
enum Fault {
    /// Answer with this status (and `Retry-After` seconds), then close.
    Status(u16, Option<u32>),
    /// Read the request, then reset the connection.
    Reset,
    /// Read the request and never answer.
    Stall,
}

/// A TCP proxy in front of a server that serves queued faults to new connections, one fault
/// per connection, and forwards the rest.
struct FaultProxy {
    port: u16,
    faults: Arc<Mutex<VecDeque<Fault>>>,
    hits: Arc<AtomicUsize>,
    _runtime: tokio::runtime::Runtime,
}

impl FaultProxy {
    fn start(upstream: u16) -> FaultProxy {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .unwrap();
        let port = listener.local_addr().unwrap().port();
        let faults: Arc<Mutex<VecDeque<Fault>>> = Arc::default();
        let hits: Arc<AtomicUsize> = Arc::default();
        let (f, h) = (faults.clone(), hits.clone());
        runtime.spawn(async move {
            loop {
                let Ok((client, _)) = listener.accept().await else {
                    return;
                };
                let fault = f.lock().unwrap().pop_front();
                h.fetch_add(1, Ordering::SeqCst);
                tokio::spawn(serve(client, fault, upstream));
            }
        });
        FaultProxy {
            port,
            faults,
            hits,
            _runtime: runtime,
        }
    }
    fn push(&self, faults: Vec<Fault>) {
        self.faults.lock().unwrap().extend(faults);
    }
    fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }
}

async fn serve(mut client: tokio::net::TcpStream, fault: Option<Fault>, upstream: u16) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let Some(fault) = fault else {
        if let Ok(mut server) = tokio::net::TcpStream::connect(("127.0.0.1", upstream)).await {
            let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
        }
        return;
    };
    let mut head = Vec::new();
    let mut buf = [0u8; 4096];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        match client.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
    }
    match fault {
        Fault::Status(code, retry_after) => {
            let extra = retry_after
                .map(|s| format!("Retry-After: {s}\r\n"))
                .unwrap_or_default();
            let response = format!(
                "HTTP/1.1 {code} Fault\r\nContent-Length: 0\r\nConnection: close\r\n{extra}\r\n"
            );
            let _ = client.write_all(response.as_bytes()).await;
        }
        Fault::Reset => {
            // SO_LINGER 0 makes the close an RST, which is the point here.
            #[allow(deprecated)]
            let _ = client.set_linger(Some(Duration::ZERO));
        }
        Fault::Stall => tokio::time::sleep(Duration::from_secs(120)).await,
    }
}

#[test]
fn azurite_and_fake_gcs_objects_derive_and_validate() {
    use support::servers::{Azurite, FakeGcs};
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
        support::read_ipc_stream(&std::fs::read(dir.path().join("lock.arrow")).unwrap());
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
