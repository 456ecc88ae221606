#!/usr/bin/env python3
"""kill -9 during writes (issue 8): nothing acknowledged is lost.

`requests` counts the saves the server answered (while it was down, attempts are refused
and retried, and not counted).

Teachers (threads) keep saving marks — each save changes the comment of one of their
marks to the next number of a per-mark sequence — while the server is killed with
SIGKILL at a random moment, restarted, and checked: `PRAGMA integrity_check` (SQLite),
and every acknowledged save present (the mark's number is at least the last number the
server answered 200 for). Repeats for CYCLES cycles.

    bench/crash.py --bin target/release/parta --data DIR [--database-url postgres://…]
                   [--cycles 200] [--teachers 50] [--port 18095]

The data directory (or database) must hold a generated region with the school day
(`parta gen --students 5000 --school-day`); bench/crash.sh prepares one.
"""

import argparse
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time

from parta_http import request

PASSWORD = "Parta-demo-2026"


def sql_rows(args, query):
    if args.database_url:
        out = subprocess.run(
            ["psql", args.database_url, "-qAt", "-F", "\t", "-c", query],
            check=True, capture_output=True, text=True,
        ).stdout
        return [line.split("\t") for line in out.splitlines() if line]
    con = sqlite3.connect(os.path.join(args.data, "parta.db"), timeout=30)
    try:
        return [[str(c) for c in row] for row in con.execute(query)]
    finally:
        con.close()


class Server:
    def __init__(self, args):
        self.args = args
        self.proc = None

    def start(self):
        cmd = [self.args.bin, "serve", "--data-dir", self.args.data, "--port", str(self.args.port)]
        if self.args.database_url:
            cmd += ["--database-url", self.args.database_url]
        env = dict(os.environ, PARTA_LOG="error", PARTA_TODAY=self.args.today)
        self.proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                if request(self.args.port, "GET", "/readyz", timeout=1)[0] == 200:
                    return
            except OSError:
                pass
            if self.proc.poll() is not None:
                sys.exit("the server exited at start")
            time.sleep(0.05)
        sys.exit("the server did not become ready")

    def kill(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()


class Teacher(threading.Thread):
    """Saves the comment of its marks, one save at a time, counting acknowledgements."""

    def __init__(self, args, cookie, csrf, marks, stop):
        super().__init__(daemon=True)
        self.args, self.cookie, self.csrf, self.marks, self.stop = args, cookie, csrf, marks, stop
        self.seq = {m["id"]: 0 for m in marks}
        self.acked = {}
        self.sent = 0
        self.acked_count = 0
        self.lock = threading.Lock()

    def run(self):
        h = {"Cookie": self.cookie, "X-CSRF-Token": self.csrf}
        while not self.stop.is_set():
            m = random.choice(self.marks)
            n = self.seq[m["id"]] + 1
            self.seq[m["id"]] = n
            body = {"marks": [{"lesson_id": m["lesson"], "student_id": m["student"],
                               "mark_id": m["id"], "value": m["value"], "comment": f"crash-{n}"}]}
            try:
                status, _, _ = request(self.args.port, "POST", m["path"], body, h)
            except OSError:
                time.sleep(0.05)  # the server is down: try again when it is back
                continue
            self.sent += 1
            if status == 200:
                with self.lock:
                    self.acked[m["id"]] = n
                    self.acked_count += 1
            elif status != 503:
                sys.stderr.write(f"unexpected {status}\n")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--data", required=True)
    ap.add_argument("--database-url")
    ap.add_argument("--cycles", type=int, default=200)
    ap.add_argument("--teachers", type=int, default=50)
    ap.add_argument("--port", type=int, default=18095)
    ap.add_argument("--today", default="2026-11-30")
    args = ap.parse_args()

    server = Server(args)
    server.start()
    # Teachers with a journal and marks on lessons already given (each their own marks).
    rows = sql_rows(args, f"""
        SELECT a.login, m.id, m.lesson_id, m.student_id, m.value, l.class_id, l.subject_code
        FROM marks m JOIN lessons l ON l.id = m.lesson_id JOIN accounts a ON a.person_id = l.teacher_id
        WHERE l.day <= '{args.today}' AND l.day >= '{args.today[:8]}01' AND l.group_id IS NULL
        ORDER BY a.login, m.id""")
    by_teacher = {}
    for login, mid, lesson, student, value, cls, subject in rows:
        marks = by_teacher.setdefault(login, [])
        if len(marks) < 20:
            marks.append({"id": mid, "lesson": lesson, "student": student, "value": value,
                          "path": f"/api/v1/classes/{cls}/journal/{subject}"})
    logins = sorted(by_teacher)[: args.teachers]
    if len(logins) < args.teachers:
        sys.exit(f"only {len(logins)} teachers with marks this month")
    stop = threading.Event()
    teachers = []
    for login in logins:
        status, cookie, body = request(args.port, "POST", "/api/v1/session",
                                       {"login": login, "password": PASSWORD})
        if status != 200:
            sys.exit(f"sign-in of {login}: {status} {body[:200]!r}")
        teachers.append(Teacher(args, cookie.split(";")[0], json.loads(body)["csrf_token"],
                                by_teacher[login], stop))
    for t in teachers:
        t.start()

    lost_total, bad_integrity = 0, 0
    started = time.time()
    for cycle in range(1, args.cycles + 1):
        time.sleep(random.uniform(0.3, 1.5))
        server.kill()
        # What the server had acknowledged before it died.
        acked = {}
        for t in teachers:
            with t.lock:
                acked.update(t.acked)
        if not args.database_url:
            check = sql_rows(args, "PRAGMA integrity_check")
            if check != [["ok"]]:
                bad_integrity += 1
                print(f"cycle {cycle}: integrity_check {check[:3]}")
        ids = list(acked)
        present = {}
        for i in range(0, len(ids), 500):
            chunk = ",".join(f"'{x}'" for x in ids[i:i + 500])
            for mid, comment in sql_rows(args, f"SELECT id, COALESCE(comment, '') FROM marks WHERE id IN ({chunk})"):
                present[mid] = int(comment[6:]) if comment.startswith("crash-") else -1
        lost = sum(1 for mid, n in acked.items() if present.get(mid, -1) < n)
        lost_total += lost
        if lost:
            print(f"cycle {cycle}: {lost} acknowledged saves lost")
        server.start()
        if cycle % 20 == 0:
            sent = sum(t.sent for t in teachers)
            ok = sum(t.acked_count for t in teachers)
            print(f"cycle {cycle}: requests {sent}, acknowledged {ok}, lost so far {lost_total}", flush=True)
    stop.set()
    for t in teachers:
        t.join(timeout=15)
    server.kill()
    sent = sum(t.sent for t in teachers)
    ok = sum(t.acked_count for t in teachers)
    backend = "postgresql" if args.database_url else "sqlite"
    print(f"RESULT backend={backend} cycles={args.cycles} teachers={len(teachers)} requests={sent} "
          f"acknowledged={ok} lost={lost_total} integrity_failures={bad_integrity} "
          f"minutes={(time.time() - started) / 60:.1f}")
    sys.exit(1 if lost_total or bad_integrity else 0)


if __name__ == "__main__":
    main()
