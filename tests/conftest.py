"""Test fixtures: a real PostGIS database with the demo loaded once, and a rollback per test.

TEST_DATABASE_URL names the database (dropped and created at the start of the run);
TEST_REDIS_URL the Redis database (flushed at the start). Run tests in parallel sessions only
with different names for both.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from flask import Flask
from flask.cli import FlaskGroup
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import text
from sqlalchemy.engine import Engine, make_url
from werkzeug.serving import make_server

from placemaker import create_app
from placemaker.dbadmin import drop_database, ensure_database
from placemaker.extensions import db, limiter
from placemaker.geo import SRID
from tests.browser import SIZES, new_context
from tests.factories import (  # noqa: F401  (fixtures)
    DEMO_PASSWORD,
    csrf_token,
    make_place,
    make_proposal,
    make_user,
    sign_in,
)
from tests.mailbox import SENDER, Inbox, smtp_server

TEST_DATABASE_URL = os.environ.get(
    "TEST_DATABASE_URL", "postgresql+psycopg://postgres@localhost:5432/placemaker_test"
)
TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://localhost:6379/15")
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
RECIPES = Path(__file__).resolve().parent.parent / "recipes"


def make_test_app(database_url: str, **extra) -> Flask:
    return create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SECRET_KEY": "test-secret",
            "REDIS_URL": TEST_REDIS_URL,
            "RATELIMIT_STORAGE_URI": TEST_REDIS_URL,
            "SERVER_NAME": None,
            **extra,
        }
    )


@pytest.fixture(scope="session")
def app() -> Iterator[Flask]:
    """The app on a fresh database: migrated from empty and with the Amsterdam demo loaded."""
    from flask_migrate import upgrade

    from placemaker.demo import load_demo

    url = make_url(TEST_DATABASE_URL)
    drop_database(url)
    ensure_database(url)
    redis.Redis.from_url(TEST_REDIS_URL).flushdb()
    app = make_test_app(TEST_DATABASE_URL)
    with app.app_context():
        upgrade(revision="heads")
        reports = load_demo()
        assert all(r.ok for r in reports), [r.summary_lines() for r in reports]
        db.session.commit()
        db.session.remove()
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(autouse=True)
def _rollback(request: pytest.FixtureRequest) -> Iterator[None]:
    """Each test that touches the database runs in a transaction rolled back afterwards.

    The app's engines are swapped for one connection with an open transaction; no app
    context is held around the test, so each client request pushes its own (its own ``g``
    and session) as it would in production. Code under test may commit: with
    join_transaction_mode="create_savepoint" its commits release savepoints inside our
    transaction. Rate-limit counters live in Redis, outside the transaction: they start at
    zero for each test.
    """
    if "app" not in request.fixturenames:
        yield
        return
    app: Flask = request.getfixturevalue("app")
    twin: Flask = request.getfixturevalue("twin_app")
    with app.app_context():
        engines = db.engines  # the app's own mapping: the swap outlives this context
        limiter.reset()
    with twin.app_context():
        twin_engines = db.engines
    originals = dict(engines)
    twin_originals = dict(twin_engines)
    connections = []
    for key, engine in originals.items():
        connection = engine.connect()
        transaction = connection.begin()
        connections.append((connection, transaction))
        engines[key] = connection  # type: ignore[index]
        twin_engines[key] = connection  # type: ignore[index]
    try:
        if not {"app_ctx", "en_ctx"} & set(request.fixturenames):
            # The test's own database work runs in a context of the twin app, on the same
            # connection: the client's requests, for ``app``, still push their own contexts.
            with twin.test_request_context():
                yield
        else:
            yield
    finally:
        for connection, transaction in connections:
            if transaction.is_active:
                transaction.rollback()
            connection.close()
        engines.update(originals)  # type: ignore[attr-defined]
        twin_engines.update(twin_originals)  # type: ignore[attr-defined]


@pytest.fixture(scope="session")
def twin_app(app: Flask) -> Flask:
    """A second instance of the app on the same database, for the test body's own context."""
    return make_test_app(TEST_DATABASE_URL)


@pytest.fixture()
def app_ctx(app: Flask) -> Iterator[Flask]:
    """A request context for service-level tests (tests that use ``client`` hold none)."""
    with app.test_request_context():
        yield app


@pytest.fixture()
def en_ctx(app: Flask) -> Iterator[Flask]:
    """A request context in English, so service messages read as in the source."""
    with app.test_request_context("/?lang=en"):
        yield app


@pytest.fixture()
def client(app: Flask) -> FlaskClient:
    return app.test_client()


class CommandLine(FlaskCliRunner):
    """Runs commands as ``flask --app placemaker …`` does: through a FlaskGroup, which pushes
    the app context around the command (``app.cli`` alone would not)."""

    def invoke(self, cli: Any = None, args: Any = None, **kwargs: Any) -> Any:
        if cli is None:
            cli = FlaskGroup(
                create_app=lambda: self.app,
                add_default_commands=False,
                load_dotenv=False,
                set_debug_flag=False,
            )
        return super().invoke(cli, args, **kwargs)


@pytest.fixture()
def runner(app: Flask) -> FlaskCliRunner:
    return CommandLine(app)


@pytest.fixture()
def login(app: Flask, client: FlaskClient) -> Callable[..., FlaskClient]:
    """Log a person in: ``login(MANAGER)`` logs ``client`` in and returns it;
    ``login(WEST, client=app.test_client())`` gives a second person their own client."""

    def do_login(
        email: str, password: str = DEMO_PASSWORD, client: FlaskClient = client
    ) -> FlaskClient:
        return sign_in(client, email, password)

    return do_login


def pytest_sessionstart(session: pytest.Session) -> None:
    """The tests read the real open data: without it, one clear line instead of hundreds of
    errors."""
    from placemaker.demo import data_dir

    if not (data_dir() / "amsterdam").is_dir():
        pytest.exit(
            f"the open data is not at {data_dir()}: clone placemaker next to shared/ "
            "(so that ../shared/data exists), or set PLACEMAKER_DATA_DIR to that folder",
            returncode=2,
        )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """A test that holds an app context would share it, and its ``g``, with every request."""
    for item in items:
        names = set(getattr(item, "fixturenames", ()))
        if "client" in names and names & {"app_ctx", "en_ctx"}:
            raise pytest.UsageError(
                f"{item.nodeid}: uses the client while holding an app context; open "
                "`with app.app_context():` around the direct database work instead"
            )


@pytest.fixture(scope="session")
def data_dir() -> Path:
    from placemaker.demo import data_dir as shared

    return shared() / "amsterdam"


# --- a live server and a real browser -------------------------------------------------------


@pytest.fixture(scope="session")
def live_app(app: Flask) -> Iterator[Flask]:
    """The app the live server serves, on a copy of the demo database (browser tests change
    it). Tests may add data through it, and set its config (e.g. SMTP_URL) for a while."""
    url = make_url(TEST_DATABASE_URL)
    live_url = url.set(database=f"{url.database}_live")
    with app.app_context():
        db.engine.dispose()  # a template database must have no other connections
    drop_database(live_url)
    ensure_database(live_url, template=url.database)
    # Every browser test logs in from 127.0.0.1: the login limit (tested on its own in
    # test_pages) would otherwise turn a fast run's logins away.
    live_app = make_test_app(
        live_url.render_as_string(hide_password=False),
        WTF_CSRF_ENABLED=True,
        TESTING=False,
        LOGIN_RATE_LIMIT="1000 per minute",
    )
    yield live_app
    with live_app.app_context():
        db.engine.dispose()


@pytest.fixture(scope="session")
def live_server(live_app: Flask) -> Iterator[str]:
    """The live app served over HTTP from a thread."""
    server = make_server("127.0.0.1", 0, live_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()


@pytest.fixture()
def live_db(live_app: Flask) -> Iterator[Engine]:
    """The live server's database, for rows a test adds straight in (and removes)."""
    with live_app.app_context():
        yield db.engine


@pytest.fixture()
def live_place(live_db: Engine) -> Iterator[Callable[..., int]]:
    """``live_place(name, lon, lat, kind_code=...)`` → the id of an open place written straight
    into the live server's database, even with a name the forms refuse; removed afterwards."""
    made: list[int] = []

    def make(name: str, lon: float, lat: float, kind_code: str = "bench") -> int:
        with live_db.begin() as connection:
            place_id = connection.execute(
                text(
                    "INSERT INTO place (kind_code, name, geom, status, condition, version)"
                    " VALUES (:kind, :name, ST_SetSRID(ST_MakePoint(:lon, :lat), :srid),"
                    " 'active', 'good', 1) RETURNING id"
                ),
                {"kind": kind_code, "name": name, "lon": lon, "lat": lat, "srid": SRID},
            ).scalar_one()
        made.append(place_id)
        return place_id

    yield make
    with live_db.begin() as connection:
        connection.execute(text("DELETE FROM place WHERE id = ANY(:ids)"), {"ids": made})


@pytest.fixture()
def live_mail(live_app: Flask) -> Iterator[Inbox]:
    """A real SMTP server the live app sends through while the test runs."""
    saved = {key: live_app.config.get(key) for key in ("SMTP_URL", "MAIL_FROM")}
    with smtp_server() as (inbox, url):
        live_app.config.update(SMTP_URL=url, MAIL_FROM=SENDER)
        try:
            yield inbox
        finally:
            live_app.config.update(saved)


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium driven by Playwright (no browser download)."""
    from playwright.sync_api import sync_playwright

    executable = os.environ.get("CHROMIUM", "/usr/bin/chromium")
    if not Path(executable).exists():
        pytest.fail(f"{executable} is missing: run script/setup (installs Debian's chromium)")
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=executable,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture()
def page(browser):
    context = browser.new_context(locale="nl-NL", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture(params=list(SIZES))
def sized(request, browser, live_server) -> Iterator[tuple[str, Any]]:
    """(the size's name, a browser context of that size): the test runs at desktop and phone."""
    context = new_context(browser, live_server, request.param)
    yield request.param, context
    context.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


# --- more municipalities: Utrecht and Ermelo by their recipes, in a database of their own ----


def load_town(name: str) -> list:
    from placemaker.demo import data_dir
    from placemaker.imports.recipes import load_recipe

    reports = load_recipe(RECIPES / f"{name}.toml", data_dir())
    assert all(r.ok for r in reports), [r.summary_lines() for r in reports]
    return reports


@pytest.fixture(scope="session")
def towns() -> Iterator[Flask]:
    """Utrecht and Ermelo loaded once per session from the real files (no Amsterdam), with a
    Utrecht area manager looking after wijk 01 West and a planner."""
    from flask_migrate import upgrade

    from placemaker.accounts.models import AreaAssignment, Role, User
    from placemaker.areas.models import Area

    url = make_url(TEST_DATABASE_URL)
    url = url.set(database=f"{url.database}_towns")
    drop_database(url)
    ensure_database(url)
    app = make_test_app(url.render_as_string(hide_password=False))
    with app.app_context():
        upgrade(revision="heads")
        load_town("utrecht")
        load_town("ermelo")
        user = User(email="beheerder@utrecht.test", name="Utrecht", role=Role.area_manager)
        user.set_password(DEMO_PASSWORD)
        west = db.session.scalar(db.select(Area).where(Area.code == "WK034401"))
        user.assignments.append(AreaAssignment(area_id=west.id))
        planner = User(email="planner@towns.test", name="Planner", role=Role.planner)
        planner.set_password(DEMO_PASSWORD)
        db.session.add_all([user, planner])
        db.session.commit()
        db.session.remove()
    yield app
    with app.app_context():
        db.engine.dispose()
    drop_database(url)
