//! The app loop: drain the inbox, `update`, run the effects, draw when dirty and a frame is due.
//!
//! The loop sleeps in `recv` when nothing happens (idle CPU ≈ 0). After a wake-up it drains up
//! to [`MAX_DRAIN`] queued messages before drawing, so a burst of batches costs one frame, and
//! draws at most `fps` times a second: a message arriving sooner marks the model dirty and the
//! frame waits for its slot (`--fps 5` for a slow SSH link).

use std::io;
use std::path::PathBuf;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::time::Instant;

use super::jobs;
use super::lock_jobs;
use super::model::Model;
use super::msg::{Effect, Msg};
use super::search_jobs;
use super::tasks::{TaskKind, TaskManager};
use super::update::update;

/// Inbox capacity. The big messages are item batches (~1.5 MB each at
/// [`jobs::LOAD_BATCH_ROWS`]), so a full inbox holds at most ~100 MB while the UI catches up;
/// producers then wait (backpressure) rather than queue more.
pub const INBOX_CAPACITY: usize = 64;
/// Messages applied per wake-up before a frame is considered.
pub const MAX_DRAIN: usize = 256;
/// Default frames per second.
pub const DEFAULT_FPS: u32 = 30;

/// Runs effects: spawns and cancels tasks in the task layer.
pub struct Effects {
    /// The task layer.
    pub tasks: TaskManager,
    /// Where remembered searches are written (none: not remembered).
    pub state_dir: Option<PathBuf>,
}

impl Effects {
    /// Runs one effect; `true` means quit.
    pub fn run(&mut self, effect: Effect) -> bool {
        let tx = self.tasks.sender();
        match effect {
            Effect::LoadItems {
                generation,
                path,
                filter,
                max_items,
                local,
            } => {
                self.tasks.cancel_kind(TaskKind::Load);
                self.tasks.spawn(TaskKind::Load, move |token| {
                    jobs::load_items(generation, path, filter, max_items, local, tx, token)
                });
            }
            Effect::SearchApi { generation, search } => {
                self.tasks.cancel_kind(TaskKind::Load);
                self.tasks.spawn(TaskKind::Load, move |token| {
                    search_jobs::search_api(generation, search, tx, token)
                });
            }
            Effect::LoadCollections { generation, source } => {
                self.tasks.cancel_kind(TaskKind::Collections);
                self.tasks.spawn(TaskKind::Collections, move |token| {
                    search_jobs::load_collections(generation, source, tx, token)
                });
            }
            Effect::CancelLoad => self.tasks.cancel_kind(TaskKind::Load),
            Effect::ComputeView {
                generation,
                batches,
                spec,
            } => {
                self.tasks.cancel_kind(TaskKind::Compute);
                self.tasks.spawn(TaskKind::Compute, move |token| {
                    jobs::compute(generation, batches, spec, tx, token)
                });
            }
            Effect::SaveHistory(history) => {
                if let Some(dir) = self.state_dir.clone() {
                    self.tasks
                        .spawn(TaskKind::Save, move |_| jobs::save_history(dir, history));
                }
            }
            Effect::PanicInTask => {
                self.tasks.spawn(TaskKind::Debug, |_| async {
                    panic!("deliberate panic in a task (debug_panic_task)")
                });
            }
            Effect::DeriveLock {
                generation,
                batches,
                item_ids,
                base_dir,
            } => {
                self.tasks.cancel_kind(TaskKind::Lock);
                self.tasks.spawn(TaskKind::Lock, move |token| {
                    lock_jobs::derive(generation, batches, item_ids, base_dir, tx, token)
                });
            }
            Effect::OpenLock { generation, path } => {
                self.tasks.cancel_kind(TaskKind::Lock);
                self.tasks.spawn(TaskKind::Lock, move |token| {
                    lock_jobs::open_lock(generation, path, tx, token)
                });
            }
            Effect::CancelLock => self.tasks.cancel_kind(TaskKind::Lock),
            Effect::Validate {
                generation,
                rows,
                base_dir,
            } => {
                self.tasks.cancel_kind(TaskKind::Validate);
                self.tasks.spawn(TaskKind::Validate, move |token| {
                    lock_jobs::validate(generation, rows, base_dir, tx, token)
                });
            }
            Effect::CancelValidation => self.tasks.cancel_kind(TaskKind::Validate),
            Effect::WriteFile(request) => {
                self.tasks
                    .spawn(TaskKind::Write, move |_| lock_jobs::write_file(request, tx));
            }
            Effect::Quit => return true,
        }
        false
    }
}

/// Applies one message and its effects; `true` means quit.
fn handle(model: &mut Model, msg: Msg, effects: &mut Effects) -> bool {
    if let Msg::TaskEnded { id, .. } = &msg {
        effects.tasks.ended(*id);
    }
    let mut quit = false;
    for effect in update(model, msg) {
        quit |= effects.run(effect);
    }
    quit
}

/// Runs the loop until a quit effect; `draw` renders a frame of the model.
pub async fn run_loop<D>(
    model: &mut Model,
    rx: &mut mpsc::Receiver<Msg>,
    effects: &mut Effects,
    fps: u32,
    mut draw: D,
) -> io::Result<()>
where
    D: FnMut(&Model) -> io::Result<()>,
{
    let frame = Duration::from_secs_f64(1.0 / f64::from(fps.max(1)));
    let mut last_draw: Option<Instant> = None;
    loop {
        let msg = if model.is_dirty {
            let due = last_draw.map_or_else(Instant::now, |t| t + frame);
            if Instant::now() >= due {
                draw(model)?;
                model.is_dirty = false;
                last_draw = Some(Instant::now());
                continue;
            }
            tokio::select! {
                msg = rx.recv() => msg,
                () = tokio::time::sleep_until(due) => continue,
            }
        } else {
            rx.recv().await
        };
        let Some(msg) = msg else {
            return Ok(());
        };
        let mut quit = handle(model, msg, effects);
        for _ in 0..MAX_DRAIN {
            match rx.try_recv() {
                Ok(msg) => quit |= handle(model, msg, effects),
                Err(_) => break,
            }
        }
        if quit {
            return Ok(());
        }
    }
}
