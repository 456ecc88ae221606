#!/usr/bin/env bash
# Benchmarks of the foundation on this machine (see RESULTS.md). Release build, a
# generated region, a real server, wrk as the load generator on loopback.
#   bench/run.sh [students]      default 100000
set -euo pipefail
cd "$(dirname "$0")/.."
STUDENTS="${1:-100000}"
PORT="${PORT:-18090}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
BIN="$CARGO_TARGET_DIR/release/parta"
OUT="bench/out"
mkdir -p "$OUT"
command -v wrk >/dev/null || { echo "wrk is needed: apt-get install wrk" >&2; exit 1; }
cargo build --release -p parta -q
cargo build --release -p parta-identity --example argon2_floor -q

echo "== start-up on an empty database, idle memory =="
EMPTY="$(mktemp -d)"
t0=$(date +%s.%N)
"$BIN" serve --data-dir "$EMPTY" --port "$PORT" >"$OUT/empty.log" 2>&1 &
pid=$!
until curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null; do sleep 0.01; done
t1=$(date +%s.%N)
sleep 3
rss=$(awk '/VmRSS/ {print $2}' /proc/$pid/status)
echo "RESULT startup_to_ready_s=$(echo "$t1 - $t0" | bc) idle_rss_kb=$rss"
kill $pid; wait $pid 2>/dev/null || true
rm -rf "$EMPTY"

echo "== generate $STUDENTS students =="
DATA="$OUT/data-$STUDENTS"
if [ ! -f "$DATA/parta.db" ]; then
  mkdir -p "$DATA"
  /usr/bin/time -v "$BIN" gen --data-dir "$DATA" --students "$STUDENTS" --seed 1 2>"$OUT/gen-time.txt"
  grep -E "Elapsed|Maximum resident" "$OUT/gen-time.txt"
fi
ls -la "$DATA/parta.db"

echo "== serve =="
PARTA_SIGN_IN__ADDRESS_FREE_FAILURES=1000000000 PARTA_LOG=warn "$BIN" serve --data-dir "$DATA" --port "$PORT" >"$OUT/serve.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
until curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null; do sleep 0.1; done

# A school administrator of the largest school reads its students' cards.
ORG=$(sqlite3 "$DATA/parta.db" "SELECT organisation_id FROM enrolments WHERE ended_on IS NULL GROUP BY organisation_id ORDER BY COUNT(*) DESC LIMIT 1")
LOGIN=$(sqlite3 "$DATA/parta.db" "SELECT a.login FROM accounts a JOIN role_assignments r ON r.person_id = a.person_id WHERE r.role = 'school_admin' AND r.organisation_id = '$ORG' LIMIT 1")
sqlite3 "$DATA/parta.db" "SELECT person_id FROM enrolments WHERE organisation_id = '$ORG' AND ended_on IS NULL" > "$OUT/ids.txt"
COOKIE=$(curl -s -D - -o /dev/null -H 'content-type: application/json' \
  -d "{\"login\":\"$LOGIN\",\"password\":\"Parta-demo-2026\"}" "http://127.0.0.1:$PORT/api/v1/session" | awk -F'[ ;]' '/^set-cookie/ {print $2}')
AUDIT_BEFORE=$(sqlite3 "$DATA/parta.db" "SELECT COUNT(*) FROM audit_log WHERE action = 'read'")
echo "== person cards: $(wc -l < "$OUT/ids.txt") students of one school, as $LOGIN =="
COOKIE="$COOKIE" IDS="$OUT/ids.txt" wrk -t2 -c32 -d5s -s bench/person-card.lua "http://127.0.0.1:$PORT" >/dev/null
COOKIE="$COOKIE" IDS="$OUT/ids.txt" wrk -t2 -c32 -d30s --latency -s bench/person-card.lua "http://127.0.0.1:$PORT" | tee "$OUT/person-card.txt" | grep -E "RESULT|Latency|Req/Sec"
AUDIT_AFTER=$(sqlite3 "$DATA/parta.db" "SELECT COUNT(*) FROM audit_log WHERE action = 'read'")
echo "RESULT audit_rows_written=$((AUDIT_AFTER - AUDIT_BEFORE))"

echo "== sign-ins vs the argon2 floor (floor measured before and after: this machine is noisy) =="
"$CARGO_TARGET_DIR/release/examples/argon2_floor" | tee "$OUT/argon2.txt"
ACCOUNTS=2000 wrk -t2 -c8 -d20s -s bench/sign-in.lua "http://127.0.0.1:$PORT" | tee "$OUT/sign-in.txt" | grep RESULT
"$CARGO_TARGET_DIR/release/examples/argon2_floor" | tee -a "$OUT/argon2.txt"
floor=$(awk -F'per_s=' '/RESULT/ {s += $2; n++} END {print s / n}' "$OUT/argon2.txt")
signin=$(awk -F'rps=' '/RESULT/ {split($2, a, " "); print a[1]}' "$OUT/sign-in.txt")
echo "RESULT sign_in_per_s=$signin floor_per_s=$floor ratio=$(echo "scale=2; $signin / $floor" | bc)"
