//! The `:` command line, as in k9s: every keymap command by its name (`:derive_lock`,
//! `:show_tasks`), and the commands that take arguments — `:open PATH`, `:search URL`,
//! `:derive`, `:validate`, `:write-lock PATH`, `:export PATH`, `:build DIR [--include-assets]
//! [--force]`, `:inspect [DIR]`, `:push TARGET [--plain-http] [--insecure]`, `:pull SOURCE DIR
//! [--plain-http] [--insecure] [--force]`, `:quit`. Flags mean what they mean in the CLI.
//!
//! A line that does not parse stays open for editing with the reason in the status line.
//! ↑/↓ walk the history (kept across runs in `commands.txt` in the state dir); tab completes
//! command names here, and paths in a task ([`complete`]), since listing a directory is I/O.

pub mod complete;

use std::path::{Path, PathBuf};

use crossterm::event::{KeyCode, KeyEvent};

use super::command::Command;
use super::model::{Input, InputTarget, Model};
use super::msg::Effect;
use super::panes::package::args::parse;
use super::panes::package::{update as package, Connection, Origin, PullPlan};
use super::panes::{lock, search, validation};

/// Commands remembered across runs.
pub const HISTORY_KEPT: usize = 200;

/// The commands that take arguments (or have a short name), with their usage.
pub const COMMANDS: &[(&str, &str)] = &[
    ("open", "open PATH"),
    ("search", "search URL"),
    ("derive", "derive"),
    ("validate", "validate"),
    ("write-lock", "write-lock PATH"),
    ("export", "export PATH"),
    ("build", "build DIR [--include-assets] [--force]"),
    ("inspect", "inspect [DIR]"),
    ("push", "push TARGET [--plain-http] [--insecure]"),
    (
        "pull",
        "pull SOURCE DIR [--plain-http] [--insecure] [--force]",
    ),
    ("relocate", "relocate --store-type T [--store-container C] [--key PREFIX] [--store-endpoint-url U] [--source-prefix P] [--layout item-asset|source-key] [--no-overwrite]"),
    ("enrich", "enrich [--alternate-key KEY]"),
    ("quit", "quit"),
];

/// Every name the command line knows: the commands above, then the keymap's commands.
pub fn names() -> Vec<String> {
    let mut out: Vec<String> = COMMANDS.iter().map(|(n, _)| (*n).to_string()).collect();
    out.extend(keymap_names());
    out
}

fn keymap_names() -> Vec<String> {
    let mut names: Vec<String> = super::keymap::Keymap::default()
        .commands()
        .into_iter()
        .filter_map(|c| serde_json::to_value(c).ok())
        .filter_map(|v| v.as_str().map(String::from))
        .collect();
    names.sort();
    names.dedup();
    names
}

/// The file of remembered commands.
pub fn history_path(state_dir: &Path) -> PathBuf {
    state_dir.join("commands.txt")
}

/// Reads the remembered commands (none when the file is missing).
pub fn read_history(state_dir: &Path) -> Vec<String> {
    std::fs::read_to_string(history_path(state_dir))
        .map(|t| {
            t.lines()
                .filter(|l| !l.is_empty())
                .map(String::from)
                .collect()
        })
        .unwrap_or_default()
}

/// Opens the command line.
pub fn open(model: &mut Model) {
    model.command_cursor = None;
    model.prompt(InputTarget::CommandLine, String::new());
}

/// A key in the open command line: ↑/↓ history, tab completion. `Some` when it took the key.
pub fn key(model: &mut Model, key: &KeyEvent) -> Option<Vec<Effect>> {
    let history = &model.command_history;
    match key.code {
        KeyCode::Up | KeyCode::Down if !history.is_empty() => {
            let last = history.len() - 1;
            let next = match (key.code, model.command_cursor) {
                (KeyCode::Up, None) => Some(last),
                (KeyCode::Up, Some(i)) => Some(i.saturating_sub(1)),
                (KeyCode::Down, Some(i)) if i < last => Some(i + 1),
                _ => None,
            };
            model.command_cursor = next;
            let text = next.map(|i| history[i].clone()).unwrap_or_default();
            model.input = Some(Input::new(InputTarget::CommandLine, text));
            Some(vec![])
        }
        KeyCode::Tab => {
            let text = model.input.as_ref()?.text().to_string();
            Some(complete::tab(model, &text))
        }
        _ => None,
    }
}

/// What a submitted command line comes to.
#[derive(Debug)]
pub enum Ran {
    /// These effects.
    Effects(Vec<Effect>),
    /// These effects, then this keymap command, for the core to apply.
    Command(Vec<Effect>, Command),
}

/// A command line was submitted: run it, or reopen it with the reason.
pub fn submit(model: &mut Model, text: &str) -> Ran {
    let line = text.trim();
    if line.is_empty() {
        return Ran::Effects(vec![]);
    }
    let mut effects = remember(model, line);
    match run(model, line) {
        Ok(Ran::Effects(more)) => {
            effects.extend(more);
            Ran::Effects(effects)
        }
        Ok(Ran::Command(more, c)) => {
            effects.extend(more);
            Ran::Command(effects, c)
        }
        Err(e) => {
            model.prompt(InputTarget::CommandLine, line.to_string());
            model.say(format!(":{line}: {e}"), true);
            Ran::Effects(effects)
        }
    }
}

fn remember(model: &mut Model, line: &str) -> Vec<Effect> {
    let h = &mut model.command_history;
    h.retain(|l| l != line);
    h.push(line.to_string());
    let extra = h.len().saturating_sub(HISTORY_KEPT);
    h.drain(..extra);
    vec![Effect::SaveCommands(h.clone())]
}

fn one(positional: &[String], usage: &str) -> Result<String, String> {
    match positional {
        [one] => Ok(one.clone()),
        _ => Err(format!("usage: :{usage}")),
    }
}

fn usage(name: &str) -> &'static str {
    COMMANDS
        .iter()
        .find(|(n, _)| *n == name)
        .map_or("", |(_, u)| u)
}

/// Runs one command line.
fn run(model: &mut Model, line: &str) -> Result<Ran, String> {
    let (name, rest) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
    let name = name.trim_start_matches(':');
    let u = usage(name);
    Ok(Ran::Effects(match name {
        "open" => {
            let path = one(&parse(rest, &[], &[])?.positional, u)?;
            if Path::new(&path).extension().is_none() {
                package::open(model, PathBuf::from(path), Origin::Opened)
            } else {
                model.search.form.source = path;
                search::update::run_search(model)
            }
        }
        "search" => {
            let url = one(&parse(rest, &[], &[])?.positional, u)?;
            model.search.form.source = url;
            search::update::run_search(model)
        }
        "derive" => return no_args(rest, u, Command::DeriveLock),
        "validate" => return no_args(rest, u, Command::ValidateLock),
        "quit" | "q" => return no_args(rest, u, Command::Quit),
        "write-lock" => {
            let path = one(&parse(rest, &[], &[])?.positional, u)?;
            if model.lock.entries.is_empty() {
                return Err("no lock to write: derive or open one first".into());
            }
            lock::update::submit_path(model, &path)
        }
        "export" => {
            let path = one(&parse(rest, &[], &[])?.positional, u)?;
            validation::update::submit(model, InputTarget::ExportPath, &path)
        }
        "build" => {
            let p = parse(rest, &["include-assets", "force"], &[])?;
            let dir = one(&p.positional, u)?;
            package::build_preview(
                model,
                PathBuf::from(dir),
                p.has("include-assets"),
                p.has("force"),
            )
        }
        "inspect" => {
            let p = parse(rest, &[], &[])?;
            match p.positional.as_slice() {
                [] => return no_args("", u, Command::InspectPackage),
                [dir] => {
                    model.package.inspect_when_read = true;
                    package::open(model, PathBuf::from(dir), Origin::Opened)
                }
                _ => return Err(format!("usage: :{u}")),
            }
        }
        "relocate" => lock::update::submit_relocate(model, rest),
        "enrich" => {
            let p = parse(rest, &[], &["alternate-key"])?;
            if !p.positional.is_empty() {
                return Err(format!("usage: :{u}"));
            }
            if model.lock.entries.is_empty() || model.items.batches.is_empty() {
                return Err("enrich needs loaded items and a lock".into());
            }
            let key = p.value("alternate-key").unwrap_or_default().to_string();
            lock::update::submit_enrich_key(model, &key)
        }
        "push" => {
            let p = parse(rest, &["plain-http", "insecure"], &[])?;
            let target = one(&p.positional, u)?;
            package::push_to(model, &target, connection(&p))
        }
        "pull" => {
            let p = parse(rest, &["plain-http", "insecure", "force"], &[])?;
            let [source, dir] = p.positional.as_slice() else {
                return Err(format!("usage: :{u}"));
            };
            crate::package::oci::Target::parse(source).map_err(|e| e.to_string())?;
            let plan = PullPlan {
                source: source.clone(),
                dir: PathBuf::from(dir),
                connection: connection(&p),
                force: p.has("force"),
            };
            package::pull_into(model, plan)
        }
        other => {
            let c = keymap_command(other).ok_or_else(|| {
                format!("unknown command {other:?}; tab completes names, ? lists the keys")
            })?;
            return no_args(rest, other, c);
        }
    }))
}

fn connection(p: &super::panes::package::args::Parsed) -> Connection {
    Connection {
        plain_http: p.has("plain-http"),
        insecure: p.has("insecure"),
        login: None,
    }
}

/// A keymap command by its name (`derive_lock`, or `derive-lock`).
pub fn keymap_command(name: &str) -> Option<Command> {
    serde_json::from_value(serde_json::Value::String(name.replace('-', "_"))).ok()
}

fn no_args(rest: &str, name: &str, c: Command) -> Result<Ran, String> {
    if !rest.trim().is_empty() {
        return Err(format!(":{name} takes no arguments"));
    }
    Ok(Ran::Command(vec![], c))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keymap_commands_by_name_either_spelling() {
        assert_eq!(keymap_command("derive_lock"), Some(Command::DeriveLock));
        assert_eq!(keymap_command("show-tasks"), Some(Command::ShowTasks));
        assert_eq!(keymap_command("nope"), None);
        assert!(names().contains(&"build".to_string()));
        assert!(names().contains(&"push_package".to_string()));
    }
}
