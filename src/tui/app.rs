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

use super::clipboard;
use super::cmdline;
use super::model::Model;
use super::msg::{Effect, Msg};
use super::panes;
use super::tasks::{TaskKind, TaskManager};
use super::update::update;
use super::write;

/// Inbox capacity. The big messages are item batches (~1.5 MB each at
/// [`panes::search::load::LOAD_BATCH_ROWS`]), so a full inbox holds at most ~100 MB while
/// the UI catches up; producers then wait (backpressure) rather than queue more.
pub const INBOX_CAPACITY: usize = 64;
/// Messages applied per wake-up before a frame is considered.
pub const MAX_DRAIN: usize = 256;
/// Default frames per second.
pub const DEFAULT_FPS: u32 = 30;

/// Runs effects: spawns and cancels tasks in the task layer.
pub struct Effects {
    /// The task layer.
    pub tasks: TaskManager<Msg>,
    /// Where remembered searches are written (none: not remembered).
    pub state_dir: Option<PathBuf>,
    /// How copies reach the clipboard (none: this console has no terminal to copy through).
    pub clipboard: Option<clipboard::Route>,
    /// A real terminal is attached (headless tests have none: terminal effects are skipped).
    pub is_terminal: bool,
    /// How long runs notify an operator who looks elsewhere.
    pub notify: super::config::Notify,
}

impl Effects {
    /// An effect runner whose tasks report into `tx`.
    pub fn new(tx: mpsc::Sender<Msg>, state_dir: Option<PathBuf>) -> Effects {
        Effects {
            tasks: TaskManager::new(tx, Msg::TaskEnded),
            state_dir,
            clipboard: None,
            is_terminal: false,
            notify: super::config::Notify::default(),
        }
    }

    /// Runs one effect (each pane's jobs start its tasks); `true` means quit.
    pub fn run(&mut self, effect: Effect) -> bool {
        let tasks = &mut self.tasks;
        match effect {
            Effect::Search(e) => panes::search::jobs::start(tasks, self.state_dir.as_deref(), e),
            Effect::Items(e) => panes::items::jobs::start(tasks, e),
            Effect::Lock(e) => panes::lock::jobs::start(tasks, e),
            Effect::Validation(e) => panes::validation::jobs::start(tasks, e),
            Effect::Package(e) => panes::package::jobs::start(tasks, self.state_dir.as_deref(), e),
            Effect::Map(e) => panes::map::jobs::start(tasks, e),
            Effect::Thumbnail(e) => super::thumbnail::jobs::start(tasks, e),
            Effect::WriteFile(request) => write::start(tasks, request),
            Effect::Complete(line) => cmdline::complete::start(tasks, line),
            Effect::Notify(text) => {
                use std::io::Write;
                let seq = self.notify.sequence(&text);
                if self.is_terminal && !seq.is_empty() {
                    let mut out = io::stdout();
                    let _ = out.write_all(seq.as_bytes()).and_then(|()| out.flush());
                }
            }
            Effect::Mouse(on) => {
                if self.is_terminal {
                    if let Err(e) = super::terminal::set_mouse(on) {
                        tracing::warn!("switching the mouse: {e}");
                    }
                }
            }
            Effect::Copy(text) => {
                // On the drawing thread, between frames: the sequence never splits a frame.
                let (text, is_error) = match &self.clipboard {
                    Some(route) => {
                        let fallback = self
                            .state_dir
                            .clone()
                            .unwrap_or_else(std::env::temp_dir)
                            .join("clipboard.txt");
                        match clipboard::copy(&text, route, &fallback, &mut io::stdout()) {
                            Ok(status) => (status, false),
                            Err(e) => (format!("copy failed: {e}"), true),
                        }
                    }
                    None => ("no terminal to copy through".to_string(), true),
                };
                let _ = tasks.sender().try_send(Msg::Copied { text, is_error });
            }
            Effect::SaveCommands(lines) => {
                if let Some(dir) = self.state_dir.clone() {
                    tasks.spawn(TaskKind::Save, move |_| {
                        save_lines(cmdline::history_path(&dir), lines)
                    });
                }
            }
            Effect::PanicInTask => {
                tasks.spawn(TaskKind::Debug, |_| async {
                    panic!("deliberate panic in a task (debug_panic_task)")
                });
            }
            Effect::Quit => return true,
        }
        false
    }
}

/// Writes `lines` to `path` atomically, one a line (remembered targets and commands).
pub async fn save_lines(path: PathBuf, lines: Vec<String>) -> anyhow::Result<()> {
    tokio::task::spawn_blocking(move || -> anyhow::Result<()> {
        use std::io::Write;
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let file = crate::atomic::AtomicFile::create(&path)?;
        let mut handle = file.handle()?;
        for line in &lines {
            writeln!(handle, "{line}")?;
        }
        drop(handle);
        file.commit()?;
        Ok(())
    })
    .await?
}

/// Applies one message and its effects; `true` means quit.
fn handle(model: &mut Model, msg: Msg, effects: &mut Effects) -> bool {
    if let Msg::TaskEnded(end) = &msg {
        effects.tasks.ended(end.id);
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
