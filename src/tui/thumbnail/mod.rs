//! Thumbnails (`T` on an item, in the items or the map pane): the item's `thumbnail` asset
//! (else `overview`, else one whose roles say so), fetched through the same store layer as
//! the lock (s3, gs, az, http and files, with the same credentials), drawn with
//! ratatui-image in a popup.
//!
//! The fetch runs in the task layer ([`jobs`]): a HEAD first (the size is capped at
//! [`MAX_BYTES`], and the ETag keys the cache), then the bytes, from the on-disk cache
//! (`thumbnails/` in the state dir) when this href and ETag were fetched before. Decoding and
//! downscaling run on a blocking thread; `update` only turns the decoded image into the
//! terminal's protocol for the popup's size ([`protocol`]: kitty, sixel, iTerm2, or
//! half-blocks, which work everywhere, over SSH and inside tmux).

pub mod jobs;
pub mod protocol;
pub mod update;
pub mod view;

use std::path::PathBuf;
use std::sync::Arc;

use image::DynamicImage;

/// The largest thumbnail fetched (bytes); a bigger asset is refused with its size.
pub const MAX_BYTES: u64 = 16 * 1024 * 1024;

/// Decoded images are downscaled to fit this many pixels each way (a terminal shows less).
pub const MAX_PIXELS: u32 = 768;

/// Where the popup's thumbnail stands.
#[derive(Debug, Clone)]
pub enum Phase {
    /// The fetch or decode is running.
    Loading,
    /// Decoded, and made for the popup.
    Ready(Box<Ready>),
    /// It could not be shown: why, in one line.
    Failed(String),
}

/// A decoded thumbnail.
#[derive(Clone)]
pub struct Ready {
    /// The image, downscaled to at most [`MAX_PIXELS`].
    pub image: Arc<DynamicImage>,
    /// Its original size in pixels.
    pub original: (u32, u32),
    /// Bytes fetched (or read from the cache).
    pub bytes: u64,
    /// Whether it came from the cache.
    pub is_cached: bool,
    /// The image in the terminal's protocol, for `area` (remade when the popup's size changes).
    pub protocol: Option<ratatui_image::protocol::Protocol>,
    /// The cell size `protocol` was made for.
    pub area: (u16, u16),
}

impl std::fmt::Debug for Ready {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ready")
            .field("original", &self.original)
            .field("bytes", &self.bytes)
            .field("is_cached", &self.is_cached)
            .field("area", &self.area)
            .finish_non_exhaustive()
    }
}

/// The thumbnail popup's state.
#[derive(Debug, Clone)]
pub struct Thumbnail {
    /// The request; older answers are dropped.
    pub generation: u64,
    /// The item.
    pub item_id: String,
    /// The asset key and its href.
    pub asset: String,
    /// The href fetched.
    pub href: String,
    /// How far it got.
    pub phase: Phase,
}

/// A fetch's answer.
#[derive(Debug)]
pub enum ThumbnailMsg {
    /// Decoded (or why not).
    Loaded {
        /// The request it answers.
        generation: u64,
        /// The image, or one line saying why there is none.
        result: Result<Loaded, String>,
    },
}

/// A decoded image from the task layer.
#[derive(Debug)]
pub struct Loaded {
    /// Downscaled image.
    pub image: DynamicImage,
    /// Its original size.
    pub original: (u32, u32),
    /// Bytes read.
    pub bytes: u64,
    /// Whether from the cache.
    pub is_cached: bool,
}

/// Work for the task layer.
#[derive(Debug, Clone)]
pub enum ThumbnailEffect {
    /// Fetch, cache and decode `href`.
    Fetch {
        /// The request.
        generation: u64,
        /// What to fetch.
        href: String,
        /// Where relative hrefs resolve (the items' directory).
        base_dir: PathBuf,
        /// The cache directory (none: no cache).
        cache_dir: Option<PathBuf>,
    },
}
