//! The one keymap table: key → command, per scope.
//!
//! The hint bar and the `?` help overlay are generated from this table, so no view hard-codes
//! a key. The defaults are embedded; a user file (`keymap.json` in the config dir) patches
//! them: each of its bindings replaces whatever the same key did in the same scope.

use std::fmt;
use std::path::Path;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use serde::{Deserialize, Serialize};

use super::command::{Command, PaneId};

/// Where a binding applies: everywhere, or in one pane (pane bindings win). A keymap file
/// writes `"global"` or the pane's name (`"search"`, `"items"`, `"lock"`, `"validation"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum Scope {
    /// Every pane.
    Global,
    /// One pane.
    Pane(PaneId),
}

impl Scope {
    /// Every pane.
    pub const GLOBAL: Scope = Scope::Global;
}

impl TryFrom<String> for Scope {
    type Error = String;

    fn try_from(name: String) -> Result<Scope, String> {
        if name == "global" {
            return Ok(Scope::Global);
        }
        PaneId::ALL
            .into_iter()
            .find(|p| p.name() == name)
            .map(Scope::Pane)
            .ok_or_else(|| {
                let panes: Vec<&str> = PaneId::ALL.iter().map(|p| p.name()).collect();
                format!("unknown scope `{name}`; use global, {}", panes.join(", "))
            })
    }
}

impl From<Scope> for String {
    fn from(scope: Scope) -> String {
        match scope {
            Scope::Global => "global".to_string(),
            Scope::Pane(p) => p.name().to_string(),
        }
    }
}

/// A key with modifiers, written like `q`, `ctrl-c`, `shift-tab`, `enter`, `pgdn`, `f2`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeySpec {
    /// The key.
    pub code: KeyCode,
    /// Ctrl / Alt (Shift is part of the character for printable keys).
    pub mods: KeyModifiers,
}

impl KeySpec {
    /// Parses the written form.
    pub fn parse(text: &str) -> Result<KeySpec, String> {
        let mut mods = KeyModifiers::NONE;
        let mut rest = text;
        loop {
            if let Some(r) = rest.strip_prefix("ctrl-") {
                mods |= KeyModifiers::CONTROL;
                rest = r;
            } else if let Some(r) = rest.strip_prefix("alt-") {
                mods |= KeyModifiers::ALT;
                rest = r;
            } else {
                break;
            }
        }
        let code = match rest {
            "enter" => KeyCode::Enter,
            "esc" => KeyCode::Esc,
            "tab" => KeyCode::Tab,
            "shift-tab" => KeyCode::BackTab,
            "space" => KeyCode::Char(' '),
            "up" => KeyCode::Up,
            "down" => KeyCode::Down,
            "left" => KeyCode::Left,
            "right" => KeyCode::Right,
            "pgup" => KeyCode::PageUp,
            "pgdn" => KeyCode::PageDown,
            "home" => KeyCode::Home,
            "end" => KeyCode::End,
            "backspace" => KeyCode::Backspace,
            "delete" => KeyCode::Delete,
            f if f.len() > 1 && f.starts_with('f') && f[1..].parse::<u8>().is_ok() => {
                KeyCode::F(f[1..].parse().unwrap_or(1))
            }
            c if c.chars().count() == 1 => KeyCode::Char(c.chars().next().unwrap_or(' ')),
            _ => {
                return Err(format!(
                    "unknown key {text:?} (e.g. q, ctrl-c, enter, pgdn, f2)"
                ))
            }
        };
        Ok(KeySpec { code, mods })
    }

    /// Whether a terminal key event is this key.
    pub fn matches(&self, key: &KeyEvent) -> bool {
        let mods = key.modifiers & (KeyModifiers::CONTROL | KeyModifiers::ALT);
        let code = match key.code {
            KeyCode::Char(c) if mods.contains(KeyModifiers::CONTROL) => {
                KeyCode::Char(c.to_ascii_lowercase())
            }
            c => c,
        };
        code == self.code && mods == self.mods
    }
}

impl fmt::Display for KeySpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.mods.contains(KeyModifiers::CONTROL) {
            f.write_str("ctrl-")?;
        }
        if self.mods.contains(KeyModifiers::ALT) {
            f.write_str("alt-")?;
        }
        match self.code {
            KeyCode::Enter => f.write_str("enter"),
            KeyCode::Esc => f.write_str("esc"),
            KeyCode::Tab => f.write_str("tab"),
            KeyCode::BackTab => f.write_str("shift-tab"),
            KeyCode::Char(' ') => f.write_str("space"),
            KeyCode::Up => f.write_str("↑"),
            KeyCode::Down => f.write_str("↓"),
            KeyCode::Left => f.write_str("←"),
            KeyCode::Right => f.write_str("→"),
            KeyCode::PageUp => f.write_str("pgup"),
            KeyCode::PageDown => f.write_str("pgdn"),
            KeyCode::Home => f.write_str("home"),
            KeyCode::End => f.write_str("end"),
            KeyCode::Backspace => f.write_str("backspace"),
            KeyCode::Delete => f.write_str("delete"),
            KeyCode::F(n) => write!(f, "f{n}"),
            KeyCode::Char(c) => write!(f, "{c}"),
            other => write!(f, "{other:?}"),
        }
    }
}

/// One row of the table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binding {
    /// The key.
    pub key: KeySpec,
    /// What it does.
    pub command: Command,
    /// Where.
    pub scope: Scope,
}

/// The embedded defaults: (scope, key, command). The first key of a command is its hint.
const DEFAULTS: &[(Scope, &str, Command)] = &[
    (Scope::GLOBAL, "q", Command::Quit),
    (Scope::GLOBAL, "ctrl-c", Command::ForceQuit),
    (Scope::GLOBAL, "?", Command::ToggleHelp),
    (Scope::GLOBAL, "tab", Command::NextPane),
    (Scope::GLOBAL, "shift-tab", Command::PrevPane),
    (Scope::GLOBAL, "1", Command::FocusSearch),
    (Scope::GLOBAL, "2", Command::FocusItems),
    (Scope::GLOBAL, "3", Command::FocusLock),
    (Scope::GLOBAL, "4", Command::FocusValidation),
    (Scope::GLOBAL, "5", Command::FocusPackage),
    (Scope::GLOBAL, ":", Command::CommandLine),
    (Scope::GLOBAL, "t", Command::ShowTasks),
    (Scope::GLOBAL, "L", Command::ShowCommandLog),
    (Scope::GLOBAL, "y", Command::CopyValue),
    (Scope::GLOBAL, "Y", Command::CopyJson),
    (Scope::GLOBAL, "I", Command::CopyId),
    (Scope::GLOBAL, "C", Command::CopyCommand),
    (Scope::GLOBAL, "P", Command::TogglePause),
    (Scope::GLOBAL, "ctrl-o", Command::ToggleMouse),
    (Scope::GLOBAL, "esc", Command::Cancel),
    (Scope::GLOBAL, "up", Command::Up),
    (Scope::GLOBAL, "k", Command::Up),
    (Scope::GLOBAL, "down", Command::Down),
    (Scope::GLOBAL, "j", Command::Down),
    (Scope::GLOBAL, "pgup", Command::PageUp),
    (Scope::GLOBAL, "pgdn", Command::PageDown),
    (Scope::GLOBAL, "home", Command::Top),
    (Scope::GLOBAL, "g", Command::Top),
    (Scope::GLOBAL, "end", Command::Bottom),
    (Scope::GLOBAL, "G", Command::Bottom),
    (Scope::GLOBAL, "M", Command::ShowMessages),
    (Scope::Pane(PaneId::Items), "space", Command::ToggleMark),
    (Scope::Pane(PaneId::Items), "enter", Command::OpenItem),
    (Scope::Pane(PaneId::Items), "/", Command::StartFilter),
    (Scope::Pane(PaneId::Items), "s", Command::Sort),
    (Scope::Pane(PaneId::Items), "left", Command::Left),
    (Scope::Pane(PaneId::Items), "h", Command::Left),
    (Scope::Pane(PaneId::Items), "right", Command::Right),
    (Scope::Pane(PaneId::Items), "l", Command::Right),
    (Scope::Pane(PaneId::Items), "c", Command::ChooseColumns),
    (Scope::Pane(PaneId::Items), "a", Command::MarkAll),
    (Scope::Pane(PaneId::Search), "e", Command::EditField),
    (Scope::Pane(PaneId::Search), "enter", Command::RunSearch),
    (Scope::Pane(PaneId::Search), "r", Command::RecallSearch),
    (Scope::Pane(PaneId::Items), "d", Command::DeriveLock),
    (Scope::Pane(PaneId::Lock), "d", Command::DeriveLock),
    (Scope::Pane(PaneId::Lock), "v", Command::ValidateLock),
    (Scope::Pane(PaneId::Lock), "w", Command::WriteLock),
    (Scope::Pane(PaneId::Validation), "v", Command::ValidateLock),
    (
        Scope::Pane(PaneId::Validation),
        "p",
        Command::ToggleProblemsOnly,
    ),
    (Scope::Pane(PaneId::Validation), "b", Command::CycleGroup),
    (
        Scope::Pane(PaneId::Validation),
        "space",
        Command::ToggleMark,
    ),
    (Scope::Pane(PaneId::Validation), "a", Command::MarkAll),
    (
        Scope::Pane(PaneId::Validation),
        "enter",
        Command::ShowDetail,
    ),
    (
        Scope::Pane(PaneId::Validation),
        "r",
        Command::RevalidateMarked,
    ),
    (Scope::Pane(PaneId::Validation), "A", Command::AcceptDrift),
    (Scope::Pane(PaneId::Validation), "x", Command::ExportResults),
    (Scope::Pane(PaneId::Validation), "m", Command::MarkGroup),
    (Scope::Pane(PaneId::Validation), "/", Command::StartFilter),
    (Scope::Pane(PaneId::Validation), "s", Command::Sort),
    (Scope::Pane(PaneId::Lock), "/", Command::StartFilter),
    (Scope::Pane(PaneId::Lock), "s", Command::Sort),
    (Scope::Pane(PaneId::Search), "c", Command::PickCollections),
    (Scope::Pane(PaneId::Search), "space", Command::ToggleMark),
    (Scope::Pane(PaneId::Items), "K", Command::MoveColumnUp),
    (Scope::Pane(PaneId::Items), "J", Command::MoveColumnDown),
    (Scope::Pane(PaneId::Items), "b", Command::BuildPackage),
    (Scope::Pane(PaneId::Package), "b", Command::BuildPackage),
    (Scope::Pane(PaneId::Lock), "b", Command::BuildPackage),
    (Scope::Pane(PaneId::Package), "i", Command::InspectPackage),
    (Scope::Pane(PaneId::Package), "p", Command::PushPackage),
    (Scope::Pane(PaneId::Package), "l", Command::PullPackage),
    (Scope::Pane(PaneId::Package), "o", Command::OpenPackage),
    (Scope::Pane(PaneId::Lock), "R", Command::RelocateLock),
    (Scope::Pane(PaneId::Lock), "E", Command::EnrichItems),
    (Scope::GLOBAL, "6", Command::FocusMap),
    (Scope::Pane(PaneId::Items), "T", Command::ShowThumbnail),
    (Scope::Pane(PaneId::Map), "T", Command::ShowThumbnail),
    (Scope::Pane(PaneId::Map), "+", Command::ZoomIn),
    (Scope::Pane(PaneId::Map), "=", Command::ZoomIn),
    (Scope::Pane(PaneId::Map), "-", Command::ZoomOut),
    (Scope::Pane(PaneId::Map), "left", Command::PanLeft),
    (Scope::Pane(PaneId::Map), "h", Command::PanLeft),
    (Scope::Pane(PaneId::Map), "right", Command::PanRight),
    (Scope::Pane(PaneId::Map), "l", Command::PanRight),
    (Scope::Pane(PaneId::Map), "f", Command::FitSelection),
    (Scope::Pane(PaneId::Map), "0", Command::ShowWorld),
    (Scope::Pane(PaneId::Map), ".", Command::CenterOnItem),
    (Scope::Pane(PaneId::Map), "n", Command::NextItem),
    (Scope::Pane(PaneId::Map), "N", Command::PrevItem),
    (Scope::Pane(PaneId::Map), "space", Command::ToggleMark),
    (Scope::Pane(PaneId::Map), "v", Command::DrawBbox),
    (Scope::Pane(PaneId::Map), "B", Command::UseBbox),
    (Scope::Pane(PaneId::Map), "[", Command::PrevBin),
    (Scope::Pane(PaneId::Map), "]", Command::NextBin),
    (Scope::Pane(PaneId::Map), "enter", Command::FilterBin),
    (Scope::Pane(PaneId::Map), "x", Command::ClearTimeFilter),
    (Scope::Pane(PaneId::Items), "X", Command::ClearTimeFilter),
];

/// A user keymap file: bindings that patch the defaults.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct KeymapFile {
    bindings: Vec<FileBinding>,
}

/// One binding of a keymap file or of `[[keymap]]` in `config.toml`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileBinding {
    /// The key, as written (`x`, `ctrl-o`, `f2`).
    pub key: String,
    /// The command's snake_case name.
    pub command: Command,
    /// `global` (default) or a pane's name.
    #[serde(default = "global")]
    pub scope: Scope,
}

fn global() -> Scope {
    Scope::GLOBAL
}

/// The keymap: defaults, patched by the user's file.
#[derive(Debug, Clone)]
pub struct Keymap {
    bindings: Vec<Binding>,
}

impl Default for Keymap {
    fn default() -> Self {
        let bindings = DEFAULTS
            .iter()
            .map(|(scope, key, command)| Binding {
                key: KeySpec::parse(key).expect("default keys parse"),
                command: *command,
                scope: *scope,
            })
            .collect();
        Keymap { bindings }
    }
}

impl Keymap {
    /// The defaults patched by `path` if it exists.
    pub fn load(path: &Path) -> anyhow::Result<Keymap> {
        let mut keymap = Keymap::default();
        match std::fs::read_to_string(path) {
            Ok(text) => keymap.patch_json(&text).map_err(|e| {
                anyhow::anyhow!("keymap {}: {e}; fix or remove the file", path.display())
            })?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(anyhow::anyhow!("keymap {}: {e}", path.display())),
        }
        Ok(keymap)
    }

    /// Applies a user keymap document (`{"bindings": [{"key", "command", "scope"}]}`).
    pub fn patch_json(&mut self, text: &str) -> Result<(), String> {
        let file: KeymapFile = serde_json::from_str(text).map_err(|e| e.to_string())?;
        self.patch(&file.bindings)
    }

    /// Applies bindings: each replaces what its key did in its scope.
    pub fn patch(&mut self, bindings: &[FileBinding]) -> Result<(), String> {
        for b in bindings.iter().cloned() {
            let key = KeySpec::parse(&b.key)?;
            self.bindings
                .retain(|old| !(old.key == key && old.scope == b.scope));
            self.bindings.push(Binding {
                key,
                command: b.command,
                scope: b.scope,
            });
        }
        Ok(())
    }

    /// The command a key means in a pane: the pane's binding first, then the global one.
    pub fn lookup(&self, pane: PaneId, key: &KeyEvent) -> Option<Command> {
        let scope = Scope::Pane(pane);
        let find = |s: Scope| {
            self.bindings
                .iter()
                .find(|b| b.scope == s && b.key.matches(key))
                .map(|b| b.command)
        };
        find(scope).or_else(|| find(Scope::GLOBAL))
    }

    /// The bindings as text, one a line: scope, key, command name, description.
    pub fn table(&self) -> String {
        let mut out = String::new();
        for b in &self.bindings {
            let name = serde_json::to_value(b.command)
                .ok()
                .and_then(|v| v.as_str().map(String::from))
                .unwrap_or_default();
            out.push_str(&format!(
                "{:<11} {:<10} {:<22} {}\n",
                String::from(b.scope),
                b.key.to_string(),
                name,
                b.command.description()
            ));
        }
        out
    }

    /// Every bound command, in table order (the command line knows them by name).
    pub fn commands(&self) -> Vec<Command> {
        self.bindings.iter().map(|b| b.command).collect()
    }

    /// The first key bound to a command in a pane (for prompts such as "press ? for help").
    pub fn key_for(&self, pane: PaneId, command: Command) -> Option<KeySpec> {
        let scope = Scope::Pane(pane);
        self.bindings
            .iter()
            .filter(|b| b.scope == scope || b.scope == Scope::GLOBAL)
            .find(|b| b.command == command)
            .map(|b| b.key)
    }

    /// (keys, description) for each command reachable in `pane`, pane commands first.
    pub fn hints(&self, pane: PaneId) -> Vec<(Vec<String>, &'static str)> {
        self.entries(Scope::Pane(pane))
            .into_iter()
            .chain(self.entries(Scope::GLOBAL))
            .collect()
    }

    /// (keys, description) for every command bound in exactly `scope`.
    pub fn entries(&self, scope: Scope) -> Vec<(Vec<String>, &'static str)> {
        let mut out: Vec<(Command, Vec<String>)> = Vec::new();
        for b in self.bindings.iter().filter(|b| b.scope == scope) {
            match out.iter_mut().find(|(c, _)| *c == b.command) {
                Some((_, keys)) => keys.push(b.key.to_string()),
                None => out.push((b.command, vec![b.key.to_string()])),
            }
        }
        out.into_iter()
            .map(|(c, keys)| (keys, c.description()))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(code: KeyCode, mods: KeyModifiers) -> KeyEvent {
        KeyEvent::new(code, mods)
    }

    #[test]
    fn pane_bindings_win_over_global_ones() {
        let km = Keymap::default();
        let enter = key(KeyCode::Enter, KeyModifiers::NONE);
        assert_eq!(km.lookup(PaneId::Items, &enter), Some(Command::OpenItem));
        assert_eq!(km.lookup(PaneId::Search, &enter), Some(Command::RunSearch));
        let q = key(KeyCode::Char('q'), KeyModifiers::NONE);
        assert_eq!(km.lookup(PaneId::Items, &q), Some(Command::Quit));
        let shift_g = key(KeyCode::Char('G'), KeyModifiers::SHIFT);
        assert_eq!(km.lookup(PaneId::Items, &shift_g), Some(Command::Bottom));
        let ctrl_c = key(KeyCode::Char('c'), KeyModifiers::CONTROL);
        assert_eq!(km.lookup(PaneId::Items, &ctrl_c), Some(Command::ForceQuit));
    }

    #[test]
    fn user_file_patches_defaults() {
        let mut km = Keymap::default();
        km.patch_json(
            r#"{"bindings":[{"key":"x","command":"quit"},{"key":"q","command":"toggle_help"}]}"#,
        )
        .unwrap();
        let x = key(KeyCode::Char('x'), KeyModifiers::NONE);
        let q = key(KeyCode::Char('q'), KeyModifiers::NONE);
        assert_eq!(km.lookup(PaneId::Items, &x), Some(Command::Quit));
        assert_eq!(km.lookup(PaneId::Items, &q), Some(Command::ToggleHelp));
        assert!(km
            .patch_json(r#"{"bindings":[{"key":"x","command":"fly"}]}"#)
            .unwrap_err()
            .contains("fly"));
    }

    #[test]
    fn hints_join_keys_of_one_command() {
        let km = Keymap::default();
        let hints = km.hints(PaneId::Items);
        assert_eq!(hints[0], (vec!["space".to_string()], "mark"));
        assert!(hints.contains(&(vec!["↑".to_string(), "k".to_string()], "up")));
    }

    #[test]
    fn old_command_names_and_every_scope_name_still_load() {
        let mut km = Keymap::default();
        km.patch_json(
            r#"{"bindings":[
                {"key":"m","command":"mark_result","scope":"validation"},
                {"key":"M","command":"mark_all_results","scope":"validation"},
                {"key":"z","command":"toggle_mark","scope":"items"},
                {"key":"Z","command":"run_search","scope":"search"},
                {"key":"w","command":"write_lock","scope":"lock"},
                {"key":"Q","command":"quit","scope":"global"}]}"#,
        )
        .unwrap();
        let k = |c| key(KeyCode::Char(c), KeyModifiers::NONE);
        assert_eq!(
            km.lookup(PaneId::Validation, &k('m')),
            Some(Command::ToggleMark)
        );
        assert_eq!(
            km.lookup(PaneId::Validation, &k('M')),
            Some(Command::MarkAll)
        );
        assert_eq!(km.lookup(PaneId::Items, &k('z')), Some(Command::ToggleMark));
        assert_eq!(km.lookup(PaneId::Search, &k('Z')), Some(Command::RunSearch));
        assert_eq!(km.lookup(PaneId::Lock, &k('w')), Some(Command::WriteLock));
        assert_eq!(km.lookup(PaneId::Lock, &k('Q')), Some(Command::Quit));
        let err = km
            .patch_json(r#"{"bindings":[{"key":"x","command":"quit","scope":"atlas"}]}"#)
            .unwrap_err();
        assert!(err.contains("unknown scope `atlas`"), "{err}");
    }
}
