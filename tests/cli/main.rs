//! The `stacpkg` binary on local files and local services: one test binary, one module per
//! command family (ripgrep's `tests/tests.rs` layout). Shared helpers are in `testkit`.

mod asset_lock;
mod build;
mod conventions;
mod corpus;
mod enrich;
mod inspect;
mod items;
mod oci;
mod tui;
mod tutorial;
