//! Reading a whole lock into rows: one reading for every face and file format.
//!
//! Batches are read leniently ([`rows_from_batch`]: missing columns null, numbers written as
//! text parsed, the legacy `href` and `size` columns honoured) instead of being aligned to the
//! lock schema first: aligning is for writing a lock, and it would drop those legacy columns
//! and refuse a row without an item id. Whether rows get the lock normalisation is the
//! caller's choice ([`RowForm`]): commands that write a lock from what they read want it,
//! `validate` reports rows as they were written.

use std::io::Read;
use std::path::Path;

use arrow_array::RecordBatch;
use arrow_schema::Schema;

use super::schema::{rows_from_batch, LockRow};
use crate::schema::{expect_kind, SchemaKind};
use crate::Result;

/// Rows per batch when reading a lock Parquet file.
const READ_BATCH_ROWS: usize = 65_536;

/// The form rows are returned in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowForm {
    /// As written in the lock.
    AsWritten,
    /// With [`LockRow::normalise`] applied (store-type aliases, endpoints).
    Normalised,
}

/// Every row of the lock batches `batches` (whose schema is `schema`; `input` names them in
/// errors), after checking that they are a lock.
pub fn rows_from_batches<I>(
    schema: &Schema,
    batches: I,
    input: &str,
    form: RowForm,
) -> Result<Vec<LockRow>>
where
    I: IntoIterator<Item = Result<RecordBatch>>,
{
    expect_kind(schema, SchemaKind::AssetLock, input)?;
    let mut rows = Vec::new();
    for batch in batches {
        let start = rows.len();
        rows.extend(rows_from_batch(&batch?)?);
        if form == RowForm::Normalised {
            rows[start..].iter_mut().for_each(LockRow::normalise);
        }
    }
    Ok(rows)
}

/// Every row of an asset-lock Parquet file.
pub fn read_rows(path: &Path, form: RowForm) -> Result<Vec<LockRow>> {
    let batches = crate::parquet_io::open_parquet(path, READ_BATCH_ROWS)?;
    let schema = batches.schema();
    rows_from_batches(&schema, batches, &path.display().to_string(), form)
}

/// Every row of an asset-lock Arrow IPC stream (`input` names it in errors).
pub fn read_ipc_rows(source: impl Read, input: &str, form: RowForm) -> Result<Vec<LockRow>> {
    let mut stream = crate::ipc::open_stream(source, input)?;
    let schema = stream.schema();
    rows_from_batches(
        &schema,
        std::iter::from_fn(|| stream.next_batch().transpose()),
        input,
        form,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lock::schema::{rows_to_batch, LockParquetWriter};
    use arrow_array::{ArrayRef, StringArray};
    use arrow_schema::{DataType, Field};
    use std::sync::Arc;

    fn row() -> LockRow {
        LockRow {
            item_id: "i".into(),
            asset_key: "a".into(),
            store_type: Some("S3".into()),
            store_container: Some("b".into()),
            store_endpoint_url: Some("minio.local:9000".into()),
            key: Some("k".into()),
            size_bytes: Some(3),
            ..Default::default()
        }
    }

    #[test]
    fn parquet_and_ipc_read_the_same_rows_normalised_on_request() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("l.parquet");
        let batch = rows_to_batch(&[row()]).unwrap();
        let mut writer = LockParquetWriter::create(&path).unwrap();
        writer.write(&batch).unwrap();
        writer.finish().unwrap();
        assert_eq!(read_rows(&path, RowForm::AsWritten).unwrap(), [row()]);
        let mut normalised = row();
        normalised.normalise();
        assert_eq!(read_rows(&path, RowForm::Normalised).unwrap(), [normalised]);

        let mut ipc = Vec::new();
        let mut w = crate::ipc::IpcStreamWriter::try_new(&mut ipc, &batch.schema(), "t").unwrap();
        w.write(&batch).unwrap();
        w.finish().unwrap();
        let rows = read_ipc_rows(ipc.as_slice(), "t", RowForm::AsWritten).unwrap();
        assert_eq!(rows, [row()]);
    }

    #[test]
    fn legacy_href_columns_are_read_and_other_kinds_refused() {
        // Another tool's lock: no kind metadata, recognised by its columns.
        let schema = Arc::new(Schema::new(vec![
            Field::new("item_id", DataType::Utf8, true),
            Field::new("asset_key", DataType::Utf8, true),
            Field::new("href", DataType::Utf8, true),
        ]));
        let column = |v: &str| Arc::new(StringArray::from(vec![v])) as ArrayRef;
        let batch = RecordBatch::try_new(
            schema.clone(),
            vec![column("i"), column("a"), column("s3://b/k.tif")],
        )
        .unwrap();
        let rows = rows_from_batches(&schema, [Ok(batch)], "t", RowForm::AsWritten).unwrap();
        assert_eq!(rows[0].href().as_deref(), Some("s3://b/k.tif"));

        let items = Schema::new(vec![Field::new("id", DataType::Utf8, false)]);
        assert!(rows_from_batches(&items, [], "t", RowForm::AsWritten).is_err());
    }
}
