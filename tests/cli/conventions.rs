//! The conventions every command keeps, through the real binary: `-` as an output means
//! stdout (refused on a terminal; a closed stdout is a quiet success, a full disk is not),
//! shell completions and man pages, global options under their own help heading, and the
//! examples at the end of the long help.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use testkit::{fixture, read_parquet, shell, stacpkg, stacpkg_path, temp_dir, write_temp};

/// The items stream of the Austria sample and the asset-lock stream derived from it (no
/// probing), as files: (items stream, lock stream).
fn streams(dir: &Path) -> (PathBuf, PathBuf) {
    let ndjson = fixture("../../assets/sample/openaerialmap-austria.ndjson");
    let items = stacpkg()
        .args(["items", "from-ndjson"])
        .arg(&ndjson)
        .assert()
        .success();
    let items = write_temp(dir, "items.arrows", &items.get_output().stdout);
    let lock = stacpkg()
        .args(["asset-lock", "derive", "--no-probe-metadata"])
        .pipe_stdin(&items)
        .unwrap()
        .assert()
        .success();
    let lock = write_temp(dir, "lock.arrows", &lock.get_output().stdout);
    (items, lock)
}

/// `items to-parquet -` and `asset-lock to-parquet -` write the same bytes on stdout as they
/// write into a file, and no file named `-`.
#[test]
fn dash_writes_parquet_to_stdout() {
    let dir = temp_dir();
    let (items, lock) = streams(dir.path());
    for (family, stream) in [("items", &items), ("asset-lock", &lock)] {
        let piped = stacpkg()
            .current_dir(dir.path())
            .args([family, "to-parquet", "-"])
            .pipe_stdin(stream)
            .unwrap()
            .assert()
            .success();
        let piped = &piped.get_output().stdout;
        assert!(!dir.path().join("-").exists(), "{family}: a file named `-`");
        assert_eq!(&piped[..4], b"PAR1", "{family}");
        let file = dir.path().join(format!("{family}.parquet"));
        stacpkg()
            .args([family, "to-parquet"])
            .arg(&file)
            .pipe_stdin(stream)
            .unwrap()
            .assert()
            .success();
        assert!(
            *piped == std::fs::read(&file).unwrap(),
            "{family}: stdout and file differ"
        );
        let (_, batches) = read_parquet(&write_temp(dir.path(), "from-stdout.parquet", piped));
        let (_, from_file) = read_parquet(&file);
        let rows = |b: &[arrow::array::RecordBatch]| b.iter().map(|b| b.num_rows()).sum::<usize>();
        assert!(
            rows(&batches) > 0 && rows(&batches) == rows(&from_file),
            "{family}"
        );
    }
    // The stdout Parquet reads back through the Parquet reader's own `-` (stdin).
    let out = shell(&format!(
        "$STACPKG items to-parquet - < '{}' | $STACPKG items from-parquet - | $STACPKG items to-ndjson | wc -l",
        items.display()
    ))
    .assert()
    .success();
    assert_eq!(
        String::from_utf8_lossy(&out.get_output().stdout).trim(),
        "24"
    );
}

/// A terminal on stdout is a usage error (exit 2) naming the fix; nothing is read or written.
#[test]
fn dash_refuses_a_terminal_stdout() {
    let dir = temp_dir();
    let (items, lock) = streams(dir.path());
    for (family, stream) in [("items", &items), ("asset-lock", &lock)] {
        // `script` gives the command a real terminal on stdout; stdin stays the stream.
        let out = Command::new("script")
            .current_dir(dir.path())
            .args([
                "-qec",
                &format!(
                    "{} {family} to-parquet - < '{}'",
                    stacpkg_path().display(),
                    stream.display()
                ),
                "/dev/null",
            ])
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(2), "{family}: {text}");
        assert!(
            text.contains(
                "stacpkg: error: stdout is a terminal, but `-` writes binary Parquet there"
            ),
            "{family}: {text}"
        );
        assert_eq!(text.trim().lines().count(), 1, "{family}: one line: {text}");
        assert!(!dir.path().join("-").exists());
    }
}

/// A reader that went away before the Parquet arrived ends the command quietly with 0, as
/// every other stdout writer does; a stdout that cannot take the bytes (a full disk) fails.
#[test]
fn dash_on_a_closed_or_full_stdout() {
    let dir = temp_dir();
    let (items, lock) = streams(dir.path());
    for (family, stream) in [("items", &items), ("asset-lock", &lock)] {
        let mut child = Command::new(stacpkg_path())
            .args([family, "to-parquet", "-"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // Close the only read end before the command writes anything: its write is EPIPE.
        drop(child.stdout.take());
        let mut stdin = child.stdin.take().unwrap();
        stdin.write_all(&std::fs::read(stream).unwrap()).unwrap();
        drop(stdin);
        let out = child.wait_with_output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{family}");
        assert!(
            out.stderr.is_empty(),
            "{family}: {}",
            String::from_utf8_lossy(&out.stderr)
        );

        let full = Command::new(stacpkg_path())
            .args([family, "to-parquet", "-"])
            .stdin(std::fs::File::open(stream).unwrap())
            .stdout(
                std::fs::OpenOptions::new()
                    .write(true)
                    .open("/dev/full")
                    .unwrap(),
            )
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&full.stderr);
        assert_eq!(full.status.code(), Some(1), "{family}: {err}");
        assert!(
            err.starts_with("stacpkg: error: stdout: No space left on device"),
            "{family}: {err}"
        );
    }
}

/// Every shell gets a script; bash's really completes subcommands and flags.
#[test]
fn completions_for_every_shell() {
    for (shell_name, marker) in [
        ("bash", "_stacpkg()"),
        ("zsh", "#compdef stacpkg"),
        ("fish", "complete -c stacpkg"),
        ("elvish", "edit:completion:arg-completer[stacpkg]"),
        ("powershell", "Register-ArgumentCompleter"),
    ] {
        let out = stacpkg()
            .args(["completions", shell_name])
            .assert()
            .success();
        let text = String::from_utf8_lossy(&out.get_output().stdout);
        assert!(text.contains(marker), "{shell_name}: {text}");
        assert!(text.contains("to-parquet"), "{shell_name}");
    }
    let out = shell(
        r#"set +u
source <("$STACPKG" completions bash)
complete -p stacpkg
COMP_WORDS=(stacpkg items to-) COMP_CWORD=2
_stacpkg stacpkg to- items
echo "words: ${COMPREPLY[*]}"
COMP_WORDS=(stacpkg push --for) COMP_CWORD=2
_stacpkg stacpkg --for push
echo "flags: ${COMPREPLY[*]}""#,
    )
    .assert()
    .success();
    let text = String::from_utf8_lossy(&out.get_output().stdout);
    assert!(
        text.lines()
            .any(|l| l.contains("-F _stacpkg") && l.ends_with(" stacpkg")),
        "{text}"
    );
    let words = text.lines().find(|l| l.starts_with("words: ")).unwrap();
    for sub in ["to-parquet", "to-ndjson", "to-json"] {
        assert!(words.split(' ').any(|w| w == sub), "{words}");
    }
    let flags = text.lines().find(|l| l.starts_with("flags: ")).unwrap();
    assert_eq!(flags, "flags: --format", "{text}");
    let bad = stacpkg().args(["completions", "tcsh"]).output().unwrap();
    assert_eq!(bad.status.code(), Some(2));
}

/// `stacpkg man` prints the main page; `--dir` writes a page per command, which groff renders
/// with the command's options, its global options and its examples.
#[test]
fn man_pages() {
    let out = stacpkg().arg("man").assert().success();
    let page = String::from_utf8_lossy(&out.get_output().stdout);
    assert!(page.contains(".TH stacpkg 1"), "{page}");
    assert!(page.contains("stacpkg\\-items"), "{page}");

    let dir = temp_dir();
    let man1 = dir.path().join("man1");
    stacpkg()
        .args(["man", "--dir"])
        .arg(&man1)
        .assert()
        .success();
    let mut names: Vec<String> = std::fs::read_dir(&man1)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    for expected in [
        "stacpkg.1",
        "stacpkg-items-to-parquet.1",
        "stacpkg-asset-lock-derive.1",
        "stacpkg-push.1",
        "stacpkg-completions.1",
    ] {
        assert!(names.iter().any(|n| n == expected), "{expected}: {names:?}");
    }
    assert!(names
        .iter()
        .all(|n| n.ends_with(".1") && !n.starts_with('.')));
    let Ok(rendered) = Command::new("groff")
        .args(["-man", "-Tutf8", "-P-c"])
        .arg(man1.join("stacpkg-push.1"))
        .output()
    else {
        return;
    };
    let text = String::from_utf8_lossy(&rendered.stdout).replace(['\u{2010}', '\u{2212}'], "-");
    for needle in ["stacpkg-push", "--plain-http", "--format", "Examples:"] {
        assert!(text.contains(needle), "{needle}: {text}");
    }
}

/// In every command's help `-v`/`-q` sit under "Global options", not among its own options;
/// the long help ends with examples, the short one does not.
#[test]
fn help_puts_global_options_apart_and_ends_with_examples() {
    for args in [
        &["items", "to-parquet"][..],
        &["asset-lock", "validate"],
        &["push"],
        &["search"],
    ] {
        let out = stacpkg().args(args).arg("--help").assert().success();
        let help = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
        let (own, global) = help
            .split_once("\nGlobal options:\n")
            .unwrap_or_else(|| panic!("{args:?}: no Global options heading:\n{help}"));
        assert!(
            !own.contains("--verbose") && !own.contains("--quiet"),
            "{help}"
        );
        let global = global.split("\nExamples:").next().unwrap();
        assert!(
            global.contains("-v, --verbose") && global.contains("-q, --quiet"),
            "{help}"
        );
        assert!(help.contains("\nExamples:\n  "), "{args:?}: {help}");
        let out = stacpkg().args(args).arg("-h").assert().success();
        let short = String::from_utf8_lossy(&out.get_output().stdout);
        assert!(
            short.contains("Global options:") && !short.contains("Examples:"),
            "{short}"
        );
    }
}
