#!/usr/bin/env bash
# Unit tests of guest-sdk/c's host-free helpers (destinations, key maps,
# UTF-8 characters, outcome texts), built natively with the host's clang
# against the header that `wit-bindgen c` generates. Prints
# "N passed, N failed"; exits non-zero on a failure.
set -euo pipefail

NAME=test-c-sdk
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

poly_need "$NAME" clang "apt-get install clang (or run scripts/c/build.sh, which installs it)"
poly_cargo_tools "$NAME"

BUILD="$POLY_ROOT/c/sdk-test"
rm -rf "$BUILD"
mkdir -p "$BUILD/bindings"
"$POLY_CARGO_BIN/wit-bindgen" c "$POLY_REPO/wit" --world flow --out-dir "$BUILD/bindings" \
    >"$BUILD/wit-bindgen.log" 2>&1 ||
    { cat "$BUILD/wit-bindgen.log" >&2; poly_fail "$NAME" "wit-bindgen c failed on wit/ (see above)"; }

SDK="$POLY_REPO/guest-sdk/c"
clang -std=gnu11 -Wall -Wextra -Werror -Wno-unused-parameter \
    -I "$BUILD/bindings" -I "$SDK" \
    "$SDK/tests/sdk_test.c" "$SDK/src/text.c" "$SDK/src/destination.c" "$SDK/src/outcome_text.c" \
    -o "$BUILD/sdk_test"
"$BUILD/sdk_test"
