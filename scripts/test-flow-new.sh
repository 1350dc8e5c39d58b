#!/usr/bin/env bash
# End-to-end check of `pbx flow new` for the languages other than Rust
# (host/pbx/tests/flow_new.rs covers Rust): for each, scaffold a project
# into a temporary directory, run its build.sh, and run `pbx flow test` on
# its scenarios, which must all pass.
#
#   scripts/test-flow-new.sh [LANG...]     # default: python js go (+ c cpp zig when available)
#
# Run it after the polyglot builds (scripts/<lang>/build.sh): the generated
# projects reuse the toolchains those installed, through PBX_FLOW_TOOLS
# (default ${CARGO_TARGET_DIR:-target}/polyglot). PBX is the pbx binary
# (default: built with cargo into ${CARGO_TARGET_DIR:-target}/debug).
set -euo pipefail

workspace="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$workspace"
target="${CARGO_TARGET_DIR:-$workspace/target}"
case "$target" in /*) ;; *) target="$workspace/$target" ;; esac
export PBX_FLOW_TOOLS="${PBX_FLOW_TOOLS:-$target/polyglot}"

if [ -z "${PBX:-}" ]; then
    cargo build --quiet -p pbx --bin pbx
    PBX="$target/debug/pbx"
fi

langs=("$@")
if [ "${#langs[@]}" -eq 0 ]; then
    langs=(python js go)
    # C, C++ and Zig when this checkout has their SDKs.
    for l in c cpp zig; do [ -d "guest-sdk/$l" ] && langs+=("$l"); done
fi

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
failed=()
for lang in "${langs[@]}"; do
    name="hello-$lang"
    echo "== $lang"
    start=$(date +%s)
    if "$PBX" flow new --lang "$lang" --dir "$tmp" "$name" >/dev/null \
        && "$tmp/$name/build.sh" \
        && (cd "$tmp/$name" && "$PBX" flow test --quiet "build/$name.wasm" scenarios/*.toml); then
        echo "ok $lang ($(($(date +%s) - start)) s)"
    else
        echo "FAIL $lang" >&2
        failed+=("$lang")
    fi
done
if [ "${#failed[@]}" -gt 0 ]; then
    echo "test-flow-new: failed: ${failed[*]}" >&2
    exit 1
fi
echo "test-flow-new: ${langs[*]}: all scenarios pass"
