//! Writing a stream of batches: Arrow IPC on a pipe, a preview table on a terminal; and
//! where the `to-parquet` commands write (a file, or `-` for stdout).

use std::io::{BufWriter, IsTerminal, Read, Write};
use std::path::{Path, PathBuf};

use anyhow::Result;
use arrow_array::RecordBatch;
use arrow_schema::SchemaRef;
use stacpkg::ipc::IpcStreamWriter;
use stacpkg::preview::{terminal_width, PreviewCollector};

use super::UsageError;

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

/// Where `items to-parquet` / `asset-lock to-parquet` write: a file (atomically), or with `-`
/// stdout.
///
/// For stdout the Parquet file is first written whole to a private temporary directory (the
/// same writer, the same atomic commit), then copied to stdout: Parquet ends with its footer
/// (row groups, statistics and the `geo` metadata computed from every geometry written), and
/// a reader of a half-written file gets garbage rather than an error. So a bad or truncated
/// input stream fails with nothing on stdout, like it leaves no file. The cost is one copy of
/// the file in `$TMPDIR` while it is written.
pub enum ParquetOutput {
    /// Write this file atomically.
    File(PathBuf),
    /// Spool to `path` inside `_dir`, then copy to stdout.
    Stdout {
        /// Removed (with the spooled file) when dropped.
        _dir: tempfile::TempDir,
        /// The spooled file.
        path: PathBuf,
    },
}

impl ParquetOutput {
    /// The output named by a `to-parquet` argument; `-` is stdout, refused on a terminal.
    pub fn new(arg: &Path, example: &str) -> Result<Self> {
        if arg.as_os_str() != "-" {
            return Ok(Self::File(arg.to_path_buf()));
        }
        if std::io::stdout().is_terminal() {
            return Err(UsageError(format!(
                "stdout is a terminal, but `-` writes binary Parquet there; redirect or pipe it, e.g. {example}, or give a file path"
            ))
            .into());
        }
        let dir = tempfile::Builder::new()
            .prefix("stacpkg-parquet.")
            .tempdir()
            .map_err(|e| stacpkg::Error::io("creating a temporary directory for `-`", e))?;
        let path = dir.path().join("stdout.parquet");
        Ok(Self::Stdout { _dir: dir, path })
    }

    /// The file the Parquet writer writes.
    pub fn path(&self) -> &Path {
        match self {
            Self::File(path) | Self::Stdout { path, .. } => path,
        }
    }

    /// The output's name for messages.
    pub fn name(&self) -> String {
        match self {
            Self::File(path) => path.display().to_string(),
            Self::Stdout { .. } => "stdout".to_string(),
        }
    }

    /// After the writer finished: copies a spooled file to stdout (a closed stdout is the
    /// usual quiet success).
    pub fn finish(self) -> Result<()> {
        let Self::Stdout { path, _dir } = self else {
            return Ok(());
        };
        let name = path.display().to_string();
        let mut file = std::fs::File::open(&path).map_err(|e| stacpkg::Error::io(&name, e))?;
        let mut out = std::io::stdout().lock();
        let mut buf = vec![0u8; 1 << 20];
        loop {
            let n = file
                .read(&mut buf)
                .map_err(|e| stacpkg::Error::io(&name, e))?;
            if n == 0 {
                break;
            }
            out.write_all(&buf[..n])
                .map_err(|e| stacpkg::Error::io("stdout", e))?;
        }
        out.flush().map_err(|e| stacpkg::Error::io("stdout", e))?;
        Ok(())
    }
}
