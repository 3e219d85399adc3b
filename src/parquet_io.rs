//! Reading Parquet files as a stream of record batches, and the writer properties every
//! Parquet file we write shares (items and lock alike, so both read back everywhere).
//!
//! Batches are read lazily, `batch_size` rows at a time, so memory follows the batch size and
//! the file's row-group size, not the file size. The Arrow schema stored in the file
//! (`ARROW:schema`) is used as is, so field metadata such as `geoarrow.wkb` survives.

use std::fs::File;
use std::path::Path;

use arrow_array::RecordBatch;
use arrow_schema::SchemaRef;
use parquet::arrow::arrow_reader::{ParquetRecordBatchReader, ParquetRecordBatchReaderBuilder};
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;

use crate::{Error, Result};

/// A Parquet file being read batch by batch.
pub struct ParquetBatches {
    reader: ParquetRecordBatchReader,
    schema: SchemaRef,
    total_rows: usize,
    input: String,
}

/// Opens `path` for reading in batches of at most `batch_size` rows.
pub fn open_parquet(path: &Path, batch_size: usize) -> Result<ParquetBatches> {
    let input = path.display().to_string();
    let file = File::open(path).map_err(|e| Error::io(&input, e))?;
    if file.metadata().is_ok_and(|m| m.is_dir()) {
        return Err(Error::input(input, "is a directory, not a Parquet file"));
    }
    let builder = ParquetRecordBatchReaderBuilder::try_new(file).map_err(|e| {
        Error::input(
            &input,
            format!("not a readable Parquet file ({e}); NDJSON and JSON go through `items from-ndjson` / `from-json`"),
        )
    })?;
    let total_rows = usize::try_from(builder.metadata().file_metadata().num_rows()).unwrap_or(0);
    let schema = builder.schema().clone();
    let reader = builder
        .with_batch_size(batch_size.max(1))
        .build()
        .map_err(|e| Error::parquet(&input, e))?;
    Ok(ParquetBatches {
        reader,
        schema,
        total_rows,
        input,
    })
}

impl ParquetBatches {
    /// The file's Arrow schema, with its metadata.
    pub fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }

    /// Rows in the file, from its footer.
    pub fn total_rows(&self) -> usize {
        self.total_rows
    }
}

impl Iterator for ParquetBatches {
    type Item = Result<RecordBatch>;

    fn next(&mut self) -> Option<Self::Item> {
        self.reader
            .next()
            .map(|r| r.map_err(|e| Error::arrow(format!("{}: reading", self.input), e)))
    }
}

/// Writer properties for items and lock Parquet files: Snappy (readable everywhere).
pub fn writer_properties() -> WriterProperties {
    WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .set_created_by(format!("stacpkg {}", env!("CARGO_PKG_VERSION")))
        .build()
}
