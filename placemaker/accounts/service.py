"""Accounts: authentication and which areas an area manager may look after."""

from __future__ import annotations

import functools
import secrets

from sqlalchemy import func, select
from werkzeug.security import check_password_hash, generate_password_hash

from placemaker.accounts.models import AreaAssignment, Role, User
from placemaker.areas.models import Area
from placemaker.areas.service import lineage
from placemaker.extensions import db
from placemaker.geo import point_sql


def authenticate(email: str, password: str) -> User | None:
    user = db.session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))
    if user is None:
        # As slow as a wrong password: the answer's time does not tell which e-mail exists.
        check_password_hash(_dummy_hash(), password)
        return None
    if not user.active or not user.check_password(password):
        return None
    return user


@functools.cache
def _dummy_hash() -> str:
    return generate_password_hash(secrets.token_urlsafe(16))


def current_assignments(user: User) -> list[AreaAssignment]:
    return [a for a in user.assignments if a.until is None]


def may_manage_point(user: User, lon: float, lat: float) -> bool:
    """Whether a user may change things at a point: admins anywhere, managers in their areas."""
    if user.role is Role.admin:
        return True
    if user.role is not Role.area_manager:
        return False
    area_ids = [a.area_id for a in current_assignments(user)]
    if not area_ids:
        return False
    point = point_sql(lon, lat)
    return bool(
        db.session.scalar(
            select(func.count())
            .select_from(Area)
            .where(Area.id.in_(area_ids), func.ST_Covers(Area.geom, point))
        )
    )


def managers_of(area: Area) -> list[AreaAssignment]:
    """The steady area managers of an area: assigned to it or to one of its ancestors."""
    ids = [a.id for a in lineage(area)]
    rows = db.session.scalars(
        select(AreaAssignment)
        .join(User)
        .where(
            AreaAssignment.area_id.in_(ids),
            AreaAssignment.until.is_(None),
            User.active.is_(True),
            User.role == Role.area_manager,
        )
        .order_by(AreaAssignment.since)
    )
    return list(rows)
