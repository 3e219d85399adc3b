//! Atomic file output: write beside the target, fsync, rename.
//!
//! A command that fails or is killed half-way must never leave a half-written file where a good
//! one was expected. The temporary file lives in the target's directory (same filesystem, so the
//! rename is atomic) and is removed when dropped without [`AtomicFile::commit`].
//!
//! Whole directories (a package being built or pulled) follow the same rule: they are filled in
//! a [`staging_dir`] beside the target and moved into place by [`commit_dir`].

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
        let name = target.file_name().map_or_else(
            || "output".to_string(),
            |n| n.to_string_lossy().into_owned(),
        );
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

/// Whether `dir` exists and holds anything.
pub(crate) fn is_non_empty_dir(dir: &Path) -> Result<bool> {
    match std::fs::read_dir(dir) {
        Ok(mut entries) => Ok(entries.next().is_some()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(e) if e.kind() == std::io::ErrorKind::NotADirectory => Err(Error::input(
            dir.display().to_string(),
            "exists and is not a directory; give a directory for the package",
        )),
        Err(e) => Err(Error::io(dir.display().to_string(), e)),
    }
}

/// A staging directory beside `target` (same filesystem, so the final rename is atomic).
pub fn staging_dir(target: &Path, purpose: &str) -> Result<tempfile::TempDir> {
    let parent = match target.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&parent).map_err(|e| Error::io(parent.display().to_string(), e))?;
    let name = target
        .file_name()
        .map_or_else(|| "package".into(), |n| n.to_string_lossy().into_owned());
    tempfile::Builder::new()
        .prefix(&format!(".{name}.{purpose}-"))
        .tempdir_in(&parent)
        .map_err(|e| {
            Error::io(
                format!("creating a staging directory in {}", parent.display()),
                e,
            )
        })
}

/// Moves the finished `staged` directory to `target`, replacing an empty directory, or (only
/// when `force`) a non-empty one; the old content is removed only after the new is in place.
pub fn commit_dir(staged: tempfile::TempDir, target: &Path, force: bool) -> Result<()> {
    let name = target.display().to_string();
    if target.exists() {
        if is_non_empty_dir(target)? {
            if !force {
                return Err(Error::input(
                    name,
                    "is not empty; pass --force to replace it",
                ));
            }
            let old = staging_dir(target, "old")?;
            let old_path = old.path().join("previous");
            std::fs::rename(target, &old_path)
                .map_err(|e| Error::io(format!("moving {name} aside"), e))?;
            let staged_path = staged.keep();
            if let Err(e) = std::fs::rename(&staged_path, target) {
                // Put the old package back; the new one stays beside it for inspection.
                let _ = std::fs::rename(&old_path, target);
                return Err(Error::io(format!("moving the new package to {name}"), e));
            }
            drop(old);
            return Ok(());
        }
        std::fs::remove_dir(target).map_err(|e| Error::io(&name, e))?;
    }
    let staged_path = staged.keep();
    std::fs::rename(&staged_path, target).map_err(|e| {
        let _ = std::fs::remove_dir_all(&staged_path);
        Error::io(format!("moving the package to {name}"), e)
    })
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
