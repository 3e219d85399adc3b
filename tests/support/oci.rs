//! `stacpkg push` / `pull` through the real binary, and what the OCI tests assert about them.

use std::path::Path;

use sha2::{Digest, Sha256};

use super::stacpkg;

/// `stacpkg -v push PKG TARGET --plain-http EXTRA…`.
pub fn push(pkg: &Path, target: &str, extra: &[&str]) -> assert_cmd::assert::Assert {
    stacpkg()
        .args(["-v", "push"])
        .arg(pkg)
        .arg(target)
        .arg("--plain-http")
        .args(extra)
        .assert()
}

/// `stacpkg pull SOURCE --plain-http --output-dir OUT EXTRA…`.
pub fn pull(source: &str, out: &Path, extra: &[&str]) -> assert_cmd::assert::Assert {
    stacpkg()
        .args(["pull", source, "--plain-http", "--output-dir"])
        .arg(out)
        .args(extra)
        .assert()
}

/// The command's stderr as text.
pub fn stderr(a: &assert_cmd::assert::Assert) -> String {
    String::from_utf8_lossy(&a.get_output().stderr).into_owned()
}

/// The `stacpkg: error:` lines of the command's stderr.
pub fn error_lines(a: &assert_cmd::assert::Assert) -> Vec<String> {
    stderr(a)
        .lines()
        .filter(|l| l.starts_with("stacpkg: error:"))
        .map(str::to_string)
        .collect()
}

/// `sha256:<hex>` of a file.
pub fn file_digest(path: &Path) -> String {
    let bytes = std::fs::read(path).unwrap();
    format!("sha256:{}", hex::encode(Sha256::digest(&bytes)))
}

/// The `N` of the push summary's `N already there`.
pub fn already_there(stderr: &str) -> usize {
    let (before, _) = stderr
        .split_once(" already there")
        .unwrap_or_else(|| panic!("no push summary in: {stderr}"));
    before
        .rsplit(' ')
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no count before `already there` in: {stderr}"))
}

/// Whether a blob upload `PUT` request target is for `digest` (`sha256:…`; the client
/// URL-encodes the colon).
pub fn is_upload_of(method: &str, target: &str, digest: &str) -> bool {
    let hex = digest.trim_start_matches("sha256:");
    method == "PUT" && target.contains("/blobs/uploads/") && target.contains(hex)
}

/// The one `stacpkg: error:` line of a failed command (panics unless there is exactly one).
pub fn the_error(a: &assert_cmd::assert::Assert) -> String {
    let lines = error_lines(a);
    assert_eq!(lines.len(), 1, "one error line: {}", stderr(a));
    lines.into_iter().next().unwrap()
}
