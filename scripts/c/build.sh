#!/usr/bin/env bash
# Build the C auto-attendant (scripts/c/auto-attendant) into a flow
# component: ${CARGO_TARGET_DIR:-target}/polyglot/c/auto_attendant.wasm.
#
#   1. bindings: `wit-bindgen c wit/` (flow.h, flow.c, flow_component_type.o);
#   2. a WASI preview1 reactor core module: Debian clang + wasi-libc, with
#      the bindings, guest-sdk/c and the flow;
#   3. a component: `wasm-tools component new --adapt` with the preview1
#      adapter (Debian's wasi-libc speaks preview1 only).
#
# Idempotent: installs what is missing (Debian packages, pinned cargo
# tools, the adapter) and rebuilds only when a source, the WIT or a tool
# version changed. Set PBX_FORCE_BUILD=1 to rebuild anyway.
set -euo pipefail

NAME=build-c
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=../lib/apt.sh
source "$POLY_REPO/scripts/lib/apt.sh"

OUT_DIR="$POLY_ROOT/c"
OUT="$OUT_DIR/auto_attendant.wasm"
STAMP="$OUT_DIR/auto_attendant.stamp"
INPUTS=("$POLY_REPO/wit" "$POLY_REPO/guest-sdk/c" "$POLY_REPO/scripts/c/auto-attendant"
    "$POLY_REPO/scripts/c/build.sh" "$POLY_REPO/scripts/c/lib.sh")

if [ -z "${PBX_FORCE_BUILD:-}" ] && poly_fresh "$STAMP" "$OUT" "${INPUTS[@]}"; then
    echo "$NAME: $OUT is up to date"
    exit 0
fi

apt_ensure "$NAME" clang lld wasi-libc libclang-rt-14-dev-wasm32
poly_need "$NAME" clang "apt-get install clang"
poly_need "$NAME" wasm-ld "apt-get install lld"
poly_cargo_tools "$NAME"
poly_adapter "$NAME"

BUILD="$OUT_DIR/build"
rm -rf "$BUILD"
mkdir -p "$BUILD/bindings"

"$POLY_CARGO_BIN/wit-bindgen" c "$POLY_REPO/wit" --world flow --out-dir "$BUILD/bindings" \
    >"$BUILD/wit-bindgen.log" 2>&1 ||
    { cat "$BUILD/wit-bindgen.log" >&2; poly_fail "$NAME" "wit-bindgen c failed on wit/ (see above)"; }

# -mexec-model=reactor: a library module (no main) whose exports the host
# calls; wasi-libc's reactor start-up runs the C constructors first.
clang --target=wasm32-wasi -mexec-model=reactor -std=gnu11 -Os \
    -Wall -Wextra -Werror -Wno-unused-parameter \
    -I "$BUILD/bindings" -I "$POLY_REPO/guest-sdk/c" \
    "$BUILD/bindings/flow.c" "$BUILD/bindings/flow_component_type.o" \
    "$POLY_REPO"/guest-sdk/c/src/*.c \
    "$POLY_REPO/scripts/c/auto-attendant/auto_attendant.c" \
    -Wl,--strip-all \
    -o "$BUILD/auto_attendant.core.wasm" ||
    poly_fail "$NAME" "clang failed to compile the flow (see above)"

"$POLY_CARGO_BIN/wasm-tools" component new "$BUILD/auto_attendant.core.wasm" \
    --adapt "wasi_snapshot_preview1=$POLY_ADAPTER" -o "$BUILD/auto_attendant.wasm"
"$POLY_CARGO_BIN/wasm-tools" validate --features component-model "$BUILD/auto_attendant.wasm"

mv "$BUILD/auto_attendant.wasm" "$OUT"
poly_digest "${INPUTS[@]}" >"$STAMP"
echo "$NAME: built $OUT ($(stat -c %s "$OUT") bytes)"
