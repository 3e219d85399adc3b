//! Arrow IPC streams over plain readers and writers.
//!
//! Commands talk to each other through Arrow IPC *stream* format on pipes, byte-compatible with
//! what pyarrow writes by default (metadata V5, no compression, 32-bit offsets, end-of-stream
//! marker). Reading adds two safety nets the Python tool lacked: the first bytes are sniffed so
//! a Parquet file, an IPC *file* or JSON on stdin gets a precise hint instead of a framing error,
//! and the end-of-stream marker is required, so a producer that died mid-stream cannot pass for
//! a complete (shorter) stream and become a truncated Parquet file.

use std::io::{Read, Write};
use std::sync::Arc;

use arrow_array::RecordBatch;
use arrow_buffer::Buffer;
use arrow_ipc::reader::StreamDecoder;
use arrow_ipc::writer::StreamWriter;
use arrow_schema::SchemaRef;

use crate::{Error, Result};

/// Bytes read from the source per chunk.
const READ_CHUNK_BYTES: usize = 256 * 1024;

/// An Arrow IPC stream being read, batch by batch.
pub struct IpcStreamReader<R: Read> {
    source: R,
    decoder: StreamDecoder,
    buffer: Buffer,
    schema: SchemaRef,
    pending: Option<RecordBatch>,
    input: String,
    finished: bool,
}

/// Opens an Arrow IPC stream; `input` names the source in error messages (`stdin`, a path).
pub fn open_stream<R: Read>(source: R, input: &str) -> Result<IpcStreamReader<R>> {
    let mut source = source;
    let mut first = vec![0u8; READ_CHUNK_BYTES];
    let n = read_some(&mut source, &mut first, input)?;
    first.truncate(n);
    sniff(&first, input)?;
    let mut reader = IpcStreamReader {
        source,
        decoder: StreamDecoder::new(),
        buffer: Buffer::from_vec(first),
        schema: Arc::new(arrow_schema::Schema::empty()),
        pending: None,
        input: input.to_string(),
        finished: false,
    };
    // Decode until the schema message is through (a first batch may come with it).
    loop {
        reader.pending = reader.decode_step()?;
        if let Some(schema) = reader.decoder.schema() {
            reader.schema = schema;
            return Ok(reader);
        }
        if reader.finished {
            return Err(Error::input(
                input,
                "Arrow IPC stream has no schema message",
            ));
        }
    }
}

fn read_some<R: Read>(source: &mut R, buf: &mut [u8], input: &str) -> Result<usize> {
    loop {
        match source.read(buf) {
            Ok(n) => return Ok(n),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(Error::io(input, e)),
        }
    }
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
        self.schema.clone()
    }

    /// Feeds buffered bytes to the decoder, reading more when needed; `Ok(None)` with
    /// `finished` set at the end of input.
    fn decode_step(&mut self) -> Result<Option<RecordBatch>> {
        loop {
            if self.buffer.is_empty() {
                let mut chunk = vec![0u8; READ_CHUNK_BYTES];
                let n = read_some(&mut self.source, &mut chunk, &self.input)?;
                if n == 0 {
                    self.finished = true;
                    return self.check_end().map(|_| None);
                }
                chunk.truncate(n);
                self.buffer = Buffer::from_vec(chunk);
            }
            let decoded = self.decoder.decode(&mut self.buffer).map_err(|e| {
                Error::arrow(
                    format!("{}: truncated or corrupt Arrow IPC stream", self.input),
                    e,
                )
            })?;
            if decoded.is_some() {
                return Ok(decoded);
            }
            if self.decoder.schema().is_some() && self.pending.is_none() && self.buffer.is_empty() {
                // Schema known and input consumed: let the caller look before reading on.
                return Ok(None);
            }
        }
    }

    /// At the end of input the decoder must have seen the end-of-stream marker.
    fn check_end(&mut self) -> Result<()> {
        self.decoder.finish().map_err(|e| {
            Error::arrow(
                format!("{}: truncated or corrupt Arrow IPC stream", self.input),
                e,
            )
        })?;
        // `finish` also accepts input that stops between two messages. Only a decoder that
        // consumed the end-of-stream marker rejects further bytes, which tells the two apart.
        let saw_end_marker = self
            .decoder
            .decode(&mut Buffer::from_vec(vec![0xFFu8]))
            .is_err();
        if saw_end_marker {
            Ok(())
        } else {
            Err(Error::input(
                &self.input,
                "Arrow IPC stream ended without its end-of-stream marker (the producing command probably failed); nothing was written",
            ))
        }
    }

    /// The next batch, `None` at a proper end of stream.
    pub fn next_batch(&mut self) -> Result<Option<RecordBatch>> {
        if let Some(batch) = self.pending.take() {
            return Ok(Some(batch));
        }
        while !self.finished {
            if let Some(batch) = self.decode_step()? {
                return Ok(Some(batch));
            }
        }
        Ok(None)
    }
}

impl<R: Read> Iterator for IpcStreamReader<R> {
    type Item = Result<RecordBatch>;

    fn next(&mut self) -> Option<Self::Item> {
        // After an error the stream is fused: the next call ends it.
        let next = self.next_batch().transpose();
        self.finished |= matches!(next, Some(Err(_)));
        next
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
