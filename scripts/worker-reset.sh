#!/usr/bin/env bash
# Resets the example Worker's local D1 databases to a known state: deletes them, applies
# migrations/ and loads the seed (two organizations, acme and globex, with users, posts
# and comments), so it can be run any number of times.
#
#   scripts/worker-reset.sh                  # fresh schema + seed, in .wrangler/state
#   scripts/worker-reset.sh --empty          # fresh schema, no rows
#   scripts/worker-reset.sh --persist-to DIR # another state folder (as wrangler's flag)
#
# The state is what `wrangler dev --local` and `wrangler d1 ... --local` read (wrangler's
# default folder, .wrangler/state, unless --persist-to says otherwise); stop a running
# `wrangler dev` first. Needs wrangler on PATH (scripts/setup-worker.sh's env.sh).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
STATE=.wrangler/state
SEED=tests/e2e/seed.sql
while [[ $# -gt 0 ]]; do
  case $1 in
    --empty) SEED="" ;;
    --persist-to) STATE=${2:?--persist-to needs a folder}; shift ;;
    *) echo "usage: scripts/worker-reset.sh [--empty] [--persist-to DIR]" >&2; exit 2 ;;
  esac
  shift
done
command -v wrangler >/dev/null || {
  echo "worker-reset.sh: no wrangler on PATH: run scripts/setup-worker.sh && . ~/.cache/roost-orm-tools/env.sh" >&2
  exit 1
}

# Local D1 keeps each database as a SQLite file under $STATE/v3/d1; nothing else there.
rm -rf "$STATE/v3/d1"
wrangler d1 migrations apply DB --local --persist-to "$STATE" >/dev/null
files=(migrations/*.sql)
echo "worker-reset.sh: $STATE: DB migrated (${#files[@]} files)"
if [[ -n $SEED ]]; then
  wrangler d1 execute DB --local --persist-to "$STATE" --file "$SEED" >/dev/null
  echo "worker-reset.sh: $STATE: DB seeded from $SEED"
fi
