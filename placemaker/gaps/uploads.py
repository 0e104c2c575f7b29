"""Planners' own layers (candidate sites, land to leave out), stored for every analysis."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from placemaker.errors import InvalidInput
from placemaker.extensions import db
from placemaker.gaps.models import GapLayer
from placemaker.imports.common import ImportFailed
from placemaker.imports.layers import import_layer

MAX_LAYER_FEATURES = 50_000


def upload_layer(name: Any, role: Any, collection: Any, user_id: int | None) -> dict[str, Any]:
    """Store a planner's layer; the whole upload is refused when any feature is wrong."""
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
