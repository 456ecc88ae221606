#!/usr/bin/env bash
# A region's OneRoster package (issue 11; see RESULTS.md): a generated region, every school
# exported and merged into one 1.2 package with a district per municipality, then imported by
# the region's system with the release binary's `parta import --region` (SQLite):
#   1. checked (dry run);
#   2. the first import as the region's system sends it — every id its own ("r-" prefixed),
#      no СНИЛС: every student, parent and teacher is a new person, enrolled into the
#      school's class of the same name;
#   3. the same package again (nothing changes).
#   bench/roster-region.sh [students]      default 100000
set -euo pipefail
cd "$(dirname "$0")/.."
STUDENTS="${1:-100000}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
export PARTA_TODAY="${PARTA_TODAY:-2026-11-30}"
BIN="$CARGO_TARGET_DIR/release/parta"
OUT="bench/out"
DATA="$OUT/region-$STUDENTS"
mkdir -p "$OUT"
for tool in sqlite3 python3 /usr/bin/time; do command -v $tool >/dev/null || { echo "$tool is needed" >&2; exit 1; }; done
[ -n "${NO_BUILD:-}" ] || cargo build --release -p parta -q
rm -rf "$DATA" "$OUT/region-schools"; mkdir -p "$DATA" "$OUT/region-schools"
"$BIN" gen --data-dir "$DATA" --students "$STUDENTS" --seed 1 >/dev/null
REGION=$(sqlite3 "$DATA/parta.db" "SELECT region_code FROM municipalities LIMIT 1")
for org in $(sqlite3 "$DATA/parta.db" "SELECT DISTINCT organisation_id FROM enrolments WHERE ended_on IS NULL"); do
  "$BIN" export --data-dir "$DATA" --org "$org" --to "$OUT/region-schools/$org.zip" >/dev/null
  mun=$(sqlite3 "$DATA/parta.db" "SELECT municipality_id FROM organisations WHERE id = '$org'")
  echo "$org $mun" >> "$OUT/region-schools/index.txt"
done
python3 - "$OUT/region-schools" "$OUT/region.zip" <<'PY'
import csv, io, os, sys, zipfile
src, dst = sys.argv[1], sys.argv[2]
index = dict(l.split() for l in open(os.path.join(src, "index.txt")))
files, seen, heads = {}, {}, {}
def rows_of(text):
    r = list(csv.reader(io.StringIO(text)))
    return r[0], r[1:]
for org, mun in index.items():
    z = zipfile.ZipFile(os.path.join(src, org + ".zip"))
    for name in z.namelist():
        if name == "manifest.csv":
            continue
        head, rows = rows_of(z.read(name).decode())
        heads[name] = head
        out = files.setdefault(name, [])
        ids = seen.setdefault(name, set())
        for r in rows:
            if name == "orgs.csv":
                r[head.index("parentSourcedId")] = "d-" + mun
            if r[0] in ids:
                continue
            ids.add(r[0])
            out.append(r)
for mun in sorted(set(index.values())):
    files["orgs.csv"].insert(0, ["d-" + mun, "active", "", "Управление образования " + mun[:8], "district", "", ""])
def foreign(name, head, r):
    # The region's own ids; no СНИЛС (every person new to the platform).
    for i, h in enumerate(head):
        if (h.lower().endswith("sourcedid") or h.endswith("SourcedIds")) and r[i]:
            r[i] = ",".join("r-" + v for v in r[i].split(","))
        if h == "userIds":
            r[i] = ""
    return r
z = zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED)
manifest = "propertyName,value\nmanifest.version,1.0\noneroster.version,1.2\n" + "".join(
    f"file.{n[:-4]},bulk\n" for n in files) + "source.systemName,Региональная система\n"
z.writestr("manifest.csv", manifest)
total = 0
for name, rows in files.items():
    head = heads[name]
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(head)
    for r in rows:
        w.writerow(foreign(name, head, r))
    total += len(rows)
    z.writestr(name, buf.getvalue())
z.close()
print(f"RESULT package_rows={total} schools={len(index)} package_bytes={os.path.getsize(dst)}")
PY
# Peak memory two ways: the resident set (with the SQLite database's pages mapped in by
# `mmap_size`, file-backed and shared with the page cache) and the process's own anonymous
# memory (what the import holds: the package, its rows, the id map), sampled every 0.1 s.
run() {
  local label="$1"; shift
  /usr/bin/time -f "%e %M" -o "$OUT/region-time.txt" "$BIN" import --data-dir "$DATA" --region "$REGION" "$@" >"$OUT/region-$label.txt" &
  local pid=$! anon=0 now
  sleep 0.05
  local child; child=$(pgrep -P $pid -n parta || true)
  while kill -0 $pid 2>/dev/null; do
    now=$(awk '/^RssAnon/ {print $2}' "/proc/${child:-$pid}/status" 2>/dev/null || echo 0)
    [ -n "$now" ] && [ "$now" -gt "$anon" ] && anon=$now
    sleep 0.1
  done
  wait $pid
  read -r secs kb < "$OUT/region-time.txt"
  echo "RESULT step=$label seconds=$secs max_rss_mb=$((kb / 1024)) max_anon_mb=$((anon / 1024))"
  sed -n '/WARN/!{p;q}' "$OUT/region-$label.txt"
}
run dry-run --file "$OUT/region.zip" --dry-run
run first-import --file "$OUT/region.zip"
run reimport --file "$OUT/region.zip"
