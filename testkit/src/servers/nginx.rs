//! nginx (`nginx-light`): HTTP assets from a temp `www` dir. See the parent module for how the servers are started and stopped.

use super::*;

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
