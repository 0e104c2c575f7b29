"""The gap analysis on the registry: read PostGIS, run :mod:`placemaker.gaps.analysis`, cache.

PostGIS stores and selects (areas, places and layers come out projected to EPSG:28992 in a
handful of queries); numpy and scipy do the optimisation. Results are cached in Redis keyed
by the parameters and the data version (counters bumped by triggers on every table the
analysis reads), so every app server shares them and none serves a stale one.
"""

from __future__ import annotations

import hashlib
import io
import json
import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any

import numpy as np
import shapely
from flask import g
from scipy.spatial import cKDTree
from sqlalchemy import func, select

from placemaker import cache
from placemaker.areas import service as areas
from placemaker.areas.models import Area, AreaLevel
from placemaker.errors import InvalidInput, NotFound
from placemaker.extensions import db, get_by_id
from placemaker.gaps.analysis import (
    DEFAULT_DETOUR,
    DemandGrid,
    MCLPProblem,
    NeedWeights,
    StraightLineDistance,
    build_demand_grid,
    coverage_by_area,
    coverage_matrix,
    covered_by_group,
    covered_mask,
    evaluate_point,
    need_score,
    solve_mclp,
)
from placemaker.gaps.layers import to_lonlat, to_rd
from placemaker.gaps.models import GapLayer, GapLayerFeature, GapScenario
from placemaker.geo import RD_SRID, GeometryError, check_coordinates
from placemaker.places.models import Place, PlaceKind, PlaceStatus

CELL_SIZE = 100.0
DEFAULT_RADIUS_M = 400
MAX_P = 200
MAX_LAYER_FEATURES = 50_000
# The iterated local search stops after SOLVER_TIME_LIMIT x sqrt(p / 10) seconds (at most
# SOLVER_MAX_TIME); the result is deterministic below it. Measured on the Amsterdam demo
# (benchmarks/README.md): p=10 is optimal within 0.1 s; p=50 reaches 99.3 % of the optimum
# in 0.2 s, 99.7 % in 0.4 s and 99.99 % in 1 s.
SOLVER_TIME_LIMIT = 0.2
SOLVER_MAX_TIME = 1.0


def solver_time_limit(p: int) -> float:
    """Seconds the local search may take for ``p`` sites: more sites, more to improve."""
    return min(SOLVER_MAX_TIME, SOLVER_TIME_LIMIT * math.sqrt(max(1.0, p / 10)))


# ------------------------------------------------------------------------------ parameters

@dataclass(frozen=True)
class GapParams:
    """One analysis request. Parsed from query parameters by :meth:`from_args`."""

    kind: str | None = None  # count only places of this kind, and site new ones of it
    rung: int | None = None  # count only places supporting this ladder rung
    p: int = 10
    radius_m: float | None = None  # walking distance of a new site (default: kind's or 400)
    candidates: str = "grid"  # grid | proposals | layer:<id>
    area: str | None = None  # restrict demand and candidates to this area
    level: str = "buurt"  # level at which coverage is reported
    year: int | None = None  # cohesion year (default: the latest)
    detour: float = DEFAULT_DETOUR
    weights: NeedWeights = field(default_factory=NeedWeights)

    WEIGHT_ARGS = {
        "w_cohesion": "cohesion",
        "w_income": "min_income",
        "w_lonely": "lonely",
        "w_65plus": "age_65plus",
        "target": "cohesion_target",
        "floor": "floor",
    }

    @classmethod
    def from_args(cls, args: Mapping[str, str]) -> GapParams:
        """Validate request arguments; :raises InvalidInput: naming the bad one."""
        values: dict[str, Any] = {}
        if args.get("kind"):
            kind = db.session.get(PlaceKind, args["kind"])
            if kind is None:
                raise InvalidInput(f"unknown place kind {args['kind']!r}")
            values["kind"] = kind.code
        if args.get("rung"):
            values["rung"] = _int(args, "rung", 1, 6)
        if args.get("p"):
            values["p"] = _int(args, "p", 1, MAX_P)
        if args.get("radius"):
            values["radius_m"] = _float(args, "radius", 25, 5000)
        if args.get("candidates"):
            values["candidates"] = _candidate_source(args["candidates"])
        if args.get("area"):
            areas.get_area(args["area"])
            values["area"] = args["area"]
        if args.get("level"):
            areas.check_level(args["level"])
            values["level"] = args["level"]
        if args.get("year"):
            values["year"] = _int(args, "year", 1900, 2100)
        if args.get("detour"):
            values["detour"] = _float(args, "detour", 1.0, 3.0)
        overrides = {
            attr: _float(args, arg, 0.0 if arg != "target" else 2.0, 10.0)
            for arg, attr in cls.WEIGHT_ARGS.items() if args.get(arg)
        }
        try:
            values["weights"] = replace(NeedWeights(), **overrides)
        except ValueError as exc:
            raise InvalidInput(str(exc)) from None
        return cls(**values)

    def as_json(self) -> dict[str, Any]:
        out = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "weights"}
        out["weights"] = asdict(self.weights)
        return out

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> GapParams:
        data = dict(data)
        weights = NeedWeights(**data.pop("weights", {}))
        return cls(**data, weights=weights)

    def model_key(self) -> str:
        """What the demand and existing coverage depend on (not p or candidates)."""
        return _digest({"kind": self.kind, "rung": self.rung, "area": self.area,
                        "year": self.year, "detour": self.detour,
                        "weights": asdict(self.weights)})

    def key(self) -> str:
        return _digest(self.as_json())


def _digest(value: Any) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True).encode()).hexdigest()[:24]


def _int(args: Mapping[str, str], name: str, low: int, high: int) -> int:
    try:
        value = int(args[name])
    except ValueError:
        raise InvalidInput(f"{name} must be a whole number") from None
    if not low <= value <= high:
        raise InvalidInput(f"{name} must lie between {low} and {high}")
    return value


def _float(args: Mapping[str, str], name: str, low: float, high: float) -> float:
    try:
        value = float(args[name])
    except ValueError:
        raise InvalidInput(f"{name} must be a number") from None
    if not (math.isfinite(value) and low <= value <= high):
        raise InvalidInput(f"{name} must lie between {low:g} and {high:g}")
    return value


def _candidate_source(value: str) -> str:
    if value in ("grid", "proposals"):
        return value
    if value.startswith("layer:") and value[6:].isdigit():
        if db.session.get(GapLayer, int(value[6:])) is None:
            raise InvalidInput(f"no layer {value[6:]}")
        return value
    raise InvalidInput("candidates must be grid, proposals or layer:<id>")


# ------------------------------------------------------------------------------ the model

@dataclass
class GapModel:
    """Demand on the grid, the existing places, and which cells they already serve."""

    grid: DemandGrid
    leaf_ids: np.ndarray  # area id of every grid row's area (grid.area indexes this)
    covered: np.ndarray
    place_xy: np.ndarray
    place_ids: np.ndarray
    place_kinds: np.ndarray
    place_radius: np.ndarray
    place_names: list[str]
    group_cover: dict[str, np.ndarray]  # covered mask per place kind

    def to_bytes(self) -> bytes:
        buffer = io.BytesIO()
        np.savez(
            buffer, x=self.grid.x, y=self.grid.y, population=self.grid.population,
            weight=self.grid.weight, area=self.grid.area, leaf_ids=self.leaf_ids,
            covered=self.covered, place_xy=self.place_xy, place_ids=self.place_ids,
            place_kinds=self.place_kinds.astype(str), place_radius=self.place_radius,
            place_names=np.array(self.place_names, dtype=str),
            group_names=np.array(list(self.group_cover), dtype=str),
            group_masks=np.array(list(self.group_cover.values()), dtype=bool).reshape(
                len(self.group_cover), len(self.covered)),
        )
        return buffer.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> GapModel:
        z = np.load(io.BytesIO(data), allow_pickle=False)
        grid = DemandGrid(x=z["x"], y=z["y"], population=z["population"], weight=z["weight"],
                          area=z["area"], area_keys=tuple(int(k) for k in z["leaf_ids"]),
                          cell_size=CELL_SIZE)
        return cls(grid, z["leaf_ids"], z["covered"], z["place_xy"], z["place_ids"],
                   z["place_kinds"].astype(object), z["place_radius"],
                   [str(n) for n in z["place_names"]],
                   dict(zip([str(g) for g in z["group_names"]], z["group_masks"], strict=True)))


def data_version() -> str:
    """The state of everything the analysis reads; any change makes a new version."""
    return cache.data_version()


def _cached(kind: str, key: str, compute, *, raw: bool = False):
    """A value computed once per data version and shared by every worker (Redis)."""
    if raw:
        return cache.cached(f"gaps:{kind}", key, compute, version=data_version())
    body = cache.cached(f"gaps:{kind}", key, lambda: json.dumps(compute()).encode(),
                        version=data_version())
    return json.loads(body)


def _context() -> areas.AreaContext:
    """The area tree, read once per request (coverage and suggestions both need it)."""
    if "gaps_area_context" not in g:
        g.gaps_area_context = areas.load_context()
    return g.gaps_area_context


def load_model(params: GapParams) -> GapModel:
    data = _cached("model", params.model_key(), lambda: build_model(params).to_bytes(), raw=True)
    return GapModel.from_bytes(data)


def build_model(params: GapParams) -> GapModel:
    ctx = _context()
    leaves = _demand_areas(ctx, params.area)
    need = _need_of(ctx, leaves, params)
    geoms = _rd_geometries(Area, [n.id for n in leaves])
    demand = [
        (node.id, geoms[node.id], ctx.population_of(node)["value"], need[node.id])
        for node in leaves if node.id in geoms
    ]
    grid = build_demand_grid(demand, CELL_SIZE, exclude=exclude_geometries())
    place_rows = _places(params)
    place_xy = np.array([(r.x, r.y) for r in place_rows], dtype=float).reshape(-1, 2)
    radius = np.array([r.walking_distance_m for r in place_rows], dtype=float)
    kinds = np.array([r.kind_code for r in place_rows], dtype=object)
    matrix = coverage_matrix(place_xy, radius, grid.xy, StraightLineDistance(params.detour))
    return GapModel(
        grid=grid,
        leaf_ids=np.array(grid.area_keys, dtype=np.int64),
        covered=covered_mask(matrix),
        place_xy=place_xy,
        place_ids=np.array([r.id for r in place_rows], dtype=np.int64),
        place_kinds=kinds,
        place_radius=radius,
        place_names=[r.name for r in place_rows],
        group_cover=covered_by_group(matrix, kinds) if len(kinds) else {},
    )


def _demand_areas(ctx: areas.AreaContext, area_code: str | None) -> list[areas.Node]:
    """Where residents are counted: the smallest areas with a population of their own."""
    leaves = [n for n in ctx.nodes.values()
              if not ctx.children.get(n.id) and n.id in ctx.population]
    if area_code:
        root = ctx.by_code[area_code]
        leaves = [n for n in leaves
                  if n.id == root.id or root in ctx.ancestors(n)]
    return sorted(leaves, key=lambda n: n.code)


INDICATORS_FOR_NEED = ("share_minimum_income", "share_lonely", "share_65plus")


def _need_of(ctx: areas.AreaContext, leaves: list[areas.Node], params: GapParams
             ) -> dict[int, float]:
    latest = areas.latest_indicators(ctx, INDICATORS_FOR_NEED, [n.id for n in leaves])
    need = {}
    for node in leaves:
        cohesion = ctx.cohesion_of(node, params.year)
        shares = latest.get(node.id, {})

        def share(code: str, shares=shares) -> float | None:
            value = shares.get(code)
            return value["value"] / 100.0 if value else None

        need[node.id] = float(need_score(
            cohesion_score=_to_ten_scale(cohesion),
            ladder_assessed=cohesion.rung_assessed if cohesion else None,
            ladder_wanted=cohesion.rung_wanted if cohesion else None,
            min_income_share=share("share_minimum_income"),
            lonely_share=share("share_lonely"),
            age_65plus_share=share("share_65plus"),
            weights=params.weights,
        ))
    return need


def _to_ten_scale(cohesion: areas.Cohesion | None) -> float | None:
    """Scores on another scale are mapped onto 1-10, which the need formula expects."""
    if cohesion is None or cohesion.score is None:
        return None
    low, high = cohesion.scale_min, cohesion.scale_max
    return 1 + 9 * (cohesion.score - low) / (high - low)


def _rd_geometries(model, ids: list[int]) -> dict[int, Any]:
    rows = db.session.execute(
        select(model.id, func.ST_AsBinary(func.ST_Transform(model.geom, RD_SRID)))
        .where(model.id.in_(ids))
    )
    return {r[0]: shapely.from_wkb(bytes(r[1])) for r in rows}


def exclude_geometries(but_layer: int | None = None) -> list[Any]:
    """Polygons where nobody lives and no site goes (parks, water), in metres.

    :param but_layer: a layer to leave out (the parks, when they are the candidates).
    """
    query = (
        select(func.ST_AsBinary(func.ST_Transform(GapLayerFeature.geom, RD_SRID)))
        .join(GapLayer).where(GapLayer.role == "exclude")
        .where(func.ST_Dimension(GapLayerFeature.geom) == 2)
    )
    if but_layer is not None:
        query = query.where(GapLayer.id != but_layer)
    return [shapely.from_wkb(bytes(w)) for w in db.session.scalars(query)]


def _places(params: GapParams):
    query = (
        select(Place.id, Place.name, Place.kind_code, PlaceKind.walking_distance_m,
               func.ST_X(func.ST_Transform(Place.geom, RD_SRID)).label("x"),
               func.ST_Y(func.ST_Transform(Place.geom, RD_SRID)).label("y"))
        .join(PlaceKind).where(Place.status == PlaceStatus.active).order_by(Place.id)
    )
    if params.kind:
        query = query.where(Place.kind_code == params.kind)
    if params.rung:
        query = query.where(PlaceKind.ladder_rung == params.rung)
    return db.session.execute(query).all()


# ------------------------------------------------------------------------------ results

def coverage(params: GapParams) -> dict[str, Any]:
    """Coverage per area (at ``params.level``) and per place kind, with totals."""
    return _cached("coverage", params.key(), lambda: _coverage(params))


def _coverage(params: GapParams) -> dict[str, Any]:
    model = load_model(params)
    ctx = _context()
    records = area_coverage_records(model, model.covered, params, ctx)
    total = coverage_by_area(model.grid, model.covered, [0] * len(model.leaf_ids))
    kinds = {k.code: k for k in db.session.scalars(select(PlaceKind))}
    by_kind = []
    for code, mask in sorted(model.group_cover.items()):
        share = coverage_by_area(model.grid, mask, [0] * len(model.leaf_ids)).as_records()
        by_kind.append({"kind": code, "label_nl": kinds[code].label_nl,
                        "label_en": kinds[code].label_en,
                        "ladder_rung": kinds[code].ladder_rung,
                        **_rounded({k: v for k, v in share[0].items() if k != "key"})})
    by_rung: dict[int, np.ndarray] = {}
    for code, mask in model.group_cover.items():
        rung = kinds[code].ladder_rung
        by_rung[rung] = by_rung.get(rung, np.zeros_like(mask)) | mask
    rungs = [
        {"rung": rung, **_rounded({k: v for k, v in coverage_by_area(
            model.grid, mask, [0] * len(model.leaf_ids)).as_records()[0].items() if k != "key"})}
        for rung, mask in sorted(by_rung.items())
    ]
    return {
        "params": params.as_json(),
        "data_version": data_version(),
        "cells": len(model.grid),
        "total": _rounded({k: v for k, v in total.as_records()[0].items() if k != "key"}),
        "areas": records,
        "by_kind": by_kind,
        "by_rung": rungs,
    }


def area_coverage_records(model: GapModel, covered: np.ndarray, params: GapParams,
                          ctx: areas.AreaContext) -> list[dict[str, Any]]:
    """Coverage shares per area at ``params.level`` for a covered mask."""
    level_of = _ancestor_at_level(ctx, model.leaf_ids, params.level)
    per_area = coverage_by_area(model.grid, covered, level_of)
    records = []
    for record in per_area.as_records():
        node = ctx.nodes.get(record.pop("key"))
        if node is None:
            continue
        cohesion = ctx.cohesion_of(node, params.year)
        records.append({"code": node.code, "name": node.name, "level": node.level,
                        "cohesion_score": cohesion.score if cohesion else None,
                        **_rounded(record)})
    return sorted(records, key=lambda r: r["code"])


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
    return _cached(
        "cells", f"{params.key()}|{include_covered}",
        lambda: cache.gzip_bytes(json.dumps(
            uncovered_cells(params, include_covered=include_covered)).encode()),
        raw=True)


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
    corners = np.stack([
        to_lonlat(grid.xy[index] + offset) if len(index) else np.zeros((0, 2))
        for offset in ((-half, -half), (half, half))
    ]) if len(index) else np.zeros((2, 0, 2))
    codes = {n.id: n.code for n in _context().nodes.values()}
    features = []
    for row, i in enumerate(index):
        (x0, y0), (x1, y1) = corners[0][row], corners[1][row]
        features.append({
            "type": "Feature",
            "id": int(i),
            "geometry": {"type": "Polygon", "coordinates": [[
                [round(x0, 6), round(y0, 6)], [round(x1, 6), round(y0, 6)],
                [round(x1, 6), round(y1, 6)], [round(x0, 6), round(y1, 6)],
                [round(x0, 6), round(y0, 6)]]]},
            "properties": {
                "lon": round(float(lonlat[row][0]), 6),
                "lat": round(float(lonlat[row][1]), 6),
                "population": round(float(grid.population[i]), 2),
                "weighted_need": round(float(grid.weight[i]), 2),
                "covered": bool(model.covered[i]),
                "area_code": codes.get(int(model.leaf_ids[grid.area[i]])),
            },
        })
    return {"type": "FeatureCollection", "features": features,
            "cell_size_m": grid.cell_size, "data_version": data_version()}


def new_site_radius(params: GapParams) -> float:
    if params.radius_m:
        return params.radius_m
    if params.kind:
        return float(db.session.get(PlaceKind, params.kind).walking_distance_m)
    return float(DEFAULT_RADIUS_M)


def suggestions(params: GapParams) -> dict[str, Any]:
    """The ``p`` sites that together reach the most uncovered need, each explained."""
    return _cached("suggestions", params.key(), lambda: _suggestions(params))


def _suggestions(params: GapParams) -> dict[str, Any]:
    model = load_model(params)
    candidate_xy, candidate_refs = candidate_sites(params, model)
    radius = new_site_radius(params)
    distance = StraightLineDistance(params.detour)
    cover = coverage_matrix(candidate_xy, radius, model.grid.xy, distance)
    problem = MCLPProblem.from_coverage(cover, model.grid.weight, model.grid.population,
                                        model.covered)
    result = solve_mclp(problem, params.p, seed=0,
                        time_limit=solver_time_limit(params.p))
    ctx = _context()
    covered_after = model.covered | covered_mask(cover[list(result.selected)])
    lonlat = to_lonlat(candidate_xy[list(result.selected)]) if result.selected else []
    trees = _kind_trees(model)
    kinds = {k.code: k for k in db.session.scalars(select(PlaceKind))}
    features = []
    for rank, index in enumerate(result.selected):
        lon, lat = (float(v) for v in lonlat[rank])
        area = areas.area_at(lon, lat) if _in_nl(lon, lat) else None
        node = ctx.by_code.get(area.code) if area is not None else None
        cohesion = ctx.cohesion_of(node, params.year) if node else None
        alternative = result.alternatives[rank]
        alt_lonlat = (to_lonlat(candidate_xy[[alternative]])[0]
                      if alternative is not None else None)
        features.append({
            "type": "Feature",
            "id": rank + 1,
            "geometry": {"type": "Point", "coordinates": [round(lon, 6), round(lat, 6)]},
            "properties": {
                "rank": rank + 1,
                "candidate": candidate_refs[index],
                "new_residents_reached": round(result.population_gains[rank], 1),
                "new_weighted_need_reached": round(result.gains[rank], 2),
                "weighted_need_only_this_site_reaches": round(result.exclusive[rank], 2),
                "area": {"code": node.code, "name": node.name, "level": node.level,
                         "ancestors": [{"code": a.code, "name": a.name, "level": a.level}
                                       for a in reversed(ctx.ancestors(node))]}
                if node else None,
                "cohesion": cohesion.as_json() if cohesion else None,
                "nearest_places": _nearest(trees, kinds, model, candidate_xy[index], params),
                "next_best": {
                    "coordinates": [round(float(alt_lonlat[0]), 6), round(float(alt_lonlat[1]), 6)],
                    "weighted_need_it_would_add_instead": round(result.alternative_gains[rank], 2),
                    "gain_of_this_site_over_it": round(
                        result.exclusive[rank] - result.alternative_gains[rank], 2),
                } if alt_lonlat is not None else None,
            },
        })
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
        "areas_after": area_coverage_records(model, covered_after, params, ctx),
        "method": result.method,
        "note": result.note,
        "solver_seconds": round(result.seconds, 4),
        "data_version": data_version(),
    }


def _in_nl(lon: float, lat: float) -> bool:
    try:
        check_coordinates([(lon, lat)])
    except GeometryError:
        return False
    return True


def candidate_sites(params: GapParams, model: GapModel) -> tuple[np.ndarray, list[Any]]:
    """Candidate sites in metres and how to name each (a cell, a proposal, a feature)."""
    if params.candidates == "grid":
        populated = model.grid.population > 0
        xy, first = np.unique(model.grid.xy[populated], axis=0, return_index=True)
        return xy, [{"source": "grid"} for _ in range(len(xy))]
    if params.candidates == "proposals":
        rows = _open_proposals()
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
        select(GapLayerFeature.id, GapLayerFeature.name, func.ST_X(rd), func.ST_Y(rd),
               func.array(select(Area.code).where(func.ST_Covers(Area.geom, point))
                          .scalar_subquery()))
        .where(GapLayerFeature.layer_id == layer_id).order_by(GapLayerFeature.id)
    )
    return [{"x": r[2], "y": r[3], "areas": tuple(r[4] or ()),
             "ref": {"source": "layer", "layer_id": layer_id, "feature_id": r[0],
                     "name": r[1]}} for r in rows]


def _open_proposals() -> list[dict[str, Any]]:
    """Open residents' proposals as candidates, once the proposals feature provides them."""
    try:
        from placemaker.proposals.service import open_proposal_points
    except ImportError:
        return []
    return open_proposal_points()


def _kind_trees(model: GapModel) -> dict[str, tuple[cKDTree, np.ndarray]]:
    trees = {}
    for code in sorted(set(model.place_kinds.tolist())):
        idx = np.flatnonzero(model.place_kinds == code)
        trees[code] = (cKDTree(model.place_xy[idx]), idx)
    return trees


def _nearest(trees, kinds, model: GapModel, xy: np.ndarray, params: GapParams
             ) -> list[dict[str, Any]]:
    """The nearest existing place of each relevant kind, with the walking estimate."""
    out = []
    for code, (tree, idx) in trees.items():
        distance, pos = tree.query(xy)
        i = idx[int(pos)]
        out.append({
            "kind": code,
            "label_nl": kinds[code].label_nl,
            "label_en": kinds[code].label_en,
            "place_id": int(model.place_ids[i]),
            "name": model.place_names[i],
            "distance_m": round(float(distance)),
            "walking_m": round(float(distance) * params.detour),
        })
    return sorted(out, key=lambda r: r["distance_m"])


def evaluate(lon: float, lat: float, params: GapParams) -> dict[str, Any]:
    """What one new place at a point would add: residents and need not yet served."""
    try:
        check_coordinates([(lon, lat)])
    except GeometryError as exc:
        raise InvalidInput(str(exc)) from None
    model = load_model(params)
    x, y = _to_rd(lon, lat)
    radius = new_site_radius(params)
    gain = evaluate_point(x, y, radius, model.grid.xy, model.grid.weight,
                          model.grid.population, model.covered,
                          StraightLineDistance(params.detour))
    area = areas.area_at(lon, lat)
    ctx = _context()
    node = ctx.by_code.get(area.code) if area else None
    cohesion = ctx.cohesion_of(node, params.year) if node else None
    return {
        "lon": lon, "lat": lat, "radius_m": radius,
        "new_residents_reached": round(gain.population, 1),
        "new_weighted_need_reached": round(gain.weight, 2),
        "area": {"code": node.code, "name": node.name} if node else None,
        "cohesion": cohesion.as_json() if cohesion else None,
        "params": params.as_json(),
    }


def _to_rd(lon: float, lat: float) -> tuple[float, float]:
    x, y = to_rd(np.array([[lon, lat]]))[0]
    return float(x), float(y)


# ------------------------------------------------------------------------------ scenarios

def save_scenario(name: str, params: GapParams, user_id: int | None,
                  description: str | None = None) -> GapScenario:
    name = (name or "").strip()
    if not name:
        raise InvalidInput("a scenario needs a name")
    if len(name) > 200:
        raise InvalidInput("a scenario name has at most 200 characters")
    result = {"coverage": coverage(params), "suggestions": suggestions(params)}
    scenario = GapScenario(name=name, description=description, params=params.as_json(),
                           result=result, data_version=data_version(), created_by=user_id)
    db.session.add(scenario)
    db.session.flush()
    return scenario


def get_scenario(scenario_id: int) -> GapScenario:
    scenario = get_by_id(GapScenario, scenario_id)
    if scenario is None:
        raise NotFound(f"scenario {scenario_id} does not exist")
    return scenario


def list_scenarios() -> list[GapScenario]:
    return list(db.session.scalars(select(GapScenario).order_by(GapScenario.id.desc())))


def compare_scenarios(a: GapScenario, b: GapScenario) -> dict[str, Any]:
    """Coverage per area once each scenario's suggested sites exist: a against b."""
    before = {r["code"]: r for r in a.result["suggestions"]["areas_after"]}
    after = {r["code"]: r for r in b.result["suggestions"]["areas_after"]}
    rows = []
    for code in sorted(set(before) | set(after)):
        x, y = before.get(code, {}), after.get(code, {})
        ref = y or x

        def diff(key: str, x=x, y=y) -> float | None:
            if x.get(key) is None or y.get(key) is None:
                return None
            return round(y[key] - x[key], 4)

        rows.append({
            "code": code, "name": ref.get("name"), "level": ref.get("level"),
            "population": ref.get("population"),
            "population_share_a": x.get("population_share"),
            "population_share_b": y.get("population_share"),
            "population_share_change": diff("population_share"),
            "weight_share_a": x.get("weight_share"),
            "weight_share_b": y.get("weight_share"),
            "weight_share_change": diff("weight_share"),
        })
    return {
        "a": {"id": a.id, "name": a.name, "params": a.params},
        "b": {"id": b.id, "name": b.name, "params": b.params},
        "new_residents_reached_a": a.result["suggestions"]["new_residents_reached"],
        "new_residents_reached_b": b.result["suggestions"]["new_residents_reached"],
        "areas": rows,
    }


# ------------------------------------------------------------------------------ layers

def upload_layer(name: Any, role: Any, collection: Any, user_id: int | None) -> dict[str, Any]:
    """Store a planner's layer; the whole upload is refused when any feature is wrong."""
    from placemaker.imports.common import ImportFailed
    from placemaker.imports.layers import import_layer

    name = name.strip() if isinstance(name, str) else ""
    if not name or len(name) > 200:
        raise InvalidInput("a layer needs a name of at most 200 characters")
    if not isinstance(collection, dict) or collection.get("type") != "FeatureCollection" \
            or not isinstance(collection.get("features"), list) or not collection["features"]:
        raise InvalidInput("features must be a GeoJSON FeatureCollection with features")
    if len(collection["features"]) > MAX_LAYER_FEATURES:
        raise InvalidInput(f"a layer holds at most {MAX_LAYER_FEATURES} features")
    try:
        report = import_layer(collection["features"], name, str(role or ""), name_field="name",
                              source="uploaded", user_id=user_id)
    except ImportFailed as exc:
        raise InvalidInput(str(exc)) from None
    if not report.ok:
        raise InvalidInput("the layer was not stored: " + "; ".join(
            f"{ref}: {reason}" for ref, reason in report.errors[:10]),
            details=[{"feature": ref, "reason": reason} for ref, reason in report.errors])
    layer = db.session.scalar(select(GapLayer).where(GapLayer.name == name))
    return {"layer": layer, "features": report.created or report.unchanged,
            "notes": [f"{ref}: {reason}" for ref, reason in report.notes]}


def layers() -> list[GapLayer]:
    return list(db.session.scalars(select(GapLayer).order_by(GapLayer.name)))


def levels_for_reporting() -> list[str]:
    return [lv.code for lv in db.session.scalars(select(AreaLevel).order_by(AreaLevel.rank))]
