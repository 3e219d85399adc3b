//! The map pane's task: reading footprints and times of new batches on a blocking thread
//! (WKB outlines for every row are CPU work `update` must not do), checking for cancellation
//! between batches.

use tokio_util::sync::CancellationToken;

use super::footprint::read_batch;
use super::{MapEffect, MapMsg};
use crate::tui::msg::Msg;
use crate::tui::tasks::{TaskKind, TaskManager};

/// Starts the read for `effect`.
pub fn start(tasks: &mut TaskManager<Msg>, effect: MapEffect) {
    let tx = tasks.sender();
    let MapEffect::Read {
        generation,
        first,
        batches,
    } = effect;
    tasks.spawn(TaskKind::Map, move |token: CancellationToken| async move {
        let read = tokio::task::spawn_blocking(move || {
            let mut out = Vec::with_capacity(batches.len());
            for b in &batches {
                if token.is_cancelled() {
                    return None;
                }
                out.push(read_batch(b));
            }
            Some(out)
        })
        .await?;
        if let Some(batches) = read {
            let msg = MapMsg::Read {
                generation,
                first,
                batches,
            };
            let _ = tx.send(Msg::Map(msg)).await;
        }
        Ok(())
    });
}
