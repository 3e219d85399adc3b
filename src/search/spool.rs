//! Search results as items batches, through the items pipeline.
//!
//! An Arrow IPC stream fixes its schema before its first batch, and we never drop a property
//! that first appears on the last page. So the items are spooled as NDJSON to an anonymous
//! temporary file (disk, not memory) while the pages arrive, and their union shape is observed
//! on the way — the first pass of [`NdjsonItems`] done for free. The second pass then converts
//! the spool into batches. Memory stays flat: one page plus one batch.

use std::fs::File;
use std::io::{BufWriter, Seek, SeekFrom, Write};

use futures::{Stream, StreamExt};
use serde_json::Value;

use super::pager::Page;
use crate::stac::item::observe_item;
use crate::stac::shape::ItemsShape;
use crate::stac::{NdjsonItems, ReadOptions};
use crate::{Error, Result};

/// Items written to a temporary NDJSON file, with their union shape.
pub struct ItemSpool {
    file: BufWriter<File>,
    shape: ItemsShape,
    scratch: Vec<u8>,
    input: String,
}

impl ItemSpool {
    /// An empty spool; `input` names the source in errors (the search URL).
    pub fn new(input: &str) -> Result<Self> {
        let file = tempfile::tempfile()
            .map_err(|e| Error::io("creating a temporary file to spool search results", e))?;
        Ok(Self {
            file: BufWriter::with_capacity(1 << 20, file),
            shape: ItemsShape::default(),
            scratch: Vec::new(),
            input: input.to_string(),
        })
    }

    /// Adds one item of page `page`.
    pub fn push(&mut self, item: &Value, page: u64) -> Result<()> {
        let at = || format!("{}: page {page}", self.input);
        let Value::Object(obj) = item else {
            return Err(Error::input(at(), "a feature is not a JSON object"));
        };
        observe_item(&mut self.shape, obj, &mut self.scratch)
            .map_err(|p| Error::input(at(), p.0))?;
        serde_json::to_writer(&mut self.file, item)
            .map_err(|e| Error::io("writing the search spool", e.into()))?;
        self.file
            .write_all(b"\n")
            .map_err(|e| Error::io("writing the search spool", e))
    }

    /// Items spooled so far.
    pub fn len(&self) -> usize {
        self.shape.count
    }

    /// Whether nothing was spooled.
    pub fn is_empty(&self) -> bool {
        self.shape.count == 0
    }

    /// The union shape of the spooled items.
    pub fn shape(&self) -> &ItemsShape {
        &self.shape
    }

    /// Converts the spool into items batches (the second pass).
    pub fn into_batches(self, options: ReadOptions) -> Result<NdjsonItems<File>> {
        let mut file = self
            .file
            .into_inner()
            .map_err(|e| Error::io("flushing the search spool", e.into_error()))?;
        file.seek(SeekFrom::Start(0))
            .map_err(|e| Error::io("rewinding the search spool", e))?;
        Ok(NdjsonItems::from_shape(
            file,
            &self.input,
            options,
            self.shape,
        ))
    }
}

/// Runs a whole search into items batches: spools every page, then converts.
pub async fn search_to_batches<S>(
    mut pages: S,
    input: &str,
    options: ReadOptions,
) -> Result<NdjsonItems<File>>
where
    S: Stream<Item = Result<Page>> + Unpin,
{
    let mut spool = ItemSpool::new(input)?;
    while let Some(page) = pages.next().await {
        let page = page?;
        for item in &page.items {
            if let Value::Object(obj) = item {
                if !options.filter.matches_json(obj) {
                    continue;
                }
            }
            spool.push(item, page.number)?;
        }
    }
    spool.into_batches(options)
}
