#!/usr/bin/env bash
# Benchmarks of the school day (issue 3; see RESULTS.md): a generated region with a term
# of lessons, marks and attendance, a release server, wrk on loopback.
#   bench/school-day.sh [students]      default 100000
#   PG_URL=postgres://…/db bench/school-day.sh …   the same against PostgreSQL (an empty
#                                                  database is generated into first)
set -euo pipefail
cd "$(dirname "$0")/.."
STUDENTS="${1:-100000}"
PORT="${PORT:-18092}"
DURATION="${DURATION:-20s}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
# One date for the generated data and the server, so runs on different days compare.
export PARTA_TODAY="${PARTA_TODAY:-2026-11-30}"
BIN="$CARGO_TARGET_DIR/release/parta"
OUT="bench/out"
mkdir -p "$OUT"
for tool in wrk curl $([ -n "${PG_URL:-}" ] && echo psql || echo sqlite3); do command -v $tool >/dev/null || { echo "$tool is needed: apt-get install $tool" >&2; exit 1; }; done
[ -n "${NO_BUILD:-}" ] || cargo build --release -p parta -q

DATA="$OUT/sd-$STUDENTS${PG_URL:+-pg}"
DB="$DATA/parta.db"
# One SQL statement against the benchmarked database, rows tab-separated.
sql() {
  if [ -n "${PG_URL:-}" ]; then psql "$PG_URL" -qAt -F $'\t' -c "$1"; else sqlite3 -cmd ".timeout 10000" -separator $'\t' "$DB" "$1"; fi
}
DB_ARGS=(--data-dir "$DATA")
[ -n "${PG_URL:-}" ] && DB_ARGS+=(--database-url "$PG_URL")
GROUP_CONCAT=$([ -n "${PG_URL:-}" ] && echo "string_agg(e.person_id, ',')" || echo "group_concat(e.person_id)")
LESSON_CONCAT=$([ -n "${PG_URL:-}" ] && echo "string_agg(x.id, ',')" || echo "group_concat(x.id)")
if [ ! -d "$DATA" ]; then
  echo "== generate $STUDENTS students with the school day =="
  mkdir -p "$DATA"
  /usr/bin/time -v "$BIN" gen "${DB_ARGS[@]}" --students "$STUDENTS" --seed 1 --school-day 2>"$OUT/sd-gen-time.txt"
  grep -E "Elapsed|Maximum resident" "$OUT/sd-gen-time.txt"
fi
SIZE=$([ -n "${PG_URL:-}" ] && sql "SELECT pg_database_size(current_database())" || stat -c %s "$DB")
echo "RESULT db_bytes=$SIZE $(sql "SELECT 'marks=' || (SELECT COUNT(*) FROM marks) || ' lessons=' || (SELECT COUNT(*) FROM lessons) || ' attendance=' || (SELECT COUNT(*) FROM attendance) || ' students=' || (SELECT COUNT(*) FROM enrolments WHERE ended_on IS NULL)")"

PARTA_SIGN_IN__ADDRESS_FREE_FAILURES=1000000000 PARTA_LOG=warn "$BIN" serve "${DB_ARGS[@]}" --port "$PORT" >"$OUT/sd-serve.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
until curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null; do
  kill -0 $pid 2>/dev/null || { echo "the server stopped:" >&2; tail -20 "$OUT/sd-serve.log" >&2; exit 1; }
  sleep 0.1
done
URL="http://127.0.0.1:$PORT"

# Signs in; prints "cookie<TAB>csrf".
sign_in() {
  curl -s -D "$OUT/h.txt" -o "$OUT/b.json" -H 'content-type: application/json' \
    -d "{\"login\":\"$1\",\"password\":\"Parta-demo-2026\"}" "$URL/api/v1/session"
  local cookie csrf
  cookie=$(awk -F'[ ;]' 'tolower($1) == "set-cookie:" {print $2}' "$OUT/h.txt" | head -1)
  csrf=$(sed -n 's/.*"csrf_token":"\([^"]*\)".*/\1/p' "$OUT/b.json")
  printf '%s\t%s' "$cookie" "$csrf"
}

echo "== sessions: 300 students and 100 parents (diary), 200 teachers (journal, saving) =="
: >"$OUT/diary-sessions.txt"
sql "SELECT a.login, a.person_id FROM accounts a JOIN role_assignments r ON r.person_id = a.person_id AND r.role = 'student' ORDER BY random() LIMIT 300" |
while IFS=$'\t' read -r login student; do
  s=$(sign_in "$login"); printf '%s\t%s\n' "${s%%$'\t'*}" "$student" >>"$OUT/diary-sessions.txt"
done
sql "SELECT a.login, g.child_id FROM guardianships g JOIN accounts a ON a.person_id = g.parent_id ORDER BY random() LIMIT 100" |
while IFS=$'\t' read -r login student; do
  s=$(sign_in "$login"); printf '%s\t%s\n' "${s%%$'\t'*}" "$student" >>"$OUT/diary-sessions.txt"
done
TODAY=$PARTA_TODAY
: >"$OUT/journal-sessions.txt"
: >"$OUT/save-sessions.txt"
# Journals with at least 12 lessons given in the open period (up to 30): each session's
# saves go round them in turn, so a run stays within 3 marks a student a lesson (the
# closed-loop run is kept short for it); a closed period takes no marks.
sql "SELECT a.login, t.class_id, t.subject_code, \
  (SELECT $LESSON_CONCAT FROM (SELECT l.id FROM lessons l WHERE l.class_id = t.class_id AND l.subject_code = t.subject_code AND l.teacher_id = t.teacher_id AND l.day < '$TODAY' AND l.day > COALESCE((SELECT MAX(p.ends_on) FROM study_periods p WHERE p.organisation_id = l.organisation_id AND p.closed_at IS NOT NULL), '0') ORDER BY l.day DESC LIMIT 30) x), \
  (SELECT $GROUP_CONCAT FROM enrolments e WHERE e.class_id = t.class_id AND e.ended_on IS NULL) \
  FROM teaching_assignments t JOIN accounts a ON a.person_id = t.teacher_id \
  WHERE EXISTS (SELECT 1 FROM lessons l WHERE l.class_id = t.class_id AND l.subject_code = t.subject_code AND l.teacher_id = t.teacher_id AND l.day < '$TODAY') \
  ORDER BY random() LIMIT 1000" |
awk -F'\t' 'split($4, l, ",") >= 12' | head -200 |
while IFS=$'\t' read -r login class subject lesson students; do
  s=$(sign_in "$login")
  printf '%s\t%s\t%s\n' "${s%%$'\t'*}" "$class" "$subject" >>"$OUT/journal-sessions.txt"
  printf '%s\t%s\t%s\t%s\t%s\n' "$s" "$class" "$subject" "$lesson" "$students" >>"$OUT/save-sessions.txt"
done
wc -l "$OUT"/diary-sessions.txt "$OUT"/journal-sessions.txt "$OUT"/save-sessions.txt

[ -n "${ONLY_SAVES:-}" ] || for kind in api html; do
  echo "== diary week ($kind), 400 students and parents, 32 connections =="
  SESSIONS="$OUT/diary-sessions.txt" KIND=$kind wrk -t2 -c32 -d5s -s bench/diary.lua "$URL" >/dev/null
  SESSIONS="$OUT/diary-sessions.txt" KIND=$kind wrk -t2 -c32 -d"$DURATION" --latency -s bench/diary.lua "$URL" | tee "$OUT/diary-$kind.txt" | grep RESULT
done
[ -n "${ONLY_SAVES:-}" ] || {
  echo "== diary week (api), a random week of the half-year each time: mostly misses of the class-week memory =="
  SESSIONS="$OUT/diary-sessions.txt" KIND=api ANY_WEEK=1 wrk -t2 -c32 -d"$DURATION" --latency -s bench/diary.lua "$URL" | tee "$OUT/diary-any-week.txt" | grep RESULT
}
[ -n "${ONLY_SAVES:-}" ] || for kind in api html; do
  echo "== journal grid ($kind), 200 teachers, 16 connections =="
  SESSIONS="$OUT/journal-sessions.txt" KIND=$kind wrk -t2 -c16 -d5s -s bench/journal.lua "$URL" >/dev/null
  SESSIONS="$OUT/journal-sessions.txt" KIND=$kind wrk -t2 -c16 -d"$DURATION" --latency -s bench/journal.lua "$URL" | tee "$OUT/journal-$kind.txt" | grep RESULT
done

SAVES_FROM=$(($(date +%s%3N) - 1000))
for think in 5000 2000 1000 0; do
  echo "== 200 teachers saving a whole class each, ${think} ms between saves =="
  before=$(sql "SELECT COUNT(*) FROM marks")
  d=$([ "$think" = 0 ] && echo 8s || echo "$DURATION")
  SESSIONS="$OUT/save-sessions.txt" THINK_MS=$think wrk -t2 -c200 -d"$d" --latency -s bench/save-marks.lua "$URL" | tee "$OUT/save-$think.txt" | grep RESULT
  sleep 1
  after=$(sql "SELECT COUNT(*) FROM marks")
  written=$(sed -n 's/.*marks_written=\([0-9]*\).*/\1/p' "$OUT/save-$think.txt")
  lost=$((written - (after - before))); [ "$lost" -lt 0 ] && lost=0  # more in the database: saves in flight when wrk stopped
  echo "RESULT marks_in_db_delta=$((after - before)) marks_acknowledged=$written lost=$lost"
  # The saves piled marks onto the journals' lessons; take them out so the next run
  # starts from the same journals (the generated data stays as it was).
  for table in "marks WHERE created_at" "mark_history WHERE changed_at" "notifications WHERE created_at" "outbox WHERE at"; do
    sql "DELETE FROM $table >= $SAVES_FROM" >/dev/null
  done
done

echo "== period grades of the largest school =="
ORG=$(sql "SELECT organisation_id FROM enrolments WHERE ended_on IS NULL GROUP BY organisation_id ORDER BY COUNT(*) DESC LIMIT 1")
ADMIN=$(sql "SELECT a.login FROM accounts a JOIN role_assignments r ON r.person_id = a.person_id WHERE r.role = 'school_admin' AND r.organisation_id = '$ORG' LIMIT 1")
read -r FROM TO < <(sql "SELECT starts_on, ends_on FROM study_periods WHERE organisation_id = '$ORG' ORDER BY starts_on LIMIT 1")
s=$(sign_in "$ADMIN")
for i in 1 2 3 4 5; do
  curl -s -o "$OUT/grades.json" -w "RESULT school_grades_s=%{time_total} bytes=%{size_download}\n" -H "Cookie: ${s%%$'\t'*}" "$URL/api/v1/organisations/$ORG/grades?from=$FROM&to=$TO"
done
echo "RESULT school=$ORG students=$(sql "SELECT COUNT(*) FROM enrolments WHERE organisation_id = '$ORG' AND ended_on IS NULL") grades=$(grep -o '"suggested"' "$OUT/grades.json" | wc -l)"
