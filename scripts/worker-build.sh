#!/usr/bin/env bash
# Release build of a Worker crate: worker-build (cargo + wasm-bindgen + the JS shim),
# then one `wasm-opt -Oz` pass that also drops the wasm's names section.
#
#   scripts/worker-build.sh examples/worker        # what wrangler.toml's [build] runs
#   scripts/worker-build.sh examples/worker-bare   # the size baseline
#   ROOST_WORKER_FEATURES=e2e scripts/worker-build.sh examples/worker   # + probes, /bench
#
# worker-build's own wasm-opt step (`-O`) always keeps the names section (it passes
# `--debuginfo`); the names are about a fifth of the module and only label stack traces,
# so the crates turn that step off (`wasm-opt = false` in their Cargo.toml) and this
# script runs wasm-opt itself. Needs worker-build and wasm-opt on PATH (or WASM_OPT_BIN),
# as scripts/setup-worker.sh's env.sh sets them.
#
# One target folder per crate, whoever builds it: `wrangler dev` (through wrangler.toml),
# scripts/e2e.sh, scripts/wasm-size.sh. Unless CARGO_TARGET_DIR is set, the crate builds
# in "${ROOST_WORKER_TARGET_DIR:-$ROOST_TOOLS/target}/<crate folder name>", so following
# the README and then running the e2e compiles the dependencies once.
#
# Up to date is a no-op: the digest of every input (both crates' sources and manifests,
# the lock file, the features, RUSTFLAGS, the tools' versions, this script) and of the
# outputs is kept in build/.roost-build; when both still match, nothing runs. That
# matters because `wrangler dev` runs this command twice on every start (before serving,
# and again when its file watcher is ready) and worker-build re-runs wasm-bindgen and the
# shim even when cargo has nothing to do. ROOST_WORKER_REBUILD=1 builds regardless.
set -euo pipefail

CRATE=${1:?usage: scripts/worker-build.sh <crate folder>}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
SELF="$ROOT/scripts/$(basename "$0")"
cd "$CRATE"
CRATE_DIR=$(pwd)
TOOLS=${ROOST_TOOLS:-$HOME/.cache/roost-orm-tools}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-${ROOST_WORKER_TARGET_DIR:-$TOOLS/target}/$(basename "$CRATE_DIR")}
WASM_OPT=${WASM_OPT_BIN:-$(command -v wasm-opt || true)}
STAMP=build/.roost-build

inputs_digest() {
  {
    printf 'features=%s\nrustflags=%s\n' "${ROOST_WORKER_FEATURES:-}" "${RUSTFLAGS:-}"
    rustc -vV
    worker-build --version 2>&1
    [[ -z $WASM_OPT ]] || "$WASM_OPT" --version
    find "$ROOT/src" "$ROOT/Cargo.toml" "$CRATE_DIR" \
      \( -path "$CRATE_DIR/build" -o -path "$CRATE_DIR/target" \) -prune -o -type f -print |
      LC_ALL=C sort | xargs sha256sum
    sha256sum "$SELF"
  } | sha256sum | cut -d' ' -f1
}
outputs_digest() {
  (cd build && find . -type f ! -name "$(basename "$STAMP")" | LC_ALL=C sort | xargs sha256sum) |
    sha256sum | cut -d' ' -f1
}

INPUTS=$(inputs_digest)
if [[ -z ${ROOST_WORKER_REBUILD:-} && -f $STAMP && -f build/index_bg.wasm ]] &&
  [[ $(cat "$STAMP") == "$INPUTS $(outputs_digest)" ]]; then
  echo "worker-build.sh: $CRATE is up to date (features: ${ROOST_WORKER_FEATURES:-none}); nothing to do"
  exit 0
fi
rm -f "$STAMP"

extra=()
if [[ -n ${ROOST_WORKER_FEATURES:-} ]]; then
  extra=(-- --features "$ROOST_WORKER_FEATURES")
fi
worker-build --release "${extra[@]}"

if [[ -z $WASM_OPT ]]; then
  echo "worker-build.sh: no wasm-opt (set WASM_OPT_BIN); build/index_bg.wasm is unoptimized" >&2
  exit 0
fi
# The features worker-build enables (what workerd supports), nothing newer.
features=()
for f in mutable-globals sign-ext nontrapping-float-to-int bulk-memory multivalue \
  reference-types exception-handling; do
  features+=("--enable-$f")
done
"$WASM_OPT" build/index_bg.wasm -o build/index_bg.opt.wasm -Oz "${features[@]}" \
  --strip-debug --strip-producers
mv build/index_bg.opt.wasm build/index_bg.wasm
echo "$INPUTS $(outputs_digest)" >"$STAMP"
