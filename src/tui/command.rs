//! [`Command`], the one enum of user intents, and [`PaneId`], the panes.
//!
//! The keymap table maps keys to commands, the hint bar and the help overlay describe them,
//! and their serde names are what a user keymap file writes. [`Command::pane`] names the pane
//! whose `update` applies a command, so the core dispatches with one arm per pane; commands
//! that belong to no pane (moving, marking, cancelling) go to the focused one.

use serde::{Deserialize, Serialize};

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
    /// The current package: build, inspect, push, pull.
    Package,
    /// The items' footprints on a world map, and their times.
    Map,
}

impl PaneId {
    /// Every pane, in tab order.
    pub const ALL: [PaneId; 6] = [
        PaneId::Search,
        PaneId::Items,
        PaneId::Lock,
        PaneId::Validation,
        PaneId::Package,
        PaneId::Map,
    ];

    /// The pane's name in a keymap file's `scope`.
    pub fn name(self) -> &'static str {
        match self {
            PaneId::Search => "search",
            PaneId::Items => "items",
            PaneId::Lock => "lock",
            PaneId::Validation => "validation",
            PaneId::Package => "package",
            PaneId::Map => "map",
        }
    }

    /// The tab title.
    pub fn title(self) -> &'static str {
        match self {
            PaneId::Search => "Search",
            PaneId::Items => "Items",
            PaneId::Lock => "Lock",
            PaneId::Validation => "Validation",
            PaneId::Package => "Package",
            PaneId::Map => "Map",
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
    /// Mark or unmark the row under the cursor (items, validation results, collections).
    #[serde(alias = "mark_result")]
    ToggleMark,
    /// Mark every shown row, or clear the marks if all are marked.
    #[serde(alias = "mark_all_results")]
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
    /// Show expected vs current facts of the result under the cursor.
    ShowDetail,
    /// Write a new lock with the current facts of the marked results (prompts for the path).
    AcceptDrift,
    /// Export the results as JSON lines (prompts for the path).
    ExportResults,
    /// Show every error and warning of the session in full.
    ShowMessages,
    /// Mark (or unmark) every result of the group under the cursor.
    MarkGroup,
    /// Move the column under the columns chooser's cursor up (earlier in the table).
    MoveColumnUp,
    /// Move the column under the columns chooser's cursor down (later in the table).
    MoveColumnDown,
    /// Focus the package pane.
    FocusPackage,
    /// Build a package from the marked items (or all loaded items) and the lock.
    BuildPackage,
    /// Show the package's `inspect` summary.
    InspectPackage,
    /// Push the package to a registry or an `oci:` layout (prompts for the target).
    PushPackage,
    /// Pull a package into a directory (prompts for the source and the directory).
    PullPackage,
    /// Open a package directory.
    OpenPackage,
    /// Show the task panel: every run, its progress and outcome.
    ShowTasks,
    /// Show the command log: the `stacpkg …` line of every action.
    ShowCommandLog,
    /// Type a command (`:build DIR`, `:push TARGET`, …).
    CommandLine,
    /// Copy the shown lock rows' bytes somewhere else (prompts for the CLI's flags).
    RelocateLock,
    /// Enrich the items with the lock (`items enrich`) and write them.
    EnrichItems,
    /// Copy the value under the cursor (a cell, an href, a digest) to the local clipboard.
    CopyValue,
    /// Copy the id of the item (or the lock row's / result's item) under the cursor.
    CopyId,
    /// Copy the row under the cursor as JSON (an item's STAC JSON, a lock row, a result).
    CopyJson,
    /// Copy the `stacpkg …` line of the last action.
    CopyCommand,
    /// Pause (or resume) the streaming search or validation in the focused pane.
    TogglePause,
    /// Turn the mouse off (the terminal's own selection) or on.
    ToggleMouse,
    /// Focus the map pane.
    FocusMap,
    /// Zoom the map in.
    ZoomIn,
    /// Zoom the map out.
    ZoomOut,
    /// Pan the map left (or move the drawn bbox's corner).
    PanLeft,
    /// Pan the map right (or move the drawn bbox's corner).
    PanRight,
    /// Fit the map to the marked items (or the shown ones).
    FitSelection,
    /// Show the whole world.
    ShowWorld,
    /// Zoom the map to the item under the cursor.
    CenterOnItem,
    /// Select the next shown item (the map follows it).
    NextItem,
    /// Select the previous shown item (the map follows it).
    PrevItem,
    /// Draw a bbox on the map with the keys (again: done).
    DrawBbox,
    /// Put the drawn bbox (or the view) into the search form.
    UseBbox,
    /// Move the histogram cursor one bar left.
    PrevBin,
    /// Move the histogram cursor one bar right.
    NextBin,
    /// Filter the items table to the histogram bar's time.
    FilterBin,
    /// Drop the time filter.
    ClearTimeFilter,
    /// Show the thumbnail of the item under the cursor.
    ShowThumbnail,
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
            Command::ShowDetail => "details",
            Command::AcceptDrift => "accept drift",
            Command::ExportResults => "export JSON lines",
            Command::ShowMessages => "messages",
            Command::MarkGroup => "mark group",
            Command::MoveColumnUp => "move column up (columns)",
            Command::MoveColumnDown => "move column down (columns)",
            Command::FocusPackage => "package pane",
            Command::BuildPackage => "build package",
            Command::InspectPackage => "inspect",
            Command::PushPackage => "push",
            Command::PullPackage => "pull",
            Command::OpenPackage => "open package",
            Command::ShowTasks => "tasks",
            Command::ShowCommandLog => "command log",
            Command::CommandLine => "command line",
            Command::RelocateLock => "relocate bytes",
            Command::EnrichItems => "enrich items",
            Command::CopyValue => "copy value",
            Command::CopyJson => "copy as JSON",
            Command::CopyId => "copy item id",
            Command::CopyCommand => "copy last CLI line",
            Command::TogglePause => "pause / resume",
            Command::ToggleMouse => "mouse on / off",
            Command::FocusMap => "map pane",
            Command::ZoomIn => "zoom in",
            Command::ZoomOut => "zoom out",
            Command::PanLeft => "pan left",
            Command::PanRight => "pan right",
            Command::FitSelection => "fit to selection",
            Command::ShowWorld => "whole world",
            Command::CenterOnItem => "zoom to item",
            Command::NextItem => "next item",
            Command::PrevItem => "previous item",
            Command::DrawBbox => "draw bbox",
            Command::UseBbox => "bbox to search",
            Command::PrevBin => "bar left",
            Command::NextBin => "bar right",
            Command::FilterBin => "filter to bar",
            Command::ClearTimeFilter => "clear time filter",
            Command::ShowThumbnail => "thumbnail",
        }
    }

    /// The pane whose `update` applies this command; `None`: the core applies it, or it goes
    /// to the focused pane (moving, marking, filtering, sorting, cancelling).
    pub fn pane(self) -> Option<PaneId> {
        match self {
            Command::Left
            | Command::Right
            | Command::OpenItem
            | Command::ChooseColumns
            | Command::MoveColumnUp
            | Command::MoveColumnDown => Some(PaneId::Items),
            Command::EditField
            | Command::RunSearch
            | Command::RecallSearch
            | Command::PickCollections => Some(PaneId::Search),
            Command::DeriveLock
            | Command::WriteLock
            | Command::RelocateLock
            | Command::EnrichItems => Some(PaneId::Lock),
            Command::ValidateLock
            | Command::RevalidateMarked
            | Command::ToggleProblemsOnly
            | Command::CycleGroup
            | Command::ShowDetail
            | Command::MarkGroup
            | Command::AcceptDrift
            | Command::ExportResults => Some(PaneId::Validation),
            Command::BuildPackage
            | Command::InspectPackage
            | Command::PushPackage
            | Command::PullPackage
            | Command::OpenPackage => Some(PaneId::Package),
            Command::ZoomIn
            | Command::ZoomOut
            | Command::PanLeft
            | Command::PanRight
            | Command::FitSelection
            | Command::ShowWorld
            | Command::CenterOnItem
            | Command::NextItem
            | Command::PrevItem
            | Command::DrawBbox
            | Command::UseBbox
            | Command::PrevBin
            | Command::NextBin
            | Command::FilterBin
            | Command::ClearTimeFilter => Some(PaneId::Map),
            _ => None,
        }
    }
}
