#!/usr/bin/env bash
# OneRoster 1.2 REST reads (issue 11; see RESULTS.md): a generated region, a release
# server, wrk on loopback reading the largest school's `users` as its director's session
# (a page of 100, the default), then the same with a filter and a sort, and a class's
# students.
#   bench/oneroster-rest.sh [students]      default 11000 (the largest school ≈ 1,500)
set -euo pipefail
cd "$(dirname "$0")/.."
STUDENTS="${1:-11000}"
PORT="${PORT:-18094}"
DURATION="${DURATION:-15s}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
export PARTA_TODAY="${PARTA_TODAY:-2026-11-30}"
BIN="$CARGO_TARGET_DIR/release/parta"
OUT="bench/out"
DATA="$OUT/or-$STUDENTS"
mkdir -p "$OUT"
for tool in wrk curl sqlite3; do command -v $tool >/dev/null || { echo "$tool is needed: apt-get install $tool" >&2; exit 1; }; done
[ -n "${NO_BUILD:-}" ] || cargo build --release -p parta -q
[ -d "$DATA" ] || { mkdir -p "$DATA"; "$BIN" gen --data-dir "$DATA" --students "$STUDENTS" --seed 1 >/dev/null; }
sql() { sqlite3 -cmd ".timeout 10000" -separator $'\t' "$DATA/parta.db" "$1"; }
ORG=$(sql "SELECT organisation_id FROM enrolments WHERE ended_on IS NULL GROUP BY organisation_id ORDER BY COUNT(*) DESC LIMIT 1")
CLASS=$(sql "SELECT class_id FROM enrolments WHERE organisation_id = '$ORG' AND ended_on IS NULL GROUP BY class_id ORDER BY COUNT(*) DESC LIMIT 1")
echo "RESULT school_students=$(sql "SELECT COUNT(*) FROM enrolments WHERE organisation_id = '$ORG' AND ended_on IS NULL") school_people=$(sql "SELECT COUNT(DISTINCT person_id) FROM (SELECT person_id FROM enrolments WHERE organisation_id = '$ORG' AND ended_on IS NULL UNION SELECT g.parent_id FROM guardianships g JOIN enrolments e ON e.person_id = g.child_id AND e.organisation_id = '$ORG' AND e.ended_on IS NULL UNION SELECT person_id FROM staff_positions WHERE organisation_id = '$ORG')")"
LOGIN=$(sql "SELECT a.login FROM accounts a JOIN role_assignments r ON r.person_id = a.person_id WHERE r.role = 'school_admin' AND r.organisation_id = '$ORG' LIMIT 1")
PARTA_SIGN_IN__ADDRESS_FREE_FAILURES=1000000000 PARTA_LOG=warn "$BIN" serve --data-dir "$DATA" --port "$PORT" >"$OUT/or-serve.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
until curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null; do
  kill -0 $pid 2>/dev/null || { tail -20 "$OUT/or-serve.log" >&2; exit 1; }
  sleep 0.1
done
URL="http://127.0.0.1:$PORT"
curl -s -D "$OUT/or-h.txt" -o /dev/null -H 'content-type: application/json' \
  -d "{\"login\":\"$LOGIN\",\"password\":\"Parta-demo-2026\"}" "$URL/api/v1/session"
COOKIE=$(awk -F'[ ;]' 'tolower($1) == "set-cookie:" {print $2}' "$OUT/or-h.txt" | head -1)
B=/ims/oneroster/rostering/v1p2
curl -sf -o /dev/null -H "Cookie: $COOKIE" "$URL$B/users" || { echo "users not answered" >&2; exit 1; }
bench() {
  local label="$1" paths="$2"
  COOKIE="$COOKIE" PATHS="$paths" wrk -t2 -c8 -d "$DURATION" --latency -s bench/oneroster.lua "$URL" >"$OUT/or-$label.txt"
  local rps p50 p99
  rps=$(awk '/Requests\/sec/ {print $2}' "$OUT/or-$label.txt")
  p50=$(awk '$1 == "50%" {print $2}' "$OUT/or-$label.txt")
  p99=$(awk '$1 == "99%" {print $2}' "$OUT/or-$label.txt")
  echo "RESULT bench=$label rps=$rps p50=$p50 p99=$p99"
}
bench users "$B/users|$B/users?offset=100|$B/users?offset=1000"
# roles.role='student' AND familyName~'ов', sorted, three fields.
bench users-filtered "$B/users?filter=roles.role%3D%27student%27%20AND%20familyName~%27%D0%BE%D0%B2%27&sort=familyName&fields=sourcedId,givenName,familyName"
bench class-students "$B/classes/$CLASS/students"
