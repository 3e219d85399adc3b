//! Messages into the app loop and effects out of it.
//!
//! [`Command`] is the one enum of user intents: the keymap table maps keys to it, the hint bar
//! and help overlay describe it, and its serde names are what a user keymap file writes.
//! [`Msg`] wraps a command, a raw terminal event, or a notification from the task layer (past
//! tense, carrying the generation it belongs to so stale results can be dropped). [`Effect`] is
//! what `update` asks the task layer to do; `update` itself never does I/O.

use std::path::PathBuf;
use std::sync::Arc;

use arrow_array::RecordBatch;
use arrow_schema::SchemaRef;
use crossterm::event::KeyEvent;
use serde::{Deserialize, Serialize};

use super::panes::items::{RowRef, ViewSpec};
use super::panes::lock::LockEntry;
use super::panes::validation::ValidationEntry;
use super::tasks::{TaskId, TaskKind};
use crate::items::ItemFilter;

/// The panes, in tab order; number keys 1..=N focus them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaneId {
    /// Where items come from: source and filters.
    Search,
    /// The items table.
    Items,
    /// The asset lock: derive, open, write.
    Lock,
    /// Validation results: drift triage.
    Validation,
}

impl PaneId {
    /// Every pane, in tab order.
    pub const ALL: [PaneId; 4] = [
        PaneId::Search,
        PaneId::Items,
        PaneId::Lock,
        PaneId::Validation,
    ];

    /// The tab title.
    pub fn title(self) -> &'static str {
        match self {
            PaneId::Search => "Search",
            PaneId::Items => "Items",
            PaneId::Lock => "Lock",
            PaneId::Validation => "Validation",
        }
    }
}

/// A user intent. One doc line each; `description` is what the hint bar and help show.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Command {
    /// Quit (asks first while work is running).
    Quit,
    /// Quit now, cancelling running work.
    ForceQuit,
    /// Show or hide the help overlay.
    ToggleHelp,
    /// Focus the next pane.
    NextPane,
    /// Focus the previous pane.
    PrevPane,
    /// Focus the search pane.
    FocusSearch,
    /// Focus the items pane.
    FocusItems,
    /// Close the popup, or cancel the focused pane's work.
    Cancel,
    /// Move the cursor up.
    Up,
    /// Move the cursor down.
    Down,
    /// Move a page up.
    PageUp,
    /// Move a page down.
    PageDown,
    /// Jump to the first row.
    Top,
    /// Jump to the last row.
    Bottom,
    /// Select the column to the left.
    Left,
    /// Select the column to the right.
    Right,
    /// Mark or unmark the row under the cursor.
    ToggleMark,
    /// Mark every shown row, or clear the marks if all are marked.
    MarkAll,
    /// Open the item under the cursor as JSON.
    OpenItem,
    /// Filter rows by text.
    StartFilter,
    /// Sort by the selected column (again: reverse; third time: unsorted).
    Sort,
    /// Choose which columns are shown.
    ChooseColumns,
    /// Edit the selected search field.
    EditField,
    /// Run the search.
    RunSearch,
    /// Fill the form from the selected remembered search (on a field: the next older one).
    RecallSearch,
    /// Choose collections from the endpoint's `/collections`.
    PickCollections,
    /// Panic inside a task (to test that the console survives it).
    DebugPanicTask,
    /// Focus the asset-lock pane.
    FocusLock,
    /// Focus the validation pane.
    FocusValidation,
    /// Derive the asset lock for the marked items (or all loaded items).
    DeriveLock,
    /// Write the lock to a Parquet file (prompts for the path).
    WriteLock,
    /// Validate the whole lock.
    ValidateLock,
    /// Validate again only the marked results (or the one under the cursor).
    RevalidateMarked,
    /// Show only drifted and unreachable results, or everything.
    ToggleProblemsOnly,
    /// Group results by nothing, drift kind, host, collection (cycles).
    CycleGroup,
    /// Mark or unmark the result under the cursor.
    MarkResult,
    /// Mark every shown result, or clear the marks if all are marked.
    MarkAllResults,
    /// Show expected vs current facts of the result under the cursor.
    ShowDetail,
    /// Write a new lock with the current facts of the marked results (prompts for the path).
    AcceptDrift,
    /// Export the results as JSON lines (prompts for the path).
    ExportResults,
}

impl Command {
    /// The one description shown in the hint bar and in the help overlay.
    pub fn description(self) -> &'static str {
        match self {
            Command::Quit => "quit",
            Command::ForceQuit => "quit now",
            Command::ToggleHelp => "help",
            Command::NextPane => "next pane",
            Command::PrevPane => "previous pane",
            Command::FocusSearch => "search pane",
            Command::FocusItems => "items pane",
            Command::Cancel => "close / cancel",
            Command::Up => "up",
            Command::Down => "down",
            Command::PageUp => "page up",
            Command::PageDown => "page down",
            Command::Top => "first row",
            Command::Bottom => "last row",
            Command::Left => "column left",
            Command::Right => "column right",
            Command::ToggleMark => "mark",
            Command::MarkAll => "mark all",
            Command::OpenItem => "open JSON",
            Command::StartFilter => "filter",
            Command::Sort => "sort by column",
            Command::ChooseColumns => "columns",
            Command::EditField => "edit field",
            Command::RunSearch => "run",
            Command::RecallSearch => "recall search",
            Command::PickCollections => "pick collections",
            Command::DebugPanicTask => "panic in a task (test)",
            Command::FocusLock => "lock pane",
            Command::FocusValidation => "validation pane",
            Command::DeriveLock => "derive lock",
            Command::WriteLock => "write lock",
            Command::ValidateLock => "validate",
            Command::RevalidateMarked => "re-validate marked",
            Command::ToggleProblemsOnly => "problems only",
            Command::CycleGroup => "group by",
            Command::MarkResult => "mark",
            Command::MarkAllResults => "mark all",
            Command::ShowDetail => "details",
            Command::AcceptDrift => "accept drift",
            Command::ExportResults => "export JSON lines",
        }
    }
}

/// Everything the app loop receives.
#[derive(Debug)]
pub enum Msg {
    /// A user intent (from the keymap or a test).
    Command(Command),
    /// A key the keymap resolves (or a text input consumes).
    Key(KeyEvent),
    /// The terminal was resized.
    Resized {
        /// Columns.
        width: u16,
        /// Rows.
        height: u16,
    },
    /// A load opened its source and knows the schema.
    ItemsOpened {
        /// The load it belongs to.
        generation: u64,
        /// The items schema.
        schema: SchemaRef,
    },
    /// A batch of items arrived.
    ItemsBatch {
        /// The load it belongs to.
        generation: u64,
        /// The rows.
        batch: RecordBatch,
        /// Seconds since the load started (for the rate).
        elapsed_secs: f64,
    },
    /// A load finished.
    ItemsDone {
        /// The load it belongs to.
        generation: u64,
        /// Seconds since the load started.
        elapsed_secs: f64,
    },
    /// The source of a load turned out to hold an asset lock (a lock Parquet file, or a
    /// package directory whose items keep loading): open it in the lock pane.
    SourceHasLock {
        /// The load it belongs to.
        generation: u64,
        /// The lock file.
        lock: PathBuf,
        /// Where its relative `file` keys resolve.
        base_dir: PathBuf,
        /// Whether items keep arriving for this load (a package) or not (a bare lock).
        has_items: bool,
    },
    /// A load failed.
    ItemsFailed {
        /// The load it belongs to.
        generation: u64,
        /// One line, with the cause chain.
        error: String,
    },
    /// A filtered / sorted row order was computed.
    ViewComputed {
        /// The view request it answers.
        generation: u64,
        /// The rows to show, in order.
        rows: Arc<Vec<RowRef>>,
    },
    /// A lock run (derive or file read) started and knows how many rows to expect.
    LockStarted {
        /// The run it belongs to.
        generation: u64,
        /// Rows expected.
        total: usize,
    },
    /// Lock rows arrived (in lock order).
    LockRows {
        /// The run it belongs to.
        generation: u64,
        /// The rows, with probe failures.
        rows: Vec<LockEntry>,
        /// Seconds since the run started.
        elapsed_secs: f64,
    },
    /// A lock run finished.
    LockDone {
        /// The run it belongs to.
        generation: u64,
        /// Seconds since the run started.
        elapsed_secs: f64,
    },
    /// A lock run could not go on.
    LockFailed {
        /// The run it belongs to.
        generation: u64,
        /// One line, with the cause chain.
        error: String,
    },
    /// Validation results arrived.
    ValidationRows {
        /// The run it belongs to.
        generation: u64,
        /// The results.
        rows: Vec<ValidationEntry>,
        /// Seconds since the run started.
        elapsed_secs: f64,
    },
    /// A validation run finished.
    ValidationDone {
        /// The run it belongs to.
        generation: u64,
        /// Seconds since the run started.
        elapsed_secs: f64,
    },
    /// A file write finished (or refused to overwrite: `needs_confirm`).
    FileWritten {
        /// What happened, one line.
        text: String,
        /// Whether it failed.
        is_error: bool,
        /// The target exists; the request waits for the user's yes.
        needs_confirm: Option<WriteRequest>,
    },
    /// A STAC API search received a page (progress for the search pane).
    SearchPage {
        /// The search it belongs to.
        generation: u64,
        /// Pages received so far.
        pages: u64,
        /// The server's count of matching items, when it says.
        matched: Option<u64>,
    },
    /// The collections picker's list arrived (or could not be read).
    CollectionsLoaded {
        /// The picker request it answers.
        generation: u64,
        /// (id, title) per collection, or one line saying why not.
        result: Result<Vec<(String, Option<String>)>, String>,
    },
    /// A task ended (for any reason); panics and errors carry a message.
    TaskEnded {
        /// Which task.
        id: TaskId,
        /// What it was doing.
        kind: TaskKind,
        /// `Some` if it failed or panicked.
        failure: Option<String>,
    },
}

/// What `update` asks the outside world to do.
#[derive(Debug, Clone)]
pub enum Effect {
    /// Start reading items from a local catalogue (cancelling any previous load).
    LoadItems {
        /// The generation its messages will carry.
        generation: u64,
        /// NDJSON, JSON or GeoParquet file.
        path: PathBuf,
        /// Which items to keep.
        filter: ItemFilter,
        /// Stop after this many items.
        max_items: Option<usize>,
        /// Bbox / datetime filter, when the form has one.
        local: Option<crate::search::LocalFilter>,
    },
    /// Start a STAC API search into the items pane (cancelling any previous load).
    SearchApi {
        /// The generation its messages will carry.
        generation: u64,
        /// What to search.
        search: super::panes::search::ApiSearch,
    },
    /// Read an endpoint's collections for the picker.
    LoadCollections {
        /// The generation the answer will carry.
        generation: u64,
        /// The API root or `/search` URL.
        source: String,
    },
    /// Cancel the running load.
    CancelLoad,
    /// Compute a filtered / sorted row order off the UI thread.
    ComputeView {
        /// The generation the answer will carry.
        generation: u64,
        /// The batches (cheap clones of shared buffers).
        batches: Vec<RecordBatch>,
        /// What to compute.
        spec: ViewSpec,
    },
    /// Remember a search in the state dir.
    SaveHistory(Vec<super::panes::search::SearchForm>),
    /// Panic inside a task.
    PanicInTask,
    /// Derive a lock from items (cancelling any running lock run).
    DeriveLock {
        /// The generation its messages will carry.
        generation: u64,
        /// The items batches (cheap clones).
        batches: Vec<RecordBatch>,
        /// Only these item ids (empty: all).
        item_ids: Vec<String>,
        /// Where relative file hrefs resolve.
        base_dir: PathBuf,
    },
    /// Read a lock file into the lock pane.
    OpenLock {
        /// The generation its messages will carry.
        generation: u64,
        /// The asset-lock Parquet file.
        path: PathBuf,
    },
    /// Cancel the running lock run.
    CancelLock,
    /// Validate lock rows (cancelling any running validation).
    Validate {
        /// The generation its messages will carry.
        generation: u64,
        /// (lock row index, row).
        rows: Vec<(usize, crate::lock::LockRow)>,
        /// Where relative file keys resolve.
        base_dir: PathBuf,
    },
    /// Cancel the running validation.
    CancelValidation,
    /// Write a file atomically.
    WriteFile(WriteRequest),
    /// Leave the loop (tasks are cancelled and drained).
    Quit,
}

/// A file the console writes: a lock or JSON lines, atomically, never over an existing file
/// unless the user said yes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WriteRequest {
    /// The target.
    pub path: PathBuf,
    /// The user confirmed replacing an existing file.
    pub overwrite: bool,
    /// What to write.
    pub content: WriteContent,
    /// What the status line says when it is written (`{path}` is replaced).
    pub done_text: String,
}

/// The bytes of a [`WriteRequest`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WriteContent {
    /// Asset-lock Parquet.
    Lock(Vec<crate::lock::LockRow>),
    /// JSON lines (without newlines).
    JsonLines(Vec<String>),
}
