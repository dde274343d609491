#!/usr/bin/env bash
# End-to-end tests of the example Worker on the real runtime: wrangler dev --local with
# local D1.
#
#   scripts/e2e.sh
#
# 1. installs the tools (scripts/setup-worker.sh; cached, a second run costs seconds);
# 2. builds examples/worker (scripts/worker-build.sh) with its `e2e` feature (the probes);
# 3. migrations, both ways round, on throw-away local D1 state:
#    - `wrangler d1 migrations apply DB --local` (twice: the second is a no-op), then
#      roost-orm's runner on the same database finds nothing pending;
#    - roost-orm's runner first on a fresh database, then wrangler finds nothing to
#      apply; both databases have the same schema;
# 4. seeds tests/e2e/seed.sql, starts `wrangler dev --local` on 127.0.0.1 and a free
#    port, waits for /health, drives every endpoint (tests/e2e/driver.py), stops
#    wrangler by its PID, and checks the stored rows. This run also serves the fail-closed
#    probes (E2E_PROBES=true, examples/worker/src/probes.rs): a misspelled column on a
#    model without COLUMNS, a tenant column that is not an identifier, and what D1 does
#    with an unknown double-quoted name (docs/d1-dqs.md);
# 5. the `database` tenant strategy: migrates and seeds the shared database and one per
#    tenant (DB_TENANT_ACME, DB_TENANT_GLOBEX), runs the Worker again with
#    DATABASE_TENANT_STRATEGY=database (strict), drives it, and checks that each
#    tenant's reads and writes went to its own database.
# Prints "N passed, M failed" last; exits non-zero on any failure.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
T0=$(date +%s)
log() { printf '[e2e %4ss] %s\n' "$(($(date +%s) - T0))" "$*"; }

ORIG_PATH=$PATH # the host toolchain, for the native migrate example
bash scripts/setup-worker.sh >/dev/null
# shellcheck disable=SC1091
. "${ROOST_TOOLS:-$HOME/.cache/roost-orm-tools}/env.sh"
log "tools ready"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/roost-e2e.XXXXXX")
STATE=$WORK/results.json
DRIVER=(python3 "$ROOT/tests/e2e/driver.py" --state "$STATE")
SUMMARY_DONE=""

# shellcheck source=scripts/worker-serve.sh
. "$ROOT/scripts/worker-serve.sh" # start_wrangler, stop_wrangler

cleanup() {
  local rc=$?
  stop_wrangler
  if [[ $rc -ne 0 ]]; then
    if [[ -f $WORK/dev.log ]]; then
      echo "---- wrangler dev log (last 40 lines) ----"
      tail -n 40 "$WORK/dev.log" || true
      echo "----"
    fi
    if [[ -z $SUMMARY_DONE ]]; then
      record "e2e script ran to the end" fail "exit status $rc" || true
    fi
    "${DRIVER[@]}" summary || true # the count, last
  fi
  rm -rf "$WORK"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

record() { "${DRIVER[@]}" record "$@"; }

# The e2e build: probes compiled in. Exported, so `wrangler dev`'s build command (the
# same script, from wrangler.toml) builds the same. scripts/worker-build.sh builds in the
# crate's one target folder in the tool cache, the one the README's `wrangler dev` and
# scripts/wasm-size.sh use too, and does nothing when build/ is already this build.
export ROOST_WORKER_FEATURES=e2e

# -- build ------------------------------------------------------------------------------
if ! bash scripts/worker-build.sh examples/worker >"$WORK/build.log" 2>&1; then
  tail -n 60 "$WORK/build.log"
  echo "worker-build failed"
  exit 1
fi
log "worker built ($(wc -c <examples/worker/build/index_bg.wasm) bytes of wasm)"

# -- migrations -------------------------------------------------------------------------
d1() { wrangler d1 "$@"; }
db_file() { # the local D1 SQLite file under a --persist-to folder
  find "$1/v3/d1" -name '*.sqlite' ! -name metadata.sqlite | head -n 1
}
# roost-orm's runner on a SQLite file: the root crate's `migrate` example, native.
migrate() { env PATH="$ORIG_PATH" cargo run --quiet --example migrate -- "$@"; }

PW=$WORK/state-wrangler
out=$(d1 migrations apply DB --local --persist-to "$PW" 2>&1) || true
missing=""
for f in migrations/*.sql; do
  grep -q "$(basename "$f")" <<<"$out" || missing="$missing $(basename "$f")"
done
if [[ -z $missing ]] && ! grep -q "❌" <<<"$out"; then
  record "wrangler d1 migrations apply --local: every file" ok
else
  record "wrangler d1 migrations apply --local: every file" fail "missing:$missing $(tail -n 20 <<<"$out")"
fi
out=$(d1 migrations apply DB --local --persist-to "$PW" 2>&1) || true
if grep -q "No migrations to apply" <<<"$out"; then
  record "wrangler: applying twice is a no-op" ok
else
  record "wrangler: applying twice is a no-op" fail "$(tail -n 20 <<<"$out")"
fi
DBW=$(db_file "$PW")
if out=$(migrate "$DBW" migrations --check 2>&1); then
  record "roost-orm runner: nothing pending after wrangler" ok "$out"
else
  record "roost-orm runner: nothing pending after wrangler" fail "$out"
fi

PR=$WORK/state-roost
d1 execute DB --local --persist-to "$PR" --command "SELECT 1" >/dev/null 2>&1
DBR=$(db_file "$PR")
if out=$(migrate "$DBR" migrations 2>&1) && grep -q "applied now" <<<"$out"; then
  record "roost-orm runner applies the folder" ok
else
  record "roost-orm runner applies the folder" fail "$out"
fi
if out=$(d1 migrations apply DB --local --persist-to "$PR" 2>&1) && grep -q "No migrations to apply" <<<"$out"; then
  record "wrangler: nothing to apply after roost-orm" ok
else
  record "wrangler: nothing to apply after roost-orm" fail "$(tail -n 20 <<<"$out")"
fi
"${DRIVER[@]}" same-schema --db "$DBW" --db "$DBR"
log "migrations checked"

d1 execute DB --local --persist-to "$PW" --file tests/e2e/seed.sql >"$WORK/seed.log" 2>&1 \
  || { cat "$WORK/seed.log"; exit 1; }

# -- serve ------------------------------------------------------------------------------
# Start `wrangler dev --local` on a free port over the local D1 state in $1 (more
# arguments go to wrangler), wait for /health, and set BASE.
serve() {
  if ! start_wrangler "$1" "$WORK/dev.log" "${@:2}"; then
    record "wrangler dev ready" fail "no answer on $BASE/health"
    exit 1
  fi
  log "wrangler dev ready on $BASE (pid $WRANGLER_PID)"
}

serve "$PW" --var E2E_PROBES:true
"${DRIVER[@]}" http --base "$BASE"
log "endpoints driven"
stop_wrangler
log "wrangler stopped"

"${DRIVER[@]}" db --db "$DBW"

# -- the `database` tenant strategy -------------------------------------------------------
# The shared database names the orgs (plus umbrella, which has no database of its own);
# acme and globex get their own, different data. Strict: a missing binding is an error,
# so a fallback to the shared database cannot pass for the tenant's.
PD=$WORK/state-database
for binding in DB DB_TENANT_ACME DB_TENANT_GLOBEX; do
  d1 migrations apply "$binding" --local --persist-to "$PD" >"$WORK/migrate-$binding.log" 2>&1 \
    || { cat "$WORK/migrate-$binding.log"; exit 1; }
done
seed() { d1 execute "$1" --local --persist-to "$PD" "${@:2}" >"$WORK/seed-$1.log" 2>&1 || { cat "$WORK/seed-$1.log"; exit 1; }; }
seed DB --file tests/e2e/seed.sql
seed DB --command "INSERT INTO organizations (id, slug, name, created_at, updated_at) VALUES (3, 'umbrella', 'Umbrella', '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z')"
seed DB_TENANT_ACME --file tests/e2e/seed-tenant-acme.sql
seed DB_TENANT_GLOBEX --file tests/e2e/seed-tenant-globex.sql
log "per-tenant databases migrated and seeded"

serve "$PD" --var DATABASE_TENANT_STRATEGY:database --var DATABASE_STRICT_TENANT_BINDING:true
"${DRIVER[@]}" http-database --base "$BASE"
stop_wrangler
log "database strategy driven"

# Rows where they belong: the new post in Acme's database only.
posts_in() {
  d1 execute "$1" --local --persist-to "$PD" --json --command "SELECT count(*) AS n FROM posts" 2>/dev/null |
    python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["results"][0]["n"])'
}
got="DB=$(posts_in DB) DB_TENANT_ACME=$(posts_in DB_TENANT_ACME) DB_TENANT_GLOBEX=$(posts_in DB_TENANT_GLOBEX)"
if [[ $got == "DB=5 DB_TENANT_ACME=2 DB_TENANT_GLOBEX=2" ]]; then
  record "database strategy: each write stored in its tenant's database" ok "$got"
else
  record "database strategy: each write stored in its tenant's database" fail "$got"
fi

log "done"
SUMMARY_DONE=1
"${DRIVER[@]}" summary
