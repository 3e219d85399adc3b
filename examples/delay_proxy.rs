//! A latency proxy for `scripts/bench lock`: listens on a free 127.0.0.1 port, forwards every
//! request to an upstream server and holds each response back by a fixed delay, so derive and
//! validate can be measured against a "20 ms away" server on loopback.
//!
//! Why an example and not a copy: it is the test harness's [`FaultProxy`] in its latency mode
//! (`testkit::proxy`, a dev-dependency), so the benchmark and the fault tests
//! share one proxy. The relay keeps connections open (HTTP keep-alive, as a client talking to a
//! far server would) and holds every response byte back by the delay. The fault mode's
//! `Fault::Delay` is not used: it opens two TCP connections per request, which capped a loaded
//! 2-core machine near 3,000 requests/s and measured the proxy instead of the client.
//!
//! Usage: `delay_proxy UPSTREAM_ADDR DELAY_MS` (e.g. `127.0.0.1:8080 20`). Prints
//! `http://127.0.0.1:PORT` on stdout once listening, then serves until the process is killed.

use std::io::Write;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

use testkit::proxy::FaultProxy;

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
    let proxy = FaultProxy::latency(upstream, Duration::from_millis(delay_ms));
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
