//! Packages: the directory that holds `items.parquet`, `assets.lock.parquet` and optional
//! content, and the ways to look at it and move it.
//!
//! * [`files`]: which files make up a package (what `inspect` lists and `push` uploads) and
//!   their digests. A package is a contract, not "whatever lies in the directory": stale
//!   copied assets the lock no longer references and hidden files are left out.
//! * [`inspect`]: the summary of a package (the Python stacpkg 0.1.4 keys, plus validation).
//! * [`oci`]: push to and pull from an OCI registry or an OCI image-layout directory, with the
//!   artifact format of the Python tool so either side can read the other's.
//! * [`source`]: whether a path names items, a lock or a package ([`Source::classify`]).
//! * [`media`]: a fixed table of media types (not the platform's mime database, which differs
//!   between machines and would change layer descriptors).

pub mod build;
pub mod files;
pub mod inspect;
pub mod media;
pub mod oci;
pub mod source;

use std::path::{Component, Path};

use crate::{Error, Result};

pub use source::Source;

/// The items table of a package.
pub const ITEMS_FILE: &str = "items.parquet";
/// The asset lock of a package.
pub const LOCK_FILE: &str = "assets.lock.parquet";
/// The directory that holds copied asset bytes.
pub const ASSETS_DIR: &str = "assets";
/// A name the Python tool skips on push; never part of a package.
pub const MANIFEST_FILE: &str = "manifest.json";

/// Checks that `dir` is a package directory: it exists and holds both tables.
pub fn check_package_dir(dir: &Path) -> Result<()> {
    let name = dir.display().to_string();
    match std::fs::metadata(dir) {
        Err(e) => return Err(Error::io(format!("package {name}"), e)),
        Ok(m) if !m.is_dir() => {
            return Err(Error::input(
                name,
                "is not a directory; a package is a directory made by `stacpkg build` or `stacpkg pull`",
            ))
        }
        Ok(_) => {}
    }
    let missing: Vec<&str> = [ITEMS_FILE, LOCK_FILE]
        .into_iter()
        .filter(|f| !dir.join(f).is_file())
        .collect();
    if !missing.is_empty() {
        return Err(Error::input(
            name,
            format!(
                "not a stacpkg package directory: missing {}; make one with `stacpkg build` or `stacpkg pull`",
                missing.join(", ")
            ),
        ));
    }
    Ok(())
}

/// Checks a package-relative path from an untrusted source (an OCI title, a ZIP member):
/// not empty, not absolute, POSIX separators only, and no empty, `.` or `..` component.
pub fn check_safe_path(path: &str) -> Result<()> {
    let unsafe_path = |why: &str| {
        Err(Error::input(
            format!("package path {path:?}"),
            format!("unsafe package path ({why}); refusing to write outside the package"),
        ))
    };
    if path.is_empty() {
        return unsafe_path("empty");
    }
    if path.starts_with('/') {
        return unsafe_path("absolute");
    }
    if path.contains('\\') {
        return unsafe_path("backslash");
    }
    if path.contains('\0') {
        return unsafe_path("NUL byte");
    }
    for part in path.split('/') {
        match part {
            "" => return unsafe_path("empty component"),
            "." => return unsafe_path("`.` component"),
            ".." => return unsafe_path("`..` component"),
            _ => {}
        }
    }
    // Belt and braces: the platform's own parse must agree that this is a plain relative path.
    if !Path::new(path)
        .components()
        .all(|c| matches!(c, Component::Normal(_)))
    {
        return unsafe_path("not a plain relative path");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn safe_paths() {
        for ok in [
            "items.parquet",
            "assets/item-1/data.bin",
            "incdir/sub/n.txt",
            "a..b",
        ] {
            check_safe_path(ok).unwrap();
        }
        for bad in [
            "",
            "/etc/passwd",
            "../x",
            "a/../../x",
            "a//b",
            "./a",
            "a/.",
            "a\\b",
            "a/",
        ] {
            assert!(check_safe_path(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn package_dir_checks() {
        let dir = tempfile::tempdir().unwrap();
        let err = check_package_dir(dir.path()).unwrap_err().to_string();
        assert!(
            err.contains("missing items.parquet, assets.lock.parquet"),
            "{err}"
        );
        let err = check_package_dir(&dir.path().join("nope")).unwrap_err();
        assert!(matches!(err, Error::Io { .. }));
        std::fs::write(dir.path().join(ITEMS_FILE), b"x").unwrap();
        std::fs::write(dir.path().join(LOCK_FILE), b"x").unwrap();
        check_package_dir(dir.path()).unwrap();
    }
}
