#!/usr/bin/env bash
# The Workers' wasm sizes, raw and gzipped, as the Markdown table of README.md's "Size"
# section: a bare `worker` hello world (examples/worker-bare), the example app with
# roost-orm (examples/worker, without its test-only `e2e` feature), and the difference,
# which is what roost-orm and the app add.
#
#   scripts/wasm-size.sh              # build both (scripts/worker-build.sh, cached), print
#   scripts/wasm-size.sh --no-build   # measure what is in examples/*/build
#   scripts/wasm-size.sh --write      # ... and rewrite README.md between the size markers
#   scripts/wasm-size.sh --check      # fail when README.md's table is more than 3% off a
#                                     # fresh measurement (when it names this rustc), or
#                                     # the added gzip size is over the budget
#                                     # (ROOST_WASM_BUDGET_KIB, 192 KiB)
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
BUILD=1 MODE="print"
for arg in "$@"; do
  case $arg in
    --no-build) BUILD="" ;;
    --write) MODE="write" ;;
    --check) MODE="check" ;;
    *) echo "usage: scripts/wasm-size.sh [--no-build] [--write | --check]" >&2; exit 2 ;;
  esac
done
BUDGET_KIB=${ROOST_WASM_BUDGET_KIB:-192}
TOLERANCE_PCT=3

bash scripts/setup-worker.sh >/dev/null
# shellcheck disable=SC1091
. "${ROOST_TOOLS:-$HOME/.cache/roost-orm-tools}/env.sh"

build() { # crate folder
  local log
  log=$(mktemp)
  # The plain build (no ROOST_WORKER_FEATURES): what is deployed. In the crate's one
  # target folder, shared with `wrangler dev` and scripts/e2e.sh (scripts/worker-build.sh).
  if ! (unset ROOST_WORKER_FEATURES
    bash scripts/worker-build.sh "examples/$1") >"$log" 2>&1; then
    tail -n 40 "$log" >&2
    rm -f "$log"
    echo "build of examples/$1 failed" >&2
    exit 1
  fi
  rm -f "$log"
}
if [[ -n $BUILD ]]; then
  build worker-bare
  build worker
fi
for c in worker-bare worker; do
  [[ -f examples/$c/build/index_bg.wasm ]] || { echo "missing examples/$c/build/index_bg.wasm: run without --no-build" >&2; exit 1; }
done

RUSTC=$(rustc --version)
WORKER_BUILD=$(worker-build --version 2>/dev/null | tail -n 1)
WASM_OPT=$("${WASM_OPT_BIN:-wasm-opt}" --version 2>/dev/null | head -n 1)
TABLE=$(python3 - "$RUSTC" "$WORKER_BUILD" "$WASM_OPT" <<'PY'
import subprocess, sys
rustc, worker_build, wasm_opt = sys.argv[1:4]
def size(crate):
    path = f"examples/{crate}/build/index_bg.wasm"
    data = open(path, "rb").read()
    gz = subprocess.run(["gzip", "-9", "-n", "-c", path], capture_output=True, check=True).stdout
    return len(data), len(gz)
bare, app = size("worker-bare"), size("worker")
added = (app[0] - bare[0], app[1] - bare[1])
kib = lambda b: f"{b / 1024:.0f} KiB"
print(f"Measured by `scripts/wasm-size.sh` with {rustc},")
print(f"worker-build {worker_build} (`--release`, `opt-level = \"z\"`, LTO, one codegen unit; its")
print(f"wasm-opt step off), then {wasm_opt} `-Oz` without the names section")
print("(`scripts/worker-build.sh`).")
print()
print("| Worker | wasm (bytes) | wasm | gzip -9 (bytes) | gzip -9 |")
print("|---|---:|---:|---:|---:|")
for label, (raw, gz) in [
    ("bare `worker` hello world (examples/worker-bare)", bare),
    ("example app with roost-orm (examples/worker)", app),
    ("added by roost-orm and the app (difference)", added),
]:
    print(f"| {label} | {raw} | {kib(raw)} | {gz} | {kib(gz)} |")
PY
)

BEGIN="<!-- size:begin -->" END="<!-- size:end -->"
case $MODE in
  print) echo "$TABLE" ;;
  write)
    echo "$TABLE"
    python3 - README.md "$TABLE" "$BEGIN" "$END" <<'PY'
import sys
path, table, begin, end = sys.argv[1:5]
text = open(path).read()
if begin not in text or end not in text:
    sys.exit(f"{path}: no {begin} ... {end} markers")
head, rest = text.split(begin, 1)
_, tail = rest.split(end, 1)
open(path, "w").write(f"{head}{begin}\n{table}\n{end}{tail}")
print(f"wrote the size table into {path}", file=sys.stderr)
PY
    ;;
  check)
    echo "$TABLE"
    python3 - README.md "$TABLE" "$BEGIN" "$END" "$TOLERANCE_PCT" "$BUDGET_KIB" "$RUSTC" <<'PY'
import sys
path, table, begin, end, tolerance, budget, rustc = sys.argv[1:8]
tolerance, budget = float(tolerance), float(budget)
def rows(text):
    """label -> (raw bytes, gzip bytes) of each table row."""
    found = {}
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 5 and cells[1].isdigit() and cells[3].lstrip("-").isdigit():
            found[cells[0]] = (int(cells[1]), int(cells[3]))
    return found
text = open(path).read()
if begin not in text or end not in text:
    sys.exit(f"{path}: no {begin} ... {end} markers: run scripts/wasm-size.sh --write")
block = text.split(begin, 1)[1].split(end, 1)[0]
readme = rows(block)
fresh = rows(table)
failures = []
# Another compiler gives other bytes (Debian's rustc 1.96 about 4% fewer than rustup's
# 1.95): the table is compared only when it was measured with this one.
same_toolchain = rustc in block
if not same_toolchain:
    print(f"wasm size check: README's table was not measured with {rustc}; "
          "checking the budget only", file=sys.stderr)
for label, (raw, gz) in (fresh.items() if same_toolchain else []):
    if label not in readme:
        failures.append(f"README has no row {label!r}")
        continue
    for what, old, new in [("wasm", readme[label][0], raw), ("gzip", readme[label][1], gz)]:
        drift = abs(new - old) / max(abs(old), 1) * 100
        if drift > tolerance:
            failures.append(f"{label}, {what}: README {old}, measured {new} ({drift:.1f}% off)")
added_gz = next(gz for label, (_, gz) in fresh.items() if label.startswith("added"))
if added_gz > budget * 1024:
    failures.append(f"roost-orm and the app add {added_gz / 1024:.1f} KiB gzipped, over the {budget:.0f} KiB budget")
if failures:
    print("wasm size check failed:", *failures, sep="\n  ", file=sys.stderr)
    if any("% off" in f for f in failures):
        print("(if the change is meant, run scripts/wasm-size.sh --write and commit README.md)",
              file=sys.stderr)
    sys.exit(1)
print(f"wasm size check: README within {tolerance:.0f}% of the build; "
      f"added {added_gz / 1024:.1f} KiB gzipped (budget {budget:.0f} KiB)", file=sys.stderr)
PY
    ;;
esac
