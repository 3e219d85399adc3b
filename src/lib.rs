//! stacpkg engine.
