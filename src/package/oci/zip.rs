//! The `files.v1+zip` layer: an included directory as one deterministic ZIP, and safe
//! extraction of such layers on pull.
//!
//! Entries match the Python tool's: package-relative names (`incdir/sub/n.txt`), files only, all
//! dated 1980-01-01 00:00:00, DEFLATE, Unix mode in the external attributes. So the same
//! directory gives the same bytes, hence the same digest, on every push. Unlike the Python tool
//! the archive streams: each member is copied from disk through the compressor, never read
//! whole into memory.

use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Seek, Write};
use std::path::Path;

use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, DateTime, ZipArchive, ZipWriter};

use crate::package::check_safe_path;
use crate::package::files::PackageFile;
use crate::{Error, Result};

/// Writes `files` (package-relative paths) as a deterministic ZIP to `out`.
pub fn write_zip<W: Write + Seek>(files: &[PackageFile], out: W) -> Result<W> {
    let mut zip = ZipWriter::new(out);
    for f in files {
        let name = f.source.display().to_string();
        let mode = file_mode(&f.source)?;
        let options = SimpleFileOptions::default()
            .compression_method(CompressionMethod::Deflated)
            .last_modified_time(DateTime::default())
            .unix_permissions(mode)
            .large_file(f.size >= u64::from(u32::MAX));
        zip.start_file(f.path.as_str(), options)
            .map_err(|e| Error::input(&name, format!("adding to ZIP: {e}")))?;
        let mut src = BufReader::new(File::open(&f.source).map_err(|e| Error::io(&name, e))?);
        std::io::copy(&mut src, &mut zip).map_err(|e| Error::io(&name, e))?;
    }
    zip.finish()
        .map_err(|e| Error::input("ZIP layer", format!("finishing: {e}")))
}

#[cfg(unix)]
fn file_mode(path: &Path) -> Result<u32> {
    use std::os::unix::fs::PermissionsExt;
    let meta = std::fs::metadata(path).map_err(|e| Error::io(path.display().to_string(), e))?;
    Ok(meta.permissions().mode())
}

#[cfg(not(unix))]
fn file_mode(_path: &Path) -> Result<u32> {
    Ok(0o644)
}

/// Extracts every member of the ZIP at `zip_path` into `dir`, refusing unsafe member names
/// before writing anything. Returns the package-relative paths written.
pub fn extract_zip(zip_path: &Path, dir: &Path, layer: &str) -> Result<Vec<String>> {
    let file = File::open(zip_path).map_err(|e| Error::io(layer, e))?;
    let mut archive = ZipArchive::new(BufReader::new(file))
        .map_err(|e| Error::input(layer, format!("not a readable ZIP layer: {e}")))?;
    // Check every name first, so a bad archive writes nothing.
    let mut names = Vec::with_capacity(archive.len());
    for i in 0..archive.len() {
        let member = archive
            .by_index_raw(i)
            .map_err(|e| Error::input(layer, format!("reading ZIP member {i}: {e}")))?;
        let name = member.name().to_string();
        let is_dir = member.is_dir();
        let path = name.strip_suffix('/').unwrap_or(&name).to_string();
        check_safe_path(&path).map_err(|e| Error::input(layer, e.to_string()))?;
        names.push((path, is_dir));
    }
    let mut written = Vec::new();
    for (i, (path, is_dir)) in names.into_iter().enumerate() {
        let target = dir.join(&path);
        if is_dir {
            std::fs::create_dir_all(&target)
                .map_err(|e| Error::io(target.display().to_string(), e))?;
            continue;
        }
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| Error::io(parent.display().to_string(), e))?;
        }
        let mut member = archive
            .by_index(i)
            .map_err(|e| Error::input(layer, format!("reading ZIP member {path}: {e}")))?;
        let declared = member.size();
        let out = File::create(&target).map_err(|e| Error::io(target.display().to_string(), e))?;
        let mut out = BufWriter::new(out);
        // Read at most one byte past the declared size: a member that inflates beyond what it
        // declares (a ZIP bomb) stops there instead of filling the disk.
        let copied = std::io::copy(&mut (&mut member).take(declared + 1), &mut out)
            .map_err(|e| Error::input(layer, format!("extracting {path}: {e}")))?;
        if copied != declared {
            return Err(Error::Integrity {
                context: format!("{layer}: ZIP member {path} size"),
                expected: declared.to_string(),
                actual: copied.to_string(),
            });
        }
        out.flush()
            .map_err(|e| Error::io(target.display().to_string(), e))?;
        written.push(path);
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pf(dir: &Path, rel: &str, body: &[u8]) -> PackageFile {
        let source = dir.join(rel);
        std::fs::create_dir_all(source.parent().unwrap()).unwrap();
        std::fs::write(&source, body).unwrap();
        PackageFile {
            path: rel.to_string(),
            source,
            size: body.len() as u64,
        }
    }

    #[test]
    fn deterministic_and_round_trips() {
        let src = tempfile::tempdir().unwrap();
        let files = vec![
            pf(src.path(), "incdir/a.txt", b"alpha"),
            pf(src.path(), "incdir/sub/b.bin", &[0u8; 5000]),
        ];
        let one = write_zip(&files, std::io::Cursor::new(Vec::new()))
            .unwrap()
            .into_inner();
        let two = write_zip(&files, std::io::Cursor::new(Vec::new()))
            .unwrap()
            .into_inner();
        assert_eq!(one, two);
        let zip_path = src.path().join("x.zip");
        std::fs::write(&zip_path, &one).unwrap();
        let out = tempfile::tempdir().unwrap();
        let written = extract_zip(&zip_path, out.path(), "layer").unwrap();
        assert_eq!(written, ["incdir/a.txt", "incdir/sub/b.bin"]);
        assert_eq!(
            std::fs::read(out.path().join("incdir/a.txt")).unwrap(),
            b"alpha"
        );
    }

    #[test]
    fn refuses_escaping_members_before_writing() {
        let src = tempfile::tempdir().unwrap();
        let mut zip = ZipWriter::new(std::io::Cursor::new(Vec::new()));
        zip.start_file("ok.txt", SimpleFileOptions::default())
            .unwrap();
        zip.write_all(b"fine").unwrap();
        zip.start_file("../evil.txt", SimpleFileOptions::default())
            .unwrap();
        zip.write_all(b"evil").unwrap();
        let bytes = zip.finish().unwrap().into_inner();
        let zip_path = src.path().join("bad.zip");
        std::fs::write(&zip_path, bytes).unwrap();
        let out = tempfile::tempdir().unwrap();
        let err = extract_zip(&zip_path, out.path(), "layer").unwrap_err();
        assert!(err.to_string().contains("unsafe package path"), "{err}");
        assert_eq!(std::fs::read_dir(out.path()).unwrap().count(), 0);
    }
}
