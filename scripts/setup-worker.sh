#!/usr/bin/env bash
# Installs what building and running the example Worker needs, into a tool cache outside
# the repository, and prints the environment to use (also written to "$ROOST_TOOLS/env.sh").
#
#   scripts/setup-worker.sh            # install (or check) everything
#   . "${ROOST_TOOLS:-$HOME/.cache/roost-orm-tools}/env.sh"
#
# Route:
#   * rustup's wasm32-unknown-unknown target when it is installed or `rustup target add` can
#     install it;
#   * otherwise Debian's rustc-web (plus its std sources and a matching lld), with a wasm32
#     std built once with -Zbuild-std into a private sysroot and a `rustc` wrapper that
#     points at it.
# Then, whatever the route: wasm-bindgen-cli (the version the Worker's Cargo.lock pins) and
# worker-build from crates.io, wrangler and binaryen from npm. worker-build is told to use
# these instead of downloading its own (WASM_BINDGEN_BIN, ESBUILD_BIN, WASM_OPT_BIN).
#
# Every step is skipped when its result is already in the cache, so a second run costs
# seconds. Set ROOST_TOOLS to move the cache; ROOST_WASM_ROUTE=debian skips rustup.
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

log() { printf '[setup-worker] %s\n' "$*" >&2; }
t0=$(date +%s)

# ---------------------------------------------------------------------------------------
# 1. A Rust toolchain that can build wasm32-unknown-unknown.
# ---------------------------------------------------------------------------------------
# ROOST_WASM_ROUTE=debian forces the fallback (to test it where rustup works).
ROUTE=""
if [[ ${ROOST_WASM_ROUTE:-auto} == debian ]]; then
  :
elif command -v rustup >/dev/null 2>&1; then
  if rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
    ROUTE=rustup
  elif [[ -f $TOOLS/.rustup-target-unavailable ]]; then
    : # tried before and failed: don't wait on rustup's server again (delete to retry)
  elif timeout 60 rustup target add wasm32-unknown-unknown >/dev/null 2>&1; then
    log "installed rustup's wasm32-unknown-unknown target"
    ROUTE=rustup
  else
    touch "$TOOLS/.rustup-target-unavailable"
  fi
fi

if [[ -z "$ROUTE" ]]; then
  ROUTE=debian
  log "rustup has no wasm32 target here: using Debian's rustc-web and a private sysroot"
  SUDO=""
  if [[ $(id -u) -ne 0 ]]; then SUDO=sudo; fi
  apt_install() {
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends "$@" >/dev/null
  }
  if [[ ! -x /usr/bin/rustc || ! -d /usr/lib/rustlib/src/rust ]] \
     || ! dpkg -s rustc-web cargo-web rust-web-src libstd-rust-web-dev >/dev/null 2>&1; then
    log "apt-get install rustc-web cargo-web rust-web-src libstd-rust-web-dev"
    $SUDO apt-get update >/dev/null
    apt_install rustc-web cargo-web rust-web-src libstd-rust-web-dev
  fi
  LLVM_MAJOR=$(/usr/bin/rustc -vV | sed -n 's/^LLVM version: \([0-9]*\).*/\1/p')
  RUSTC_RELEASE=$(/usr/bin/rustc -vV | sed -n 's/^release: //p')
  HOST=$(/usr/bin/rustc -vV | sed -n 's/^host: //p')
  LLD=/usr/lib/llvm-$LLVM_MAJOR/bin/lld
  if [[ ! -x $LLD ]]; then
    log "apt-get install lld-$LLVM_MAJOR"
    apt_install "lld-$LLVM_MAJOR" || { $SUDO apt-get update >/dev/null; apt_install "lld-$LLVM_MAJOR"; }
  fi

  # The wasm32 std, built once per Debian rustc release.
  STAMP=$TC/.std-$RUSTC_RELEASE
  if [[ ! -f $STAMP ]]; then
    log "building std for wasm32-unknown-unknown with rustc $RUSTC_RELEASE (once, ~1 min)"
    SB=$TOOLS/stdbuild
    rm -rf "$SB" "$TC"
    mkdir -p "$SB/src"
    printf '[package]\nname = "stdbuild"\nversion = "0.0.0"\nedition = "2021"\n[lib]\ncrate-type = ["cdylib"]\n[profile.release]\nopt-level = "s"\n' >"$SB/Cargo.toml"
    echo '#[no_mangle] pub extern "C" fn roost_std_probe() -> u32 { 1 }' >"$SB/src/lib.rs"
    (cd "$SB" && env PATH="/usr/bin:$PATH" RUSTC=/usr/bin/rustc RUSTC_BOOTSTRAP=1 \
        RUSTFLAGS=-Cembed-bitcode=yes CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_LINKER="$LLD" \
        CARGO_TARGET_DIR="$SB/target" \
        /usr/bin/cargo build --quiet --release -Zbuild-std=std,panic_abort \
        --target wasm32-unknown-unknown)
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
# 2. wasm-bindgen-cli and worker-build from crates.io (built with the host toolchain).
# ---------------------------------------------------------------------------------------
have_version() { [[ -x $1 ]] && "$1" --version 2>/dev/null | grep -q -- "$2"; }
if ! have_version "$BIN/wasm-bindgen" "$WASM_BINDGEN_VERSION"; then
  log "cargo install wasm-bindgen-cli $WASM_BINDGEN_VERSION (~2 min)"
  # Not --locked: its lock file pins a crate version that has since been yanked.
  cargo install --quiet --force wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" --root "$TOOLS/cargo"
fi
if ! have_version "$BIN/worker-build" "$WORKER_BUILD_VERSION"; then
  log "cargo install worker-build $WORKER_BUILD_VERSION (~3 min)"
  cargo install --quiet --force worker-build --version "$WORKER_BUILD_VERSION" --locked --root "$TOOLS/cargo"
fi

# ---------------------------------------------------------------------------------------
# 3. wrangler (with its esbuild and workerd) and binaryen's wasm-opt from npm.
# ---------------------------------------------------------------------------------------
if ! [[ -f $NODE_DIR/node_modules/wrangler/package.json ]] \
   || ! grep -q "\"version\": \"$WRANGLER_VERSION\"" "$NODE_DIR/node_modules/wrangler/package.json" \
   || ! [[ -x $NODE_DIR/node_modules/.bin/wasm-opt ]]; then
  log "npm install wrangler@$WRANGLER_VERSION binaryen@$BINARYEN_VERSION"
  mkdir -p "$NODE_DIR"
  [[ -f $NODE_DIR/package.json ]] || echo '{"name":"roost-orm-tools","private":true}' >"$NODE_DIR/package.json"
  (cd "$NODE_DIR" && npm install --silent --no-audit --no-fund \
      "wrangler@$WRANGLER_VERSION" "binaryen@$BINARYEN_VERSION" >/dev/null)
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
log "ready in $(( $(date +%s) - t0 )) s (route: $ROUTE); environment:"
cat "$TOOLS/env.sh"
