"""The analysis model: demand on the grid, existing places, and what they already serve.

PostGIS stores and selects (areas, places and layers come out projected to EPSG:28992 in a
handful of queries); numpy and scipy do the optimisation. Models and results are cached in
Redis keyed by the parameters and the data version (counters bumped by triggers on every
table the analysis reads), so every app server shares them and none serves a stale one.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely
from flask import current_app, g
from sqlalchemy import func, select

from placemaker import cache, throttle
from placemaker.areas import service as areas
from placemaker.areas.models import Area
from placemaker.areas.population import demand_cells
from placemaker.extensions import db
from placemaker.gaps import hours
from placemaker.gaps.analysis import (
    DemandGrid,
    StraightLineDistance,
    coverage_matrix,
    covered_by_group,
    covered_mask,
    need_score,
)
from placemaker.gaps.grid import with_population_cells
from placemaker.gaps.models import GapLayer, GapLayerFeature
from placemaker.gaps.need import score_on_ten
from placemaker.gaps.network import NetworkDistance
from placemaker.gaps.params import GapParams
from placemaker.gaps.walknet import load_network
from placemaker.geo import RD_SRID
from placemaker.places.models import NOT_BUILT, Place, PlaceKind, PlaceStatus

CELL_SIZE = 100.0


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
    #: "network" (walking network, see gaps.walknet) or "straight-line" (detour factor)
    catchment: str = "straight-line"
    #: cells the network does not reach (the detour model served them)
    fallback_cells: int = 0

    def to_bytes(self) -> bytes:
        buffer = io.BytesIO()
        np.savez(
            buffer,
            x=self.grid.x,
            y=self.grid.y,
            population=self.grid.population,
            weight=self.grid.weight,
            area=self.grid.area,
            leaf_ids=self.leaf_ids,
            covered=self.covered,
            place_xy=self.place_xy,
            place_ids=self.place_ids,
            place_kinds=self.place_kinds.astype(str),
            place_radius=self.place_radius,
            place_names=np.array(self.place_names, dtype=str),
            group_names=np.array(list(self.group_cover), dtype=str),
            group_masks=np.array(list(self.group_cover.values()), dtype=bool).reshape(
                len(self.group_cover), len(self.covered)
            ),
            catchment=np.array(self.catchment),
            fallback_cells=self.fallback_cells,
        )
        return buffer.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> GapModel:
        z = np.load(io.BytesIO(data), allow_pickle=False)
        grid = DemandGrid(
            x=z["x"],
            y=z["y"],
            population=z["population"],
            weight=z["weight"],
            area=z["area"],
            area_keys=tuple(int(k) for k in z["leaf_ids"]),
            cell_size=CELL_SIZE,
        )
        return cls(
            grid,
            z["leaf_ids"],
            z["covered"],
            z["place_xy"],
            z["place_ids"],
            z["place_kinds"].astype(object),
            z["place_radius"],
            [str(n) for n in z["place_names"]],
            dict(zip([str(g) for g in z["group_names"]], z["group_masks"], strict=True)),
            str(z["catchment"]),
            int(z["fallback_cells"]),
        )


def data_version() -> str:
    """The state of everything the analysis reads; any change makes a new version.

    Read once per request or job (a commit forgets it: :func:`forget_data_version`).
    """
    if "gaps_data_version" not in g:
        g.gaps_data_version = cache.data_version()
    return g.gaps_data_version


def forget_data_version() -> None:
    g.pop("gaps_data_version", None)


def cached_result(kind: str, key: str, compute, *, raw: bool = False):
    """A value computed once per data version and shared by every worker (Redis).

    A cold computation runs in one of GAPS_MAX_CONCURRENT slots over all workers (it waits
    GAPS_SLOT_WAIT seconds for one, then answers 503 with Retry-After).
    """

    def bounded():
        config = current_app.config
        with throttle.slot(
            "gaps",
            int(config.get("GAPS_MAX_CONCURRENT", 1)),
            wait=float(config.get("GAPS_SLOT_WAIT", 3.0)),
        ):
            return compute() if raw else json.dumps(compute()).encode()

    body = cache.cached(f"gaps:{kind}", key, bounded, version=data_version())
    return body if raw else json.loads(body)


def area_context() -> areas.AreaContext:
    """The area tree, read once per request (coverage and suggestions both need it)."""
    if "gaps_area_context" not in g:
        g.gaps_area_context = areas.load_context()
    return g.gaps_area_context


def load_model(params: GapParams) -> GapModel:
    """The model of this data version (Redis), decoded once per request."""
    key = (data_version(), params.model_key())
    memo = g.setdefault("gaps_models", {})
    if key not in memo:
        data = cached_result(
            "model", params.model_key(), lambda: build_model(params).to_bytes(), raw=True
        )
        memo[key] = GapModel.from_bytes(data)
    return memo[key]


def build_model(params: GapParams) -> GapModel:
    ctx = area_context()
    leaves = _demand_areas(ctx, params.area)
    need = _need_of(ctx, leaves, params)
    geoms = _rd_geometries(Area, [n.id for n in leaves])
    demand = [
        (node.id, geoms[node.id], population["value"], need[node.id])
        for node in leaves
        if node.id in geoms and (population := ctx.population_of(node)) is not None
    ]
    cells = demand_cells(ctx, leaves, RD_SRID)
    grid = with_population_cells(demand, cells, CELL_SIZE, exclude=exclude_geometries())
    place_rows = _places(params)
    place_xy = np.array([(r.x, r.y) for r in place_rows], dtype=float).reshape(-1, 2)
    radius = np.array([r.walking_distance_m for r in place_rows], dtype=float)
    kinds = np.array([r.kind_code for r in place_rows], dtype=object)
    distance, catchment = distance_model(params, grid.xy)
    matrix = coverage_matrix(place_xy, radius, grid.xy, distance)
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
        catchment=catchment,
        fallback_cells=getattr(distance, "fallback_cells", 0),
    )


def distance_model(params: GapParams, cells_xy: np.ndarray):
    """The catchment model asked for: the walking network where one is stored around the
    demand, else straight line x detour. :returns: the model and its name."""
    if params.catchment == "network":
        network = load_network(cells_xy)
        if network is not None:
            return NetworkDistance(network, detour=params.detour), "network"
    return StraightLineDistance(params.detour), "straight-line"


def _demand_areas(ctx: areas.AreaContext, area_code: str | None) -> list[areas.Node]:
    """Where residents are counted: the smallest areas with a population of their own."""
    leaves = [
        n for n in ctx.nodes.values() if not ctx.children.get(n.id) and n.id in ctx.population
    ]
    if area_code:
        root = ctx.by_code[area_code]
        leaves = [n for n in leaves if n.id == root.id or root in ctx.ancestors(n)]
    return sorted(leaves, key=lambda n: n.code)


INDICATORS_FOR_NEED = ("share_minimum_income", "share_lonely", "share_65plus")


def _need_of(
    ctx: areas.AreaContext, leaves: list[areas.Node], params: GapParams
) -> dict[int, float]:
    latest = areas.latest_indicators(ctx, INDICATORS_FOR_NEED, [n.id for n in leaves])
    need = {}
    for node in leaves:
        cohesion = ctx.cohesion_of(node, params.year)
        shares = latest.get(node.id, {})

        def share(code: str, shares=shares) -> float | None:
            value = shares.get(code)
            return value["value"] / 100.0 if value else None

        need[node.id] = float(
            need_score(
                cohesion_score=_to_ten_scale(cohesion, params.weights.cohesion_target),
                ladder_assessed=cohesion.rung_assessed if cohesion else None,
                ladder_wanted=cohesion.rung_wanted if cohesion else None,
                min_income_share=share("share_minimum_income"),
                lonely_share=share("share_lonely"),
                age_65plus_share=share("share_65plus"),
                weights=params.weights,
            )
        )
    return need


def _to_ten_scale(cohesion: areas.Cohesion | None, target: float) -> float | None:
    """The score on the need formula's 1-10 scale, by its declared meaning (need.score_on_ten)."""
    if cohesion is None or cohesion.score is None:
        return None
    return score_on_ten(
        cohesion.score,
        cohesion.scale_min,
        cohesion.scale_max,
        higher_is_better=cohesion.higher_is_better,
        reference=cohesion.reference,
        target=target,
    )


def _rd_geometries(model, ids: list[int]) -> dict[int, Any]:
    rows = db.session.execute(
        select(model.id, func.ST_AsBinary(func.ST_Transform(model.geom, RD_SRID))).where(
            model.id.in_(ids)
        )
    )
    return {r[0]: shapely.from_wkb(bytes(r[1])) for r in rows}


def exclude_geometries(but_layer: int | None = None) -> list[Any]:
    """Polygons where nobody lives and no site goes (parks, water), in metres.

    :param but_layer: a layer to leave out (the parks, when they are the candidates).
    """
    query = (
        select(func.ST_AsBinary(func.ST_Transform(GapLayerFeature.geom, RD_SRID)))
        .join(GapLayer)
        .where(GapLayer.role == "exclude")
        .where(func.ST_Dimension(GapLayerFeature.geom) == 2)
    )
    if but_layer is not None:
        query = query.where(GapLayer.id != but_layer)
    return [shapely.from_wkb(bytes(w)) for w in db.session.scalars(query)]


def counted_statuses(params: GapParams) -> list[PlaceStatus]:
    """Open places count; a scenario may count what is planned as if it were built."""
    return [PlaceStatus.active, *(NOT_BUILT if params.include_planned else ())]


def _places(params: GapParams):
    query = (
        select(
            Place.id,
            Place.name,
            Place.kind_code,
            PlaceKind.walking_distance_m,
            func.ST_X(func.ST_Transform(Place.geom, RD_SRID)).label("x"),
            func.ST_Y(func.ST_Transform(Place.geom, RD_SRID)).label("y"),
            Place.opening_hours,
        )
        .join(PlaceKind)
        .where(Place.status.in_(counted_statuses(params)))
        .order_by(Place.id)
    )
    if params.kind:
        query = query.where(Place.kind_code == params.kind)
    if params.rung:
        query = query.where(PlaceKind.ladder_rung == params.rung)
    rows = db.session.execute(query).all()
    # Opening-hours window (gaps/hours.py): only places open enough in it cover their cells.
    window = hours.WINDOWS.get(params.window) if params.window else None
    return [r for r in rows if hours.counts(r.opening_hours, window)]
