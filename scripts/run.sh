#!/usr/bin/env bash
# Run the PBX on a fresh machine, on its embedded default: a SQLite store in
# ./data (or $PBX_DATA_DIR), a demo tenant with three extensions on first
# start (credentials printed and kept in data/demo-credentials.txt), SIP on
# 127.0.0.1:5060 (UDP and TCP) and the admin API on 127.0.0.1:8080.
# Extra arguments go to `pbx serve` (see `pbx serve --help`), e.g.
# `scripts/run.sh --md5-only` for phones that cannot do SHA-256 digest.
set -euo pipefail

workspace="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$workspace"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$workspace/target}"

scripts/install-build-deps.sh >/dev/null
scripts/build-flows.sh >/dev/null
cargo build -p pbx
exec "$CARGO_TARGET_DIR/debug/pbx" serve --data-dir "${PBX_DATA_DIR:-$workspace/data}" "$@"
