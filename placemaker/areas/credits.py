"""Credit lines from the sources that were actually imported (table data_source).

A page credits the sources of the municipalities it shows: an area manager's own, the one a
planner chose (``?area=GM…``), else every municipality loaded.
"""

from __future__ import annotations

from flask import g, has_request_context, request
from flask_login import current_user
from sqlalchemy import select

from placemaker.accounts.models import AreaAssignment
from placemaker.areas.models import Area, DataSource
from placemaker.extensions import db


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
        while parents.get(node) is not None and levels.get(node) != "gemeente":
            node = parents[node]
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
        own = list(db.session.scalars(
            select(AreaAssignment.area_id).where(AreaAssignment.user_id == user_id)))
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
