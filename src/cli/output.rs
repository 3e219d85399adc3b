//! Writing a stream of batches: Arrow IPC on a pipe, a preview table on a terminal.

use std::io::{BufWriter, IsTerminal, Write};

use anyhow::Result;
use arrow_array::RecordBatch;
use arrow_schema::SchemaRef;
use stacpkg::ipc::IpcStreamWriter;
use stacpkg::preview::{terminal_width, PreviewCollector};

/// Writes `batches` to stdout: an IPC stream when stdout is not a terminal, else the preview.
/// `known_total` lets the preview stop reading early (a Parquet footer's row count).
pub fn emit(
    schema: SchemaRef,
    batches: impl Iterator<Item = stacpkg::Result<RecordBatch>>,
    known_total: Option<usize>,
) -> Result<usize> {
    let stdout = std::io::stdout();
    if stdout.is_terminal() {
        let mut preview = PreviewCollector::new(schema);
        for batch in batches {
            preview.push(&batch?);
            if known_total.is_some() && preview.total_rows() >= stacpkg::preview::MAX_ROWS {
                break;
            }
        }
        if let Some(total) = known_total {
            preview.set_total_rows(total);
        }
        let rows = preview.total_rows();
        let mut out = stdout.lock();
        out.write_all(preview.render(terminal_width()).as_bytes())?;
        out.flush()?;
        return Ok(rows);
    }
    let sink = BufWriter::with_capacity(1 << 20, stdout.lock());
    let mut writer = IpcStreamWriter::try_new(sink, &schema, "stdout")?;
    let mut rows = 0;
    for batch in batches {
        let batch = batch?;
        rows += batch.num_rows();
        writer.write(&batch)?;
    }
    let mut sink = writer.finish()?;
    sink.flush().map_err(|e| stacpkg::Error::io("stdout", e))?;
    tracing::info!("wrote {rows} rows to stdout");
    Ok(rows)
}
