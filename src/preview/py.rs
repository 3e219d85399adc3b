//! The value a cell held in the Python tool after `to_pylist()`: what the readers in `cell`
//! produce and the text (`py_text`) and JSON (`value`) forms consume, in its own file so those
//! modules import it one way instead of from each other.

use std::collections::BTreeMap;

/// A cell value as the Python tool saw it after `to_pylist()`.
pub(super) enum Py {
    None,
    Bool(bool),
    Int(String),
    Float(f64),
    Str(String),
    /// A non-JSON object (bytes, datetime, Decimal, ...) as its `str()`.
    Other(String),
    List(Vec<Py>),
    Dict(BTreeMap<String, Py>),
}
