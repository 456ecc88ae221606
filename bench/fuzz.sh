#!/usr/bin/env bash
# Hostile inputs for every parser of outside input (issue 8): the school's CSV and XLSX
# template, OneRoster ZIP packages, the timetable text, JSON bodies, multipart forms.
# Runs on stable Rust (crates/parta-fuzz) under a memory cap: an allocation beyond it
# aborts the process, which counts as a crash.
#   bench/fuzz.sh [seconds per target]     default 60; MEM_KB=4000000 by default
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER_TARGET="${1:-60}"
MEM_KB="${MEM_KB:-4000000}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
PROFILE="${PROFILE:-release}"
if [ "$PROFILE" = release ]; then cargo build --release -q -p parta-fuzz; else cargo build -q -p parta-fuzz; fi
OUT=bench/out/fuzz
mkdir -p "$OUT"
status=0
( ulimit -v "$MEM_KB"; "$CARGO_TARGET_DIR/$PROFILE/parta-fuzz" --seconds "$SECONDS_PER_TARGET" --seed "${SEED:-$RANDOM}" --out "$OUT" --slow-ms "${SLOW_MS:-1000}" ) || status=$?
if [ "$status" -gt 1 ]; then
  echo "RESULT the fuzzer died (exit $status): a parser exceeded the ${MEM_KB} KB memory cap or aborted" >&2
fi
exit "$status"
