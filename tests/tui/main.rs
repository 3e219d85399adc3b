//! The console without a terminal, one module per pane: `update` message sequences (no
//! runtime), view snapshots of every pane state at 80×24 and 120×40 (ratatui `TestBackend` +
//! insta), and the app loop driven headless by scripted task events on paused tokio time.
//! `layout` checks the source tree itself: a folder per pane, no import circle.

mod app;
mod interaction;
mod items;
mod kit;
mod layout;
mod lock;
mod map;
mod package;
mod search;
mod signals;
mod validation;
