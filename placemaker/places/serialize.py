"""Places as GeoJSON features, for the API, the map and the exports."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from geoalchemy2.shape import to_shape
from sqlalchemy import Numeric, Select, Text, cast, func, literal_column, select
from sqlalchemy.dialects.postgresql import aggregate_order_by

from placemaker import cache
from placemaker.extensions import db
from placemaker.places.models import Place, PlaceKind

COLUMNS = (
    "id",
    "name",
    "kind_code",
    "status",
    "address",
    "postcode",
    "description",
    "source",
    "updated_at",
    "version",
    "owner_org",
    "keeper",
    "condition",
    "opening_hours",
    "last_confirmed_at",
)


def _properties(row: Mapping[Any, Any]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "name": row["name"],
        "kind": row["kind_code"],
        "kind_label_nl": row["label_nl"],
        "kind_label_en": row["label_en"],
        "status": row["status"].value,
        "address": row["address"],
        "postcode": row["postcode"],
        "description": row["description"],
        "source": row["source"],
        "updated_at": row["updated_at"].isoformat(timespec="seconds"),
        "version": row["version"],
        # As an asset (placemaker/assets); the budget line stays with the area managers.
        "owner": row["owner_org"],
        "keeper": row["keeper"],
        "condition": row["condition"].value if row["condition"] is not None else None,
        "opening_hours": row["opening_hours"],
        "last_confirmed_at": row["last_confirmed_at"].isoformat(timespec="seconds")
        if row["last_confirmed_at"] is not None
        else None,
    }


def place_features(query: Select, *, limit: int, offset: int) -> tuple[list[dict[str, Any]], int]:
    """One page of features for a places query, and how many match in all.

    Selects plain columns with the coordinates in the same query: no ORM objects and no
    geometry round trip per row, which keeps 10,000 markers cheap.
    """
    filtered = query.subquery()
    # Counting needs no order: without it PostgreSQL need not walk the primary key.
    matched = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    rows = db.session.execute(
        select(
            *(filtered.c[name] for name in COLUMNS),
            func.ST_X(filtered.c.geom).label("lon"),
            func.ST_Y(filtered.c.geom).label("lat"),
            PlaceKind.label_nl,
            PlaceKind.label_en,
        )
        .join(PlaceKind, PlaceKind.code == filtered.c.kind_code)
        .order_by(filtered.c.id)
        .limit(limit)
        .offset(offset)
    ).all()
    features = [
        {
            "type": "Feature",
            "id": row.id,
            "geometry": {"type": "Point", "coordinates": [round(row.lon, 7), round(row.lat, 7)]},
            "properties": _properties(row._mapping),
        }
        for row in rows
    ]
    return features, matched or 0


def place_feature(place: Place) -> dict[str, Any]:
    point = to_shape(place.geom)
    row = {key: getattr(place, key) for key in COLUMNS}
    row["label_nl"], row["label_en"] = place.kind.label_nl, place.kind.label_en
    return {
        "type": "Feature",
        "id": place.id,
        "geometry": {"type": "Point", "coordinates": [round(point.x, 7), round(point.y, 7)]},
        "properties": _properties(row),
    }


MARKER_FIELDS = ("id", "lon", "lat", "kind", "status", "name")


def place_markers(query: Select, *, limit: int) -> tuple[str, int, int]:
    """The map's compact form of a places query: one JSON array per place, built by PostgreSQL.

    :returns: the JSON text of ``[[id, lon, lat, kind, status, name], ...]`` (at most
        ``limit``, by id), how many were returned and how many match in all. 10,000 places
        come to some 600 KB as GeoJSON features but about a third of that here, and
        serialising in the database avoids building 10,000 Python dicts per request.
    """
    page = query.limit(limit).subquery()
    item = func.json_build_array(
        page.c.id,
        func.round(cast(func.ST_X(page.c.geom), Numeric), 6),
        func.round(cast(func.ST_Y(page.c.geom), Numeric), 6),
        page.c.kind_code,
        page.c.status,
        page.c.name,
    )
    row = db.session.execute(
        select(
            cast(
                func.coalesce(
                    func.json_agg(aggregate_order_by(item, page.c.id)), literal_column("'[]'::json")
                ),
                Text,
            ),
            func.count(),
        ).select_from(page)
    ).one()
    body, returned = row[0], int(row[1])
    if returned < limit:
        matched = returned
    else:
        matched = (
            db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
            or 0
        )
    return body, returned, matched


def cached_markers_gzip(query: Select, *, limit: int, key: str) -> bytes:
    """The markers body (see :func:`place_markers`), gzip-compressed and cached in Redis.

    10,000 places take some 100 ms to select and serialise on a busy database; a cached body
    takes a millisecond.
    """

    def compute() -> bytes:
        text_, returned, matched = place_markers(query, limit=limit)
        fields = ",".join(f'"{name}"' for name in MARKER_FIELDS)
        body = (
            f'{{"fields":[{fields}],"number_matched":{matched},'
            f'"number_returned":{returned},"places":{text_}}}'
        )
        return cache.gzip_bytes(body.encode())

    version = cache.data_version(("place", "area", "place_kind"))
    return cache.cached("markers", key, compute, version=version)
