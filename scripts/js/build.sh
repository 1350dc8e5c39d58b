#!/usr/bin/env bash
# Build the JavaScript auto-attendant (scripts/js/auto-attendant) into a
# WebAssembly component, with tools from npm installed into a prefix.
#
#   scripts/js/build.sh                 # SpiderMonkey (componentize-js)
#   scripts/js/build.sh quickjs         # QuickJS (componentize-qjs), smaller
#
# Output: ${CARGO_TARGET_DIR:-target}/polyglot/js/auto_attendant.wasm
#     or  ${CARGO_TARGET_DIR:-target}/polyglot/js/auto_attendant_qjs.wasm
# Runs the SDK's unit tests (guest-sdk/js/tests) first. Idempotent; does
# nothing when neither the WIT contract, the SDK, the flow nor the tool
# changed.
set -euo pipefail

COMPONENTIZE_JS_VERSION=0.23.0
COMPONENTIZE_QJS_VERSION=0.4.5

name=js/build.sh
engine="${1:-spidermonkey}"
workspace="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$workspace"
target="${CARGO_TARGET_DIR:-$workspace/target}"
case "$target" in /*) ;; *) target="$workspace/$target" ;; esac
prefix="$target/polyglot/npm"
out="$target/polyglot/js"

case "$engine" in
    spidermonkey) package=@bytecodealliance/componentize-js version=$COMPONENTIZE_JS_VERSION
        bin=componentize-js wasm="$out/auto_attendant.wasm" ;;
    quickjs) package=componentize-qjs version=$COMPONENTIZE_QJS_VERSION
        bin=componentize-qjs wasm="$out/auto_attendant_qjs.wasm" ;;
    *) echo "$name: unknown engine '$engine': use spidermonkey or quickjs" >&2; exit 2 ;;
esac

# Node 18+ and npm.
node_ok() { command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 \
    && node -e 'process.exit(+process.versions.node.split(".")[0] < 18 ? 1 : 0)' 2>/dev/null; }
if ! node_ok; then
    # shellcheck disable=SC1091 # scripts/lib/apt.sh, resolved at run time
    source "$workspace/scripts/lib/apt.sh"
    apt_ensure "$name" nodejs
    # Debian ships npm apart; NodeSource's nodejs includes it (and conflicts with it).
    command -v npm >/dev/null 2>&1 || apt_ensure "$name" npm
    node_ok || { echo "$name: node >= 18 and npm are needed" >&2; exit 1; }
fi

installed="$(node -p "require('$prefix/node_modules/$package/package.json').version" 2>/dev/null || true)"
if [ "$installed" != "$version" ]; then
    echo "$name: installing $package@$version from npm into $prefix"
    mkdir -p "$prefix"
    npm install --prefix "$prefix" --no-audit --no-fund --loglevel=error "$package@$version" \
        || { echo "$name: could not install $package@$version from npm" >&2; exit 1; }
fi
tool="$prefix/node_modules/.bin/$bin"
[ -x "$tool" ] || { echo "$name: $tool is missing after installing $package" >&2; exit 1; }

stamp="$( { echo "$engine $version"; \
    find wit guest-sdk/js scripts/js/auto-attendant -type f \( -name '*.wit' -o -name '*.js' \) -print0 \
        | sort -z | xargs -0 sha256sum; } | sha256sum | cut -d' ' -f1)"
stampfile="$wasm.stamp"
if [ -f "$wasm" ] && [ "$(cat "$stampfile" 2>/dev/null)" = "$stamp" ]; then
    echo "$name: $wasm is up to date"
    exit 0
fi

if ! tests="$(node --test guest-sdk/js/tests/ 2>&1)"; then
    echo "$tests" >&2
    echo "$name: the SDK's unit tests (guest-sdk/js/tests) failed" >&2
    exit 1
fi

mkdir -p "$out"
start=$(date +%s%N)
case "$engine" in
    spidermonkey)
        # No HTTP: the contract gives flows no network.
        "$tool" scripts/js/auto-attendant/app.js -w wit -n flow -d http fetch-event -o "$wasm.tmp" ;;
    quickjs)
        "$tool" --sync -w wit -n flow --module-root "$workspace" -j scripts/js/auto-attendant/app.js -o "$wasm.tmp" ;;
esac
mv "$wasm.tmp" "$wasm"
echo "$stamp" >"$stampfile"
echo "$name: built $wasm ($(stat -c %s "$wasm") bytes) in $((($(date +%s%N) - start) / 1000000)) ms"
