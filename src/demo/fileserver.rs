//! A tiny HTTP/1.1 file server on 127.0.0.1 for the offline demo.
//!
//! It answers GET and HEAD with what an asset lock records and checks — `Content-Length`,
//! `ETag`, `Last-Modified` — and 304 for a matching `If-None-Match`, one request per
//! connection. Paths are confined to the root directory.
//!
//! The validators must not depend on when the files were checked out (a fresh `git clone`
//! sets every mtime to "now"), or the bundled demo lock would drift differently on every
//! machine: the ETag is a hash of the content, and `Last-Modified` comes from a manifest
//! (relative path → RFC 3339 instant, written by `scripts/gen-demo`), falling back to the
//! file's mtime for files the manifest does not list.

use std::collections::HashMap;
use std::io;
use std::net::SocketAddr;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;
use std::time::UNIX_EPOCH;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;

/// Longest request head read, in bytes.
const MAX_HEAD_BYTES: usize = 16 * 1024;

/// A running server; dropping it stops accepting.
pub struct FileServer {
    /// Where it listens.
    pub addr: SocketAddr,
    stop: CancellationToken,
}

impl Drop for FileServer {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

/// Relative path → Last-Modified, seconds since the epoch.
pub type Manifest = HashMap<String, i64>;

/// Reads a manifest file (`{"a/b.tif": "2026-01-15T09:00:00Z", …}`).
pub fn read_manifest(path: &Path) -> anyhow::Result<Manifest> {
    use anyhow::Context;
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading the demo manifest {}", path.display()))?;
    let raw: HashMap<String, String> = serde_json::from_str(&text)
        .with_context(|| format!("{}: expected {{path: RFC 3339 time}}", path.display()))?;
    raw.into_iter()
        .map(|(k, v)| {
            let t = chrono::DateTime::parse_from_rfc3339(&v)
                .with_context(|| format!("{}: {k}: bad time {v:?}", path.display()))?;
            Ok((k, t.timestamp()))
        })
        .collect()
}

/// Serves `root` on a free port of 127.0.0.1 (Last-Modified from file mtimes).
pub async fn serve(root: PathBuf) -> io::Result<FileServer> {
    serve_with(root, Manifest::new()).await
}

/// Serves `root`, taking Last-Modified from `manifest` where it lists a file.
pub async fn serve_with(root: PathBuf, manifest: Manifest) -> io::Result<FileServer> {
    let manifest = Arc::new(manifest);
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let stop = CancellationToken::new();
    super::listener::accept_until(listener, stop.clone(), "demo file server", move |stream| {
        let root = root.clone();
        let manifest = manifest.clone();
        async move { respond(stream, &root, &manifest).await }
    });
    Ok(FileServer { addr, stop })
}

/// The relative path a request names, if it stays under the root.
fn relative(target: &str) -> Option<&str> {
    let path = target.split(['?', '#']).next()?.trim_start_matches('/');
    Path::new(path)
        .components()
        .all(|c| matches!(c, Component::Normal(_)))
        .then_some(path)
}

/// The file a request path names, if it stays under `root`.
fn resolve(root: &Path, target: &str) -> Option<PathBuf> {
    relative(target).map(|rel| root.join(rel))
}

/// A strong ETag from the content: the first 16 hex digits of its SHA-256.
fn content_etag(body: &[u8]) -> String {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(body);
    format!("\"{}\"", &hex::encode(digest)[..16])
}

fn content_type(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()) {
        Some("json") => "application/json",
        Some("png") => "image/png",
        Some("tif" | "tiff") => "image/tiff",
        _ => "application/octet-stream",
    }
}

async fn respond(mut stream: TcpStream, root: &Path, manifest: &Manifest) -> io::Result<()> {
    let mut head = Vec::with_capacity(1024);
    let mut buf = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = stream.read(&mut buf).await?;
        if n == 0 || head.len() > MAX_HEAD_BYTES {
            return Ok(());
        }
        head.extend_from_slice(&buf[..n]);
    }
    let head = String::from_utf8_lossy(&head);
    let mut lines = head.lines();
    let mut first = lines.next().unwrap_or_default().split_whitespace();
    let method = first.next().unwrap_or_default().to_string();
    let target = first.next().unwrap_or_default().to_string();
    let if_none_match = lines
        .filter_map(|l| l.split_once(':'))
        .find(|(k, _)| k.trim().eq_ignore_ascii_case("if-none-match"))
        .map(|(_, v)| v.trim().to_string());
    if method != "GET" && method != "HEAD" {
        return simple(&mut stream, "405 Method Not Allowed").await;
    }
    let Some(path) = resolve(root, &target) else {
        return simple(&mut stream, "404 Not Found").await;
    };
    let meta = match tokio::fs::metadata(&path).await {
        Ok(m) if m.is_file() => m,
        _ => return simple(&mut stream, "404 Not Found").await,
    };
    let body = tokio::fs::read(&path).await?;
    let mtime = match relative(&target).and_then(|rel| manifest.get(rel)) {
        Some(t) => *t,
        None => meta
            .modified()?
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_secs() as i64,
    };
    let etag = content_etag(&body);
    let last_modified = chrono::DateTime::from_timestamp(mtime, 0)
        .unwrap_or_default()
        .format("%a, %d %b %Y %H:%M:%S GMT");
    let common = format!("ETag: {etag}\r\nLast-Modified: {last_modified}\r\nConnection: close\r\n");
    if if_none_match.as_deref() == Some(etag.as_str()) {
        let reply = format!("HTTP/1.1 304 Not Modified\r\n{common}\r\n");
        return stream.write_all(reply.as_bytes()).await;
    }
    let reply = format!(
        "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nContent-Type: {}\r\n{common}\r\n",
        meta.len(),
        content_type(&path)
    );
    stream.write_all(reply.as_bytes()).await?;
    if method == "GET" {
        stream.write_all(&body).await?;
    }
    stream.shutdown().await
}

async fn simple(stream: &mut TcpStream, status: &str) -> io::Result<()> {
    let reply = format!("HTTP/1.1 {status}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    stream.write_all(reply.as_bytes()).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn serves_files_with_validators_and_refuses_escapes() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("a")).unwrap();
        std::fs::write(dir.path().join("a/b.json"), b"{\"x\":1}").unwrap();
        let server = serve(dir.path().to_path_buf()).await.unwrap();
        let base = format!("http://{}", server.addr);
        let client = reqwest::Client::new();
        let head = client
            .head(format!("{base}/a/b.json"))
            .send()
            .await
            .unwrap();
        assert_eq!(head.status(), 200);
        assert_eq!(head.headers()["content-length"], "7");
        let etag = head.headers()["etag"].to_str().unwrap().to_string();
        assert_eq!(etag, content_etag(b"{\"x\":1}"), "{etag}");
        assert!(etag.len() == 18, "{etag}");
        assert!(head.headers().contains_key("last-modified"));
        let get = client.get(format!("{base}/a/b.json")).send().await.unwrap();
        assert_eq!(get.bytes().await.unwrap().as_ref(), b"{\"x\":1}");
        let cached = client
            .get(format!("{base}/a/b.json"))
            .header("If-None-Match", &etag)
            .send()
            .await
            .unwrap();
        assert_eq!(cached.status(), 304);
        let missing = client.get(format!("{base}/a/zz")).send().await.unwrap();
        assert_eq!(missing.status(), 404);
        assert!(resolve(dir.path(), "/../etc/passwd").is_none());
    }
}
