"""What one new place would reach: at a point a planner clicks, or at residents' spots."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from placemaker.areas import service as areas
from placemaker.errors import InvalidInput
from placemaker.gaps.analysis import (
    StraightLineDistance,
    evaluate_point,
)
from placemaker.gaps.layers import to_rd
from placemaker.gaps.model import area_context, load_model
from placemaker.gaps.params import (
    GapParams,
)
from placemaker.gaps.prepared import new_site_radius
from placemaker.geo import GeometryError, check_coordinates


def evaluate(lon: float, lat: float, params: GapParams) -> dict[str, Any]:
    """What one new place at a point would add: residents and need not yet served."""
    try:
        check_coordinates([(lon, lat)])
    except GeometryError as exc:
        raise InvalidInput(str(exc)) from None
    model = load_model(params)
    x, y = _to_rd(lon, lat)
    radius = new_site_radius(params)
    gain = evaluate_point(
        x,
        y,
        radius,
        model.grid.xy,
        model.grid.weight,
        model.grid.population,
        model.covered,
        StraightLineDistance(params.detour),
    )
    area = areas.area_at(lon, lat)
    ctx = area_context()
    node = ctx.by_code.get(area.code) if area else None
    cohesion = ctx.cohesion_of(node, params.year) if node else None
    return {
        "lon": lon,
        "lat": lat,
        "radius_m": radius,
        "new_residents_reached": round(gain.population, 1),
        "new_weighted_need_reached": round(gain.weight, 2),
        "area": {"code": node.code, "name": node.name} if node else None,
        "cohesion": cohesion.as_json() if cohesion else None,
        "params": params.as_json(),
    }


def _to_rd(lon: float, lat: float) -> tuple[float, float]:
    x, y = to_rd(np.array([[lon, lat]]))[0]
    return float(x), float(y)


def spot_values(spots: Sequence[tuple[float, float, float | None]]) -> list[dict[str, Any]]:
    """What one new place at each ``(lon, lat, radius_m)`` reaches with default weights.

    The proposal pages ask, for one spot or a whole moderation queue: the model is loaded
    once (the walking distance of a new site is not part of it) and each spot is a lookup.
    """
    if not spots:
        return []
    check_coordinates([(lon, lat) for lon, lat, _radius in spots])
    params = GapParams()
    model = load_model(params)
    distance = StraightLineDistance(params.detour)
    xy = to_rd(np.array([(lon, lat) for lon, lat, _radius in spots], dtype=float))
    out = []
    for (lon, lat, radius_m), (x, y) in zip(spots, xy, strict=True):
        radius = float(radius_m) if radius_m else new_site_radius(params)
        gain = evaluate_point(
            float(x),
            float(y),
            radius,
            model.grid.xy,
            model.grid.weight,
            model.grid.population,
            model.covered,
            distance,
        )
        out.append(
            {
                "lon": lon,
                "lat": lat,
                "radius_m": radius,
                "new_residents_reached": round(gain.population, 1),
                "new_weighted_need_reached": round(gain.weight, 2),
            }
        )
    return out
