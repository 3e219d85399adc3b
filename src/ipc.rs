//! Arrow IPC streams over plain readers and writers.
//!
//! Commands talk to each other through Arrow IPC *stream* format on pipes, byte-compatible with
//! what pyarrow writes by default (metadata V5, no compression, 32-bit offsets, end-of-stream
//! marker). Reading adds two safety nets the Python tool lacked: the first bytes are sniffed so
//! a Parquet file, an IPC *file* or JSON on stdin gets a precise hint instead of a framing error,
//! and the end-of-stream marker is required, so a producer that died mid-stream cannot pass for
//! a complete (shorter) stream and become a truncated Parquet file.

use std::io::{BufRead, BufReader, Read, Write};

use arrow_array::RecordBatch;
use arrow_ipc::reader::StreamReader;
use arrow_ipc::writer::StreamWriter;
use arrow_schema::SchemaRef;

use crate::{Error, Result};

/// The end-of-stream marker: a continuation token followed by a zero length.
const EOS_MARKER: [u8; 8] = [0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0];
/// The end-of-stream marker of the pre-1.0 format (a bare zero length).
const LEGACY_EOS_MARKER: [u8; 4] = [0, 0, 0, 0];

/// A reader that remembers the last 8 bytes it delivered, to check the end-of-stream marker.
struct TailTracker<R> {
    inner: R,
    tail: [u8; 8],
    seen: u64,
}

impl<R: Read> Read for TailTracker<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n >= 8 {
            self.tail.copy_from_slice(&buf[n - 8..n]);
        } else if n > 0 {
            self.tail.copy_within(n.., 0);
            self.tail[8 - n..].copy_from_slice(&buf[..n]);
        }
        self.seen += n as u64;
        Ok(n)
    }
}

/// An Arrow IPC stream being read, batch by batch.
pub struct IpcStreamReader<R: Read> {
    reader: StreamReader<BufReader<TailTracker<BufReader<R>>>>,
    input: String,
    finished: bool,
}

/// Opens an Arrow IPC stream; `input` names the source in error messages (`stdin`, a path).
pub fn open_stream<R: Read>(source: R, input: &str) -> Result<IpcStreamReader<R>> {
    let mut buffered = BufReader::with_capacity(64 * 1024, source);
    let head = buffered
        .fill_buf()
        .map_err(|e| Error::io(input, e))?
        .to_vec();
    sniff(&head, input)?;
    let tracker = TailTracker {
        inner: buffered,
        tail: [0; 8],
        seen: 0,
    };
    let reader = StreamReader::try_new_buffered(tracker, None)
        .map_err(|e| Error::arrow(format!("{input}: not a readable Arrow IPC stream"), e))?;
    Ok(IpcStreamReader {
        reader,
        input: input.to_string(),
        finished: false,
    })
}

/// Recognises common wrong inputs from their first bytes.
fn sniff(head: &[u8], input: &str) -> Result<()> {
    let hint = if head.is_empty() {
        "is empty; expected an Arrow IPC stream (pipe one in, e.g. `stacpkg items from-ndjson items.ndjson | ...`)"
    } else if head.starts_with(b"PAR1") {
        "holds a Parquet file, not an Arrow IPC stream; read it with `stacpkg items from-parquet FILE` (or `asset-lock from-parquet`)"
    } else if head.starts_with(b"ARROW1") {
        "holds an Arrow IPC *file*, not a stream; convert it with pyarrow or write a stream instead"
    } else if matches!(
        head.iter().find(|b| !b.is_ascii_whitespace()),
        Some(b'{' | b'[')
    ) {
        "holds JSON, not an Arrow IPC stream; convert it with `stacpkg items from-json` or `items from-ndjson` first"
    } else {
        return Ok(());
    };
    Err(Error::input(input, hint))
}

impl<R: Read> IpcStreamReader<R> {
    /// The stream's schema.
    pub fn schema(&self) -> SchemaRef {
        self.reader.schema()
    }

    /// The next batch, `None` at a proper end of stream.
    pub fn next_batch(&mut self) -> Result<Option<RecordBatch>> {
        if self.finished {
            return Ok(None);
        }
        match self.reader.next() {
            Some(Ok(batch)) => Ok(Some(batch)),
            Some(Err(e)) => Err(Error::arrow(
                format!("{}: truncated or corrupt Arrow IPC stream", self.input),
                e,
            )),
            None => {
                self.finished = true;
                let tracker = self.reader.get_ref().get_ref();
                let complete = tracker.tail == EOS_MARKER
                    || tracker.tail[4..] == LEGACY_EOS_MARKER && tracker.seen >= 4;
                if complete {
                    Ok(None)
                } else {
                    Err(Error::input(
                        &self.input,
                        "Arrow IPC stream ended without its end-of-stream marker (the producing command probably failed); nothing was written",
                    ))
                }
            }
        }
    }
}

impl<R: Read> Iterator for IpcStreamReader<R> {
    type Item = Result<RecordBatch>;

    fn next(&mut self) -> Option<Self::Item> {
        self.next_batch().transpose()
    }
}

/// An Arrow IPC stream being written.
pub struct IpcStreamWriter<W: Write> {
    writer: StreamWriter<W>,
    output: String,
}

impl<W: Write> IpcStreamWriter<W> {
    /// Starts a stream with `schema` on `sink`; `output` names it in errors.
    pub fn try_new(sink: W, schema: &SchemaRef, output: &str) -> Result<Self> {
        let writer = StreamWriter::try_new(sink, schema)
            .map_err(|e| Error::arrow(format!("{output}: writing Arrow IPC stream"), e))?;
        Ok(Self {
            writer,
            output: output.to_string(),
        })
    }

    /// Writes one batch (and flushes it, so downstream sees it at once).
    pub fn write(&mut self, batch: &RecordBatch) -> Result<()> {
        self.writer
            .write(batch)
            .map_err(|e| Error::arrow(self.output.clone(), e))?;
        self.writer
            .flush()
            .map_err(|e| Error::arrow(self.output.clone(), e))
    }

    /// Writes the end-of-stream marker and flushes.
    pub fn finish(mut self) -> Result<W> {
        self.writer
            .finish()
            .map_err(|e| Error::arrow(self.output.clone(), e))?;
        self.writer
            .into_inner()
            .map_err(|e| Error::arrow(self.output.clone(), e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::{Int64Array, RecordBatch};
    use arrow_schema::{DataType, Field, Schema};
    use std::sync::Arc;

    fn sample_stream(batches: usize) -> Vec<u8> {
        let schema = Arc::new(Schema::new(vec![Field::new("x", DataType::Int64, false)]));
        let mut w = IpcStreamWriter::try_new(Vec::new(), &schema, "test").unwrap();
        for i in 0..batches {
            let b = RecordBatch::try_new(
                schema.clone(),
                vec![Arc::new(Int64Array::from(vec![i as i64; 3]))],
            )
            .unwrap();
            w.write(&b).unwrap();
        }
        w.finish().unwrap()
    }

    #[test]
    fn round_trip_reads_every_batch() {
        let bytes = sample_stream(3);
        let reader = open_stream(&bytes[..], "mem").unwrap();
        let batches: Vec<_> = reader.collect::<Result<_>>().unwrap();
        assert_eq!(batches.len(), 3);
    }

    #[test]
    fn missing_end_marker_is_an_error() {
        let bytes = sample_stream(2);
        let cut = &bytes[..bytes.len() - 8];
        let reader = open_stream(cut, "mem").unwrap();
        let err = reader.collect::<Result<Vec<_>>>().unwrap_err();
        assert!(err.to_string().contains("end-of-stream marker"), "{err}");
    }

    #[test]
    fn cut_mid_message_is_an_error() {
        let bytes = sample_stream(2);
        let cut = &bytes[..bytes.len() - 30];
        let result = open_stream(cut, "mem").and_then(|r| r.collect::<Result<Vec<_>>>());
        assert!(result.is_err());
    }

    #[test]
    fn wrong_inputs_are_named() {
        for (bytes, needle) in [
            (&b""[..], "is empty"),
            (&b"PAR1\x15\x04"[..], "Parquet file"),
            (&b"ARROW1\0\0"[..], "IPC *file*"),
            (&b"  {\"type\": 1}"[..], "holds JSON"),
        ] {
            let err = open_stream(bytes, "stdin").err().unwrap().to_string();
            assert!(err.contains(needle), "{err}");
            assert!(err.starts_with("stdin: "), "{err}");
        }
    }
}
