"""What the pages show, without HTTP (what the registry forms may do is ``places.editing``).

Messages here are shown to people, so they go through Flask-Babel (a request or test request
context is needed, as for any rendering).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select, func, select

from placemaker.accounts.service import managers_of
from placemaker.areas import service as areas
from placemaker.areas.models import LADDER, Area, AreaLevel, CohesionScore, Indicator
from placemaker.extensions import db
from placemaker.geo import in_netherlands
from placemaker.i18n import in_language
from placemaker.places import service as places
from placemaker.places.models import Place, PlaceStatus
from placemaker.web import Page

PER_PAGE = 50
MAP_LEVELS = ("gebied", "wijk", "buurt")
OVERLAYS = ("places", "cohesion", "rung_assessed", "rung_wanted")
DEFAULT_OVERLAYS = ("places", "cohesion")
DEFAULT_STATUSES = ("active", "temporarily_closed")
# Indicators the area page shows, in this order.
AREA_INDICATORS = ("population", "share_65plus", "share_minimum_income", "share_lonely")


# --- the map's state, as it travels in the URL (the permalink) ----------------------------


@dataclass
class MapState:
    lat: float | None = None
    lon: float | None = None
    zoom: int | None = None
    kinds: list[str] | None = None  # None: every kind
    statuses: list[str] = field(default_factory=lambda: list(DEFAULT_STATUSES))
    area: str | None = None
    level: str = "gebied"
    year: int | None = None
    layers: list[str] = field(default_factory=lambda: list(DEFAULT_OVERLAYS))

    def as_json(self) -> dict[str, Any]:
        return {
            "lat": self.lat,
            "lon": self.lon,
            "zoom": self.zoom,
            "kinds": self.kinds,
            "statuses": self.statuses,
            "area": self.area,
            "level": self.level,
            "year": self.year,
            "layers": self.layers,
        }


def _split(raw: str | None) -> list[str]:
    return [v for v in (raw or "").split(",") if v]


def map_state(
    args: Mapping[str, str], known_kinds: Sequence[str], years: Sequence[int]
) -> MapState:
    """Read the permalink's query string, dropping what is unknown rather than failing."""
    state = MapState()
    try:
        lat, lon = float(args.get("lat", "")), float(args.get("lon", ""))
        if in_netherlands(lon, lat):
            state.lat, state.lon = lat, lon
    except ValueError:
        pass
    try:
        zoom = int(args.get("z", ""))
        state.zoom = zoom if 7 <= zoom <= 19 else None
    except ValueError:
        pass
    if "kind" in args:
        state.kinds = [k for k in _split(args.get("kind")) if k in known_kinds]
    if "status" in args:
        state.statuses = [
            s for s in _split(args.get("status")) if s in {p.value for p in PlaceStatus}
        ]
    area = args.get("area")
    if area and db.session.scalar(select(Area.id).where(Area.code == area)) is not None:
        state.area = area
    if args.get("level") in MAP_LEVELS:
        state.level = args["level"]
    try:
        year = int(args.get("year", ""))
        state.year = year if year in years else None
    except ValueError:
        pass
    if "layers" in args:
        state.layers = [layer for layer in _split(args.get("layers")) if layer in OVERLAYS]
    return state


def cohesion_years() -> list[int]:
    """The years that have a cohesion score, newest first."""
    return list(
        db.session.scalars(
            select(CohesionScore.year)
            .where(CohesionScore.score.is_not(None))
            .distinct()
            .order_by(CohesionScore.year.desc())
        )
    )


def area_choices(
    levels: Sequence[str] = ("gemeente", "stadsdeel", "gebied", "wijk"),
) -> list[tuple[AreaLevel, list[tuple[str, str]]]]:
    """Areas for the map's area filter, grouped by level (buurten are reached by search)."""
    out = []
    for level in areas.levels():
        if level.code not in levels:
            continue
        rows = db.session.execute(
            select(Area.code, Area.name).where(Area.level_code == level.code).order_by(Area.name)
        ).all()
        out.append((level, [(r.code, r.name) for r in rows]))
    return out


# --- the area page --------------------------------------------------------------------------


@dataclass
class ChartPoint:
    year: int
    score: float
    x: float
    y: float


@dataclass
class Chart:
    """A small line chart drawn as SVG by the template; coordinates in its viewBox."""

    points: list[ChartPoint]
    width: int
    height: int
    scale: tuple[float, float]
    y_ticks: list[tuple[float, float]]  # (value, y)
    path: str


def score_chart(
    history: Sequence[Mapping[str, Any]],
    scale: tuple[float, float],
    width: int = 360,
    height: int = 160,
    pad: int = 32,
) -> Chart | None:
    """Cohesion over the years, on the source's full scale (no exaggerating small changes)."""
    if not history:
        return None
    lo, hi = scale
    years = [int(h["year"]) for h in history]
    first, last = min(years), max(years)
    span = max(last - first, 1)

    def x_of(year: int) -> float:
        if first == last:
            return width / 2
        return round(pad + (year - first) / span * (width - 2 * pad), 1)

    def y_of(value: float) -> float:
        return round(height - pad / 2 - (value - lo) / (hi - lo) * (height - pad), 1)

    points = [
        ChartPoint(int(h["year"]), float(h["score"]), x_of(int(h["year"])), y_of(float(h["score"])))
        for h in history
    ]
    ticks_at = [lo, (lo + hi) / 2, hi]
    path = " ".join(f"{'M' if i == 0 else 'L'}{p.x},{p.y}" for i, p in enumerate(points))
    return Chart(points, width, height, scale, [(t, y_of(t)) for t in ticks_at], path)


def area_page(code: str) -> dict[str, Any]:
    """Everything the area page shows."""
    area = areas.get_area(code)
    ctx = areas.load_context()
    node = ctx.by_code[area.code]
    feature = areas.area_features(codes=[area.code], simplify_m=5)[0]
    props = feature["properties"]
    cohesion = ctx.cohesion_of(node)
    history = ctx.history_of(node)
    scale = (cohesion.scale_min, cohesion.scale_max) if cohesion else (1.0, 10.0)
    names = {
        r.code: r
        for r in db.session.scalars(select(Indicator).where(Indicator.code.in_(AREA_INDICATORS)))
    }
    latest = areas.latest_indicators(ctx, AREA_INDICATORS, [node.id]).get(node.id, {})
    indicators = {code: latest.get(code) for code in AREA_INDICATORS}
    counts = areas.place_counts([area.id], by_kind=True).get(area.id, {})
    kinds = places.kinds()
    by_kind = [(k, counts.get(k.code, 0)) for k in kinds if counts.get(k.code)]
    children = sorted((ctx.nodes[c] for c in ctx.children.get(node.id, [])), key=lambda n: n.name)
    return {
        "area": area,
        "node": node,
        "feature": feature,
        "props": props,
        "ancestors": list(reversed(ctx.ancestors(node))),
        "children": children,
        "cohesion": cohesion,
        "history": history,
        "chart": score_chart(history, scale),
        "indicators": indicators,
        "indicator_names": names,
        "by_kind": by_kind,
        "managers": managers_of(area),
        "ladder": LADDER,
    }


# --- lists ----------------------------------------------------------------------------------

PLACE_SORTS = {
    "name": lambda: func.lower(Place.name),
    "kind": lambda: Place.kind_code,
    "status": lambda: Place.status,
    "postcode": lambda: Place.postcode,
    "updated": lambda: Place.updated_at,
    "owner": lambda: func.lower(Place.owner_org),
    "confirmed": lambda: Place.last_confirmed_at,
}


def place_page(
    *,
    kinds: Sequence[str] = (),
    statuses: Sequence[str] = (),
    area: str | None = None,
    search: str | None = None,
    owner: str | None = None,
    keeper: str | None = None,
    sort: str = "name",
    descending: bool = False,
    page: int = 1,
    per_page: int = PER_PAGE,
) -> Page:
    """One page of the places list, sorted and filtered like the map."""
    query: Select = places.places_query(
        kinds=kinds, statuses=statuses, area_code=area, search=search, owner=owner, keeper=keeper
    )
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    key = PLACE_SORTS.get(sort, PLACE_SORTS["name"])()
    query = query.order_by(None).order_by(
        key.desc().nulls_last() if descending else key.asc().nulls_last(), Place.id
    )
    page = max(1, min(page, max(1, math.ceil(total / per_page))))
    rows = list(db.session.scalars(query.limit(per_page).offset((page - 1) * per_page)))
    return Page(rows, page, per_page, total)


AREA_SORTS = ("name", "code", "population", "score", "places")


def area_page_list(
    *,
    level: str = "gebied",
    sort: str = "name",
    descending: bool = False,
    search: str | None = None,
    year: int | None = None,
    page: int = 1,
    per_page: int = PER_PAGE,
) -> Page:
    """One page of the areas list of a level, with population, cohesion and place count."""
    areas.check_level(level)
    ctx = areas.load_context()
    nodes = [n for n in ctx.nodes.values() if n.level == level]
    if search:
        needle = search.strip().lower()
        nodes = [n for n in nodes if needle in n.name.lower() or needle in n.code.lower()]
    counts = areas.place_counts([n.id for n in nodes])
    rows = [areas.area_properties(ctx, n, counts, year) for n in nodes]

    def key(row: dict[str, Any]) -> tuple:
        value: Any = {
            "name": row["name"].lower(),
            "code": row["code"],
            "population": row["population"],
            "score": (row["cohesion"] or {}).get("score"),
            "places": row["place_count"],
        }.get(sort, row["name"].lower())
        # Unknown values last in either direction.
        return (value is None, value if value is not None else 0, row["code"])

    rows.sort(key=key, reverse=descending)
    if descending:  # keep the unknowns at the end
        rows = [r for r in rows if key(r)[0] is False] + [r for r in rows if key(r)[0]]
    page = max(1, min(page, max(1, math.ceil(len(rows) / per_page))))
    return Page(rows[(page - 1) * per_page : page * per_page], page, per_page, len(rows))


def kind_labels(language: str) -> dict[str, str]:
    return {k.code: in_language(k.label_nl, k.label_en, language) for k in places.kinds()}
