//! The package pane (`5`): the current package — built here, opened, or pulled — with the
//! facts `stacpkg inspect` reports (items, collections, assets, known bytes, and every file
//! with its size, digest and media type), the last push's reference and manifest digest, and
//! the progress of the build, push or pull under way.
//!
//! Every action is one engine call (`package::build::build`, `package::inspect::inspect`,
//! `package::oci::{tag_state, push, pull}`) run by [`jobs`]; [`update`] only asks, confirms and
//! records. Nothing leaves the machine or replaces a directory without a confirmation that
//! names it ([`Pending`]), and a push over an existing or protected tag wants the tag typed.

pub mod args;
pub mod jobs;
pub mod update;
pub mod view;

use std::fmt;
use std::path::PathBuf;

use crate::lock::LockRow;
use crate::package::oci::TagState;
use crate::tui::widgets::run::scrolled;

/// One file of the package, as `inspect` lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileFact {
    /// Package-relative path.
    pub path: String,
    /// Size in bytes.
    pub size: u64,
    /// `sha256:…`.
    pub digest: String,
    /// Its media type in an OCI artifact.
    pub media_type: String,
}

/// What the pane shows of a package (the `inspect` document, read by [`jobs::facts_of`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackageFacts {
    /// Items in `items.parquet`.
    pub items: u64,
    /// Their collections.
    pub collections: Vec<String>,
    /// Rows of the asset lock.
    pub assets: u64,
    /// Bytes of the rows whose size is known.
    pub known_bytes: u64,
    /// How many rows have a known size.
    pub known_count: u64,
    /// The package's files (what a push uploads).
    pub files: Vec<FileFact>,
    /// Files in the directory that are not part of the package (never pushed).
    pub skipped: usize,
    /// The whole `inspect` document as YAML lines, for the inspect popup.
    pub inspect: Vec<String>,
}

impl PackageFacts {
    /// Bytes of all files.
    pub fn file_bytes(&self) -> u64 {
        self.files.iter().map(|f| f.size).sum()
    }
}

/// How the current package came to be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// Built in this console.
    Built,
    /// Opened from a directory.
    Opened,
    /// Pulled from this reference.
    Pulled(String),
}

/// The last successful push of the current package.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pushed {
    /// Where it went.
    pub target: String,
    /// The manifest digest.
    pub digest: String,
    /// Blobs sent (the others were there already).
    pub uploaded: usize,
    /// Bytes sent.
    pub bytes: u64,
}

/// A registry password the user typed: kept only in memory, never shown or logged.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(pub String);

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(hidden)")
    }
}

/// Registry flags shared by push and pull (they mean what they mean in the CLI).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Connection {
    /// `--plain-http`.
    pub plain_http: bool,
    /// `--insecure`.
    pub insecure: bool,
    /// Credentials typed at the console's prompt (none: found as the CLI finds them).
    pub login: Option<(String, Secret)>,
}

/// A build waiting for its confirmation (the preview is drawn from it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildPlan {
    /// The package directory to create.
    pub dir: PathBuf,
    /// `--include-assets`.
    pub include_assets: bool,
    /// `--force` (or confirmed replacing a non-empty directory).
    pub force: bool,
    /// Only these items (empty: all loaded items).
    pub item_ids: Vec<String>,
    /// Items the package will hold.
    pub items: usize,
    /// "3 marked items" / "all 120 loaded items".
    pub items_label: String,
    /// The console's lock rows for those items; `None`: derived during the build.
    pub lock: Option<Vec<LockRow>>,
    /// Where relative `file` keys resolve.
    pub base_dir: PathBuf,
}

impl BuildPlan {
    /// Assets locked for the build (when the lock is known).
    pub fn assets(&self) -> Option<usize> {
        self.lock.as_ref().map(Vec::len)
    }

    /// Known bytes of those assets.
    pub fn known_bytes(&self) -> Option<u64> {
        self.lock.as_ref().map(|rows| {
            rows.iter()
                .filter_map(|r| r.size_bytes)
                .map(|b| u64::try_from(b).unwrap_or(0))
                .sum()
        })
    }
}

/// A push waiting for its confirmation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushPlan {
    /// The package directory.
    pub dir: PathBuf,
    /// `HOST[:PORT]/REPO:TAG` or `oci:PATH[:TAG]`, as typed.
    pub target: String,
    /// Registry flags and typed credentials.
    pub connection: Connection,
    /// What the tag holds now (checked before asking).
    pub tag: TagState,
    /// The target is under a protected prefix of the config.
    pub protected: bool,
}

impl PushPlan {
    /// The word to type before the push goes ahead: the tag, when the push replaces one or
    /// goes to a protected registry.
    pub fn typed_word(&self) -> Option<String> {
        let replaces = matches!(self.tag, TagState::Present(_));
        (replaces || self.protected).then(|| tag_of(&self.target))
    }
}

/// The tag a target names (`latest` when it names none).
pub fn tag_of(target: &str) -> String {
    let tail = target.rsplit('/').next().unwrap_or(target);
    let tail = tail.strip_prefix("oci:").unwrap_or(tail);
    match tail.split_once('@') {
        Some((_, digest)) => digest.to_string(),
        None => tail
            .rsplit_once(':')
            .map_or_else(|| "latest".to_string(), |(_, t)| t.to_string()),
    }
}

/// A pull waiting for its confirmation (it replaces a non-empty directory).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PullPlan {
    /// The reference.
    pub source: String,
    /// The directory to write.
    pub dir: PathBuf,
    /// Registry flags and typed credentials.
    pub connection: Connection,
    /// Replace a non-empty directory (after a complete, verified pull).
    pub force: bool,
}

/// What waits for the user's yes (or a credential prompt).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pending {
    /// A build (the preview).
    Build(BuildPlan),
    /// A push (what leaves the machine).
    Push(PushPlan),
    /// A pull that would replace a non-empty directory.
    Pull(PullPlan),
}

/// Which transfer runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Job {
    /// `build`.
    Build,
    /// `push`.
    Push,
    /// `pull`.
    Pull,
    /// Reading the facts (`inspect`).
    Inspect,
}

impl Job {
    /// A word for messages.
    pub fn word(self) -> &'static str {
        match self {
            Job::Build => "build",
            Job::Push => "push",
            Job::Pull => "pull",
            Job::Inspect => "inspect",
        }
    }
}

/// One blob (or build stage) of a run, as last reported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlobProgress {
    /// The blob's title (the file name) or the stage.
    pub title: String,
    /// Bytes (or rows) done.
    pub done: u64,
    /// Bytes (or rows) in all, when known.
    pub total: Option<u64>,
    /// Complete (or already at the target).
    pub finished: bool,
}

/// A run's progress, as last reported by its task.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Progress {
    /// Blobs (or build steps) in all.
    pub blobs_total: usize,
    /// Blobs complete, or already at the target.
    pub blobs_done: usize,
    /// Bytes in all.
    pub bytes_total: u64,
    /// Bytes moved (or skipped as present).
    pub bytes_done: u64,
    /// The blobs, in the order they started.
    pub blobs: Vec<BlobProgress>,
    /// Seconds since the run started.
    pub elapsed_secs: f64,
}

impl Progress {
    /// Bytes a second and seconds left, once there is something to measure.
    pub fn rate_and_eta(&self) -> Option<(f64, f64)> {
        if self.elapsed_secs <= 0.0 || self.bytes_done == 0 {
            return None;
        }
        let rate = self.bytes_done as f64 / self.elapsed_secs;
        let left = self.bytes_total.saturating_sub(self.bytes_done) as f64 / rate;
        Some((rate, left))
    }
}

/// The run under way.
#[derive(Debug, Clone, PartialEq)]
pub struct Running {
    /// What runs.
    pub job: Job,
    /// Its generation; messages of other runs are stale.
    pub generation: u64,
    /// What it is about (the directory, the target).
    pub target: String,
    /// Its progress.
    pub progress: Progress,
}

/// The package pane state.
#[derive(Debug, Clone, Default)]
pub struct PackagePane {
    /// The package directory shown.
    pub dir: Option<PathBuf>,
    /// How it came to be.
    pub origin: Option<Origin>,
    /// Its facts (`None` while they are read).
    pub facts: Option<PackageFacts>,
    /// The generation of the facts being read.
    pub facts_generation: u64,
    /// The generation of the tag check under way.
    pub check_generation: u64,
    /// The last push of this package.
    pub pushed: Option<Pushed>,
    /// The build, push or pull under way.
    pub running: Option<Running>,
    /// The last run's failure, in full (shown until the next run).
    pub failure: Option<String>,
    /// What waits for confirmation.
    pub pending: Option<Pending>,
    /// Open the inspect popup once the facts are read (`:inspect DIR`).
    pub inspect_when_read: bool,
    /// A user name typed at the credential prompt, waiting for its password.
    pub user: Option<String>,
    /// File under the cursor.
    pub cursor: usize,
    /// First file drawn.
    pub offset: usize,
    /// Push and pull targets used, newest last (kept across runs in the state dir).
    pub targets: Vec<String>,
}

impl PackagePane {
    /// Whether a build, push or pull runs.
    pub fn is_running(&self) -> bool {
        self.running.as_ref().is_some_and(|r| r.job != Job::Inspect)
    }

    /// Moves the file cursor to `index` (clamped) in a `page`-row window.
    pub fn move_to(&mut self, index: usize, page: usize) {
        let len = self.facts.as_ref().map_or(0, |f| f.files.len());
        self.cursor = index.min(len.saturating_sub(1));
        (self.cursor, self.offset) = scrolled(self.cursor, self.offset, page);
    }

    /// Remembers a target for the prompts (the newest last, no duplicates).
    pub fn remember_target(&mut self, target: &str) {
        self.targets.retain(|t| t != target);
        self.targets.push(target.to_string());
        let extra = self.targets.len().saturating_sub(TARGETS_KEPT);
        self.targets.drain(..extra);
    }
}

/// Targets remembered across runs.
pub const TARGETS_KEPT: usize = 50;

/// Task results for the package pane.
#[derive(Debug)]
pub enum PackageMsg {
    /// The facts of a package directory.
    Facts {
        /// The read it belongs to.
        generation: u64,
        /// The directory.
        dir: PathBuf,
        /// The facts, or why the directory is not a package.
        facts: Result<PackageFacts, String>,
    },
    /// What the push target's tag holds (or that it wants credentials).
    TagChecked {
        /// The check it belongs to.
        generation: u64,
        /// The state, or why it could not be checked.
        state: Result<TagState, String>,
    },
    /// A run's progress.
    Progress {
        /// The run.
        generation: u64,
        /// Its progress.
        progress: Progress,
    },
    /// The target directory is not empty: the run waits for the user to say replace it.
    NeedsForce {
        /// The run.
        generation: u64,
    },
    /// A build finished.
    Built {
        /// The run.
        generation: u64,
        /// The package.
        dir: PathBuf,
        /// Items, lock rows, copied assets.
        summary: String,
        /// Hrefs the derive could not map to a store.
        warnings: Vec<String>,
    },
    /// A push finished.
    PushedTo {
        /// The run.
        generation: u64,
        /// The push.
        pushed: Pushed,
    },
    /// A pull finished: the package is in `dir`.
    Pulled {
        /// The run.
        generation: u64,
        /// The package.
        dir: PathBuf,
        /// The manifest digest.
        digest: String,
        /// Files and bytes written.
        summary: String,
    },
    /// A run was cancelled; `landed` blobs had reached the target (pushes).
    Cancelled {
        /// The run.
        generation: u64,
        /// Blobs at the target when it stopped.
        landed: usize,
        /// Blobs in all.
        total: usize,
    },
    /// A run failed.
    Failed {
        /// The run.
        generation: u64,
        /// The whole error chain.
        error: String,
    },
}

/// Work the package pane asks of the task layer.
#[derive(Debug, Clone)]
pub enum PackageEffect {
    /// Read the facts of a package directory.
    Inspect {
        /// The generation its answer carries.
        generation: u64,
        /// The directory.
        dir: PathBuf,
    },
    /// Build a package.
    Build {
        /// The run's generation.
        generation: u64,
        /// What to build.
        plan: BuildPlan,
        /// The loaded items batches (cheap clones).
        batches: Vec<arrow_array::RecordBatch>,
    },
    /// Check what the push target's tag holds.
    CheckTag {
        /// The generation its answer carries.
        generation: u64,
        /// The target, as typed.
        target: String,
        /// Flags and credentials.
        connection: Connection,
    },
    /// Push the package.
    Push {
        /// The run's generation.
        generation: u64,
        /// What and where.
        plan: PushPlan,
        /// The files' sizes by path (from the pane's facts), for per-blob progress.
        sizes: std::collections::HashMap<String, u64>,
    },
    /// Pull a package.
    Pull {
        /// The run's generation.
        generation: u64,
        /// What and where.
        plan: PullPlan,
    },
    /// Cancel the running build, push or pull.
    Cancel,
    /// Remember the push and pull targets.
    SaveTargets(Vec<String>),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tag_of_a_target() {
        assert_eq!(tag_of("127.0.0.1:5000/pkgs/demo:v1"), "v1");
        assert_eq!(tag_of("127.0.0.1:5000/pkgs/demo"), "latest");
        assert_eq!(tag_of("oci:/tmp/layout:v2"), "v2");
        assert_eq!(tag_of("reg.example/a/b@sha256:abc"), "sha256:abc");
    }

    #[test]
    fn a_secret_never_shows_in_debug() {
        let c = Connection {
            login: Some(("me".into(), Secret("hunter2".into()))),
            ..Connection::default()
        };
        assert!(!format!("{c:?}").contains("hunter2"));
    }
}
