//! A one-line progress display on stderr, shown only when stderr is a terminal.
//!
//! Redrawn at most every [`REDRAW_INTERVAL`], so ten thousand fast probes cost a few dozen
//! writes; cleared when done so the final messages start on a clean line.

use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

/// Minimum time between two redraws.
const REDRAW_INTERVAL: Duration = Duration::from_millis(100);

/// Counts done/failed of a known total and draws `verb: done/total (failed failed)`.
pub struct Progress {
    verb: &'static str,
    total: usize,
    done: usize,
    failed: usize,
    enabled: bool,
    last_draw: Option<Instant>,
}

impl Progress {
    /// A progress line for `total` units; silent unless stderr is a terminal.
    pub fn new(verb: &'static str, total: usize) -> Self {
        Self {
            verb,
            total,
            done: 0,
            failed: 0,
            enabled: std::io::stderr().is_terminal(),
            last_draw: None,
        }
    }

    /// Records one finished unit.
    pub fn tick(&mut self, failed: bool) {
        self.done += 1;
        self.failed += usize::from(failed);
        if !self.enabled {
            return;
        }
        let due = self
            .last_draw
            .is_none_or(|t| t.elapsed() >= REDRAW_INTERVAL);
        if due || self.done == self.total {
            self.last_draw = Some(Instant::now());
            let mut err = std::io::stderr().lock();
            let _ = write!(
                err,
                "\r\x1b[2K{}: {}/{} ({} failed)",
                self.verb, self.done, self.total, self.failed
            );
            let _ = err.flush();
        }
    }

    /// Units failed so far.
    pub fn failed(&self) -> usize {
        self.failed
    }

    /// Erases the line before other output goes to stderr.
    pub fn clear(&mut self) {
        if self.enabled && self.last_draw.is_some() {
            let mut err = std::io::stderr().lock();
            let _ = write!(err, "\r\x1b[2K");
            let _ = err.flush();
            self.last_draw = None;
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.clear();
    }
}
