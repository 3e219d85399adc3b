//! The one Model, owned by the app loop and changed only by `update`.

use super::command::PaneId;
use super::keymap::Keymap;
use super::msg::WriteRequest;
use super::panes::items::{ItemsPane, Phase};
use super::panes::lock::LockPane;
use super::panes::search::form::FIELDS;
use super::panes::search::SearchPane;
use super::panes::validation::ValidationPane;
use super::terminal::Signal;
use super::theme::Theme;

/// A popup over the panes (one at a time; drawn and moved by [`super::popups`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Popup {
    /// The keymap, generated from the table.
    Help {
        /// First line shown.
        scroll: usize,
    },
    /// An item as JSON (or a validation result's details).
    Json {
        /// The item id.
        title: String,
        /// Pretty-printed lines.
        lines: Vec<String>,
        /// First line shown.
        scroll: usize,
    },
    /// Column chooser (its columns are the items pane's).
    Columns {
        /// The column under the cursor.
        cursor: usize,
    },
    /// "Work is running; quit anyway?"
    ConfirmQuit,
    /// "The file exists; replace it?" (the request waits in `Model::pending_write`).
    ConfirmOverwrite {
        /// The file.
        path: String,
    },
    /// The collections picker (its state is in the search pane).
    Collections,
}

/// What a text input edits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputTarget {
    /// The items filter.
    Filter,
    /// A search form field.
    Field(usize),
    /// Where to write the lock.
    LockPath,
    /// Where to write the lock with accepted drift.
    AcceptPath,
    /// Where to export the validation results.
    ExportPath,
}

impl InputTarget {
    /// The prompt's label in the status bar.
    pub fn label(self) -> String {
        match self {
            InputTarget::Filter => "filter: ".to_string(),
            InputTarget::Field(i) => format!("{}: ", FIELDS[i]),
            InputTarget::LockPath => "write lock to: ".to_string(),
            InputTarget::AcceptPath => "new lock with accepted drift: ".to_string(),
            InputTarget::ExportPath => "export JSON lines to: ".to_string(),
        }
    }
}

/// A text input in progress.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Input {
    /// What it edits.
    pub target: InputTarget,
    /// The text so far.
    pub text: String,
}

/// A one-line message in the status bar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    /// The text.
    pub text: String,
    /// Whether it reports a failure.
    pub is_error: bool,
}

/// Everything the console shows.
#[derive(Debug, Clone)]
pub struct Model {
    /// The focused pane.
    pub focus: PaneId,
    /// Search pane state.
    pub search: SearchPane,
    /// Items pane state.
    pub items: ItemsPane,
    /// Asset-lock pane state.
    pub lock: LockPane,
    /// Validation pane state.
    pub validation: ValidationPane,
    /// A write waiting for the user to confirm replacing a file.
    pub pending_write: Option<WriteRequest>,
    /// Keys.
    pub keymap: Keymap,
    /// Styles.
    pub theme: Theme,
    /// The open popup.
    pub popup: Option<Popup>,
    /// A text input being typed.
    pub input: Option<Input>,
    /// The last message.
    pub status: Option<Status>,
    /// Terminal size (columns, rows).
    pub size: (u16, u16),
    /// Whether something changed since the last frame.
    pub is_dirty: bool,
    /// Source of generations for loads and views.
    pub next_generation: u64,
    /// The signal (or hangup) that ended the console, the first one if several came.
    pub ended_by: Option<Signal>,
}

impl Model {
    /// A fresh console.
    pub fn new(keymap: Keymap, theme: Theme, size: (u16, u16)) -> Model {
        Model {
            focus: PaneId::Search,
            search: SearchPane::default(),
            items: ItemsPane::default(),
            lock: LockPane::default(),
            validation: ValidationPane::default(),
            pending_write: None,
            keymap,
            theme,
            popup: None,
            input: None,
            status: None,
            size,
            is_dirty: true,
            next_generation: 1,
            ended_by: None,
        }
    }

    /// Rows of the items table body (screen minus tabs, summary, header and status bar).
    pub fn page_rows(&self) -> usize {
        (self.size.1 as usize).saturating_sub(4).max(1)
    }

    /// Whether work is running that quitting would cut short.
    pub fn is_busy(&self) -> bool {
        matches!(self.items.phase, Phase::Loading | Phase::Streaming)
            || self.lock.is_running()
            || self.validation.is_running()
    }

    /// A new generation number.
    pub fn generation(&mut self) -> u64 {
        self.next_generation += 1;
        self.next_generation
    }

    /// Opens a prompt for `target`, starting from `text`.
    pub fn prompt(&mut self, target: InputTarget, text: String) {
        self.input = Some(Input { target, text });
    }

    /// Sets the status line.
    pub fn say(&mut self, text: impl Into<String>, is_error: bool) {
        self.status = Some(Status {
            text: text.into(),
            is_error,
        });
    }
}
