"""Reading areas: the hierarchy, populations, cohesion (own or inherited) and place counts."""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import column, func, select, table
from sqlalchemy.dialects.postgresql import distinct_on

from placemaker.areas.models import (
    LADDER,
    Area,
    AreaIndicator,
    AreaLevel,
    CohesionScore,
    DataSource,
)
from placemaker.errors import InvalidInput, NotFound
from placemaker.extensions import db
from placemaker.geo import bbox_envelope, from_rd_sql, point_from_lonlat, to_rd_sql
from placemaker.places.models import Place, PlaceStatus


@dataclass(frozen=True)
class Node:
    id: int
    code: str
    name: str
    level: str
    parent_id: int | None


@dataclass
class Cohesion:
    score: float | None
    year: int
    source: str
    scale_min: float
    scale_max: float
    rung_assessed: int | None
    rung_wanted: int | None
    inherited: bool
    from_area: Node
    # What the score means (see gaps/need.py score_on_ten)
    higher_is_better: bool = True
    reference: float | None = None
    reference_label: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "higher_is_better": self.higher_is_better,
            "reference": self.reference,
            "reference_label": self.reference_label,
            "score": self.score,
            "year": self.year,
            "source": self.source,
            "scale": [self.scale_min, self.scale_max],
            "rung_assessed": self.rung_assessed,
            "rung_wanted": self.rung_wanted,
            "rung_assessed_label": LADDER[self.rung_assessed][1] if self.rung_assessed else None,
            "rung_wanted_label": LADDER[self.rung_wanted][1] if self.rung_wanted else None,
            "inherited": self.inherited,
            "from_area": {
                "code": self.from_area.code,
                "name": self.from_area.name,
                "level": self.from_area.level,
            },
        }


@dataclass(frozen=True)
class VoicedRungs:
    assessed: int | None
    wanted: int | None
    year: int  # of the latest of the two


@dataclass
class AreaContext:
    """The whole hierarchy with populations and cohesion, loaded in three queries.

    Small (a city has hundreds of areas, the country some 17,000), and it lets inheritance
    and sums over children work without a query per area.
    """

    nodes: dict[int, Node]
    by_code: dict[str, Node]
    children: dict[int, list[int]]
    population: dict[int, tuple[float, int, str]]
    cohesion: dict[int, list[CohesionScore]] = field(default_factory=dict)
    # Rungs area managers recorded here (the latest assessment, the rung residents asked
    # for in the latest conversation that named one): they come before imported rungs.
    voiced: dict[int, VoicedRungs] = field(default_factory=dict)

    def ancestors(self, node: Node) -> list[Node]:
        chain = []
        current = node
        while current.parent_id is not None:
            current = self.nodes[current.parent_id]
            chain.append(current)
        return chain

    def population_of(self, node: Node) -> dict[str, Any] | None:
        """Own latest population, else the sum over children that have one."""
        own = self.population.get(node.id)
        if own is not None:
            value, year, source = own
            return {"value": value, "year": year, "source": source, "summed": False}
        parts = [
            p
            for c in self.children.get(node.id, [])
            if (p := self.population_of(self.nodes[c])) is not None
        ]
        if not parts:
            return None
        return {
            "value": sum(p["value"] for p in parts),
            "year": max(p["year"] for p in parts),
            "source": "; ".join(sorted({p["source"] for p in parts})),
            "summed": True,
        }

    def cohesion_of(self, node: Node, year: int | None = None) -> Cohesion | None:
        """The area's own score for ``year`` (latest when None), else its nearest ancestor's.

        Today's rungs (``year`` None) are those area managers recorded, when they recorded
        any for the area or an ancestor at least as near as the imported ones.
        """
        imported = self._imported_cohesion(node, year)
        if year is not None or not self.voiced:
            return imported
        chain = [node, *self.ancestors(node)]
        # Voiced rungs count from holders at least as near as the imported data's.
        reach = chain.index(imported.from_area) if imported else len(chain) - 1
        near = [(h, self.voiced[h.id]) for h in chain[: reach + 1] if h.id in self.voiced]
        if not near:
            return imported
        assessed = next((v.assessed for _, v in near if v.assessed), None)
        wanted = next((v.wanted for _, v in near if v.wanted), None)
        if imported is None:
            holder, voiced = near[0]
            return Cohesion(
                score=None,
                year=voiced.year,
                source=VOICED_SOURCE,
                scale_min=1.0,
                scale_max=10.0,
                rung_assessed=assessed,
                rung_wanted=wanted,
                inherited=holder.id != node.id,
                from_area=holder,
            )
        return replace(
            imported,
            rung_assessed=assessed or imported.rung_assessed,
            rung_wanted=wanted or imported.rung_wanted,
        )

    def _imported_cohesion(self, node: Node, year: int | None) -> Cohesion | None:
        for holder in [node, *self.ancestors(node)]:
            scores = [
                s
                for s in self.cohesion.get(holder.id, [])
                if (year is None or s.year == year) and s.score is not None
            ]
            rungs = [
                s
                for s in self.cohesion.get(holder.id, [])
                if (year is None or s.year == year)
                and (s.rung_assessed is not None or s.rung_wanted is not None)
            ]
            if scores or rungs:
                best = max(scores or rungs, key=lambda s: (s.year, s.source))
                rung = max(rungs, key=lambda s: (s.year, s.source)) if rungs else None
                return Cohesion(
                    score=float(best.score) if best.score is not None else None,
                    year=best.year,
                    source=best.source,
                    scale_min=float(best.scale_min),
                    scale_max=float(best.scale_max),
                    rung_assessed=rung.rung_assessed if rung else None,
                    rung_wanted=rung.rung_wanted if rung else None,
                    inherited=holder.id != node.id,
                    from_area=holder,
                    higher_is_better=best.higher_is_better is not False,
                    reference=float(best.reference) if best.reference is not None else None,
                    reference_label=best.reference_label,
                )
        return None

    def history_of(self, node: Node) -> list[dict[str, Any]]:
        """Cohesion over the years: own scores, else the nearest ancestor's (for the chart)."""
        for holder in [node, *self.ancestors(node)]:
            scores = sorted(
                (s for s in self.cohesion.get(holder.id, []) if s.score is not None),
                key=lambda s: s.year,
            )
            if scores:
                return [
                    {
                        "year": s.year,
                        "score": float(cast(Decimal, s.score)),
                        "source": s.source,
                        "area_code": holder.code,
                        "inherited": holder.id != node.id,
                    }
                    for s in scores
                ]
        return []


def load_context() -> AreaContext:
    rows = db.session.execute(
        select(Area.id, Area.code, Area.name, Area.level_code, Area.parent_id)
    ).all()
    nodes = {r.id: Node(r.id, r.code, r.name, r.level_code, r.parent_id) for r in rows}
    children: dict[int, list[int]] = defaultdict(list)
    for node in nodes.values():
        if node.parent_id is not None:
            children[node.parent_id].append(node.id)
    latest = (
        select(AreaIndicator.area_id, AreaIndicator.value, AreaIndicator.year, AreaIndicator.source)
        .where(AreaIndicator.indicator_code == "population")
        .ext(distinct_on(AreaIndicator.area_id))
        .order_by(AreaIndicator.area_id, AreaIndicator.year.desc(), AreaIndicator.source)
    )
    population = {r.area_id: (float(r.value), r.year, r.source) for r in db.session.execute(latest)}
    cohesion: dict[int, list[CohesionScore]] = defaultdict(list)
    for score in db.session.scalars(select(CohesionScore)):
        cohesion[score.area_id].append(score)
    return AreaContext(
        nodes,
        {n.code: n for n in nodes.values()},
        children,
        population,
        cohesion,
        voiced_rungs(),
    )


# Ward conversations and rung assessments are recorded by the conversations feature, which
# sits above this module: read by table name, as the feature's models define them.
_CONVERSATION = table(
    "ward_conversation", column("area_id"), column("held_on"), column("rung_wanted"), column("id")
)
_ASSESSMENT = table(
    "area_rung_assessment", column("area_id"), column("rung"), column("set_at"), column("id")
)
VOICED_SOURCE = "placemaker"  # rungs recorded here, without an imported score


def voiced_rungs() -> dict[int, VoicedRungs]:
    """Per area: the latest assessed rung, and the wanted rung of the latest conversation
    that named one."""
    wanted = {
        r.area_id: (r.rung_wanted, r.held_on.year)
        for r in db.session.execute(
            select(_CONVERSATION.c.area_id, _CONVERSATION.c.rung_wanted, _CONVERSATION.c.held_on)
            .where(_CONVERSATION.c.rung_wanted.is_not(None))
            .ext(distinct_on(_CONVERSATION.c.area_id))
            .order_by(
                _CONVERSATION.c.area_id, _CONVERSATION.c.held_on.desc(), _CONVERSATION.c.id.desc()
            )
        )
    }
    assessed = {
        r.area_id: (r.rung, r.set_at.year)
        for r in db.session.execute(
            select(_ASSESSMENT.c.area_id, _ASSESSMENT.c.rung, _ASSESSMENT.c.set_at)
            .ext(distinct_on(_ASSESSMENT.c.area_id))
            .order_by(_ASSESSMENT.c.area_id, _ASSESSMENT.c.set_at.desc(), _ASSESSMENT.c.id.desc())
        )
    }
    voiced = {}
    for area_id in wanted.keys() | assessed.keys():
        rung_assessed, year_assessed = assessed.get(area_id, (None, 0))
        rung_wanted, year_wanted = wanted.get(area_id, (None, 0))
        voiced[area_id] = VoicedRungs(rung_assessed, rung_wanted, max(year_assessed, year_wanted))
    return voiced


def levels() -> list[AreaLevel]:
    return list(db.session.scalars(select(AreaLevel).order_by(AreaLevel.rank)))


def check_level(level: str) -> None:
    known = [lv.code for lv in levels()]
    if level not in known:
        raise InvalidInput(f"unknown level {level!r} (levels: {', '.join(known)})")


def place_counts(area_ids: list[int] | None = None, *, by_kind: bool = False) -> dict[int, Any]:
    """Active places inside each area: a number, or a dict per kind with ``by_kind``."""
    query = (
        select(Area.id, Place.kind_code, func.count(Place.id))
        .join(Place, func.ST_Covers(Area.geom, Place.geom))
        .where(Place.status == PlaceStatus.active)
        .group_by(Area.id, Place.kind_code)
    )
    if area_ids is not None:
        query = query.where(Area.id.in_(area_ids))
    counts: dict[int, Any] = defaultdict(dict) if by_kind else defaultdict(int)
    for area_id, kind, count in db.session.execute(query):
        if by_kind:
            counts[area_id][kind] = count
        else:
            counts[area_id] += count
    return counts


def area_properties(
    ctx: AreaContext, node: Node, counts: dict[int, Any], year: int | None = None
) -> dict[str, Any]:
    """The plain-English properties the API and the map show for an area."""
    population = ctx.population_of(node)
    cohesion = ctx.cohesion_of(node, year)
    parent = ctx.nodes.get(node.parent_id) if node.parent_id else None
    return {
        "code": node.code,
        "name": node.name,
        "level": node.level,
        "parent_code": parent.code if parent else None,
        "ancestors": [
            {"level": a.level, "code": a.code, "name": a.name}
            for a in reversed(ctx.ancestors(node))
        ],
        "population": population["value"] if population else None,
        "population_year": population["year"] if population else None,
        "population_source": population["source"] if population else None,
        "cohesion": cohesion.as_json() if cohesion else None,
        "place_count": counts.get(node.id, 0),
    }


def area_features(
    *,
    level: str | None = None,
    bbox=None,
    year: int | None = None,
    simplify_m: float | None = None,
    codes: list[str] | None = None,
    search: str | None = None,
    limit: int | None = None,
    ctx: AreaContext | None = None,
) -> list[dict[str, Any]]:
    """GeoJSON features of the areas matching the filters, with their properties.

    ``search`` matches names and codes (case-insensitive, anywhere in the text).
    """
    if level:
        check_level(level)
    geom: Any = Area.geom
    if simplify_m:
        # Simplify in metres (RD New), then back to WGS84: degrees are no distance.
        geom = from_rd_sql(func.ST_SimplifyPreserveTopology(to_rd_sql(Area.geom), simplify_m))
    query = select(Area.id, func.ST_AsGeoJSON(geom, 6).label("geojson")).order_by(Area.code)
    if level:
        query = query.where(Area.level_code == level)
    if bbox is not None:
        query = query.where(func.ST_Intersects(Area.geom, bbox_envelope(bbox)))
    if codes is not None:
        query = query.where(Area.code.in_(codes))
    if search:
        query = query.where(
            Area.name.icontains(search, autoescape=True)
            | Area.code.icontains(search, autoescape=True)
        )
    if limit is not None:
        query = query.limit(limit)
    rows = db.session.execute(query).all()
    ctx = ctx or load_context()
    counts = place_counts([r.id for r in rows])
    return [
        {
            "type": "Feature",
            "id": ctx.nodes[r.id].code,
            "geometry": json.loads(r.geojson),
            "properties": area_properties(ctx, ctx.nodes[r.id], counts, year),
        }
        for r in rows
    ]


def get_area(code: str) -> Area:
    area = db.session.scalar(select(Area).where(Area.code == code))
    if area is None:
        raise NotFound(f"area {code!r} does not exist")
    return area


def indicators_of(area: Area) -> dict[str, list[dict[str, Any]]]:
    """Every indicator value of an area, by indicator code, oldest year first."""
    rows = db.session.scalars(
        select(AreaIndicator)
        .where(AreaIndicator.area_id == area.id)
        .order_by(AreaIndicator.indicator_code, AreaIndicator.year)
    )
    out: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        value = r.value
        out[r.indicator_code].append(
            {
                "year": r.year,
                "value": float(value) if isinstance(value, Decimal) else value,
                "source": r.source,
            }
        )
    return dict(out)


def latest_indicators(
    ctx: AreaContext, codes: tuple[str, ...], area_ids: list[int]
) -> dict[int, dict[str, dict[str, Any]]]:
    """Latest value of each indicator per area, else its nearest ancestor's (one query).

    :returns: ``{area_id: {indicator_code: {value, year, source, inherited, area_code}}}``
    """
    rows = db.session.execute(
        select(
            AreaIndicator.area_id,
            AreaIndicator.indicator_code,
            AreaIndicator.value,
            AreaIndicator.year,
            AreaIndicator.source,
        )
        .where(AreaIndicator.indicator_code.in_(codes))
        .ext(distinct_on(AreaIndicator.area_id, AreaIndicator.indicator_code))
        .order_by(
            AreaIndicator.area_id,
            AreaIndicator.indicator_code,
            AreaIndicator.year.desc(),
            AreaIndicator.source,
        )
    )
    own: dict[int, dict[str, tuple[float, int, str]]] = defaultdict(dict)
    for r in rows:
        own[r.area_id][r.indicator_code] = (float(r.value), r.year, r.source)
    out: dict[int, dict[str, dict[str, Any]]] = {}
    for area_id in area_ids:
        node = ctx.nodes[area_id]
        values: dict[str, dict[str, Any]] = {}
        for code in codes:
            for holder in [node, *ctx.ancestors(node)]:
                if code in own.get(holder.id, {}):
                    value, year, source = own[holder.id][code]
                    values[code] = {
                        "value": value,
                        "year": year,
                        "source": source,
                        "inherited": holder.id != node.id,
                        "area_code": holder.code,
                    }
                    break
        out[area_id] = values
    return out


def lineage(area: Area | None) -> list[Area]:
    """An area and the areas that hold it, the largest first (stadsdeel, ..., the area)."""
    chain = []
    while area is not None:
        chain.append(area)
        area = area.parent
    return list(reversed(chain))


def point_inside(area: Area) -> tuple[float, float]:
    """(lon, lat) of a point surely inside ``area`` (its centroid may lie outside)."""
    surface = func.ST_PointOnSurface(Area.geom)
    lon, lat = db.session.execute(
        select(func.ST_X(surface), func.ST_Y(surface)).where(Area.id == area.id)
    ).one()
    return round(lon, 7), round(lat, 7)


def area_at(lon: float, lat: float, level: str | None = None) -> Area | None:
    """The smallest area (or the one of ``level``) that holds a point."""
    point = point_from_lonlat(lon, lat)
    query = (
        select(Area)
        .join(AreaLevel)
        .where(func.ST_Covers(Area.geom, point))
        .order_by(AreaLevel.rank.desc())
        .limit(1)
    )
    if level:
        query = query.where(Area.level_code == level)
    return db.session.scalar(query)


def source_of_places(key: str | None) -> DataSource | None:
    """The imported source whose places carry ``key`` in place.source, for the credit on a
    place's page; None for places from a form or a proposal, or from an unknown import."""
    if not key:
        return None
    return db.session.scalar(
        select(DataSource)
        .where((DataSource.place_source == key) | (DataSource.name == key))
        .order_by(DataSource.place_source.is_(None), DataSource.id)
        .limit(1)
    )
