//! The search pane: where items come from and which to keep.
//!
//! A search names a local catalogue (NDJSON, JSON or GeoParquet) and the filters of the items
//! engine ([`crate::items::ItemFilter`]: collections, item ids, providers) plus a maximum
//! count; running it streams the matching items into the items pane. The last searches are
//! remembered across runs (a small JSON file in the state dir). STAC API endpoints, bbox and
//! datetime need the STAC API client, which this build does not have yet: a URL source is
//! refused with that reason rather than half-served.

use std::path::PathBuf;

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;
use serde::{Deserialize, Serialize};

use crate::items::ItemFilter;
use crate::tui::theme::{Role, Theme};

/// How many searches are remembered.
pub const HISTORY_LEN: usize = 20;

/// The form, as remembered.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SearchForm {
    /// A local catalogue file.
    pub source: String,
    /// Comma-separated collection ids.
    pub collections: String,
    /// Comma-separated item ids.
    pub item_ids: String,
    /// Comma-separated provider names.
    pub providers: String,
    /// Stop after this many items (empty: all).
    pub max_items: String,
}

/// The form's fields, in order.
pub const FIELDS: [&str; 5] = [
    "source",
    "collections",
    "item ids",
    "providers",
    "max items",
];

impl SearchForm {
    /// The text of field `i`.
    pub fn field(&self, i: usize) -> &str {
        match i {
            0 => &self.source,
            1 => &self.collections,
            2 => &self.item_ids,
            3 => &self.providers,
            _ => &self.max_items,
        }
    }

    /// Sets field `i`.
    pub fn set_field(&mut self, i: usize, text: String) {
        match i {
            0 => self.source = text,
            1 => self.collections = text,
            2 => self.item_ids = text,
            3 => self.providers = text,
            _ => self.max_items = text,
        }
    }

    /// The load this form asks for, or a one-line reason it cannot run.
    pub fn request(&self) -> Result<(PathBuf, ItemFilter, Option<usize>), String> {
        let source = self.source.trim();
        if source.is_empty() {
            return Err("source: enter a catalogue file (NDJSON, JSON or GeoParquet)".into());
        }
        if source.starts_with("http://") || source.starts_with("https://") {
            return Err(format!(
                "source {source}: STAC API search is not in this build yet; \
                 save the items as NDJSON and open the file"
            ));
        }
        let list = |s: &str| -> Vec<String> {
            s.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(String::from)
                .collect()
        };
        let max = match self.max_items.trim() {
            "" => None,
            n => Some(n.parse::<usize>().map_err(|_| {
                format!("max items {n:?}: enter a whole number, or nothing for all")
            })?),
        };
        let filter = ItemFilter::new(
            &list(&self.item_ids),
            &list(&self.collections),
            &list(&self.providers),
        );
        Ok((PathBuf::from(source), filter, max))
    }
}

/// The search pane state.
#[derive(Debug, Clone, Default)]
pub struct SearchPane {
    /// The form.
    pub form: SearchForm,
    /// Cursor: 0..FIELDS.len() are fields, then the remembered searches.
    pub cursor: usize,
    /// Remembered searches, newest first.
    pub history: Vec<SearchForm>,
    /// Why the last run was refused.
    pub error: Option<String>,
}

impl SearchPane {
    /// Rows the cursor can be on.
    pub fn len(&self) -> usize {
        FIELDS.len() + self.history.len()
    }

    /// Whether there is nothing to select (never: the form is always there).
    pub fn is_empty(&self) -> bool {
        false
    }

    /// Puts a search at the front of the history (once).
    pub fn remember(&mut self, form: SearchForm) {
        self.history.retain(|f| f != &form);
        self.history.insert(0, form);
        self.history.truncate(HISTORY_LEN);
    }
}

/// Draws the pane. `editing` is the text being typed into the field under the cursor.
pub fn draw(
    frame: &mut Frame<'_>,
    area: Rect,
    pane: &SearchPane,
    editing: Option<&str>,
    theme: &Theme,
) {
    let mut lines = vec![Line::styled(
        "Local catalogue search (NDJSON / JSON / GeoParquet)",
        theme.style(Role::Header),
    )];
    for (i, label) in FIELDS.iter().enumerate() {
        let selected = pane.cursor == i;
        let value = match editing {
            Some(text) if selected => Span::styled(format!("{text}▏"), theme.style(Role::Input)),
            _ => Span::raw(pane.form.field(i).to_string()),
        };
        let marker = if selected { "▶ " } else { "  " };
        lines.push(Line::from(vec![
            Span::styled(marker, theme.style(Role::Key)),
            Span::styled(format!("{label:<12}"), theme.style(Role::Dim)),
            value,
        ]));
    }
    if let Some(error) = &pane.error {
        lines.push(Line::from(vec![
            Span::styled("✗ ", theme.style(Role::Bad)),
            Span::raw(error.clone()),
        ]));
    }
    lines.push(Line::raw(""));
    lines.push(Line::styled(
        "Remembered searches",
        theme.style(Role::Header),
    ));
    if pane.history.is_empty() {
        lines.push(Line::styled("  (none yet)", theme.style(Role::Dim)));
    }
    for (i, form) in pane.history.iter().enumerate() {
        let selected = pane.cursor == FIELDS.len() + i;
        let mut text = form.source.clone();
        for (label, v) in [
            ("collections", &form.collections),
            ("ids", &form.item_ids),
            ("providers", &form.providers),
            ("max", &form.max_items),
        ] {
            if !v.is_empty() {
                text.push_str(&format!(" {label}={v}"));
            }
        }
        let style = if selected {
            theme.style(Role::RowSelected)
        } else {
            theme.style(Role::Normal)
        };
        lines.push(Line::styled(format!("  {text}"), style));
    }
    frame.render_widget(Paragraph::new(lines), area);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_checks_the_form() {
        let mut form = SearchForm::default();
        assert!(form.request().unwrap_err().starts_with("source"));
        form.source = "https://example.com/stac".into();
        assert!(form.request().unwrap_err().contains("not in this build"));
        form.source = "a.ndjson".into();
        form.max_items = "ten".into();
        assert!(form.request().unwrap_err().contains("whole number"));
        form.max_items = "10".into();
        form.collections = "a, b".into();
        let (path, filter, max) = form.request().unwrap();
        assert_eq!(path, PathBuf::from("a.ndjson"));
        assert_eq!(max, Some(10));
        assert_eq!(filter.collections.len(), 2);
    }

    #[test]
    fn history_keeps_newest_first_without_duplicates() {
        let mut pane = SearchPane::default();
        let a = SearchForm {
            source: "a".into(),
            ..SearchForm::default()
        };
        let b = SearchForm {
            source: "b".into(),
            ..SearchForm::default()
        };
        pane.remember(a.clone());
        pane.remember(b.clone());
        pane.remember(a.clone());
        assert_eq!(pane.history, vec![a, b]);
    }
}
