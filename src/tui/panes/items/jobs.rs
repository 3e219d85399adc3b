//! The items pane's tasks: computing a filtered / sorted row order on a blocking thread, and
//! writing the remembered column layouts.

use std::sync::Arc;

use arrow_array::RecordBatch;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::layout;
use super::order::compute_view;
use super::{ItemsEffect, ItemsMsg, ViewSpec};
use crate::tui::msg::Msg;
use crate::tui::tasks::{TaskKind, TaskManager};

/// Starts the task for `effect` (a newer view cancels the older one).
pub fn start(tasks: &mut TaskManager<Msg>, effect: ItemsEffect) {
    let tx = tasks.sender();
    match effect {
        ItemsEffect::ComputeView {
            generation,
            batches,
            spec,
        } => {
            tasks.cancel_kind(TaskKind::Compute);
            tasks.spawn(TaskKind::Compute, move |token| {
                compute(generation, batches, spec, tx, token)
            });
        }
        ItemsEffect::SaveLayouts { state_dir, layouts } => {
            if let Some(dir) = state_dir {
                tasks.spawn(TaskKind::Save, move |_| layout::save(dir, layouts));
            }
        }
    }
}

/// Computes a filtered / sorted row order on a blocking thread.
pub async fn compute(
    generation: u64,
    batches: Vec<RecordBatch>,
    spec: ViewSpec,
    tx: mpsc::Sender<Msg>,
    token: CancellationToken,
) -> anyhow::Result<()> {
    let rows = tokio::task::spawn_blocking(move || compute_view(&batches, &spec, &token)).await?;
    if let Some(rows) = rows {
        let msg = ItemsMsg::ViewComputed {
            generation,
            rows: Arc::new(rows),
        };
        let _ = tx.send(Msg::Items(msg)).await;
    }
    Ok(())
}
