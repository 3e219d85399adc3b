//! Which image protocol thumbnails are drawn with: `image_protocol` in `config.toml` or
//! `--image-protocol` (`auto`, `halfblocks`, `kitty`, `sixel`, `iterm2`).
//!
//! `auto` decides from the environment, without asking the terminal anything unless it
//! names a graphics terminal: over SSH or inside tmux it is half-blocks (graphics rarely pass
//! through either, and a guess that fails draws garbage); kitty and Ghostty say so in `TERM` /
//! `KITTY_WINDOW_ID` / `TERM_PROGRAM`, iTerm2 and WezTerm in `TERM_PROGRAM` / `LC_TERMINAL`,
//! foot and mlterm (sixel) in `TERM`. A graphics protocol needs the cell size in pixels, so
//! only then is the terminal asked (once, at start, before its input is read).

use ratatui_image::picker::{Picker, ProtocolType};
use ratatui_image::FontSize;

/// A half-blocks picker whose "cell" is 1×2 pixels: half-blocks draw one pixel per half cell,
/// so the image is scaled straight to the popup's half cells (the crate's default 10×20
/// scaled it to 100 times the pixels first, ~20 ms a popup for the same picture).
pub fn halfblocks() -> Picker {
    // The crate's only way to set the cell size without asking the terminal; it is marked
    // deprecated in favour of asking, which half-blocks do not need.
    #[allow(deprecated)]
    let mut p = Picker::from_fontsize(FontSize::new(1, 2));
    p.set_protocol_type(ProtocolType::Halfblocks);
    p
}

/// The setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Choice {
    /// Decide from the environment.
    #[default]
    Auto,
    /// This protocol.
    Fixed(ProtocolType),
}

impl Choice {
    /// Parses the setting's value.
    pub fn parse(text: &str) -> Result<Choice, String> {
        Ok(match text.trim().to_ascii_lowercase().as_str() {
            "auto" | "" => Choice::Auto,
            "halfblocks" | "half-blocks" => Choice::Fixed(ProtocolType::Halfblocks),
            "kitty" => Choice::Fixed(ProtocolType::Kitty),
            "sixel" => Choice::Fixed(ProtocolType::Sixel),
            "iterm2" | "iterm" => Choice::Fixed(ProtocolType::Iterm2),
            other => {
                return Err(format!(
                    "image protocol `{other}`: use auto, halfblocks, kitty, sixel or iterm2"
                ))
            }
        })
    }
}

/// The protocol `choice` comes to in an environment (`var` reads a variable).
pub fn decide(choice: Choice, var: &dyn Fn(&str) -> Option<String>) -> ProtocolType {
    if let Choice::Fixed(p) = choice {
        return p;
    }
    let set = |name: &str| var(name).is_some_and(|v| !v.is_empty());
    let term = var("TERM").unwrap_or_default();
    let program = var("TERM_PROGRAM").unwrap_or_default();
    if set("SSH_CONNECTION") || set("SSH_TTY") || set("TMUX") || term.starts_with("tmux") {
        return ProtocolType::Halfblocks;
    }
    if term.contains("kitty") || set("KITTY_WINDOW_ID") || program == "ghostty" {
        ProtocolType::Kitty
    } else if program == "iTerm.app"
        || program == "WezTerm"
        || var("LC_TERMINAL").as_deref() == Some("iTerm2")
    {
        ProtocolType::Iterm2
    } else if term.starts_with("foot") || term.starts_with("mlterm") {
        ProtocolType::Sixel
    } else {
        ProtocolType::Halfblocks
    }
}

/// The picker for the real terminal: half-blocks without a question, else the terminal's
/// cell size asked for (half-blocks if it does not answer).
pub fn picker(choice: Choice) -> Picker {
    let protocol = decide(choice, &|name| std::env::var(name).ok());
    if protocol == ProtocolType::Halfblocks {
        return halfblocks();
    }
    match Picker::from_query_stdio() {
        Ok(mut p) => {
            p.set_protocol_type(protocol);
            p
        }
        Err(e) => {
            tracing::warn!("asking the terminal for its cell size: {e}; thumbnails in half-blocks");
            halfblocks()
        }
    }
}

/// The protocol's name, for the popup and `--print-config`.
pub fn name(p: ProtocolType) -> &'static str {
    match p {
        ProtocolType::Halfblocks => "halfblocks",
        ProtocolType::Kitty => "kitty",
        ProtocolType::Sixel => "sixel",
        ProtocolType::Iterm2 => "iterm2",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |name| {
            pairs
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn auto_is_half_blocks_over_ssh_and_in_tmux_and_names_graphics_terminals() {
        let kitty = env(&[("TERM", "xterm-kitty")]);
        assert_eq!(decide(Choice::Auto, &kitty), ProtocolType::Kitty);
        let ssh = env(&[("TERM", "xterm-kitty"), ("SSH_CONNECTION", "1 2 3 4")]);
        assert_eq!(decide(Choice::Auto, &ssh), ProtocolType::Halfblocks);
        let tmux = env(&[("TERM", "tmux-256color"), ("KITTY_WINDOW_ID", "1")]);
        assert_eq!(decide(Choice::Auto, &tmux), ProtocolType::Halfblocks);
        let iterm = env(&[("TERM_PROGRAM", "iTerm.app")]);
        assert_eq!(decide(Choice::Auto, &iterm), ProtocolType::Iterm2);
        let foot = env(&[("TERM", "foot")]);
        assert_eq!(decide(Choice::Auto, &foot), ProtocolType::Sixel);
        let plain = env(&[("TERM", "xterm-256color")]);
        assert_eq!(decide(Choice::Auto, &plain), ProtocolType::Halfblocks);
        let fixed = Choice::parse("sixel").unwrap();
        assert_eq!(decide(fixed, &ssh), ProtocolType::Sixel);
        assert!(Choice::parse("png").unwrap_err().contains("halfblocks"));
    }
}
