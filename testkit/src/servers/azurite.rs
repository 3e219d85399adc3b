//! Azurite (`azurite-blob`): Azure Blob. See the parent module for how the servers are started and stopped.

use super::*;

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
