//! stacpkg: STAC items, their asset lock and optional content as durable, verifiable,
//! movable packages.
//!
//! This library is the engine behind the `stacpkg` CLI and its terminal console ([`tui`], with
//! its offline [`demo`]). It never prints or exits: functions return streams of Arrow record
//! batches, results and typed [`Error`]s, and the faces decide how to show them.

pub mod atomic;
pub mod demo;
pub mod error;
pub mod ipc;
pub mod items;
pub mod lock;
pub mod package;
pub mod parquet_footer;
pub mod parquet_io;
pub mod preview;
pub mod schema;
pub mod search;
pub mod stac;
pub mod store;
pub mod tui;

pub use error::{Error, Result};
