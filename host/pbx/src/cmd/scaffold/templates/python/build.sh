#!/usr/bin/env bash
# Build this call flow into a WebAssembly component, build/@@name@@.wasm,
# with componentize-py from PyPI, installed into a venv under
# $PBX_FLOW_TOOLS (default ~/.cache/pbx-flow). Installs python3 and venv
# from Debian apt when missing. Idempotent: does nothing when neither the
# contract (wit/), the SDK (sdk/), the flow nor the tool changed.
set -euo pipefail

COMPONENTIZE_PY_VERSION=@@COMPONENTIZE_PY_VERSION@@

name=@@name@@/build.sh
project="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$project"
tools="${PBX_FLOW_TOOLS:-${XDG_CACHE_HOME:-$HOME/.cache}/pbx-flow}"
venv="$tools/venv"
wasm="build/@@name@@.wasm"

# A Python 3.11+ with venv support (componentize-py's bindings use typing.Self).
python_ok() { command -v python3 >/dev/null 2>&1 \
    && python3 -c 'import sys, venv, ensurepip; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; }
if ! python_ok; then
    # shellcheck disable=SC1091 # lib/apt.sh, resolved at run time
    source lib/apt.sh
    apt_ensure "$name" python3 python3-venv
    python_ok || { echo "$name: python3 >= 3.11 with the venv module is needed" >&2; exit 1; }
fi

if [ ! -x "$venv/bin/pip" ]; then
    echo "$name: creating the venv $venv"
    mkdir -p "$tools"
    python3 -m venv "$venv"
fi
tool="$venv/bin/componentize-py"
if [ "$("$tool" --version 2>/dev/null)" != "componentize-py $COMPONENTIZE_PY_VERSION" ]; then
    echo "$name: installing componentize-py $COMPONENTIZE_PY_VERSION from PyPI"
    "$venv/bin/pip" install --quiet --disable-pip-version-check \
        "componentize-py==$COMPONENTIZE_PY_VERSION" \
        || { echo "$name: could not install componentize-py from PyPI" >&2; exit 1; }
fi

stamp="$( { echo "$COMPONENTIZE_PY_VERSION"; \
    find wit sdk app.py -type f \( -name '*.wit' -o -name '*.py' \) -not -path '*/__pycache__/*' -print0 \
        | sort -z | xargs -0 sha256sum; } | sha256sum | cut -d' ' -f1)"
if [ -f "$wasm" ] && [ "$(cat "$wasm.stamp" 2>/dev/null)" = "$stamp" ]; then
    echo "$name: $wasm is up to date"
    exit 0
fi

mkdir -p build/app
cp app.py build/app/app.py
start=$(date +%s%N)
PYTHONDONTWRITEBYTECODE=1 "$tool" -q -d wit -w flow componentize \
    -p build/app -p sdk app -o "$wasm.tmp"
mv "$wasm.tmp" "$wasm"
echo "$stamp" >"$wasm.stamp"
echo "$name: built $project/$wasm ($(stat -c %s "$wasm") bytes) in $((($(date +%s%N) - start) / 1000000)) ms"
