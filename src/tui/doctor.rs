//! `stacpkg doctor`: what this terminal gives the console — colours, the clipboard path
//! (OSC 52), an image protocol, synchronized output, tmux and its clipboard / passthrough
//! options, SSH — and, for each gap, the one line of configuration that closes it.
//!
//! [`checks`] is a pure function of the environment it is given ([`Env`]), so the report is
//! tested without a particular terminal; [`Env::current`] reads the real one (and asks tmux
//! for its options when inside it).

use std::collections::HashMap;

/// What the checks look at: environment variables and, inside tmux, its global options.
#[derive(Debug, Clone, Default)]
pub struct Env {
    /// The variables that matter (`TERM`, `COLORTERM`, `TMUX`, `SSH_CONNECTION`, …).
    pub vars: HashMap<String, String>,
    /// `tmux show-options -g NAME` values (empty outside tmux).
    pub tmux: HashMap<String, String>,
}

const VARS: &[&str] = &[
    "TERM",
    "COLORTERM",
    "TERM_PROGRAM",
    "TMUX",
    "SSH_CONNECTION",
    "SSH_TTY",
    "NO_COLOR",
    "KITTY_WINDOW_ID",
    "WEZTERM_EXECUTABLE",
    "COLORFGBG",
    "LC_TERMINAL",
];

const TMUX_OPTIONS: &[&str] = &["set-clipboard", "allow-passthrough", "default-terminal"];

impl Env {
    /// The real environment (and tmux's options when `TMUX` is set).
    pub fn current() -> Env {
        let vars = VARS
            .iter()
            .filter_map(|k| std::env::var(k).ok().map(|v| ((*k).to_string(), v)))
            .collect::<HashMap<_, _>>();
        let mut tmux = HashMap::new();
        if vars.contains_key("TMUX") {
            for name in TMUX_OPTIONS {
                let out = std::process::Command::new("tmux")
                    .args(["show-options", "-gv", name])
                    .output();
                if let Some(o) = out.ok().filter(|o| o.status.success()) {
                    let value = String::from_utf8_lossy(&o.stdout).trim().to_string();
                    tmux.insert((*name).to_string(), value);
                }
            }
        }
        Env { vars, tmux }
    }

    fn var(&self, k: &str) -> &str {
        self.vars.get(k).map_or("", String::as_str)
    }
}

/// One line of the report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    /// What is checked.
    pub topic: &'static str,
    /// What was found.
    pub found: String,
    /// The line that fixes a gap (`None`: nothing to fix).
    pub fix: Option<String>,
}

fn check(topic: &'static str, found: impl Into<String>, fix: Option<&str>) -> Check {
    Check {
        topic,
        found: found.into(),
        fix: fix.map(String::from),
    }
}

/// The checks for `env`.
pub fn checks(env: &Env) -> Vec<Check> {
    let term = env.var("TERM");
    let in_tmux = !env.var("TMUX").is_empty();
    let mut out = Vec::new();
    // Colours.
    let colours = if !env.var("NO_COLOR").is_empty() {
        check("colours", "none (NO_COLOR is set): the mono theme", None)
    } else if matches!(env.var("COLORTERM"), "truecolor" | "24bit") {
        check("colours", "24-bit (COLORTERM)", None)
    } else if term.contains("256color") {
        check("colours", format!("256 ({term})"), None)
    } else {
        check(
            "colours",
            format!("basic ({})", if term.is_empty() { "no TERM" } else { term }),
            Some(if in_tmux {
                "set -g default-terminal tmux-256color   # in ~/.tmux.conf"
            } else {
                "export TERM=xterm-256color   # if your terminal supports it"
            }),
        )
    };
    out.push(colours);
    // Clipboard.
    let clipboard = if in_tmux {
        match (
            env.tmux.get("set-clipboard").map(String::as_str),
            env.tmux.get("allow-passthrough").map(String::as_str),
        ) {
            (Some("on" | "external"), _) => check("clipboard", "OSC 52 via tmux (set-clipboard on)", None),
            (_, Some("on" | "all")) => check("clipboard", "OSC 52 through tmux passthrough", None),
            _ => check(
                "clipboard",
                "tmux drops OSC 52 (set-clipboard off): copies go to clipboard.txt in the state dir",
                Some("set -g set-clipboard on   # in ~/.tmux.conf"),
            ),
        }
    } else if matches!(term, "dumb" | "linux" | "") {
        check(
            "clipboard",
            "none: copies go to clipboard.txt in the state dir",
            None,
        )
    } else {
        check(
            "clipboard",
            "OSC 52 (most terminals; some ask to allow it)",
            None,
        )
    };
    out.push(clipboard);
    // Images (thumbnails): kitty graphics, iTerm2 inline, sixel; what `auto` draws with.
    let program = env.var("TERM_PROGRAM");
    let images = if !env.var("KITTY_WINDOW_ID").is_empty() || term.contains("kitty") {
        "kitty graphics"
    } else if matches!(program, "iTerm.app" | "WezTerm")
        || !env.var("WEZTERM_EXECUTABLE").is_empty()
    {
        "iTerm2 inline images"
    } else if term.contains("sixel") || term.starts_with("foot") || term.starts_with("mlterm") {
        "sixel"
    } else {
        "none known"
    };
    let passthrough_needed = in_tmux
        && images != "none known"
        && !matches!(
            env.tmux.get("allow-passthrough").map(String::as_str),
            Some("on" | "all")
        );
    let auto = super::thumbnail::protocol::decide(super::thumbnail::protocol::Choice::Auto, &|k| {
        Some(env.var(k).to_string()).filter(|v| !v.is_empty())
    });
    let drawn = super::thumbnail::protocol::name(auto);
    out.push(check(
        "images",
        format!("{images}; thumbnails draw in {drawn} (--image-protocol to choose)"),
        passthrough_needed.then_some("set -g allow-passthrough on   # in ~/.tmux.conf"),
    ));
    // Synchronized output (no tearing on slow links).
    let sync = in_tmux
        || matches!(program, "iTerm.app" | "WezTerm" | "vscode")
        || term.contains("kitty")
        || term.starts_with("foot")
        || term.contains("alacritty");
    out.push(check(
        "synchronized output",
        if sync {
            "yes"
        } else {
            "unknown (frames may tear on a slow link; --fps 5 helps)"
        },
        None,
    ));
    // tmux itself.
    out.push(if in_tmux {
        let dt = env
            .tmux
            .get("default-terminal")
            .cloned()
            .unwrap_or_default();
        let fix = (!dt.contains("256color"))
            .then_some("set -g default-terminal tmux-256color   # in ~/.tmux.conf");
        check("tmux", format!("yes (default-terminal {dt})"), fix)
    } else {
        check("tmux", "no", None)
    });
    // SSH.
    let ssh = !env.var("SSH_CONNECTION").is_empty() || !env.var("SSH_TTY").is_empty();
    out.push(check(
        "ssh",
        if ssh {
            "yes: OSC 52 copies reach the machine you sit at"
        } else {
            "no (a local session)"
        },
        None,
    ));
    out
}

/// The report as text: a line per check, the fix indented under it.
pub fn render(checks: &[Check]) -> String {
    let mut out = String::new();
    for c in checks {
        let mark = if c.fix.is_some() { "✗" } else { "✓" };
        out.push_str(&format!("{mark} {:<20} {}\n", c.topic, c.found));
        if let Some(fix) = &c.fix {
            out.push_str(&format!("    fix: {fix}\n"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(vars: &[(&str, &str)], tmux: &[(&str, &str)]) -> Env {
        let map =
            |kv: &[(&str, &str)]| kv.iter().map(|(k, v)| ((*k).into(), (*v).into())).collect();
        Env {
            vars: map(vars),
            tmux: map(tmux),
        }
    }

    #[test]
    fn tmux_without_clipboard_gets_the_one_line_fix() {
        let e = env(
            &[
                ("TERM", "tmux-256color"),
                ("TMUX", "/tmp/t,1,0"),
                ("SSH_TTY", "/dev/pts/1"),
            ],
            &[
                ("set-clipboard", "off"),
                ("default-terminal", "tmux-256color"),
            ],
        );
        let report = render(&checks(&e));
        assert!(report.contains("✗ clipboard"), "{report}");
        assert!(report.contains("fix: set -g set-clipboard on"), "{report}");
        assert!(
            report.contains("✓ colours              256 (tmux-256color)"),
            "{report}"
        );
        assert!(report.contains("✓ ssh                  yes"), "{report}");
    }

    #[test]
    fn a_plain_truecolor_terminal_has_nothing_to_fix() {
        let e = env(
            &[("TERM", "xterm-256color"), ("COLORTERM", "truecolor")],
            &[],
        );
        let c = checks(&e);
        assert!(c.iter().all(|c| c.fix.is_none()), "{c:?}");
        assert!(render(&c).contains("24-bit"));
    }
}
