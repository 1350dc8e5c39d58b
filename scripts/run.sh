#!/usr/bin/env bash
# Run the PBX on a fresh machine. For now this is the flow simulator on the
# example flow: it builds the auto-attendant component and plays every one
# of its scenarios, printing each call's trace. (The SIP server joins here
# when it exists.)
set -euo pipefail

workspace="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$workspace"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$workspace/target}"

scripts/install-build-deps.sh >/dev/null
scripts/build-flows.sh >/dev/null
cargo build -p pbx
flow="$CARGO_TARGET_DIR/wasm32-wasip2/flow/auto_attendant.wasm"
"$CARGO_TARGET_DIR/debug/pbx" flow describe "$flow"
echo
exec "$CARGO_TARGET_DIR/debug/pbx" flow test "$flow" \
    $(ls scripts/scenarios/auto-attendant/*.toml | grep -v '/base.toml$')
