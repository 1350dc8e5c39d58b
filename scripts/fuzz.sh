#!/usr/bin/env bash
# Fuzz the SIP stack (host/sip/fuzz, cargo-fuzz + libFuzzer) on stable Rust.
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]
#
# Runs each target (default: all three) for SECONDS (default 20) with
# libFuzzer's -max_total_time and exits non-zero if any target crashes;
# the crashing input is left in host/sip/fuzz/artifacts/TARGET/.
#
# Stable toolchain: cargo-fuzz builds with --sanitizer none (coverage
# instrumentation only; panics and assertions are caught, memory errors
# in unsafe code are not). FUZZ_SANITIZER=address switches to ASan, which
# needs -Zsanitizer and so RUSTC_BOOTSTRAP=1, set here for that case only.
#
# The fuzz build goes to its own target dir, ${CARGO_TARGET_DIR:-target}/fuzz,
# so the instrumented build never invalidates the main build cache.
# Extra libFuzzer flags: FUZZ_ARGS="-jobs=2 -workers=2" scripts/fuzz.sh 600
set -euo pipefail

SECONDS_PER_TARGET="${1:-20}"
shift || true
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
FUZZ_DIR="$ROOT/host/sip/fuzz"
DATA="$ROOT/host/sip/tests/data/rfc4475"
SANITIZER="${FUZZ_SANITIZER:-none}"
TARGETS=("$@")
[ ${#TARGETS[@]} -gt 0 ] || TARGETS=(parse_datagram parse_stream transaction_input)

case "$SECONDS_PER_TARGET" in
  '' | *[!0-9]*) echo "usage: $0 [SECONDS] [TARGET...]" >&2; exit 2 ;;
esac

base_target="${CARGO_TARGET_DIR:-$ROOT/target}"
export CARGO_TARGET_DIR="$base_target/fuzz"
if [ "$SANITIZER" != none ]; then
  export CARGO_TARGET_DIR="$base_target/fuzz-$SANITIZER"
  export RUSTC_BOOTSTRAP=1
fi

if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "== installing cargo-fuzz"
  cargo install --locked cargo-fuzz
fi

# Seed corpora from the RFC 4475 torture tests (copied at run time; the
# corpus dirs are gitignored and also keep what earlier runs found).
seed() { # seed TARGET NAME PREFIX-PRINTF SUFFIX-PRINTF FILE...
  local dir="$FUZZ_DIR/corpus/$1" name="$2" pre="$3" suf="$4"
  shift 4
  { printf "$pre"; cat "$@"; printf "$suf"; } >"$dir/$name"
}
for t in parse_datagram parse_stream transaction_input; do
  mkdir -p "$FUZZ_DIR/corpus/$t"
done
for f in "$DATA"/*.dat; do
  n="$(basename "$f" .dat)"
  cp "$f" "$FUZZ_DIR/corpus/parse_datagram/seed-$n"
  # parse_stream: 2 control bytes (chunking) before the stream; the
  # message alone, byte by byte, and twice in a row in larger chunks.
  seed parse_stream "seed-$n" '\000\001' '' "$f"
  seed parse_stream "seed-$n-x2" '\005\067' '' "$f" "$f"
  # transaction_input (segments split by two NULs, see the target): the
  # message; then a retransmission after a 200 and 1 s; and as a client.
  cp "$f" "$FUZZ_DIR/corpus/transaction_input/seed-$n"
  seed transaction_input "seed-$n-rtx" '' '\000\000\376\003\000\000\377\000\144\000\000' "$f"
  cat "$f" >>"$FUZZ_DIR/corpus/transaction_input/seed-$n-rtx"
  seed transaction_input "seed-$n-client" '\375' '\000\000\377\001\000' "$f"
done

cd "$FUZZ_DIR"
echo "== building fuzz targets (sanitizer: $SANITIZER, target dir: $CARGO_TARGET_DIR)"
cargo fuzz build -O --sanitizer "$SANITIZER"

failed=()
for t in "${TARGETS[@]}"; do
  echo "== fuzzing $t for ${SECONDS_PER_TARGET}s"
  # shellcheck disable=SC2086 # FUZZ_ARGS is a list of libFuzzer flags
  if ! cargo fuzz run -O --sanitizer "$SANITIZER" "$t" "corpus/$t" -- \
    -max_total_time="$SECONDS_PER_TARGET" -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 ${FUZZ_ARGS:-}; then
    failed+=("$t")
  fi
done

if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: crash or failure in: ${failed[*]} (inputs in $FUZZ_DIR/artifacts/)" >&2
  exit 1
fi
echo "fuzz: no crash in ${TARGETS[*]} (${SECONDS_PER_TARGET}s each)"
