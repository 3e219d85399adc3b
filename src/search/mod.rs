//! STAC API Item Search: a client that pages through results as a stream, and the same
//! filters over a saved catalogue offline.
//!
//! * [`StacApi`] talks HTTP: retries with backoff for 5xx/429 (honouring `Retry-After`),
//!   timeouts, and one-line errors naming the request — the server's own message for a 4xx, a
//!   plain "not a STAC API response" for HTML or foreign JSON (see [`client`]).
//! * [`StacApi::landing_page`], [`StacApi::conformance`] and [`StacApi::collections`] say what
//!   the server offers; [`Support`] turns conformance into warnings about parameters it would
//!   ignore (see [`api`]).
//! * [`StacApi::search`] follows `next` links (GET tokens / `skip`, POST `body` + `merge`) in a
//!   task with a bounded page prefetch, stops exactly at `max_items`, and stops at once when its
//!   cancellation token fires; it yields [`Page`]s of JSON items (see [`pager`]).
//! * [`search_to_batches`] turns the pages into items batches through the items pipeline,
//!   keeping every property any item has (see [`spool`]).
//! * [`LocalFilter`] applies `bbox`, `datetime`, `collections` and `ids` to a local file.
//!
//! Progress (pages, items, rate, retries) goes to a [`SearchProgress`] sink; the engine never
//! prints.

pub mod api;
pub mod client;
pub mod local;
pub mod pager;
pub mod params;
pub mod progress;
pub mod spool;

pub use api::{api_root, CollectionInfo, LandingPage, SearchTarget, Support};
pub use client::{ClientOptions, Method, RetryPolicy, StacApi};
pub use local::LocalFilter;
pub use pager::{Page, SearchPages, SearchRequest, PREFETCH_PAGES};
pub use params::{Filter, FilterLang, Interval, SearchParams, SortKey};
pub use progress::{NoProgress, PageReport, RetryReport, SearchProgress};
pub use spool::{search_to_batches, ItemSpool};
