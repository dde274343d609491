#!/usr/bin/env bash
# Size of the example Worker's wasm (raw and gzipped) beside a bare `worker` hello-world
# handler, both built by worker-build --release (wasm-opt included), as a Markdown table.
#
#   scripts/wasm-size.sh              # build both (cached), then measure
#   scripts/wasm-size.sh --no-build   # measure what is in examples/*/build
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
BUILD=1
[[ ${1:-} == --no-build ]] && BUILD=""

if [[ -n $BUILD ]]; then
  bash scripts/setup-worker.sh >/dev/null
  # shellcheck disable=SC1091
  . "${ROOST_TOOLS:-$HOME/.cache/roost-orm-tools}/env.sh"
fi

size_row() { # label, crate folder
  local wasm=examples/$2/build/index_bg.wasm
  if [[ -n $BUILD ]]; then
    (cd "examples/$2" && CARGO_TARGET_DIR=$ROOST_TOOLS/target/$2 worker-build --release) \
      >/tmp/roost-wasm-size-$$.log 2>&1 || { tail -n 40 /tmp/roost-wasm-size-$$.log; exit 1; }
    rm -f /tmp/roost-wasm-size-$$.log
  fi
  [[ -f $wasm ]] || { echo "missing $wasm: run without --no-build" >&2; exit 1; }
  local raw gz
  raw=$(wc -c <"$wasm")
  gz=$(gzip -9 -c "$wasm" | wc -c)
  kib() { awk -v b="$1" 'BEGIN { printf "%.0f KiB", b / 1024 }'; }
  printf '| %s | %s | %s | %s | %s |\n' "$1" "$raw" "$(kib "$raw")" "$gz" "$(kib "$gz")"
}

echo "| Worker | wasm (bytes) | wasm | gzip -9 (bytes) | gzip -9 |"
echo "|---|---:|---:|---:|---:|"
size_row "bare \`worker\` hello world (examples/worker-bare)" worker-bare
size_row "example app with roost-orm (examples/worker)" worker
