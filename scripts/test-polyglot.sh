#!/usr/bin/env bash
# Build the reference auto-attendant in every guest language and run the
# one shared scenario set (scripts/scenarios/auto-attendant) against each
# component with the simulator. Each language's build script installs its
# own toolchain from the package registries (docs/languages/).
#
# Needs the `pbx` binary: $CARGO_TARGET_DIR/debug/pbx (cargo build -p pbx).
set -euo pipefail

workspace="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$workspace"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$workspace/target}"
pbx="$CARGO_TARGET_DIR/debug/pbx"
if [[ ! -x "$pbx" ]]; then
    echo "error: $pbx is missing: run cargo build -p pbx first" >&2
    exit 2
fi

# language label | build command | component (under $CARGO_TARGET_DIR/polyglot)
builds=(
    "C|scripts/c/build.sh|c/auto_attendant.wasm"
    "C++|scripts/cpp/build.sh|cpp/auto_attendant.wasm"
    "Zig|scripts/zig/build.sh|zig/auto_attendant.wasm"
    "Python|scripts/python/build.sh|python/auto_attendant.wasm"
    "JavaScript (SpiderMonkey)|scripts/js/build.sh|js/auto_attendant.wasm"
    "JavaScript (QuickJS)|scripts/js/build.sh quickjs|js/auto_attendant_qjs.wasm"
    "Go|scripts/go/build.sh|go/auto_attendant.wasm"
)

echo "--- C guest SDK: native unit tests"
scripts/c/test-sdk.sh

mapfile -t scenarios < <(ls scripts/scenarios/auto-attendant/*.toml | grep -v '/base.toml$')
for entry in "${builds[@]}"; do
    IFS='|' read -r label build component <<<"$entry"
    echo "--- $label: build"
    # shellcheck disable=SC2086 # the build command carries its arguments
    $build
    echo "--- $label: ${#scenarios[@]} scenarios"
    "$pbx" flow test --quiet "$CARGO_TARGET_DIR/polyglot/$component" "${scenarios[@]}"
done
