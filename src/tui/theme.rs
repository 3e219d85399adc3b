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

/// A palette of styles by role.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Theme {
    is_mono: bool,
}

impl Theme {
    /// The colour theme.
    pub fn colour() -> Theme {
        Theme { is_mono: false }
    }

    /// The monochrome theme.
    pub fn mono() -> Theme {
        Theme { is_mono: true }
    }

    /// Mono when `NO_COLOR` is set or `STACPKG_THEME=mono`, else colour.
    pub fn from_env() -> Theme {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        let mono = std::env::var("STACPKG_THEME").is_ok_and(|v| v == "mono");
        if no_color || mono {
            Theme::mono()
        } else {
            Theme::colour()
        }
    }

    /// The style of a role.
    pub fn style(&self, role: Role) -> Style {
        let s = Style::default();
        if self.is_mono {
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
            Role::Dim => s.fg(Color::DarkGray),
            Role::Info => s.fg(Color::Cyan),
            Role::Header => s.add_modifier(Modifier::BOLD),
            Role::HeaderSelected => s
                .add_modifier(Modifier::BOLD | Modifier::UNDERLINED)
                .fg(Color::Yellow),
            Role::RowSelected => s.add_modifier(Modifier::REVERSED),
            Role::RowMarked => s.fg(Color::Yellow),
            Role::Key => s.fg(Color::Cyan),
            Role::TabActive => s.add_modifier(Modifier::REVERSED | Modifier::BOLD),
            Role::TabInactive => s.fg(Color::DarkGray),
            Role::Good => s.fg(Color::Green),
            Role::Warn => s.fg(Color::Yellow).add_modifier(Modifier::BOLD),
            Role::Bad => s.fg(Color::Red).add_modifier(Modifier::BOLD),
            Role::Popup => s.fg(Color::Cyan),
            Role::Input => s.add_modifier(Modifier::REVERSED),
        }
    }
}
