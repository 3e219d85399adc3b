//! Entering and leaving the terminal's console mode, with restore guaranteed twice.
//!
//! [`TerminalGuard`] restores on drop (normal quit, `?` errors); the panic hook
//! restores from a panic on the UI thread, then chains to the previous hook so the message
//! prints on the normal screen. A panic on another thread (a task) is caught by tokio and
//! reported as a message: the hook then only logs it to the log file, leaving the console up
//! and the screen unscribbled.
//!
//! A [`Signal`] (SIGHUP, SIGINT, SIGTERM, or the terminal going away, which counts as a
//! hangup) ends the console through the inbox like a quit, so the same guard restores; the
//! process then exits with 128 + the signal's number. [`force_exit`] is the last resort when
//! the loop cannot get there (a draw blocked on a stalled terminal).

use std::io::{self, IsTerminal, Stdout, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::OnceLock;
use std::thread::ThreadId;

use crossterm::cursor::{Hide, Show};
use crossterm::event::{
    DisableBracketedPaste, DisableFocusChange, DisableMouseCapture, EnableBracketedPaste,
    EnableFocusChange, EnableMouseCapture,
};
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

/// What ended the console from outside: a signal, or the terminal closing (a hangup).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    /// SIGHUP, or the terminal went away (a dropped SSH connection, a closed tmux pane).
    Hangup,
    /// SIGINT from outside (raw mode turns ctrl-c into a key).
    Interrupt,
    /// SIGTERM.
    Terminate,
}

impl Signal {
    /// The signal's number (SIGHUP 1, SIGINT 2, SIGTERM 15).
    pub fn number(self) -> u8 {
        match self {
            Signal::Hangup => 1,
            Signal::Interrupt => 2,
            Signal::Terminate => 15,
        }
    }

    /// The conventional exit status of a process ended by the signal: 128 + its number.
    pub fn exit_code(self) -> u8 {
        128 + self.number()
    }
}

/// Whether the terminal is gone: after a hangup (the pty's other side closed) the kernel
/// answers every terminal request on it with an error, so stdin or stdout stops being one.
pub fn is_gone() -> bool {
    !(io::stdin().is_terminal() && io::stdout().is_terminal())
}

/// Exits at once with `code`, leaving raw mode first (a `tcsetattr`, which does not wait for
/// output) but writing nothing: a write is what may be stuck. For when the loop could not
/// end in time.
pub fn force_exit(code: u8) -> ! {
    // Idempotent, and it holds no lock a stuck write could be holding.
    let _ = disable_raw_mode();
    std::process::exit(i32::from(code))
}

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
        EnableFocusChange,
        Hide
    )?;
    let terminal = Terminal::new(CrosstermBackend::new(io::stdout()))?;
    Ok((terminal, guard))
}

/// Turns mouse reporting on or off (SGR mode, which tmux and every modern terminal speak).
pub fn set_mouse(on: bool) -> io::Result<()> {
    if on {
        execute!(io::stdout(), EnableMouseCapture)
    } else {
        execute!(io::stdout(), DisableMouseCapture)
    }
}

/// Leaves the console mode (idempotent; errors ignored, there is nowhere to report them).
pub fn restore() {
    if IS_ACTIVE.swap(false, Ordering::SeqCst) {
        let mut out = io::stdout();
        let _ = execute!(
            out,
            EndSynchronizedUpdate,
            DisableMouseCapture,
            DisableFocusChange,
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
