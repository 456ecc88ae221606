#!/usr/bin/env python3
"""Backup and restore drill (issue 8), run by the test suite on every CI run.

A server with the demo region takes marks from teachers (threads) while `parta backup`
copies the database; `parta restore` then puts the copy into a new data directory.
Checked: the copy passes `PRAGMA integrity_check`; every table of the restored database
has the rows and content (a hash over every row) of the copy; every save acknowledged
before the backup began is in it; and every table the writers did not touch equals the
live database at the end.

    bench/backup-drill.py --bin target/debug/parta [--teachers 10] [--seconds 3]
"""

import argparse
import hashlib
import json
import os
import random
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time

from parta_http import request

PASSWORD = "Parta-demo-2026"
# Tables a journal save writes to (with the notifications it causes and the sign-ins).
# The event stream's consumers move their cursors (and may set events aside) as they go.
WRITTEN = {"marks", "mark_history", "audit_log", "outbox", "notifications", "sessions",
           "known_devices", "api_tokens", "event_cursors", "event_failures"}


def tables(path):
    con = sqlite3.connect(path)
    try:
        names = [r[0] for r in con.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")]
        out = {}
        for t in names:
            rows = sorted(repr(r) for r in con.execute(f'SELECT * FROM "{t}"'))
            out[t] = (len(rows), hashlib.sha256("\n".join(rows).encode()).hexdigest()[:16])
        return out
    finally:
        con.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--teachers", type=int, default=10)
    ap.add_argument("--seconds", type=float, default=3)
    ap.add_argument("--port", type=int, default=18097)
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix="parta-drill-")
    live, restored, copy = os.path.join(work, "live"), os.path.join(work, "restored"), os.path.join(work, "copy.db")
    env = dict(os.environ, PARTA_LOG="error", PARTA_TODAY=os.environ.get("PARTA_TODAY", "2026-11-30"))
    server = subprocess.Popen([args.bin, "serve", "--demo", "--data-dir", live, "--port", str(args.port)],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 120
        while True:
            try:
                if request(args.port, "GET", "/readyz")[0] == 200:
                    break
            except OSError:
                pass
            if time.time() > deadline or server.poll() is not None:
                sys.exit("the server did not start")
            time.sleep(0.1)
        con = sqlite3.connect(os.path.join(live, "parta.db"), timeout=30)
        rows = con.execute(f"""
            SELECT a.login, m.id, m.lesson_id, m.student_id, m.value, l.class_id, l.subject_code
            FROM marks m JOIN lessons l ON l.id = m.lesson_id JOIN accounts a ON a.person_id = l.teacher_id
            WHERE l.group_id IS NULL AND l.day >= date('{env['PARTA_TODAY']}', '-20 days')
            AND l.day <= '{env['PARTA_TODAY']}' ORDER BY a.login, m.id""").fetchall()
        con.close()
        by_teacher = {}
        for login, mid, lesson, student, value, cls, subject in rows:
            by_teacher.setdefault(login, [])
            if len(by_teacher[login]) < 10:
                by_teacher[login].append((mid, lesson, student, value, f"/api/v1/classes/{cls}/journal/{subject}"))
        logins = sorted(by_teacher)[: args.teachers]
        acked, lock, stop = {}, threading.Lock(), threading.Event()
        saves = [0]

        def teacher(login):
            status, cookie, body = request(args.port, "POST", "/api/v1/session", {"login": login, "password": PASSWORD})
            if status != 200:
                return
            h = {"Cookie": cookie.split(";")[0], "X-CSRF-Token": json.loads(body)["csrf_token"]}
            seq = 0
            while not stop.is_set():
                mid, lesson, student, value, path = random.choice(by_teacher[login])
                seq += 1
                body = {"marks": [{"lesson_id": lesson, "student_id": student, "mark_id": mid,
                                   "value": value, "comment": f"drill-{seq:09d}"}]}
                if request(args.port, "POST", path, body, h)[0] == 200:
                    with lock:
                        acked[mid] = max(acked.get(mid, ""), f"drill-{seq:09d}")
                        saves[0] += 1

        threads = [threading.Thread(target=teacher, args=(t,), daemon=True) for t in logins]
        for t in threads:
            t.start()
        time.sleep(args.seconds)
        with lock:
            before, saves_before = dict(acked), saves[0]
        b = subprocess.run([args.bin, "backup", "--data-dir", live, "--to", copy], env=env,
                           capture_output=True, text=True)
        if b.returncode != 0:
            sys.exit(f"backup failed: {b.stderr}")
        time.sleep(1)
        stop.set()
        for t in threads:
            t.join(timeout=30)
        writes = saves[0]
    finally:
        server.terminate()
        server.wait(timeout=30)

    r = subprocess.run([args.bin, "restore", "--data-dir", restored, "--from", copy], env=env,
                       capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"restore failed: {r.stderr}")
    failures = []
    con = sqlite3.connect(copy)
    if con.execute("PRAGMA integrity_check").fetchall() != [("ok",)]:
        failures.append("the copy fails integrity_check")
    in_copy = dict(con.execute("SELECT id, COALESCE(comment, '') FROM marks WHERE comment LIKE 'drill-%'").fetchall())
    con.close()
    lost = [m for m, c in before.items() if in_copy.get(m, "") < c]
    if lost:
        failures.append(f"{len(lost)} saves acknowledged before the backup are not in it")
    a, b2, end = tables(copy), tables(os.path.join(restored, "parta.db")), tables(os.path.join(live, "parta.db"))
    for t in sorted(a):
        if a[t] != b2.get(t):
            failures.append(f"table {t}: copy {a[t]} restored {b2.get(t)}")
        if t not in WRITTEN and a[t] != end.get(t):
            failures.append(f"table {t} (not written during the drill): copy {a[t]} live {end.get(t)}")
    print(f"RESULT tables={len(a)} rows={sum(v[0] for v in a.values())} teachers={len(logins)} "
          f"saves_acknowledged={writes} saves_before_backup={saves_before} marks_checked={len(before)} "
          f"lost={len(lost)} mismatches={len(failures)}")
    for f in failures:
        print("FAIL", f)
    shutil.rmtree(work, ignore_errors=True)
    sys.exit(1 if failures or not before else 0)


if __name__ == "__main__":
    main()
