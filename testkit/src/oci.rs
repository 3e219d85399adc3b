//! `stacpkg push` / `pull` through the real binary, and what the OCI tests assert about them.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::registry::Registry;
use super::stacpkg;

/// A registry with the full test package (`support::package::full_package`) pushed to
/// `repo_tag`: (registry, work dir, package, `HOST/REPO:TAG`). `None` when interop is skipped.
pub fn pushed_to_registry(
    repo_tag: &str,
) -> Option<(Registry, tempfile::TempDir, PathBuf, String)> {
    let registry = Registry::start()?;
    let work = super::temp_dir();
    let pkg = super::package::full_package(work.path());
    let target = registry.reference(repo_tag);
    push(&pkg, &target, &[]).success();
    Some((registry, work, pkg, target))
}

/// Pushes `pkg` to the OCI image layout `layout` (`stacpkg push PKG oci:LAYOUT:v1`); returns
/// the target.
pub fn push_to_layout(pkg: &Path, layout: &Path) -> String {
    let target = format!("oci:{}:v1", layout.display());
    stacpkg()
        .arg("push")
        .arg(pkg)
        .arg(&target)
        .assert()
        .success();
    target
}

/// Pulls the layout `target` into `out` and checks it holds exactly `pkg`'s shipped files.
pub fn pulls_back_from_layout(target: &str, out: &Path, pkg: &Path) {
    stacpkg()
        .args(["pull", target, "--output-dir"])
        .arg(out)
        .assert()
        .success();
    assert_eq!(
        super::package::tree(out),
        super::package::shipped(pkg),
        "{target} pulled into {}",
        out.display()
    );
}

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

/// The credential checks for a registry that wants `login` (user, password), pushing `pkg` to
/// `target` (`HOST/REPO:TAG`): no credentials → refused with the hint; a wrong password →
/// refused naming its source, and neither it nor its Basic encoding appears on stderr even at
/// `-vv`; `--username` + `--password-stdin` pushes; `ORAS_USER`/`ORAS_PASS` and a Docker
/// config each pull it back byte for byte.
pub fn check_credentials(target: &str, pkg: &Path, work: &Path, login: (&str, &str)) {
    use base64::Engine;
    let (user, password) = login;
    let host = target.split('/').next().unwrap();
    let no_docker = work.join("no-docker");
    let anonymous = || {
        let mut cmd = stacpkg();
        cmd.env_remove("ORAS_USER")
            .env_remove("ORAS_PASS")
            .env("DOCKER_CONFIG", &no_docker);
        cmd
    };
    let anon = anonymous()
        .arg("push")
        .arg(pkg)
        .args([target, "--plain-http"])
        .assert()
        .code(1);
    let line = the_error(&anon);
    assert!(
        line.contains("unauthorized") && line.contains("--password-stdin"),
        "{line}"
    );

    let push_as = |verbosity: &str, pass: &str| {
        anonymous()
            .args([verbosity, "push"])
            .arg(pkg)
            .args([
                target,
                "--plain-http",
                "--username",
                user,
                "--password-stdin",
            ])
            .write_stdin(format!("{pass}\n"))
            .assert()
    };
    let wrong_password = "not-the-password";
    let wrong = push_as("-vv", wrong_password).code(1);
    let line = the_error(&wrong);
    assert!(line.contains("--username/--password-stdin"), "{line}");
    let err = stderr(&wrong);
    let encoded =
        base64::engine::general_purpose::STANDARD.encode(format!("{user}:{wrong_password}"));
    assert!(
        !err.contains(wrong_password) && !err.contains(&encoded),
        "credentials leaked: {err}"
    );

    push_as("-v", password).success();

    let pulls_back = |how: &str, mut cmd: assert_cmd::Command| {
        let out = work.join(how);
        cmd.args(["pull", target, "--plain-http", "--output-dir"])
            .arg(&out)
            .assert()
            .success();
        assert!(
            super::package::tree(&out) == super::package::shipped(pkg),
            "{how}: {} differs from {}",
            out.display(),
            pkg.display()
        );
    };
    let mut env = stacpkg();
    env.env("ORAS_USER", user).env("ORAS_PASS", password);
    pulls_back("via-env", env);

    let docker = work.join("docker");
    let auth = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
    super::write_temp(
        &docker,
        "config.json",
        format!(r#"{{"auths":{{"{host}":{{"auth":"{auth}"}}}}}}"#),
    );
    let mut config = anonymous();
    config.env("DOCKER_CONFIG", &docker);
    pulls_back("via-docker-config", config);
}
