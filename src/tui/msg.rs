//! Messages into the app loop and effects out of it, grouped per pane.
//!
//! [`Msg`] is a user intent ([`Command`]), a raw terminal event, or a notification from the
//! task layer (past tense, carrying the generation it belongs to so stale results can be
//! dropped); task results are one variant per pane, whose enum lives in the pane's folder.
//! [`Effect`] is what `update` asks the task layer to do, again one variant per pane; `update`
//! itself never does I/O.

use std::path::PathBuf;

use crossterm::event::KeyEvent;

use super::command::Command;
use super::panes::items::{ItemsEffect, ItemsMsg};
use super::panes::lock::{LockEffect, LockMsg};
use super::panes::package::{PackageEffect, PackageMsg};
use super::panes::search::{SearchEffect, SearchMsg};
use super::panes::validation::{ValidationEffect, ValidationMsg};
use super::tasks::TaskEnd;
use super::terminal::Signal;

/// Everything the app loop receives.
#[derive(Debug)]
pub enum Msg {
    /// A user intent (from the keymap or a test).
    Command(Command),
    /// A key the keymap resolves (or a text input consumes).
    Key(KeyEvent),
    /// The terminal gained (`true`) or lost the focus.
    Focus(bool),
    /// A mouse event (wheel, click).
    Mouse(crossterm::event::MouseEvent),
    /// Text pasted into the terminal (bracketed paste): one event, however long.
    Paste(String),
    /// The terminal was resized.
    Resized {
        /// Columns.
        width: u16,
        /// Rows.
        height: u16,
    },
    /// A search-pane task result.
    Search(SearchMsg),
    /// An items-pane task result (loads stream in here).
    Items(ItemsMsg),
    /// A lock-pane task result.
    Lock(LockMsg),
    /// A validation-pane task result.
    Validation(ValidationMsg),
    /// A package-pane task result.
    Package(PackageMsg),
    /// A map-pane task result.
    Map(super::panes::map::MapMsg),
    /// A thumbnail fetch answered.
    Thumbnail(super::thumbnail::ThumbnailMsg),
    /// A file write finished (or refused to overwrite: `needs_confirm`).
    FileWritten {
        /// What happened, one line.
        text: String,
        /// Whether it failed.
        is_error: bool,
        /// The target exists; the request waits for the user's yes.
        needs_confirm: Option<WriteRequest>,
        /// On success: the file and what follows.
        written: Option<(PathBuf, AfterWrite)>,
    },
    /// The paths that complete the command line's last word (`line` as it was asked).
    Completed {
        /// The command line when tab was pressed.
        line: String,
        /// The candidates for its last word.
        found: Vec<String>,
    },
    /// A copy to the clipboard was made (or failed): the status line.
    Copied {
        /// What happened, one line.
        text: String,
        /// Whether it failed.
        is_error: bool,
    },
    /// A task's warning (the work goes on): for the status line and the message log.
    Warning(String),
    /// A task ended (for any reason); panics and errors carry a message.
    TaskEnded(TaskEnd),
    /// SIGHUP / SIGINT / SIGTERM arrived, or the terminal went away (a hangup): quit at once.
    Signal(Signal),
}

/// What `update` asks the outside world to do.
#[derive(Debug, Clone)]
pub enum Effect {
    /// Search-pane work (loads, collections, history).
    Search(SearchEffect),
    /// Items-pane work (sort / filter).
    Items(ItemsEffect),
    /// Lock-pane work (derive, open).
    Lock(LockEffect),
    /// Validation-pane work.
    Validation(ValidationEffect),
    /// Package-pane work (build, inspect, push, pull).
    Package(PackageEffect),
    /// Map-pane work (reading footprints).
    Map(super::panes::map::MapEffect),
    /// Fetch and decode a thumbnail.
    Thumbnail(super::thumbnail::ThumbnailEffect),
    /// Write a file atomically.
    WriteFile(WriteRequest),
    /// List the directory of the command line's last word (tab completion).
    Complete(String),
    /// Remember the command-line history.
    SaveCommands(Vec<String>),
    /// Put this text on the local clipboard (OSC 52, or a file).
    Copy(String),
    /// Turn the terminal's mouse reporting on or off.
    Mouse(bool),
    /// Tell the operator, away in another window, that a long run ended (bell or OSC 9/777).
    Notify(String),
    /// Panic inside a task.
    PanicInTask,
    /// Leave the loop (tasks are cancelled and drained).
    Quit,
}

/// A file the console writes: a lock or JSON lines, atomically, never over an existing file
/// unless the user said yes.
#[derive(Debug, Clone, PartialEq)]
pub struct WriteRequest {
    /// The target.
    pub path: PathBuf,
    /// The user confirmed replacing an existing file.
    pub overwrite: bool,
    /// What to write.
    pub content: WriteContent,
    /// What the status line says when it is written (`{path}` is replaced).
    pub done_text: String,
    /// What follows a successful write.
    pub after: AfterWrite,
}

impl WriteRequest {
    /// A request that never replaces a file without asking, and has no follow-up.
    pub fn new(path: PathBuf, content: WriteContent, done_text: impl Into<String>) -> WriteRequest {
        WriteRequest {
            path,
            overwrite: false,
            content,
            done_text: done_text.into(),
            after: AfterWrite::Nothing,
        }
    }
}

/// What follows a successful write.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum AfterWrite {
    /// Nothing.
    #[default]
    Nothing,
    /// The lock pane's lock of this generation is saved (quitting no longer asks).
    LockSaved(u64),
    /// Open the written lock in the lock pane (accepted drift: validate it next).
    OpenLock,
}

/// The bytes of a [`WriteRequest`].
#[derive(Debug, Clone, PartialEq)]
pub enum WriteContent {
    /// Asset-lock Parquet.
    Lock(Vec<crate::lock::LockRow>),
    /// JSON lines (without newlines).
    JsonLines(Vec<String>),
    /// The items, enriched (`items enrich`) with the lock, as GeoParquet.
    EnrichedItems {
        /// The items batches.
        batches: Vec<arrow_array::RecordBatch>,
        /// The lock rows to project.
        lock: Vec<crate::lock::LockRow>,
        /// `--alternate-key`.
        alternate_key: Option<String>,
    },
}
