//! A [`LineEditor`] as text: the caret `▏` at the cursor, and the line scrolled sideways so
//! the caret stays visible in `width` cells (a `…` shows where text is cut).

use crate::tui::line::LineEditor;

/// The editor's text with the caret, at most `width` chars.
pub fn caret_text(line: &LineEditor, width: usize) -> String {
    let (before, after) = line.split();
    let before: Vec<char> = before.chars().collect();
    let after: Vec<char> = after.chars().collect();
    let width = width.max(2);
    if before.len() + 1 + after.len() <= width {
        return format!(
            "{}▏{}",
            before.iter().collect::<String>(),
            after.iter().collect::<String>()
        );
    }
    // Keep the caret visible: as much as fits before it (cut on the left), the rest after.
    let room_before = before
        .len()
        .min(width.saturating_sub(1 + after.len().min(width / 3)));
    let mut out = String::new();
    let cut_left = room_before < before.len();
    if cut_left {
        out.push('…');
        out.extend(&before[before.len() - room_before.saturating_sub(1)..]);
    } else {
        out.extend(&before);
    }
    out.push('▏');
    let left = width.saturating_sub(out.chars().count());
    if after.len() <= left {
        out.extend(&after);
    } else {
        out.extend(&after[..left.saturating_sub(1)]);
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

    #[test]
    fn the_caret_stays_visible_in_a_narrow_field() {
        let mut line = LineEditor::new("abc");
        assert_eq!(caret_text(&line, 10), "abc▏");
        line = LineEditor::new("0123456789abcdefghij");
        let t = caret_text(&line, 10);
        assert_eq!(t.chars().count(), 10, "{t}");
        assert!(t.starts_with('…') && t.ends_with("ij▏"), "{t}");
        line.key(&KeyEvent::new(KeyCode::Home, KeyModifiers::NONE));
        let t = caret_text(&line, 10);
        assert_eq!(t.chars().count(), 10, "{t}");
        assert!(t.starts_with("▏0123") && t.ends_with('…'), "{t}");
    }
}
