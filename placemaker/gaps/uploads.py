"""Planners' own layers (candidate sites, land to leave out), stored for every analysis."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from placemaker.errors import Forbidden, InvalidInput
from placemaker.extensions import db
from placemaker.gaps.models import GapLayer
from placemaker.imports.common import WGS84_NAMES, ImportFailed
from placemaker.imports.layers import import_layer
from placemaker.validation import feature_problem

MAX_LAYER_FEATURES = 50_000


UPLOADED = "uploaded"


def upload_layer(
    name: Any, role: Any, collection: Any, user_id: int | None, *, may_replace_others: bool = False
) -> dict[str, Any]:
    """Store a planner's layer; the whole upload is refused when any feature is wrong.

    A layer belongs to whoever uploaded it: a name already taken by somebody else's upload is
    refused (an administrator may replace it: ``may_replace_others``), and the layers the
    project ships (the demo's water, imported from the command line) are never replaced
    over HTTP. Otherwise uploading "Water" as candidates would remove the water for everybody.
    """
    name = name.strip() if isinstance(name, str) else ""
    if not name or len(name) > 200:
        raise InvalidInput("a layer needs a name of at most 200 characters")
    check_may_replace(name, user_id, may_replace_others=may_replace_others)
    if (
        not isinstance(collection, dict)
        or collection.get("type") != "FeatureCollection"
        or not isinstance(collection.get("features"), list)
        or not collection["features"]
    ):
        raise InvalidInput("features must be a GeoJSON FeatureCollection with features")
    crs = collection.get("crs")
    crs_name = (
        crs.get("properties", {}).get("name")
        if isinstance(crs, dict) and isinstance(crs.get("properties"), dict)
        else crs
    )
    if crs_name is not None and crs_name not in WGS84_NAMES:
        raise InvalidInput(
            f"the features are in {str(crs_name)[:80]}; send WGS84 (EPSG:4326) longitude/latitude"
        )
    if len(collection["features"]) > MAX_LAYER_FEATURES:
        raise InvalidInput(f"a layer holds at most {MAX_LAYER_FEATURES} features")
    problems = [(index, feature_problem(f)) for index, f in enumerate(collection["features"])]
    problems = [(index, why) for index, why in problems if why]
    if problems:
        raise InvalidInput(
            "the layer was not stored: "
            + "; ".join(f"feature {index}: {why}" for index, why in problems[:10]),
            details=[{"feature": index, "reason": why} for index, why in problems],
        )
    try:
        report = import_layer(
            collection["features"],
            name,
            str(role or ""),
            name_field="name",
            source=UPLOADED,
            user_id=user_id,
        )
    except ImportFailed as exc:
        raise InvalidInput(str(exc)) from None
    if not report.ok:
        raise InvalidInput(
            "the layer was not stored: "
            + "; ".join(f"{ref}: {reason}" for ref, reason in report.errors[:10]),
            details=[{"feature": ref, "reason": reason} for ref, reason in report.errors],
        )
    layer = db.session.scalar(select(GapLayer).where(GapLayer.name == name))
    return {
        "layer": layer,
        "features": report.created or report.unchanged,
        "notes": [f"{ref}: {reason}" for ref, reason in report.notes],
    }


def check_may_replace(name: str, user_id: int | None, *, may_replace_others: bool) -> None:
    """:raises Forbidden: the name belongs to a shipped layer or to somebody else's upload."""
    existing = db.session.scalar(select(GapLayer).where(GapLayer.name == name))
    if existing is None:
        return
    if existing.source != UPLOADED:
        raise Forbidden(
            f"the layer “{name}” comes with the data and cannot be replaced "
            "here; choose another name"
        )
    if existing.created_by != user_id and not may_replace_others:
        raise Forbidden(f"the layer “{name}” belongs to somebody else; choose another name")


def layers() -> list[GapLayer]:
    return list(db.session.scalars(select(GapLayer).order_by(GapLayer.name)))
