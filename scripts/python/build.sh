#!/usr/bin/env bash
# Build the Python auto-attendant (scripts/python/auto-attendant) into a
# WebAssembly component with componentize-py, from PyPI into a venv.
#
# Output: ${CARGO_TARGET_DIR:-target}/polyglot/python/auto_attendant.wasm
# Also:   .../polyglot/python/bindings (the generated `wit_world` package,
#         for editors and the SDK's unit tests, which run here too).
# Idempotent; does nothing (in well under a second) when neither the WIT
# contract, the SDK (guest-sdk/python), the flow nor the tool changed.
set -euo pipefail

COMPONENTIZE_PY_VERSION=0.25.1

name=python/build.sh
workspace="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$workspace"
target="${CARGO_TARGET_DIR:-$workspace/target}"
case "$target" in /*) ;; *) target="$workspace/$target" ;; esac
venv="$target/polyglot/venv"
out="$target/polyglot/python"
wasm="$out/auto_attendant.wasm"

# A Python 3.11+ with venv support (componentize-py's bindings use typing.Self).
python_ok() { command -v python3 >/dev/null 2>&1 \
    && python3 -c 'import sys, venv, ensurepip; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; }
if ! python_ok; then
    # shellcheck disable=SC1091 # scripts/lib/apt.sh, resolved at run time
    source "$workspace/scripts/lib/apt.sh"
    apt_ensure "$name" python3 python3-venv
    python_ok || { echo "$name: python3 >= 3.11 with the venv module is needed" >&2; exit 1; }
fi

if [ ! -x "$venv/bin/pip" ]; then
    echo "$name: creating the venv $venv"
    python3 -m venv "$venv"
fi
tool="$venv/bin/componentize-py"
if [ "$("$tool" --version 2>/dev/null)" != "componentize-py $COMPONENTIZE_PY_VERSION" ]; then
    echo "$name: installing componentize-py $COMPONENTIZE_PY_VERSION from PyPI"
    "$venv/bin/pip" install --quiet --disable-pip-version-check \
        "componentize-py==$COMPONENTIZE_PY_VERSION" \
        || { echo "$name: could not install componentize-py from PyPI" >&2; exit 1; }
fi

# Everything the component is made of: skip the build when it is unchanged.
stamp="$( { echo "$COMPONENTIZE_PY_VERSION"; \
    find wit guest-sdk/python scripts/python/auto-attendant -type f \
        \( -name '*.wit' -o -name '*.py' \) -not -path '*/__pycache__/*' -print0 \
        | sort -z | xargs -0 sha256sum; } | sha256sum | cut -d' ' -f1)"
if [ -f "$wasm" ] && [ "$(cat "$out/stamp" 2>/dev/null)" = "$stamp" ]; then
    echo "$name: $wasm is up to date"
    exit 0
fi

mkdir -p "$out"
rm -rf "$out/bindings"
"$tool" -q -d wit -w flow bindings "$out/bindings"
if ! tests="$(PYTHONPATH="$out/bindings:guest-sdk/python" PYTHONDONTWRITEBYTECODE=1 \
    "$venv/bin/python" -m unittest discover -s guest-sdk/python/tests 2>&1)"; then
    echo "$tests" >&2
    echo "$name: the SDK's unit tests (guest-sdk/python/tests) failed" >&2
    exit 1
fi

start=$(date +%s%N)
"$tool" -q -d wit -w flow componentize \
    -p scripts/python/auto-attendant -p guest-sdk/python app -o "$wasm.tmp"
mv "$wasm.tmp" "$wasm"
echo "$stamp" >"$out/stamp"
echo "$name: built $wasm ($(stat -c %s "$wasm") bytes) in $((($(date +%s%N) - start) / 1000000)) ms"
