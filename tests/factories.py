"""Factories for test data, and small helpers shared by the tests."""

from __future__ import annotations

import re
from typing import Any

import pytest

from placemaker.extensions import db


def csrf_token(response) -> str:
    """The CSRF token of the form on a page."""
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', response.get_data(as_text=True))
    assert match, "no CSRF token on the page"
    return match.group(1)


@pytest.fixture()
def make_place(app_ctx):
    """``make_place(name=..., kind_code=..., lon=..., lat=...)`` → a flushed Place."""
    from placemaker.places.service import Actor, create_place

    def make(**values: Any):
        values = {"name": "Testbankje", "kind_code": "bench", "lon": 4.8421, "lat": 52.3655,
                  **values}
        place = create_place(values, Actor("test"))
        db.session.flush()
        return place

    return make


@pytest.fixture()
def make_user(app_ctx):
    """``make_user(role="area_manager", areas=["DX09"])`` → a flushed User."""
    from sqlalchemy import select

    from placemaker.accounts.models import AreaAssignment, Role, User
    from placemaker.areas.models import Area

    counter = iter(range(1, 10_000))

    def make(role: str = "area_manager", areas: tuple[str, ...] = (), password: str = "x" * 12,
             email: str | None = None):
        user = User(email=email or f"user{next(counter)}@test.invalid", name="Test",
                    role=Role(role))
        user.set_password(password)
        for code in areas:
            area = db.session.scalar(select(Area).where(Area.code == code))
            user.assignments.append(AreaAssignment(area_id=area.id))
        db.session.add(user)
        db.session.flush()
        return user

    return make
