"""Keeping the registry: create, change, move and close places, with a history of each change.

Service functions take plain values, flush but never commit, and raise domain exceptions.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from geoalchemy2 import Geography
from geoalchemy2.shape import to_shape
from sqlalchemy import Select, cast, func, select
from sqlalchemy.orm.exc import StaleDataError

from placemaker.areas.models import Area
from placemaker.errors import Conflict, InvalidInput, NotFound
from placemaker.extensions import db, get_by_id
from placemaker.geo import SRID, GeometryError, bbox_envelope, point_from_lonlat
from placemaker.places import opening
from placemaker.places.models import Place, PlaceChange, PlaceKind, PlaceStatus
from placemaker.registry import PLACE_STEP, provider
from placemaker.validation import has_visible_text

NAME_MAX = 200
DESCRIPTION_MAX = 5000
EDITABLE = (
    "name",
    "description",
    "address",
    "postcode",
    "kind_code",
    "status",
    "owner_org",
    "keeper",
    "budget_line",
    "opening_hours",
)
ASSET_TEXT_MAX = 200  # owner_org, keeper and budget_line


@dataclass(frozen=True)
class Actor:
    """Who makes a change: a user, or a process such as an import."""

    label: str
    user_id: int | None = None


def kinds() -> list[PlaceKind]:
    return list(db.session.scalars(select(PlaceKind).order_by(PlaceKind.sort_order)))


def get_kind(code: str) -> PlaceKind:
    kind = db.session.get(PlaceKind, code)
    if kind is None:
        known = ", ".join(k.code for k in kinds())
        raise InvalidInput(f"unknown place kind {code!r} (known: {known})")
    return kind


def get_place(place_id: int) -> Place:
    place = get_by_id(Place, place_id)
    if place is None:
        raise NotFound(f"place {place_id} does not exist")
    return place


def snapshot(place: Place) -> dict[str, Any]:
    """The values a history entry records, JSON-ready."""
    point = to_shape(place.geom) if place.geom is not None else None
    return {
        "name": place.name,
        "description": place.description,
        "address": place.address,
        "postcode": place.postcode,
        "kind_code": place.kind_code,
        "status": place.status.value if place.status else None,
        "owner_org": place.owner_org,
        "keeper": place.keeper,
        "budget_line": place.budget_line,
        "opening_hours": place.opening_hours,
        "lon": round(point.x, 7) if point is not None else None,
        "lat": round(point.y, 7) if point is not None else None,
    }


def _clean(values: Mapping[str, Any]) -> dict[str, Any]:
    """Validate editable fields; raise InvalidInput naming the first problem."""
    clean: dict[str, Any] = {}
    for key, value in values.items():
        if key not in EDITABLE and key not in ("lon", "lat"):
            raise InvalidInput(f"{key!r} cannot be set on a place")
        if isinstance(value, str):
            if "\x00" in value:
                raise InvalidInput(f"{key} contains a NUL character")
            value = value.strip()
        clean[key] = value if value != "" else None
    for axis in ("lon", "lat"):
        if axis in clean:
            try:
                clean[axis] = float(clean[axis])
            except (TypeError, ValueError):
                raise InvalidInput("longitude and latitude must be numbers") from None
    if "name" in clean:
        if not clean["name"] or not has_visible_text(clean["name"]):
            raise InvalidInput("a place needs a name")
        if len(clean["name"]) > NAME_MAX:
            raise InvalidInput(f"a name has at most {NAME_MAX} characters")
    if clean.get("description") and len(clean["description"]) > DESCRIPTION_MAX:
        raise InvalidInput(f"a description has at most {DESCRIPTION_MAX} characters")
    for key in ("owner_org", "keeper", "budget_line"):
        if clean.get(key) and len(clean[key]) > ASSET_TEXT_MAX:
            raise InvalidInput(f"{key} has at most {ASSET_TEXT_MAX} characters")
    if "opening_hours" in clean:
        clean["opening_hours"] = opening.clean(clean["opening_hours"])
    if "kind_code" in clean:
        get_kind(clean["kind_code"] or "")
    if "status" in clean:
        try:
            clean["status"] = PlaceStatus(clean["status"])
        except ValueError:
            allowed = ", ".join(s.value for s in PlaceStatus)
            raise InvalidInput(f"status must be one of {allowed}") from None
    return clean


def _point(lon: float, lat: float):
    try:
        return point_from_lonlat(lon, lat)
    except GeometryError as exc:
        raise InvalidInput(str(exc)) from None


def create_place(
    values: Mapping[str, Any],
    actor: Actor,
    *,
    source: str | None = None,
    source_id: str | None = None,
) -> Place:
    """Add a place; ``values`` holds name, kind_code, lon, lat and optional fields."""
    clean = _clean(values)
    for required in ("name", "kind_code"):
        if not clean.get(required):
            raise InvalidInput(f"a place needs a {required.replace('_code', '')}")
    if clean.get("lon") is None or clean.get("lat") is None:
        raise InvalidInput("a place needs a location (lon and lat)")
    place = Place(
        geom=_point(clean.pop("lon"), clean.pop("lat")),
        source=source,
        source_id=source_id,
        status=clean.pop("status", None) or PlaceStatus.active,
        **clean,
    )
    db.session.add(place)
    db.session.flush()
    _record(place, actor, "created", {}, snapshot(place))
    return place


def update_place(
    place: Place, values: Mapping[str, Any], actor: Actor, expected_version: int | None = None
) -> bool:
    """Change a place and record what changed. Returns False when nothing changed.

    :raises Conflict: when ``expected_version`` is given and somebody saved in between.
    """
    if expected_version is not None and expected_version != place.version:
        raise Conflict(
            "Somebody else changed this place while you were editing it. "
            "Reload to see their change, then make yours again."
        )
    clean = _clean(values)
    before = snapshot(place)
    if "lon" in clean or "lat" in clean:
        lon = clean.pop("lon", before["lon"])
        lat = clean.pop("lat", before["lat"])
        if (round(lon, 7), round(lat, 7)) != (before["lon"], before["lat"]):
            place.geom = _point(lon, lat)
    for key, value in clean.items():
        setattr(place, key, value)
    after = snapshot(place)
    changed = {k for k in after if after[k] != before[k]}
    if not changed:
        return False
    try:
        db.session.flush()
    except StaleDataError:
        raise Conflict(
            "Somebody else changed this place at the same moment; reload and retry."
        ) from None
    action = (
        "moved" if changed <= {"lon", "lat"} else "status" if changed == {"status"} else "updated"
    )
    _record(place, actor, action, {k: before[k] for k in changed}, {k: after[k] for k in changed})
    return True


def _record(place: Place, actor: Actor, action: str, old: dict, new: dict) -> None:
    change = PlaceChange(
        place_id=place.id,
        user_id=actor.user_id,
        actor=actor.label,
        action=action,
        old_values=old,
        new_values=new,
    )
    db.session.add(change)
    db.session.flush()
    if action != "created" and "status" in new:
        notify = provider(PLACE_STEP)
        if notify is not None:
            notify(place, change)


def history(place: Place) -> list[PlaceChange]:
    return list(
        db.session.scalars(
            select(PlaceChange).where(PlaceChange.place_id == place.id).order_by(PlaceChange.id)
        )
    )


NEARBY_M = 50.0  # "is this the same one?" when a manager adds a place


def nearby_places(lon: float, lat: float, radius_m: float = NEARBY_M) -> list[tuple[Place, int]]:
    """Places (not gone) within ``radius_m`` metres of a point, nearest first, with metres."""
    here = cast(func.ST_SetSRID(func.ST_MakePoint(lon, lat), SRID), Geography)
    distance = func.ST_Distance(cast(Place.geom, Geography), here)
    rows = db.session.execute(
        select(Place, distance.label("m"))
        .where(
            Place.status != PlaceStatus.gone,
            func.ST_DWithin(cast(Place.geom, Geography), here, radius_m),
        )
        .order_by(distance)
        .limit(10)
    ).all()
    return [(place, round(m)) for place, m in rows]


@dataclass(frozen=True)
class LifeStep:
    """One dated step of a place's life (planned, under construction, open, …): public."""

    status: str
    at: datetime


def life(place: Place) -> list[LifeStep]:
    """The place's statuses in order, each with the day it began; no names of who did it."""
    steps: list[LifeStep] = []
    for change in history(place):
        status = change.new_values.get("status")
        if status and (not steps or steps[-1].status != status):
            steps.append(LifeStep(status, change.changed_at))
    return steps


def places_query(
    *,
    bbox: Sequence[float] | None = None,
    kinds: Sequence[str] = (),
    statuses: Sequence[str] = (),
    area_code: str | None = None,
    search: str | None = None,
    owner: str | None = None,
    keeper: str | None = None,
) -> Select:
    """The places matching the filters, ordered by id (stable for paging)."""
    query = select(Place).order_by(Place.id)
    if owner:
        query = query.where(Place.owner_org.icontains(owner, autoescape=True))
    if keeper:
        query = query.where(Place.keeper.icontains(keeper, autoescape=True))
    if bbox is not None:
        query = query.where(func.ST_Intersects(Place.geom, bbox_envelope(bbox)))
    if kinds:
        query = query.where(Place.kind_code.in_(list(kinds)))
    if statuses:
        try:
            wanted = [PlaceStatus(s) for s in statuses]
        except ValueError:
            allowed = ", ".join(s.value for s in PlaceStatus)
            raise InvalidInput(f"status must be one of {allowed}") from None
        query = query.where(Place.status.in_(wanted))
    if area_code:
        area_geom = select(Area.geom).where(Area.code == area_code).scalar_subquery()
        query = query.where(func.ST_Covers(area_geom, Place.geom))
    if search:
        query = query.where(Place.name.icontains(search, autoescape=True))
    return query
