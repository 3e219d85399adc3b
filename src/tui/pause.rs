//! Pausing a live view (`P`): while a search streams items or a validation streams results,
//! the focused pane can freeze — what arrives meanwhile is held, counted ("⏸ paused · +N new")
//! and applied, in arrival order, on resume — so the rows and the cursor stay put while the
//! operator reads. A new run of the pane drops the held rows of the old one with it.

use super::command::PaneId;
use super::model::Model;
use super::msg::Effect;
use super::panes::items::{self, ItemsMsg, Phase};
use super::panes::validation::{self, ValidationMsg};
use super::panes::{Held, RunPhase};

/// `P`: pauses or resumes the focused pane.
pub fn toggle(model: &mut Model) -> Vec<Effect> {
    match model.focus {
        PaneId::Items => {
            if let Some(held) = model.items.paused.take() {
                return resume_items(model, held);
            }
            if !matches!(model.items.phase, Phase::Loading | Phase::Streaming) {
                model.say("nothing streams here to pause", false);
                return vec![];
            }
            model.items.paused = Some(Held::new(model.items.generation));
            vec![]
        }
        PaneId::Validation => {
            if let Some(held) = model.validation.paused.take() {
                return resume_validation(model, held);
            }
            if model.validation.phase != RunPhase::Running {
                model.say("nothing streams here to pause", false);
                return vec![];
            }
            model.validation.paused = Some(Held::new(model.validation.generation));
            vec![]
        }
        _ => {
            model.say(
                "only a streaming search (2) or validation (4) pauses",
                false,
            );
            vec![]
        }
    }
}

/// Holds `msg` when the items pane is paused for its run; gives it back otherwise.
pub fn hold_items(model: &mut Model, msg: ItemsMsg) -> Option<ItemsMsg> {
    let Some(held) = model.items.paused.as_mut() else {
        return Some(msg);
    };
    match msg {
        ItemsMsg::Batch {
            generation,
            batch,
            elapsed_secs,
        } if generation == held.generation => {
            let n = batch.num_rows();
            held.hold(vec![batch], n, elapsed_secs);
            None
        }
        ItemsMsg::Done {
            generation,
            elapsed_secs,
        } if generation == held.generation => {
            held.done = Some(elapsed_secs);
            None
        }
        // A newer run replaced the paused one: its rows show, the pause ends with the old run.
        other => {
            let generation = match &other {
                ItemsMsg::Opened { generation, .. }
                | ItemsMsg::Batch { generation, .. }
                | ItemsMsg::Done { generation, .. }
                | ItemsMsg::SourceHasLock { generation, .. }
                | ItemsMsg::Failed { generation, .. } => *generation,
                // A sort or filter the user asked for: not part of the stream.
                ItemsMsg::ViewComputed { .. } => held.generation,
            };
            if generation != held.generation {
                model.items.paused = None;
            }
            Some(other)
        }
    }
}

/// Holds `msg` when the validation pane is paused for its run; gives it back otherwise.
pub fn hold_results(model: &mut Model, msg: ValidationMsg) -> Option<ValidationMsg> {
    let Some(held) = model.validation.paused.as_mut() else {
        return Some(msg);
    };
    match msg {
        ValidationMsg::Rows {
            generation,
            rows,
            elapsed_secs,
        } if generation == held.generation => {
            let n = rows.len();
            held.hold(rows, n, elapsed_secs);
            None
        }
        ValidationMsg::Done {
            generation,
            elapsed_secs,
        } if generation == held.generation => {
            held.done = Some(elapsed_secs);
            None
        }
        other => {
            model.validation.paused = None;
            Some(other)
        }
    }
}

fn resume_items(model: &mut Model, held: Held<arrow_array::RecordBatch>) -> Vec<Effect> {
    let messages = held.replay(
        |generation, batches, elapsed_secs| {
            batches
                .into_iter()
                .map(|batch| ItemsMsg::Batch {
                    generation,
                    batch,
                    elapsed_secs,
                })
                .collect()
        },
        |generation, elapsed_secs| ItemsMsg::Done {
            generation,
            elapsed_secs,
        },
    );
    messages
        .into_iter()
        .flat_map(|m| items::update::message(model, m))
        .collect()
}

fn resume_validation(model: &mut Model, held: Held<validation::ValidationEntry>) -> Vec<Effect> {
    let messages = held.replay(
        |generation, rows, elapsed_secs| {
            vec![ValidationMsg::Rows {
                generation,
                rows,
                elapsed_secs,
            }]
        },
        |generation, elapsed_secs| ValidationMsg::Done {
            generation,
            elapsed_secs,
        },
    );
    messages
        .into_iter()
        .flat_map(|m| validation::update::message(model, m))
        .collect()
}
