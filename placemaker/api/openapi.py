"""The OpenAPI 3.0 document of /api, /ogc and /exports, and a browsable page of it.

The document is assembled from parts: the core /api paths below, the OGC API paths made
from the collection registry, and whatever other features add with :func:`add_paths`::

    from placemaker.api.openapi import add_paths

    @bp.record_once
    def _document(state):
        add_paths(state.app, {
            "/api/gaps/{code}": {"get": {
                "summary": "...", "tags": ["gaps"],
                "parameters": [path_param("code", "Area code")],
                "responses": {"200": json_ok({"$ref": "#/components/schemas/Gap"}),
                              **errors(404)}}},
        }, schemas={"Gap": {...}})

``tests/test_openapi.py`` fails when a route under /api/ is missing from the document.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from flask import Blueprint, Flask, current_app, jsonify, render_template

bp = Blueprint("openapi", __name__)

Paths = dict[str, Any]
PathSource = Paths | Callable[[], Paths]
SchemaSource = dict[str, Any] | Callable[[], dict[str, Any]]

ERROR_TEXT = {
    400: "Invalid parameter (bad bbox, limit over the maximum, unknown parameter, ...)",
    401: "The data is not public, or the bearer token is unknown or revoked",
    403: "The token's owner may not read this",
    404: "No such resource",
    405: "Method not allowed",
    500: "Server error",
}


# --- building blocks for path descriptions ---------------------------------------------------

def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def errors(*statuses: int, html: bool = False) -> dict[str, Any]:
    """Error responses in the one error format; 400, 401 and 500 are always possible.

    ``html``: the operation also serves HTML (f=html), whose errors are pages.
    """
    wanted = sorted({400, 401, 500, *statuses})
    prefix = "HtmlError" if html else "Error"
    return {str(s): {"$ref": f"#/components/responses/{prefix}{s}"} for s in wanted}


def json_ok(schema: dict[str, Any], description: str = "OK",
            media_type: str = "application/json") -> dict[str, Any]:
    return {"description": description, "content": {media_type: {"schema": schema}}}


# PostgreSQL text cannot hold NUL, so no text parameter may contain it (a 400 otherwise).
NO_NUL = "^[^\\u0000]*$"


def _text_without_nul(schema: dict[str, Any]) -> dict[str, Any]:
    schema = dict(schema)
    if schema.get("type") == "string" and "enum" not in schema and "format" not in schema:
        schema.setdefault("pattern", NO_NUL)
    if schema.get("type") == "array" and isinstance(schema.get("items"), dict):
        schema["items"] = _text_without_nul(schema["items"])
    return schema


def path_param(name: str, description: str, schema: dict[str, Any] | None = None
               ) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "description": description,
            "schema": _text_without_nul(schema or {"type": "string"})}


def query_param(name: str, description: str, schema: dict[str, Any], **extra: Any
                ) -> dict[str, Any]:
    """An optional query parameter; sent empty (``?bbox=``) it counts as absent."""
    return {"name": name, "in": "query", "required": False, "description": description,
            "schema": _text_without_nul(schema), "allowEmptyValue": True, **extra}


API_BBOX_PARAM = query_param(
    "bbox", "Only features intersecting this WGS84 box: min_lon,min_lat,max_lon,max_lat",
    {"type": "array", "minItems": 4, "maxItems": 4, "items": {"type": "number"}},
    style="form", explode=False,
)
BBOX_PARAM = query_param(
    "bbox", "Only features intersecting this WGS84 box: min_lon,min_lat,max_lon,max_lat "
    "(six numbers with heights are accepted; heights are ignored)",
    {"type": "array", "minItems": 4, "maxItems": 6, "items": {"type": "number"}},
    style="form", explode=False,
)


# --- the document's registry -----------------------------------------------------------------

def _parts(app: Flask) -> dict[str, Any]:
    return app.extensions.setdefault("placemaker_openapi", {"paths": [], "schemas": []})


def add_paths(app: Flask, paths: PathSource, *, schemas: SchemaSource | None = None) -> None:
    """Describe more paths and component schemas (dicts, or functions returning one when
    they depend on data)."""
    parts = _parts(app)
    parts["paths"].append(paths)
    if schemas:
        parts["schemas"].append(schemas)


def _merged(sources: list[Any], start: dict[str, Any], what: str) -> dict[str, Any]:
    merged = dict(start)
    for source in sources:
        for key, value in (source() if callable(source) else source).items():
            if key in merged:
                raise ValueError(f"OpenAPI {what} {key!r} is described twice")
            merged[key] = value
    return merged


def build_document() -> dict[str, Any]:
    parts = _parts(current_app)
    paths = _merged(parts["paths"], {}, "path")
    schemas = _merged(parts["schemas"], copy.deepcopy(CORE_SCHEMAS), "schema")
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "placemaker API",
            "version": "1.0.0",
            "description": (
                "Everyday meeting places, areas with their cohesion scores and everything "
                "planners need, as JSON (/api), OGC API – Features (/ogc) and files "
                "(/exports). Public data needs no key; data that is not public needs a "
                "personal API token (made at /account/tokens) sent as "
                "`Authorization: Bearer <token>`. Every error has the body "
                "`{\"error\": {\"code\": ..., \"message\": ...}}`."
            ),
            "license": {"name": "EUPL-1.2", "url": "https://eupl.eu/1.2/en/"},
        },
        "servers": [{"url": "/"}],
        "tags": [
            {"name": "areas", "description": "Areas with population, cohesion and places"},
            {"name": "places", "description": "The registry of meeting places"},
            {"name": "gaps", "description": "Gap analysis: where meeting places are missing"},
            {"name": "proposals", "description": "Residents' proposals (public fields only)"},
            {"name": "OGC API – Features", "description": "Collections for GIS clients"},
            {"name": "exports", "description": "Whole collections as files"},
            {"name": "documentation", "description": "This document"},
        ],
        "paths": dict(sorted(paths.items())),
        "components": {
            "schemas": schemas,
            "responses": {
                **{f"Error{status}": json_ok(ref("Error"), text)
                   for status, text in ERROR_TEXT.items()},
                **{f"HtmlError{status}": {"description": text, "content": {
                    "application/json": {"schema": ref("Error")},
                    "text/html": {"schema": {"type": "string"}}}}
                   for status, text in ERROR_TEXT.items()},
            },
            "securitySchemes": {
                "bearerAuth": {"type": "http", "scheme": "bearer",
                               "description": "A personal API token of a planner or admin"},
            },
        },
        # Public data needs no token; one may always be sent.
        "security": [{}, {"bearerAuth": []}],
    }


def init_app(app: Flask) -> None:
    """Register /api/openapi.json and /api/docs and describe the core /api paths."""
    from placemaker.api.feature_paths import MAP_PATHS, gaps_paths, proposals_paths
    from placemaker.ogc.openapi import ogc_component_schemas, ogc_paths

    app.register_blueprint(bp, url_prefix="/api")
    add_paths(app, core_paths)
    for paths in (MAP_PATHS, gaps_paths, proposals_paths):
        add_paths(app, paths)
    add_paths(app, ogc_paths, schemas=ogc_component_schemas)


@bp.get("/openapi.json")
def document():
    response = jsonify(build_document())
    response.mimetype = "application/vnd.oai.openapi+json"
    response.headers["Content-Type"] = "application/vnd.oai.openapi+json;version=3.0"
    return response


@bp.get("/docs")
def docs():
    return render_template("api/docs.html", doc=build_document())


# --- the core /api paths --------------------------------------------------------------------

NULLABLE_STRING = {"type": "string", "nullable": True}
NULLABLE_INT = {"type": "integer", "nullable": True}
NULLABLE_NUMBER = {"type": "number", "nullable": True}

CORE_SCHEMAS: dict[str, Any] = {
    "Error": {
        "type": "object",
        "required": ["error"],
        "properties": {"error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {
                "code": {"type": "string", "example": "invalid_input"},
                "message": {"type": "string"},
                "details": {},
            },
        }},
    },
    "Link": {
        "type": "object",
        "required": ["href", "rel"],
        "properties": {"href": {"type": "string"}, "rel": {"type": "string"},
                       "type": {"type": "string"}, "title": {"type": "string"}},
    },
    "Geometry": {
        "type": "object",
        "description": "A GeoJSON geometry in WGS84 (lon, lat)",
        "required": ["type"],
        "properties": {"type": {"type": "string", "enum": [
            "Point", "MultiPoint", "LineString", "MultiLineString", "Polygon",
            "MultiPolygon", "GeometryCollection"]},
            "coordinates": {"type": "array", "items": {}}},
    },
    "PointGeometry": {
        "type": "object",
        "required": ["type", "coordinates"],
        "properties": {"type": {"type": "string", "enum": ["Point"]},
                       "coordinates": {"type": "array", "minItems": 2, "maxItems": 2,
                                       "items": {"type": "number"}}},
    },
    "PlaceProperties": {
        "type": "object",
        "required": ["id", "name", "kind", "status", "updated_at", "version"],
        "properties": {
            "id": {"type": "integer"},
            "name": {"type": "string"},
            "kind": {"type": "string"},
            "kind_label_nl": {"type": "string"},
            "kind_label_en": {"type": "string"},
            "status": {"type": "string", "enum": ["active", "temporarily_closed", "gone"]},
            "address": NULLABLE_STRING,
            "postcode": NULLABLE_STRING,
            "description": NULLABLE_STRING,
            "source": NULLABLE_STRING,
            "updated_at": {"type": "string", "description": "UTC, without offset"},
            "version": {"type": "integer"},
        },
    },
    "Place": {
        "type": "object",
        "required": ["type", "id", "geometry", "properties"],
        "properties": {"type": {"type": "string", "enum": ["Feature"]},
                       "id": {"type": "integer"}, "geometry": ref("PointGeometry"),
                       "properties": ref("PlaceProperties")},
    },
    "PlaceDetail": {
        "allOf": [ref("Place"), {"type": "object", "properties": {"properties": {
            "type": "object",
            "required": ["history"],
            "properties": {"history": {"type": "array", "items": {
                "type": "object",
                "required": ["at", "actor", "action", "old", "new"],
                "properties": {"at": {"type": "string",
                                      "description": "UTC, without offset"},
                               "actor": {"type": "string"}, "action": {"type": "string"},
                               "old": {"type": "object"}, "new": {"type": "object"}},
            }}},
        }}}],
    },
    "PlaceCollection": {
        "type": "object",
        "required": ["type", "features", "number_matched", "number_returned", "links"],
        "properties": {
            "type": {"type": "string", "enum": ["FeatureCollection"]},
            "features": {"type": "array", "items": ref("Place")},
            "number_matched": {"type": "integer"},
            "number_returned": {"type": "integer"},
            "links": {"type": "array", "items": ref("Link")},
        },
    },
    "AreaRef": {
        "type": "object",
        "required": ["code", "name", "level"],
        "properties": {"code": {"type": "string"}, "name": {"type": "string"},
                       "level": {"type": "string"}},
    },
    "Cohesion": {
        "type": "object",
        "nullable": True,
        "required": ["score", "year", "source", "inherited", "from_area"],
        "properties": {
            "score": NULLABLE_NUMBER,
            "year": {"type": "integer"},
            "source": {"type": "string"},
            "scale": {"type": "array", "items": {"type": "number"}, "minItems": 2,
                      "maxItems": 2},
            "rung_assessed": NULLABLE_INT,
            "rung_wanted": NULLABLE_INT,
            "rung_assessed_label": NULLABLE_STRING,
            "rung_wanted_label": NULLABLE_STRING,
            "inherited": {"type": "boolean",
                          "description": "True when the score is an enclosing area's"},
            "from_area": ref("AreaRef"),
        },
    },
    "AreaProperties": {
        "type": "object",
        "required": ["code", "name", "level", "parent_code", "ancestors", "population",
                     "cohesion", "place_count"],
        "properties": {
            "code": {"type": "string"},
            "name": {"type": "string"},
            "level": {"type": "string"},
            "parent_code": NULLABLE_STRING,
            "ancestors": {"type": "array", "items": ref("AreaRef")},
            "population": NULLABLE_NUMBER,
            "population_year": NULLABLE_INT,
            "population_source": NULLABLE_STRING,
            "cohesion": ref("Cohesion"),
            "place_count": {"type": "integer"},
        },
    },
    "Area": {
        "type": "object",
        "required": ["type", "id", "geometry", "properties"],
        "properties": {"type": {"type": "string", "enum": ["Feature"]},
                       "id": {"type": "string"}, "geometry": ref("Geometry"),
                       "properties": ref("AreaProperties")},
    },
    "AreaDetail": {
        "allOf": [ref("Area"), {"type": "object", "properties": {"properties": {
            "type": "object",
            "required": ["children", "place_counts_by_kind", "cohesion_history",
                         "indicators"],
            "properties": {
                "children": {"type": "array", "items": ref("AreaRef")},
                "place_counts_by_kind": {"type": "object",
                                         "additionalProperties": {"type": "integer"}},
                "cohesion_history": {"type": "array", "items": {
                    "type": "object",
                    "properties": {"year": {"type": "integer"}, "score": {"type": "number"},
                                   "source": {"type": "string"},
                                   "area_code": {"type": "string"},
                                   "inherited": {"type": "boolean"}}}},
                "indicators": {"type": "object", "additionalProperties": {
                    "type": "array", "items": {
                        "type": "object",
                        "properties": {"year": {"type": "integer"},
                                       "value": {"type": "number"},
                                       "source": {"type": "string"}}}}},
            },
        }}}],
    },
    "AreaCollection": {
        "type": "object",
        "required": ["type", "features", "number_returned"],
        "properties": {
            "type": {"type": "string", "enum": ["FeatureCollection"]},
            "features": {"type": "array", "items": ref("Area")},
            "number_returned": {"type": "integer"},
        },
    },
    "Kind": {
        "type": "object",
        "required": ["code", "label_nl", "label_en", "walking_distance_m", "ladder_rung"],
        "properties": {
            "code": {"type": "string"}, "label_nl": {"type": "string"},
            "label_en": {"type": "string"}, "icon": {"type": "string"},
            "color": {"type": "string", "pattern": "^#[0-9a-fA-F]{6}$"},
            "walking_distance_m": {"type": "integer",
                                   "description": "How far people walk to it"},
            "ladder_rung": {"type": "integer", "minimum": 1, "maximum": 6},
        },
    },
}

YEAR_PARAM = query_param("year", "Cohesion score of this year (default: the latest)",
                         {"type": "integer", "minimum": 1900, "maximum": 2100})
GEOJSON = "application/geo+json"

def core_paths() -> Paths:
    """The /api paths of areas, places and kinds; area levels are data, so made on request."""
    from placemaker.areas.service import levels

    paths = copy.deepcopy(CORE_PATHS)
    level = paths["/api/areas"]["get"]["parameters"][0]
    level["schema"]["enum"] = [lv.code for lv in levels()]
    return paths


CORE_PATHS: Paths = {
    "/api/areas": {"get": {
        "tags": ["areas"],
        "summary": "Areas of the hierarchy as GeoJSON",
        "operationId": "listAreas",
        "parameters": [
            query_param("level", "Only areas of this level", {"type": "string"}),
            API_BBOX_PARAM,
            YEAR_PARAM,
            query_param("simplify", "Simplify outlines to this tolerance in metres",
                        {"type": "number", "minimum": 0, "maximum": 1000}),
        ],
        "responses": {"200": json_ok(ref("AreaCollection"), media_type=GEOJSON),
                      **errors()},
    }},
    "/api/areas/{code}": {"get": {
        "tags": ["areas"],
        "summary": "One area with its children, places per kind, cohesion history and "
                   "indicators",
        "operationId": "getArea",
        "parameters": [path_param("code", "Area code, e.g. F86a"), YEAR_PARAM],
        "responses": {"200": json_ok(ref("AreaDetail"), media_type=GEOJSON), **errors(404)},
    }},
    "/api/kinds": {"get": {
        "tags": ["places"],
        "summary": "Kinds of meeting places",
        "operationId": "listKinds",
        "responses": {"200": json_ok({"type": "object", "required": ["kinds"], "properties": {
            "kinds": {"type": "array", "items": ref("Kind")}}}), **errors()},
    }},
    "/api/places": {"get": {
        "tags": ["places"],
        "summary": "Meeting places as GeoJSON, paged (follow the 'next' link)",
        "operationId": "listPlaces",
        "parameters": [
            API_BBOX_PARAM,
            query_param("kind", "Only these kinds (comma-separated or repeated)",
                        {"type": "array", "items": {"type": "string"}}, style="form",
                        explode=False),
            query_param("status", "Only these statuses (comma-separated or repeated)",
                        {"type": "array", "items": {
                            "type": "string",
                            "enum": ["active", "temporarily_closed", "gone"]}},
                        style="form", explode=False),
            query_param("area", "Only places inside the area with this code",
                        {"type": "string"}),
            query_param("q", "Only places whose name contains this text", {"type": "string"}),
            query_param("limit", "Page size", {"type": "integer", "minimum": 1,
                                               "maximum": 10000, "default": 100}),
            query_param("offset", "Skip this many places", {"type": "integer", "minimum": 0,
                                                            "maximum": 10_000_000,
                                                            "default": 0}),
        ],
        "responses": {"200": json_ok(ref("PlaceCollection"), media_type=GEOJSON),
                      **errors()},
    }},
    "/api/places/{place_id}": {"get": {
        "tags": ["places"],
        "summary": "One place with the history of its changes",
        "operationId": "getPlace",
        "parameters": [path_param("place_id", "Registry number",
                                  {"type": "integer", "minimum": 0})],
        "responses": {"200": json_ok(ref("PlaceDetail"), media_type=GEOJSON), **errors(404)},
    }},
    "/api/openapi.json": {"get": {
        "tags": ["documentation"],
        "summary": "This document (OpenAPI 3.0)",
        "operationId": "getOpenAPI",
        "responses": {"200": {"description": "OK", "content": {
            "application/vnd.oai.openapi+json;version=3.0": {"schema": {"type": "object"}}}},
            **errors()},
    }},
    "/api/docs": {"get": {
        "tags": ["documentation"],
        "summary": "This document as a page to read",
        "operationId": "getDocs",
        "responses": {"200": {"description": "OK",
                              "content": {"text/html": {"schema": {"type": "string"}}}},
                      **errors()},
    }},
}
