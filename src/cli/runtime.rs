//! The tokio runtime a command runs its async work on: one builder for every command, so they
//! all get the same drivers and the same error, and only the thread count differs, on purpose.

use anyhow::{Context, Result};
use tokio::runtime::Runtime;

/// How many threads a command's runtime runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Threads {
    /// One worker per core: commands that keep many requests in flight (probes, validation,
    /// copies, blob transfers), whose responses are handled as tasks across every thread.
    PerCore,
    /// A fixed number of workers: work that is mostly one request at a time plus its parsing
    /// (STAC API paging, the console), which more threads would not speed up.
    Workers(usize),
    /// Only the calling thread: local work with no I/O to overlap (searching a saved file).
    CurrentThread,
}

/// A runtime with every driver (I/O, time) enabled.
pub fn runtime(threads: Threads) -> Result<Runtime> {
    let mut builder = match threads {
        Threads::PerCore => tokio::runtime::Builder::new_multi_thread(),
        Threads::Workers(n) => {
            let mut builder = tokio::runtime::Builder::new_multi_thread();
            builder.worker_threads(n.max(1));
            builder
        }
        Threads::CurrentThread => tokio::runtime::Builder::new_current_thread(),
    };
    builder
        .enable_all()
        .build()
        .context("starting the async runtime")
}
