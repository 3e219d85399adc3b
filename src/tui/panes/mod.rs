//! One module per pane: its state and its (pure) view.

pub mod cell;
pub mod items;
pub mod lock;
pub mod phase;
pub mod search;
pub mod validation;
pub mod validation_view;
