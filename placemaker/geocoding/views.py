"""Address search and reverse lookup as JSON, for the map pages' type-ahead and pin."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify

from placemaker.edge import Args, Lat, Lon, Text, endpoint
from placemaker.geocoding.service import from_config

bp = Blueprint("geocoding", __name__)

FOUND = {
    "type": "object",
    "required": ["label", "type", "lon", "lat", "source"],
    "properties": {
        "label": {"type": "string"},
        "type": {
            "type": "string",
            "enum": ["coordinates", "address", "street", "postcode", "place", "area"],
        },
        "lon": {"type": "number"},
        "lat": {"type": "number"},
        "source": {"type": "string", "description": "local, or pdok (the Locatieserver)"},
    },
}


class SearchArgs(Args):
    q = Text(
        "What somebody typed: street and number, postcode, place, area or coordinates",
        load_default="",
    )


class ReverseArgs(Args):
    lon = Lon()
    lat = Lat()


@bp.get("/api/geocode")
@endpoint(
    "places",
    "Addresses (street and number, postcode), streets, places and areas",
    args=SearchArgs,
    operation_id="geocode",
    response={
        "type": "object",
        "required": ["results"],
        "properties": {"results": {"type": "array", "items": FOUND}},
    },
)
def search(args: dict):
    results = from_config(current_app.config).search(args["q"])
    return jsonify(results=[r.as_dict() for r in results])


@bp.get("/api/geocode/reverse")
@endpoint(
    "places",
    "The address nearest a point (within 150 m), or null",
    args=ReverseArgs,
    operation_id="reverseGeocode",
    errors=(400,),
    response={
        "type": "object",
        "required": ["result"],
        "properties": {"result": {**FOUND, "nullable": True}},
    },
)
def reverse(args: dict):
    found = from_config(current_app.config).reverse(args["lon"], args["lat"])
    return jsonify(result=found.as_dict() if found else None)
