//! The validation pane's task: checking lock rows against their stores with the engine's
//! [`check_row`], [`WORKERS`] at a time. Results are sent as they complete (the pane orders
//! them by lock row), so a slow host never holds finished rows back.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use futures::StreamExt;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::{ValidationEffect, ValidationEntry, ValidationMsg};
use crate::lock::validate::check_row;
use crate::lock::LockRow;
use crate::store::Stores;
use crate::tui::msg::Msg;
use crate::tui::panes::lock::jobs::WORKERS;
use crate::tui::tasks::forward::forward;
use crate::tui::tasks::{TaskKind, TaskManager};

/// Starts the task for `effect`; a new run cancels the running one.
pub fn start(tasks: &mut TaskManager<Msg>, effect: ValidationEffect) {
    let tx = tasks.sender();
    match effect {
        ValidationEffect::Validate {
            generation,
            rows,
            base_dir,
        } => {
            tasks.cancel_kind(TaskKind::Validate);
            tasks.spawn(TaskKind::Validate, move |token| {
                validate(generation, rows, base_dir, tx, token)
            });
        }
        ValidationEffect::Cancel => tasks.cancel_kind(TaskKind::Validate),
    }
}

/// Validates `(index, row)` pairs, streaming `Rows`… and `Done`.
pub async fn validate(
    generation: u64,
    rows: Vec<(usize, LockRow)>,
    base_dir: PathBuf,
    tx: mpsc::Sender<Msg>,
    token: CancellationToken,
) -> anyhow::Result<()> {
    let stores = Arc::new(Stores::new(base_dir, false));
    validate_with(generation, rows, stores, tx, token).await
}

/// [`validate`] with given stores.
pub async fn validate_with(
    generation: u64,
    rows: Vec<(usize, LockRow)>,
    stores: Arc<Stores>,
    tx: mpsc::Sender<Msg>,
    token: CancellationToken,
) -> anyhow::Result<()> {
    let start = Instant::now();
    // Results arrive as they complete (the pane orders them by lock row), so a slow host
    // never holds finished rows back.
    let results = futures::stream::iter(rows)
        .map(move |(index, row)| {
            let stores = stores.clone();
            async move {
                let (result, facts) = check_row(&row, &stores).await;
                ValidationEntry::new(index, result, facts)
            }
        })
        .buffer_unordered(WORKERS);
    forward(
        results,
        &token,
        &tx,
        start,
        |rows, elapsed_secs| {
            Msg::Validation(ValidationMsg::Rows {
                generation,
                rows,
                elapsed_secs,
            })
        },
        |elapsed_secs| {
            Msg::Validation(ValidationMsg::Done {
                generation,
                elapsed_secs,
            })
        },
    )
    .await
}
