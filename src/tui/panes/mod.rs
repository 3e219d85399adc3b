//! One folder per pane, the same files in each: `mod.rs` (its state and the messages and
//! effects it exchanges with the task layer), `update.rs` (its commands and messages),
//! `jobs.rs` (the tasks it starts), `view.rs` (its drawing), plus what only it needs.

pub mod items;
pub mod lock;
pub mod map;
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

/// What a paused pane (`P`, see `tui::pause`) holds back, in arrival order.
#[derive(Debug, Clone)]
pub struct Held<T> {
    /// The run the held rows belong to.
    pub generation: u64,
    /// Chunks as they arrived, with the run's elapsed seconds.
    pub chunks: Vec<(Vec<T>, f64)>,
    /// The run finished meanwhile (its elapsed seconds).
    pub done: Option<f64>,
    /// Rows held.
    pub rows: usize,
}

impl<T> Held<T> {
    /// Nothing held yet, for the run `generation`.
    pub fn new(generation: u64) -> Held<T> {
        Held {
            generation,
            chunks: Vec::new(),
            done: None,
            rows: 0,
        }
    }

    /// Holds one arrival: `chunk` carries `rows` rows (a batch is one chunk of many rows).
    pub fn hold(&mut self, chunk: Vec<T>, rows: usize, elapsed_secs: f64) {
        self.rows += rows;
        self.chunks.push((chunk, elapsed_secs));
    }

    /// The held arrivals as messages again, in order (`chunk` rebuilds one, `done` the end).
    pub fn replay<M>(
        self,
        chunk: impl Fn(u64, Vec<T>, f64) -> Vec<M>,
        done: impl Fn(u64, f64) -> M,
    ) -> Vec<M> {
        let g = self.generation;
        let mut out: Vec<M> = self
            .chunks
            .into_iter()
            .flat_map(|(rows, secs)| chunk(g, rows, secs))
            .collect();
        out.extend(self.done.map(|secs| done(g, secs)));
        out
    }
}
