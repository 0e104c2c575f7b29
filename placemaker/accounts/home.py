"""Where a user works: the view a map opens on, and the credit lines of what is shown.

Maps never open on a hard-coded city: an area manager sees their areas, anyone else
(planners included, who then choose a municipality) the extent of every area loaded; only an
empty database falls back to the middle of the Netherlands. Credit lines come from the
sources that were imported (table data_source) for the municipalities shown: an area
manager's own, the one a planner chose (``?area=GM…``), else every municipality loaded.
"""

from __future__ import annotations

import math

from flask import g, has_request_context, request
from flask_login import current_user
from sqlalchemy import func, select

from placemaker.accounts.models import AreaAssignment
from placemaker.areas.models import Area, DataSource
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
    query = select(
        func.ST_XMin(extent), func.ST_YMin(extent), func.ST_XMax(extent), func.ST_YMax(extent)
    )
    user_id = getattr(current_user, "id", None) if current_user else None
    if user_id is not None:
        own = db.session.execute(
            query.join(AreaAssignment, AreaAssignment.area_id == Area.id).where(
                AreaAssignment.user_id == user_id
            )
        ).one()
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
    zoom = min(
        math.log2(360 * VIEWPORT_PX[0] / 256 / lon_span),
        math.log2(360 * VIEWPORT_PX[1] / 256 / lat_span),
    )
    return (round(centre[0], 5), round(centre[1], 5)), max(7, min(16, math.floor(zoom)))


def credit_lines(gemeenten: list[str] | None = None) -> list[str]:
    query = select(DataSource).order_by(DataSource.gemeente, DataSource.id)
    if gemeenten:
        query = query.where(DataSource.gemeente.in_(gemeenten))
    lines: list[str] = []
    for source in db.session.scalars(query):
        line = source.credit()
        if line not in lines:
            lines.append(line)
    return lines


def gemeente_of(area_ids: list[int]) -> list[str]:
    """The municipalities (top areas of level gemeente) above these areas."""
    parents = dict(db.session.execute(select(Area.id, Area.parent_id)).all())
    levels = dict(db.session.execute(select(Area.id, Area.level_code)).all())
    codes = dict(db.session.execute(select(Area.id, Area.code)).all())
    out = []
    for area_id in area_ids:
        node = area_id
        while (parent := parents.get(node)) is not None and levels.get(node) != "gemeente":
            node = parent
        if levels.get(node) == "gemeente" and codes[node] not in out:
            out.append(codes[node])
    return out


def shown_gemeenten() -> list[str] | None:
    """The municipalities the current page is about, or None for all."""
    if not has_request_context():
        return None
    chosen = request.args.get("area", "")
    if chosen.startswith("GM"):
        return [chosen]
    user_id = getattr(current_user, "id", None) if current_user else None
    if user_id is not None:
        own = list(
            db.session.scalars(
                select(AreaAssignment.area_id).where(AreaAssignment.user_id == user_id)
            )
        )
        if own:
            return gemeente_of(own) or None
    return None


def data_credit() -> str:
    """One line: the credits of the sources shown on this page."""
    if has_request_context() and "data_credit" in g:
        return g.data_credit
    line = "; ".join(credit_lines(shown_gemeenten()))
    if has_request_context():
        g.data_credit = line
    return line


def map_credit() -> str:
    """The short line for a map's attribution (a phone has room for a line or two): the
    publishers of the sources shown, with the licence they share."""
    query = select(DataSource).order_by(DataSource.gemeente, DataSource.id)
    gemeenten = shown_gemeenten()
    if gemeenten:
        query = query.where(DataSource.gemeente.in_(gemeenten))
    sources = list(db.session.scalars(query))
    publishers: list[str] = []
    for source in sources:
        if source.publisher not in publishers:
            publishers.append(source.publisher)
    licences = {s.licence for s in sources if s.licence}
    licence = f" ({licences.pop()})" if len(licences) == 1 else ""
    return ", ".join(publishers) + licence if publishers else ""
