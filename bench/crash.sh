#!/usr/bin/env bash
# kill -9 during writes (issue 8): 50 teachers save marks while the server is killed with
# SIGKILL, restarted and checked, CYCLES times (default 200); see bench/crash.py.
#   bench/crash.sh [cycles]                       SQLite (the embedded default)
#   PG_URL=postgres://…/db bench/crash.sh [cycles]  the same on PostgreSQL (an empty
#                                                    database is generated into first)
set -euo pipefail
cd "$(dirname "$0")/.."
CYCLES="${1:-200}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
BIN="$CARGO_TARGET_DIR/release/parta"
[ -n "${NO_BUILD:-}" ] || cargo build --release -q -p parta
DATA="bench/out/crash${PG_URL:+-pg}"
ARGS=(--bin "$BIN" --data "$DATA" --cycles "$CYCLES")
[ -n "${PG_URL:-}" ] && ARGS+=(--database-url "$PG_URL")
if [ ! -d "$DATA" ]; then
  mkdir -p "$DATA"
  PARTA_TODAY=2026-11-30 "$BIN" gen --data-dir "$DATA" ${PG_URL:+--database-url "$PG_URL"} --students 5000 --seed 1 --school-day
fi
python3 bench/crash.py "${ARGS[@]}"
