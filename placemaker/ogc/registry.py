"""The collections the OGC API, the exports and the OpenAPI document serve.

A feature makes its data readable in QGIS and spreadsheets by registering a
:class:`Collection` on the app; the OGC API, ``/exports`` and ``/api/openapi.json`` then
serve it without further code. The registry lives in ``app.extensions`` and holds only
code (functions and descriptions), never data, so every worker builds the same one.

A feature describes its collection in a function of its own (``proposals/ogc.py``), and
``create_app`` registers it; this module knows no feature by name::

    def proposals_collection() -> Collection:
        return Collection(
            id="proposals",
            title="Open proposals",
            description="...",
            geometry_type="Point",
            properties=(Property("id", "integer"), Property("title", "string"), ...),
            items=lambda q: page_in_memory(open_proposal_features(), q),
            item=lambda feature_id: ...,  # one feature or None
        )


    register_collection(app, proposals_collection())  # in create_app
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from flask import Flask
from shapely.geometry import box, shape
from sqlalchemy import func, select

from placemaker.extensions import db

Feature = dict[str, Any]
Bbox = tuple[float, float, float, float]
Interval = tuple[datetime | None, datetime | None]

# JSON Schema of each property type: (type, format).
PROPERTY_TYPES: dict[str, tuple[str, str | None]] = {
    "string": ("string", None),
    "integer": ("integer", None),
    "number": ("number", None),
    "boolean": ("boolean", None),
    "date-time": ("string", "date-time"),
    "date": ("string", "date"),
}


@dataclass(frozen=True)
class Property:
    """One simple (non-nested) property of a collection's features.

    ``queryable`` properties may be filtered by equality: ``items?kind=bench``.
    """

    name: str
    type: str = "string"
    description: str = ""
    queryable: bool = False
    enum: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        if self.type not in PROPERTY_TYPES:
            raise ValueError(f"unknown property type {self.type!r}")

    def json_schema(self) -> dict[str, Any]:
        kind, fmt = PROPERTY_TYPES[self.type]
        schema: dict[str, Any] = {"type": kind, "nullable": True}
        if fmt:
            schema["format"] = fmt
        if self.enum:
            schema["enum"] = [*self.enum, None]
        if self.description:
            schema["description"] = self.description
        return schema


@dataclass(frozen=True)
class ItemQuery:
    """What a client asked of a collection; validated before a collection sees it.

    ``limit`` None means all matching features (exports). ``datetime`` is an interval with
    open ends as None (an instant has start == end). ``filters`` maps queryable property
    names to values already converted to the property's type.
    """

    bbox: Bbox | None = None
    limit: int | None = 10
    offset: int = 0
    datetime: Interval | None = None
    filters: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Extent:
    bbox: Bbox | None = None
    interval: Interval | None = None


@dataclass(frozen=True)
class Collection:
    """A feature collection: what it is, its property schema, and how to read it.

    :param items: ``(ItemQuery) -> (features, number_matched)``; features are GeoJSON
        Feature dicts whose ``properties`` hold exactly the keys of ``properties``.
    :param item: ``(feature_id: str) -> Feature | None``.
    :param extent: ``() -> Extent``, computed on request (data change).
    :param temporal: whether ``datetime`` filters apply (and which property holds the time).
    :param public: False collections need a planner's or admin's token or session.
    """

    id: str
    title: str
    description: str
    geometry_type: str
    properties: tuple[Property, ...]
    items: Callable[[ItemQuery], tuple[list[Feature], int]]
    item: Callable[[str], Feature | None]
    extent: Callable[[], Extent] = field(default=lambda: Extent())
    temporal_property: str | None = None
    public: bool = True
    keywords: tuple[str, ...] = ()

    @property
    def queryables(self) -> tuple[Property, ...]:
        return tuple(p for p in self.properties if p.queryable)

    @property
    def property_names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.properties)


CollectionSource = Callable[[], Iterable[Collection]]


@dataclass
class Registry:
    """Fixed collections, and sources of collections that depend on data (area levels)."""

    fixed: dict[str, Collection] = field(default_factory=dict)
    sources: list[CollectionSource] = field(default_factory=list)

    def all(self) -> list[Collection]:
        found = dict(self.fixed)
        for source in self.sources:
            for collection in source():
                found.setdefault(collection.id, collection)
        return list(found.values())

    def get(self, collection_id: str) -> Collection | None:
        if collection_id in self.fixed:
            return self.fixed[collection_id]
        return next((c for c in self.all() if c.id == collection_id), None)


def registry(app: Flask) -> Registry:
    return app.extensions.setdefault("placemaker_collections", Registry())


def register_collection(app: Flask, collection: Collection) -> None:
    """Serve ``collection`` in the OGC API, the exports and the OpenAPI document."""
    reg = registry(app)
    if collection.id in reg.fixed:
        raise ValueError(f"collection {collection.id!r} is registered twice")
    reg.fixed[collection.id] = collection


def register_collection_source(app: Flask, source: CollectionSource) -> None:
    """Register a function that returns collections on request (e.g. one per area level)."""
    registry(app).sources.append(source)


# --- helpers for collections that are small enough to filter in memory ----------------------


def page_in_memory(
    features: Sequence[Feature], query: ItemQuery, temporal_property: str | None = None
) -> tuple[list[Feature], int]:
    """Filter (bbox, datetime, properties) and page a list of features in Python.

    Fine for a few thousand features; bigger collections filter in SQL instead.
    """
    selected: Iterable[Feature] = features
    if query.bbox is not None:
        envelope = box(*query.bbox)
        selected = [
            f for f in selected if f.get("geometry") and shape(f["geometry"]).intersects(envelope)
        ]
    if query.datetime is not None and temporal_property:
        selected = [
            f
            for f in selected
            if in_interval(f["properties"].get(temporal_property), query.datetime)
        ]
    for name, value in query.filters.items():
        selected = [f for f in selected if f["properties"].get(name) == value]
    selected = list(selected)
    end = None if query.limit is None else query.offset + query.limit
    return selected[query.offset : end], len(selected)


def as_utc(value: Any) -> datetime | None:
    """A datetime (or ISO text, or date) as an aware UTC datetime; naive means UTC."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    elif isinstance(value, date) and not isinstance(value, datetime):
        value = datetime(value.year, value.month, value.day)
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def in_interval(value: Any, interval: Interval) -> bool:
    moment = as_utc(value)
    if moment is None:
        return False
    start, end = interval
    return (start is None or moment >= start) and (end is None or moment <= end)


# --- helpers for collections of a table -----------------------------------------------------


def utc_stamps(feature: Feature, *names: str) -> Feature:
    """The registry's times are naive UTC; OGC clients want RFC 3339 with the offset."""
    props = feature["properties"]
    for name in names:
        if props.get(name):
            props[name] += "Z"
    return feature


def table_extent(geom, time=None, *where) -> Extent:
    """Bounding box (and time span) of a table's rows, computed in the database."""
    extent = func.ST_Extent(geom)
    columns = [
        func.ST_XMin(extent),
        func.ST_YMin(extent),
        func.ST_XMax(extent),
        func.ST_YMax(extent),
    ]
    if time is not None:
        columns += [func.min(time), func.max(time)]
    row = db.session.execute(select(*columns).where(*where)).one()
    bbox = tuple(row[:4]) if row[0] is not None else None
    if time is None or row[4] is None:
        return Extent(bbox=bbox)  # type: ignore[arg-type]
    # Whole seconds, as the features show them, so the extent holds every feature's time.
    end = as_utc(row[5]).replace(microsecond=0) + timedelta(seconds=1)  # type: ignore[union-attr]
    return Extent(bbox=bbox, interval=(as_utc(row[4]), end))  # type: ignore[arg-type]
