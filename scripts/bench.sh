#!/usr/bin/env bash
# Run every benchmark several times, each run a process of its own, and write one report:
# roost-orm against raw rusqlite (→ map and → struct) case by case (benches/orm), the
# peer comparison against SeaORM, sqlx and Diesel (benches/peers, its own crate), the peak
# RSS of a 100,000-row fetch (benches/rss.rs, a fresh process per measurement) and, with
# valgrind installed, the instruction counts of scripts/instructions.sh.
#
#   scripts/bench.sh                     # everything, BENCH_RUNS (default 5) runs
#   scripts/bench.sh --runs 3            # fewer process runs (at least 3)
#   scripts/bench.sh --no-peers          # without the peer crate
#   scripts/bench.sh --no-instructions   # without callgrind
#
# Each process times every variant of a case with interleaved samples (benches/orm/
# harness.rs; ROOST_BENCH_WARMUP_MS, ROOST_BENCH_SAMPLES, ROOST_BENCH_SAMPLE_MS change its
# settings) and writes JSON lines; scripts/bench-report.py summarises them over the runs
# as min / median / max and names the run conditions (machine, rustc, date, load average,
# how busy the rest of the machine was). The report replaces the text between the
# `bench:begin` / `bench:end` markers of docs/benchmarks.md and of the README's "Speed"
# section (a shorter version there).
#
# Time on the 2-core VM, builds cached: about 10 minutes for 5 runs (about 90 s per run
# of orm + peers + the lone fetches, half a minute of RSS processes, one to two minutes
# of callgrind). A cold
# build of the peer crate adds several minutes. Benchmarks never run in CI
# (`cargo test --benches` runs each case once, untimed).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target}"

runs=${BENCH_RUNS:-5}
peers=1
instructions=1
while [ $# -gt 0 ]; do
    case "$1" in
        --no-peers) peers=0 ;;
        --no-instructions) instructions=0 ;;
        --runs) runs=$2; shift ;;
        *) echo "unknown argument: $1" >&2; exit 2 ;;
    esac
    shift
done
if [ "$runs" -lt 3 ]; then
    echo "--runs: at least 3 process runs (min / median / max need them)" >&2
    exit 2
fi

started=$(date +%s)
started_at=$(date -u '+%Y-%m-%d %H:%M')
load_start=$(cut -d' ' -f1 /proc/loadavg)
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

# The executable of bench target $1, built in the current directory's package.
bench_exe() {
    cargo bench --bench "$1" --no-run --message-format=json 2>/dev/null |
        python3 -c 'import json, sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m["target"]["name"] == sys.argv[1] and m.get("executable"):
        print(m["executable"])' "$1"
}

echo "== build" >&2
cargo bench --no-run --bench orm --bench rss >&2
orm_bin=$(bench_exe orm)
rss_bin=$(bench_exe rss)
if [ "$peers" = 1 ]; then
    (cd benches/peers && cargo bench --no-run >&2)
    peers_bin=$(cd benches/peers && bench_exe peers)
fi

for i in $(seq 1 "$runs"); do
    echo "== run $i/$runs: benches/orm" >&2
    ROOST_BENCH_JSON="$out/orm-$i.jsonl" "$orm_bin" --bench >&2
    if [ "$peers" = 1 ]; then
        echo "== run $i/$runs: benches/peers" >&2
        ROOST_BENCH_JSON="$out/peers-$i.jsonl" "$peers_bin" --bench >&2
    fi
    # The 1,000-row fetch once more, each variant alone in a fresh process: no other
    # variant shapes its heap, so the allocator's behaviour (trimming and re-faulting the
    # heap on every fetch, or not) is that variant's own.
    echo "== run $i/$runs: 1,000-row fetch, each variant alone" >&2
    for variant in raw_map raw_struct orm orm_typed orm_lazy_by_id orm_chunk_by_id; do
        ROOST_BENCH_VARIANT=$variant ROOST_BENCH_JSON="$out/alone-$i.jsonl" \
            "$orm_bin" --bench fetch_1000 >&2
    done
done

echo "== peak RSS of a 100,000-row fetch (benches/rss.rs), a fresh process each" >&2
for i in $(seq 1 "$runs"); do
    for variant in raw_map raw_struct orm orm_typed orm_lazy_by_id orm_chunk_by_id; do
        ROOST_BENCH_JSON="$out/rss.jsonl" "$rss_bin" --bench "$variant" 100000 >&2
    done
done

if [ "$instructions" = 1 ] && command -v valgrind >/dev/null; then
    echo "== instruction counts (scripts/instructions.sh)" >&2
    bash scripts/instructions.sh | tee "$out/instructions.md" >&2
fi

load_end=$(cut -d' ' -f1 /proc/loadavg)
elapsed=$(($(date +%s) - started))
src_clean=true
git diff --quiet HEAD -- src || src_clean=false
python3 - "$out/meta.json" <<EOF
import json, sys
json.dump({
    "started": "$started_at",
    "elapsed_s": $elapsed,
    "load_start": "$load_start",
    "load_end": "$load_end",
    "rustc": "$(rustc --version)",
    "commit": "$(git rev-parse --short HEAD)",
    "src_clean": $( [ "$src_clean" = true ] && echo True || echo False ),
}, open(sys.argv[1], "w"))
EOF
python3 scripts/bench-report.py "$out"
# The raw results stay beside the build, for a look at what the report summarises.
results="$CARGO_TARGET_DIR/bench-results"
rm -rf "$results" && mkdir -p "$results" && cp "$out"/* "$results"/
cat "$out/report.md"

# The report goes between the markers of docs/benchmarks.md and of the README.
replace_between_markers() {
    local file=$1 report=$2
    awk -v report="$report" '
        /<!-- bench:begin -->/ { print; while ((getline line < report) > 0) print line; skip = 1; next }
        /<!-- bench:end -->/ { skip = 0 }
        !skip { print }
    ' "$file" > "$out/replaced"
    cp "$out/replaced" "$file"
}

doc="$root/docs/benchmarks.md"
if [ -f "$doc" ] && grep -q '<!-- bench:begin -->' "$doc" && grep -q '<!-- bench:end -->' "$doc"; then
    replace_between_markers "$doc" "$out/report.md"
else
    {
        echo "# Benchmarks"
        echo
        echo "<!-- bench:begin -->"
        cat "$out/report.md"
        echo "<!-- bench:end -->"
    } > "$doc"
fi
readme="$root/README.md"
if grep -q '<!-- bench:begin -->' "$readme" && grep -q '<!-- bench:end -->' "$readme"; then
    replace_between_markers "$readme" "$out/report-readme.md"
fi
echo "== done in $((elapsed / 60)) min $((elapsed % 60)) s; report in docs/benchmarks.md and README.md, raw results in $results" >&2
