//! What the console ran: every search, derive, validate, build, push, pull and write, with its
//! target, progress, duration and outcome (the task panel, `t`), and the `stacpkg …` command
//! line that does the same from a shell (the command log, `L`), so an operator can repeat in a
//! script what they did with keystrokes.
//!
//! Entries are keyed by the kind and generation of the run they describe: each pane records
//! its runs here as it starts them and as their messages arrive, so the log needs no clock
//! and no I/O of its own (durations are the runs' own elapsed seconds).

pub mod cli;
pub mod view;

use std::collections::VecDeque;

/// How many entries the log keeps (the oldest go first).
pub const ACTIVITY_KEPT: usize = 500;

/// What a run does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ActivityKind {
    /// A search or a file load into the items pane.
    Search,
    /// Deriving the asset lock.
    Derive,
    /// Validating the lock.
    Validate,
    /// Building a package.
    Build,
    /// Pushing a package.
    Push,
    /// Pulling a package.
    Pull,
    /// Writing a file (a lock, results).
    Write,
    /// Reading a lock file into the lock pane.
    Read,
    /// Copying the lock's bytes elsewhere.
    Relocate,
    /// Reading a package's facts (`inspect`).
    Inspect,
}

impl ActivityKind {
    /// A word for the task panel.
    pub fn word(self) -> &'static str {
        match self {
            ActivityKind::Search => "search",
            ActivityKind::Derive => "derive",
            ActivityKind::Validate => "validate",
            ActivityKind::Build => "build",
            ActivityKind::Push => "push",
            ActivityKind::Pull => "pull",
            ActivityKind::Write => "write",
            ActivityKind::Read => "read",
            ActivityKind::Relocate => "relocate",
            ActivityKind::Inspect => "inspect",
        }
    }
}

/// Where a run stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Still running.
    Running,
    /// Finished: what it did, one line.
    Done(String),
    /// Failed: the whole error chain.
    Failed(String),
    /// Cancelled by the user: what that left behind.
    Cancelled(String),
}

impl Outcome {
    /// Whether the run is still going.
    pub fn is_running(&self) -> bool {
        matches!(self, Outcome::Running)
    }
}

/// One run.
#[derive(Debug, Clone, PartialEq)]
pub struct Activity {
    /// What it does.
    pub kind: ActivityKind,
    /// The run's generation (unique per kind).
    pub generation: u64,
    /// What it is about: a URL, a directory, a registry reference.
    pub target: String,
    /// The CLI line that does the same (`None` when there is none).
    pub cli: Option<String>,
    /// Progress, as last reported ("3/5 blobs, 12.0 MiB of 40.0 MiB").
    pub progress: String,
    /// Rate, as last reported ("4.1 MiB/s", "120 rows/s").
    pub rate: String,
    /// Seconds it ran, as last reported.
    pub elapsed_secs: f64,
    /// Where it stands.
    pub outcome: Outcome,
}

/// The runs of the session, oldest first.
#[derive(Debug, Clone, Default)]
pub struct ActivityLog {
    /// The entries (at most [`ACTIVITY_KEPT`]).
    pub entries: VecDeque<Activity>,
    /// The command that produces the loaded items (set when a search or load starts).
    pub items_cli: Option<String>,
    /// The command that produces the lock pane's lock, when it was derived here.
    pub lock_cli: Option<String>,
    /// The file the lock pane's lock was read from (kept while a relocation replaces it).
    pub lock_path: Option<std::path::PathBuf>,
    /// The flags of the relocation being started.
    pub relocate_flags: Option<String>,
    /// Runs that ended since the core last looked: (what, outcome, seconds), for notices.
    pub ended: Vec<(String, String, f64)>,
}

impl ActivityLog {
    /// Records a run that starts now.
    pub fn start(
        &mut self,
        kind: ActivityKind,
        generation: u64,
        target: impl Into<String>,
        cli: Option<String>,
    ) {
        if self.entries.len() == ACTIVITY_KEPT {
            self.entries.pop_front();
        }
        self.entries.push_back(Activity {
            kind,
            generation,
            target: target.into(),
            cli,
            progress: String::new(),
            rate: String::new(),
            elapsed_secs: 0.0,
            outcome: Outcome::Running,
        });
    }

    /// The run of `kind` with `generation`, if recorded.
    pub fn get_mut(&mut self, kind: ActivityKind, generation: u64) -> Option<&mut Activity> {
        self.entries
            .iter_mut()
            .rev()
            .find(|a| a.kind == kind && a.generation == generation)
    }

    /// Updates a run's progress.
    pub fn progress(
        &mut self,
        kind: ActivityKind,
        generation: u64,
        progress: String,
        rate: String,
        elapsed_secs: f64,
    ) {
        if let Some(a) = self.get_mut(kind, generation) {
            a.progress = progress;
            a.rate = rate;
            a.elapsed_secs = elapsed_secs;
        }
    }

    /// Records how a run ended (a run already ended keeps its first outcome).
    pub fn finish(&mut self, kind: ActivityKind, generation: u64, outcome: Outcome) {
        if let Some(a) = self.get_mut(kind, generation) {
            if a.outcome.is_running() {
                let word = match &outcome {
                    Outcome::Done(_) => "done",
                    Outcome::Failed(_) => "failed",
                    Outcome::Cancelled(_) => "cancelled",
                    Outcome::Running => "running",
                };
                let what = format!("{} {}", a.kind.word(), a.target);
                let secs = a.elapsed_secs;
                a.outcome = outcome;
                self.ended.push((what, word.to_string(), secs));
            }
        }
    }

    /// Ends every running run of `kind` (a newer run of the same kind replaced it).
    pub fn supersede(&mut self, kind: ActivityKind, why: &str) {
        for a in self.entries.iter_mut().filter(|a| a.kind == kind) {
            if a.outcome.is_running() {
                a.outcome = Outcome::Cancelled(why.to_string());
            }
        }
    }

    /// The entries that have a CLI equivalent, oldest first.
    pub fn commands(&self) -> impl Iterator<Item = &Activity> {
        self.entries.iter().filter(|a| a.cli.is_some())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_are_found_by_kind_and_generation_and_end_once() {
        let mut log = ActivityLog::default();
        log.start(
            ActivityKind::Derive,
            3,
            "12 items",
            Some("stacpkg …".into()),
        );
        log.start(ActivityKind::Validate, 3, "lock", None);
        log.progress(
            ActivityKind::Derive,
            3,
            "5/10".into(),
            "2 rows/s".into(),
            2.5,
        );
        log.finish(ActivityKind::Derive, 3, Outcome::Done("10 rows".into()));
        log.finish(ActivityKind::Derive, 3, Outcome::Failed("late".into()));
        let d = &log.entries[0];
        assert_eq!(d.progress, "5/10");
        assert_eq!(d.outcome, Outcome::Done("10 rows".into()));
        assert!(log.entries[1].outcome.is_running());
        assert_eq!(log.commands().count(), 1);
        log.supersede(ActivityKind::Validate, "replaced");
        assert!(matches!(log.entries[1].outcome, Outcome::Cancelled(_)));
    }
}
