"""The open-data feed of meeting places: owner, kind, opening hours, last confirmation."""

from __future__ import annotations

import json
from typing import Any

from flask import current_app
from sqlalchemy import func, select

from placemaker.extensions import db
from placemaker.places import service as places
from placemaker.places.models import Place, PlaceStatus
from placemaker.places.serialize import place_features

# What the feed carries of each place (no budget line, no residents' reports).
FIELDS = (
    "id",
    "name",
    "kind",
    "kind_label_nl",
    "kind_label_en",
    "status",
    "condition",
    "address",
    "postcode",
    "owner",
    "keeper",
    "opening_hours",
    "last_confirmed_at",
    "updated_at",
)


def meeting_places() -> list[dict[str, Any]]:
    """Every place that is not gone, as GeoJSON features with :data:`FIELDS`."""
    query = places.places_query().where(Place.status != PlaceStatus.gone)
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    features, _ = place_features(query, limit=max(total, 1), offset=0)
    for feature in features:
        props = feature["properties"]
        feature["properties"] = {key: props.get(key) for key in FIELDS}
        for stamp in ("last_confirmed_at", "updated_at"):
            if feature["properties"][stamp]:
                feature["properties"][stamp] += "Z"
    return features


def meeting_places_geojson(base_url: str) -> str:
    features = meeting_places()
    return json.dumps(
        {
            "type": "FeatureCollection",
            "name": "ontmoetingsplekken",
            "description": "Everyday meeting places: owner, kind, opening hours (OpenStreetMap "
            "opening_hours syntax) and when they were last confirmed in use.",
            "attribution": current_app.config.get("DATA_ATTRIBUTION"),
            "links": [{"rel": "self", "href": base_url + "/open-data/ontmoetingsplekken.geojson"}],
            "number_returned": len(features),
            "features": features,
        },
        ensure_ascii=False,
    )
