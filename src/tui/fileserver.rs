//! A tiny HTTP/1.1 file server on 127.0.0.1 for the offline demo.
//!
//! It answers GET and HEAD with what an asset lock records and checks — `Content-Length`,
//! an nginx-style `ETag` (`"hexmtime-hexsize"`), `Last-Modified` — and 304 for a matching
//! `If-None-Match`, one request per connection. Paths are confined to the root directory.

use std::io;
use std::net::SocketAddr;
use std::path::{Component, Path, PathBuf};
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

/// Serves `root` on a free port of 127.0.0.1.
pub async fn serve(root: PathBuf) -> io::Result<FileServer> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let stop = CancellationToken::new();
    let token = stop.clone();
    tokio::spawn(async move {
        loop {
            let conn = tokio::select! {
                () = token.cancelled() => return,
                c = listener.accept() => c,
            };
            if let Ok((stream, _)) = conn {
                let root = root.clone();
                tokio::spawn(async move {
                    if let Err(e) = respond(stream, &root).await {
                        tracing::debug!("demo file server: {e}");
                    }
                });
            }
        }
    });
    Ok(FileServer { addr, stop })
}

/// The file a request path names, if it stays under `root`.
fn resolve(root: &Path, target: &str) -> Option<PathBuf> {
    let path = target.split(['?', '#']).next()?.trim_start_matches('/');
    let rel = Path::new(path);
    rel.components()
        .all(|c| matches!(c, Component::Normal(_)))
        .then(|| root.join(rel))
}

fn content_type(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()) {
        Some("json") => "application/json",
        Some("png") => "image/png",
        Some("tif" | "tiff") => "image/tiff",
        _ => "application/octet-stream",
    }
}

async fn respond(mut stream: TcpStream, root: &Path) -> io::Result<()> {
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
    let mtime = meta
        .modified()?
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs();
    let etag = format!("\"{mtime:x}-{:x}\"", meta.len());
    let last_modified = chrono::DateTime::from_timestamp(mtime as i64, 0)
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
        let body = tokio::fs::read(&path).await?;
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
        assert!(etag.ends_with("-7\""), "{etag}");
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
