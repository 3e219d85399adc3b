//! A token server for a bearer-token registry: the distribution token protocol
//! (<https://distribution.github.io/distribution/spec/auth/token/>), so the real registry
//! (`auth: token` in its config, see [`super::registry::Registry::start_with_token_auth`])
//! sends `WWW-Authenticate: Bearer realm=…,service=…,scope=…` and verifies our JWTs itself.
//!
//! `GET /token?service=…&scope=repository:NAME:pull,push` with `Authorization: Basic` for the
//! one user answers `{"token": JWT, "access_token": JWT, "expires_in": 300}`; a wrong or missing
//! login answers 401 (a private registry: no anonymous access). The JWT is ES256, signed with a
//! P-256 key made by `openssl` per server; its header carries the certificate (`x5c`), which the
//! registry checks against `rootcertbundle` (the same certificate, self-signed). Claims: `iss`
//! [`ISSUER`], `aud` [`SERVICE`], `sub`, `exp`/`nbf`/`iat`, `jti`, and `access` granting the
//! requested actions.
//!
//! Each connection is served on its own thread; the listener thread stops when the server is
//! dropped. Requests are recorded (user, whether the login was right, scope) for assertions.

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{EcdsaKeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use serde_json::json;

use super::registry::require_tool;

/// The `service` the registry names in its challenge and the tokens' audience.
pub const SERVICE: &str = "stacpkg-test-registry";
/// The tokens' issuer, as the registry's config expects it.
pub const ISSUER: &str = "stacpkg-test-token-issuer";
/// Token lifetime in seconds.
pub const TOKEN_SECONDS: u64 = 300;

/// One token request as the server saw it.
#[derive(Debug, Clone)]
pub struct TokenRequest {
    /// The Basic-auth user, if any was sent.
    pub user: Option<String>,
    /// Whether user and password were right (a token was issued).
    pub granted: bool,
    /// The `scope` query parameters.
    pub scopes: Vec<String>,
}

struct State {
    user: String,
    password: String,
    key: EcdsaKeyPair,
    cert_der: Vec<u8>,
    issued: AtomicU64,
    log: Mutex<Vec<TokenRequest>>,
}

/// A running token server on 127.0.0.1.
pub struct TokenServer {
    addr: SocketAddr,
    cert_pem: PathBuf,
    state: Arc<State>,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl TokenServer {
    /// Makes a signing key and certificate in `dir` and starts serving tokens to
    /// `user`/`password`. `None` when interop tests are skipped.
    pub fn start(dir: &Path, user: &str, password: &str) -> Option<TokenServer> {
        let openssl = require_tool("openssl")?;
        let run = |args: &[&str]| {
            let out = Command::new(&openssl)
                .args(args)
                .current_dir(dir)
                .output()
                .expect("run openssl");
            assert!(
                out.status.success(),
                "openssl {args:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        };
        run(&[
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-keyout",
            "token-key.pem",
            "-out",
            "token-cert.pem",
            "-days",
            "2",
            "-subj",
            "/CN=stacpkg-test-token-issuer",
        ]);
        run(&[
            "pkcs8",
            "-topk8",
            "-nocrypt",
            "-in",
            "token-key.pem",
            "-outform",
            "DER",
            "-out",
            "token-key.der",
        ]);
        run(&[
            "x509",
            "-in",
            "token-cert.pem",
            "-outform",
            "DER",
            "-out",
            "token-cert.der",
        ]);
        let key_der = std::fs::read(dir.join("token-key.der")).unwrap();
        let key = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &key_der)
            .expect("openssl wrote a P-256 PKCS#8 key");
        let state = Arc::new(State {
            user: user.to_string(),
            password: password.to_string(),
            key,
            cert_der: std::fs::read(dir.join("token-cert.der")).unwrap(),
            issued: AtomicU64::new(0),
            log: Mutex::new(Vec::new()),
        });
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind token server");
        listener.set_nonblocking(true).unwrap();
        let addr = listener.local_addr().unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let (s, st) = (state.clone(), stop.clone());
        let thread = std::thread::spawn(move || {
            while !st.load(Ordering::SeqCst) {
                match listener.accept() {
                    Ok((conn, _)) => {
                        let s = s.clone();
                        std::thread::spawn(move || serve(conn, &s));
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(10)),
                }
            }
        });
        Some(TokenServer {
            addr,
            cert_pem: dir.join("token-cert.pem"),
            state,
            stop,
            thread: Some(thread),
        })
    }

    /// The realm URL the registry sends clients to.
    pub fn realm(&self) -> String {
        format!("http://{}/token", self.addr)
    }

    /// The certificate the registry trusts (`rootcertbundle`).
    pub fn cert_pem(&self) -> &Path {
        &self.cert_pem
    }

    /// The token requests received so far.
    pub fn requests(&self) -> Vec<TokenRequest> {
        self.state.log.lock().unwrap().clone()
    }
}

impl Drop for TokenServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Serves the requests of one connection (keep-alive) until the client closes it.
fn serve(conn: TcpStream, state: &State) {
    let _ = conn.set_read_timeout(Some(Duration::from_secs(30)));
    let mut reader = BufReader::new(conn.try_clone().unwrap());
    let mut out = conn;
    loop {
        let mut first = String::new();
        if reader.read_line(&mut first).unwrap_or(0) == 0 {
            return;
        }
        let mut authorization = None;
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line).unwrap_or(0) == 0 {
                return;
            }
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            if let Some((name, value)) = line.split_once(':') {
                if name.eq_ignore_ascii_case("authorization") {
                    authorization = Some(value.trim().to_string());
                }
            }
        }
        let target = first.split_whitespace().nth(1).unwrap_or("/").to_string();
        let (status, body) = answer(&target, authorization.as_deref(), state);
        let head = format!(
            "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n{}\r\n",
            body.len(),
            if status.starts_with("401") {
                "WWW-Authenticate: Basic realm=\"stacpkg-test-token\"\r\n"
            } else {
                ""
            }
        );
        if out.write_all(head.as_bytes()).is_err() || out.write_all(body.as_bytes()).is_err() {
            return;
        }
    }
}

/// The status line and JSON body for one request.
fn answer(target: &str, authorization: Option<&str>, state: &State) -> (&'static str, String) {
    let url = url::Url::parse(&format!("http://token{target}")).unwrap();
    if url.path() != "/token" {
        return ("404 Not Found", r#"{"error":"not found"}"#.into());
    }
    let scopes: Vec<String> = url
        .query_pairs()
        .filter(|(k, _)| k == "scope")
        .flat_map(|(_, v)| v.split(' ').map(str::to_string).collect::<Vec<_>>())
        .collect();
    let login = authorization
        .and_then(|a| a.strip_prefix("Basic "))
        .and_then(|b| STANDARD.decode(b.trim()).ok())
        .and_then(|b| String::from_utf8(b).ok())
        .and_then(|t| {
            t.split_once(':')
                .map(|(u, p)| (u.to_string(), p.to_string()))
        });
    let granted = login
        .as_ref()
        .is_some_and(|(u, p)| *u == state.user && *p == state.password);
    state.log.lock().unwrap().push(TokenRequest {
        user: login.as_ref().map(|(u, _)| u.clone()),
        granted,
        scopes: scopes.clone(),
    });
    if !granted {
        return (
            "401 Unauthorized",
            r#"{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}"#.into(),
        );
    }
    let token = sign(state, &scopes);
    let body = json!({"token": token, "access_token": token, "expires_in": TOKEN_SECONDS});
    ("200 OK", body.to_string())
}

/// An ES256 JWT granting `scopes` (`repository:NAME:ACTIONS`) to the server's user.
fn sign(state: &State, scopes: &[String]) -> String {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let access: Vec<_> = scopes
        .iter()
        .filter_map(|s| {
            let mut parts = s.splitn(3, ':');
            let (kind, name, actions) = (parts.next()?, parts.next()?, parts.next()?);
            Some(json!({"type": kind, "name": name, "actions": actions.split(',').collect::<Vec<_>>()}))
        })
        .collect();
    let header = json!({"typ": "JWT", "alg": "ES256", "x5c": [STANDARD.encode(&state.cert_der)]});
    let claims = json!({
        "iss": ISSUER,
        "sub": state.user,
        "aud": SERVICE,
        "exp": now + TOKEN_SECONDS,
        "nbf": now.saturating_sub(10),
        "iat": now,
        "jti": format!("stacpkg-test-{}", state.issued.fetch_add(1, Ordering::SeqCst)),
        "access": access,
    });
    let signing_input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    let signature = state
        .key
        .sign(&SystemRandom::new(), signing_input.as_bytes())
        .expect("sign token");
    format!(
        "{signing_input}.{}",
        URL_SAFE_NO_PAD.encode(signature.as_ref())
    )
}
