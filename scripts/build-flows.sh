#!/usr/bin/env bash
# Build every guest call flow (WebAssembly components) the tests and the
# benches load, plus the hostile fixture's describe() variants.
#
# Output: $CARGO_TARGET_DIR/wasm32-wasip2/flow/<crate>.wasm and
#         $CARGO_TARGET_DIR/flow-fixtures/hostile_describe_{traps,loops}.wasm
# (CARGO_TARGET_DIR defaults to <workspace>/target). Safe to run again:
# cargo rebuilds only what changed.
set -euo pipefail

# Guest packages built besides the two every test needs. Add new guest
# flows of the workspace here.
EXTRA_GUESTS=(office-hours load-flow)

TARGET=wasm32-wasip2
PROFILE=flow

workspace="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$workspace"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$workspace/target}"

if ! rustup target list --installed | grep -qx "$TARGET"; then
    rustup target add "$TARGET"
fi

out="$CARGO_TARGET_DIR/$TARGET/$PROFILE"
fixtures="$CARGO_TARGET_DIR/flow-fixtures"
mkdir -p "$fixtures"

packages=(-p hostile-flow -p auto-attendant)
for guest in "${EXTRA_GUESTS[@]+"${EXTRA_GUESTS[@]}"}"; do
    packages+=(-p "$guest")
done
cargo build --profile "$PROFILE" --target "$TARGET" "${packages[@]}"

for feature in describe-traps describe-loops; do
    cargo build --profile "$PROFILE" --target "$TARGET" -p hostile-flow --features "$feature"
    cp "$out/hostile_flow.wasm" "$fixtures/hostile_${feature//-/_}.wasm"
done
# The feature builds overwrote hostile_flow.wasm: build the plain one last
# so the file at its usual place has no feature.
cargo build --profile "$PROFILE" --target "$TARGET" -p hostile-flow

echo "Guest flows:"
for f in "$out"/*.wasm "$fixtures"/*.wasm; do
    printf '  %s (%s bytes)\n' "$f" "$(wc -c <"$f")"
done
