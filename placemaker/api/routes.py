"""The JSON API: areas and places as GeoJSON (RFC 7946), errors as {"error": {code, message}}."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify
from marshmallow import fields, validate

from placemaker import registry
from placemaker.areas import service as areas
from placemaker.cache import gzip_response
from placemaker.edge import (
    GEOJSON,
    Args,
    Bbox,
    CommaList,
    DataChoice,
    Float,
    Int,
    Paging,
    Text,
    endpoint,
)
from placemaker.places import service as places
from placemaker.places.models import PlaceStatus
from placemaker.places.serialize import cached_markers_gzip, place_feature, place_features
from placemaker.web import feature_collection, geojson_response, paged_collection

bp = Blueprint("api", __name__)

MAX_SIMPLIFY_M = 1000


def _levels() -> list[str]:
    return [lv.code for lv in areas.levels()]


class YearArgs(Args):
    year = Int(1900, 2100, description="Cohesion score of this year (default: the latest)")


class AreaArgs(YearArgs):
    level = Text("Only areas of this level", validate=DataChoice(_levels, "level", "levels"))
    bbox = Bbox()
    simplify = Float(0, MAX_SIMPLIFY_M, description="Simplify outlines to this tolerance in metres")
    q = Text("Only areas whose name or code contains this text")
    limit = Int(1, 10_000, description="At most this many areas")


STATUSES = [s.value for s in PlaceStatus]


class PlaceFilters(Args):
    bbox = Bbox()
    kind = CommaList(fields.String(), "Only these kinds (comma-separated or repeated)")
    status = CommaList(
        fields.String(validate=validate.OneOf(STATUSES, error="must be one of {choices}")),
        "Only these statuses (comma-separated or repeated)",
    )
    area = Text("Only places inside the area with this code")
    q = Text("Only places whose name contains this text")


class PlaceArgs(PlaceFilters, Paging):
    pass


class MarkerArgs(PlaceFilters):
    limit = Int(1, 10_000, description="At most this many places")


def _place_query(args: dict):
    return places.places_query(
        bbox=args.get("bbox"),
        kinds=args.get("kind", []),
        statuses=args.get("status", []),
        area_code=args.get("area"),
        search=args.get("q"),
    )


@bp.get("/areas")
@endpoint(
    "areas",
    "Areas of the hierarchy as GeoJSON",
    args=AreaArgs,
    response="AreaCollection",
    media_type=GEOJSON,
    operation_id="listAreas",
)
def list_areas(args: dict):
    features = areas.area_features(
        level=args.get("level"),
        bbox=args.get("bbox"),
        year=args.get("year"),
        simplify_m=args.get("simplify"),
        search=args.get("q"),
        limit=args.get("limit"),
    )
    return feature_collection(features, number_returned=len(features))


@bp.get("/areas/<code>")
@endpoint(
    "areas",
    "One area with its children, places per kind, cohesion history and indicators",
    args=YearArgs,
    response="AreaDetail",
    media_type=GEOJSON,
    errors=(404,),
    path={"code": "Area code, e.g. F86a"},
    operation_id="getArea",
)
def get_area(args: dict, code: str):
    area = areas.get_area(code)
    ctx = areas.load_context()
    feature = areas.area_features(codes=[area.code], ctx=ctx, year=args.get("year"))[0]
    node = ctx.by_code[area.code]
    feature["properties"]["children"] = [
        {"code": ctx.nodes[c].code, "name": ctx.nodes[c].name, "level": ctx.nodes[c].level}
        for c in sorted(ctx.children.get(node.id, []), key=lambda c: ctx.nodes[c].code)
    ]
    feature["properties"]["place_counts_by_kind"] = areas.place_counts([area.id], by_kind=True).get(
        area.id, {}
    )
    feature["properties"]["cohesion_history"] = ctx.history_of(node)
    feature["properties"]["indicators"] = areas.indicators_of(area)
    return geojson_response(feature)


@bp.get("/kinds")
@endpoint(
    "places",
    "Kinds of meeting places",
    operation_id="listKinds",
    response={
        "type": "object",
        "required": ["kinds"],
        "properties": {"kinds": {"type": "array", "items": {"$ref": "#/components/schemas/Kind"}}},
    },
)
def list_kinds():
    return jsonify(
        kinds=[
            {
                "code": k.code,
                "label_nl": k.label_nl,
                "label_en": k.label_en,
                "icon": k.icon,
                "color": k.color,
                "walking_distance_m": k.walking_distance_m,
                "ladder_rung": k.ladder_rung,
            }
            for k in places.kinds()
        ]
    )


@bp.get("/places")
@endpoint(
    "places",
    "Meeting places as GeoJSON, paged (follow the 'next' link)",
    args=PlaceArgs,
    response="PlaceCollection",
    media_type=GEOJSON,
    operation_id="listPlaces",
)
def list_places(args: dict):
    config = current_app.config
    limit = min(args.get("limit") or config["API_PAGE_SIZE"], config["API_MAX_PAGE_SIZE"])
    features, matched = place_features(_place_query(args), limit=limit, offset=args["offset"])
    return paged_collection(features, matched, offset=args["offset"], limit=limit)


@bp.get("/places/markers")
@endpoint(
    "places",
    "The map's compact places: one array [id, lon, lat, kind, status, name] "
    "per place (gzip when accepted)",
    args=MarkerArgs,
    operation_id="listPlaceMarkers",
    response={
        "type": "object",
        "required": ["fields", "places"],
        "properties": {
            "fields": {"type": "array", "items": {"type": "string"}},
            "number_matched": {"type": "integer"},
            "number_returned": {"type": "integer"},
            "places": {"type": "array", "items": {"type": "array"}},
        },
    },
)
def list_place_markers(args: dict):
    """The map's compact places: ``places`` holds ``[id, lon, lat, kind, status, name]``."""
    most = current_app.config["API_MAX_PAGE_SIZE"]
    limit = min(args.get("limit") or most, most)
    key = "|".join(
        f"{k}={sorted(v) if isinstance(v, list) else v}"
        for k in ("bbox", "kind", "status", "area", "q")
        if (v := args.get(k))
    )
    packed = cached_markers_gzip(_place_query(args), limit=limit, key=f"{key}|limit={limit}")
    return gzip_response(packed, "application/json")


@bp.get("/places/<int:place_id>")
@endpoint(
    "places",
    "One place with the history of its changes",
    response="PlaceDetail",
    media_type=GEOJSON,
    errors=(404,),
    path={"place_id": "Registry number"},
    operation_id="getPlace",
)
def get_place(place_id: int):
    place = places.get_place(place_id)
    feature = place_feature(place)
    feature["properties"]["history"] = [
        {
            "at": c.changed_at.isoformat(),
            "actor": c.actor,
            "action": c.action,
            "old": c.old_values,
            "new": c.new_values,
        }
        for c in places.history(place)
    ]
    # Residents' open reports, when the reports feature is there (see placemaker/registry.py).
    open_reports = registry.provider(registry.OPEN_REPORTS)
    feature["properties"]["open_reports"] = (
        len(open_reports(place.id)) if open_reports is not None else None
    )
    return geojson_response(feature)
