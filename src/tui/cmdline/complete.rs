//! Tab completion in the command line: the command name from the known names (no I/O), and a
//! path argument by listing its directory in a task, answered as [`Msg::Completed`]. One
//! match completes; several complete their common prefix and are listed in the status line.

use std::path::Path;

use super::names;
use crate::tui::model::{Input, InputTarget, Model};
use crate::tui::msg::{Effect, Msg};
use crate::tui::tasks::{TaskKind, TaskManager};

/// Entries listed at most for one completion.
const MAX_LISTED: usize = 500;

/// Tab on `text`: complete the command name here, or ask the task layer for paths.
pub fn tab(model: &mut Model, text: &str) -> Vec<Effect> {
    if !text.contains(char::is_whitespace) {
        let found: Vec<String> = names()
            .into_iter()
            .filter(|n| n.starts_with(text.trim_start_matches(':')))
            .collect();
        apply(model, text, "", &found, " ");
        return vec![];
    }
    vec![Effect::Complete(text.to_string())]
}

/// Splits `text` into everything before its last word, and the last word.
fn last_word(text: &str) -> (&str, &str) {
    match text.rfind(char::is_whitespace) {
        Some(i) => (&text[..=i], &text[i + 1..]),
        None => ("", text),
    }
}

/// Applies candidates for the last word of `text` (`head` is kept before them).
fn apply(model: &mut Model, text: &str, head: &str, found: &[String], after_one: &str) {
    match found {
        [] => model.say(
            format!("nothing to complete for {:?}", last_word(text).1),
            true,
        ),
        [one] => {
            let suffix = if one.ends_with('/') { "" } else { after_one };
            set(model, format!("{head}{one}{suffix}"));
        }
        many => {
            let prefix = common_prefix(many);
            if prefix.len() > last_word(text).1.len() {
                set(model, format!("{head}{prefix}"));
            }
            let shown: Vec<&str> = many.iter().take(12).map(String::as_str).collect();
            let more = if many.len() > shown.len() { " …" } else { "" };
            model.say(
                format!("{} matches: {}{more}", many.len(), shown.join("  ")),
                false,
            );
        }
    }
}

fn set(model: &mut Model, text: String) {
    model.input = Some(Input::new(InputTarget::CommandLine, text));
}

fn common_prefix(words: &[String]) -> String {
    let first = &words[0];
    let mut end = first.len();
    for w in &words[1..] {
        end = end.min(
            first
                .char_indices()
                .zip(w.chars())
                .find(|((_, a), b)| a != b)
                .map_or(end.min(w.len()), |((i, _), _)| i),
        );
    }
    first[..end].to_string()
}

/// The answer of a path listing: applied when the line has not changed meanwhile.
pub fn completed(model: &mut Model, line: &str, found: &[String]) {
    let still = model
        .input
        .as_ref()
        .is_some_and(|i| i.target == InputTarget::CommandLine && i.text() == line);
    if still {
        let (head, _) = last_word(line);
        apply(model, line, head, found, " ");
    } else {
        model.is_dirty = false;
    }
}

/// Starts listing the directory of the line's last word.
pub fn start(tasks: &mut TaskManager<Msg>, line: String) {
    let tx = tasks.sender();
    tasks.spawn(TaskKind::Inspect, move |_| async move {
        let word = last_word(&line).1.to_string();
        let found = tokio::task::spawn_blocking(move || paths(&word)).await?;
        let _ = tx.send(Msg::Completed { line, found }).await;
        Ok(())
    });
}

/// The paths that complete `word`: entries of its directory starting with its last part
/// (hidden ones only when that part starts with `.`), directories with a trailing `/`.
pub fn paths(word: &str) -> Vec<String> {
    let (dir, part) = match word.rfind('/') {
        Some(i) => (&word[..=i], &word[i + 1..]),
        None => ("", word),
    };
    let listed = if dir.is_empty() {
        Path::new(".")
    } else {
        Path::new(dir)
    };
    let Ok(entries) = std::fs::read_dir(listed) else {
        return Vec::new();
    };
    let mut found: Vec<String> = entries
        .filter_map(Result::ok)
        .take(MAX_LISTED * 10)
        .filter_map(|e| {
            let name = e.file_name().to_str()?.to_string();
            if !name.starts_with(part) || (name.starts_with('.') && !part.starts_with('.')) {
                return None;
            }
            let slash = if e.path().is_dir() { "/" } else { "" };
            Some(format!("{dir}{name}{slash}"))
        })
        .collect();
    found.sort();
    found.truncate(MAX_LISTED);
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_complete_in_their_directory() {
        let d = tempfile::tempdir().unwrap();
        std::fs::create_dir(d.path().join("pkg-a")).unwrap();
        std::fs::create_dir(d.path().join("pkg-b")).unwrap();
        std::fs::write(d.path().join("items.parquet"), b"").unwrap();
        std::fs::write(d.path().join(".hidden"), b"").unwrap();
        let base = format!("{}/", d.path().display());
        assert_eq!(
            paths(&format!("{base}pkg")),
            [format!("{base}pkg-a/"), format!("{base}pkg-b/")]
        );
        assert_eq!(
            paths(&format!("{base}it")),
            [format!("{base}items.parquet")]
        );
        assert_eq!(paths(&base).len(), 3);
        assert_eq!(common_prefix(&["pkg-a/".into(), "pkg-b/".into()]), "pkg-");
    }
}
