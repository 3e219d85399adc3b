//! moto (`moto_server`): the S3 API. See the parent module for how the servers are started and stopped.

use super::*;

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
