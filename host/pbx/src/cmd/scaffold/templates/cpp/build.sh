#!/usr/bin/env bash
# Build this call flow into a WebAssembly component, build/@@name@@.wasm:
#   1. bindings: `wit-bindgen cpp wit/`;
#   2. a WASI preview1 reactor core module with `zig c++` (C++23), with the
#      bindings, the SDK (sdk/pbx_flow.hpp) and the flow;
#   3. a component: `wasm-tools component new --adapt` with the preview1
#      adapter.
# Tools, under $PBX_FLOW_TOOLS (default ~/.cache/pbx-flow): Zig from PyPI
# (ziglang) into a venv, wit-bindgen and wasm-tools from crates.io (pinned;
# needs cargo) and the adapter crate. lib/poly.sh has the pinned versions
# and the install steps. Idempotent: does nothing when nothing changed;
# PBX_FORCE_BUILD=1 rebuilds anyway.
set -euo pipefail

NAME=@@name@@/build.sh
project="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$project"
# shellcheck source=lib/poly.sh
source lib/poly.sh
POLY_ROOT="${PBX_FLOW_TOOLS:-${XDG_CACHE_HOME:-$HOME/.cache}/pbx-flow}"
POLY_CARGO_BIN="$POLY_ROOT/cargo/bin"
POLY_ADAPTER="$POLY_ROOT/adapter/wasi_snapshot_preview1.reactor.wasm"
POLY_VENV="$POLY_ROOT/venv"
mkdir -p "$POLY_ROOT"

OUT="build/@@name@@.wasm"
STAMP="build/@@name@@.stamp"
INPUTS=(wit sdk flow.cpp lib/poly.sh)

if [ -z "${PBX_FORCE_BUILD:-}" ] && poly_fresh "$STAMP" "$OUT" "${INPUTS[@]}"; then
    echo "$NAME: $OUT is up to date"
    exit 0
fi

poly_cargo_tools "$NAME"
poly_adapter "$NAME"
poly_ziglang "$NAME"
# Zig's global cache is shared by every project; the local one is this one's.
export ZIG_GLOBAL_CACHE_DIR="${ZIG_GLOBAL_CACHE_DIR:-$POLY_ROOT/zig-cache}" ZIG_LOCAL_CACHE_DIR="$project/build/zig-cache"

BUILD="build/work"
rm -rf "$BUILD"
mkdir -p "$BUILD/bindings"
"$POLY_CARGO_BIN/wit-bindgen" cpp wit --world flow --out-dir "$BUILD/bindings" \
    >"$BUILD/wit-bindgen.log" 2>&1 ||
    { cat "$BUILD/wit-bindgen.log" >&2; poly_fail "$NAME" "wit-bindgen cpp failed on wit/ (see above)"; }

"${POLY_ZIG[@]}" c++ -target wasm32-wasi -mexec-model=reactor -std=c++23 -fno-exceptions -Os \
    -Wall -Wextra \
    -I "$BUILD/bindings" -I sdk \
    "$BUILD/bindings/flow.cpp" "$BUILD/bindings/flow_component_type.o" flow.cpp \
    -s -o "$BUILD/core.wasm" ||
    poly_fail "$NAME" "zig c++ failed to compile the flow (see above)"

"$POLY_CARGO_BIN/wasm-tools" component new "$BUILD/core.wasm" \
    --adapt "wasi_snapshot_preview1=$POLY_ADAPTER" -o "$BUILD/flow.wasm"
"$POLY_CARGO_BIN/wasm-tools" validate --features component-model "$BUILD/flow.wasm"
mv "$BUILD/flow.wasm" "$OUT"
poly_digest "${INPUTS[@]}" >"$STAMP"
echo "$NAME: built $project/$OUT ($(stat -c %s "$OUT") bytes)"
