//! A small HTTP/1.1 fault proxy between a client and any test server, for the fault and
//! latency tests: canned 5xx/429 answers, connection resets, stalled or truncated bodies,
//! slow servers, added latency.
//!
//! Why our own: `tc netem` does not exist on these kernels, and the faults must be exact and
//! counted per request (the 2nd request fails, the 3rd passes) so tests can tell a retry that
//! succeeded from one that never happened.
//!
//! How it works: [`FaultProxy::start`] binds 127.0.0.1 on a free port and runs a tokio
//! runtime on its own thread, so sync tests use it as they use the servers. Every request
//! head received (over any connection) takes the next [`Fault`] of the plan; when the plan
//! is used up, requests get the proxy's default ([`Fault::Pass`] unless set with
//! [`FaultProxy::start_with_default`]); or [`FaultProxy::with_rule`] picks each request's
//! fault from its method and path (fail every upload of one blob). A canned answer ([`Fault::Respond`]) keeps the client
//! connection open for the next request. Every forwarded request goes to upstream over a new
//! connection with `Connection: close`, and the client connection is closed after its
//! response (the response carries `Connection: close`), so faults are applied per request.
//! Request bodies must have a `Content-Length` (object_store and reqwest send one for known
//! payloads); chunked request bodies get a 501 from the proxy.
//!
//! [`FaultProxy::latency`] is the other mode, for benchmarks (`examples/delay_proxy.rs`): a
//! plain TCP relay, one upstream connection per client connection (so HTTP keep-alive works),
//! that delivers every byte from upstream a fixed delay after it arrived — a server that far
//! away on an established connection, without the per-request connections of the fault mode.
//!
//! Everything is bounded: request heads ≤ [`MAX_HEAD_BYTES`], upstream connects time out,
//! and dropping the proxy stops the runtime, which closes every connection (stalled ones
//! included) and joins the thread.

use std::net::{SocketAddr, TcpListener as StdTcpListener};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;

/// Largest request or response head the proxy reads (64 KiB).
pub const MAX_HEAD_BYTES: usize = 64 * 1024;
/// Timeout to connect to the upstream server.
pub const UPSTREAM_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Size of one forwarded chunk (16 KiB); [`Fault::Delay`] sleeps once per chunk.
pub const CHUNK_BYTES: usize = 16 * 1024;
/// Chunks a [`FaultProxy::latency`] connection holds in flight (64 × 16 KiB = 1 MiB).
pub const LATENCY_QUEUE_CHUNKS: usize = 64;

/// What the proxy does with one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// Forward the request and the response unchanged.
    Pass,
    /// Forward, sleeping this long before each response chunk (≤ [`CHUNK_BYTES`]) is sent.
    Delay(Duration),
    /// Answer with this response without contacting upstream; the connection stays open.
    Respond {
        /// HTTP status code.
        status: u16,
        /// Extra headers (`Content-Length` is added).
        headers: Vec<(String, String)>,
        /// The body.
        body: Vec<u8>,
    },
    /// Read the request, then reset the client connection (RST: `SO_LINGER` 0, close).
    Reset,
    /// Forward the response head and this many body bytes, then send nothing more and keep
    /// the connection open until the proxy is dropped (a stalled body).
    StallAfter(u64),
    /// Forward the response head and this many body bytes, then close the connection
    /// (a body cut short: fewer bytes than its `Content-Length`).
    DieAfter(u64),
    /// Forward the response at most this many bytes per second (a slow server).
    Drip {
        /// The rate cap, in bytes per second (≥ 1).
        bytes_per_sec: u64,
    },
}

impl Fault {
    /// A canned `status` answer with a short text body, e.g. `Fault::status(503)`.
    pub fn status(status: u16) -> Fault {
        Fault::Respond {
            status,
            headers: vec![("Content-Type".into(), "text/plain".into())],
            body: format!("fault proxy: injected {status}\n").into_bytes(),
        }
    }

    /// A canned `status` answer with `Retry-After: secs`, e.g. `Fault::retry_after(429, 1)`.
    pub fn retry_after(status: u16, secs: u64) -> Fault {
        Fault::Respond {
            status,
            headers: vec![
                ("Content-Type".into(), "text/plain".into()),
                ("Retry-After".into(), secs.to_string()),
            ],
            body: format!("fault proxy: injected {status}, retry after {secs} s\n").into_bytes(),
        }
    }
}

/// The proxy: listens on 127.0.0.1 until dropped.
pub struct FaultProxy {
    addr: SocketAddr,
    upstream: SocketAddr,
    requests: Arc<AtomicUsize>,
    shutdown: Option<oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

/// What a [`FaultProxy::with_rule`] rule sees of one request.
#[derive(Debug, Clone)]
pub struct Request {
    /// 0-based index over all requests the proxy received.
    pub index: usize,
    /// The method (`GET`, `PUT`, …).
    pub method: String,
    /// The request target (path and query).
    pub target: String,
}

/// A rule choosing the fault for each request (e.g. by method and path, or by a switch the
/// test flips to make a dead server healthy again).
pub type Rule = Arc<dyn Fn(&Request) -> Fault + Send + Sync>;

struct Shared {
    upstream: SocketAddr,
    plan: Vec<Fault>,
    default: Fault,
    rule: Option<Rule>,
    requests: Arc<AtomicUsize>,
    /// `Some(delay)`: the [`FaultProxy::latency`] relay instead of per-request faults.
    latency: Option<Duration>,
}

impl FaultProxy {
    /// Starts a proxy to `upstream`: request *i* (0-based, over all connections) gets
    /// `plan[i]`, later requests pass through.
    pub fn start(upstream: SocketAddr, plan: Vec<Fault>) -> FaultProxy {
        Self::start_with_default(upstream, plan, Fault::Pass)
    }

    /// Starts a proxy that applies `fault` to every request (e.g. a [`Fault::Delay`]).
    pub fn always(upstream: SocketAddr, fault: Fault) -> FaultProxy {
        Self::start_with_default(upstream, Vec::new(), fault)
    }

    /// Like [`FaultProxy::start`], with `default` for the requests after the plan.
    pub fn start_with_default(
        upstream: SocketAddr,
        plan: Vec<Fault>,
        default: Fault,
    ) -> FaultProxy {
        Self::spawn(upstream, plan, default, None, None)
    }

    /// Starts a proxy that asks `rule` for the fault of every request.
    pub fn with_rule(
        upstream: SocketAddr,
        rule: impl Fn(&Request) -> Fault + Send + Sync + 'static,
    ) -> FaultProxy {
        Self::spawn(
            upstream,
            Vec::new(),
            Fault::Pass,
            Some(Arc::new(rule)),
            None,
        )
    }

    /// Starts a latency relay to `upstream`: every byte upstream sends reaches the client
    /// `delay` after the proxy read it; requests go up at once; connections are kept open
    /// (one upstream connection per client connection). [`FaultProxy::requests_seen`] counts
    /// client connections here.
    pub fn latency(upstream: SocketAddr, delay: Duration) -> FaultProxy {
        Self::spawn(upstream, Vec::new(), Fault::Pass, None, Some(delay))
    }

    fn spawn(
        upstream: SocketAddr,
        plan: Vec<Fault>,
        default: Fault,
        rule: Option<Rule>,
        latency: Option<Duration>,
    ) -> FaultProxy {
        let listener = StdTcpListener::bind("127.0.0.1:0").expect("bind fault proxy");
        listener
            .set_nonblocking(true)
            .expect("nonblocking listener");
        let addr = listener.local_addr().expect("proxy address");
        let requests = Arc::new(AtomicUsize::new(0));
        let shared = Arc::new(Shared {
            upstream,
            plan,
            default,
            rule,
            requests: requests.clone(),
            latency,
        });
        let (shutdown_tx, shutdown_rx) = oneshot::channel();
        let thread = std::thread::Builder::new()
            .name(format!("fault-proxy-{}", addr.port()))
            .spawn(move || {
                let runtime = tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .enable_all()
                    .build()
                    .expect("fault proxy runtime");
                runtime.block_on(async move {
                    let listener = TcpListener::from_std(listener).expect("tokio listener");
                    tokio::select! {
                        _ = shutdown_rx => {}
                        _ = accept_loop(listener, shared) => {}
                    }
                });
                // Dropping the runtime cancels every connection task, closing its sockets.
                runtime.shutdown_timeout(Duration::from_secs(5));
            })
            .expect("start fault proxy thread");
        FaultProxy {
            addr,
            upstream,
            requests,
            shutdown: Some(shutdown_tx),
            thread: Some(thread),
        }
    }

    /// The proxy's address (give it to the client instead of the server's).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT` (no trailing slash).
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The server the proxy forwards to.
    pub fn upstream(&self) -> SocketAddr {
        self.upstream
    }

    /// How many request heads the proxy has received so far.
    pub fn requests_seen(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

async fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    loop {
        match listener.accept().await {
            Ok((stream, _)) => {
                let shared = shared.clone();
                tokio::spawn(async move {
                    let _ = match shared.latency {
                        Some(delay) => {
                            shared.requests.fetch_add(1, Ordering::SeqCst);
                            relay_with_latency(stream, shared.upstream, delay).await
                        }
                        None => serve_client(stream, shared).await,
                    };
                });
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
        }
    }
}

/// A request or response head: the bytes up to and including the blank line, and what was
/// read past it.
struct Head {
    head: Vec<u8>,
    rest: Vec<u8>,
}

/// Reads until `\r\n\r\n`. `Ok(None)` on a clean EOF before any byte.
async fn read_head(stream: &mut TcpStream, mut buf: Vec<u8>) -> std::io::Result<Option<Head>> {
    let mut chunk = [0u8; 4096];
    loop {
        if let Some(end) = find_blank_line(&buf) {
            let rest = buf.split_off(end);
            return Ok(Some(Head { head: buf, rest }));
        }
        if buf.len() > MAX_HEAD_BYTES {
            return Err(std::io::Error::other("head too large"));
        }
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return if buf.is_empty() {
                Ok(None)
            } else {
                Err(std::io::ErrorKind::UnexpectedEof.into())
            };
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

fn find_blank_line(buf: &[u8]) -> Option<usize> {
    buf.windows(4).position(|w| w == b"\r\n\r\n").map(|i| i + 4)
}

/// The head's lines after the first, as (lower-case name, value).
fn header_lines(head: &[u8]) -> Vec<(String, String)> {
    String::from_utf8_lossy(head)
        .split("\r\n")
        .skip(1)
        .filter_map(|line| line.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect()
}

/// Rewrites a head with `Connection: close` instead of any connection headers.
fn with_connection_close(head: &[u8]) -> Vec<u8> {
    let text = String::from_utf8_lossy(head);
    let mut lines = text.split("\r\n").filter(|l| !l.is_empty());
    let mut out = String::new();
    if let Some(first) = lines.next() {
        out.push_str(first);
        out.push_str("\r\n");
    }
    for line in lines {
        let name = line.split(':').next().unwrap_or("").trim();
        if name.eq_ignore_ascii_case("connection")
            || name.eq_ignore_ascii_case("keep-alive")
            || name.eq_ignore_ascii_case("proxy-connection")
        {
            continue;
        }
        out.push_str(line);
        out.push_str("\r\n");
    }
    out.push_str("Connection: close\r\n\r\n");
    out.into_bytes()
}

async fn serve_client(mut client: TcpStream, shared: Arc<Shared>) -> std::io::Result<()> {
    let _ = client.set_nodelay(true);
    let mut leftover = Vec::new();
    loop {
        let Some(Head { head, rest }) =
            read_head(&mut client, std::mem::take(&mut leftover)).await?
        else {
            return Ok(());
        };
        let index = shared.requests.fetch_add(1, Ordering::SeqCst);
        let fault = match &shared.rule {
            Some(rule) => {
                let line = String::from_utf8_lossy(&head);
                let mut parts = line.split_whitespace();
                rule(&Request {
                    index,
                    method: parts.next().unwrap_or("").to_string(),
                    target: parts.next().unwrap_or("").to_string(),
                })
            }
            None => shared.plan.get(index).unwrap_or(&shared.default).clone(),
        };
        let headers = header_lines(&head);
        let chunked = headers
            .iter()
            .any(|(n, v)| n == "transfer-encoding" && !v.eq_ignore_ascii_case("identity"));
        let length: usize = headers
            .iter()
            .find(|(n, _)| n == "content-length")
            .and_then(|(_, v)| v.parse().ok())
            .unwrap_or(0);
        if chunked {
            let body = b"fault proxy: chunked request bodies are not supported\n";
            write_response(&mut client, 501, &[], body, true).await?;
            return Ok(());
        }
        // The request body: what came with the head, then the rest from the socket.
        let mut body = rest;
        while body.len() < length {
            let mut chunk = vec![0u8; (length - body.len()).min(CHUNK_BYTES)];
            let n = client.read(&mut chunk).await?;
            if n == 0 {
                return Ok(());
            }
            body.extend_from_slice(&chunk[..n]);
        }
        leftover = body.split_off(length);

        match fault {
            Fault::Respond {
                status,
                headers,
                body,
            } => {
                write_response(&mut client, status, &headers, &body, false).await?;
                continue;
            }
            Fault::Reset => {
                client.set_zero_linger()?;
                drop(client);
                return Ok(());
            }
            other => {
                return forward(client, &shared, &head, &body, other).await;
            }
        }
    }
}

async fn write_response(
    client: &mut TcpStream,
    status: u16,
    headers: &[(String, String)],
    body: &[u8],
    close: bool,
) -> std::io::Result<()> {
    let mut out = format!("HTTP/1.1 {status} Injected\r\n");
    for (name, value) in headers {
        out.push_str(&format!("{name}: {value}\r\n"));
    }
    out.push_str(&format!("Content-Length: {}\r\n", body.len()));
    if close {
        out.push_str("Connection: close\r\n");
    }
    out.push_str("\r\n");
    client.write_all(out.as_bytes()).await?;
    client.write_all(body).await?;
    client.flush().await
}

/// Sends the request upstream over a fresh connection, then forwards the response applying
/// `fault` to its body; closes the client connection at the end.
async fn forward(
    mut client: TcpStream,
    shared: &Shared,
    head: &[u8],
    body: &[u8],
    fault: Fault,
) -> std::io::Result<()> {
    let connect = TcpStream::connect(shared.upstream);
    let mut upstream = match tokio::time::timeout(UPSTREAM_CONNECT_TIMEOUT, connect).await {
        Ok(Ok(stream)) => stream,
        _ => {
            let msg = format!("fault proxy: cannot connect to {}\n", shared.upstream);
            return write_response(&mut client, 502, &[], msg.as_bytes(), true).await;
        }
    };
    let _ = upstream.set_nodelay(true);
    upstream.write_all(&with_connection_close(head)).await?;
    upstream.write_all(body).await?;
    upstream.flush().await?;

    let Some(Head {
        head: response_head,
        rest,
    }) = read_head(&mut upstream, Vec::new()).await?
    else {
        return Ok(());
    };
    send(&mut client, &with_connection_close(&response_head), &fault).await?;

    let body_limit = match fault {
        Fault::StallAfter(n) | Fault::DieAfter(n) => Some(n),
        _ => None,
    };
    let mut sent: u64 = 0;
    let mut pending = rest;
    let mut buf = vec![0u8; CHUNK_BYTES];
    loop {
        if pending.is_empty() {
            let n = upstream.read(&mut buf).await?;
            if n == 0 {
                break;
            }
            pending.extend_from_slice(&buf[..n]);
        }
        let mut take = pending.len().min(CHUNK_BYTES);
        if let Some(limit) = body_limit {
            let allowed = usize::try_from(limit.saturating_sub(sent)).unwrap_or(usize::MAX);
            take = take.min(allowed);
            if take == 0 {
                break;
            }
        }
        let chunk: Vec<u8> = pending.drain(..take).collect();
        send(&mut client, &chunk, &fault).await?;
        sent += chunk.len() as u64;
    }
    match fault {
        Fault::StallAfter(n) if sent >= n => {
            // Hold both connections open, silent, until the proxy is dropped.
            std::future::pending::<()>().await;
            Ok(())
        }
        _ => client.shutdown().await,
    }
}

/// Writes `bytes` to the client as `fault` says (delay before, or at a capped rate).
async fn send(client: &mut TcpStream, bytes: &[u8], fault: &Fault) -> std::io::Result<()> {
    match fault {
        Fault::Delay(delay) => {
            tokio::time::sleep(*delay).await;
            client.write_all(bytes).await?;
        }
        Fault::Drip { bytes_per_sec } => {
            // Send in slices of a tenth of a second's worth (at least 1 byte).
            let rate = (*bytes_per_sec).max(1);
            let slice = usize::try_from(rate / 10).unwrap_or(usize::MAX).max(1);
            for part in bytes.chunks(slice) {
                client.write_all(part).await?;
                client.flush().await?;
                let secs = part.len() as f64 / rate as f64;
                tokio::time::sleep(Duration::from_secs_f64(secs)).await;
            }
        }
        _ => client.write_all(bytes).await?,
    }
    client.flush().await
}

/// The [`FaultProxy::latency`] relay of one client connection: client → upstream as is,
/// upstream → client through a bounded queue of (due instant, chunk), each written when due.
async fn relay_with_latency(
    client: TcpStream,
    upstream: SocketAddr,
    delay: Duration,
) -> std::io::Result<()> {
    let server = tokio::time::timeout(UPSTREAM_CONNECT_TIMEOUT, TcpStream::connect(upstream))
        .await
        .map_err(|_| std::io::Error::from(std::io::ErrorKind::TimedOut))??;
    let _ = client.set_nodelay(true);
    let _ = server.set_nodelay(true);
    let (mut client_read, mut client_write) = client.into_split();
    let (mut server_read, mut server_write) = server.into_split();
    let (tx, mut rx) = mpsc::channel::<(Instant, Vec<u8>)>(LATENCY_QUEUE_CHUNKS);
    let requests = async move {
        tokio::io::copy(&mut client_read, &mut server_write).await?;
        server_write.shutdown().await
    };
    let responses_in = async move {
        let mut buf = vec![0u8; CHUNK_BYTES];
        loop {
            let n = server_read.read(&mut buf).await?;
            if n == 0
                || tx
                    .send((Instant::now() + delay, buf[..n].to_vec()))
                    .await
                    .is_err()
            {
                return Ok::<(), std::io::Error>(());
            }
        }
    };
    let responses_out = async move {
        while let Some((due, chunk)) = rx.recv().await {
            tokio::time::sleep_until(due).await;
            client_write.write_all(&chunk).await?;
        }
        client_write.shutdown().await
    };
    let (a, b, c) = tokio::join!(requests, responses_in, responses_out);
    a.and(b).and(c)
}
