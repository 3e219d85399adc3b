//! The one Model, owned by the app loop and changed only by `update`.

use super::activity::ActivityLog;
use super::command::PaneId;
use super::keymap::Keymap;
use super::line::LineEditor;
use super::msg::WriteRequest;
use super::panes::items::{ItemsPane, Phase};
use super::panes::lock::LockPane;
use super::panes::map::MapPane;
use super::panes::package::{PackagePane, Pending};
use super::panes::search::form::{FIELDS, LIST_FIELDS};
use super::panes::search::SearchPane;
use super::panes::validation::ValidationPane;
use super::panes::RunPhase;
use super::terminal::Signal;
use super::theme::Theme;

/// A popup over the panes (one at a time; drawn and moved by [`super::popups`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Popup {
    /// The keymap, generated from the table.
    Help {
        /// First line shown.
        scroll: usize,
        /// Only bindings containing this text are listed (empty: all).
        query: String,
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
    /// "Work is running (or a derived lock is unwritten); quit anyway?"
    ConfirmQuit,
    /// "Cancel the derive / validation / search that has run for a while?"
    ConfirmCancel,
    /// "The file exists; replace it?" (the request waits in `Model::pending_write`).
    ConfirmOverwrite {
        /// The file.
        path: String,
    },
    /// The collections picker (its state is in the search pane).
    Collections,
    /// The session's errors and warnings, in full.
    Messages {
        /// First line shown.
        scroll: usize,
    },
    /// "Build / push / pull this?" (the plan waits in the package pane's `pending`).
    ConfirmPackage,
    /// "Copy these rows there?" (the plan waits in the lock pane's `relocation`).
    ConfirmRelocate,
    /// The task panel: every run of the session.
    Tasks {
        /// The run under the cursor (0: the newest).
        cursor: usize,
    },
    /// The command log: the CLI line of every action.
    Commands {
        /// First line shown.
        scroll: usize,
    },
    /// The thumbnail of an item (its state is `Model::thumbnail`).
    Thumbnail,
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
    /// Text to find in the help overlay.
    HelpSearch,
    /// The lock pane's filter.
    LockFilter,
    /// The validation pane's filter.
    ResultsFilter,
    /// Where to build a package (`DIR [--include-assets] [--force]`).
    BuildDir,
    /// Where to push (`TARGET [--plain-http] [--insecure]`).
    PushTarget,
    /// What to pull (`SOURCE [--plain-http] [--insecure]`).
    PullSource,
    /// Where to pull into (`DIR [--force]`).
    PullDir,
    /// A package directory to open.
    OpenDir,
    /// A registry user name.
    RegistryUser,
    /// A registry password (drawn masked).
    RegistryPassword,
    /// The tag, typed to confirm replacing it.
    ConfirmTag,
    /// The `:` command line.
    CommandLine,
    /// Where to relocate the lock's bytes (the CLI's relocate flags).
    Relocate,
    /// The alternate key for enriching the items.
    EnrichKey,
    /// Where to write the enriched items.
    EnrichPath,
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
            InputTarget::HelpSearch => "find in keys: ".to_string(),
            InputTarget::LockFilter => "filter lock rows: ".to_string(),
            InputTarget::ResultsFilter => "filter results: ".to_string(),
            InputTarget::BuildDir => "build package into (--include-assets, --force): ".to_string(),
            InputTarget::PushTarget => {
                "push to HOST[:PORT]/REPO:TAG or oci:PATH[:TAG] (--plain-http, --insecure): "
                    .to_string()
            }
            InputTarget::PullSource => {
                "pull from HOST[:PORT]/REPO:TAG or oci:PATH[:TAG] (--plain-http, --insecure): "
                    .to_string()
            }
            InputTarget::PullDir => "pull into directory (--force): ".to_string(),
            InputTarget::OpenDir => "open package directory: ".to_string(),
            InputTarget::RegistryUser => "registry user: ".to_string(),
            InputTarget::RegistryPassword => "password (hidden): ".to_string(),
            InputTarget::ConfirmTag => "type the tag to confirm: ".to_string(),
            InputTarget::CommandLine => ":".to_string(),
            InputTarget::Relocate => "relocate the shown rows (the CLI's flags): ".to_string(),
            InputTarget::EnrichKey => {
                "enrich the items: alternate key (empty: sizes only): ".to_string()
            }
            InputTarget::EnrichPath => "write the enriched items to: ".to_string(),
        }
    }

    /// Whether the text is a secret: drawn masked, never put in a history.
    pub fn is_secret(self) -> bool {
        self == InputTarget::RegistryPassword
    }
}

impl InputTarget {
    /// What a line break in pasted text becomes: `,` in the list fields (collections, bbox,
    /// item ids, providers), a space elsewhere.
    pub fn separator(self) -> &'static str {
        match self {
            InputTarget::Field(i) if LIST_FIELDS.contains(&i) => ",",
            _ => " ",
        }
    }
}

/// A text input in progress.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Input {
    /// What it edits.
    pub target: InputTarget,
    /// The text and its cursor.
    pub line: LineEditor,
}

impl Input {
    /// An input for `target` holding `text`, the cursor at its end.
    pub fn new(target: InputTarget, text: impl Into<String>) -> Input {
        Input {
            target,
            line: LineEditor::new(text).with_separator(target.separator()),
        }
    }

    /// The text so far.
    pub fn text(&self) -> &str {
        self.line.text()
    }
}

/// A run older than this asks before esc cancels it (seconds, as the run last reported).
pub const CONFIRM_CANCEL_AFTER_SECS: f64 = 3.0;

/// How many messages the session log keeps (the oldest go first).
pub const LOG_LEN: usize = 1000;

/// An entry of the session's message log (`M`): the full text of an error or a warning.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogEntry {
    /// A warning (the work went on) rather than an error.
    pub is_warning: bool,
    /// The whole text, never shortened.
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
    /// Package pane state.
    pub package: PackagePane,
    /// Map pane state.
    pub map: MapPane,
    /// The last thumbnail asked for.
    pub thumbnail: Option<super::thumbnail::Thumbnail>,
    /// How thumbnails are drawn (the terminal's image protocol and cell size).
    pub picker: ratatui_image::picker::Picker,
    /// What ran this session, and its CLI equivalents.
    pub activity: ActivityLog,
    /// Mouse events are taken (the wheel scrolls, a click selects).
    pub mouse: bool,
    /// The terminal has the focus (as its focus reports say; assumed until told otherwise).
    pub is_focused: bool,
    /// Refuse every action that writes or sends (`--read-only`, or `read_only` in `config.toml`).
    pub read_only: bool,
    /// Registry prefixes (`host[:port][/repo…]`) whose pushes want the tag typed.
    pub protected: Vec<String>,
    /// Commands typed at `:`, oldest first (kept across runs in the state dir).
    pub command_history: Vec<String>,
    /// The history entry ↑/↓ shows in the command line (`None`: a new line).
    pub command_cursor: Option<usize>,
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
    /// Every error and warning of the session, oldest first (at most [`LOG_LEN`]).
    pub log: std::collections::VecDeque<LogEntry>,
    /// Terminal size (columns, rows).
    pub size: (u16, u16),
    /// Whether something changed since the last frame.
    pub is_dirty: bool,
    /// Source of generations for loads and views.
    pub next_generation: u64,
    /// The signal (or hangup) that ended the console, the first one if several came.
    pub ended_by: Option<Signal>,
}

impl Popup {
    /// The help overlay, from the top, listing everything.
    pub fn help() -> Popup {
        Popup::Help {
            scroll: 0,
            query: String::new(),
        }
    }
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
            package: PackagePane::default(),
            map: MapPane::default(),
            thumbnail: None,
            picker: super::thumbnail::protocol::halfblocks(),
            activity: ActivityLog::default(),
            read_only: false,
            mouse: true,
            is_focused: true,
            protected: Vec::new(),
            command_history: Vec::new(),
            command_cursor: None,
            pending_write: None,
            keymap,
            theme,
            popup: None,
            input: None,
            status: None,
            log: std::collections::VecDeque::new(),
            size,
            is_dirty: true,
            next_generation: 1,
            ended_by: None,
        }
    }

    /// Where the focused pane draws: the screen between the tab row and the status bar (as
    /// `view::draw` lays it out; mouse hit-tests and popups use the same rect).
    pub fn body_area(&self) -> ratatui::layout::Rect {
        ratatui::layout::Rect {
            x: 0,
            y: 1,
            width: self.size.0,
            height: self.size.1.saturating_sub(2),
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
            || self.package.is_running()
    }

    /// Whether a push to `target` goes to a protected registry (a configured prefix of
    /// `host[:port]/repo…`, matched on whole path parts).
    pub fn is_protected(&self, target: &str) -> bool {
        let target = target.trim_end_matches('/');
        self.protected.iter().any(|p| {
            let p = p.trim_end_matches('/');
            !p.is_empty()
                && target.starts_with(p)
                && matches!(
                    target[p.len()..].chars().next(),
                    None | Some('/' | ':' | '@')
                )
        })
    }

    /// The run esc would cancel, when it has been going long enough that one reflex key
    /// should not lose it (see [`CONFIRM_CANCEL_AFTER_SECS`]).
    pub fn long_run_in_focus(&self) -> Option<&'static str> {
        let long = |secs: f64| secs >= CONFIRM_CANCEL_AFTER_SECS;
        match self.focus {
            PaneId::Lock if self.lock.is_running() => {
                long(self.lock.elapsed_secs).then_some("the derive")
            }
            PaneId::Validation if self.validation.is_running() => {
                long(self.validation.elapsed_secs).then_some("the validation")
            }
            PaneId::Package if self.package.is_running() => {
                let r = self.package.running.as_ref()?;
                long(r.progress.elapsed_secs).then_some(match r.job {
                    super::panes::package::Job::Push => "the push",
                    super::panes::package::Job::Pull => "the pull",
                    _ => "the build",
                })
            }
            _ if matches!(self.items.phase, Phase::Loading | Phase::Streaming) => {
                long(self.items.elapsed_secs).then_some("the search")
            }
            _ => None,
        }
    }

    /// A new generation number.
    pub fn generation(&mut self) -> u64 {
        self.next_generation += 1;
        self.next_generation
    }

    /// The label of the open prompt: a lock whose derive was cancelled is written as partial.
    pub fn prompt_label(&self, target: InputTarget) -> String {
        if target == InputTarget::LockPath && self.lock.phase == RunPhase::Cancelled {
            let (n, total) = (self.lock.entries.len(), self.lock.total);
            return format!("write PARTIAL lock ({n} of {total} rows) to: ");
        }
        if target == InputTarget::ConfirmTag {
            if let Some(Pending::Push(plan)) = &self.package.pending {
                let word = plan.typed_word().unwrap_or_default();
                let why = if plan.protected {
                    "is a protected registry"
                } else {
                    "exists"
                };
                return format!("{} {why}: type the tag {word:?} to push: ", plan.target);
            }
        }
        target.label()
    }

    /// Work that quitting would lose, in words ("the derived lock (480 rows) is not written").
    pub fn unsaved_work(&self) -> Option<String> {
        let lock = &self.lock;
        if !lock.is_unsaved || lock.entries.is_empty() {
            return None;
        }
        let partial = if lock.phase == RunPhase::Cancelled {
            ", partial"
        } else {
            ""
        };
        Some(format!(
            "the derived lock ({} rows{partial}) is not written",
            lock.entries.len()
        ))
    }

    /// Opens a prompt for `target`, starting from `text`. The status line is cleared: what
    /// is said while the prompt is open (drawn above it) is about this prompt.
    pub fn prompt(&mut self, target: InputTarget, text: String) {
        self.input = Some(Input::new(target, text));
        self.status = None;
    }

    /// Sets the status line.
    pub fn say(&mut self, text: impl Into<String>, is_error: bool) {
        let text = text.into();
        if is_error {
            self.remember(false, &text);
        }
        self.status = Some(Status { text, is_error });
    }

    /// A warning: the work went on, but the user should know (the CLI prints these on
    /// stderr). It goes to the log and, shortened, to the status line.
    pub fn warn(&mut self, text: impl Into<String>) {
        let text = text.into();
        self.remember(true, &text);
        self.status = Some(Status {
            text: format!("warning: {text}"),
            is_error: false,
        });
    }

    fn remember(&mut self, is_warning: bool, text: &str) {
        if self.log.len() == LOG_LEN {
            self.log.pop_front();
        }
        self.log.push_back(LogEntry {
            is_warning,
            text: text.to_string(),
        });
    }
}
