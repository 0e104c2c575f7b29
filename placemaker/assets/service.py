"""Condition, "checked, in use" confirmations, stale places and the round of visits.

Service functions take plain values, flush but never commit, and raise domain exceptions.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, func, or_, select, update

from placemaker import cache
from placemaker.accounts.models import AreaAssignment, Role, User
from placemaker.accounts.service import may_manage_point
from placemaker.areas.models import Area
from placemaker.assets import route
from placemaker.assets.models import PlaceCheck
from placemaker.errors import Forbidden, InvalidInput
from placemaker.extensions import db
from placemaker.geo import RD_SRID
from placemaker.places.models import Place, PlaceCondition, PlaceStatus
from placemaker.places.service import Actor, snapshot

NOTE_MAX = 2000
RESIDENT = Actor("resident")

CONDITION_LABELS = {
    PlaceCondition.good.value: _l("Good"),
    PlaceCondition.needs_attention.value: _l("Needs attention"),
    PlaceCondition.broken.value: _l("Broken"),
    PlaceCondition.gone.value: _l("Gone"),
}


def db_now() -> datetime:
    return db.session.execute(select(func.localtimestamp())).scalar_one()


def _check_manager(user: User, place: Place) -> None:
    point = snapshot(place)
    if not may_manage_point(user, point["lon"], point["lat"]):
        raise Forbidden(_("You may only change places in the areas you look after."))


def _note(text: str | None) -> str | None:
    text = " ".join((text or "").replace("\x00", "").split()) or None
    if text and len(text) > NOTE_MAX:
        raise InvalidInput(
            _("Please keep it to %(max)d characters (you wrote %(n)d).", max=NOTE_MAX, n=len(text)),
            details={"field": "note"},
        )
    return text


def set_condition(
    place: Place, condition: str, actor: Actor, note: str | None = None
) -> PlaceCheck | None:
    """Record the condition a place is in; None when it did not change and no note was given."""
    try:
        new = PlaceCondition(condition)
    except ValueError:
        allowed = ", ".join(c.value for c in PlaceCondition)
        raise InvalidInput(
            _("The condition must be one of %(allowed)s.", allowed=allowed),
            details={"field": "condition"},
        ) from None
    note = _note(note)
    old = place.condition
    if old is new and not note:
        return None
    # A plain UPDATE: a condition does not compete with an open edit form of the place.
    db.session.execute(
        update(Place)
        .where(Place.id == place.id)
        .values(condition=new)
        .execution_options(synchronize_session=False)
    )
    db.session.expire(place, ["condition"])
    check = PlaceCheck(
        place_id=place.id,
        user_id=actor.user_id,
        actor=actor.label,
        action="condition",
        old_condition=old.value if old else None,
        new_condition=new.value,
        note=note,
    )
    db.session.add(check)
    db.session.flush()
    return check


def manager_set_condition(
    user: User, place: Place, condition: str, note: str | None = None
) -> PlaceCheck | None:
    _check_manager(user, place)
    return set_condition(place, condition, Actor(user.email, user.id), note)


def confirm_in_use(place: Place, actor: Actor, note: str | None = None) -> PlaceCheck:
    """Somebody saw the place in use now: record it and move its last confirmation."""
    note = _note(note)
    now = db_now()
    db.session.execute(
        update(Place)
        .where(Place.id == place.id)
        .values(last_confirmed_at=now)
        .execution_options(synchronize_session=False)
    )
    db.session.expire(place, ["last_confirmed_at"])
    check = PlaceCheck(
        place_id=place.id, user_id=actor.user_id, actor=actor.label, action="in_use", note=note
    )
    db.session.add(check)
    db.session.flush()
    return check


def manager_confirm(user: User, place: Place, note: str | None = None) -> PlaceCheck:
    _check_manager(user, place)
    return confirm_in_use(place, Actor(user.email, user.id), note)


def resident_confirm(place: Place, device_id: str) -> bool:
    """A resident's "I was here, it is used": at most once per device, place and day.

    The day's mark lives in Redis (shared by every worker) under a hash of the device's
    random cookie id. Returns False when this device already confirmed this place today.
    """
    if place.status is PlaceStatus.gone:
        raise InvalidInput(_("This place is gone; it cannot be confirmed in use."))
    today = db_now().date().isoformat()
    device = hashlib.sha256(f"confirm\0{device_id}".encode()).hexdigest()[:32]
    key = f"assets:confirm:{today}:{place.id}:{device}"
    fresh = cache.client().set(key, b"1", nx=True, ex=36 * 3600)
    if not fresh:
        return False
    confirm_in_use(place, RESIDENT)
    return True


def record(place: Place, action: str, actor: Actor, note: str | None = None) -> PlaceCheck:
    """Write one entry in the place's record without changing the place (e.g. a report)."""
    check = PlaceCheck(
        place_id=place.id, user_id=actor.user_id, actor=actor.label, action=action, note=note
    )
    db.session.add(check)
    db.session.flush()
    return check


def checks(place: Place) -> list[PlaceCheck]:
    return list(
        db.session.scalars(
            select(PlaceCheck).where(PlaceCheck.place_id == place.id).order_by(PlaceCheck.id)
        )
    )


# --- stale places and the round of visits ---------------------------------------------------


def stale_days() -> int:
    return int(current_app.config["PLACE_STALE_DAYS"])


def stale_before() -> datetime:
    return db_now() - timedelta(days=stale_days())


def is_stale(place: Place, cutoff: datetime | None = None) -> bool:
    if place.status is PlaceStatus.gone:
        return False
    cutoff = cutoff or stale_before()
    return place.last_confirmed_at is None or place.last_confirmed_at < cutoff


def stale_query(cutoff: datetime) -> Select:
    """Places still there that nobody confirmed in use since ``cutoff``."""
    return select(Place).where(
        Place.status != PlaceStatus.gone,
        Place.condition != PlaceCondition.gone,
        or_(Place.last_confirmed_at.is_(None), Place.last_confirmed_at < cutoff),
    )


@dataclass
class Stop:
    place: Place
    x: float
    y: float
    leg_m: float  # from the previous stop


@dataclass
class Round:
    stops: list[Stop]
    length_m: float
    cutoff: datetime
    area: Area | None


def visit_round(user: User, area_code: str | None = None, limit: int = 60) -> Round:
    """The stale places in the user's areas (or one of them), ordered into a walking round.

    The oldest confirmations first choose which ``limit`` places go; the round then orders
    them (see :mod:`placemaker.assets.route`).
    """
    cutoff = stale_before()
    query = stale_query(cutoff)
    area = None
    if area_code:
        area = db.session.scalar(select(Area).where(Area.code == area_code))
        if area is None:
            raise InvalidInput(_("Unknown area."))
        query = query.where(func.ST_Covers(area.geom, Place.geom))
    if user.role is not Role.admin:
        mine = (
            select(Place.id)
            .join(Area, func.ST_Covers(Area.geom, Place.geom))
            .join(AreaAssignment, AreaAssignment.area_id == Area.id)
            .where(AreaAssignment.user_id == user.id, AreaAssignment.until.is_(None))
        )
        query = query.where(Place.id.in_(mine))
    sub = query.order_by(Place.last_confirmed_at.asc().nulls_first(), Place.id).limit(limit)
    rows = list(
        db.session.execute(
            select(
                Place,
                func.ST_X(func.ST_Transform(Place.geom, RD_SRID)),
                func.ST_Y(func.ST_Transform(Place.geom, RD_SRID)),
            ).where(Place.id.in_(sub.with_only_columns(Place.id)))
        ).all()
    )
    rows.sort(key=lambda r: r[0].id)
    points = [(float(r[1]), float(r[2])) for r in rows]
    order = route.walking_round(points)
    stops: list[Stop] = []
    for position, index in enumerate(order):
        leg = 0.0 if position == 0 else route.length(points, [order[position - 1], index])
        stops.append(Stop(rows[index][0], points[index][0], points[index][1], round(leg)))
    return Round(stops, round(route.length(points, order)), cutoff, area)
