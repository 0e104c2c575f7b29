"""Keeping the registry by hand: who may change a place where, and where a place may stand.

Area managers change places inside the areas they look after (admins anywhere); a place
lies in the Netherlands and inside one of our areas. Messages are shown to people, so they
go through Flask-Babel.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from placemaker.accounts.models import Role, User
from placemaker.accounts.service import may_manage_point
from placemaker.areas.service import area_at
from placemaker.errors import Forbidden, InvalidInput
from placemaker.extensions import db
from placemaker.geo import in_netherlands
from placemaker.places.models import Place
from placemaker.places.service import (
    Actor,
    create_place,
    nearby_places,
    snapshot,
    update_place,
)


def check_location(lon: float | None, lat: float | None) -> None:
    """A place must lie in the Netherlands and inside one of our areas (not in the water)."""
    if lon is None or lat is None:
        raise InvalidInput(_("Choose a location on the map or enter its coordinates."))
    if not (math.isfinite(lon) and math.isfinite(lat)):
        raise InvalidInput(_("Longitude and latitude must be numbers."))
    if not in_netherlands(lon, lat):
        raise InvalidInput(_("This location lies outside the Netherlands."))
    if area_at(lon, lat) is None:
        raise InvalidInput(
            _(
                "This location lies outside every area we know: in the water or outside the "
                "municipality. Move the pin onto land in one of the areas."
            )
        )


def may_edit(user: Any, place: Place) -> bool:
    """Whether a user may change a place where it stands now."""
    if not getattr(user, "is_authenticated", False):
        return False
    point = snapshot(place)
    return may_manage_point(user, point["lon"], point["lat"])


def _require(user: User, lon: float, lat: float) -> None:
    if not may_manage_point(user, lon, lat):
        raise Forbidden(_("You may only change places in the areas you look after."))


def _require_spot(user: User, lon: float, lat: float) -> None:
    # A pin put in the wrong spot is a mistake in the form: shown there, with the text kept.
    if not may_manage_point(user, lon, lat):
        raise InvalidInput(
            _(
                "This spot lies outside the areas you look after. Choose a spot "
                "in one of your areas."
            )
        )


FORM_SOURCE = "form"


def added_with_key(user: User, submission_key: str | None) -> Place | None:
    """The place this user already added with this form (its one-time key), if any."""
    if not submission_key:
        return None
    return db.session.scalar(
        select(Place).where(
            Place.source == FORM_SOURCE, Place.source_id == f"{user.id}:{submission_key}"
        )
    )


def add_place(user: User, values: Mapping[str, Any], submission_key: str | None = None) -> Place:
    """Add a place in one of the user's areas (once per ``submission_key``)."""
    check_location(values.get("lon"), values.get("lat"))
    _require_spot(user, values["lon"], values["lat"])
    if not (values.get("name") or "").strip():
        raise InvalidInput(_("A place needs a name."))
    return create_place(
        values,
        Actor(user.name, user.id),
        source=FORM_SOURCE if submission_key else None,
        source_id=f"{user.id}:{submission_key}" if submission_key else None,
    )


def nearby_for_new(user: User, values: Mapping[str, Any]) -> list[tuple[Place, int]]:
    """Places close to where the user would add one: "is this the same one?"."""
    check_location(values.get("lon"), values.get("lat"))
    _require_spot(user, values["lon"], values["lat"])
    return nearby_places(values["lon"], values["lat"])


def edit_place(
    user: User, place: Place, values: Mapping[str, Any], expected_version: int | None
) -> bool:
    """Change (and perhaps move) a place; both the old and the new spot must be the user's."""
    before = snapshot(place)
    _require(user, before["lon"], before["lat"])
    if "name" in values and not (values.get("name") or "").strip():
        raise InvalidInput(_("A place needs a name."))
    if "lon" in values or "lat" in values:
        check_location(values.get("lon"), values.get("lat"))
        _require_spot(user, values["lon"], values["lat"])
    return update_place(place, values, Actor(user.name, user.id), expected_version=expected_version)


def set_status(user: User, place: Place, status: str, expected_version: int | None) -> bool:
    """Close, reopen or mark gone a place."""
    before = snapshot(place)
    _require(user, before["lon"], before["lat"])
    return update_place(
        place, {"status": status}, Actor(user.name, user.id), expected_version=expected_version
    )


def may_add(user: Any) -> bool:
    return bool(
        getattr(user, "is_authenticated", False) and user.role in (Role.area_manager, Role.admin)
    )
