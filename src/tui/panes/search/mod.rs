//! The search pane: where items come from and which to keep.
//!
//! The source is a STAC API (its root URL, or its `/search` endpoint) or a local catalogue
//! (NDJSON, JSON or GeoParquet). The form's fields are checked here, with the engine's own
//! parsers ([`crate::search::params`]), before anything runs, so a typo in a bbox is one line
//! naming the field and the fix rather than a 400 from the server. Which field applies where:
//!
//! | field       | STAC API                         | local file                      |
//! |-------------|----------------------------------|---------------------------------|
//! | collections | `collections` (picker: `c`)      | items filter                    |
//! | bbox        | `bbox` (4 or 6 numbers)          | [`LocalFilter`][lf] on each batch |
//! | datetime    | `datetime` interval              | [`LocalFilter`][lf] on each batch |
//! | max items   | stops the pager exactly there    | stops the reader                |
//! | filter      | CQL2 text, or CQL2 JSON          | refused: needs a server         |
//! | item ids    | `ids`                            | items filter                    |
//! | providers   | kept client-side per page        | items filter                    |
//!
//! The last searches are remembered across runs (a small JSON file in the state dir); fields
//! added later default to empty, so older history files still load.
//!
//! [lf]: crate::search::LocalFilter

pub mod form;
pub mod history;
pub mod jobs;
pub mod load;
pub mod update;
pub mod view;

use std::collections::BTreeSet;

use form::{SearchForm, FIELDS};

/// How many searches are remembered.
pub const HISTORY_LEN: usize = 20;

/// The collections picker's list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PickerList {
    /// `/collections` is being read.
    Loading,
    /// (id, title) of each collection.
    Loaded(Vec<(String, Option<String>)>),
    /// It could not be read.
    Failed(String),
}

/// The collections picker: filled from the endpoint's `/collections`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Picker {
    /// The request it waits for; other answers are stale.
    pub generation: u64,
    /// The endpoint it lists.
    pub source: String,
    /// The list.
    pub list: PickerList,
    /// Chosen ids (starts as the collections field).
    pub chosen: BTreeSet<String>,
    /// The row under the cursor.
    pub cursor: usize,
}

/// Paging progress of the running API search.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageProgress {
    /// Pages received.
    pub pages: u64,
    /// The server's count of matching items, when it says.
    pub matched: Option<u64>,
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
    /// Which remembered search the recall key showed last (it steps to older ones).
    pub recalled: Option<usize>,
    /// Why the last run was refused.
    pub error: Option<String>,
    /// The open collections picker.
    pub picker: Option<Picker>,
    /// Paging progress of the running API search (generation, progress).
    pub progress: Option<(u64, PageProgress)>,
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
        self.recalled = None;
    }
}

/// Task results for the search pane.
#[derive(Debug)]
pub enum SearchMsg {
    /// A STAC API search received a page (progress for the run line).
    Page {
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
}

/// Work the search pane asks of the task layer. Loads stream into the items pane.
#[derive(Debug, Clone)]
pub enum SearchEffect {
    /// Read items from a local catalogue (cancelling any previous load).
    LoadLocal {
        /// The generation its messages will carry.
        generation: u64,
        /// What to read (boxed, like the API search: loads are rare, effects many).
        load: Box<form::LocalSearch>,
    },
    /// Run a STAC API search (cancelling any previous load).
    SearchApi {
        /// The generation its messages will carry.
        generation: u64,
        /// What to search (boxed).
        search: Box<form::ApiSearch>,
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
    /// Remember the searches in the state dir.
    SaveHistory(Vec<SearchForm>),
}
