//! The console's settings file, `config.toml` in the config dir (beside `keymap.json`):
//!
//! ```toml
//! read_only = true
//! protected_registries = ["registry.example.com/prod", "ghcr.io/acme"]
//! ```
//!
//! `read_only` refuses every action that writes or sends (as `--read-only` does; either one
//! is enough). A push to a target under a protected prefix (whole `host[:port]/repo` parts)
//! asks for the tag typed, as a push over an existing tag does. Unknown keys are an error, so
//! a misspelt safety setting is never silently ignored.

use std::path::Path;

use serde::Deserialize;

/// The settings.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Refuse every action that writes or sends.
    #[serde(default)]
    pub read_only: bool,
    /// Registry prefixes whose pushes want the tag typed.
    #[serde(default)]
    pub protected_registries: Vec<String>,
    /// Take mouse events (default: yes).
    #[serde(default)]
    pub mouse: Option<bool>,
    /// `dark`, `light`, `mono` or `auto` (default; `NO_COLOR` and `STACPKG_THEME` win).
    #[serde(default)]
    pub theme: Option<String>,
    /// Frames per second at most (`--fps` wins).
    #[serde(default)]
    pub fps: Option<u32>,
    /// The search form's source when the console opens without one.
    #[serde(default)]
    pub default_endpoint: Option<String>,
    /// How a long run that ends while the terminal is not focused says so.
    #[serde(default)]
    pub notify: Option<Notify>,
    /// Push and pull targets offered by the prompts (↑/↓), before the remembered ones.
    #[serde(default)]
    pub registries: Vec<String>,
    /// Key bindings, applied after `keymap.json`: `[[keymap]]` tables of key, command, scope.
    #[serde(default)]
    pub keymap: Vec<crate::tui::keymap::FileBinding>,
    /// How thumbnails are drawn: `auto` (default), `halfblocks`, `kitty`, `sixel`, `iterm2`
    /// (`--image-protocol` wins).
    #[serde(default)]
    pub image_protocol: Option<String>,
}

/// How a long run tells an operator who looks elsewhere that it ended.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Notify {
    /// The terminal bell (BEL) — tmux and most terminals flag the window.
    #[default]
    Bell,
    /// A desktop notification by OSC 9 (iTerm2, WezTerm, kitty, Windows Terminal).
    Osc9,
    /// A desktop notification by OSC 777 (urxvt, foot, some VTE terminals).
    Osc777,
    /// Nothing.
    Off,
}

impl Notify {
    /// The bytes that notify with `text` (empty for off).
    pub fn sequence(self, text: &str) -> String {
        let text: String = text.chars().filter(|c| !c.is_control()).collect();
        match self {
            Notify::Bell => "\x07".to_string(),
            Notify::Osc9 => format!("\x1b]9;{text}\x1b\\"),
            Notify::Osc777 => format!("\x1b]777;notify;stacpkg;{text}\x1b\\"),
            Notify::Off => String::new(),
        }
    }
}

impl Config {
    /// Checks the values the types cannot (theme names, fps range); `path` names the file.
    pub fn check(&self, path: &Path) -> anyhow::Result<()> {
        let bad = |key: &str, why: String| {
            anyhow::anyhow!("config {}: {key}: {why}; fix or remove it", path.display())
        };
        if let Some(t) = &self.theme {
            crate::tui::theme::Theme::named(t).map_err(|e| bad("theme", e))?;
        }
        let mut keys = crate::tui::keymap::Keymap::default();
        keys.patch(&self.keymap).map_err(|e| bad("keymap", e))?;
        if let Some(fps) = self.fps {
            if !(1..=240).contains(&fps) {
                return Err(bad("fps", format!("{fps} is not in 1..=240")));
            }
        }
        Ok(())
    }

    /// The effective settings as TOML (`stacpkg tui --print-config`).
    pub fn to_toml(&self, fps: u32, mouse: bool, read_only: bool, theme: &str) -> String {
        let list: Vec<String> = self
            .protected_registries
            .iter()
            .map(|r| format!("{r:?}"))
            .collect();
        let mut out = format!(
            "read_only = {read_only}\nmouse = {mouse}\ntheme = {theme:?}\nfps = {fps}\nprotected_registries = [{}]\n",
            list.join(", ")
        );
        if let Some(e) = &self.default_endpoint {
            out.push_str(&format!("default_endpoint = {e:?}\n"));
        }
        let notify = match self.notify.unwrap_or_default() {
            Notify::Bell => "bell",
            Notify::Osc9 => "osc9",
            Notify::Osc777 => "osc777",
            Notify::Off => "off",
        };
        out.push_str(&format!("notify = {notify:?}\n"));
        let image = self.image_protocol.as_deref().unwrap_or("auto");
        out.push_str(&format!("image_protocol = {image:?}\n"));
        out
    }
}

impl Config {
    /// Reads `path`; a missing file is the defaults, a broken one an error naming it.
    pub fn load(path: &Path) -> anyhow::Result<Config> {
        let config: Config = match std::fs::read_to_string(path) {
            Ok(text) => toml::from_str(&text).map_err(|e| {
                let why = e.message().trim().to_string();
                let at = e
                    .span()
                    .map(|s| {
                        let line = text[..s.start].matches('\n').count() + 1;
                        format!(" (line {line})")
                    })
                    .unwrap_or_default();
                anyhow::anyhow!(
                    "config {}{at}: {why}; fix or remove the file",
                    path.display()
                )
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Config::default()),
            Err(e) => Err(anyhow::anyhow!("config {}: {e}", path.display())),
        }?;
        config.check(path)?;
        Ok(config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_load_and_a_misspelt_key_is_an_error() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("config.toml");
        assert_eq!(Config::load(&p).unwrap(), Config::default());
        std::fs::write(
            &p,
            "read_only = true\nprotected_registries = [\"r/prod\"]\n",
        )
        .unwrap();
        let c = Config::load(&p).unwrap();
        assert!(c.read_only);
        assert_eq!(c.protected_registries, ["r/prod"]);
        std::fs::write(&p, "# settings\nreadonly = true\n").unwrap();
        let e = Config::load(&p).unwrap_err().to_string();
        assert!(
            e.contains("config.toml (line 2)") && e.contains("readonly"),
            "{e}"
        );
    }
}
