//! Atomic file output: write beside the target, fsync, rename.
//!
//! A command that fails or is killed half-way must never leave a half-written file where a good
//! one was expected. The temporary file lives in the target's directory (same filesystem, so the
//! rename is atomic) and is removed when dropped without [`AtomicFile::commit`].

use std::fs::File;
use std::path::{Path, PathBuf};

use tempfile::NamedTempFile;

use crate::{Error, Result};

/// A temp-file builder whose files get the mode a plain `File::create` gives (0666 less the
/// umask) instead of tempfile's private 0600: what we write is output for the user to share
/// (tables, packages), not a secret.
pub fn output_file_builder() -> tempfile::Builder<'static, 'static> {
    let mut builder = tempfile::Builder::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(std::fs::Permissions::from_mode(0o666));
    }
    builder
}

/// A file being written that appears at its target path only on commit.
pub struct AtomicFile {
    temp: NamedTempFile,
    target: PathBuf,
}

impl AtomicFile {
    /// Creates the temporary file beside `target`, creating missing parent directories.
    pub fn create(target: &Path) -> Result<Self> {
        if target.is_dir() {
            return Err(Error::input(
                target.display().to_string(),
                "is a directory; give a file path",
            ));
        }
        let parent = match target.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        std::fs::create_dir_all(&parent)
            .map_err(|e| Error::io(format!("creating directory {}", parent.display()), e))?;
        let name = target
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "output".to_string());
        let temp = output_file_builder()
            .prefix(&format!(".{name}."))
            .suffix(".partial")
            .tempfile_in(&parent)
            .map_err(|e| {
                Error::io(
                    format!("creating a temporary file in {}", parent.display()),
                    e,
                )
            })?;
        Ok(Self {
            temp,
            target: target.to_path_buf(),
        })
    }

    /// The final path.
    pub fn target(&self) -> &Path {
        &self.target
    }

    /// A second handle to the temporary file, for writers that take ownership of a `File`.
    pub fn handle(&self) -> Result<File> {
        self.temp
            .as_file()
            .try_clone()
            .map_err(|e| Error::io(self.target.display().to_string(), e))
    }

    /// Flushes the data to disk and renames the file into place.
    pub fn commit(self) -> Result<()> {
        let target = self.target;
        self.temp
            .as_file()
            .sync_all()
            .map_err(|e| Error::io(target.display().to_string(), e))?;
        self.temp.persist(&target).map_err(|e| {
            Error::io(
                format!("moving the finished file to {}", target.display()),
                e.error,
            )
        })?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn file_appears_only_on_commit() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("sub/out.bin");
        let f = AtomicFile::create(&target).unwrap();
        f.handle().unwrap().write_all(b"abc").unwrap();
        assert!(!target.exists());
        f.commit().unwrap();
        assert_eq!(std::fs::read(&target).unwrap(), b"abc");
    }

    #[cfg(unix)]
    #[test]
    fn committed_file_has_the_mode_of_a_plain_create() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("out.bin");
        AtomicFile::create(&target).unwrap().commit().unwrap();
        let plain = dir.path().join("plain.bin");
        File::create(&plain).unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&target), mode(&plain));
    }

    #[test]
    fn dropped_file_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("out.bin");
        {
            let f = AtomicFile::create(&target).unwrap();
            f.handle().unwrap().write_all(b"abc").unwrap();
        }
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }
}
