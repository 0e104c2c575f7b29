"""Which cases an area manager sees: those whose point lies in one of their current areas."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, exists, func, literal, select, true

from placemaker.accounts.models import AreaAssignment, Role, User
from placemaker.areas.models import Area


def in_managed_areas(user: User, geom: Any) -> ColumnElement[bool]:
    """SQL condition: ``geom`` (a case's point column) lies in an area ``user`` manages now;
    always true for admins."""
    if user.role is Role.admin:
        return true()
    return exists(
        select(literal(1))
        .select_from(AreaAssignment)
        .join(Area, Area.id == AreaAssignment.area_id)
        .where(
            AreaAssignment.user_id == user.id,
            AreaAssignment.until.is_(None),
            func.ST_Covers(Area.geom, geom),
        )
    )
