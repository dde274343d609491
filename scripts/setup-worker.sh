#!/usr/bin/env bash
# Installs what building and running the example Worker needs, into a tool cache outside
# the repository, and prints the environment to use (also written to "$ROOST_TOOLS/env.sh").
#
#   scripts/setup-worker.sh            # install (or check) everything
#   . "${ROOST_TOOLS:-$HOME/.cache/roost-orm-tools}/env.sh"
#
# Needs, checked first (one line names whatever is missing): cargo (the host Rust
# toolchain), Node.js >= 20.3 with npm (wrangler, binaryen), Python 3 (scripts/e2e.sh's
# driver and worker-serve.sh), and, only on the Debian route below, apt-get with root or
# sudo.
#
# Route:
#   * rustup's wasm32-unknown-unknown target when it is installed or `rustup target add` can
#     install it;
#   * otherwise Debian's rustc-web (plus its std sources and a matching lld), with a wasm32
#     std built once with -Zbuild-std into a private sysroot and a `rustc` wrapper that
#     points at it.
#   A failed `rustup target add` (it waits up to 60 s where rustup's server can't be
#   reached) is remembered in "$ROOST_TOOLS/rustup-target-unavailable" for that rustup
#   toolchain only, and every run that honours it says so; ROOST_WASM_ROUTE=rustup (or
#   deleting the file) tries rustup again, ROOST_WASM_ROUTE=debian skips rustup.
# Then, whatever the route: wasm-bindgen-cli (the version the Worker's Cargo.lock pins) and
# worker-build from crates.io, wrangler and binaryen from npm. worker-build is told to use
# these instead of downloading its own (WASM_BINDGEN_BIN, ESBUILD_BIN, WASM_OPT_BIN).
# The two `cargo install`s share one target folder (the crates both build the same way
# compile once), worker-build is compiled without optimization (it only drives other
# tools), and npm downloads while they compile.
#
# Every step is skipped when its result is already in the cache, so a second run costs
# about a second. A step that runs longer than a few seconds prints a line every
# ROOST_PROGRESS_EVERY seconds (15): its time so far and what it is doing. Set ROOST_TOOLS
# to move the cache.
set -euo pipefail

WASM_BINDGEN_VERSION=0.2.130
WORKER_BUILD_VERSION=0.8.7
WRANGLER_VERSION=4.86.0
BINARYEN_VERSION=132.0.0

TOOLS=${ROOST_TOOLS:-$HOME/.cache/roost-orm-tools}
mkdir -p "$TOOLS"
TOOLS=$(cd "$TOOLS" && pwd)
TC=$TOOLS/rs-wasm          # private sysroot + rustc wrapper (Debian route only)
BIN=$TOOLS/cargo/bin       # wasm-bindgen, worker-build
NODE_DIR=$TOOLS/node       # wrangler, binaryen (and esbuild, wrangler's dependency)
LOGS=$TOOLS/logs           # each step's full output, kept for the last run
mkdir -p "$LOGS"
PROGRESS_EVERY=${ROOST_PROGRESS_EVERY:-15}

log() { printf '[setup-worker %4ss] %s\n' "$((SECONDS))" "$*" >&2; }

# What a step's log says it is doing: cargo's crate count and current crate, else the
# log's last line.
doing() {
  local logfile=$1 n last
  n=$(grep -c '^ *Compiling ' "$logfile" 2>/dev/null || true)
  if [[ ${n:-0} -gt 0 ]]; then
    last=$(grep '^ *Compiling ' "$logfile" | tail -n 1 | sed 's/^ *Compiling //; s/ (.*//')
    printf '%s crates compiled, now %s' "$n" "$last"
  else
    tail -n 1 "$logfile" 2>/dev/null | cut -c1-80
  fi
}

# Waits for the background process PID (output in LOG), saying every PROGRESS_EVERY
# seconds how long it has run and what it is doing; returns its exit status.
progress_wait() {
  local label=$1 pid=$2 logfile=$3 started=$4 rc=0 waited=0
  while kill -0 "$pid" 2>/dev/null; do
    sleep 1
    waited=$((waited + 1))
    if ((waited % PROGRESS_EVERY == 0)) && kill -0 "$pid" 2>/dev/null; then
      log "  ... $label: $((SECONDS - started)) s, $(doing "$logfile")"
    fi
  done
  wait "$pid" || rc=$?
  return "$rc"
}

# As progress_wait, then says how long the step took; on failure prints the end of its
# log and exits.
await_step() {
  local label=$1 logfile=$3 started=$4 rc=0
  progress_wait "$@" || rc=$?
  if [[ $rc -ne 0 ]]; then
    log "$label failed (exit $rc) after $((SECONDS - started)) s; the end of $logfile:"
    tail -n 30 "$logfile" >&2
    exit 1
  fi
  log "$label: done in $((SECONDS - started)) s"
}

# step LABEL LOGNAME COMMAND...: runs a step with progress, in the foreground.
step() {
  local label=$1 logfile=$LOGS/$2.log started=$SECONDS
  shift 2
  log "$label"
  "$@" >"$logfile" 2>&1 </dev/null &
  await_step "$label" $! "$logfile" "$started"
}

# ---------------------------------------------------------------------------------------
# 0. Prerequisites, all checked before anything is installed.
# ---------------------------------------------------------------------------------------
missing=()
command -v cargo >/dev/null 2>&1 || missing+=("cargo (a Rust toolchain, e.g. from rustup)")
if ! command -v node >/dev/null 2>&1; then
  missing+=("Node.js >= 20.3 (for wrangler)")
elif ! node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 20 || (a === 20 && b >= 3) ? 0 : 1)'; then
  missing+=("Node.js >= 20.3 (for wrangler; this is $(node --version))")
fi
command -v npm >/dev/null 2>&1 || missing+=("npm (installs wrangler and binaryen)")
command -v python3 >/dev/null 2>&1 || missing+=("python3 (the e2e driver and scripts/worker-serve.sh)")
if ((${#missing[@]})); then
  list=$(printf '%s; ' "${missing[@]}")
  log "missing: ${list%; }. Install them, then run this again."
  exit 1
fi

# ---------------------------------------------------------------------------------------
# 1. A Rust toolchain that can build wasm32-unknown-unknown.
# ---------------------------------------------------------------------------------------
# A failed `rustup target add` is remembered for the toolchain it failed with: a new
# toolchain (or ROOST_WASM_ROUTE=rustup) tries again.
MARKER=$TOOLS/rustup-target-unavailable
rm -f "$TOOLS/.rustup-target-unavailable" # the old marker, which held no toolchain
ROUTE=""
WANT=${ROOST_WASM_ROUTE:-auto}
if [[ $WANT == debian ]]; then
  log "ROOST_WASM_ROUTE=debian: not asking rustup"
elif command -v rustup >/dev/null 2>&1; then
  TOOLCHAIN=$(rustc -V 2>/dev/null || echo unknown)
  if rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
    ROUTE=rustup
  elif [[ $WANT != rustup && -f $MARKER ]] && grep -qxF "$TOOLCHAIN" "$MARKER"; then
    log "rustup target add failed for $TOOLCHAIN on $(sed -n 2p "$MARKER"); using the Debian route (ROOST_WASM_ROUTE=rustup, or deleting $MARKER, tries rustup again)"
  else
    started=$SECONDS
    log "rustup target add wasm32-unknown-unknown (up to 60 s)"
    timeout 60 rustup target add wasm32-unknown-unknown >"$LOGS/rustup.log" 2>&1 </dev/null &
    if progress_wait "rustup target add" $! "$LOGS/rustup.log" "$started"; then
      log "rustup target add: done in $((SECONDS - started)) s"
      rm -f "$MARKER"
      ROUTE=rustup
    else
      printf '%s\n%s\n' "$TOOLCHAIN" "$(date -u +%Y-%m-%d)" >"$MARKER"
      log "rustup target add failed after $((SECONDS - started)) s ($(tail -n 1 "$LOGS/rustup.log" | cut -c1-80)); remembered in $MARKER"
    fi
  fi
fi

if [[ -z "$ROUTE" ]]; then
  ROUTE=debian
  log "no rustup wasm32 target: using Debian's rustc-web and a private wasm32 sysroot"
  SUDO=""
  if [[ $(id -u) -ne 0 ]]; then
    if command -v sudo >/dev/null 2>&1; then
      SUDO=sudo
    else
      log "missing: root or sudo (the Debian route installs rustc-web with apt-get). Run as root, install sudo, or install rustup's wasm32-unknown-unknown target."
      exit 1
    fi
  fi
  if ! command -v apt-get >/dev/null 2>&1; then
    log "missing: apt-get (the Debian route). Install rustup's wasm32-unknown-unknown target instead."
    exit 1
  fi
  apt_install() {
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends "$@"
  }
  if [[ ! -x /usr/bin/rustc || ! -d /usr/lib/rustlib/src/rust ]] \
     || ! dpkg -s rustc-web cargo-web rust-web-src libstd-rust-web-dev >/dev/null 2>&1; then
    step "apt-get update" apt-update $SUDO apt-get update
    step "apt-get install rustc-web cargo-web rust-web-src libstd-rust-web-dev" apt-rust \
      apt_install rustc-web cargo-web rust-web-src libstd-rust-web-dev
  fi
  LLVM_MAJOR=$(/usr/bin/rustc -vV | sed -n 's/^LLVM version: \([0-9]*\).*/\1/p')
  RUSTC_RELEASE=$(/usr/bin/rustc -vV | sed -n 's/^release: //p')
  HOST=$(/usr/bin/rustc -vV | sed -n 's/^host: //p')
  LLD=/usr/lib/llvm-$LLVM_MAJOR/bin/lld
  if [[ ! -x $LLD ]]; then
    step "apt-get update" apt-update $SUDO apt-get update
    step "apt-get install lld-$LLVM_MAJOR" apt-lld apt_install "lld-$LLVM_MAJOR"
  fi

  # The wasm32 std, built once per Debian rustc release.
  STAMP=$TC/.std-$RUSTC_RELEASE
  if [[ ! -f $STAMP ]]; then
    SB=$TOOLS/stdbuild
    rm -rf "$SB" "$TC"
    mkdir -p "$SB/src"
    printf '[package]\nname = "stdbuild"\nversion = "0.0.0"\nedition = "2021"\n[lib]\ncrate-type = ["cdylib"]\n[profile.release]\nopt-level = "s"\n' >"$SB/Cargo.toml"
    echo '#[no_mangle] pub extern "C" fn roost_std_probe() -> u32 { 1 }' >"$SB/src/lib.rs"
    step "build std for wasm32-unknown-unknown with rustc $RUSTC_RELEASE (once)" std-build \
      env -C "$SB" PATH="/usr/bin:$PATH" RUSTC=/usr/bin/rustc RUSTC_BOOTSTRAP=1 \
        RUSTFLAGS=-Cembed-bitcode=yes CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_LINKER="$LLD" \
        CARGO_TARGET_DIR="$SB/target" \
        /usr/bin/cargo build --release -Zbuild-std=std,panic_abort \
        --target wasm32-unknown-unknown
    mkdir -p "$TC/bin" "$TC/lib/rustlib/src" "$TC/lib/rustlib/wasm32-unknown-unknown/lib"
    ln -sfn "/usr/lib/rustlib/$HOST" "$TC/lib/rustlib/$HOST"
    ln -sfn "$(readlink -f /usr/lib/rustlib/src/rust)" "$TC/lib/rustlib/src/rust"
    cp "$SB"/target/wasm32-unknown-unknown/release/deps/*.rlib \
       "$SB"/target/wasm32-unknown-unknown/release/deps/*.rmeta \
       "$TC/lib/rustlib/wasm32-unknown-unknown/lib/"
    ln -sfn /usr/bin/cargo "$TC/bin/cargo"
    ln -sfn "$LLD" "$TC/bin/rust-lld"
    # shellcheck disable=SC2016 # "$@" and "$a" belong to the wrapper, not to this script
    printf '#!/bin/sh\nfor a in "$@"; do case "$a" in --sysroot|--sysroot=*) exec /usr/bin/rustc "$@";; esac; done\nexec /usr/bin/rustc --sysroot %s "$@"\n' "$TC" >"$TC/bin/rustc"
    chmod +x "$TC/bin/rustc"
    rm -rf "$SB"
    touch "$STAMP"
  fi
fi

# ---------------------------------------------------------------------------------------
# 2. wrangler (with its esbuild and workerd) and binaryen's wasm-opt from npm, in the
#    background (mostly download) while step 3 compiles.
# ---------------------------------------------------------------------------------------
npm_pid=""
if ! [[ -f $NODE_DIR/node_modules/wrangler/package.json ]] \
   || ! grep -q "\"version\": \"$WRANGLER_VERSION\"" "$NODE_DIR/node_modules/wrangler/package.json" \
   || ! [[ -x $NODE_DIR/node_modules/.bin/wasm-opt ]]; then
  log "npm install wrangler@$WRANGLER_VERSION binaryen@$BINARYEN_VERSION (in the background)"
  mkdir -p "$NODE_DIR"
  [[ -f $NODE_DIR/package.json ]] || echo '{"name":"roost-orm-tools","private":true}' >"$NODE_DIR/package.json"
  npm_started=$SECONDS
  (cd "$NODE_DIR" && npm install --no-audit --no-fund --no-progress \
      "wrangler@$WRANGLER_VERSION" "binaryen@$BINARYEN_VERSION") >"$LOGS/npm.log" 2>&1 </dev/null &
  npm_pid=$!
fi

# ---------------------------------------------------------------------------------------
# 3. wasm-bindgen-cli and worker-build from crates.io (built with the host toolchain),
#    in one shared target folder, removed afterwards.
# ---------------------------------------------------------------------------------------
have_version() { [[ -x $1 ]] && "$1" --version 2>/dev/null | grep -q -- "$2"; }
INSTALL_TARGET=$TOOLS/cargo-install-target
if ! have_version "$BIN/wasm-bindgen" "$WASM_BINDGEN_VERSION"; then
  # Not --locked: its lock file pins a crate version that has since been yanked.
  step "cargo install wasm-bindgen-cli $WASM_BINDGEN_VERSION" cargo-wasm-bindgen \
    cargo install --force wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" \
      --root "$TOOLS/cargo" --target-dir "$INSTALL_TARGET"
fi
if ! have_version "$BIN/worker-build" "$WORKER_BUILD_VERSION"; then
  # Unoptimized (--debug, no debug info): worker-build only drives cargo, wasm-bindgen and
  # esbuild, so a Worker build takes the same time with it (1.2 s against 1.7 s, measured
  # on an up-to-date build), and it compiles in about 2 minutes instead of 5.
  step "cargo install worker-build $WORKER_BUILD_VERSION" cargo-worker-build \
    env CARGO_PROFILE_DEV_DEBUG=0 cargo install --debug --force worker-build \
      --version "$WORKER_BUILD_VERSION" --locked --root "$TOOLS/cargo" \
      --target-dir "$INSTALL_TARGET"
fi
rm -rf "$INSTALL_TARGET"

if [[ -n $npm_pid ]]; then
  await_step "npm install wrangler@$WRANGLER_VERSION binaryen@$BINARYEN_VERSION" \
    "$npm_pid" "$LOGS/npm.log" "$npm_started"
fi
ESBUILD=$(find "$NODE_DIR/node_modules/@esbuild" -path '*/bin/esbuild' -type f 2>/dev/null | head -n1 || true)
[[ -x $ESBUILD ]] || ESBUILD=$NODE_DIR/node_modules/.bin/esbuild

# ---------------------------------------------------------------------------------------
# 4. The environment.
# ---------------------------------------------------------------------------------------
mkdir -p "$TOOLS/xdg"
PATH_PREFIX="$BIN:$NODE_DIR/node_modules/.bin"
if [[ $ROUTE == debian ]]; then PATH_PREFIX="$TC/bin:$PATH_PREFIX"; fi
cat >"$TOOLS/env.sh" <<ENV
# Written by scripts/setup-worker.sh (route: $ROUTE). Source it before building the Worker.
export ROOST_TOOLS="$TOOLS"
export PATH="$PATH_PREFIX:\$PATH"
export WASM_BINDGEN_BIN="$BIN/wasm-bindgen"
export ESBUILD_BIN="$ESBUILD"
export WASM_OPT_BIN="$NODE_DIR/node_modules/.bin/wasm-opt"
export WRANGLER_SEND_METRICS=false
export CLOUDFLARE_CF_FETCH_ENABLED=false
export XDG_CONFIG_HOME="$TOOLS/xdg"
ENV
log "ready in $SECONDS s (route: $ROUTE); environment ($TOOLS/env.sh):"
cat "$TOOLS/env.sh"
