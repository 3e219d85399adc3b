//! Drawing helpers that take a theme, not the Model: popup frames, table cell text, and the
//! run panes' shared pieces.

pub mod cell;
pub mod line;
pub mod popup;
pub mod run;
