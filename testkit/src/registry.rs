//! A real OCI registry for tests: the `distribution` registry (Debian `docker-registry`),
//! started on 127.0.0.1 on a free port with its own config and storage in a temp dir, and
//! killed on drop. Optionally with htpasswd basic auth (bcrypt, from `htpasswd -Bbn`).
//!
//! The tools are installed by `scripts/test` (APT `docker-registry apache2-utils skopeo`).
//! [`Registry::start`] returns `None` when `STACPKG_SKIP_INTEROP=1`, and panics with that hint
//! when a tool is missing.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::{interop_skipped, temp_dir};

/// How long a registry may take to answer `GET /v2/` after start.
const START_TIMEOUT: Duration = Duration::from_secs(20);

/// Path of a tool on PATH (or the usual Debian locations), or a panic with the install hint;
/// `None` when interop tests are skipped.
pub fn require_tool(name: &str) -> Option<PathBuf> {
    if interop_skipped() {
        eprintln!("skipped: {name} (STACPKG_SKIP_INTEROP=1)");
        return None;
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    let found = std::env::split_paths(&path)
        .chain(["/usr/bin".into(), "/usr/sbin".into()])
        .map(|d| d.join(name))
        .find(|p| p.is_file());
    Some(found.unwrap_or_else(|| {
        panic!("{name} not found: run `bash scripts/test` (installs docker-registry, apache2-utils, skopeo) or set STACPKG_SKIP_INTEROP=1")
    }))
}

/// A free TCP port on 127.0.0.1.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("bind 127.0.0.1:0")
}

/// A running registry.
pub struct Registry {
    child: Child,
    /// The port it listens on.
    pub port: u16,
    /// Its temp dir (config, storage, htpasswd, log).
    pub dir: tempfile::TempDir,
    /// The basic-auth user and password, when started with auth.
    pub login: Option<(String, String)>,
}

impl Registry {
    /// Starts a registry without auth.
    pub fn start() -> Option<Self> {
        Self::launch(None)
    }

    /// Starts a registry that requires basic auth for `user` / `password`.
    pub fn start_with_auth(user: &str, password: &str) -> Option<Self> {
        Self::launch(Some((user.to_string(), password.to_string())))
    }

    /// Starts a registry that demands bearer tokens from `tokens` (the distribution token
    /// protocol); the tokens' user and password are `login`.
    pub fn start_with_token_auth(
        tokens: &super::token_auth::TokenServer,
        login: (&str, &str),
    ) -> Option<Self> {
        let auth = format!(
            "auth:\n  token:\n    realm: {}\n    service: {}\n    issuer: {}\n    rootcertbundle: {}\n",
            tokens.realm(),
            super::token_auth::SERVICE,
            super::token_auth::ISSUER,
            tokens.cert_pem().display()
        );
        let login = Some((login.0.to_string(), login.1.to_string()));
        Self::launch_with(temp_dir(), auth, login)
    }

    fn launch(login: Option<(String, String)>) -> Option<Self> {
        let dir = temp_dir();
        let mut auth = String::new();
        if let Some((user, password)) = &login {
            let htpasswd = require_tool("htpasswd")?;
            let out = Command::new(htpasswd)
                .args(["-Bbn", user, password])
                .output()
                .expect("run htpasswd");
            assert!(out.status.success(), "htpasswd failed");
            let file = dir.path().join("htpasswd");
            std::fs::write(&file, &out.stdout).unwrap();
            auth = format!(
                "auth:\n  htpasswd:\n    realm: stacpkg-test\n    path: {}\n",
                file.display()
            );
        }
        Self::launch_with(dir, auth, login)
    }

    /// Starts the registry in `dir` with the `auth:` section `auth` (empty: none).
    fn launch_with(
        dir: tempfile::TempDir,
        auth: String,
        login: Option<(String, String)>,
    ) -> Option<Self> {
        let registry = require_tool("docker-registry")?;
        let port = free_port();
        let storage = dir.path().join("storage");
        std::fs::create_dir_all(&storage).unwrap();
        let config = format!(
            "version: 0.1\nlog:\n  level: warn\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: {}\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:{port}\n  secret: stacpkg-test-secret\n{auth}",
            storage.display()
        );
        let config_path = dir.path().join("config.yml");
        std::fs::write(&config_path, config).unwrap();
        let log = std::fs::File::create(dir.path().join("registry.log")).unwrap();
        let child = Command::new(registry)
            .arg("serve")
            .arg(&config_path)
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("start docker-registry");
        let mut reg = Registry {
            child,
            port,
            dir,
            login,
        };
        reg.wait_ready();
        Some(reg)
    }

    fn wait_ready(&mut self) {
        let started = Instant::now();
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("docker-registry exited ({status}): {}", self.log());
            }
            if let Ok(mut s) = TcpStream::connect(("127.0.0.1", self.port)) {
                let _ = s.write_all(b"GET /v2/ HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n");
                let mut buf = [0u8; 12];
                if s.read(&mut buf).map(|n| n >= 12).unwrap_or(false) && buf.starts_with(b"HTTP/1.")
                {
                    return;
                }
            }
            assert!(
                started.elapsed() < START_TIMEOUT,
                "docker-registry not ready after {START_TIMEOUT:?}: {}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The registry log (for failure messages).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("registry.log")).unwrap_or_default()
    }

    /// `127.0.0.1:PORT`.
    pub fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// `127.0.0.1:PORT/REPO:TAG`.
    pub fn reference(&self, repo_tag: &str) -> String {
        format!("{}/{repo_tag}", self.host())
    }

    /// Where the registry stores the blob with this digest (`sha256:…`).
    pub fn blob_data(&self, digest: &str) -> PathBuf {
        let hex = digest.strip_prefix("sha256:").expect("sha256 digest");
        self.dir
            .path()
            .join("storage/docker/registry/v2/blobs/sha256")
            .join(&hex[..2])
            .join(hex)
            .join("data")
    }

    /// Whether the registry holds tag `tag` of repository `repo` (a manifest was pushed).
    pub fn has_tag(&self, repo: &str, tag: &str) -> bool {
        self.dir
            .path()
            .join("storage/docker/registry/v2/repositories")
            .join(repo)
            .join("_manifests/tags")
            .join(tag)
            .exists()
    }

    /// `127.0.0.1:PORT` as a socket address (for a proxy in front).
    pub fn addr(&self) -> std::net::SocketAddr {
        std::net::SocketAddr::from(([127, 0, 0, 1], self.port))
    }

    /// The storage root.
    pub fn storage(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
