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
}

impl Config {
    /// Reads `path`; a missing file is the defaults, a broken one an error naming it.
    pub fn load(path: &Path) -> anyhow::Result<Config> {
        match std::fs::read_to_string(path) {
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
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Config::default()),
            Err(e) => Err(anyhow::anyhow!("config {}: {e}", path.display())),
        }
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
