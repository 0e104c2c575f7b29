"""Safe defaults and graceful degradation: the secret key, Redis unreachable, /healthz."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from placemaker.extensions import db, limiter
from placemaker.proposals import common, tracking
from placemaker.security import DEVELOPMENT_KEY, InsecureConfiguration
from tests.conftest import TEST_DATABASE_URL, make_test_app
from tests.factories import client_for
from tests.test_proposals import MANAGER, QUIET
from tests.test_proposals_web import _support, propose, token_of

CLOSED_REDIS = "redis://localhost:1/0"  # nothing listens on port 1
ROOT = Path(__file__).resolve().parent.parent


LIMITER_STATE = ("_storage", "_limiter", "_storage_dead", "_fallback_storage", "_fallback_limiter")


@pytest.fixture()
def keep_limiter():
    """Flask-Limiter keeps one storage per extension object, and every create_app replaces it:
    put the shared one back afterwards and close what the extra apps opened."""
    saved = {name: getattr(limiter, name, None) for name in LIMITER_STATE}
    yield
    if limiter._storage is not saved["_storage"]:
        client = getattr(limiter._storage, "storage", None)
        if client is not None:
            client.connection_pool.disconnect()
    for name, value in saved.items():
        setattr(limiter, name, value)


# --- the secret key --------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _limiter_kept(keep_limiter):
    yield


def _app(monkeypatch, instance: Path, **config):
    monkeypatch.setenv("PLACEMAKER_INSTANCE_PATH", str(instance))
    monkeypatch.delenv("PLACEMAKER_ENV", raising=False)
    return make_test_app(TEST_DATABASE_URL, **config)


def test_the_development_key_is_refused_outside_development(monkeypatch, tmp_path):
    with pytest.raises(InsecureConfiguration, match="SECRET_KEY"):
        _app(monkeypatch, tmp_path, TESTING=False, SECRET_KEY=DEVELOPMENT_KEY)
    with pytest.raises(InsecureConfiguration):
        _app(monkeypatch, tmp_path, TESTING=False, SECRET_KEY="")


@pytest.mark.parametrize("how", ["debug", "env"])
def test_the_development_key_works_in_development(monkeypatch, tmp_path, how):
    if how == "env":
        monkeypatch.setenv("PLACEMAKER_ENV", "development")
        monkeypatch.setenv("PLACEMAKER_INSTANCE_PATH", str(tmp_path))
        app = make_test_app(TEST_DATABASE_URL, TESTING=False, SECRET_KEY=DEVELOPMENT_KEY)
    else:
        app = _app(monkeypatch, tmp_path, TESTING=False, DEBUG=True, SECRET_KEY=DEVELOPMENT_KEY)
    assert app.config["SECRET_KEY"] == DEVELOPMENT_KEY


def test_the_instance_key_replaces_the_development_key(monkeypatch, tmp_path):
    (tmp_path / "secret_key").write_text("a-random-key-from-setup\n")
    app = _app(monkeypatch, tmp_path, TESTING=False, SECRET_KEY=DEVELOPMENT_KEY)
    assert app.config["SECRET_KEY"] == "a-random-key-from-setup"
    # A key from the environment wins over the file.
    app = _app(monkeypatch, tmp_path, TESTING=False, SECRET_KEY="from-the-environment")
    assert app.config["SECRET_KEY"] == "from-the-environment"


def test_the_cli_reads_the_instance_key_and_refuses_without(tmp_path):
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("SECRET_KEY", "FLASK_SECRET_KEY", "FLASK_DEBUG", "PLACEMAKER_ENV")
    }
    env["PLACEMAKER_INSTANCE_PATH"] = str(tmp_path)
    flask = [sys.executable, "-m", "flask", "--app", "placemaker", "routes"]
    refused = subprocess.run(flask, cwd=ROOT, env=env, capture_output=True, text=True)
    assert refused.returncode != 0 and "SECRET_KEY" in refused.stderr
    (tmp_path / "secret_key").write_text("k" * 64)
    ran = subprocess.run(flask, cwd=ROOT, env=env, capture_output=True, text=True)
    assert ran.returncode == 0, ran.stderr[-800:]
    assert "/healthz" in ran.stdout


def test_setup_writes_the_key_once_and_git_ignores_it():
    setup = (ROOT / "script" / "setup").read_text()
    assert "secret_key" in setup and "token_urlsafe" in setup and '[ -s "$INSTANCE_DIR' in setup
    ignored = subprocess.run(["git", "check-ignore", "-q", "instance/secret_key"], cwd=ROOT)
    assert ignored.returncode == 0


# --- Redis unreachable ------------------------------------------------------------------------


@pytest.fixture()
def down_app(app):
    """The app with Redis on a closed port, its database writes rolled back afterwards."""
    down = make_test_app(
        TEST_DATABASE_URL, REDIS_URL=CLOSED_REDIS, RATELIMIT_STORAGE_URI=CLOSED_REDIS
    )
    # Swap the engines for one rolled-back connection, without holding an app context while
    # the test runs: each request pushes its own (and its own ``g``), as in production.
    with down.app_context():
        engines = db.engines  # the app's own mapping: the swap outlives this context
    originals = dict(engines)
    connections = []
    for key, engine in originals.items():
        connection = engine.connect()
        connections.append((connection, connection.begin()))
        engines[key] = connection  # type: ignore[index]
    try:
        yield down
    finally:
        with down.app_context():
            db.session.remove()
        for connection, transaction in connections:
            transaction.rollback()
            connection.close()
        engines.update(originals)  # type: ignore[attr-defined]
        for engine in originals.values():
            engine.dispose()


def test_healthz_reports_each_dependency(client):
    body = client.get("/healthz").get_json()
    assert body["status"] == "ok"
    assert body["database"]["ok"] and body["redis"]["ok"]
    assert body["database"]["required"] and not body["redis"]["required"]


def test_healthz_with_redis_down_is_degraded_or_503_when_required(down_app):
    response = down_app.test_client().get("/healthz")
    body = response.get_json()
    assert response.status_code == 200 and body["status"] == "degraded"
    assert body["database"]["ok"] is True and body["redis"]["ok"] is False
    down_app.config["HEALTH_REQUIRED"] = ("database", "redis")
    response = down_app.test_client().get("/healthz")
    assert response.status_code == 503 and response.get_json()["status"] == "unavailable"


def test_logins_proposals_supports_and_tracking_work_without_redis(down_app):
    manager = client_for(down_app, MANAGER)
    assert manager.get("/moderatie").status_code == 200
    resident = down_app.test_client()
    sent = propose(resident)
    assert sent.status_code == 303, sent.get_data(as_text=True)[:500]
    token = token_of(sent)
    assert resident.get(f"/voorstellen/volg/{token}").status_code == 200
    with down_app.app_context():
        proposal_id = tracking.find_by_token(token).id
    assert _support(down_app.test_client(), proposal_id).status_code == 303
    with down_app.app_context():
        assert common.support_counts([proposal_id])[proposal_id] == 1


def test_rate_limits_fall_back_to_memory_without_redis(down_app):
    down_app.config["PROPOSAL_RATE_LIMIT"] = "2 per minute"
    resident = down_app.test_client()
    assert propose(resident).status_code == 303
    assert propose(resident, lon=str(QUIET[0] + 0.001)).status_code == 303
    assert propose(resident, lon=str(QUIET[0] + 0.002)).status_code == 429


def test_cached_analysis_and_map_work_without_redis(down_app):
    client = down_app.test_client()
    assert client.get("/api/places?limit=5").status_code == 200
    response = client.get("/api/gaps/coverage")
    assert response.status_code == 200 and "population_share" in response.get_data(as_text=True)


# --- PostgreSQL unreachable -------------------------------------------------------------------

CLOSED_DATABASE = "postgresql+psycopg://postgres@localhost:1/nowhere"


@pytest.mark.parametrize("path", ["/places", "/voorstellen/open", "/api/places?limit=1"])
def test_database_down_answers_503_in_dutch_or_json(path):
    app = make_test_app(CLOSED_DATABASE)
    response = app.test_client().get(path)
    assert response.status_code == 503 and response.headers["Retry-After"] == "30"
    if path.startswith("/api/"):
        assert response.get_json()["error"]["code"] == "database_unavailable"
    else:
        html = response.get_data(as_text=True)
        assert "De database is nu niet bereikbaar." in html and 'href="/"' in html
        english = app.test_client().get(path + "?lang=en").get_data(as_text=True)
        assert "The database cannot be reached right now." in english


def test_database_down_logs_one_line_per_request_and_one_traceback(caplog):
    app = make_test_app(CLOSED_DATABASE)
    client = app.test_client()
    with caplog.at_level("ERROR", logger=app.logger.name):
        for _ in range(4):
            assert client.get("/api/places?limit=1").status_code == 503
    lines = [r for r in caplog.records if "database unavailable" in r.getMessage()]
    assert len(lines) == 4
    assert sum(1 for r in lines if r.exc_info) == 1


# --- secrets stay out of the access log -------------------------------------------------------


def test_the_access_log_of_script_server_redacts_tracking_tokens(tmp_path):
    import socket
    import time
    import urllib.error
    import urllib.request

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    log = tmp_path / "access.log"
    env = {
        **os.environ,
        "PORT": str(port),
        "WORKERS": "1",
        "SECRET_KEY": "log-test",
        "DATABASE_URL": TEST_DATABASE_URL,
        "REDIS_URL": os.environ.get("TEST_REDIS_URL", "redis://localhost:6379/15"),
        "FLASK_RATELIMIT_STORAGE_URI": os.environ.get(
            "TEST_REDIS_URL", "redis://localhost:6379/15"
        ),
    }
    # script/server itself, as deployed (no job worker here), in a process group of its own.
    env["JOB_WORKERS"] = "0"
    with log.open("w") as out:
        server = subprocess.Popen(
            [str(ROOT / "script" / "server")],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
    try:
        secret = "SeCrEtTrAcKiNgToKeN0123456789"
        for _ in range(100):  # until gunicorn listens
            try:
                urllib.request.urlopen(
                    f"http://127.0.0.1:{port}/voorstellen/volg/{secret}?token={secret}"
                )
                break
            except urllib.error.HTTPError:
                break
            except OSError:
                time.sleep(0.1)
        for _ in range(50):
            if "/voorstellen/volg/" in log.read_text():
                break
            time.sleep(0.1)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=10)
    text = log.read_text()
    assert "/voorstellen/volg/[redacted]?token=[redacted]" in text
    assert secret not in text
