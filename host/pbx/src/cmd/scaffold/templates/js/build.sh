#!/usr/bin/env bash
# Build this call flow into a WebAssembly component, build/@@name@@.wasm,
# with componentize-js (SpiderMonkey) from npm, installed into a prefix
# under $PBX_FLOW_TOOLS (default ~/.cache/pbx-flow). Installs Node.js and
# npm from Debian apt when missing. Idempotent: does nothing when neither
# the contract (wit/), the SDK (sdk/), the flow nor the tool changed.
set -euo pipefail

COMPONENTIZE_JS_VERSION=@@COMPONENTIZE_JS_VERSION@@
package=@bytecodealliance/componentize-js

name=@@name@@/build.sh
project="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$project"
tools="${PBX_FLOW_TOOLS:-${XDG_CACHE_HOME:-$HOME/.cache}/pbx-flow}"
prefix="$tools/npm"
wasm="build/@@name@@.wasm"

# Node 18+ and npm.
node_ok() { command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 \
    && node -e 'process.exit(+process.versions.node.split(".")[0] < 18 ? 1 : 0)' 2>/dev/null; }
if ! node_ok; then
    # shellcheck disable=SC1091 # lib/apt.sh, resolved at run time
    source lib/apt.sh
    apt_ensure "$name" nodejs
    # Debian ships npm apart; NodeSource's nodejs includes it (and conflicts with it).
    command -v npm >/dev/null 2>&1 || apt_ensure "$name" npm
    node_ok || { echo "$name: node >= 18 and npm are needed" >&2; exit 1; }
fi

installed="$(node -p "require('$prefix/node_modules/$package/package.json').version" 2>/dev/null || true)"
if [ "$installed" != "$COMPONENTIZE_JS_VERSION" ]; then
    echo "$name: installing $package@$COMPONENTIZE_JS_VERSION from npm into $prefix"
    mkdir -p "$prefix"
    npm install --prefix "$prefix" --no-audit --no-fund --loglevel=error "$package@$COMPONENTIZE_JS_VERSION" \
        || { echo "$name: could not install $package@$COMPONENTIZE_JS_VERSION from npm" >&2; exit 1; }
fi
tool="$prefix/node_modules/.bin/componentize-js"
[ -x "$tool" ] || { echo "$name: $tool is missing after installing $package" >&2; exit 1; }

stamp="$( { echo "$COMPONENTIZE_JS_VERSION"; \
    find wit sdk app.js -type f \( -name '*.wit' -o -name '*.js' \) -print0 \
        | sort -z | xargs -0 sha256sum; } | sha256sum | cut -d' ' -f1)"
if [ -f "$wasm" ] && [ "$(cat "$wasm.stamp" 2>/dev/null)" = "$stamp" ]; then
    echo "$name: $wasm is up to date"
    exit 0
fi

mkdir -p build
start=$(date +%s%N)
# No HTTP: the contract gives flows no network.
"$tool" app.js -w wit -n flow -d http fetch-event -o "$wasm.tmp"
mv "$wasm.tmp" "$wasm"
echo "$stamp" >"$wasm.stamp"
echo "$name: built $project/$wasm ($(stat -c %s "$wasm") bytes) in $((($(date +%s%N) - start) / 1000000)) ms"
