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
# script runs wasm-opt itself. CARGO_TARGET_DIR is honoured. Needs worker-build and
# wasm-opt on PATH (or WASM_OPT_BIN), as scripts/setup-worker.sh's env.sh sets them.
set -euo pipefail

CRATE=${1:?usage: scripts/worker-build.sh <crate folder>}
cd "$CRATE"
extra=()
if [[ -n ${ROOST_WORKER_FEATURES:-} ]]; then
  extra=(-- --features "$ROOST_WORKER_FEATURES")
fi
worker-build --release "${extra[@]}"

WASM_OPT=${WASM_OPT_BIN:-$(command -v wasm-opt || true)}
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
