#!/usr/bin/env bash
# Build the C, C++ and Zig auto-attendants (or those named as arguments:
# c, cpp, zig) and run every auto-attendant scenario against each with the
# simulator. PBX names the pbx binary (default: pbx on PATH).
set -euo pipefail

NAME=test-flows
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

PBX="${PBX:-pbx}"
command -v "$PBX" >/dev/null 2>&1 ||
    poly_fail "$NAME" "$PBX not found: build it (cargo build -p pbx) and set PBX=path/to/pbx"

mapfile -t SCENARIOS < <(ls "$POLY_REPO"/scripts/scenarios/auto-attendant/*.toml | grep -v '/base.toml$')
LANGS=("$@")
[ "${#LANGS[@]}" -gt 0 ] || LANGS=(c cpp zig)

for lang in "${LANGS[@]}"; do
    [ -x "$POLY_REPO/scripts/$lang/build.sh" ] || poly_fail "$NAME" "unknown language $lang (c, cpp or zig)"
    "$POLY_REPO/scripts/$lang/build.sh"
    echo "$NAME: $lang"
    "$PBX" flow test --quiet "$POLY_ROOT/$lang/auto_attendant.wasm" "${SCENARIOS[@]}"
done
