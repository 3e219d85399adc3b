//! Progress of a search, reported through a sink the caller supplies.
//!
//! The engine never draws anything: the CLI turns these reports into a status line on a
//! terminal's stderr, the TUI into messages for its inbox. Reports come from the paging task,
//! so a sink must be `Send + Sync` and quick (it runs between page fetches).

use std::fmt;
use std::time::Duration;

/// One page arrived.
#[derive(Debug, Clone, PartialEq)]
pub struct PageReport {
    /// 1-based page number.
    pub page: u64,
    /// Items kept from this page (after the `max_items` cut).
    pub items_on_page: usize,
    /// Items kept so far, this page included.
    pub items_total: u64,
    /// The server's `numberMatched` (or `context.matched`), when it says.
    pub matched: Option<u64>,
    /// Time since the search started.
    pub elapsed: Duration,
}

impl PageReport {
    /// Items per second since the search started.
    pub fn items_per_second(&self) -> f64 {
        let secs = self.elapsed.as_secs_f64();
        if secs > 0.0 {
            self.items_total as f64 / secs
        } else {
            0.0
        }
    }
}

/// A request failed in a way worth retrying, and will be retried after `delay`.
#[derive(Debug, Clone, PartialEq)]
pub struct RetryReport {
    /// What was requested (`page 3 of POST http://…/search`, `landing page http://…`).
    pub request: String,
    /// The failed attempt (1-based).
    pub attempt: u32,
    /// Why it failed (`HTTP 503 Service Unavailable`, `connection reset`).
    pub reason: String,
    /// The wait before the next attempt (the server's Retry-After when it sent one).
    pub delay: Duration,
}

/// The one-line warning both front ends show: `REQUEST: attempt N failed (REASON); retrying in
/// 1.5 s`.
impl fmt::Display for RetryReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: attempt {} failed ({}); retrying in {:.1} s",
            self.request,
            self.attempt,
            self.reason,
            self.delay.as_secs_f64()
        )
    }
}

/// Receives progress reports; every method has a no-op default.
pub trait SearchProgress: Send + Sync {
    /// A page was fetched and parsed.
    fn page(&self, _report: &PageReport) {}
    /// A request will be retried.
    fn retry(&self, _report: &RetryReport) {}
}

/// A sink that ignores every report.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoProgress;

impl SearchProgress for NoProgress {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_report_line() {
        let report = RetryReport {
            request: "page 2 of GET http://127.0.0.1:1/search".into(),
            attempt: 1,
            reason: "HTTP 503 Service Unavailable".into(),
            delay: Duration::from_millis(1_500),
        };
        assert_eq!(
            report.to_string(),
            "page 2 of GET http://127.0.0.1:1/search: attempt 1 failed (HTTP 503 Service Unavailable); retrying in 1.5 s"
        );
    }
}
