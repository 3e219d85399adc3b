//! Items written as NDJSON (one compact Item a line) or as one FeatureCollection, streaming:
//! the collection's opening is written first and each item as it comes, so memory does not
//! grow with the item count. Used by `search` (items straight from API pages) and by
//! `items to-ndjson` / `to-json` (items rebuilt from Arrow rows).

use std::io::Write;

use serde::Serialize;

use crate::{Error, Result};

/// A streaming NDJSON or FeatureCollection writer.
pub struct JsonItemsWriter<W: Write> {
    out: W,
    collection: bool,
    count: u64,
    name: String,
}

impl<W: Write> JsonItemsWriter<W> {
    /// A writer into `out` (`collection`: a FeatureCollection, else NDJSON); `name` is what
    /// errors call it.
    pub fn new(mut out: W, collection: bool, name: &str) -> Result<Self> {
        if collection {
            out.write_all(b"{\"type\":\"FeatureCollection\",\"features\":[")
                .map_err(|e| Error::io(name, e))?;
        }
        Ok(Self {
            out,
            collection,
            count: 0,
            name: name.to_string(),
        })
    }

    /// Writes one item.
    pub fn item(&mut self, item: &impl Serialize) -> Result<()> {
        let io = |e: std::io::Error| Error::io(&self.name, e);
        if self.collection && self.count > 0 {
            self.out.write_all(b",\n").map_err(io)?;
        }
        serde_json::to_writer(&mut self.out, item).map_err(|e| Error::io(&self.name, e.into()))?;
        if !self.collection {
            self.out
                .write_all(b"\n")
                .map_err(|e| Error::io(&self.name, e))?;
        }
        self.count += 1;
        Ok(())
    }

    /// Items written so far.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// Flushes what is buffered.
    pub fn flush(&mut self) -> Result<()> {
        self.out.flush().map_err(|e| Error::io(&self.name, e))
    }

    /// Closes the collection (if any), flushes, and gives the sink back.
    pub fn finish(mut self) -> Result<W> {
        if self.collection {
            self.out
                .write_all(b"]}\n")
                .map_err(|e| Error::io(&self.name, e))?;
        }
        self.flush()?;
        Ok(self.out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn ndjson_is_a_line_an_item_and_a_collection_parses_back() {
        let mut w = JsonItemsWriter::new(Vec::new(), false, "t").unwrap();
        w.item(&json!({"id": "a"})).unwrap();
        w.item(&json!({"id": "b"})).unwrap();
        assert_eq!(w.finish().unwrap(), b"{\"id\":\"a\"}\n{\"id\":\"b\"}\n");
        let mut w = JsonItemsWriter::new(Vec::new(), true, "t").unwrap();
        w.item(&json!({"id": "a"})).unwrap();
        w.item(&json!({"id": "b"})).unwrap();
        assert_eq!(w.count(), 2);
        let v: serde_json::Value = serde_json::from_slice(&w.finish().unwrap()).unwrap();
        assert_eq!(v["features"][1]["id"], "b");
        let empty = JsonItemsWriter::new(Vec::new(), true, "t").unwrap();
        let v: serde_json::Value = serde_json::from_slice(&empty.finish().unwrap()).unwrap();
        assert_eq!(v["features"], json!([]));
    }
}
