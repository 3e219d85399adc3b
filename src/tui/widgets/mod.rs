//! Reusable drawing pieces: popups, the hint bar.

pub mod popup;
