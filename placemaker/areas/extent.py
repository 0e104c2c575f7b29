"""Where a map opens: on the user's own areas, else on the extent of all data.

Never a hard-coded city: an area manager sees their areas, anyone else (planners included,
who then choose a municipality) the extent of every area loaded. Only an empty database
falls back to the middle of the Netherlands.
"""

from __future__ import annotations

import math

from flask import g
from flask_login import current_user
from sqlalchemy import func, select

from placemaker.accounts.models import AreaAssignment
from placemaker.areas.models import Area
from placemaker.extensions import db

NETHERLANDS = ((52.2, 5.3), 8)  # (lat, lon), zoom: only for a database without areas
VIEWPORT_PX = (900, 560)  # a typical map panel, to pick a zoom that shows the whole extent


def home_view() -> tuple[tuple[float, float], int]:
    """``((lat, lon), zoom)`` for the current user."""
    if "home_view" not in g:
        g.home_view = _view(_bounds())
    return g.home_view


def _bounds() -> tuple[float, float, float, float] | None:
    extent = func.ST_Extent(Area.geom)
    query = select(func.ST_XMin(extent), func.ST_YMin(extent), func.ST_XMax(extent),
                   func.ST_YMax(extent))
    user_id = getattr(current_user, "id", None) if current_user else None
    if user_id is not None:
        own = db.session.execute(
            query.join(AreaAssignment, AreaAssignment.area_id == Area.id)
            .where(AreaAssignment.user_id == user_id)).one()
        if own[0] is not None:
            return tuple(own)
    everything = db.session.execute(query).one()
    return tuple(everything) if everything[0] is not None else None


def _view(bounds: tuple[float, float, float, float] | None) -> tuple[tuple[float, float], int]:
    if bounds is None:
        return NETHERLANDS
    west, south, east, north = bounds
    centre = ((south + north) / 2, (west + east) / 2)
    lon_span = max(east - west, 1e-4)
    lat_span = max(north - south, 1e-4) / math.cos(math.radians(centre[0]))
    zoom = min(math.log2(360 * VIEWPORT_PX[0] / 256 / lon_span),
               math.log2(360 * VIEWPORT_PX[1] / 256 / lat_span))
    return (round(centre[0], 5), round(centre[1], 5)), max(7, min(16, math.floor(zoom)))
