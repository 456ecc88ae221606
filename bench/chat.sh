#!/usr/bin/env bash
# Benchmark of the chats (issue 12; see RESULTS.md): a generated region, a release server,
# `parta-chat-load` on the same machine — one WebSocket per student in their class's
# chat, a connect storm, memory per idle socket, messages at a fixed rate and the delay of
# every delivery — then the history page and the chat list (unread counts) under wrk with
# MESSAGES messages stored.
#   bench/chat.sh [clients] [rate msg/s] [seconds]      defaults 10000 2000 20
#   PG_URL=postgres://…/db bench/chat.sh …              the same on PostgreSQL
#   MESSAGES=10000000 (stored before the reads, then indexed by `parta reindex`; 0 skips
#   them); KIND=search looks for words of those messages in other forms (one of eight
#   messages has each), two words at once, a misspelt word, and a word nobody wrote.
set -euo pipefail
cd "$(dirname "$0")/.."
CLIENTS="${1:-10000}"
RATE="${2:-2000}"
LOAD_SECONDS="${3:-20}"
MESSAGES="${MESSAGES:-10000000}"
PORT="${PORT:-18094}"
DURATION="${DURATION:-20s}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
export PARTA_TODAY="${PARTA_TODAY:-2026-11-30}"
BIN="$CARGO_TARGET_DIR/release/parta"
LOAD="$CARGO_TARGET_DIR/release/parta-chat-load"
OUT="bench/out"
mkdir -p "$OUT"
for tool in wrk curl $([ -n "${PG_URL:-}" ] && echo psql || echo sqlite3); do command -v $tool >/dev/null || { echo "$tool is needed: apt-get install $tool" >&2; exit 1; }; done
[ -n "${NO_BUILD:-}" ] || cargo build --release -p parta -p parta-bench -q
# One socket is one descriptor on each side.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

STUDENTS=$((CLIENTS + CLIENTS / 5))
DATA="$OUT/chat-$STUDENTS${PG_URL:+-pg}"
DB="$DATA/parta.db"
sql() {
  if [ -n "${PG_URL:-}" ]; then psql "$PG_URL" -qAt -F $'\t' -c "$1"; else sqlite3 -cmd ".timeout 60000" -separator $'\t' "$DB" "$1"; fi
}
DB_ARGS=(--data-dir "$DATA")
[ -n "${PG_URL:-}" ] && DB_ARGS+=(--database-url "$PG_URL")
if [ ! -d "$DATA" ]; then
  echo "== generate $STUDENTS students =="
  mkdir -p "$DATA"
  "$BIN" gen "${DB_ARGS[@]}" --students "$STUDENTS" --seed 1 >/dev/null
fi

PARTA_SIGN_IN__ADDRESS_FREE_FAILURES=1000000000 PARTA_LOG=warn "$BIN" serve "${DB_ARGS[@]}" --port "$PORT" >"$OUT/chat-serve.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
until curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null; do
  kill -0 $pid 2>/dev/null || { echo "the server stopped:" >&2; tail -20 "$OUT/chat-serve.log" >&2; exit 1; }
  sleep 0.1
done
URL="http://127.0.0.1:$PORT"

# Students of whole classes, class after class.
sql "SELECT a.login FROM accounts a JOIN enrolments e ON e.person_id = a.person_id AND e.ended_on IS NULL \
     JOIN role_assignments r ON r.person_id = a.person_id AND r.role = 'student' ORDER BY e.class_id, a.login LIMIT $CLIENTS" >"$OUT/chat-logins.txt"
echo "== $CLIENTS sockets, $RATE messages/s for $LOAD_SECONDS s =="
SERVER_PID=$pid SESSIONS_OUT="$OUT/chat-sessions.txt" "$LOAD" "$URL" "$OUT/chat-logins.txt" "$RATE" "$LOAD_SECONDS" | tee "$OUT/chat-load.txt" | grep RESULT

if [ "$MESSAGES" -gt 0 ]; then
  have=$(sql "SELECT COUNT(*) FROM chat_messages")
  if [ "$have" -lt "$MESSAGES" ]; then
    echo "== store $MESSAGES messages in the class chats =="
    # Eight everyday phrases in turn (the search looks for their words in other forms).
    PHRASE_LIST='Напоминаю: завтра контрольная работа по математике, повторите дроби.|Родительское собрание в четверг в 18:00 в кабинете 12.|Экскурсия в музей переносится на следующую неделю.|Кто может принести краски и кисти на урок рисования?|Домашнее задание по русскому языку: упражнение 125.|Спасибо всем, кто пришёл на субботник!|Не забудьте сменную обувь и форму на физкультуру.|Олимпиада по информатике пройдёт в среду на седьмом уроке.'
    PHRASES=$(IFS='|'; sep=; for ph in $PHRASE_LIST; do echo -n "$sep'$ph'"; sep=,; done)
    kill $pid; wait $pid 2>/dev/null || true
    # Each chat's history grows by the same number of messages, written by its members'
    # author (the chat's first author), with places after the chat's last one.
    chats=$(sql "SELECT COUNT(*) FROM chats")
    per=$(( (MESSAGES - have) / chats + 1 ))
    if [ -n "${PG_URL:-}" ]; then
      sql "INSERT INTO chat_messages (chat_id, seq, id, author_id, body, created_at) \
           SELECT c.id, c.last_seq + g, c.id || '-' || g, (SELECT author_id FROM chat_messages m WHERE m.chat_id = c.id LIMIT 1), \
                  (ARRAY[$PHRASES])[1 + g % 8], 1764460800000 + g * 1000 \
           FROM chats c CROSS JOIN generate_series(1, $per) g WHERE EXISTS (SELECT 1 FROM chat_messages m WHERE m.chat_id = c.id)"
    else
      sql "WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < $per) \
           INSERT INTO chat_messages (chat_id, seq, id, author_id, body, created_at) \
           SELECT c.id, c.last_seq + g.n, c.id || '-' || g.n, (SELECT author_id FROM chat_messages m WHERE m.chat_id = c.id LIMIT 1), \
                  CASE g.n % 8 $(i=0; IFS='|'; for ph in $PHRASE_LIST; do echo -n "WHEN $i THEN '$ph' "; i=$((i+1)); done) END, 1764460800000 + g.n * 1000 \
           FROM chats c CROSS JOIN g WHERE EXISTS (SELECT 1 FROM chat_messages m WHERE m.chat_id = c.id)"
    fi
    sql "UPDATE chats SET last_seq = (SELECT MAX(seq) FROM chat_messages m WHERE m.chat_id = chats.id), \
         last_at = (SELECT MAX(created_at) FROM chat_messages m WHERE m.chat_id = chats.id) \
         WHERE EXISTS (SELECT 1 FROM chat_messages m WHERE m.chat_id = chats.id)"
    echo "== search index of the stored messages =="
    t0=$(date +%s.%N)
    "$BIN" reindex "${DB_ARGS[@]}" 2>/dev/null | tee "$OUT/chat-reindex.txt"
    t1=$(date +%s.%N)
    echo "RESULT reindex_s=$(echo "$t1 - $t0" | bc) index_mb=$(du -sm "$DATA/index/chats" | cut -f1)"
    PARTA_SIGN_IN__ADDRESS_FREE_FAILURES=1000000000 PARTA_LOG=warn "$BIN" serve "${DB_ARGS[@]}" --port "$PORT" >"$OUT/chat-serve.log" 2>&1 &
    pid=$!
    until curl -sf "$URL/readyz" >/dev/null; do sleep 0.1; done
  fi
  echo "RESULT messages=$(sql "SELECT COUNT(*) FROM chat_messages") chats=$(sql "SELECT COUNT(*) FROM chats")"
  for kind in history history-old list search; do
    SESSIONS="$OUT/chat-sessions.txt" KIND=$kind wrk -t2 -c32 -d5s -s bench/chat.lua "$URL" >/dev/null
    echo "== $kind =="
    SESSIONS="$OUT/chat-sessions.txt" KIND=$kind DEPTH=20000 wrk -t2 -c32 -d"$DURATION" --latency -s bench/chat.lua "$URL" | tee "$OUT/chat-$kind.txt" | grep RESULT
  done
fi
