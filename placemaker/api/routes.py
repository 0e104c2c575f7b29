"""The JSON API: areas and places as GeoJSON (RFC 7946), errors as {"error": {code, message}}."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, jsonify, request, url_for

from placemaker.areas import service as areas
from placemaker.cache import gzip_response
from placemaker.errors import InvalidInput
from placemaker.geo import parse_bbox
from placemaker.places import service as places
from placemaker.places.serialize import cached_markers_gzip, place_feature, place_features

bp = Blueprint("api", __name__)

MAX_OFFSET = 10_000_000  # beyond PostgreSQL's OFFSET range lies a server error, not a page
MAX_SIMPLIFY_M = 1000


def feature_collection(features: list[dict[str, Any]], **extra: Any):
    response = jsonify({"type": "FeatureCollection", "features": features, **extra})
    response.mimetype = "application/geo+json"
    return response


def paged_collection(features: list[dict[str, Any]], matched: int, *, offset: int, limit: int):
    """One page of a GeoJSON list, with a ``next`` link to this endpoint while more remain."""
    links = []
    if offset + len(features) < matched:
        args = {**request.args.to_dict(flat=True), "offset": offset + limit, "limit": limit}
        links.append({"rel": "next", "type": "application/geo+json",
                      "href": url_for(str(request.endpoint), _external=True,
                                      **(request.view_args or {}), **args)})
    return feature_collection(features, number_matched=matched,
                              number_returned=len(features), links=links)


def int_arg(name: str, default: int | None, *, minimum: int = 0,
            maximum: int | None = None) -> int | None:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise InvalidInput(f"{name} must be a whole number") from None
    if value < minimum or (maximum is not None and value > maximum):
        upper = f" and {maximum}" if maximum is not None else ""
        raise InvalidInput(f"{name} must lie between {minimum}{upper}")
    return value


def float_arg(name: str, *, minimum: float | None = None,
              maximum: float | None = None) -> float | None:
    raw = request.args.get(name)
    if raw in (None, ""):
        return None
    try:
        value = float(raw)
    except ValueError:
        raise InvalidInput(f"{name} must be a number") from None
    # NaN and infinity reached PostGIS as server errors.
    if value != value or value in (float("inf"), float("-inf")):
        raise InvalidInput(f"{name} must be a finite number")
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        raise InvalidInput(f"{name} must lie between {minimum:g} and {maximum:g}")
    return value


def bbox_arg() -> tuple[float, float, float, float] | None:
    raw = request.args.get("bbox")
    if not raw:
        return None
    try:
        return parse_bbox(raw)
    except ValueError as exc:
        raise InvalidInput(str(exc)) from None


def list_arg(name: str) -> list[str]:
    return [v for raw in request.args.getlist(name) for v in raw.split(",") if v]


@bp.get("/areas")
def list_areas():
    level = request.args.get("level")
    features = areas.area_features(
        level=level,
        bbox=bbox_arg(),
        year=int_arg("year", None, minimum=1900, maximum=2100),
        simplify_m=float_arg("simplify", minimum=0, maximum=MAX_SIMPLIFY_M),
        search=request.args.get("q") or None,
        limit=int_arg("limit", None, minimum=1, maximum=10_000),
    )
    return feature_collection(features, number_returned=len(features))


@bp.get("/areas/<code>")
def get_area(code: str):
    area = areas.get_area(code)
    ctx = areas.load_context()
    feature = areas.area_features(codes=[area.code], ctx=ctx,
                                  year=int_arg("year", None, minimum=1900, maximum=2100))[0]
    node = ctx.by_code[area.code]
    feature["properties"]["children"] = [
        {"code": ctx.nodes[c].code, "name": ctx.nodes[c].name, "level": ctx.nodes[c].level}
        for c in sorted(ctx.children.get(node.id, []), key=lambda c: ctx.nodes[c].code)
    ]
    feature["properties"]["place_counts_by_kind"] = areas.place_counts(
        [area.id], by_kind=True
    ).get(area.id, {})
    feature["properties"]["cohesion_history"] = ctx.history_of(node)
    feature["properties"]["indicators"] = areas.indicators_of(area)
    response = jsonify(feature)
    response.mimetype = "application/geo+json"
    return response


@bp.get("/kinds")
def list_kinds():
    return jsonify(
        kinds=[
            {"code": k.code, "label_nl": k.label_nl, "label_en": k.label_en, "icon": k.icon,
             "color": k.color, "walking_distance_m": k.walking_distance_m,
             "ladder_rung": k.ladder_rung}
            for k in places.kinds()
        ]
    )


@bp.get("/places")
def list_places():
    config = current_app.config
    limit = int_arg("limit", config["API_PAGE_SIZE"], minimum=1,
                    maximum=config["API_MAX_PAGE_SIZE"])
    offset = int_arg("offset", 0, maximum=MAX_OFFSET)
    query = places.places_query(
        bbox=bbox_arg(),
        kinds=list_arg("kind"),
        statuses=list_arg("status"),
        area_code=request.args.get("area"),
        search=request.args.get("q"),
    )
    features, matched = place_features(query, limit=limit, offset=offset)
    return paged_collection(features, matched, offset=offset, limit=limit)


@bp.get("/places/markers")
def list_place_markers():
    """The map's compact places: ``places`` holds ``[id, lon, lat, kind, status, name]``."""
    limit = int_arg("limit", current_app.config["API_MAX_PAGE_SIZE"], minimum=1,
                    maximum=current_app.config["API_MAX_PAGE_SIZE"])
    query = places.places_query(
        bbox=bbox_arg(),
        kinds=list_arg("kind"),
        statuses=list_arg("status"),
        area_code=request.args.get("area"),
        search=request.args.get("q"),
    )
    key = "|".join(f"{k}={','.join(sorted(request.args.getlist(k)))}"
                   for k in sorted(request.args) if k in ("bbox", "kind", "status", "area", "q"))
    packed = cached_markers_gzip(query, limit=limit or 1, key=f"{key}|limit={limit}")
    return gzip_response(packed, "application/json")


@bp.get("/places/<int:place_id>")
def get_place(place_id: int):
    place = places.get_place(place_id)
    feature = place_feature(place)
    feature["properties"]["history"] = [
        {"at": c.changed_at.isoformat(), "actor": c.actor, "action": c.action,
         "old": c.old_values, "new": c.new_values}
        for c in places.history(place)
    ]
    response = jsonify(feature)
    response.mimetype = "application/geo+json"
    return response
