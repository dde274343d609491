# shellcheck shell=bash
# Helpers to run the example Worker under `wrangler dev --local`, sourced by
# scripts/e2e.sh and scripts/d1-bench.sh (not a command of its own).
#
#   start_wrangler STATE LOG [wrangler args...]   # sets WRANGLER_PID and BASE; 1 if not ready
#   stop_wrangler                                 # stops what start_wrangler started
#
# wrangler runs the build command of wrangler.toml first (scripts/worker-build.sh, which
# honours ROOST_WORKER_FEATURES, builds in the crate's one target folder and is a no-op
# when its output is current); WORKER_TARGET, when set, moves that target folder.

WRANGLER_PID=""
BASE=""

# Start `wrangler dev --local` on 127.0.0.1 and a free port over the local D1 state in
# STATE, its output in LOG, and wait (up to ~5 minutes: the build runs first) for /health.
start_wrangler() {
  local state=$1 logfile=$2
  shift 2
  local port
  port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  local target=()
  if [[ -n ${WORKER_TARGET:-} ]]; then target=("CARGO_TARGET_DIR=$WORKER_TARGET"); fi
  env "${target[@]}" setsid wrangler dev --local \
    --ip 127.0.0.1 --port "$port" --persist-to "$state" \
    --show-interactive-dev-session=false "$@" >"$logfile" 2>&1 </dev/null &
  WRANGLER_PID=$!
  BASE=http://127.0.0.1:$port
  for _ in $(seq 1 600); do
    if ! kill -0 "$WRANGLER_PID" 2>/dev/null; then return 1; fi
    if python3 -c "import urllib.request,sys; urllib.request.urlopen(sys.argv[1], timeout=2)" "$BASE/health" 2>/dev/null; then
      return 0
    fi
    sleep 0.5
  done
  return 1
}

# Stop the wrangler started above: it leads its own process group (setsid), so stop the
# group it leads (wrangler, its workerd and esbuild children), by its PID.
stop_wrangler() {
  if [[ -n $WRANGLER_PID ]] && kill -0 "$WRANGLER_PID" 2>/dev/null; then
    kill -TERM -- "-$WRANGLER_PID" 2>/dev/null || kill -TERM "$WRANGLER_PID" 2>/dev/null || true
    for _ in $(seq 1 50); do
      kill -0 "$WRANGLER_PID" 2>/dev/null || break
      sleep 0.2
    done
    kill -KILL -- "-$WRANGLER_PID" 2>/dev/null || true
    wait "$WRANGLER_PID" 2>/dev/null || true
  fi
  WRANGLER_PID=""
}
