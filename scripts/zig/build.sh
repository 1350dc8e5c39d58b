#!/usr/bin/env bash
# Build the Zig auto-attendant (scripts/zig/auto-attendant) into a flow
# component: ${CARGO_TARGET_DIR:-target}/polyglot/zig/auto_attendant.wasm.
#
#   1. C glue: `wit-bindgen c wit/` (flow.h, flow.c, flow_component_type.o)
#      plus the C helpers of guest-sdk/c and guest-sdk/zig/pbx_zig.c; Zig
#      0.17 has no @cImport, so guest-sdk/zig/pbx.zig declares the C
#      functions it calls by hand;
#   2. a WASI preview1 reactor core module: `zig build-exe` from the PyPI
#      package ziglang, compiling the Zig flow and the C glue together;
#   3. a component: `wasm-tools component new --adapt` with the preview1
#      adapter.
#
# Idempotent: installs what is missing (pinned cargo tools, the adapter,
# ziglang in a venv) and rebuilds only when a source, the WIT or a tool
# version changed. Set PBX_FORCE_BUILD=1 to rebuild anyway.
set -euo pipefail

NAME=build-zig
# shellcheck source=../c/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../c/lib.sh"

OUT_DIR="$POLY_ROOT/zig"
OUT="$OUT_DIR/auto_attendant.wasm"
STAMP="$OUT_DIR/auto_attendant.stamp"
INPUTS=("$POLY_REPO/wit" "$POLY_REPO/guest-sdk/c" "$POLY_REPO/guest-sdk/zig" "$POLY_REPO/scripts/zig"
    "$POLY_REPO/scripts/c/lib.sh")

if [ -z "${PBX_FORCE_BUILD:-}" ] && poly_fresh "$STAMP" "$OUT" "${INPUTS[@]}"; then
    echo "$NAME: $OUT is up to date"
    exit 0
fi

poly_cargo_tools "$NAME"
poly_adapter "$NAME"
poly_ziglang "$NAME"
# zig keeps the wasi-libc it builds for wasm32 in its cache: keep that cache
# with the other polyglot tools.
export ZIG_GLOBAL_CACHE_DIR="$POLY_ROOT/zig-cache" ZIG_LOCAL_CACHE_DIR="$POLY_ROOT/zig-cache"

BUILD="$OUT_DIR/build"
rm -rf "$BUILD"
mkdir -p "$BUILD/bindings"

"$POLY_CARGO_BIN/wit-bindgen" c "$POLY_REPO/wit" --world flow --out-dir "$BUILD/bindings" \
    >"$BUILD/wit-bindgen.log" 2>&1 ||
    { cat "$BUILD/wit-bindgen.log" >&2; poly_fail "$NAME" "wit-bindgen c failed on wit/ (see above)"; }

# -fno-entry -mexec-model=reactor: a library module (no main); the module
# `pbx` is guest-sdk/zig/pbx.zig, imported by the flow as @import("pbx").
"${POLY_ZIG[@]}" build-exe -target wasm32-wasi -mexec-model=reactor -fno-entry -O ReleaseSmall -lc \
    -I "$BUILD/bindings" -I "$POLY_REPO/guest-sdk/c" \
    -cflags -std=gnu11 -Wall -Wextra -Werror -Wno-unused-parameter -- \
    "$BUILD/bindings/flow.c" "$POLY_REPO"/guest-sdk/c/src/*.c "$POLY_REPO/guest-sdk/zig/pbx_zig.c" \
    "$BUILD/bindings/flow_component_type.o" \
    --dep pbx -Mroot="$POLY_REPO/scripts/zig/auto-attendant/auto_attendant.zig" \
    -Mpbx="$POLY_REPO/guest-sdk/zig/pbx.zig" \
    --name auto_attendant -femit-bin="$BUILD/auto_attendant.core.wasm" ||
    poly_fail "$NAME" "zig build-exe failed to compile the flow (see above)"

"$POLY_CARGO_BIN/wasm-tools" component new "$BUILD/auto_attendant.core.wasm" \
    --adapt "wasi_snapshot_preview1=$POLY_ADAPTER" -o "$BUILD/auto_attendant.wasm"
"$POLY_CARGO_BIN/wasm-tools" validate --features component-model "$BUILD/auto_attendant.wasm"

mv "$BUILD/auto_attendant.wasm" "$OUT"
poly_digest "${INPUTS[@]}" >"$STAMP"
echo "$NAME: built $OUT ($(stat -c %s "$OUT") bytes)"
