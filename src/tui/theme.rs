//! Styles by role, not by colour: views ask for `Role::RowSelected`, the theme decides.
//!
//! Two themes: `default` (16 ANSI colours, so it follows the terminal's palette, light or dark)
//! and `mono` (bold / reverse / underline only). `NO_COLOR` (any value) or
//! `STACPKG_THEME=mono` choose mono. Meaning never rests on colour alone: states also carry
//! glyphs and words (`✗ error`, `●` marked, `↑` sorted).

use ratatui::style::{Color, Modifier, Style};

/// What a piece of text is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Ordinary text.
    Normal,
    /// Secondary text.
    Dim,
    /// A summary line.
    Info,
    /// A table header.
    Header,
    /// The selected column's header.
    HeaderSelected,
    /// The row under the cursor.
    RowSelected,
    /// A marked row.
    RowMarked,
    /// A key name (hint bar, id column).
    Key,
    /// The focused tab.
    TabActive,
    /// Other tabs.
    TabInactive,
    /// Good news.
    Good,
    /// Needs attention.
    Warn,
    /// An error.
    Bad,
    /// A popup's border and title.
    Popup,
    /// A text input being edited.
    Input,
}

/// The palettes: `dark` and `light` backgrounds, and `mono` (no colour at all).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Palette {
    /// For dark backgrounds (the default).
    Dark,
    /// For light backgrounds: no yellow text, blue marks.
    Light,
    /// Bold, dim and reverse only (`NO_COLOR`).
    Mono,
}

/// A palette of styles by role. Every state also carries a glyph or a word, so no palette
/// is the only carrier of meaning.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Theme {
    palette: Palette,
}

impl Theme {
    /// The dark-background theme.
    pub fn colour() -> Theme {
        Theme {
            palette: Palette::Dark,
        }
    }

    /// The light-background theme.
    pub fn light() -> Theme {
        Theme {
            palette: Palette::Light,
        }
    }

    /// The monochrome theme.
    pub fn mono() -> Theme {
        Theme {
            palette: Palette::Mono,
        }
    }

    /// Its palette.
    pub fn palette(&self) -> Palette {
        self.palette
    }

    /// The theme named `dark`, `light`, `mono` or `auto` (the terminal's background, from
    /// `COLORFGBG` when the terminal sets it, else dark).
    pub fn named(name: &str) -> Result<Theme, String> {
        match name {
            "dark" => Ok(Theme::colour()),
            "light" => Ok(Theme::light()),
            "mono" => Ok(Theme::mono()),
            "auto" => Ok(Theme::auto(std::env::var("COLORFGBG").ok().as_deref())),
            other => Err(format!(
                "unknown theme {other:?}: use dark, light, mono or auto"
            )),
        }
    }

    /// `auto`: light when `COLORFGBG` (`fg;bg`) names a light background (7 or 15).
    pub fn auto(colorfgbg: Option<&str>) -> Theme {
        let bg = colorfgbg.and_then(|v| v.rsplit(';').next()).unwrap_or("");
        if matches!(bg, "7" | "15") {
            Theme::light()
        } else {
            Theme::colour()
        }
    }

    /// `NO_COLOR` wins (mono); then `STACPKG_THEME`; then `configured` (the config file's
    /// `theme`); else `auto`.
    pub fn choose(configured: Option<&str>) -> Result<Theme, String> {
        if std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()) {
            return Ok(Theme::mono());
        }
        let env = std::env::var("STACPKG_THEME")
            .ok()
            .filter(|v| !v.is_empty());
        Theme::named(env.as_deref().or(configured).unwrap_or("auto"))
    }

    /// Whether the choice is `auto` with nothing to go on (no `COLORFGBG`): then the console
    /// asks the terminal for its background (OSC 11) once it is in raw mode.
    pub fn wants_query(configured: Option<&str>) -> bool {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        let env = std::env::var("STACPKG_THEME")
            .ok()
            .filter(|v| !v.is_empty());
        let name = env.as_deref().or(configured).unwrap_or("auto");
        !no_color && name == "auto" && std::env::var_os("COLORFGBG").is_none()
    }

    /// Mono when `NO_COLOR` is set, else `STACPKG_THEME` (dark when it names no theme).
    pub fn from_env() -> Theme {
        Theme::choose(None).unwrap_or_else(|_| Theme::colour())
    }

    /// The style of a role.
    pub fn style(&self, role: Role) -> Style {
        let s = Style::default();
        if self.palette == Palette::Light {
            return match role {
                Role::Dim | Role::TabInactive => s.fg(Color::Indexed(242)),
                Role::Info | Role::Key | Role::Popup => s.fg(Color::Blue),
                Role::HeaderSelected => s
                    .add_modifier(Modifier::BOLD | Modifier::UNDERLINED)
                    .fg(Color::Blue),
                Role::RowMarked => s.fg(Color::Blue).add_modifier(Modifier::BOLD),
                Role::Good => s.fg(Color::Indexed(28)),
                Role::Warn => s.fg(Color::Magenta).add_modifier(Modifier::BOLD),
                Role::Bad => s.fg(Color::Red).add_modifier(Modifier::BOLD),
                Role::Normal | Role::Header | Role::RowSelected | Role::TabActive | Role::Input => {
                    Theme::mono().style(role)
                }
            };
        }
        if self.palette == Palette::Mono {
            return match role {
                Role::Normal | Role::Info | Role::Key | Role::Good | Role::Popup => s,
                Role::Dim | Role::TabInactive => s.add_modifier(Modifier::DIM),
                Role::Header => s.add_modifier(Modifier::BOLD),
                Role::HeaderSelected => s.add_modifier(Modifier::BOLD | Modifier::UNDERLINED),
                Role::RowSelected | Role::TabActive | Role::Input => {
                    s.add_modifier(Modifier::REVERSED)
                }
                Role::RowMarked | Role::Warn | Role::Bad => s.add_modifier(Modifier::BOLD),
            };
        }
        match role {
            Role::Normal => s,
            // Grey 245, not "dark grey": that one vanishes on many dark schemes.
            Role::Dim => s.fg(Color::Indexed(245)),
            Role::Info => s.fg(Color::Cyan),
            Role::Header => s.add_modifier(Modifier::BOLD),
            Role::HeaderSelected => s
                .add_modifier(Modifier::BOLD | Modifier::UNDERLINED)
                .fg(Color::Yellow),
            Role::RowSelected => s.add_modifier(Modifier::REVERSED),
            Role::RowMarked => s.fg(Color::Yellow),
            Role::Key => s.fg(Color::Cyan),
            Role::TabActive => s.add_modifier(Modifier::REVERSED | Modifier::BOLD),
            Role::TabInactive => s.fg(Color::Indexed(245)),
            Role::Good => s.fg(Color::Green),
            Role::Warn => s.fg(Color::Yellow).add_modifier(Modifier::BOLD),
            Role::Bad => s.fg(Color::Red).add_modifier(Modifier::BOLD),
            Role::Popup => s.fg(Color::Cyan),
            Role::Input => s.add_modifier(Modifier::REVERSED),
        }
    }
}

#[cfg(test)]
mod palette_tests {
    use super::*;

    #[test]
    fn themes_by_name_and_auto_from_the_background() {
        assert_eq!(Theme::named("light").unwrap().palette(), Palette::Light);
        assert!(Theme::named("solarized")
            .unwrap_err()
            .contains("dark, light, mono or auto"));
        assert_eq!(Theme::auto(Some("0;15")).palette(), Palette::Light);
        assert_eq!(Theme::auto(Some("15;0")).palette(), Palette::Dark);
        assert_eq!(Theme::auto(None).palette(), Palette::Dark);
        // Light: no yellow anywhere; marked rows stay readable on white.
        for role in [Role::RowMarked, Role::Warn, Role::HeaderSelected] {
            assert_ne!(
                Theme::light().style(role).fg,
                Some(Color::Yellow),
                "{role:?}"
            );
        }
        assert_eq!(Theme::mono().style(Role::Bad).fg, None);
    }
}
