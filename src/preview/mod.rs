//! Text preview of Arrow data for interactive terminals.
//!
//! Commands that emit Arrow IPC streams print this table instead when stdout is a
//! terminal. Users and docs compare it with the output of the former Python tool,
//! so every rule here (cell text, column shrinking, clipping) mirrors that
//! renderer exactly, including Python's `str()`, `repr(float)` and `json.dumps`
//! conventions.
//!
//! The pieces, in the order a cell travels: `cell` reads an Arrow value as the Python
//! tool saw it after `to_pylist()` (a `py::Py`), `py_text` gives the `str()` and
//! `repr()` of its scalars, `value` its JSON forms, and `table` lays the cells out.

mod cell;
mod py;
mod py_text;
mod table;
mod value;

pub(crate) use cell::{bytes_at, i64_at, list_at};
pub use cell::{cell_json, cell_text};
pub use table::{render_preview, terminal_width, PreviewCollector};

/// Maximum number of rows shown in a preview.
pub const MAX_ROWS: usize = 20;
/// Maximum width, in characters, of a preview column.
pub const MAX_CELL_WIDTH: usize = 48;
/// Terminal width used when none can be determined.
pub const DEFAULT_WIDTH: usize = 120;
