#!/usr/bin/env bash
# Instruction counts of the two targeted cases, raw rusqlite against roost-orm, under
# callgrind (benches/instructions.rs says why: they hold still where timings don't).
#
#   scripts/instructions.sh
#
# Needs valgrind (`apt-get install valgrind`). Takes about a minute. Never run in CI.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v valgrind >/dev/null || { echo "valgrind is not installed (apt-get install valgrind)" >&2; exit 1; }

cargo bench --bench instructions --no-run 2>/dev/null
bin=$(cargo bench --bench instructions --no-run --message-format=json 2>/dev/null |
    python3 -c 'import json,sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m["target"]["name"] == "instructions" and m.get("executable"):
        print(m["executable"])')
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

# Instructions inside the case's loop, per operation.
count() {
    local case=$1 ops=$2
    valgrind --tool=callgrind --toggle-collect="instructions::$case" \
        --callgrind-out-file="$out/$case" "$bin" "$case" >/dev/null 2>&1
    local total
    total=$(grep -m1 '^summary:' "$out/$case" | awk '{print $2}')
    echo $((total / ops))
}

printf '| case | raw rusqlite | roost-orm | orm / raw |\n|---|---:|---:|---:|\n'
for pair in "find:100000:find by primary key" "fetch:100:fetch 1,000 rows into instances"; do
    IFS=: read -r name ops label <<< "$pair"
    raw=$(count "${name}_raw" "$ops")
    orm=$(count "${name}_orm" "$ops")
    ratio=$(python3 -c "print(f'{$orm / $raw:.2f}')")
    printf '| %s | %s | %s | %s× |\n' "$label" "$raw" "$orm" "$ratio"
done
