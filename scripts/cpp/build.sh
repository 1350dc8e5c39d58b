#!/usr/bin/env bash
# Build the C++ auto-attendant (scripts/cpp/auto-attendant) into a flow
# component: ${CARGO_TARGET_DIR:-target}/polyglot/cpp/auto_attendant.wasm.
#
#   1. bindings: `wit-bindgen cpp wit/` (flow_cpp.h, wit.h, flow.cpp,
#      flow_component_type.o); they need C++23 (std::expected);
#   2. a WASI preview1 reactor core module: `zig c++` from the PyPI package
#      ziglang (clang + libc++ + wasi-libc for wasm32-wasi), with the
#      bindings, guest-sdk/cpp and the flow;
#   3. a component: `wasm-tools component new --adapt` with the preview1
#      adapter.
#
# Idempotent: installs what is missing (pinned cargo tools, the adapter,
# ziglang in a venv) and rebuilds only when a source, the WIT or a tool
# version changed. Set PBX_FORCE_BUILD=1 to rebuild anyway.
set -euo pipefail

NAME=build-cpp
# shellcheck source=../c/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../c/lib.sh"

OUT_DIR="$POLY_ROOT/cpp"
OUT="$OUT_DIR/auto_attendant.wasm"
STAMP="$OUT_DIR/auto_attendant.stamp"
INPUTS=("$POLY_REPO/wit" "$POLY_REPO/guest-sdk/cpp" "$POLY_REPO/scripts/cpp" "$POLY_REPO/scripts/c/lib.sh")

if [ -z "${PBX_FORCE_BUILD:-}" ] && poly_fresh "$STAMP" "$OUT" "${INPUTS[@]}"; then
    echo "$NAME: $OUT is up to date"
    exit 0
fi

poly_cargo_tools "$NAME"
poly_adapter "$NAME"
poly_ziglang "$NAME"
# zig keeps the libc++ and wasi-libc it builds for wasm32 (about a minute,
# once) in its cache: keep that cache with the other polyglot tools.
export ZIG_GLOBAL_CACHE_DIR="$POLY_ROOT/zig-cache" ZIG_LOCAL_CACHE_DIR="$POLY_ROOT/zig-cache"

BUILD="$OUT_DIR/build"
rm -rf "$BUILD"
mkdir -p "$BUILD/bindings"

"$POLY_CARGO_BIN/wit-bindgen" cpp "$POLY_REPO/wit" --world flow --out-dir "$BUILD/bindings" \
    >"$BUILD/wit-bindgen.log" 2>&1 ||
    { cat "$BUILD/wit-bindgen.log" >&2; poly_fail "$NAME" "wit-bindgen cpp failed on wit/ (see above)"; }

# -fno-exceptions: the bindings report errors through std::expected and the
# flow never throws; -mexec-model=reactor: a library module (no main).
"${POLY_ZIG[@]}" c++ -target wasm32-wasi -mexec-model=reactor -std=c++23 -fno-exceptions -Os \
    -Wall -Wextra \
    -I "$BUILD/bindings" -I "$POLY_REPO/guest-sdk/cpp" \
    "$BUILD/bindings/flow.cpp" "$BUILD/bindings/flow_component_type.o" \
    "$POLY_REPO/scripts/cpp/auto-attendant/auto_attendant.cpp" \
    -s -o "$BUILD/auto_attendant.core.wasm" ||
    poly_fail "$NAME" "zig c++ failed to compile the flow (see above)"

"$POLY_CARGO_BIN/wasm-tools" component new "$BUILD/auto_attendant.core.wasm" \
    --adapt "wasi_snapshot_preview1=$POLY_ADAPTER" -o "$BUILD/auto_attendant.wasm"
"$POLY_CARGO_BIN/wasm-tools" validate --features component-model "$BUILD/auto_attendant.wasm"

mv "$BUILD/auto_attendant.wasm" "$OUT"
poly_digest "${INPUTS[@]}" >"$STAMP"
echo "$NAME: built $OUT ($(stat -c %s "$OUT") bytes)"
