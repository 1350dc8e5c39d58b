#!/usr/bin/env bash
# Run every test of the PBX on a fresh machine: installs the guest target,
# builds the guest flows, checks formatting and lints, runs the Rust tests
# (unit, integration, doctests) and the flow simulator on every scenario.
set -euo pipefail

workspace="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$workspace"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$workspace/target}"

step() { printf '\n==> %s\n' "$*"; }

step "toolchain components"
rustup component list --installed | grep -q '^rustfmt' || rustup component add rustfmt
rustup component list --installed | grep -q '^clippy' || rustup component add clippy

step "system libraries the build needs (Debian packages: libopus-dev, pkg-config)"
scripts/install-build-deps.sh

step "third-party SIP clients for end-to-end tests (Debian packages, PyPI)"
scripts/install-test-peers.sh

step "PostgreSQL for the store and API tests (Debian package, throw-away server on loopback)"
# Exports PBX_TEST_POSTGRES_URL and PBX_REQUIRE_POSTGRES=1 (the store and
# API tests then run against PostgreSQL as well as SQLite, and fail rather
# than skip without it); the server stops when this script exits.
source scripts/test-postgres.sh
# Strict mode again, whatever the sourced script did: a failing step must
# stop the run.
set -euo pipefail

step "guest flows (wasm32-wasip2)"
scripts/build-flows.sh

step "built-in sounds (Debian packages: espeak-ng, sox)"
scripts/build-sounds.sh

step "formatting"
cargo fmt --all -- --check

step "lints"
cargo clippy --workspace --all-targets -- -D warnings

step "Rust tests"
cargo test --workspace

step "admin API against its own OpenAPI document (schemathesis from PyPI, bounded run)"
scripts/test-api-schemathesis.sh

step "fuzz smoke run of the SIP parser and transaction layer (seed 1, 20,000 inputs per target)"
# A fixed seed and run count keep this run deterministic on a fresh clone;
# scripts/fuzz.sh SECONDS runs the open-ended fuzzing (docs/sip.md).
FUZZ_ARGS="-seed=1 -runs=20000" scripts/fuzz.sh 120

step "flow simulator: auto-attendant scenarios"
cargo build -p pbx
"$CARGO_TARGET_DIR/debug/pbx" flow test --quiet \
    "$CARGO_TARGET_DIR/wasm32-wasip2/flow/auto_attendant.wasm" \
    $(ls scripts/scenarios/auto-attendant/*.toml | grep -v '/base.toml$')

step "flow simulator: the auto-attendant in every guest language (toolchains from apt, PyPI, npm, crates)"
scripts/test-polyglot.sh

step "pbx flow new: a scaffolded project in each guest language builds and passes its scenarios"
PBX="$CARGO_TARGET_DIR/debug/pbx" scripts/test-flow-new.sh

step "flow simulator: office-hours template scenarios"
"$CARGO_TARGET_DIR/debug/pbx" flow test --quiet \
    "$CARGO_TARGET_DIR/wasm32-wasip2/flow/office_hours.wasm" \
    $(ls templates-ivr/office-hours/scenarios/*.toml | grep -v '/base.toml$')

step "load generator: every benchmark scenario in quick mode (pbx-load bench quick)"
# A few seconds each at a low rate against a real pbx serve with loose
# checks (calls succeed, no late packets, audio both ways, no memory growth);
# the full runs are in docs/benchmarks.md.
cargo build -p pbx -p pbx-load
"$CARGO_TARGET_DIR/debug/pbx-load" bench quick
