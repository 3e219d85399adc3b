//! Operations on items tables: filters now; enrich and alternates build on them.

pub mod alternate;
pub mod enrich;
pub mod filter;

pub use filter::ItemFilter;
