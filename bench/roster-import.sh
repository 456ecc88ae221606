#!/usr/bin/env bash
# Roster import (issue 11; see RESULTS.md): a generated region, the largest school exported
# as OneRoster 1.2 and imported back — checked (dry run), re-imported (nothing changes), and
# imported as a school's own system would send it the first time (every id new to the
# platform's id map: the same people found by СНИЛС, stays and classes matched).
#   bench/roster-import.sh [students]      default 10000
set -euo pipefail
cd "$(dirname "$0")/.."
STUDENTS="${1:-10000}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
export PARTA_TODAY="${PARTA_TODAY:-2026-11-30}"
BIN="$CARGO_TARGET_DIR/release/parta"
OUT="bench/out"
DATA="$OUT/roster-$STUDENTS"
mkdir -p "$OUT"
for tool in sqlite3 python3 /usr/bin/time; do command -v $tool >/dev/null || { echo "$tool is needed" >&2; exit 1; }; done
[ -n "${NO_BUILD:-}" ] || cargo build --release -p parta -q
rm -rf "$DATA"; mkdir -p "$DATA"
"$BIN" gen --data-dir "$DATA" --students "$STUDENTS" --seed 1 >/dev/null
ORG=$(sqlite3 "$DATA/parta.db" "SELECT organisation_id FROM enrolments WHERE ended_on IS NULL GROUP BY organisation_id ORDER BY COUNT(*) DESC LIMIT 1")
echo "RESULT school_students=$(sqlite3 "$DATA/parta.db" "SELECT COUNT(*) FROM enrolments WHERE organisation_id = '$ORG' AND ended_on IS NULL")"
"$BIN" export --data-dir "$DATA" --org "$ORG" --to "$OUT/roster.zip" >/dev/null
python3 - "$OUT/roster.zip" <<'PY'
import sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
rows = sum(len(z.read(n).splitlines()) - 1 for n in z.namelist())
print(f"RESULT package_rows={rows} package_bytes={sum(i.file_size for i in z.infolist())}")
PY
run() {
  local label="$1"; shift
  /usr/bin/time -f "%e %M" -o "$OUT/roster-time.txt" "$BIN" import --data-dir "$DATA" --org "$ORG" "$@" >"$OUT/roster-$label.txt"
  read -r secs kb < "$OUT/roster-time.txt"
  echo "RESULT step=$label seconds=$secs max_rss_mb=$((kb / 1024))"
  cat "$OUT/roster-$label.txt"
}
run dry-run --file "$OUT/roster.zip" --dry-run
run reimport --file "$OUT/roster.zip"
# The same school as its own system sends it: every id prefixed, so none is known yet.
python3 - "$OUT/roster.zip" "$OUT/roster-foreign.zip" <<'PY'
import csv, io, sys, zipfile
src, dst = zipfile.ZipFile(sys.argv[1]), zipfile.ZipFile(sys.argv[2], "w", zipfile.ZIP_DEFLATED)
for name in src.namelist():
    text = src.read(name).decode()
    if name != "manifest.csv":
        rows = list(csv.reader(io.StringIO(text)))
        head = rows[0]
        ids = [i for i, h in enumerate(head) if h.lower().endswith("sourcedid") or h.endswith("SourcedIds")]
        for r in rows[1:]:
            for i in ids:
                if i < len(r) and r[i]:
                    r[i] = ",".join("x-" + v for v in r[i].split(","))
        out = io.StringIO()
        csv.writer(out, lineterminator="\n").writerows(rows)
        text = out.getvalue()
    dst.writestr(name, text)
dst.close()
PY
run first-import --file "$OUT/roster-foreign.zip"
run foreign-reimport --file "$OUT/roster-foreign.zip"

