//! A latency proxy for `scripts/bench lock`: listens on a free 127.0.0.1 port, forwards every
//! request to an upstream server and holds each response back by a fixed delay, so derive and
//! validate can be measured against a "20 ms away" server on loopback.
//!
//! Why an example and not a copy: it is the test harness's [`FaultProxy`] with a
//! [`Fault::Delay`] on every request (`tests/support/proxy.rs`, included here by path), so
//! the benchmark and the fault tests exercise the same proxy code. Like that proxy, it sends
//! every request upstream over a fresh connection and closes the client connection after the
//! response (one request per connection, so the delay is exactly once per request).
//!
//! Usage: `delay_proxy UPSTREAM_ADDR DELAY_MS` (e.g. `127.0.0.1:8080 20`). Prints
//! `http://127.0.0.1:PORT` on stdout once listening, then serves until the process is killed.

#[path = "../tests/support/proxy.rs"]
mod proxy;

use std::io::Write;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

use proxy::{Fault, FaultProxy};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let parsed = match args.as_slice() {
        [upstream, delay_ms] => upstream
            .parse::<SocketAddr>()
            .ok()
            .zip(delay_ms.parse::<u64>().ok()),
        _ => None,
    };
    let Some((upstream, delay_ms)) = parsed else {
        eprintln!("usage: delay_proxy UPSTREAM_ADDR DELAY_MS   (e.g. 127.0.0.1:8080 20)");
        return ExitCode::from(2);
    };
    let proxy = FaultProxy::always(upstream, Fault::Delay(Duration::from_millis(delay_ms)));
    let mut stdout = std::io::stdout();
    if writeln!(stdout, "{}", proxy.url())
        .and_then(|()| stdout.flush())
        .is_err()
    {
        return ExitCode::FAILURE;
    }
    // The proxy serves from its own thread; this one just keeps the process (and it) alive.
    let _proxy = proxy;
    loop {
        std::thread::park();
    }
}
