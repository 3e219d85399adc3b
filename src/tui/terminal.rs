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

/// How long the background query waits for the terminal's answers.
const QUERY_WAIT: std::time::Duration = std::time::Duration::from_millis(200);

/// Asks the terminal for its background colour (OSC 11), followed by a device-attributes
/// query (DA1) that every terminal answers: reading up to the DA1 answer means no late OSC 11
/// reply is left to be read as keys. Call in raw mode, before the event reader starts.
/// `Some(true)` for a light background, `None` when the terminal does not say in time.
pub fn query_background() -> Option<bool> {
    use std::io::Read;
    let mut out = io::stdout();
    out.write_all(b"\x1b]11;?\x1b\\\x1b[c").ok()?;
    out.flush().ok()?;
    let stdin = io::stdin();
    let deadline = std::time::Instant::now() + QUERY_WAIT;
    let mut got = Vec::new();
    let mut buf = [0u8; 256];
    loop {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        if left.is_zero() {
            break;
        }
        let timeout = rustix::event::Timespec {
            tv_sec: 0,
            tv_nsec: i64::try_from(left.as_nanos()).unwrap_or(0),
        };
        let mut fds = [rustix::event::PollFd::new(
            &stdin,
            rustix::event::PollFlags::IN,
        )];
        if rustix::event::poll(&mut fds, Some(&timeout)).ok()? == 0 {
            break;
        }
        let n = stdin.lock().read(&mut buf).ok()?;
        if n == 0 {
            break;
        }
        got.extend_from_slice(&buf[..n]);
        // The DA1 answer (ESC [ ? … c) comes last.
        if got.windows(3).any(|w| w == b"\x1b[?") && got.ends_with(b"c") {
            break;
        }
    }
    parse_background(&String::from_utf8_lossy(&got))
}

/// Whether an OSC 11 answer (`ESC ] 11 ; rgb:RRRR/GGGG/BBBB`) names a light colour.
pub fn parse_background(answer: &str) -> Option<bool> {
    let rgb = answer.split("rgb:").nth(1)?;
    let parts: Vec<f64> = rgb
        .split(['/', '\x1b', '\x07'])
        .take(3)
        .map(|h| {
            let h: String = h.chars().take_while(char::is_ascii_hexdigit).collect();
            let max = 16f64.powi(i32::try_from(h.len()).unwrap_or(4)) - 1.0;
            u32::from_str_radix(&h, 16).map(|v| f64::from(v) / max)
        })
        .collect::<Result<_, _>>()
        .ok()?;
    let [r, g, b] = parts.as_slice() else {
        return None;
    };
    // Relative luminance (Rec. 709 weights, good enough to tell light from dark).
    Some(0.2126 * r + 0.7152 * g + 0.0722 * b > 0.5)
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

#[cfg(test)]
mod background_tests {
    use super::parse_background;

    #[test]
    fn osc11_answers_tell_light_from_dark() {
        assert_eq!(
            parse_background("\x1b]11;rgb:ffff/ffff/ffff\x1b\\\x1b[?62;c"),
            Some(true)
        );
        assert_eq!(
            parse_background("\x1b]11;rgb:1e1e/1e1e/2e2e\x07"),
            Some(false)
        );
        assert_eq!(parse_background("\x1b]11;rgb:fd/f6/e3\x1b\\"), Some(true));
        assert_eq!(parse_background("\x1b[?62;c"), None);
    }
}
