//! Copy to the clipboard of the machine the operator sits at, over SSH: the OSC 52 escape
//! sequence, which the terminal emulator (not the remote host) turns into a clipboard write.
//!
//! Inside tmux the sequence goes to tmux: with `set-clipboard` on (or external) tmux keeps
//! it as a paste buffer and forwards it to the outer terminal; with it off but
//! `allow-passthrough` on, the sequence is wrapped in tmux's DCS passthrough so it reaches the
//! outer terminal untouched. Where neither works (`set-clipboard off` without passthrough, a
//! `dumb` or `linux` console, a payload too large for terminals to accept), the text goes to
//! `clipboard.txt` in the state directory instead, and the status line says so and why.
//!
//! [`Route::detect`] runs once at start-up (it asks tmux for its options); writing the
//! sequence is the effect runner's, between frames, on the thread that draws.

use std::io::Write;
use std::path::{Path, PathBuf};

use base64::Engine;

/// The largest text sent as OSC 52 (many terminals drop longer sequences; xterm's default
/// limit is about 100 kB of base64).
pub const MAX_OSC52_BYTES: usize = 74_000;

/// How copied text reaches the clipboard.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// OSC 52 straight to the terminal.
    Osc52,
    /// OSC 52 to tmux, which stores and forwards it (`set-clipboard on|external`).
    Tmux,
    /// OSC 52 wrapped in tmux's passthrough (`allow-passthrough on`).
    TmuxPassthrough,
    /// No clipboard path: the text goes to this file; the reason says why.
    File {
        /// The file written.
        path: PathBuf,
        /// Why the terminal cannot take it.
        reason: String,
    },
}

impl Route {
    /// Finds the route for this terminal: `TMUX` and tmux's own options, else `TERM`.
    pub fn detect(state_dir: &Path) -> Route {
        let file = |reason: &str| Route::File {
            path: state_dir.join("clipboard.txt"),
            reason: reason.to_string(),
        };
        let term = std::env::var("TERM").unwrap_or_default();
        if std::env::var_os("TMUX").is_some() {
            let option = |name: &str| {
                std::process::Command::new("tmux")
                    .args(["show-options", "-gv", name])
                    .output()
                    .ok()
                    .filter(|o| o.status.success())
                    .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
                    .unwrap_or_default()
            };
            return match (
                option("set-clipboard").as_str(),
                option("allow-passthrough").as_str(),
            ) {
                ("on" | "external", _) => Route::Tmux,
                (_, "on" | "all") => Route::TmuxPassthrough,
                _ => file("tmux has set-clipboard off; `tmux set -g set-clipboard on` fixes it"),
            };
        }
        match term.as_str() {
            "dumb" | "linux" | "" => file(&format!(
                "the terminal ({}) has no OSC 52 clipboard",
                if term.is_empty() {
                    "no TERM"
                } else {
                    term.as_str()
                }
            )),
            _ => Route::Osc52,
        }
    }

    /// A word for the status line.
    pub fn word(&self) -> &'static str {
        match self {
            Route::Osc52 => "OSC 52",
            Route::Tmux => "OSC 52 via tmux",
            Route::TmuxPassthrough => "OSC 52 through tmux passthrough",
            Route::File { .. } => "a file",
        }
    }
}

/// The escape sequence that puts `text` on the clipboard, for `route` (`None` for a file).
pub fn sequence(text: &str, route: &Route) -> Option<String> {
    let b64 = base64::engine::general_purpose::STANDARD.encode(text.as_bytes());
    let osc = format!("\x1b]52;c;{b64}\x1b\\");
    match route {
        Route::Osc52 | Route::Tmux => Some(osc),
        // Inside the passthrough every ESC of the wrapped sequence is doubled.
        Route::TmuxPassthrough => Some(format!(
            "\x1bPtmux;{}\x1b\\",
            osc.replace('\x1b', "\x1b\x1b")
        )),
        Route::File { .. } => None,
    }
}

/// Copies `text`: writes the sequence to the terminal (`out`), or a file — the route's, or
/// `fallback` when the text is too long for OSC 52. Returns the status line.
pub fn copy(
    text: &str,
    route: &Route,
    fallback: &Path,
    out: &mut impl Write,
) -> std::io::Result<String> {
    let bytes = text.len();
    let file = match route {
        Route::File { path, reason } => Some((path.clone(), reason.clone())),
        _ if bytes > MAX_OSC52_BYTES => Some((
            fallback.to_path_buf(),
            format!("{bytes} bytes is more than terminals take over OSC 52"),
        )),
        _ => None,
    };
    if let Some((path, reason)) = file {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        let f = crate::atomic::AtomicFile::create(&path).map_err(std::io::Error::other)?;
        f.handle()
            .map_err(std::io::Error::other)?
            .write_all(text.as_bytes())?;
        f.commit().map_err(std::io::Error::other)?;
        return Ok(format!(
            "wrote {bytes} bytes to {} ({reason})",
            path.display()
        ));
    }
    let seq = sequence(text, route).unwrap_or_default();
    out.write_all(seq.as_bytes())?;
    out.flush()?;
    Ok(format!("copied {bytes} bytes ({})", route.word()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sequence_is_osc52_and_the_passthrough_doubles_escapes() {
        let s = sequence("hi", &Route::Osc52).unwrap();
        assert_eq!(s, "\x1b]52;c;aGk=\x1b\\");
        let p = sequence("hi", &Route::TmuxPassthrough).unwrap();
        assert_eq!(p, "\x1bPtmux;\x1b\x1b]52;c;aGk=\x1b\x1b\\\x1b\\");
    }

    #[test]
    fn a_file_route_writes_the_file_and_says_why() {
        let d = tempfile::tempdir().unwrap();
        let route = Route::File {
            path: d.path().join("clipboard.txt"),
            reason: "no OSC 52".into(),
        };
        let mut out = Vec::new();
        let fallback = d.path().join("big.txt");
        let status = copy("abc", &route, &fallback, &mut out).unwrap();
        assert!(out.is_empty());
        assert_eq!(
            std::fs::read_to_string(d.path().join("clipboard.txt")).unwrap(),
            "abc"
        );
        assert!(
            status.starts_with("wrote 3 bytes to ") && status.ends_with("(no OSC 52)"),
            "{status}"
        );
        let status = copy("abc", &Route::Osc52, &fallback, &mut out).unwrap();
        assert_eq!(status, "copied 3 bytes (OSC 52)");
        assert_eq!(out, b"\x1b]52;c;YWJj\x1b\\");
        let big = "x".repeat(MAX_OSC52_BYTES + 1);
        let status = copy(&big, &Route::Osc52, &fallback, &mut out).unwrap();
        assert!(
            status.contains("big.txt") && status.contains("more than terminals take"),
            "{status}"
        );
    }
}
