//! Real STAC API servers for the search tests, started on 127.0.0.1 by the test itself.
//!
//! * [`RustacServer`]: `rustac serve` (PyPI `rustac`, memory backend) over a collection and an
//!   NDJSON file. Paging by `skip` (GET href / POST body); ignores `filter` and `sortby`.
//! * [`PgstacServer`]: a private PostgreSQL 15 + PostGIS cluster (initdb/pg_ctl in a temp dir,
//!   as the `postgres` user when we are root), pgstac installed by `pypgstac migrate`, the
//!   items loaded by `pypgstac load`, and `rustac serve --pgstac` in front: CQL2 `filter`,
//!   `sortby` and token paging. Needs `bash scripts/test` (apt `postgresql-15`,
//!   `postgresql-15-postgis-3`, PyPI `pypgstac`); `STACPKG_SKIP_PGSTAC=1` skips only these.
//! * [`StaticServer`]: `python -m http.server` over a directory, for non-STAC responses.
//! * [`generate_items`] / [`write_collection`]: a catalogue from `scripts/gen-items`.
//!
//! Every server is killed (and its cluster stopped) on drop; ports are free ports chosen at
//! start, retried when another process grabbed one first.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::proxy::{Fault, FaultProxy};
use super::{interop_skipped, run_tool, tool_python, tool_rustac};

/// Environment variable: `1` skips only the pgstac tests (PostgreSQL/PostGIS/pypgstac).
pub const SKIP_PGSTAC_VAR: &str = "STACPKG_SKIP_PGSTAC";
/// Where Debian's PostgreSQL 15 binaries live.
const PG_BIN: &str = "/usr/lib/postgresql/15/bin";
/// How long a server may take to answer its first request.
const START_TIMEOUT: Duration = Duration::from_secs(60);

/// A free TCP port on 127.0.0.1 (free when returned; the caller retries on a race).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("bind 127.0.0.1:0")
}

/// Status code of `GET path` on 127.0.0.1:port, or `None` when nothing answers yet.
pub fn http_status(port: u16, path: &str) -> Option<u16> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut head = [0u8; 12];
    s.read_exact(&mut head).ok()?;
    std::str::from_utf8(&head[9..12]).ok()?.parse().ok()
}

/// Starts `cmd` (with the port substituted by `make`) until a GET of `probe` answers 200.
fn start_on_free_port(what: &str, probe: &str, make: &dyn Fn(u16) -> Command) -> (Child, u16) {
    for _ in 0..3 {
        let port = free_port();
        // Logs go to a file: a closed pipe would break servers that log every request.
        let log = tempfile::NamedTempFile::new().expect("log file");
        let mut child = make(port)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::from(log.reopen().expect("reopen log")))
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {what}: {e}"));
        let started = Instant::now();
        loop {
            if let Some(status) = child.try_wait().expect("wait") {
                let err = std::fs::read_to_string(log.path()).unwrap_or_default();
                if err.contains("in use") {
                    break; // another process took the port: try another one
                }
                panic!("{what} exited ({status}) before serving:\n{err}");
            }
            if http_status(port, probe) == Some(200) {
                return (child, port);
            }
            assert!(
                started.elapsed() < START_TIMEOUT,
                "{what} did not answer on 127.0.0.1:{port} within {START_TIMEOUT:?}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
    panic!("{what}: no free port after 3 tries");
}

/// Writes a minimal STAC Collection `id` to `dir/collection.json`.
pub fn write_collection(dir: &Path, id: &str) -> PathBuf {
    let collection = serde_json::json!({
        "type": "Collection", "stac_version": "1.1.0", "id": id,
        "description": "synthetic test collection", "license": "other",
        "extent": {"spatial": {"bbox": [[-180, -90, 180, 90]]},
                   "temporal": {"interval": [["2010-01-01T00:00:00Z", null]]}},
        "links": []
    });
    let path = dir.join("collection.json");
    std::fs::write(&path, collection.to_string()).expect("write collection.json");
    path
}

/// Generates `count` items (seeded) with `scripts/gen-items` into `dir/items.ndjson`.
/// `None` when the interop tools are skipped.
pub fn generate_items(dir: &Path, count: usize, seed: u64) -> Option<PathBuf> {
    let python = tool_python()?;
    let out = dir.join("items.ndjson");
    let script = super::repo_root().join("scripts/gen-items");
    run_tool(
        &python,
        [
            script.as_os_str(),
            "--count".as_ref(),
            count.to_string().as_ref(),
            "--seed".as_ref(),
            seed.to_string().as_ref(),
            "--out".as_ref(),
            out.as_os_str(),
        ],
    );
    Some(out)
}

fn kill(child: &mut Child) {
    let _ = child.kill();
    let _ = child.wait();
}

/// `rustac serve` (memory backend), killed on drop.
pub struct RustacServer {
    child: Child,
    port: u16,
}

impl RustacServer {
    /// Serves `collection` and `items`; `None` when the interop tools are skipped.
    pub fn start(collection: &Path, items: &Path) -> Option<Self> {
        let rustac = tool_rustac()?;
        let (child, port) = start_on_free_port("rustac serve", "/", &|port| {
            let mut c = Command::new(&rustac);
            c.arg("serve")
                .arg("--addr")
                .arg(format!("127.0.0.1:{port}"))
                .arg(collection)
                .arg(items);
            c
        });
        Some(Self { child, port })
    }

    /// Serves behind a [`FaultProxy`] applying `plan`: rustac writes the proxy's address in
    /// its `next` links, so every page goes through the proxy. Request 0 is the first request
    /// sent to the proxy's URL. `None` when the interop tools are skipped.
    pub fn start_behind_proxy(
        collection: &Path,
        items: &Path,
        plan: Vec<Fault>,
    ) -> Option<(Self, FaultProxy)> {
        let rustac = tool_rustac()?;
        for _ in 0..3 {
            let port = free_port();
            let proxy = FaultProxy::start(([127, 0, 0, 1], port).into(), plan.clone());
            let public = proxy.url();
            let mut child = Command::new(&rustac)
                .arg("serve")
                .arg("--addr")
                .arg(&public)
                .arg("--bind")
                .arg(format!("127.0.0.1:{port}"))
                .arg(collection)
                .arg(items)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap_or_else(|e| panic!("cannot start rustac serve: {e}"));
            let started = Instant::now();
            loop {
                if child.try_wait().expect("wait").is_some() {
                    break; // most likely the port was taken: try another
                }
                if http_status(port, "/") == Some(200) {
                    return Some((Self { child, port }, proxy));
                }
                assert!(
                    started.elapsed() < START_TIMEOUT,
                    "rustac serve did not answer on 127.0.0.1:{port}"
                );
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        panic!("rustac serve behind the proxy did not start after 3 tries");
    }

    /// The API root URL.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The port.
    pub fn port(&self) -> u16 {
        self.port
    }
}

impl Drop for RustacServer {
    fn drop(&mut self) {
        kill(&mut self.child);
    }
}

/// `python -m http.server` over a directory, killed on drop.
pub struct StaticServer {
    child: Child,
    port: u16,
}

impl StaticServer {
    /// Serves `dir`; `None` when the interop tools are skipped.
    pub fn start(dir: &Path) -> Option<Self> {
        let python = tool_python()?;
        let (child, port) = start_on_free_port("python -m http.server", "/", &|port| {
            let mut c = Command::new(&python);
            c.args(["-m", "http.server", "--bind", "127.0.0.1"])
                .arg(port.to_string())
                .arg("--directory")
                .arg(dir);
            c
        });
        Some(Self { child, port })
    }

    /// The server's root URL.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

impl Drop for StaticServer {
    fn drop(&mut self) {
        kill(&mut self.child);
    }
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

/// Runs a PostgreSQL binary as the cluster owner (`postgres` when we are root).
fn pg_command(bin: &str, as_postgres: bool) -> Command {
    let path = format!("{PG_BIN}/{bin}");
    if as_postgres {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--", &path]);
        c
    } else {
        Command::new(path)
    }
}

fn run_checked(mut cmd: Command, what: &str) -> String {
    let out = cmd.stdin(Stdio::null()).output().unwrap_or_else(|e| {
        panic!("{what}: cannot run ({e}); run `bash scripts/test` to install it")
    });
    assert!(
        out.status.success(),
        "{what} failed ({}):\n{}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A private PostgreSQL + pgstac cluster with `rustac serve --pgstac` in front.
pub struct PgstacServer {
    api: Child,
    api_port: u16,
    data: PathBuf,
    as_postgres: bool,
    _dir: tempfile::TempDir,
}

impl PgstacServer {
    /// Creates the cluster, loads `collection` and `items`, and serves them. `None` when the
    /// interop tools or (with `STACPKG_SKIP_PGSTAC=1`) only these tests are skipped.
    pub fn start(collection: &Path, items: &Path) -> Option<Self> {
        if interop_skipped() {
            eprintln!("skipped: pgstac (STACPKG_SKIP_INTEROP=1)");
            return None;
        }
        if matches!(std::env::var(SKIP_PGSTAC_VAR).as_deref(), Ok("1")) {
            eprintln!("skipped: pgstac ({SKIP_PGSTAC_VAR}=1)");
            return None;
        }
        let rustac = tool_rustac()?;
        let python = tool_python()?;
        let pypgstac = python.with_file_name("pypgstac");
        assert!(
            Path::new(PG_BIN).join("initdb").exists() && pypgstac.exists(),
            "PostgreSQL 15 ({PG_BIN}) or pypgstac ({}) missing: run `bash scripts/test` \
             (installs postgresql-15, postgresql-15-postgis-3 and pypgstac) or set {SKIP_PGSTAC_VAR}=1",
            pypgstac.display()
        );
        let as_postgres = is_root();
        let dir = tempfile::Builder::new()
            .prefix("stacpkg-pgstac-")
            .tempdir()
            .expect("temp dir");
        let data = dir.path().join("data");
        if as_postgres {
            run_checked(
                {
                    let mut c = Command::new("chown");
                    c.arg("postgres:").arg(dir.path());
                    c
                },
                "chown postgres",
            );
        }
        let mut initdb = pg_command("initdb", as_postgres);
        initdb
            .args(["-A", "trust", "-U", "postgres", "-E", "UTF8", "-D"])
            .arg(&data);
        run_checked(initdb, "initdb");
        let mut port = 0;
        for _ in 0..3 {
            port = free_port();
            let mut start = pg_command("pg_ctl", as_postgres);
            start
                .arg("-D")
                .arg(&data)
                .arg("-l")
                .arg(dir.path().join("postgres.log"))
                .arg("-o")
                .arg(format!(
                    "-p {port} -k {} -c listen_addresses=127.0.0.1 -c fsync=off",
                    dir.path().display()
                ))
                .args(["-w", "start"]);
            if start
                .stdin(Stdio::null())
                .output()
                .is_ok_and(|o| o.status.success())
            {
                break;
            }
            port = 0;
        }
        assert!(
            port != 0,
            "PostgreSQL did not start: see {}",
            dir.path().join("postgres.log").display()
        );
        let mut server = Self {
            api: Command::new("true").spawn().expect("spawn true"),
            api_port: 0,
            data,
            as_postgres,
            _dir: dir,
        };
        let admin = format!("postgresql://postgres@127.0.0.1:{port}/postgres");
        let dsn = format!("postgresql://postgres@127.0.0.1:{port}/stac");
        let psql = |dsn: &str, sql: &str| {
            let mut c = Command::new(format!("{PG_BIN}/psql"));
            c.args(["-v", "ON_ERROR_STOP=1", "-q", dsn, "-c", sql]);
            run_checked(c, &format!("psql {sql}"));
        };
        psql(&admin, "CREATE DATABASE stac");
        psql(
            &admin,
            "ALTER DATABASE stac SET search_path TO pgstac, public",
        );
        let pg = |args: &[&str], file: Option<&Path>| {
            let mut c = Command::new(&pypgstac);
            c.args(args);
            if let Some(f) = file {
                c.arg(f);
            }
            c.args(["--dsn", &dsn]);
            run_checked(c, &format!("pypgstac {}", args.join(" ")));
        };
        pg(&["migrate"], None);
        pg(
            &["load", "collections", "--method", "insert_ignore"],
            Some(collection),
        );
        pg(&["load", "items", "--method", "insert_ignore"], Some(items));
        let (api, api_port) = start_on_free_port("rustac serve --pgstac", "/", &|p| {
            let mut c = Command::new(&rustac);
            c.arg("serve")
                .arg("--addr")
                .arg(format!("127.0.0.1:{p}"))
                .arg("--pgstac")
                .arg(&dsn);
            c
        });
        server.api = api;
        server.api_port = api_port;
        Some(server)
    }

    /// The API root URL.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.api_port)
    }
}

impl Drop for PgstacServer {
    fn drop(&mut self) {
        kill(&mut self.api);
        let mut stop = pg_command("pg_ctl", self.as_postgres);
        stop.arg("-D")
            .arg(&self.data)
            .args(["-m", "immediate", "-w", "stop"]);
        let _ = stop.stdin(Stdio::null()).output();
    }
}
