#!/usr/bin/env bash
# Build this call flow into a WebAssembly component, build/@@name@@.wasm:
#   1. bindings: `wit-bindgen c wit/`;
#   2. a WASI preview1 reactor core module: Debian clang + wasi-libc, with
#      the bindings, the SDK (sdk/) and the flow;
#   3. a component: `wasm-tools component new --adapt` with the preview1
#      adapter.
# Tools: Debian packages (apt, with sudo), and under $PBX_FLOW_TOOLS
# (default ~/.cache/pbx-flow) wit-bindgen and wasm-tools from crates.io
# (pinned; needs cargo) and the adapter crate. lib/poly.sh has the pinned
# versions and the install steps. Idempotent: does nothing when nothing
# changed; PBX_FORCE_BUILD=1 rebuilds anyway.
set -euo pipefail

NAME=@@name@@/build.sh
project="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$project"
# shellcheck source=lib/poly.sh
source lib/poly.sh
# shellcheck source=lib/apt.sh
source lib/apt.sh
POLY_ROOT="${PBX_FLOW_TOOLS:-${XDG_CACHE_HOME:-$HOME/.cache}/pbx-flow}"
POLY_CARGO_BIN="$POLY_ROOT/cargo/bin"
POLY_ADAPTER="$POLY_ROOT/adapter/wasi_snapshot_preview1.reactor.wasm"
POLY_VENV="$POLY_ROOT/venv"
mkdir -p "$POLY_ROOT"

OUT="build/@@name@@.wasm"
STAMP="build/@@name@@.stamp"
INPUTS=(wit sdk flow.c lib/poly.sh)

if [ -z "${PBX_FORCE_BUILD:-}" ] && poly_fresh "$STAMP" "$OUT" "${INPUTS[@]}"; then
    echo "$NAME: $OUT is up to date"
    exit 0
fi

apt_ensure "$NAME" clang lld wasi-libc libclang-rt-14-dev-wasm32
poly_need "$NAME" clang "apt-get install clang"
poly_need "$NAME" wasm-ld "apt-get install lld"
poly_cargo_tools "$NAME"
poly_adapter "$NAME"

BUILD="build/work"
rm -rf "$BUILD"
mkdir -p "$BUILD/bindings"
"$POLY_CARGO_BIN/wit-bindgen" c wit --world flow --out-dir "$BUILD/bindings" \
    >"$BUILD/wit-bindgen.log" 2>&1 ||
    { cat "$BUILD/wit-bindgen.log" >&2; poly_fail "$NAME" "wit-bindgen c failed on wit/ (see above)"; }

# -mexec-model=reactor: a library module (no main) whose exports the host calls.
clang --target=wasm32-wasi -mexec-model=reactor -std=gnu11 -Os \
    -Wall -Wextra -Werror -Wno-unused-parameter \
    -I "$BUILD/bindings" -I sdk \
    "$BUILD/bindings/flow.c" "$BUILD/bindings/flow_component_type.o" \
    sdk/src/*.c flow.c \
    -Wl,--strip-all -o "$BUILD/core.wasm" ||
    poly_fail "$NAME" "clang failed to compile the flow (see above)"

"$POLY_CARGO_BIN/wasm-tools" component new "$BUILD/core.wasm" \
    --adapt "wasi_snapshot_preview1=$POLY_ADAPTER" -o "$BUILD/flow.wasm"
"$POLY_CARGO_BIN/wasm-tools" validate --features component-model "$BUILD/flow.wasm"
mv "$BUILD/flow.wasm" "$OUT"
poly_digest "${INPUTS[@]}" >"$STAMP"
echo "$NAME: built $project/$OUT ($(stat -c %s "$OUT") bytes)"
