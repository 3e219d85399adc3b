//! stacpkg against real servers started per test (nginx, moto, azurite, fake-gcs, a
//! distribution registry, rustac serve, pgstac) and the fault proxy in front of them; plus the
//! self-tests of those helpers (`harness`). Shared helpers are in `testkit`.

mod asset_lock;
mod harness;
mod oci_faults;
mod search;
mod search_faults;
