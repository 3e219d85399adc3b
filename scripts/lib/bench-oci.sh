# shellcheck shell=bash
# The `oci` workload of scripts/bench (sourced by it; uses its helpers and variables):
# push and pull of a package with 20,000 items and 200 MB of copied assets, to a local
# distribution registry (`docker-registry`, started here on 127.0.0.1) and to an OCI
# image-layout directory (`oci:PATH:TAG`), with MB/s and peak RSS; peak RSS of single-blob
# packages of 50 and 200 MB (RSS must not grow with blob size); `inspect` of the 20,000-item
# package against the Python stacpkg 0.1.4.

OCI_REGISTRY_PID=""

oci_free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

oci_start_registry() {
  # oci_start_registry DIR -> starts docker-registry with storage in DIR, prints its host:port.
  local dir=$1 port
  command -v docker-registry >/dev/null 2>&1 || apt_install docker-registry ||
    die "docker-registry is required for the oci workload: apt-get install -y docker-registry"
  port=$(oci_free_port)
  rm -rf "$dir" && mkdir -p "$dir/storage"
  cat >"$dir/config.yml" <<YAML
version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $dir/storage
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$port
  secret: stacpkg-bench
YAML
  docker-registry serve "$dir/config.yml" >"$dir/registry.log" 2>&1 &
  OCI_REGISTRY_PID=$!
  local i
  for ((i = 0; i < 100; i++)); do
    if curl -fsS "http://127.0.0.1:$port/v2/" >/dev/null 2>&1; then
      printf '127.0.0.1:%s\n' "$port"
      return 0
    fi
    sleep 0.1
  done
  die "docker-registry did not start (see $dir/registry.log)"
}

oci_stop_registry() {
  if [ -n "$OCI_REGISTRY_PID" ]; then
    kill "$OCI_REGISTRY_PID" 2>/dev/null || true
    wait "$OCI_REGISTRY_PID" 2>/dev/null || true
    OCI_REGISTRY_PID=""
  fi
}

oci_python() {
  # A python with pyarrow: the test venv's, else the bench's rustac venv.
  if [ -x "$ROOT/.venv-test/bin/python" ]; then
    printf '%s\n' "$ROOT/.venv-test/bin/python"
  else
    ensure_rustac >/dev/null && printf '%s\n' "$VERIFY_PY"
  fi
}

oci_asset_package() {
  # oci_asset_package BASE OUT COUNT BYTES: OUT = BASE's items + a lock whose first COUNT rows
  # are copied assets (store_type file, key assets/<item>/<asset>.bin) of BYTES random bytes each.
  local base=$1 out=$2 count=$3 bytes=$4 py
  py=$(oci_python) || die "no python with pyarrow (run bash scripts/test)"
  rm -rf "$out" && mkdir -p "$out"
  cp "$base/items.parquet" "$out/items.parquet"
  "$py" - "$base/assets.lock.parquet" "$out" "$count" "$bytes" <<'PY'
import os, sys
import pyarrow as pa, pyarrow.parquet as pq
src, out, count, size = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
t = pq.read_table(src)
rows = t.to_pylist()
chunk = 1 << 20
for i, r in enumerate(rows[:count]):
    key = "assets/%s/%s.bin" % (r["item_id"], r["asset_key"])
    path = os.path.join(out, key)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        left = size
        while left:
            n = min(chunk, left)
            f.write(os.urandom(n))
            left -= n
    r.update(store_type="file", store_container=None, store_endpoint_url=None, key=key,
             size_bytes=size, etag=None, last_modified=None)
pq.write_table(pa.Table.from_pylist(rows, schema=t.schema), os.path.join(out, "assets.lock.parquet"))
PY
}

oci_runs() {
  # oci_runs PREP CMD... -> runs `PREP; CMD` $RUNS times (PREP untimed, gets the run number as
  # $1), prints "<best wall s> <max peak RSS KiB>".
  local prep=$1; shift
  local i best="" rss=0 t m f="$OUT/oci-time.$$"
  for ((i = 0; i < RUNS; i++)); do
    bash -c "$prep" _ "$i" >&2
    local -a cmd=()
    local a
    for a in "$@"; do cmd+=("${a//@RUN@/$i}"); done
    "$GNU_TIME" -f '%e %M' -o "$f" "${cmd[@]}" >&2 || { rm -f "$f"; return 1; }
    read -r t m < <(tail -n1 "$f")
    if [ -z "$best" ] || awk -v a="$t" -v b="$best" 'BEGIN{exit !(a<b)}'; then best=$t; fi
    [ "$m" -gt "$rss" ] && rss=$m
  done
  rm -f "$f"
  printf '%s %s\n' "$best" "$rss"
}

oci_mbps() { awk -v b="$1" -v s="$2" 'BEGIN{ if (s+0 > 0) printf "%.0f", b/1e6/s; else print "n/a" }'; }

bench_oci() {
  local n=20000 parts=40 part_bytes=$((5 * 1000 * 1000)) small_blob=$((50 * 1000 * 1000)) big_blob=$((200 * 1000 * 1000))
  if [ "$QUICK" = 1 ]; then n=2000 parts=4 small_blob=$((5 * 1000 * 1000)) big_blob=$((20 * 1000 * 1000)) RUNS=1; fi
  local work="$OUT/oci" report="$OUT/oci.md"
  mkdir -p "$work"
  build_release
  [ "$BUILD_STATE" = failed ] && die "the oci workload needs the release build"
  local load_before f
  load_before=$(cut -d' ' -f1-3 /proc/loadavg)
  f=$(gen_items "$n")

  log "package: $n items (build --no-probe-metadata), then $parts × $part_bytes B of assets"
  rm -rf "$work/base.pkg"
  "$BIN" items from-ndjson "$f" | "$BIN" build "$work/base.pkg" --no-probe-metadata
  oci_asset_package "$work/base.pkg" "$work/pkg" "$parts" "$part_bytes"
  oci_asset_package "$work/base.pkg" "$work/blob-small.pkg" 1 "$small_blob"
  oci_asset_package "$work/base.pkg" "$work/blob-big.pkg" 1 "$big_blob"
  local pkg_bytes
  pkg_bytes=$(find "$work/pkg" -type f -printf '%s\n' | awk '{s+=$1} END {print s}')

  local host
  host=$(oci_start_registry "$work/registry")
  trap oci_stop_registry RETURN
  log "registry at $host"

  local rows=() rss_rows=() r wall rss
  # Every push goes to a fresh repository (or layout), so every blob is sent.
  local clean_pull="rm -rf '$work/pulled'"
  for kind in registry layout; do
    local target source
    if [ "$kind" = registry ]; then
      target="$host/bench/pkg-@RUN@:v1"
    else
      target="oci:$work/layout-@RUN@:v1"
    fi
    log "push to $kind (best of $RUNS)"
    r=$(oci_runs "rm -rf '$work'/layout-\$1" "$BIN" push "$work/pkg" "$target" --plain-http) || die "push to $kind failed"
    read -r wall rss <<<"$r"
    rows+=("| push → $kind | $(fmt_n "$pkg_bytes") B | ${wall} s | $(oci_mbps "$pkg_bytes" "$wall") | $(mib "$rss") |")
    log "pull from $kind (best of $RUNS)"
    source=${target//@RUN@/0}
    r=$(oci_runs "$clean_pull" "$BIN" pull "$source" --plain-http --output-dir "$work/pulled") || die "pull from $kind failed"
    read -r wall rss <<<"$r"
    cmp -s "$work/pkg/items.parquet" "$work/pulled/items.parquet" || die "pull from $kind: items.parquet differs"
    diff -r "$work/pkg" "$work/pulled" >/dev/null || die "pull from $kind: the package differs"
    rows+=("| pull ← $kind | $(fmt_n "$pkg_bytes") B | ${wall} s | $(oci_mbps "$pkg_bytes" "$wall") | $(mib "$rss") |")
  done

  # Baseline: skopeo copies the same artifact from our layout into the registry (what the
  # registry itself can take over loopback).
  if command -v skopeo >/dev/null 2>&1; then
    log "baseline: skopeo copy layout → registry (best of $RUNS)"
    if r=$(oci_runs ":" skopeo copy --quiet --dest-tls-verify=false "oci:$work/layout-0:v1" "docker://$host/bench/skopeo-@RUN@:v1"); then
      read -r wall rss <<<"$r"
      rows+=("| baseline: skopeo $(skopeo --version | awk '{print $3}') \`copy oci:… docker://…\` | $(fmt_n "$pkg_bytes") B | ${wall} s | $(oci_mbps "$pkg_bytes" "$wall") | $(mib "$rss") |")
    fi
  fi

  log "peak RSS by blob size"
  local blob name bytes p_reg l_reg p_lay l_lay
  for blob in small big; do
    bytes=$([ "$blob" = small ] && echo "$small_blob" || echo "$big_blob")
    name="$work/blob-$blob.pkg"
    read -r _ p_reg < <(oci_runs ":" "$BIN" push "$name" "$host/bench/blob-$blob-@RUN@:v1" --plain-http)
    read -r _ l_reg < <(oci_runs "$clean_pull" "$BIN" pull "$host/bench/blob-$blob-0:v1" --plain-http --output-dir "$work/pulled")
    read -r _ p_lay < <(oci_runs "rm -rf '$work'/layout-$blob-\$1" "$BIN" push "$name" "oci:$work/layout-$blob-@RUN@:v1")
    read -r _ l_lay < <(oci_runs "$clean_pull" "$BIN" pull "oci:$work/layout-$blob-0:v1" --output-dir "$work/pulled")
    rss_rows+=("| $((bytes / 1000000)) MB | $(mib "$p_reg") | $(mib "$l_reg") | $(mib "$p_lay") | $(mib "$l_lay") |")
  done
  oci_stop_registry

  log "inspect of the $n-item package (best of $RUNS)"
  local ours theirs="" pyver="?"
  ours=$(best_wall oci-inspect-stacpkg "'$BIN' inspect '$work/base.pkg' >/dev/null") || die "inspect failed"
  read -r _ ours_rss < <(cmd_rss "$BIN" inspect "$work/base.pkg")
  if [ -x "$PYSTACPKG" ]; then
    pyver=$("$(dirname "$PYSTACPKG")/python" -c 'import importlib.metadata as m; print(m.version("stacpkg"))' 2>/dev/null || echo "?")
    theirs=$(best_wall oci-inspect-pystacpkg "'$PYSTACPKG' inspect '$work/base.pkg' >/dev/null") || theirs=""
    [ -n "$theirs" ] && read -r _ theirs_rss < <(cmd_rss "$PYSTACPKG" inspect "$work/base.pkg")
  fi
  local load_after
  load_after=$(cut -d' ' -f1-3 /proc/loadavg)

  {
    echo "## oci: push / pull / inspect"
    echo
    echo "- date: $(date -u +%Y-%m-%dT%H:%M:%SZ); commit: $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$ROOT" diff --quiet 2>/dev/null || echo ' (dirty)')"
    echo "- machine: $(machine_info); load average (1/5/15 min) before: $load_before, after: $load_after"
    echo "- package: $(fmt_n "$n") items (\`scripts/gen-items --seed $SEED\`, \`build --no-probe-metadata\`) + $parts copied assets of $((part_bytes / 1000000)) MB (random bytes) = $(fmt_n "$pkg_bytes") bytes in $((parts + 2)) files"
    echo "- registry: Debian \`docker-registry\` $(dpkg-query -W -f '${Version}' docker-registry 2>/dev/null || echo '?') on 127.0.0.1 (filesystem storage on the same disk), \`--plain-http\`; layout: \`oci:DIR:TAG\` on the same disk"
    echo "- each push goes to a new repository / layout, so every blob is sent; push hashes every file first (OCI descriptors need the digest), so it reads the data twice"
    echo "- timing: /usr/bin/time, best of $RUNS; peak RSS: the largest GNU time %M of those runs; MB = 10^6 bytes"
    echo
    echo "| transfer | bytes | wall | MB/s | peak RSS |"
    echo "|---|---:|---:|---:|---:|"
    printf '%s\n' "${rows[@]}"
    echo
    echo "Peak RSS by blob size (one asset of that size + the $(fmt_n "$n")-item tables):"
    echo
    echo "| blob | push → registry | pull ← registry | push → layout | pull ← layout |"
    echo "|---|---:|---:|---:|---:|"
    printf '%s\n' "${rss_rows[@]}"
    echo
    echo "Inspect of the $(fmt_n "$n")-item package (\`inspect PKG > /dev/null\`, yaml):"
    echo
    echo "| tool | wall (best of $RUNS) | peak RSS | speed-up |"
    echo "|---|---:|---:|---:|"
    echo "| stacpkg (Rust) | ${ours} s | $(mib "$ours_rss") | $([ -n "$theirs" ] && awk -v a="$theirs" -v b="$ours" 'BEGIN{ if (b > 0) printf "%.0f×", a/b; else print "n/a" }' || echo '–') (target ≥ 20×) |"
    if [ -n "$theirs" ]; then
      echo "| Python stacpkg $pyver | ${theirs} s | $(mib "$theirs_rss") | 1× |"
    else
      echo "| Python stacpkg | skipped ($PYSTACPKG not found; run bash scripts/test) | | |"
    fi
  } >"$report"
  cat "$report"
  log "wrote ${report#"$ROOT"/}"
}
