"""The answers: coverage per area and kind, the need surface, and suggested sites explained."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
from scipy.spatial import cKDTree
from sqlalchemy import select

from placemaker import cache
from placemaker.areas import service as areas
from placemaker.areas.population import demand_warnings
from placemaker.extensions import db
from placemaker.gaps.analysis import (
    coverage_by_area,
    covered_mask,
)
from placemaker.gaps.bounds import search_report, solve_certified
from placemaker.gaps.hours import window_report
from placemaker.gaps.layers import to_lonlat
from placemaker.gaps.model import GapModel, area_context, cached_result, data_version, load_model
from placemaker.gaps.params import (
    EXACT_SECONDS,
    SOLVER_ROUNDS,
    SOLVER_SAFETY_SECONDS,
    SOLVER_STALE,
    GapParams,
)
from placemaker.gaps.prepared import load_prepared, upper_bound
from placemaker.geo import GeometryError, check_coordinates
from placemaker.places.models import PlaceKind

# ------------------------------------------------------------------------------ results


def coverage(params: GapParams) -> dict[str, Any]:
    """Coverage per area (at ``params.level``) and per place kind, with totals."""
    return cached_result("coverage", params.key(), lambda: _coverage(params))


def _coverage(params: GapParams) -> dict[str, Any]:
    model = load_model(params)
    records = area_coverage_records(model, model.covered, params)
    total = coverage_by_area(model.grid, model.covered, [0] * len(model.leaf_ids))
    kinds = {k.code: k for k in db.session.scalars(select(PlaceKind))}
    by_kind = []
    for code, mask in sorted(model.group_cover.items()):
        share = coverage_by_area(model.grid, mask, [0] * len(model.leaf_ids)).as_records()
        by_kind.append(
            {
                "kind": code,
                "label_nl": kinds[code].label_nl,
                "label_en": kinds[code].label_en,
                "ladder_rung": kinds[code].ladder_rung,
                **_rounded({k: v for k, v in share[0].items() if k != "key"}),
            }
        )
    by_rung: dict[int, np.ndarray] = {}
    for code, mask in model.group_cover.items():
        rung = kinds[code].ladder_rung
        by_rung[rung] = by_rung.get(rung, np.zeros_like(mask)) | mask
    rungs = [
        {
            "rung": rung,
            **_rounded(
                {
                    k: v
                    for k, v in coverage_by_area(model.grid, mask, [0] * len(model.leaf_ids))
                    .as_records()[0]
                    .items()
                    if k != "key"
                }
            ),
        }
        for rung, mask in sorted(by_rung.items())
    ]
    return {
        "params": params.as_json(),
        "data_version": data_version(),
        "cells": len(model.grid),
        "catchment": catchment_report(model),
        "total": _rounded({k: v for k, v in total.as_records()[0].items() if k != "key"}),
        "areas": records,
        "by_kind": by_kind,
        "by_rung": rungs,
        "window": window_report(params),  # which opening-hours window, and who is open in it
    }


def catchment_report(model: GapModel) -> dict[str, Any]:
    """Which catchment model the answer used: walking network or straight line x detour
    (everywhere, or for the cells the network does not reach)."""
    return {
        "model": model.catchment,
        "cells_by_detour_model": len(model.grid)
        if model.catchment != "network"
        else model.fallback_cells,
    }


def area_coverage_records(
    model: GapModel, covered: np.ndarray, params: GapParams
) -> list[dict[str, Any]]:
    """Coverage shares per area at ``params.level`` for a covered mask."""
    table = area_table(model, params)
    per_area = coverage_by_area(model.grid, covered, table["level_of"])
    records = []
    for record in per_area.as_records():
        label = table["labels"].get(str(record.pop("key")))
        if label is None:
            continue
        code, name, level, score = label
        records.append(
            {
                "code": code,
                "name": name,
                "level": level,
                "cohesion_score": score,
                **_rounded(record),
            }
        )
    return sorted(records, key=lambda r: r["code"])


def area_table(model: GapModel, params: GapParams) -> dict[str, Any]:
    """Which reporting area every demand area falls in, and each one's name and cohesion
    score: read once per data version (the area tree and its scores are the slow part)."""
    key = f"{params.model_key()}|{params.level}|{params.year}"
    return cached_result("areas", key, lambda: _area_table(model, params, area_context()))


def _area_table(model: GapModel, params: GapParams, ctx: areas.AreaContext) -> dict[str, Any]:
    level_of = _ancestor_at_level(ctx, model.leaf_ids, params.level)
    labels = {}
    for node_id in sorted(set(level_of)):
        node = ctx.nodes[node_id]
        cohesion = ctx.cohesion_of(node, params.year)
        labels[str(node_id)] = [
            node.code,
            node.name,
            node.level,
            cohesion.score if cohesion else None,
        ]
    return {"level_of": level_of, "labels": labels}


def _ancestor_at_level(ctx: areas.AreaContext, leaf_ids: np.ndarray, level: str) -> list[int]:
    """For every demand area, the id of its ancestor at ``level`` (itself if it is one)."""
    out = []
    for leaf_id in leaf_ids:
        node = ctx.nodes[int(leaf_id)]
        chain = [node, *ctx.ancestors(node)]
        match = next((n for n in chain if n.level == level), node)
        out.append(match.id)
    return out


def _rounded(record: dict[str, Any]) -> dict[str, Any]:
    return {k: (round(v, 4) if isinstance(v, float) else v) for k, v in record.items()}


def uncovered_cells_gzip(params: GapParams, *, include_covered: bool = False) -> bytes:
    """:func:`uncovered_cells` as gzip-compressed GeoJSON, cached: some 20,000 squares."""
    return cached_result(
        "cells",
        f"{params.key()}|{include_covered}",
        lambda: cache.gzip_bytes(
            json.dumps(uncovered_cells(params, include_covered=include_covered)).encode()
        ),
        raw=True,
    )


def uncovered_cells(params: GapParams, *, include_covered: bool = False) -> dict[str, Any]:
    """The need surface: grid cells with residents, and whether a place serves them."""
    model = load_model(params)
    grid = model.grid
    keep = grid.population > 0
    if not include_covered:
        keep &= ~model.covered
    index = np.flatnonzero(keep)
    lonlat = to_lonlat(grid.xy[index]) if len(index) else np.zeros((0, 2))
    half = grid.cell_size / 2
    corners = (
        np.stack(
            [
                to_lonlat(grid.xy[index] + offset) if len(index) else np.zeros((0, 2))
                for offset in ((-half, -half), (half, half))
            ]
        )
        if len(index)
        else np.zeros((2, 0, 2))
    )
    codes = {n.id: n.code for n in area_context().nodes.values()}
    features = []
    for row, i in enumerate(index):
        (x0, y0), (x1, y1) = corners[0][row], corners[1][row]
        features.append(
            {
                "type": "Feature",
                "id": int(i),
                "geometry": {
                    "type": "Polygon",
                    "coordinates": [
                        [
                            [round(x0, 6), round(y0, 6)],
                            [round(x1, 6), round(y0, 6)],
                            [round(x1, 6), round(y1, 6)],
                            [round(x0, 6), round(y1, 6)],
                            [round(x0, 6), round(y0, 6)],
                        ]
                    ],
                },
                "properties": {
                    "lon": round(float(lonlat[row][0]), 6),
                    "lat": round(float(lonlat[row][1]), 6),
                    "population": round(float(grid.population[i]), 2),
                    "weighted_need": round(float(grid.weight[i]), 2),
                    "covered": bool(model.covered[i]),
                    "area_code": codes.get(int(model.leaf_ids[grid.area[i]])),
                },
            }
        )
    return {
        "type": "FeatureCollection",
        "features": features,
        "cell_size_m": grid.cell_size,
        "data_version": data_version(),
    }


def suggestions(params: GapParams) -> dict[str, Any]:
    """The ``p`` sites that together reach the most uncovered need, each explained."""
    return cached_result("suggestions", params.key(), lambda: _suggestions(params))


def cached_suggestions(params: GapParams) -> dict[str, Any] | None:
    """The answer if some worker has computed it for this data version, else None."""
    body = cache.peek("gaps:suggestions", params.key(), version=data_version())
    return json.loads(body) if body is not None else None


def _suggestions(params: GapParams) -> dict[str, Any]:
    model = load_model(params)
    prepared = load_prepared(params, model)
    candidate_xy, candidate_refs = prepared.candidate_xy, prepared.candidate_refs
    radius, cover = prepared.radius, prepared.cover
    result, certificate = solve_certified(
        prepared.problem,
        params.p,
        seed=0,
        max_rounds=SOLVER_ROUNDS,
        max_stale=SOLVER_STALE,
        time_limit=SOLVER_SAFETY_SECONDS,
        bound=upper_bound(prepared, params.p),
        exact=params.exact,
        exact_time_limit=EXACT_SECONDS,
    )
    covered_after = model.covered | covered_mask(cover[list(result.selected)])
    leaves = leaf_table(model, params) if params.candidates == "grid" else {}
    lonlat: np.ndarray | list[Any] = (
        to_lonlat(candidate_xy[list(result.selected)]) if result.selected else []
    )
    trees = _kind_trees(model)
    kinds = {k.code: k for k in db.session.scalars(select(PlaceKind))}
    features = []
    for rank, index in enumerate(result.selected):
        lon, lat = (float(v) for v in lonlat[rank])
        where = _site_area(
            model, params, candidate_xy[index], candidate_refs[index], lon, lat, leaves
        )
        alternative = result.alternatives[rank]
        alt_lonlat = to_lonlat(candidate_xy[[alternative]])[0] if alternative is not None else None
        features.append(
            {
                "type": "Feature",
                "id": rank + 1,
                "geometry": {"type": "Point", "coordinates": [round(lon, 6), round(lat, 6)]},
                "properties": {
                    "rank": rank + 1,
                    "candidate": candidate_refs[index],
                    "new_residents_reached": round(result.population_gains[rank], 1),
                    "new_weighted_need_reached": round(result.gains[rank], 2),
                    "weighted_need_only_this_site_reaches": round(result.exclusive[rank], 2),
                    "area": where["area"],
                    "cohesion": where["cohesion"],
                    "nearest_places": _nearest(trees, kinds, model, candidate_xy[index], params),
                    "next_best": {
                        "coordinates": [
                            round(float(alt_lonlat[0]), 6),
                            round(float(alt_lonlat[1]), 6),
                        ],
                        "weighted_need_it_would_add_instead": round(
                            result.alternative_gains[rank], 2
                        ),
                        "gain_of_this_site_over_it": round(
                            result.exclusive[rank] - result.alternative_gains[rank], 2
                        ),
                    }
                    if alt_lonlat is not None
                    else None,
                },
            }
        )
    return {
        "type": "FeatureCollection",
        "features": features,
        "params": params.as_json(),
        "radius_m": radius,
        "candidates": len(candidate_refs),
        "covered_residents_before": round(float(model.grid.population[model.covered].sum()), 1),
        "residents": round(float(model.grid.population.sum()), 1),
        "new_residents_reached": round(result.covered_population, 1),
        "new_weighted_need_reached": round(result.covered_weight, 2),
        "areas_after": area_coverage_records(model, covered_after, params),
        "method": result.method,
        "note": result.note,
        "certificate": certificate.as_json(),
        "search": search_report(result),
        "catchment": catchment_report(model),
        # residents spread over polygons that may hold water: suggestions may lie on it
        "demand_warnings": demand_warnings(params.area),
        "solver_seconds": round(result.seconds, 4),
        "data_version": data_version(),
    }


def _site_area(
    model: GapModel,
    params: GapParams,
    xy: np.ndarray,
    ref: dict[str, Any],
    lon: float,
    lat: float,
    leaves: dict[str, Any],
) -> dict[str, Any]:
    """The smallest area a site lies in, with its ancestors and cohesion score.

    A grid candidate is a demand cell, so its area is the cell's (from the cached table);
    other candidates are looked up in PostGIS.
    """
    if ref.get("source") == "grid":
        cell = int(np.flatnonzero((model.grid.x == xy[0]) & (model.grid.y == xy[1]))[0])
        leaf = str(int(model.leaf_ids[model.grid.area[cell]]))
        found = leaves.get(leaf)
        if found is not None:
            return found
    area = areas.area_at(lon, lat) if _in_nl(lon, lat) else None
    ctx = area_context()
    node = ctx.by_code.get(area.code) if area is not None else None
    return _describe_area(ctx, node, params.year)


def _describe_area(
    ctx: areas.AreaContext, node: areas.Node | None, year: int | None
) -> dict[str, Any]:
    cohesion = ctx.cohesion_of(node, year) if node else None
    return {
        "area": {
            "code": node.code,
            "name": node.name,
            "level": node.level,
            "ancestors": [
                {"code": a.code, "name": a.name, "level": a.level}
                for a in reversed(ctx.ancestors(node))
            ],
        }
        if node
        else None,
        "cohesion": cohesion.as_json() if cohesion else None,
    }


def leaf_table(model: GapModel, params: GapParams) -> dict[str, Any]:
    """Every demand area described as a site's area, read once per data version."""

    def build() -> dict[str, Any]:
        ctx = area_context()
        return {
            str(int(i)): _describe_area(ctx, ctx.nodes.get(int(i)), params.year)
            for i in model.leaf_ids
        }

    return cached_result("leaves", f"{params.model_key()}|{params.year}", build)


def _in_nl(lon: float, lat: float) -> bool:
    try:
        check_coordinates([(lon, lat)])
    except GeometryError:
        return False
    return True


def _kind_trees(model: GapModel) -> dict[str, tuple[cKDTree, np.ndarray]]:
    trees = {}
    for code in sorted(set(model.place_kinds.tolist())):
        idx = np.flatnonzero(model.place_kinds == code)
        trees[code] = (cKDTree(model.place_xy[idx]), idx)
    return trees


def _nearest(
    trees, kinds, model: GapModel, xy: np.ndarray, params: GapParams
) -> list[dict[str, Any]]:
    """The nearest existing place of each relevant kind, with the walking estimate."""
    out = []
    for code, (tree, idx) in trees.items():
        distance, pos = tree.query(xy)
        i = idx[int(pos)]
        out.append(
            {
                "kind": code,
                "label_nl": kinds[code].label_nl,
                "label_en": kinds[code].label_en,
                "place_id": int(model.place_ids[i]),
                "name": model.place_names[i],
                "distance_m": round(float(distance)),
                "walking_m": round(float(distance) * params.detour),
            }
        )
    return sorted(out, key=lambda r: r["distance_m"])
