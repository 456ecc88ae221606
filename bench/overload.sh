#!/usr/bin/env bash
# Overload (issue 8): the diary and the journal save at twice their measured capacity.
# The server must shed what it cannot take (503 + Retry-After) instead of queueing without
# bound, keep the latency of what it admits low, and its memory flat.
#   bench/overload.sh [students]      default 20000 (a generated region with the school day)
set -euo pipefail
cd "$(dirname "$0")/.."
STUDENTS="${1:-20000}"
PORT="${PORT:-18093}"
DURATION="${DURATION:-20s}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
export PARTA_TODAY="${PARTA_TODAY:-2026-11-30}"
BIN="$CARGO_TARGET_DIR/release/parta"
OUT="bench/out"
mkdir -p "$OUT"
for tool in wrk curl sqlite3; do command -v $tool >/dev/null || { echo "$tool is needed" >&2; exit 1; }; done
[ -n "${NO_BUILD:-}" ] || cargo build --release -p parta -p parta-bench -q
ulimit -n "$(ulimit -Hn)"
DATA="${DATA:-$OUT/sd-$STUDENTS}"  # the school-day benchmark's region, when there is one
DB="$DATA/parta.db"
sql() { sqlite3 -cmd ".timeout 10000" -separator $'\t' "$DB" "$1"; }
if [ ! -d "$DATA" ]; then
  mkdir -p "$DATA"
  "$BIN" gen --data-dir "$DATA" --students "$STUDENTS" --seed 1 --school-day
fi
PARTA_SIGN_IN__ADDRESS_FREE_FAILURES=1000000000 PARTA_LOG=warn "$BIN" serve --data-dir "$DATA" --port "$PORT" >"$OUT/ov-serve.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
until curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null; do sleep 0.1; done
URL="http://127.0.0.1:$PORT"
sign_in() {
  curl -s -D "$OUT/ovh.txt" -o "$OUT/ovb.json" -H 'content-type: application/json' \
    -d "{\"login\":\"$1\",\"password\":\"Parta-demo-2026\"}" "$URL/api/v1/session"
  printf '%s\t%s' "$(awk -F'[ ;]' 'tolower($1) == "set-cookie:" {print $2}' "$OUT/ovh.txt" | head -1)" \
    "$(sed -n 's/.*"csrf_token":"\([^"]*\)".*/\1/p' "$OUT/ovb.json")"
}
: >"$OUT/ov-diary.txt"; : >"$OUT/ov-save.txt"
sql "SELECT a.login, a.person_id FROM accounts a JOIN role_assignments r ON r.person_id = a.person_id AND r.role = 'student' ORDER BY random() LIMIT 300" |
while IFS=$'\t' read -r login student; do s=$(sign_in "$login"); printf '%s\t%s\n' "${s%%$'\t'*}" "$student" >>"$OUT/ov-diary.txt"; done
sql "SELECT a.login, t.class_id, t.subject_code, \
  (SELECT group_concat(x.id) FROM (SELECT l.id FROM lessons l WHERE l.class_id = t.class_id AND l.subject_code = t.subject_code AND l.teacher_id = t.teacher_id AND l.day < '$PARTA_TODAY' AND l.day > COALESCE((SELECT MAX(p.ends_on) FROM study_periods p WHERE p.organisation_id = l.organisation_id AND p.closed_at IS NOT NULL), '0') ORDER BY l.day DESC LIMIT 30) x), \
  (SELECT group_concat(e.person_id) FROM enrolments e WHERE e.class_id = t.class_id AND e.ended_on IS NULL) \
  FROM teaching_assignments t JOIN accounts a ON a.person_id = t.teacher_id WHERE t.group_id IS NULL \
  AND EXISTS (SELECT 1 FROM lessons l WHERE l.class_id = t.class_id AND l.subject_code = t.subject_code AND l.teacher_id = t.teacher_id AND l.day < '$PARTA_TODAY') \
  ORDER BY random() LIMIT 1500" |
awk -F'\t' 'split($4, l, ",") >= 12' | head -400 |
while IFS=$'\t' read -r login class subject lessons students; do
  s=$(sign_in "$login"); printf '%s\t%s\t%s\t%s\t%s\n' "$s" "$class" "$subject" "$lessons" "$students" >>"$OUT/ov-save.txt"
done
# Memory the server owns (the SQLite file it maps is counted in VmRSS but is page cache).
rss() { awk '/RssAnon/ {print $2}' /proc/$pid/status; }
hwm() { awk '/VmHWM/ {print $2}' /proc/$pid/status; }
SAVES_FROM=$(($(date +%s%3N) - 1000))
cleanup_saves() {
  for table in "marks WHERE created_at" "mark_history WHERE changed_at" "notifications WHERE created_at" "outbox WHERE at" "audit_log WHERE at"; do
    sql "DELETE FROM $table >= $SAVES_FROM" >/dev/null
  done
}
echo "RESULT rss_start_kb=$(rss)"
for mode in ${MODES:-diary save}; do
  sessions="$OUT/ov-$mode.txt"
  conns=$([ $mode = diary ] && echo 32 || echo 200)
  echo "== $mode: capacity (closed loop, $conns connections) =="
  MODE=$mode SESSIONS="$sessions" wrk -t2 -c$conns -d"$DURATION" --latency -s bench/overload.lua "$URL" | tee "$OUT/ov-$mode-cap.txt" | grep RESULT
  cap=$(sed -n 's/.*admitted_rps=\([0-9]*\).*/\1/p' "$OUT/ov-$mode-cap.txt")
  [ $mode = save ] && cleanup_saves
  # Twice the capacity, open loop: requests start at that rate whatever the answers
  # (crates/parta-bench); latency counted from each request's planned start.
  echo "== $mode: twice the capacity, $((2 * cap)) requests a second, open loop =="
  "$CARGO_TARGET_DIR/release/parta-load" --url "$URL" --mode $mode --sessions "$sessions" --rate $((2 * cap)) --seconds "${DURATION%s}" | tee "$OUT/ov-$mode-2x.txt"
  echo "RESULT mode=$mode after_2x anon_rss_kb=$(rss)"
  [ $mode = save ] && cleanup_saves
  # A flood: 4000 connections resending at once on every answer, 503 included (clients
  # that ignore Retry-After) — far beyond twice the capacity, a denial-of-service pattern.
  echo "== $mode: a flood (4000 connections, no pauses) =="
  MODE=$mode SESSIONS="$sessions" wrk -t2 -c4000 -d"$DURATION" --latency --timeout 10s -s bench/overload.lua "$URL" | tee "$OUT/ov-$mode-flood.txt" | grep RESULT
  echo "RESULT mode=$mode capacity_rps=$cap anon_rss_kb=$(rss) peak_rss_kb=$(hwm)"
  [ $mode = save ] && cleanup_saves
done
curl -sf "$URL/metrics" | grep -E "^http_requests_shed_total" || true
