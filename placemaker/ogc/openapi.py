"""The OGC API and export paths of the OpenAPI document, made from the collection registry."""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask.blueprints import BlueprintSetupState

from placemaker.edge import (
    GEOJSON,
    add_paths,
    errors,
    path_param,
    query_param,
    query_parameters,
    ref,
)
from placemaker.exports.writers import FORMATS
from placemaker.ogc import params
from placemaker.ogc.registry import Collection, registry

TAG = "OGC API – Features"

HTML = {"text/html": {"schema": {"type": "string"}}}
LANG = query_param(
    "lang", "Language of HTML pages: nl or en (other values are ignored)", {"type": "string"}
)


def _f(formats: tuple[str, ...]) -> dict[str, Any]:
    return query_param(
        "f",
        "Representation (default: by the Accept header, else JSON)",
        {"type": "string", "enum": list(formats)},
    )


def _json_or_html(schema: dict[str, Any], media_type: str = "application/json") -> dict[str, Any]:
    return {"description": "OK", "content": {media_type: {"schema": schema}, **HTML}}


def _links() -> dict[str, Any]:
    return {"type": "array", "items": ref("Link")}


def _feature_schema(collection: Collection) -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["type", "geometry", "properties"],
        "properties": {
            "type": {"type": "string", "enum": ["Feature"]},
            "id": {"oneOf": [{"type": "string"}, {"type": "integer"}]},
            "geometry": ref("Geometry"),
            "properties": {
                "type": "object",
                "properties": {p.name: p.json_schema() for p in collection.properties},
                "additionalProperties": False,
            },
            "links": _links(),
        },
    }


def _schema_name(collection: Collection) -> str:
    return "".join(part.capitalize() for part in collection.id.replace("-", "_").split("_"))


def ogc_schemas(collections: list[Collection]) -> dict[str, Any]:
    schemas: dict[str, Any] = {
        "OgcLandingPage": {
            "type": "object",
            "required": ["links"],
            "properties": {
                "title": {"type": "string"},
                "description": {"type": "string"},
                "attribution": {"type": "string"},
                "links": _links(),
            },
        },
        "OgcConformance": {
            "type": "object",
            "required": ["conformsTo"],
            "properties": {"conformsTo": {"type": "array", "items": {"type": "string"}}},
        },
        "OgcExtent": {
            "type": "object",
            "properties": {
                "spatial": {
                    "type": "object",
                    "properties": {
                        "bbox": {
                            "type": "array",
                            "items": {
                                "type": "array",
                                "minItems": 4,
                                "maxItems": 6,
                                "items": {"type": "number"},
                            },
                        },
                        "crs": {"type": "string"},
                    },
                },
                "temporal": {
                    "type": "object",
                    "properties": {
                        "interval": {
                            "type": "array",
                            "items": {
                                "type": "array",
                                "minItems": 2,
                                "maxItems": 2,
                                "items": {
                                    "type": "string",
                                    "format": "date-time",
                                    "nullable": True,
                                },
                            },
                        },
                        "trs": {"type": "string"},
                    },
                },
            },
        },
        "OgcCollection": {
            "type": "object",
            "required": ["id", "links"],
            "properties": {
                "id": {"type": "string"},
                "title": {"type": "string"},
                "description": {"type": "string"},
                "attribution": {"type": "string"},
                "keywords": {"type": "array", "items": {"type": "string"}},
                "itemType": {"type": "string"},
                "crs": {"type": "array", "items": {"type": "string"}},
                "storageCrs": {"type": "string"},
                "extent": ref("OgcExtent"),
                "links": _links(),
            },
        },
        "OgcCollections": {
            "type": "object",
            "required": ["links", "collections"],
            "properties": {
                "links": _links(),
                "collections": {"type": "array", "items": ref("OgcCollection")},
            },
        },
        "OgcQueryables": {
            "type": "object",
            "required": ["type", "properties"],
            "properties": {"type": {"type": "string"}, "properties": {"type": "object"}},
        },
    }
    for collection in collections:
        name = _schema_name(collection)
        schemas[f"{name}Feature"] = _feature_schema(collection)
        schemas[f"{name}FeatureCollection"] = {
            "type": "object",
            "required": ["type", "features", "numberMatched", "numberReturned", "links"],
            "properties": {
                "type": {"type": "string", "enum": ["FeatureCollection"]},
                "timeStamp": {"type": "string", "format": "date-time"},
                "numberMatched": {"type": "integer", "minimum": 0},
                "numberReturned": {"type": "integer", "minimum": 0},
                "links": _links(),
                "features": {"type": "array", "items": ref(f"{name}Feature")},
            },
        }
    return schemas


def _file_content() -> dict[str, Any]:
    content: dict[str, Any] = {}
    for fmt in FORMATS.values():
        if fmt.key == "geojson":
            content[fmt.mimetype] = {"schema": {"type": "object"}}
        else:
            content.setdefault(fmt.mimetype, {"schema": {"type": "string", "format": "binary"}})
    return content


def _collection_paths(collection: Collection) -> dict[str, Any]:
    cid = collection.id
    name = _schema_name(collection)
    base = f"/ogc/collections/{cid}"
    security: dict[str, Any] = {} if collection.public else {"security": [{"bearerAuth": []}]}
    extra_errors = () if collection.public else (403,)
    item_params = query_parameters(params.item_args(collection))
    items_content = {
        GEOJSON: {"schema": ref(f"{name}FeatureCollection")},
        **HTML,
        "text/csv": {"schema": {"type": "string"}},
        FORMATS["gpkg"].mimetype: {"schema": {"type": "string", "format": "binary"}},
    }
    return {
        base: {
            "get": {
                "tags": [TAG],
                "summary": f"{collection.title}: description and extent",
                "operationId": f"describe_{cid}",
                "parameters": [_f(("json", "html")), LANG],
                "responses": {
                    "200": _json_or_html(ref("OgcCollection")),
                    **errors(404, *extra_errors, html=True),
                },
                **security,
            }
        },
        f"{base}/queryables": {
            "get": {
                "tags": [TAG],
                "summary": f"{collection.title}: properties to filter on",
                "operationId": f"queryables_{cid}",
                "parameters": [_f(("json", "html")), LANG],
                "responses": {
                    "200": _json_or_html(ref("OgcQueryables"), "application/schema+json"),
                    **errors(404, *extra_errors, html=True),
                },
                **security,
            }
        },
        f"{base}/items": {
            "get": {
                "tags": [TAG],
                "summary": f"{collection.title}: features",
                "description": collection.description,
                "operationId": f"items_{cid}",
                "parameters": [*item_params, _f(params.ITEM_FORMATS), LANG],
                "responses": {
                    "200": {
                        "description": "A page of features; csv-excel is CSV with "
                        "semicolons, decimal commas and a BOM",
                        "content": items_content,
                    },
                    **errors(404, *extra_errors, html=True),
                },
                **security,
            }
        },
        f"{base}/items/{{featureId}}": {
            "get": {
                "tags": [TAG],
                "summary": f"{collection.title}: one feature",
                "operationId": f"item_{cid}",
                "parameters": [
                    path_param("featureId", "The feature's id"),
                    _f(("json", "geojson", "html")),
                    LANG,
                ],
                "responses": {
                    "200": _json_or_html(ref(f"{name}Feature"), GEOJSON),
                    **errors(404, *extra_errors, html=True),
                },
                **security,
            }
        },
    }


def ogc_component_schemas() -> dict[str, Any]:
    return ogc_schemas(registry(current_app).all())


def ogc_paths() -> dict[str, Any]:
    """Every OGC API and export path, one set per collection the registry holds."""
    collections = registry(current_app).all()
    simple = [_f(("json", "html")), LANG]
    paths: dict[str, Any] = {}
    for path, summary, op, schema in [
        ("/ogc", "Landing page", "landing", "OgcLandingPage"),
        ("/ogc/", "Landing page", "landingSlash", "OgcLandingPage"),
        ("/ogc/conformance", "Conformance classes", "conformance", "OgcConformance"),
        ("/ogc/collections", "The collections", "collections", "OgcCollections"),
    ]:
        paths[path] = {
            "get": {
                "tags": [TAG],
                "summary": summary,
                "operationId": op,
                "parameters": simple,
                "responses": {"200": _json_or_html(ref(schema)), **errors(html=True)},
            }
        }
    for collection in collections:
        paths.update(_collection_paths(collection))
    filenames = sorted(f"{c.id}.{fmt.extension}" for c in collections for fmt in FORMATS.values())
    paths["/exports/{filename}"] = {
        "get": {
            "tags": ["exports"],
            "summary": "A whole collection as a file: GeoJSON, CSV, CSV for Dutch Excel "
            "(semicolons, decimal commas, BOM) or GeoPackage",
            "description": "Takes the same filters as the collection's items (bbox, datetime, "
            "properties); limit and offset default to everything.",
            "operationId": "export",
            "parameters": [
                path_param(
                    "filename",
                    "<collection>.<geojson|csv|excel.csv|gpkg>",
                    {"type": "string", "enum": filenames},
                ),
                *query_parameters(params.ExportArgs()),
            ],
            "responses": {
                "200": {"description": "The file", "content": _file_content()},
                **errors(403, 404),
            },
        }
    }
    return paths


def describe(state: BlueprintSetupState) -> None:
    """Add the OGC paths to the app's OpenAPI document (when the blueprint is registered)."""
    add_paths(state.app, ogc_paths, schemas=ogc_component_schemas)  # type: ignore[arg-type]
