//! The task layer's bookkeeping: every task gets an id, a kind and a child of one root
//! cancellation token; its end (normal, error or panic) comes back as a [`TaskEnd`], wrapped
//! into the inbox's message type by the function the manager was made with. The manager is
//! generic over that message type, so it knows nothing of the UI's messages.
//!
//! Shutdown cancels the root token, waits up to [`SHUTDOWN_DRAIN`] for tasks to notice, then
//! aborts what is left. Blocking work (file reads, sorts) runs on `spawn_blocking` threads that
//! poll their token between batches, so cancelling them is prompt too.

use std::collections::HashMap;
use std::future::Future;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::task::{AbortHandle, JoinHandle};
use tokio_util::sync::CancellationToken;

pub mod forward;

/// How long shutdown waits for cancelled tasks before aborting them.
pub const SHUTDOWN_DRAIN: Duration = Duration::from_millis(500);

/// A task's id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TaskId(pub u64);

/// What a task does (one running task per kind is the rule for loads and views).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TaskKind {
    /// Reads items into the items pane.
    Load,
    /// Filters / sorts rows.
    Compute,
    /// Reads terminal events.
    Terminal,
    /// Reads a STAC API's collections for the picker.
    Collections,
    /// Writes state (history).
    Save,
    /// The deliberate panic.
    Debug,
    /// Derives or reads an asset lock.
    Lock,
    /// Validates lock rows.
    Validate,
    /// Writes a lock or results file.
    Write,
    /// Builds, pushes or pulls a package.
    Package,
    /// Reads a package's facts, or checks a registry tag.
    Inspect,
    /// Fetches and decodes a thumbnail.
    Thumbnail,
    /// Reads footprints for the map.
    Map,
}

impl TaskKind {
    /// A word for messages.
    pub fn name(self) -> &'static str {
        match self {
            TaskKind::Load => "load",
            TaskKind::Compute => "sort/filter",
            TaskKind::Terminal => "terminal",
            TaskKind::Collections => "collections",
            TaskKind::Save => "save",
            TaskKind::Debug => "debug",
            TaskKind::Lock => "lock",
            TaskKind::Validate => "validate",
            TaskKind::Write => "write",
            TaskKind::Package => "package",
            TaskKind::Inspect => "inspect",
            TaskKind::Thumbnail => "thumbnail",
            TaskKind::Map => "map",
        }
    }
}

/// How a task ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskEnd {
    /// Which task.
    pub id: TaskId,
    /// What it was doing.
    pub kind: TaskKind,
    /// `Some` if it failed or panicked.
    pub failure: Option<String>,
}

struct Running {
    kind: TaskKind,
    token: CancellationToken,
    abort: AbortHandle,
    watcher: JoinHandle<()>,
}

/// Spawns, cancels and shuts down tasks that report into an inbox of `M`s.
pub struct TaskManager<M> {
    root: CancellationToken,
    tx: mpsc::Sender<M>,
    ended: fn(TaskEnd) -> M,
    next_id: u64,
    tasks: HashMap<TaskId, Running>,
}

impl<M: Send + 'static> TaskManager<M> {
    /// A manager whose tasks report into `tx`; a task's end is sent as `ended(end)`.
    pub fn new(tx: mpsc::Sender<M>, ended: fn(TaskEnd) -> M) -> TaskManager<M> {
        TaskManager {
            root: CancellationToken::new(),
            tx,
            ended,
            next_id: 0,
            tasks: HashMap::new(),
        }
    }

    /// The inbox sender, for tasks to report through.
    pub fn sender(&self) -> mpsc::Sender<M> {
        self.tx.clone()
    }

    /// Spawns `make(token)`; its end, `Err` or panic is reported as a [`TaskEnd`].
    pub fn spawn<F, Fut>(&mut self, kind: TaskKind, make: F) -> TaskId
    where
        F: FnOnce(CancellationToken) -> Fut,
        Fut: Future<Output = anyhow::Result<()>> + Send + 'static,
    {
        self.next_id += 1;
        let id = TaskId(self.next_id);
        let token = self.root.child_token();
        let handle = tokio::spawn(make(token.clone()));
        let abort = handle.abort_handle();
        let tx = self.tx.clone();
        let ended = self.ended;
        let watcher = tokio::spawn(async move {
            let failure = match handle.await {
                Ok(Ok(())) => None,
                Ok(Err(e)) => Some(format!("{e:#}")),
                Err(e) if e.is_cancelled() => None,
                Err(e) => Some(panic_text(e)),
            };
            let _ = tx.send(ended(TaskEnd { id, kind, failure })).await;
        });
        self.tasks.insert(
            id,
            Running {
                kind,
                token,
                abort,
                watcher,
            },
        );
        id
    }

    /// Forgets a task that reported its end.
    pub fn ended(&mut self, id: TaskId) {
        self.tasks.remove(&id);
    }

    /// Cancels every running task of a kind.
    pub fn cancel_kind(&mut self, kind: TaskKind) {
        for t in self.tasks.values().filter(|t| t.kind == kind) {
            t.token.cancel();
        }
    }

    /// How many tasks are running.
    pub fn len(&self) -> usize {
        self.tasks.len()
    }

    /// Whether no task is running.
    pub fn is_empty(&self) -> bool {
        self.tasks.is_empty()
    }

    /// Cancels everything, waits up to [`SHUTDOWN_DRAIN`], aborts the rest.
    pub async fn shutdown(&mut self) {
        self.root.cancel();
        let tasks: Vec<Running> = self.tasks.drain().map(|(_, t)| t).collect();
        let deadline = tokio::time::Instant::now() + SHUTDOWN_DRAIN;
        for t in tasks {
            let abort = t.abort.clone();
            if tokio::time::timeout_at(deadline, t.watcher).await.is_err() {
                abort.abort();
            }
        }
    }
}

fn panic_text(e: tokio::task::JoinError) -> String {
    match e.try_into_panic() {
        Ok(payload) => {
            let text = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown payload".to_string());
            format!("panicked: {text}")
        }
        Err(e) => e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manager(tx: mpsc::Sender<TaskEnd>) -> TaskManager<TaskEnd> {
        TaskManager::new(tx, |end| end)
    }

    #[tokio::test(start_paused = true)]
    async fn errors_and_panics_come_back_as_messages() {
        let (tx, mut rx) = mpsc::channel(8);
        let mut tm = manager(tx);
        tm.spawn(TaskKind::Debug, |_| async { anyhow::bail!("boom") });
        let Some(TaskEnd { failure, .. }) = rx.recv().await else {
            panic!("expected TaskEnd")
        };
        assert_eq!(failure.as_deref(), Some("boom"));
        tm.spawn(TaskKind::Debug, |_| async { panic!("deliberate") });
        let Some(TaskEnd { failure, .. }) = rx.recv().await else {
            panic!("expected TaskEnd")
        };
        assert_eq!(failure.as_deref(), Some("panicked: deliberate"));
    }

    #[tokio::test(start_paused = true)]
    async fn cancel_reaches_the_task_and_shutdown_aborts_stragglers() {
        let (tx, mut rx) = mpsc::channel(8);
        let mut tm = manager(tx);
        tm.spawn(TaskKind::Load, |token| async move {
            token.cancelled().await;
            anyhow::bail!("saw cancel")
        });
        tm.cancel_kind(TaskKind::Load);
        let Some(TaskEnd { kind, failure, .. }) = rx.recv().await else {
            panic!("expected TaskEnd")
        };
        assert_eq!(kind, TaskKind::Load);
        assert_eq!(failure.as_deref(), Some("saw cancel"));
        // A task that ignores its token is aborted after the drain period.
        tm.spawn(TaskKind::Debug, |_| async {
            tokio::time::sleep(Duration::from_secs(3600)).await;
            Ok(())
        });
        tm.shutdown().await;
        assert!(tm.is_empty());
    }
}
