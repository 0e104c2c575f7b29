"""Where a new site may go: populated grid cells, open proposals, or an uploaded layer."""

from __future__ import annotations

from typing import Any

import numpy as np
import shapely
from sqlalchemy import func, select

from placemaker.areas.models import Area
from placemaker.extensions import db
from placemaker.gaps.model import GapModel, exclude_geometries
from placemaker.gaps.models import GapLayerFeature
from placemaker.gaps.params import GapParams
from placemaker.geo import RD_SRID
from placemaker.proposals.models import OPEN_STATUSES, Proposal


def candidate_sites(params: GapParams, model: GapModel) -> tuple[np.ndarray, list[Any]]:
    """Candidate sites in metres and how to name each (a cell, a proposal, a feature)."""
    if params.candidates == "grid":
        populated = model.grid.population > 0
        xy, first = np.unique(model.grid.xy[populated], axis=0, return_index=True)
        return xy, [{"source": "grid"} for _ in range(len(xy))]
    if params.candidates == "proposals":
        rows = open_proposal_points()
    else:
        rows = _layer_points(int(params.candidates[6:]))
    rows = [r for r in rows if _inside_area(params, r)]
    xy = np.array([(r["x"], r["y"]) for r in rows], dtype=float).reshape(-1, 2)
    excluded = _in_excluded(xy, params)
    keep = [i for i in range(len(rows)) if not excluded[i]]
    return xy[keep], [rows[i]["ref"] for i in keep]


def _inside_area(params: GapParams, row: dict[str, Any]) -> bool:
    return not params.area or params.area in row.get("areas", ())


def _in_excluded(xy: np.ndarray, params: GapParams) -> np.ndarray:
    """Candidates inside exclusion layers (water, private land) are no option."""
    own = int(params.candidates[6:]) if params.candidates.startswith("layer:") else None
    layers = exclude_geometries(but_layer=own)
    if not layers or not len(xy):
        return np.zeros(len(xy), dtype=bool)
    union = shapely.union_all(layers)
    return shapely.contains_xy(union, xy[:, 0], xy[:, 1])


def _layer_points(layer_id: int) -> list[dict[str, Any]]:
    point = func.ST_PointOnSurface(GapLayerFeature.geom)
    rd = func.ST_Transform(point, RD_SRID)
    rows = db.session.execute(
        select(
            GapLayerFeature.id,
            GapLayerFeature.name,
            func.ST_X(rd),
            func.ST_Y(rd),
            func.array(select(Area.code).where(func.ST_Covers(Area.geom, point)).scalar_subquery()),
        )
        .where(GapLayerFeature.layer_id == layer_id)
        .order_by(GapLayerFeature.id)
    )
    return [
        {
            "x": r[2],
            "y": r[3],
            "areas": tuple(r[4] or ()),
            "ref": {"source": "layer", "layer_id": layer_id, "feature_id": r[0], "name": r[1]},
        }
        for r in rows
    ]


def open_proposal_points() -> list[dict[str, Any]]:
    """Open residents' proposals as candidate sites (RD New metres)."""
    rd = func.ST_Transform(Proposal.geom, RD_SRID)
    rows = db.session.execute(
        select(
            Proposal.id,
            Proposal.kind_code,
            func.ST_X(rd),
            func.ST_Y(rd),
            func.array(
                select(Area.code).where(func.ST_Covers(Area.geom, Proposal.geom)).scalar_subquery()
            ),
        )
        .where(Proposal.status.in_(OPEN_STATUSES))
        .order_by(Proposal.id)
    ).all()
    return [
        {
            "x": float(r[2]),
            "y": float(r[3]),
            "areas": tuple(r[4] or ()),
            "ref": {"source": "proposal", "proposal_id": r[0], "kind": r[1], "name": f"#{r[0]}"},
        }
        for r in rows
    ]
