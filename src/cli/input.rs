//! Opening command inputs: paths, `-` for stdin, and the terminal checks; and the one
//! numeric flag parser the commands share, so `--batch-size 0` reads the same everywhere.

use std::fs::File;
use std::io::{IsTerminal, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use super::UsageError;

/// A positive integer flag value (`invalid integer: X`, `value must be at least 1`), for
/// clap's `value_parser`.
pub fn parse_positive(s: &str) -> Result<usize, String> {
    let n: i64 = s
        .trim()
        .parse()
        .map_err(|_| format!("invalid integer: {s}"))?;
    if n < 1 {
        return Err("value must be at least 1".to_string());
    }
    Ok(n as usize)
}

/// Whether a path argument means stdin (absent or `-`).
pub fn is_stdin(path: Option<&Path>) -> bool {
    path.is_none_or(|p| p.as_os_str() == "-")
}

/// The display name of an input.
pub fn name(path: Option<&Path>) -> String {
    match path {
        Some(p) if !is_stdin(Some(p)) => p.display().to_string(),
        _ => "stdin".to_string(),
    }
}

/// Refuses a terminal stdin for a command that needs piped data.
pub fn require_piped_stdin(what: &str, example: &str) -> Result<()> {
    if std::io::stdin().is_terminal() {
        return Err(UsageError(format!(
            "stdin is a terminal, but this command reads {what} from a pipe; e.g. {example}"
        ))
        .into());
    }
    Ok(())
}

/// Reads a whole input (file or stdin) into memory.
pub fn read_all(path: Option<&Path>, what: &str, example: &str) -> Result<Vec<u8>> {
    let mut bytes = Vec::new();
    if is_stdin(path) {
        require_piped_stdin(what, example)?;
        std::io::stdin()
            .lock()
            .read_to_end(&mut bytes)
            .context("reading stdin")?;
    } else if let Some(p) = path {
        bytes = std::fs::read(p).map_err(|e| stacpkg::Error::io(p.display().to_string(), e))?;
    }
    Ok(bytes)
}

/// A seekable handle on an input: the file itself, or stdin spooled to an anonymous temporary
/// file (disk, not memory) for formats read in two passes or needing random access.
pub fn seekable(path: Option<&Path>, what: &str, example: &str) -> Result<File> {
    if is_stdin(path) {
        require_piped_stdin(what, example)?;
        let mut spool = tempfile::tempfile().context("creating a temporary file to spool stdin")?;
        std::io::copy(&mut std::io::stdin().lock(), &mut spool).context("spooling stdin")?;
        spool
            .seek(SeekFrom::Start(0))
            .context("rewinding spooled stdin")?;
        Ok(spool)
    } else {
        let p: &Path = path.unwrap_or(Path::new("-"));
        let file = File::open(p).map_err(|e| stacpkg::Error::io(p.display().to_string(), e))?;
        if file.metadata().is_ok_and(|m| m.is_dir()) {
            return Err(stacpkg::Error::input(
                p.display().to_string(),
                "is a directory; give a file",
            )
            .into());
        }
        Ok(file)
    }
}

/// A seekable input's path if it has one (for formats opened by path).
pub fn path_or_spool(
    path: &Path,
    what: &str,
    example: &str,
) -> Result<(PathBuf, Option<tempfile::TempPath>)> {
    if is_stdin(Some(path)) {
        let mut spool = seekable(None, what, example)?;
        let named =
            tempfile::NamedTempFile::new().context("creating a temporary file to spool stdin")?;
        let (mut file, temp_path) = named.into_parts();
        std::io::copy(&mut spool, &mut file).context("spooling stdin")?;
        Ok((temp_path.to_path_buf(), Some(temp_path)))
    } else {
        Ok((path.to_path_buf(), None))
    }
}
