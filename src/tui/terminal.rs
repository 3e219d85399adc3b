//! Entering and leaving the terminal's console mode, with restore guaranteed twice.
//!
//! [`TerminalGuard`] restores on drop (normal quit, `?` errors); the panic hook
//! restores from a panic on the UI thread, then chains to the previous hook so the message
//! prints on the normal screen. A panic on another thread (a task) is caught by tokio and
//! reported as a message: the hook then only logs it to the log file, leaving the console up
//! and the screen unscribbled.

use std::io::{self, Stdout, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::OnceLock;
use std::thread::ThreadId;

use crossterm::cursor::{Hide, Show};
use crossterm::event::{DisableBracketedPaste, EnableBracketedPaste};
use crossterm::execute;
use crossterm::terminal::{
    disable_raw_mode, enable_raw_mode, EndSynchronizedUpdate, EnterAlternateScreen,
    LeaveAlternateScreen,
};
use ratatui::backend::CrosstermBackend;
use ratatui::Terminal;

/// The thread that draws; only its panics tear the console down.
static UI_THREAD: OnceLock<ThreadId> = OnceLock::new();
/// Whether the console mode is on (so restore runs once).
static IS_ACTIVE: AtomicBool = AtomicBool::new(false);

/// Restores the terminal when dropped.
pub struct TerminalGuard {
    _private: (),
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        restore();
    }
}

/// Switches to the alternate screen and raw mode, on the calling (UI) thread.
pub fn enter() -> io::Result<(Terminal<CrosstermBackend<Stdout>>, TerminalGuard)> {
    let _ = UI_THREAD.set(std::thread::current().id());
    install_panic_hook();
    enable_raw_mode()?;
    IS_ACTIVE.store(true, Ordering::SeqCst);
    let guard = TerminalGuard { _private: () };
    execute!(
        io::stdout(),
        EnterAlternateScreen,
        EnableBracketedPaste,
        Hide
    )?;
    let terminal = Terminal::new(CrosstermBackend::new(io::stdout()))?;
    Ok((terminal, guard))
}

/// Leaves the console mode (idempotent; errors ignored, there is nowhere to report them).
pub fn restore() {
    if IS_ACTIVE.swap(false, Ordering::SeqCst) {
        let mut out = io::stdout();
        let _ = execute!(
            out,
            EndSynchronizedUpdate,
            DisableBracketedPaste,
            LeaveAlternateScreen,
            Show
        );
        let _ = disable_raw_mode();
        let _ = out.flush();
    }
}

/// Installs (once) the hook that restores before the previous hook prints.
fn install_panic_hook() {
    static ONCE: OnceLock<()> = OnceLock::new();
    ONCE.get_or_init(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let on_ui = UI_THREAD.get() == Some(&std::thread::current().id());
            if on_ui || !IS_ACTIVE.load(Ordering::SeqCst) {
                restore();
                previous(info);
            } else {
                tracing::error!("task panicked: {info}");
            }
        }));
    });
}
