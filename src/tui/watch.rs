//! Keeps the activity log ([`super::activity`]) in step with the run panes without touching
//! them: the core takes a [`Before`] of the search, lock and validation runs, applies a
//! message, and [`after`] records what started, progressed or ended in between (a run ends
//! when its phase leaves running, or a newer generation replaces it). Writes are recorded
//! from the effects that ask for them and ended by their answer.

use super::activity::{cli, ActivityKind, Outcome};
use super::model::Model;
use super::msg::{AfterWrite, Effect, WriteContent};
use super::panes::items::Phase;
use super::panes::package::args::quote;
use super::panes::RunPhase;

/// One run pane's run at a moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Run {
    generation: u64,
    running: bool,
}

/// The runs before a message was applied.
#[derive(Debug, Clone, Copy)]
pub struct Before {
    search: Run,
    lock: Run,
    validation: Run,
}

fn search_run(m: &Model) -> Run {
    Run {
        generation: m.items.generation,
        running: matches!(m.items.phase, Phase::Loading | Phase::Streaming),
    }
}

fn lock_run(m: &Model) -> Run {
    Run {
        generation: m.lock.generation,
        running: m.lock.is_running(),
    }
}

fn validation_run(m: &Model) -> Run {
    Run {
        generation: m.validation.generation,
        running: m.validation.is_running(),
    }
}

/// Takes the runs' state before a message.
pub fn before(m: &Model) -> Before {
    Before {
        search: search_run(m),
        lock: lock_run(m),
        validation: validation_run(m),
    }
}

fn rate(done: usize, secs: f64, unit: &str) -> String {
    if secs > 0.0 && done > 0 {
        format!("{:.0} {unit}/s", done as f64 / secs)
    } else {
        String::new()
    }
}

/// Records what the message started, moved on or ended, and the writes `effects` ask for.
pub fn after(m: &mut Model, before: Before, effects: &[Effect]) {
    search(m, before.search);
    lock(m, before.lock);
    validation(m, before.validation);
    for e in effects {
        if let Effect::WriteFile(req) = e {
            let generation = m.generation();
            let lock = cli::lock_stream(
                m.lock.path.as_deref(),
                m.activity.lock_cli.as_deref().unwrap_or("LOCK"),
            );
            let line = match &req.content {
                // Accepted drift has no one-line CLI equivalent.
                WriteContent::Lock(_) if req.after == AfterWrite::OpenLock => None,
                WriteContent::Lock(_) => Some(cli::write_lock(&lock, &req.path)),
                WriteContent::EnrichedItems { alternate_key, .. } => {
                    let items = m.activity.items_cli.as_deref().unwrap_or("ITEMS");
                    let key = alternate_key
                        .as_ref()
                        .map(|k| format!(" --alternate-key {}", quote(k)))
                        .unwrap_or_default();
                    Some(format!(
                        "{items} | stacpkg items enrich --asset-lock <({lock}){key} | stacpkg items to-parquet {}",
                        quote(&req.path.display().to_string())
                    ))
                }
                WriteContent::JsonLines(_) => Some(format!(
                    "{} > {}",
                    cli::validate(&lock),
                    quote(&req.path.display().to_string())
                )),
            };
            m.activity.start(
                ActivityKind::Write,
                generation,
                req.path.display().to_string(),
                line,
            );
        }
    }
}

/// A write answered: the oldest running write ends with `text`.
pub fn written(m: &mut Model, text: &str, is_error: bool, needs_confirm: bool) {
    let Some(a) = m
        .activity
        .entries
        .iter_mut()
        .find(|a| a.kind == ActivityKind::Write && a.outcome.is_running())
    else {
        return;
    };
    a.outcome = if needs_confirm {
        Outcome::Cancelled("the file exists: waits for the user's yes".into())
    } else if is_error {
        Outcome::Failed(text.to_string())
    } else {
        Outcome::Done(text.to_string())
    };
}

fn ended(
    m: &mut Model,
    kind: ActivityKind,
    before: Run,
    now: Run,
    outcome: impl FnOnce(&Model) -> Outcome,
) {
    if before.running && (now.generation != before.generation || !now.running) {
        let o = if now.generation != before.generation && now.running {
            Outcome::Cancelled("replaced by a newer run".into())
        } else {
            outcome(m)
        };
        m.activity.finish(kind, before.generation, o);
    }
}

fn search(m: &mut Model, before: Run) {
    let now = search_run(m);
    ended(m, ActivityKind::Search, before, now, |m| {
        match &m.items.phase {
            Phase::Failed(e) => Outcome::Failed(e.clone()),
            _ if now.generation != before.generation => {
                Outcome::Cancelled(format!("cancelled after {} items", m.items.total_rows))
            }
            _ => Outcome::Done(format!("{} items", m.items.total_rows)),
        }
    });
    if now.running && now.generation != before.generation {
        let line = cli::items(&m.search.form);
        m.activity.items_cli = Some(line.clone());
        let target = m.items.source.clone();
        m.activity
            .start(ActivityKind::Search, now.generation, target, Some(line));
    }
    if now.running {
        let (n, secs) = (m.items.total_rows, m.items.elapsed_secs);
        m.activity.progress(
            ActivityKind::Search,
            now.generation,
            format!("{n} items"),
            rate(n, secs, "items"),
            secs,
        );
    }
}

fn lock(m: &mut Model, before: Run) {
    let now = lock_run(m);
    let kind_of = |m: &Model| {
        if m.lock.is_relocation {
            ActivityKind::Relocate
        } else if m.lock.path.is_some() {
            ActivityKind::Read
        } else {
            ActivityKind::Derive
        }
    };
    if before.running {
        // The run that ended is the one recorded under that generation, whatever its kind.
        let kind = [
            ActivityKind::Derive,
            ActivityKind::Read,
            ActivityKind::Relocate,
        ]
        .into_iter()
        .find(|k| {
            m.activity
                .get_mut(*k, before.generation)
                .is_some_and(|a| a.outcome.is_running())
        })
        .unwrap_or(ActivityKind::Derive);
        ended(m, kind, before, now, |m| match &m.lock.phase {
            RunPhase::Failed(e) => Outcome::Failed(e.clone()),
            RunPhase::Cancelled => {
                Outcome::Cancelled(format!("cancelled after {} rows", m.lock.entries.len()))
            }
            _ => Outcome::Done(format!(
                "{} rows, {} probes failed",
                m.lock.entries.len(),
                m.lock.failed
            )),
        });
    }
    if now.running && now.generation != before.generation {
        let kind = kind_of(m);
        let (target, line) = match &m.lock.path {
            None if m.lock.is_relocation => {
                // The flags were planned from the lock as it was: its stream, then relocate.
                let lock = cli::lock_stream(
                    m.activity.lock_path.as_deref(),
                    m.activity.lock_cli.as_deref().unwrap_or("LOCK"),
                );
                let flags = m.activity.relocate_flags.clone().unwrap_or_default();
                let line = crate::tui::panes::lock::relocate::cli_line(&lock, &flags);
                m.activity.lock_cli = Some(line.clone());
                m.activity.lock_path = None;
                (m.lock.source.clone(), Some(line))
            }
            Some(p) => {
                m.activity.lock_path = Some(p.clone());
                m.activity.lock_cli = None;
                (p.display().to_string(), Some(cli::lock_stream(Some(p), "")))
            }
            None => {
                let ids = m.items.selection().ids;
                let source = m.activity.items_cli.as_deref().unwrap_or("ITEMS");
                let line = cli::derive(source, &ids);
                m.activity.lock_cli = Some(line.clone());
                m.activity.lock_path = None;
                (m.lock.source.clone(), Some(line))
            }
        };
        m.activity.start(kind, now.generation, target, line);
    }
    if now.running {
        let (n, total, secs) = (m.lock.entries.len(), m.lock.total, m.lock.elapsed_secs);
        let kind = kind_of(m);
        m.activity.progress(
            kind,
            now.generation,
            format!("{n}/{total} rows"),
            rate(n, secs, "rows"),
            secs,
        );
    }
}

fn validation(m: &mut Model, before: Run) {
    let now = validation_run(m);
    ended(m, ActivityKind::Validate, before, now, |m| {
        let v = &m.validation;
        match &v.phase {
            RunPhase::Failed(e) => Outcome::Failed(e.clone()),
            RunPhase::Cancelled => {
                Outcome::Cancelled(format!("cancelled after {} results", v.run_done))
            }
            _ => {
                let c = v.counters();
                Outcome::Done(format!(
                    "{} valid, {} drifted, {} unreachable",
                    c.valid, c.drifted, c.unreachable
                ))
            }
        }
    });
    if now.running && now.generation != before.generation {
        let lock = cli::lock_stream(
            m.lock.path.as_deref(),
            m.activity.lock_cli.as_deref().unwrap_or("LOCK"),
        );
        let mut line = cli::validate(&lock);
        let total = m.validation.run_total;
        if total > 0 && total < m.lock.entries.len() {
            line.push_str(&format!(
                " # the console re-validated {total} selected rows of {}",
                m.lock.entries.len()
            ));
        }
        let target = m.lock.source.clone();
        m.activity
            .start(ActivityKind::Validate, now.generation, target, Some(line));
    }
    if now.running {
        let v = &m.validation;
        let (n, total, secs) = (v.run_done, v.run_total, v.elapsed_secs);
        m.activity.progress(
            ActivityKind::Validate,
            now.generation,
            format!("{n}/{total} rows"),
            rate(n, secs, "rows"),
            secs,
        );
    }
}
