"""What the HTTP benchmarks share: a demo database, a free port and gunicorn serving the app."""

from __future__ import annotations

import http.client
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def demo_app(url: str, redis_url: str, recipes: tuple[str, ...] = ()):
    """A fresh database as the tests make it (migrations, the Amsterdam demo, and the other
    municipalities' ``recipes``, e.g. ("utrecht", "ermelo")); its app."""
    from flask_migrate import upgrade

    from placemaker import create_app
    from placemaker.dbadmin import drop_database, ensure_database
    from placemaker.demo import data_dir, load_demo
    from placemaker.extensions import db
    from placemaker.imports.recipes import load_recipe

    sa_url = make_url(url)
    drop_database(sa_url)
    ensure_database(sa_url)
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "REDIS_URL": redis_url,
            "RATELIMIT_STORAGE_URI": redis_url,
            "SECRET_KEY": "bench",
        }
    )
    with app.app_context():
        upgrade(revision="heads")
        reports = load_demo()
        for name in recipes:
            reports += load_recipe(ROOT / "recipes" / f"{name}.toml", data_dir())
        assert all(r.ok for r in reports), [r.summary_lines() for r in reports]
        db.session.commit()
    return app


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(url: str, port: int, workers: int, redis_url: str) -> subprocess.Popen:
    """gunicorn with ``workers`` × 2 threads on 127.0.0.1, once /healthz answers."""
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "FLASK_SQLALCHEMY_DATABASE_URI": url,
        "REDIS_URL": redis_url,
        "FLASK_REDIS_URL": redis_url,
        "FLASK_RATELIMIT_STORAGE_URI": redis_url,
        "SECRET_KEY": "bench",
    }
    proc = subprocess.Popen(
        [
            str(ROOT / ".venv" / "bin" / "gunicorn"),
            "--workers",
            str(workers),
            "--threads",
            "2",
            "--timeout",
            "120",
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            "placemaker:create_app()",
        ],
        cwd=ROOT,
        env=env,
    )
    for _ in range(150):
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            conn.getresponse().read()
            return proc
        except OSError:
            time.sleep(0.2)
    proc.terminate()
    raise SystemExit("gunicorn did not come up")
