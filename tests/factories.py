"""Factories for test data, and small helpers shared by the tests.

A factory works in the test's own app context when it holds one (service-level tests: the
object is flushed into the test's session), and otherwise in a short context of its own
(client tests: the object is committed into the test's transaction, its columns loaded, and
handed back detached, so the test reads ``place.id`` without holding a context).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from itertools import count
from typing import Any, TypeVar

import pytest
from flask import Flask, has_app_context
from sqlalchemy import select

from placemaker.accounts.models import AreaAssignment, Role, User
from placemaker.areas.models import Area
from placemaker.extensions import db
from placemaker.places.models import Place
from placemaker.places.service import Actor, create_place
from placemaker.proposals import tracking
from placemaker.proposals.models import Proposal

T = TypeVar("T")

DEMO_PASSWORD = "placemaker-demo"  # every demo login
OVERTOOMSE_VELD = (4.8405, 52.3660)  # Slotervaart (DX09), nothing within 75 m
REASON = "Hier zitten veel ouderen op de stoep; een bankje in de schaduw zou fijn zijn."


def csrf_token(response) -> str:
    """The CSRF token of the form on a page."""
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', response.get_data(as_text=True))
    assert match, "no CSRF token on the page"
    return match.group(1)


def sign_in(client: Any, email: str, password: str = DEMO_PASSWORD) -> Any:
    """Log ``client`` in through the login form; returns it (the one way tests log in)."""
    page = client.get("/login")
    response = client.post(
        "/login", data={"email": email, "password": password, "csrf_token": csrf_token(page)}
    )
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    return client


def client_for(app: Flask, email: str, password: str = DEMO_PASSWORD) -> Any:
    """A client of its own for a second person, logged in."""
    return sign_in(app.test_client(), email, password)


def scalar(app: Flask, statement: Any) -> Any:
    """One value read in an app context of its own (client tests hold none)."""
    with app.app_context():
        return db.session.scalar(statement)


@contextmanager
def _session_for(app: Flask) -> Iterator[Callable[[T], T]]:
    """Yield ``done(obj)``: flush in the test's context, or commit and detach in a new one."""
    if has_app_context():

        def flushed(obj: T) -> T:
            db.session.flush()
            return obj

        yield flushed
        return
    with app.test_request_context():

        def committed(obj: T) -> T:
            db.session.commit()
            db.session.refresh(obj)
            return obj

        yield committed


@pytest.fixture()
def make_place(app: Flask) -> Callable[..., Place]:
    """``make_place(name=..., kind_code=..., lon=..., lat=...)`` → a stored Place."""

    def make(**values: Any) -> Place:
        values = {
            "name": "Testbankje",
            "kind_code": "bench",
            "lon": 4.8421,
            "lat": 52.3655,
            **values,
        }
        with _session_for(app) as done:
            return done(create_place(values, Actor("test")))

    return make


@pytest.fixture()
def make_user(app: Flask) -> Callable[..., User]:
    """``make_user(role="area_manager", areas=["DX09"])`` → a stored User."""
    numbers = count(1)

    def make(
        role: str = "area_manager",
        areas: tuple[str, ...] = (),
        password: str = "x" * 12,
        email: str | None = None,
    ) -> User:
        with _session_for(app) as done:
            user = User(
                email=email or f"user{next(numbers)}@test.invalid", name="Test", role=Role(role)
            )
            user.set_password(password)
            for code in areas:
                area = db.session.scalar(select(Area).where(Area.code == code))
                assert area is not None, f"no area {code}"
                user.assignments.append(AreaAssignment(area_id=area.id))
            db.session.add(user)
            return done(user)

    return make


@pytest.fixture()
def make_proposal(app: Flask) -> Callable[..., tuple[Proposal, str]]:
    """``make_proposal(lon=..., lat=..., reason=...)`` → (a stored Proposal, its tracking token).

    Defaults to a bench in Overtoomse Veld proposed by a named resident.
    """

    def make(
        lon: float = OVERTOOMSE_VELD[0], lat: float = OVERTOOMSE_VELD[1], **values: Any
    ) -> tuple[Proposal, str]:
        fields = {
            "kind_code": "bench",
            "reason": REASON,
            "name": "Anna de Vries",
            "email": "anna@example.org",
            **values,
        }
        with _session_for(app) as done:
            result = tracking.submit(
                tracking.Submission(
                    lon=lon, lat=lat, submission_key=tracking.new_submission_key(), **fields
                )
            )
            return done(result.proposal), result.token

    return make
