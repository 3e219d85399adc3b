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

/// Runs the reads among `effects` here and now and answers each as its task would, until no
/// read is asked for: for benches and tests, which drive `update` without a task layer.
pub fn read_inline(model: &mut crate::tui::model::Model, effects: Vec<crate::tui::msg::Effect>) {
    use crate::tui::msg::Effect;
    let mut queue = effects;
    while let Some(e) = queue.pop() {
        if let Effect::Map(MapEffect::Read {
            generation,
            first,
            batches,
        }) = e
        {
            let batches = batches.iter().map(read_batch).collect();
            let msg = MapMsg::Read {
                generation,
                first,
                batches,
            };
            queue.extend(crate::tui::update::update(model, Msg::Map(msg)));
        }
    }
}
