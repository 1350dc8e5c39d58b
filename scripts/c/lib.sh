# Shared by scripts/c/build.sh, scripts/cpp/build.sh and scripts/zig/build.sh:
# the pinned component tools, the WASI preview1 adapter and the PyPI
# ziglang toolchain, each installed once under
# ${CARGO_TARGET_DIR:-target}/polyglot and reused afterwards.
# Source it; it defines variables and functions only.

# Pinned versions. wit-bindgen-cli 0.63 matches the Rust guest's
# wit-bindgen 0.63; wasm-tools 1.262 carries the same wit-component (0.262)
# as that wit-bindgen; the adapter matches the host's wasmtime (48.0.8).
POLY_WIT_BINDGEN_VERSION=0.63.0
POLY_WASM_TOOLS_VERSION=1.262.0
POLY_ADAPTER_VERSION=48.0.8
POLY_ZIGLANG_VERSION=0.17.1

POLY_REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
POLY_TARGET="${CARGO_TARGET_DIR:-$POLY_REPO/target}"
# A relative CARGO_TARGET_DIR is relative to the repository, as for cargo.
case "$POLY_TARGET" in /*) ;; *) POLY_TARGET="$POLY_REPO/$POLY_TARGET" ;; esac
POLY_ROOT="$POLY_TARGET/polyglot"
POLY_CARGO_BIN="$POLY_ROOT/cargo/bin"
POLY_ADAPTER="$POLY_ROOT/adapter/wasi_snapshot_preview1.reactor.wasm"
POLY_VENV="$POLY_ROOT/venv"

# poly_fail NAME MESSAGE: print "NAME: MESSAGE" on stderr and fail.
poly_fail() {
    echo "$1: $2" >&2
    return 1
}

# poly_need NAME TOOL HINT: fail with HINT unless TOOL is on PATH.
poly_need() {
    command -v "$2" >/dev/null 2>&1 || poly_fail "$1" "$2 not found: $3"
}

# poly_cargo_tools NAME: wit-bindgen and wasm-tools at the pinned versions
# in $POLY_CARGO_BIN (cargo install --locked, only when missing or another
# version).
poly_cargo_tools() {
    local name="$1"
    poly_need "$name" cargo "install Rust (rustup) first; cargo builds wit-bindgen-cli and wasm-tools" || return 1
    local crate bin version have
    for spec in "wit-bindgen-cli wit-bindgen $POLY_WIT_BINDGEN_VERSION" \
        "wasm-tools wasm-tools $POLY_WASM_TOOLS_VERSION"; do
        read -r crate bin version <<<"$spec"
        have="$("$POLY_CARGO_BIN/$bin" --version 2>/dev/null | awk '{print $2}' || true)"
        if [ "$have" != "$version" ]; then
            echo "$name: installing $crate $version into $POLY_ROOT/cargo"
            cargo install --quiet --locked --root "$POLY_ROOT/cargo" "$crate@$version" ||
                poly_fail "$name" "cargo install $crate@$version failed (is crates.io reachable?)" || return 1
        fi
    done
}

# poly_adapter NAME: the WASI preview1 reactor adapter at $POLY_ADAPTER,
# taken from the crate wasi-preview1-component-adapter-provider (fetched
# with cargo into its registry cache; nothing is compiled).
poly_adapter() {
    local name="$1" dir="$POLY_ROOT/adapter"
    [ -s "$POLY_ADAPTER" ] && [ "$(cat "$dir/version" 2>/dev/null)" = "$POLY_ADAPTER_VERSION" ] && return 0
    poly_need "$name" cargo "install Rust (rustup) first; cargo fetches the WASI adapter crate" || return 1
    mkdir -p "$dir/src"
    cat >"$dir/Cargo.toml" <<EOF
[package]
name = "pbx-polyglot-adapter"
version = "0.0.0"
edition = "2021"
publish = false

[lib]
path = "src/lib.rs"

[dependencies]
wasi-preview1-component-adapter-provider = "=$POLY_ADAPTER_VERSION"

[workspace]
EOF
    : >"$dir/src/lib.rs"
    cargo fetch --quiet --manifest-path "$dir/Cargo.toml" ||
        poly_fail "$name" "cargo fetch of wasi-preview1-component-adapter-provider $POLY_ADAPTER_VERSION failed" || return 1
    local manifest
    manifest="$(cargo metadata --quiet --format-version 1 --manifest-path "$dir/Cargo.toml" |
        python3 -c 'import json, sys
for p in json.load(sys.stdin)["packages"]:
    if p["name"] == "wasi-preview1-component-adapter-provider":
        print(p["manifest_path"])')" ||
        poly_fail "$name" "could not locate the adapter crate (cargo metadata failed)" || return 1
    local src
    src="$(dirname "$manifest")/artefacts/wasi_snapshot_preview1.reactor.wasm"
    [ -s "$src" ] || poly_fail "$name" "the adapter crate has no $src" || return 1
    cp "$src" "$POLY_ADAPTER"
    echo "$POLY_ADAPTER_VERSION" >"$dir/version"
}

# poly_ziglang NAME: the PyPI ziglang toolchain in the venv $POLY_VENV;
# sets POLY_ZIG to a command that runs zig.
poly_ziglang() {
    local name="$1"
    if ! "$POLY_VENV/bin/python" -c 'import ziglang' 2>/dev/null ||
        [ "$("$POLY_VENV/bin/python" -m ziglang version 2>/dev/null)" != "$POLY_ZIGLANG_VERSION" ]; then
        poly_need "$name" python3 "install Python 3 (apt-get install python3 python3-venv)" || return 1
        [ -x "$POLY_VENV/bin/python" ] || python3 -m venv "$POLY_VENV" ||
            poly_fail "$name" "python3 -m venv failed: apt-get install python3-venv" || return 1
        echo "$name: installing ziglang $POLY_ZIGLANG_VERSION into $POLY_VENV"
        "$POLY_VENV/bin/python" -m pip install --quiet --disable-pip-version-check "ziglang==$POLY_ZIGLANG_VERSION" ||
            poly_fail "$name" "pip install ziglang==$POLY_ZIGLANG_VERSION failed (is PyPI reachable?)" || return 1
    fi
    POLY_ZIG=("$POLY_VENV/bin/python" -m ziglang)
}

# poly_stamp FILE INPUT...: a checksum of the INPUT files' contents and the
# tool versions, compared with FILE. Returns 0 (nothing to do) when equal.
poly_fresh() {
    local stamp="$1" out="$2"
    shift 2
    [ -s "$out" ] || return 1
    [ "$(cat "$stamp" 2>/dev/null)" = "$(poly_digest "$@")" ]
}

# poly_digest INPUT...: one checksum over the inputs and the pinned versions.
poly_digest() {
    {
        echo "$POLY_WIT_BINDGEN_VERSION $POLY_WASM_TOOLS_VERSION $POLY_ADAPTER_VERSION $POLY_ZIGLANG_VERSION"
        find "$@" -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum
    } | sha256sum | cut -d' ' -f1
}
