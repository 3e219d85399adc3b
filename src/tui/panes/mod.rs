//! One folder per pane, the same files in each: `mod.rs` (its state and the messages and
//! effects it exchanges with the task layer), `update.rs` (its commands and messages),
//! `jobs.rs` (the tasks it starts), `view.rs` (its drawing), plus what only it needs.

pub mod items;
pub mod lock;
pub mod package;
pub mod search;
pub mod validation;

/// Where a run pane's background run stands (the lock pane's derive or read, the validation
/// pane's validate).
#[derive(Debug, Clone, PartialEq)]
pub enum RunPhase {
    /// Nothing has run yet.
    Empty,
    /// Rows are arriving.
    Running,
    /// Every row is in.
    Done,
    /// The user cancelled; the rows so far are kept.
    Cancelled,
    /// The run could not go on.
    Failed(String),
}
