#!/usr/bin/env bash
# Build this call flow into a WebAssembly component: build/@@name@@.wasm.
# Needs Rust (rustup); adds the wasm32-wasip2 target when missing. Cargo
# rebuilds only what changed; set CARGO_TARGET_DIR to share a build cache.
set -euo pipefail

TARGET=wasm32-wasip2
PROFILE=flow

name=@@name@@/build.sh
project="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$project"

command -v cargo >/dev/null 2>&1 || { echo "$name: cargo not found: install Rust with rustup (https://rustup.rs)" >&2; exit 1; }
if command -v rustup >/dev/null 2>&1; then
    rustup target list --installed | grep -qx "$TARGET" || rustup target add "$TARGET"
fi

target="${CARGO_TARGET_DIR:-$project/target}"
case "$target" in /*) ;; *) target="$project/$target" ;; esac
cargo build --quiet --profile "$PROFILE" --target "$TARGET" --target-dir "$target"
mkdir -p build
cp "$target/$TARGET/$PROFILE/@@crate@@.wasm" build/@@name@@.wasm.tmp
mv build/@@name@@.wasm.tmp build/@@name@@.wasm
echo "$name: built $project/build/@@name@@.wasm ($(stat -c %s build/@@name@@.wasm) bytes)"
