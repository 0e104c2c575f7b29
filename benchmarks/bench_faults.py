"""Faults under load: Redis stopped for 10 s, then PostgreSQL restarted, while clients read.

Runs its OWN Redis (redis-server on a free port) and its OWN throw-away PostgreSQL cluster
(initdb in a temporary directory, as user postgres, on a free port, with PostGIS from the
system's packages), never the shared ones. Serves the demo with gunicorn (2 workers) and keeps
4 clients reading /api/places while a monitor asks /healthz every 0.25 s.

Timeline: 0-10 s steady; 10 s Redis stopped; 20 s Redis started again; 30 s PostgreSQL
restarted (pg_ctl restart -m fast); 50 s end. Prints failed requests per phase, /healthz
answers over time and the recovery times.

    .venv/bin/python benchmarks/bench_faults.py
"""

from __future__ import annotations

import http.client
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import demo_app, free_port, serve  # noqa: E402

PG_BIN = Path("/usr/lib/postgresql/15/bin")
CLIENTS = 4
STEADY, REDIS_DOWN, REDIS_UP, PG_RESTART, END = 0.0, 10.0, 20.0, 30.0, 50.0


def as_postgres(*command: str) -> None:
    prefix = [] if os.getuid() != 0 else ["runuser", "-u", "postgres", "--"]
    subprocess.run([*prefix, *command], check=True, stdout=subprocess.DEVNULL)


class PrivatePostgres:
    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="pm-faults-pg-"))
        shutil.chown(self.dir, "postgres") if os.getuid() == 0 else None
        self.data = self.dir / "data"
        self.port = free_port()
        as_postgres(
            str(PG_BIN / "initdb"),
            "-D",
            str(self.data),
            "-U",
            "postgres",
            "--auth=trust",
            "-E",
            "UTF8",
        )

    def ctl(self, *args: str) -> None:
        as_postgres(
            str(PG_BIN / "pg_ctl"),
            "-D",
            str(self.data),
            "-w",
            "-l",
            str(self.dir / "log"),
            "-o",
            f"-p {self.port} -k {self.dir}",
            *args,
        )

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/placemaker_faults"

    def remove(self) -> None:
        try:
            self.ctl("stop", "-m", "immediate")
        except subprocess.CalledProcessError:
            pass
        shutil.rmtree(self.dir, ignore_errors=True)


class PrivateRedis:
    def __init__(self) -> None:
        self.port = free_port()
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
        )
        for _ in range(50):
            try:
                http.client.HTTPConnection("127.0.0.1", self.port, timeout=1).connect()
                return
            except OSError:
                time.sleep(0.1)

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
            self.proc = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"


def get(port: int, path: str) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def main() -> None:
    redis_server, pg = PrivateRedis(), PrivatePostgres()
    server = None
    try:
        redis_server.start()
        pg.ctl("start")
        print(
            f"private PostgreSQL on {pg.port}, private Redis on {redis_server.port}; "
            "loading the demo…",
            flush=True,
        )
        demo_app(pg.url, redis_server.url)
        port = free_port()
        server = serve(pg.url, port, 2, redis_server.url)
        requests: list[tuple[float, int]] = []  # (t, status or 0 for a connection error)
        health: list[tuple[float, int, str]] = []
        start = time.monotonic()
        stop = threading.Event()

        def client() -> None:
            while not stop.is_set():
                t = time.monotonic() - start
                try:
                    status, _ = get(port, "/api/places?limit=100")
                except OSError:
                    status = 0
                requests.append((t, status))

        def monitor() -> None:
            while not stop.is_set():
                t = time.monotonic() - start
                try:
                    status, body = get(port, "/healthz")
                    state = json.loads(body).get("status", "?")
                except (OSError, ValueError):
                    status, state = 0, "no answer"
                health.append((t, status, state))
                time.sleep(0.25)

        threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
        threads.append(threading.Thread(target=monitor))
        for thread in threads:
            thread.start()
        events: dict[str, float] = {}
        for at, action in (
            (REDIS_DOWN, "redis stop"),
            (REDIS_UP, "redis start"),
            (PG_RESTART, "postgres restart"),
        ):
            time.sleep(max(0.0, at - (time.monotonic() - start)))
            events[action] = time.monotonic() - start
            if action == "redis stop":
                redis_server.stop()
            elif action == "redis start":
                redis_server.start()
            else:
                pg.ctl("restart", "-m", "fast")
                events["postgres back"] = time.monotonic() - start
        time.sleep(max(0.0, END - (time.monotonic() - start)))
        stop.set()
        for thread in threads:
            thread.join()
        report(requests, health, events)
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=20)
        redis_server.stop()
        pg.remove()


def report(requests, health, events) -> None:
    phases = [
        ("steady", 0, REDIS_DOWN),
        ("Redis down", REDIS_DOWN, REDIS_UP),
        ("Redis back", REDIS_UP, PG_RESTART),
        ("PostgreSQL restart", PG_RESTART, END),
    ]
    print("\nevents (s): " + ", ".join(f"{k} {v:.1f}" for k, v in events.items()))
    print("\n| phase | requests | failed | statuses |\n|---|---|---|---|")
    for name, lo, hi in phases:
        got = [s for t, s in requests if lo <= t < hi]
        failed = sum(1 for s in got if s != 200)
        print(
            f"| {name} ({lo:.0f}-{hi:.0f} s) | {len(got)} | {failed} | "
            f"{dict(sorted(Counter(got).items()))} |"
        )
    print("\n/healthz over time (runs of the same answer):")
    runs: list[list] = []
    for t, status, state in health:
        if runs and runs[-1][2:] == [status, state]:
            runs[-1][1] = t
        else:
            runs.append([t, t, status, state])
    for lo, hi, status, state in runs:
        print(f"  {lo:5.1f}-{hi:5.1f} s  {status} {state}")
    pg_at = events["postgres restart"]
    bad_after = [t for t, s in requests if t >= pg_at and s != 200]
    recovered = (max(bad_after) - events["postgres back"]) if bad_after else 0.0
    print(
        f"\nfailed requests after the PostgreSQL restart: {len(bad_after)}; last failure "
        f"{recovered:.2f} s after PostgreSQL was back"
    )
    redis_ok = [t for t, _s, state in health if t >= events["redis start"] and state == "ok"]
    if redis_ok:
        print(
            f"/healthz 'ok' again {redis_ok[0] - events['redis start']:.2f} s after Redis "
            "was started"
        )


if __name__ == "__main__":
    main()
