//! The one-line editor behind every text input (search fields, the filter, path prompts, the
//! help search): a cursor, the readline keys operators' fingers know, and bracketed paste.
//!
//! Keys: ←/→ (ctrl-b/ctrl-f), home/end (ctrl-a/ctrl-e), alt-b/alt-f and ctrl-←/→ by word,
//! backspace, delete (ctrl-d), ctrl-u / ctrl-k (to the start / end), ctrl-w and
//! alt-backspace (the word before the cursor). A paste is inserted at the cursor; line breaks
//! in it become the field's separator (`,` in list fields, a space elsewhere), trailing ones
//! are dropped, other control characters removed, so a paste can never submit or break the
//! one-line field. The cursor is a char index; edits work on chars, never splitting a UTF-8
//! sequence.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// A line of text with a cursor.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LineEditor {
    text: String,
    /// Cursor position in chars, `0..=len`.
    cursor: usize,
    /// What a line break in a paste becomes.
    separator: &'static str,
}

impl LineEditor {
    /// An editor holding `text` with the cursor at its end; pasted line breaks become a space.
    pub fn new(text: impl Into<String>) -> LineEditor {
        let text = text.into();
        let cursor = text.chars().count();
        LineEditor {
            text,
            cursor,
            separator: " ",
        }
    }

    /// The same, with pasted line breaks becoming `separator` (e.g. `,` for a list field).
    pub fn with_separator(mut self, separator: &'static str) -> LineEditor {
        self.separator = separator;
        self
    }

    /// The text.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The cursor, in chars from the start.
    pub fn cursor(&self) -> usize {
        self.cursor
    }

    /// The text before and after the cursor.
    pub fn split(&self) -> (&str, &str) {
        self.text.split_at(self.byte_at(self.cursor))
    }

    fn len(&self) -> usize {
        self.text.chars().count()
    }

    fn byte_at(&self, chars: usize) -> usize {
        self.text
            .char_indices()
            .nth(chars)
            .map_or(self.text.len(), |(i, _)| i)
    }

    fn chars(&self) -> Vec<char> {
        self.text.chars().collect()
    }

    /// Inserts `s` at the cursor (no filtering: see [`LineEditor::paste`] for pasted text).
    pub fn insert(&mut self, s: &str) {
        let at = self.byte_at(self.cursor);
        self.text.insert_str(at, s);
        self.cursor += s.chars().count();
    }

    /// Inserts pasted text at the cursor, made one line (see the module docs).
    pub fn paste(&mut self, pasted: &str) {
        let text = pasted.replace("\r\n", "\n").replace('\r', "\n");
        let lines: Vec<&str> = text
            .trim_end_matches('\n')
            .split('\n')
            .map(|l| if self.separator == " " { l } else { l.trim() })
            .collect();
        let joined = lines
            .iter()
            .filter(|l| self.separator == " " || !l.is_empty())
            .copied()
            .collect::<Vec<_>>()
            .join(self.separator);
        let clean: String = joined
            .chars()
            .map(|c| if c == '\t' { ' ' } else { c })
            .filter(|c| !c.is_control())
            .collect();
        self.insert(&clean);
    }

    /// Deletes chars `from..to` (char indices) and puts the cursor at `from`.
    fn delete(&mut self, from: usize, to: usize) {
        let (a, b) = (self.byte_at(from), self.byte_at(to));
        self.text.replace_range(a..b, "");
        self.cursor = from;
    }

    /// The start of the word before the cursor (skipping separators first).
    fn word_left(&self) -> usize {
        let chars = self.chars();
        let mut i = self.cursor;
        while i > 0 && !chars[i - 1].is_alphanumeric() {
            i -= 1;
        }
        while i > 0 && chars[i - 1].is_alphanumeric() {
            i -= 1;
        }
        i
    }

    /// The end of the word after the cursor.
    fn word_right(&self) -> usize {
        let chars = self.chars();
        let mut i = self.cursor;
        while i < chars.len() && !chars[i].is_alphanumeric() {
            i += 1;
        }
        while i < chars.len() && chars[i].is_alphanumeric() {
            i += 1;
        }
        i
    }

    /// Applies an editing key; `false` if the key means nothing to the editor.
    pub fn key(&mut self, key: &KeyEvent) -> bool {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        let alt = key.modifiers.contains(KeyModifiers::ALT);
        match key.code {
            KeyCode::Char(c) if ctrl => match c {
                'a' => self.cursor = 0,
                'e' => self.cursor = self.len(),
                'b' => self.cursor = self.cursor.saturating_sub(1),
                'f' => self.cursor = (self.cursor + 1).min(self.len()),
                'u' => self.delete(0, self.cursor),
                'k' => self.delete(self.cursor, self.len()),
                'w' => self.delete(self.word_left(), self.cursor),
                'd' if self.cursor < self.len() => self.delete(self.cursor, self.cursor + 1),
                'd' => {}
                _ => return false,
            },
            KeyCode::Char(c) if alt => match c {
                'b' => self.cursor = self.word_left(),
                'f' => self.cursor = self.word_right(),
                _ => return false,
            },
            KeyCode::Char(c) => self.insert(c.encode_utf8(&mut [0; 4])),
            KeyCode::Backspace if ctrl || alt => self.delete(self.word_left(), self.cursor),
            KeyCode::Backspace if self.cursor > 0 => self.delete(self.cursor - 1, self.cursor),
            KeyCode::Delete if self.cursor < self.len() => {
                self.delete(self.cursor, self.cursor + 1);
            }
            KeyCode::Backspace | KeyCode::Delete => {}
            KeyCode::Left if ctrl || alt => self.cursor = self.word_left(),
            KeyCode::Right if ctrl || alt => self.cursor = self.word_right(),
            KeyCode::Left => self.cursor = self.cursor.saturating_sub(1),
            KeyCode::Right => self.cursor = (self.cursor + 1).min(self.len()),
            KeyCode::Home => self.cursor = 0,
            KeyCode::End => self.cursor = self.len(),
            _ => return false,
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn press(e: &mut LineEditor, code: KeyCode, mods: KeyModifiers) {
        assert!(e.key(&KeyEvent::new(code, mods)), "{code:?} {mods:?}");
    }

    fn shown(e: &LineEditor) -> String {
        let (a, b) = e.split();
        format!("{a}|{b}")
    }

    #[test]
    fn moves_and_edits_at_the_cursor() {
        let none = KeyModifiers::NONE;
        let ctrl = KeyModifiers::CONTROL;
        let alt = KeyModifiers::ALT;
        let mut e = LineEditor::new("sentinel-2-l2a");
        press(&mut e, KeyCode::Home, none);
        press(&mut e, KeyCode::Char('x'), none);
        assert_eq!(shown(&e), "x|sentinel-2-l2a");
        press(&mut e, KeyCode::Backspace, none);
        press(&mut e, KeyCode::Char('f'), alt);
        assert_eq!(shown(&e), "sentinel|-2-l2a");
        press(&mut e, KeyCode::Char('k'), ctrl);
        assert_eq!(shown(&e), "sentinel|");
        press(&mut e, KeyCode::Left, none);
        press(&mut e, KeyCode::Delete, none);
        assert_eq!(shown(&e), "sentine|");
        press(&mut e, KeyCode::Char('a'), ctrl);
        press(&mut e, KeyCode::Right, none);
        press(&mut e, KeyCode::Char('u'), ctrl);
        assert_eq!(shown(&e), "|entine");
        press(&mut e, KeyCode::Char('e'), ctrl);
        press(&mut e, KeyCode::Char(' '), none);
        press(&mut e, KeyCode::Char('é'), none);
        press(&mut e, KeyCode::Char('b'), alt);
        assert_eq!(shown(&e), "entine |é");
        press(&mut e, KeyCode::Char('e'), ctrl);
        press(&mut e, KeyCode::Char('w'), ctrl);
        assert_eq!(shown(&e), "entine |");
        press(&mut e, KeyCode::Backspace, alt);
        assert_eq!(shown(&e), "|");
        // Keys at the edges are no-ops, not panics; unknown chords are not consumed.
        press(&mut e, KeyCode::Backspace, none);
        press(&mut e, KeyCode::Delete, none);
        press(&mut e, KeyCode::Left, none);
        assert!(!e.key(&KeyEvent::new(KeyCode::Char('z'), ctrl)));
        assert!(!e.key(&KeyEvent::new(KeyCode::F(2), none)));
    }

    #[test]
    fn a_paste_lands_at_the_cursor_as_one_line() {
        let mut e = LineEditor::new("ab");
        e.key(&KeyEvent::new(KeyCode::Left, KeyModifiers::NONE));
        e.paste("https://x/\tstac\r\n");
        assert_eq!(shown(&e), "ahttps://x/ stac|b");
        let mut ids = LineEditor::new("").with_separator(",");
        ids.paste("S2A_1\n S2B_2 \n\nS2C_3\n");
        assert_eq!(ids.text(), "S2A_1,S2B_2,S2C_3");
        let mut json = LineEditor::new("");
        json.paste("{\n  \"op\": \"=\"\n}\n");
        assert_eq!(json.text(), "{   \"op\": \"=\" }");
        let mut control = LineEditor::new("");
        control.paste("a\u{1b}[2~b");
        assert_eq!(control.text(), "a[2~b");
    }
}
