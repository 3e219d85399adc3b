//! Helpers shared by stacpkg's integration tests (`tests/cli`, `tests/servers`,
//! `tests/interop`, `tests/tui_e2e.rs`) and examples: a dev-dependency of the root crate,
//! `use testkit::...` in a test.
//!
//! * The binary under test: [`stacpkg`] (an `assert_cmd` command) and [`shell`] (a `bash`
//!   script with `set -euo pipefail` and `$STACPKG` pointing at the binary, for pipelines).
//!   The path comes from [`stacpkg_path`], read at run time (this crate does not depend on
//!   stacpkg, so nothing is built twice).
//! * External tools installed by `scripts/test` (see `docs/TESTING.md`): [`tool_python`],
//!   [`tool_rustac`], [`tool_pystacpkg`]. Each reads its path from an environment variable.
//!   When the variable is unset the helper panics with a hint, unless the developer opted out
//!   with `STACPKG_SKIP_INTEROP=1` (or `STACPKG_SKIP_PYSTACPKG=1` for the Python stacpkg
//!   only): then it prints `skipped: ...` to stderr and returns `None`, and the test returns.
//!   A missing tool never turns into a silently passing test.
//! * Independent readers: [`run_python`] runs a snippet with the test venv's python
//!   (pyarrow installed); [`pyarrow_describe`] summarises a Parquet file or IPC stream as JSON.
//!   [`read_parquet`] / [`read_ipc_stream`] read with arrow-rs, for Rust-side assertions.
//! * Files: [`repo_root`], [`fixture`] (under `tests/data/`), [`temp_dir`], [`write_temp`],
//!   [`read_ndjson`].
//! * Servers and faults: [`servers`] (nginx, moto, azurite, fake-gcs), [`proxy`] (the fault
//!   and latency proxy), [`registry`] / [`token_auth`] / [`oci`] (OCI registries),
//!   [`stac_api`] (STAC API servers), [`package`] (package fixtures).
//! * [`stac_diff`]: STAC JSON compared field by field, for the round-trip tests.

pub mod oci;
pub mod package;
pub mod proxy;
pub mod registry;
pub mod servers;
pub mod stac_api;
pub mod stac_diff;
pub mod token_auth;

use std::ffi::OsStr;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command as StdCommand, Stdio};

use arrow::array::{RecordBatch, RecordBatchReader};
use arrow::datatypes::SchemaRef;
use serde_json::Value;

/// Environment variable: `1` skips every test that needs an external tool.
pub const SKIP_INTEROP_VAR: &str = "STACPKG_SKIP_INTEROP";
/// Environment variable: `1` skips only the tests against the Python stacpkg 0.1.4.
pub const SKIP_PYSTACPKG_VAR: &str = "STACPKG_SKIP_PYSTACPKG";
/// Environment variable: the python of the test venv (has pyarrow).
pub const PYTHON_VAR: &str = "STACPKG_TEST_PYTHON";
/// Environment variable: the `rustac` CLI (PyPI `rustac`).
pub const RUSTAC_VAR: &str = "STACPKG_TEST_RUSTAC";
/// Environment variable: the Python stacpkg 0.1.4 CLI (patched for Python 3.11).
pub const PYSTACPKG_VAR: &str = "PYSTACPKG";
/// Environment variable set by `scripts/test` when the Python stacpkg could not be set up.
pub const PYSTACPKG_ERROR_VAR: &str = "STACPKG_PYSTACPKG_ERROR";

// ----------------------------------------------------------------------------------------
// The binary under test
// ----------------------------------------------------------------------------------------

/// Path of the `stacpkg` binary cargo built for this test run: `CARGO_BIN_EXE_stacpkg`,
/// which cargo (≥ 1.94) also sets at run time for integration tests, else the binary next to
/// the test executable (`target/<profile>/stacpkg`); see `assert_cmd::cargo::cargo_bin`.
/// Read at run time because `env!("CARGO_BIN_EXE_stacpkg")` only exists when compiling the
/// stacpkg crate's own test targets, not this library.
pub fn stacpkg_path() -> PathBuf {
    assert_cmd::cargo::cargo_bin("stacpkg")
}

/// An `assert_cmd` command for the `stacpkg` binary, with stdin empty (never a terminal).
pub fn stacpkg() -> assert_cmd::Command {
    let mut cmd = assert_cmd::Command::new(stacpkg_path());
    cmd.env_remove("RUST_LOG").write_stdin(Vec::<u8>::new());
    cmd
}

/// A bash script run as `bash -c 'set -euo pipefail; <script>'` with `$STACPKG` set to the
/// binary under test, stdin empty. Set the directory and extra variables on the returned
/// command (`.current_dir(..)`, `.env("PYSTACPKG", ..)`), then `.assert().success()`.
pub fn shell(script: &str) -> assert_cmd::Command {
    let mut cmd = assert_cmd::Command::new("bash");
    cmd.arg("-c")
        .arg(format!("set -euo pipefail\n{script}"))
        .env("STACPKG", stacpkg_path())
        .env_remove("RUST_LOG")
        .write_stdin(Vec::<u8>::new());
    cmd
}

// ----------------------------------------------------------------------------------------
// External tools
// ----------------------------------------------------------------------------------------

fn env_flag(var: &str) -> bool {
    matches!(
        std::env::var(var).as_deref().map(str::trim),
        Ok("1") | Ok("true") | Ok("yes")
    )
}

/// True when the developer asked to skip the tests that need external tools.
pub fn interop_skipped() -> bool {
    env_flag(SKIP_INTEROP_VAR)
}

fn skip(what: &str, why: &str) -> Option<PathBuf> {
    eprintln!("skipped: {what} ({why})");
    None
}

fn tool_from_env(var: &str, what: &str, extra_hint: &str) -> Option<PathBuf> {
    if interop_skipped() {
        return skip(what, &format!("{SKIP_INTEROP_VAR}=1"));
    }
    match std::env::var_os(var) {
        Some(path) if !path.is_empty() => {
            let path = PathBuf::from(path);
            assert!(
                path.exists(),
                "{var}={} does not exist: run scripts/test (installs the interop tools) \
                 or set {SKIP_INTEROP_VAR}=1",
                path.display()
            );
            Some(path)
        }
        _ => panic!(
            "{what}: {var} not set: run scripts/test (installs the interop tools) or set \
             {SKIP_INTEROP_VAR}=1{extra_hint}"
        ),
    }
}

/// The test venv's python (with pyarrow), from `STACPKG_TEST_PYTHON`.
pub fn tool_python() -> Option<PathBuf> {
    tool_from_env(PYTHON_VAR, "python with pyarrow", "")
}

/// The `rustac` CLI, from `STACPKG_TEST_RUSTAC`.
pub fn tool_rustac() -> Option<PathBuf> {
    tool_from_env(RUSTAC_VAR, "rustac CLI", "")
}

/// The Python stacpkg 0.1.4 CLI, from `PYSTACPKG`. Also skipped by `STACPKG_SKIP_PYSTACPKG=1`.
pub fn tool_pystacpkg() -> Option<PathBuf> {
    if env_flag(SKIP_PYSTACPKG_VAR) && !interop_skipped() {
        return skip("Python stacpkg 0.1.4", &format!("{SKIP_PYSTACPKG_VAR}=1"));
    }
    let hint = match std::env::var(PYSTACPKG_ERROR_VAR) {
        Ok(err) if !err.is_empty() => format!(
            " (scripts/test could not set it up: {err}; set {SKIP_PYSTACPKG_VAR}=1 to skip \
             only these tests)"
        ),
        _ => format!(" (or {SKIP_PYSTACPKG_VAR}=1 to skip only the Python stacpkg tests)"),
    };
    tool_from_env(PYSTACPKG_VAR, "Python stacpkg 0.1.4", &hint)
}

/// Runs `program args...` (stdin empty) and returns its stdout; panics with the command,
/// exit status, stdout and stderr when it fails.
pub fn run_tool<I, S>(program: &Path, args: I) -> String
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let args: Vec<_> = args.into_iter().map(|a| a.as_ref().to_owned()).collect();
    let output = StdCommand::new(program)
        .args(&args)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", program.display()));
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "{} {:?} failed ({}):\n--- stdout ---\n{}\n--- stderr ---\n{}",
        program.display(),
        args,
        output.status,
        stdout,
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

/// Runs a python snippet (`python -c CODE ARGS...`) with the test venv's python and returns
/// its stdout. `sys.argv[1:]` are `args`. Panics on a non-zero exit, showing the traceback.
/// Call [`tool_python`] first so that a skipped run returns before getting here.
pub fn run_python<I, S>(code: &str, args: I) -> String
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let python = tool_python().unwrap_or_else(|| {
        panic!("run_python called while {SKIP_INTEROP_VAR}=1: check tool_python() first")
    });
    let mut all: Vec<std::ffi::OsString> = vec!["-c".into(), code.into()];
    all.extend(args.into_iter().map(|a| a.as_ref().to_owned()));
    run_tool(&python, all)
}

/// Python: summarise a Parquet file (`*.parquet`) or an Arrow IPC stream (anything else) as
/// one JSON object. See [`pyarrow_describe`].
const DESCRIBE_PY: &str = r#"
import json, math, sys
import pyarrow as pa
import pyarrow.parquet as pq

path, cols = sys.argv[1], sys.argv[2:]

def md(m):
    return {k.decode(): v.decode("utf-8", "replace") for k, v in (m or {}).items()}

def plain(v):
    if isinstance(v, (bytes, bytearray)):
        return v.hex()
    if isinstance(v, dict):
        return {k: plain(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [plain(x) for x in v]
    if isinstance(v, float) and not math.isfinite(v):
        return repr(v)
    if hasattr(v, "isoformat"):
        return v.isoformat()
    return v

out = {}
if path.endswith(".parquet"):
    pf = pq.ParquetFile(path)
    table = pf.read()
    out["num_row_groups"] = pf.num_row_groups
    out["file_metadata"] = md({k: v for k, v in (pf.metadata.metadata or {}).items()
                               if k != b"ARROW:schema"})
    out["created_by"] = pf.metadata.created_by
else:
    with open(path, "rb") as f:
        reader = pa.ipc.open_stream(f)
        batches = list(reader)
        table = pa.Table.from_batches(batches, schema=reader.schema)
    out["num_batches"] = len(batches)
out["num_rows"] = table.num_rows
out["columns"] = [
    {"name": f.name, "type": str(f.type), "nullable": f.nullable, "metadata": md(f.metadata)}
    for f in table.schema
]
out["metadata"] = md(table.schema.metadata)
out["values"] = {c: plain(table.column(c).to_pylist()) for c in cols if c in table.column_names}
print(json.dumps(out))
"#;

/// Reads `path` with pyarrow (Parquet when it ends in `.parquet`, else an IPC stream) and
/// returns `{num_rows, columns: [{name, type, nullable, metadata}], metadata, values: {col:
/// [..]}}` plus `num_row_groups`/`file_metadata`/`created_by` (Parquet) or `num_batches`
/// (IPC). `values` holds the columns named in `value_columns` as Python sees them
/// (timestamps as ISO strings, binary as hex). Types are pyarrow's `str(type)`, e.g.
/// `timestamp[us, tz=UTC]`.
pub fn pyarrow_describe(path: &Path, value_columns: &[&str]) -> Value {
    let mut args: Vec<&OsStr> = vec![path.as_os_str()];
    args.extend(value_columns.iter().map(OsStr::new));
    let out = run_python(DESCRIBE_PY, args);
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("bad describe output ({e}): {out}"))
}

/// The `columns` entry named `name` of a [`pyarrow_describe`] result; panics if absent.
pub fn described_column<'a>(described: &'a Value, name: &str) -> &'a Value {
    described["columns"]
        .as_array()
        .and_then(|cols| cols.iter().find(|c| c["name"] == name))
        .unwrap_or_else(|| {
            panic!(
                "no column {name:?} in {}",
                column_names(described).join(", ")
            )
        })
}

/// The column names of a [`pyarrow_describe`] result, in order.
pub fn column_names(described: &Value) -> Vec<String> {
    described["columns"]
        .as_array()
        .map(|cols| {
            cols.iter()
                .filter_map(|c| c["name"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

// ----------------------------------------------------------------------------------------
// Arrow-rs readers
// ----------------------------------------------------------------------------------------

/// Reads a whole Parquet file with arrow-rs: the Arrow schema (with metadata) and batches.
pub fn read_parquet(path: &Path) -> (SchemaRef, Vec<RecordBatch>) {
    let file = File::open(path).unwrap_or_else(|e| panic!("open {}: {e}", path.display()));
    let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file)
        .unwrap_or_else(|e| panic!("{} is not Parquet: {e}", path.display()))
        .build()
        .unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    let schema = reader.schema();
    let batches = reader
        .collect::<Result<Vec<_>, _>>()
        .unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    (schema, batches)
}

/// Reads a complete Arrow IPC stream with arrow-rs.
pub fn read_ipc_stream(bytes: &[u8]) -> (SchemaRef, Vec<RecordBatch>) {
    let reader = arrow::ipc::reader::StreamReader::try_new(bytes, None)
        .unwrap_or_else(|e| panic!("not an Arrow IPC stream: {e}"));
    let schema = reader.schema();
    let batches = reader
        .collect::<Result<Vec<_>, _>>()
        .unwrap_or_else(|e| panic!("bad Arrow IPC stream: {e}"));
    (schema, batches)
}

// ----------------------------------------------------------------------------------------
// Files
// ----------------------------------------------------------------------------------------

/// The repository root (the `stacpkg` crate's directory; this crate lives in `testkit/`).
pub fn repo_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("testkit/ is inside the repository")
}

/// Path of a file under `tests/data/` (e.g. `fixture("interop/simple.ndjson")`); panics if it
/// does not exist.
pub fn fixture(name: &str) -> PathBuf {
    let path = repo_root().join("tests").join("data").join(name);
    assert!(path.exists(), "missing fixture {}", path.display());
    path
}

/// A fresh temporary directory, removed when dropped.
pub fn temp_dir() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("stacpkg-test-")
        .tempdir()
        .expect("create temp dir")
}

/// Writes `contents` to `dir/name` (creating parent directories) and returns the path.
pub fn write_temp(dir: &Path, name: &str, contents: impl AsRef<[u8]>) -> PathBuf {
    let path = dir.join(name);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).expect("create parent dir");
    }
    std::fs::write(&path, contents).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
    path
}

/// Parses an NDJSON file (blank lines skipped) into JSON values.
pub fn read_ndjson(path: &Path) -> Vec<Value> {
    let text =
        std::fs::read_to_string(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    text.lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(i, line)| {
            serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("{} line {}: {e}", path.display(), i + 1))
        })
        .collect()
}

/// The first four numbers of a STAC item's `bbox` (west, south, east, north of a 2-D box).
pub fn item_bbox(item: &Value) -> [f64; 4] {
    let b: Vec<f64> = item["bbox"]
        .as_array()
        .expect("the item has a bbox array")
        .iter()
        .map(|v| v.as_f64().expect("bbox numbers"))
        .collect();
    [b[0], b[1], b[2], b[3]]
}

/// A FeatureCollection document holding `features`.
pub fn feature_collection(features: &[Value]) -> Value {
    serde_json::json!({ "type": "FeatureCollection", "features": features })
}

/// A minimal STAC item (collection `c`, no geometry) with the given `assets` object.
pub fn item_with_assets(id: &str, assets: Value) -> Value {
    serde_json::json!({"type": "Feature", "stac_version": "1.1.0", "id": id, "collection": "c",
        "geometry": null, "properties": {"datetime": "2026-01-01T00:00:00Z"}, "links": [],
        "assets": assets})
}
