"""Where residents live: population cells per area, and which source each municipality's
demand comes from (stated by the analysis and on the planners' page)."""

from __future__ import annotations

from collections import defaultdict

import numpy as np
from sqlalchemy import text

from placemaker.extensions import db

CELLS_SQL = """
    SELECT a.id, ST_X(p.xy), ST_Y(p.xy), c.population
    FROM area a
    JOIN population_cell c ON ST_Contains(a.geom, c.geom)
    CROSS JOIN LATERAL (SELECT ST_Transform(c.geom, :srid) AS xy) p
    WHERE a.id = ANY(:ids)
    ORDER BY a.id, c.cell_id
"""


def population_cells(
    area_ids: list[int], srid: int
) -> dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Per area, its population cells' ``(x, y, population)`` in the given projection."""
    grouped: dict[int, list[tuple[float, float, float]]] = defaultdict(list)
    for area_id, x, y, population in db.session.execute(
        text(CELLS_SQL), {"ids": list(area_ids), "srid": srid}
    ):
        grouped[area_id].append((x, y, float(population)))
    out: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
    for area_id, rows in grouped.items():
        xs, ys, people = zip(*rows, strict=True)
        out[area_id] = (
            np.asarray(xs, dtype=float),
            np.asarray(ys, dtype=float),
            np.asarray(people, dtype=float),
        )
    return out


def demand_cells(
    ctx, leaves: list, srid: int
) -> dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Population cells of the demand areas. In a municipality with a grid the grid is the
    whole population: an area with no cell centre inside gets no residents (its residents
    are in the cells of its neighbours), instead of its own total spread a second time."""
    cells = population_cells([n.id for n in leaves], srid)
    with_grid = set(db.session.scalars(text("SELECT DISTINCT gemeente FROM population_cell")))
    empty = (np.zeros(0), np.zeros(0), np.zeros(0))
    for node in leaves:
        chain = ctx.ancestors(node)
        if node.id not in cells and chain and chain[-1].code in with_grid:
            cells[node.id] = empty
    return cells


SOURCES_SQL = """
    SELECT g.code, g.name,
           (SELECT count(*) FROM population_cell c WHERE c.gemeente = g.code) AS cells,
           (SELECT string_agg(DISTINCT c.source, '; ') FROM population_cell c
             WHERE c.gemeente = g.code) AS source,
           (SELECT count(*) FROM gap_layer_feature f JOIN gap_layer l ON l.id = f.layer_id
             WHERE l.role = 'exclude' AND ST_Intersects(f.geom, g.geom)) AS excluded
    FROM area g WHERE g.level_code = 'gemeente' ORDER BY g.name
"""


def demand_sources() -> list[dict]:
    """Per municipality: where the analysis puts its residents, and a warning when they
    were spread over whole area polygons that may include water."""
    out = []
    for code, name, cells, source, excluded in db.session.execute(text(SOURCES_SQL)):
        if cells:
            kind, warning = "grid", None
        elif excluded:
            kind, warning = "area_land", None
        else:
            kind = "area"
            warning = (
                "residents are spread over whole area polygons, which may include "
                "water and parks: load a population grid or a water layer"
            )
        out.append(
            {
                "gemeente": code,
                "name": name,
                "demand_source": kind,
                "cells": cells,
                "source": source,
                "warning": warning,
            }
        )
    return out


def demand_warnings(area_code: str | None = None) -> list[dict]:
    """The demand-source warnings of the municipalities an analysis covers: the one holding
    ``area_code``, or every municipality when no area is chosen."""
    gemeenten = None
    if area_code:
        gemeenten = set(db.session.scalars(text(GEMEENTE_OF_SQL), {"code": area_code}))
    return [
        {"gemeente": s["gemeente"], "name": s["name"], "warning": s["warning"]}
        for s in demand_sources()
        if s["warning"] and (gemeenten is None or s["gemeente"] in gemeenten)
    ]


GEMEENTE_OF_SQL = """
    SELECT g.code FROM area a JOIN area g ON g.level_code = 'gemeente'
      AND ST_Intersects(g.geom, ST_PointOnSurface(a.geom))
    WHERE a.code = :code
"""

LEVELS_SQL = """
    SELECT DISTINCT a.level_code FROM area a
    WHERE a.level_code = ANY(:levels) AND (CAST(:code AS text) IS NULL OR EXISTS (
        SELECT 1 FROM area c JOIN area g ON g.level_code = 'gemeente'
          AND ST_Intersects(g.geom, ST_PointOnSurface(c.geom))
        WHERE c.code = :code AND ST_Intersects(g.geom, ST_PointOnSurface(a.geom))))
"""


def levels_with_data(levels: tuple[str, ...], area_code: str | None = None) -> list[str]:
    """Those of ``levels`` (in their order) that have areas in the municipality holding
    ``area_code`` (anywhere when no area is chosen)."""
    found = set(
        db.session.scalars(text(LEVELS_SQL), {"levels": list(levels), "code": area_code or None})
    )
    return [lv for lv in levels if lv in found]
