//! The operator console: a terminal UI over the engine, Elm-style.
//!
//! One [`model::Model`] is owned by the app loop ([`app`]) and changed only by
//! [`update::update`], which is synchronous and does no I/O; views ([`view`]) are pure
//! functions of the model. Everything that reads files, sorts big tables or talks to servers is
//! a task in the task layer ([`tasks`]) that reports back through one bounded inbox; results
//! carry generations so a newer request always wins. Keys, the hint bar and the help overlay
//! come from one table ([`keymap`]). Logs go to a file in the state dir.
//!
//! A feature is one folder, [`panes`]`/<pane>/`, with the same files in each: its state and
//! messages (`mod.rs`), `update.rs`, `jobs.rs` (its task bodies) and `view.rs`. The files at
//! this level only dispatch to them, one arm per pane.

pub mod activity;
pub mod app;
pub mod clipboard;
pub mod cmdline;
pub mod command;
pub mod config;
pub mod doctor;
pub mod keymap;
pub mod line;
pub mod model;
pub mod mouse;
pub mod msg;
pub mod panes;
pub mod pause;
pub mod popups;
pub mod tasks;
pub mod terminal;
pub mod theme;
pub mod thumbnail;
pub mod update;
pub mod view;
pub mod watch;
pub mod widgets;
pub mod write;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use crossterm::event::{Event, EventStream, KeyEventKind};
use crossterm::terminal::{BeginSynchronizedUpdate, EndSynchronizedUpdate};
use futures::StreamExt;
use tokio::signal::unix::{signal, SignalKind};
use tokio::sync::mpsc;

use self::app::{Effects, INBOX_CAPACITY};
use self::keymap::Keymap;
use self::model::Model;
use self::msg::Msg;
use self::panes::{items, lock, search};
use self::tasks::TaskKind;
use self::terminal::Signal;
use self::theme::Theme;
use crate::demo;

/// How the console starts.
#[derive(Debug, Clone)]
pub struct Options {
    /// A catalogue to open at once.
    pub source: Option<String>,
    /// Frames per second at most (`None`: the config's, else [`app::DEFAULT_FPS`]).
    pub fps: Option<u32>,
    /// Serve and open the bundled demo catalogue.
    pub demo: bool,
    /// Refuse every action that writes or sends (`--read-only`).
    pub read_only: bool,
    /// Take mouse events (`--no-mouse` turns it off).
    pub mouse: bool,
    /// How thumbnails are drawn (`--image-protocol`; `None`: the config's, else `auto`).
    pub image_protocol: Option<String>,
}

/// Where the console keeps its files: XDG dirs via `directories`, each with an env override.
#[derive(Debug, Clone)]
pub struct Dirs {
    /// Keymap (`STACPKG_CONFIG_DIR`, else `$XDG_CONFIG_HOME/stacpkg`).
    pub config: PathBuf,
    /// Log file, remembered searches, demo copy (`STACPKG_STATE_DIR`, else
    /// `$XDG_STATE_HOME/stacpkg`).
    pub state: PathBuf,
}

impl Dirs {
    /// Resolves the directories.
    pub fn resolve() -> anyhow::Result<Dirs> {
        let project = directories::ProjectDirs::from("", "", "stacpkg");
        let pick = |env: &str, fallback: Option<PathBuf>| -> anyhow::Result<PathBuf> {
            std::env::var_os(env)
                .map(PathBuf::from)
                .or(fallback)
                .with_context(|| format!("no home directory found; set {env}"))
        };
        let config = pick(
            "STACPKG_CONFIG_DIR",
            project.as_ref().map(|p| p.config_dir().to_path_buf()),
        )?;
        let state = pick(
            "STACPKG_STATE_DIR",
            project.as_ref().map(|p| {
                p.state_dir()
                    .unwrap_or_else(|| p.data_local_dir())
                    .to_path_buf()
            }),
        )?;
        Ok(Dirs { config, state })
    }
}

/// Sends tracing output to `tui.log` in the state dir (never to the screen).
fn init_file_log(dirs: &Dirs) -> anyhow::Result<PathBuf> {
    std::fs::create_dir_all(&dirs.state)
        .with_context(|| format!("creating state directory {}", dirs.state.display()))?;
    let path = dirs.state.join("tui.log");
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .with_context(|| format!("opening log file {}", path.display()))?;
    let filter = tracing_subscriber::EnvFilter::try_from_env("STACPKG_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(Arc::new(file))
        .with_ansi(false)
        .try_init();
    Ok(path)
}

/// Runs the console on the real terminal until the user quits, or a signal or a closed
/// terminal ends it (returned: the CLI exits with its [`Signal::exit_code`]). The caller
/// checks that stdout is a terminal, and gives the runtime (the CLI's one builder; the
/// console needs only two workers: the loop and its tasks are mostly waiting).
pub fn run(options: Options, runtime: tokio::runtime::Runtime) -> anyhow::Result<Option<Signal>> {
    let dirs = Dirs::resolve()?;
    let log = init_file_log(&dirs)?;
    tracing::info!("console starting; log at {}", log.display());
    let mut keymap = Keymap::load(&dirs.config.join("keymap.json"))?;
    let config = config::Config::load(&dirs.config.join("config.toml"))?;
    keymap.patch(&config.keymap).map_err(anyhow::Error::msg)?;
    let theme = Theme::choose(config.theme.as_deref()).map_err(anyhow::Error::msg)?;
    image_choice(&options, &config)?;
    let ended = runtime.block_on(run_async(options, dirs, keymap, config, theme));
    // Blocking threads poll their tokens; one stuck in a read must not hold the exit up.
    runtime.shutdown_timeout(tasks::SHUTDOWN_DRAIN);
    ended
}

/// The thumbnail protocol setting: the flag, else `image_protocol` in `config.toml`.
fn image_choice(
    options: &Options,
    config: &config::Config,
) -> anyhow::Result<thumbnail::protocol::Choice> {
    let text = options
        .image_protocol
        .as_deref()
        .or(config.image_protocol.as_deref())
        .unwrap_or("auto");
    thumbnail::protocol::Choice::parse(text).map_err(anyhow::Error::msg)
}

/// The effective settings, as `config.toml` would write them, after the files they come
/// from (`stacpkg tui --print-config`).
pub fn print_config(options: &Options) -> anyhow::Result<String> {
    let dirs = Dirs::resolve()?;
    let path = dirs.config.join("config.toml");
    let mut config = config::Config::load(&path)?;
    image_choice(options, &config)?;
    if options.image_protocol.is_some() {
        config.image_protocol.clone_from(&options.image_protocol);
    }
    let theme = Theme::choose(config.theme.as_deref()).map_err(anyhow::Error::msg)?;
    let theme = match theme.palette() {
        theme::Palette::Dark => "dark",
        theme::Palette::Light => "light",
        theme::Palette::Mono => "mono",
    };
    let fps = options.fps.or(config.fps).unwrap_or(app::DEFAULT_FPS);
    let mouse = options.mouse && config.mouse.unwrap_or(true);
    let read_only = options.read_only || config.read_only;
    Ok(format!(
        "# settings: {}\n# keys: {}\n# state (log, history, clipboard fallback): {}\n{}",
        path.display(),
        dirs.config.join("keymap.json").display(),
        dirs.state.display(),
        config.to_toml(fps, mouse, read_only, theme)
    ))
}

/// Every key binding in effect (the defaults patched by `keymap.json`), one a line:
/// scope, key, command name, description (`stacpkg tui --print-keys`).
pub fn print_keys() -> anyhow::Result<String> {
    let dirs = Dirs::resolve()?;
    let mut keymap = Keymap::load(&dirs.config.join("keymap.json"))?;
    let config = config::Config::load(&dirs.config.join("config.toml"))?;
    keymap.patch(&config.keymap).map_err(anyhow::Error::msg)?;
    Ok(keymap.table())
}

/// How often the signal watcher checks that the terminal is still there (an ioctl each time):
/// crossterm's reader neither ends nor fails when the terminal closes, it keeps reading EOF.
const TERMINAL_CHECK: Duration = Duration::from_millis(500);
/// After a signal, the process exits by this time even if the loop is stuck (a draw blocked
/// on a stalled terminal); a normal leave takes well under it ([`tasks::SHUTDOWN_DRAIN`]).
const FORCE_EXIT_AFTER: Duration = Duration::from_secs(5);

/// What a terminal event means to the loop: a message, or `None` to skip it. The stream
/// ending or failing means the terminal went away: a hangup.
pub fn event_msg(event: Option<std::io::Result<Event>>) -> Option<Msg> {
    match event {
        Some(Ok(Event::Key(k))) if k.kind != KeyEventKind::Release => Some(Msg::Key(k)),
        Some(Ok(Event::Resize(width, height))) => Some(Msg::Resized { width, height }),
        Some(Ok(Event::Paste(text))) => Some(Msg::Paste(text)),
        Some(Ok(Event::Mouse(m))) => Some(Msg::Mouse(m)),
        Some(Ok(Event::FocusGained)) => Some(Msg::Focus(true)),
        Some(Ok(Event::FocusLost)) => Some(Msg::Focus(false)),
        Some(Ok(_)) => None,
        Some(Err(e)) => {
            tracing::info!("terminal events failed ({e}): leaving as on a hangup");
            Some(Msg::Signal(Signal::Hangup))
        }
        None => {
            tracing::info!("terminal events ended: leaving as on a hangup");
            Some(Msg::Signal(Signal::Hangup))
        }
    }
}

/// Forwards SIGHUP, SIGINT and SIGTERM (and the terminal going away, as a hangup) into the
/// inbox as [`Msg::Signal`]. Registered before the terminal is touched, so no signal kills
/// the process with the terminal in raw mode. Not a task of the task manager: it outlives
/// the drain, and from the first signal on it exits the process after [`FORCE_EXIT_AFTER`]
/// (restoring raw mode only) should the loop or the restore be stuck; later signals are
/// logged and change nothing.
fn watch_signals(tx: mpsc::Sender<Msg>) -> anyhow::Result<()> {
    let listen = |kind| signal(kind).context("listening for signals");
    let mut hangup = listen(SignalKind::hangup())?;
    let mut interrupt = listen(SignalKind::interrupt())?;
    let mut terminate = listen(SignalKind::terminate())?;
    tokio::spawn(async move {
        let mut check = tokio::time::interval(TERMINAL_CHECK);
        check.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut first: Option<Signal> = None;
        let deadline = tokio::time::sleep(Duration::MAX);
        tokio::pin!(deadline);
        loop {
            let (signal, closed) = tokio::select! {
                _ = hangup.recv() => (Signal::Hangup, false),
                _ = interrupt.recv() => (Signal::Interrupt, false),
                _ = terminate.recv() => (Signal::Terminate, false),
                _ = check.tick(), if first.is_none() => {
                    if !terminal::is_gone() {
                        continue;
                    }
                    (Signal::Hangup, true)
                }
                () = &mut deadline, if first.is_some() => {
                    let code = first.unwrap_or(Signal::Hangup).exit_code();
                    tracing::warn!("the console did not stop in time; exiting with {code}");
                    terminal::force_exit(code);
                }
            };
            if let Some(first) = first {
                tracing::info!("{signal:?} while leaving on {first:?}: already leaving");
                continue;
            }
            if closed {
                tracing::info!("the terminal went away: leaving as on a hangup");
            } else {
                tracing::info!("{signal:?} received: leaving");
            }
            first = Some(signal);
            deadline
                .as_mut()
                .reset(tokio::time::Instant::now() + FORCE_EXIT_AFTER);
            // Waits its turn in a full inbox; the deadline still holds (its own task).
            let tx = tx.clone();
            tokio::spawn(async move {
                let _ = tx.send(Msg::Signal(signal)).await;
            });
        }
    });
    Ok(())
}

async fn run_async(
    options: Options,
    dirs: Dirs,
    keymap: Keymap,
    config: config::Config,
    theme: Theme,
) -> anyhow::Result<Option<Signal>> {
    let demo = if options.demo {
        Some(demo::start(&dirs.state).await?)
    } else {
        None
    };
    let (tx, mut rx) = mpsc::channel(INBOX_CAPACITY);
    watch_signals(tx.clone())?;
    let mut effects = Effects::new(tx.clone(), Some(dirs.state.clone()));
    effects.clipboard = Some(clipboard::Route::detect(&dirs.state));
    let (mut terminal, guard) = terminal::enter().context("entering the terminal UI")?;
    let size = terminal.size()?;
    // `auto` with no COLORFGBG: ask the terminal (raw mode is on, the event reader not yet).
    let theme = if Theme::wants_query(config.theme.as_deref()) {
        match terminal::query_background() {
            Some(true) => Theme::light(),
            Some(false) => Theme::colour(),
            None => theme,
        }
    } else {
        theme
    };
    let mut model = Model::new(keymap, theme, (size.width, size.height));
    // Like the background: asked (if at all) before the event reader takes the input.
    model.picker = thumbnail::protocol::picker(image_choice(&options, &config)?);
    let fps = options.fps.or(config.fps).unwrap_or(app::DEFAULT_FPS);
    model.search.history = search::history::read(&dirs.state);
    model.items.layouts = items::layout::read(&dirs.state);
    model.items.state_dir = Some(dirs.state.clone());
    let mut targets = config.registries.clone();
    targets.extend(panes::package::jobs::read_targets(&dirs.state));
    for t in targets {
        model.package.remember_target(&t);
    }
    model.command_history = cmdline::read_history(&dirs.state);
    model.read_only = options.read_only || config.read_only;
    model.mouse = options.mouse && config.mouse.unwrap_or(true);
    if model.mouse {
        terminal::set_mouse(true).context("turning the mouse on")?;
    }
    effects.is_terminal = true;
    effects.notify = config.notify.unwrap_or_default();
    model.protected = config.protected_registries.clone();
    if let Some(endpoint) = config
        .default_endpoint
        .clone()
        .filter(|_| options.source.is_none())
    {
        model.search.form.source = endpoint;
    }
    let source = demo
        .as_ref()
        .map(|d| d.items_path.display().to_string())
        .or(options.source);
    // The load task tells items from a lock file or a package directory (and opens those in
    // the lock pane), so the source is classified once, off the UI thread.
    // What starts here starts outside `update`: the activity log is told the same way.
    let before = watch::before(&model);
    let mut started = Vec::new();
    if let Some(source) = source {
        // A package directory also opens in the package pane (here, before the loop, a
        // look at the disk is allowed).
        let is_package = demo.is_none()
            && std::path::Path::new(&source)
                .join(crate::package::ITEMS_FILE)
                .is_file();
        let opened = if is_package {
            panes::package::update::open(
                &mut model,
                PathBuf::from(&source),
                panes::package::Origin::Opened,
            )
        } else {
            model.search.form.source = source;
            search::update::run_search(&mut model)
        };
        started.extend(opened);
        if is_package {
            model.focus = command::PaneId::Items;
        }
    }
    if let Some(d) = &demo {
        if let (Some(path), Some(base)) = (d.lock_path.clone(), d.items_path.parent()) {
            started.extend(lock::update::open_lock(
                &mut model,
                path,
                base.to_path_buf(),
            ));
        }
    }
    watch::after(&mut model, before, &started);
    for effect in started {
        effects.run(effect);
    }
    if let Some(d) = &demo {
        // The form is ready for a real STAC API search of the same catalogue.
        model.search.form.source = d.api_url.clone();
        model.say(
            format!("demo: STAC API at {}, assets at {}", d.api_url, d.base_url),
            false,
        );
    }
    effects
        .tasks
        .spawn(TaskKind::Terminal, move |token| async move {
            let mut events = EventStream::new();
            loop {
                let event = tokio::select! {
                    () = token.cancelled() => return Ok(()),
                    e = events.next() => e,
                };
                let Some(msg) = event_msg(event) else {
                    continue;
                };
                let last = matches!(msg, Msg::Signal(_));
                if tx.send(msg).await.is_err() || last {
                    return Ok(());
                }
            }
        });
    let result = app::run_loop(&mut model, &mut rx, &mut effects, fps, |model| {
        crossterm::queue!(terminal.backend_mut(), BeginSynchronizedUpdate)?;
        terminal.draw(|frame| {
            view::draw(frame, model);
        })?;
        crossterm::execute!(terminal.backend_mut(), EndSynchronizedUpdate)
    })
    .await;
    // A write to a terminal that went away fails (EIO) and ends the loop: a hangup too.
    let gone = result.is_err() && terminal::is_gone();
    effects.tasks.shutdown().await;
    // ratatui's drop shows a hidden cursor and, when it cannot (the terminal is gone),
    // prints the error: a panic, stderr being that terminal. The guard's restore follows.
    if terminal.show_cursor().is_ok() {
        drop(terminal);
    } else {
        std::mem::forget(terminal);
    }
    drop(guard);
    drop(demo);
    tracing::info!("console stopped");
    match result {
        Ok(()) => Ok(model.ended_by),
        Err(e) if gone => {
            tracing::info!("drawing failed on a closed terminal ({e}): leaving as on a hangup");
            Ok(Some(model.ended_by.unwrap_or(Signal::Hangup)))
        }
        Err(e) => Err(e).context("drawing the terminal UI"),
    }
}
