//! The asset lock: which bytes the items reference and what they looked like.
//!
//! A lock row names one asset of one item (`item_id`, `asset_key`), where its bytes live as a
//! structured location (`store_type`, `store_container`, `store_endpoint_url`, `key`) and the
//! facts observed there (`size_bytes`, `etag`, `last_modified`). The schema is the Python
//! stacpkg 0.1.4's, column for column, so locks move freely between the two tools.
//!
//! * [`schema`]: the 9-column Arrow schema, [`LockRow`], rows ⇄ batches, normalisation.
//! * [`derive`](mod@derive): items → lock rows (and the probes that fill in facts).
//! * [`read`]: a whole lock file or stream → rows, read the same way everywhere.
//! * [`validate`]: lock rows → validation results (drift).
//! * [`relocate`]: planning destination rows and copying bytes there.
//! * [`ordered`]: concurrent probes whose results keep the input order.

pub mod derive;
pub mod destinations;
pub mod ordered;
pub mod read;
pub mod relocate;
pub mod schema;
pub mod validate;

pub use schema::LockRow;
