"""The OpenAPI 3.0 document of /api, /ogc and /exports, and a browsable page of it.

Made on request from the app itself: every route whose view is declared with
:func:`placemaker.edge.endpoint` is described from the schema that parses its arguments
(apispec's MarshmallowPlugin), so the document cannot drift from the parsing. Paths that are
data rather than code (the OGC API's collections) are added with :func:`add_paths` by the
feature that owns them. ``tests/test_openapi.py`` fails when a route under /api/ is missing.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from flask import Blueprint, Flask, current_app, jsonify, render_template
from werkzeug.routing import Rule

from placemaker.api.components import CORE_SCHEMAS
from placemaker.edge import (
    Operation,
    described_parts,
    endpoint,
    errors,
    json_ok,
    path_param,
    query_parameters,
    ref,
)

bp = Blueprint("openapi", __name__)

Paths = dict[str, Any]
OPENAPI_TYPE = "application/vnd.oai.openapi+json;version=3.0"
DESCRIPTION = (
    "Everyday meeting places, areas with their cohesion scores and everything planners need, "
    "as JSON (/api), OGC API – Features (/ogc) and files (/exports). Public data needs no "
    "key; data that is not public needs a personal API token (made at /account/tokens) sent "
    "as `Authorization: Bearer <token>`. Every error has the body "
    '`{"error": {"code": ..., "message": ...}}`.'
)
TAGS = [
    {"name": "areas", "description": "Areas with population, cohesion and places"},
    {"name": "places", "description": "The registry of meeting places"},
    {"name": "gaps", "description": "Gap analysis: where meeting places are missing"},
    {"name": "proposals", "description": "Residents' proposals (public fields only)"},
    {"name": "OGC API – Features", "description": "Collections for GIS clients"},
    {"name": "exports", "description": "Whole collections as files"},
    {"name": "documentation", "description": "This document"},
]
ERROR_TEXT = {
    400: "Invalid parameter (bad bbox, limit over the maximum, unknown parameter, ...)",
    401: "The data is not public, or the bearer token is unknown or revoked",
    403: "The token's owner may not read this",
    404: "No such resource",
    405: "Method not allowed",
    500: "Server error",
}


def _merge(sources: list[Any], merged: dict[str, Any], what: str) -> dict[str, Any]:
    for source in sources:
        for key, value in (source() if callable(source) else source).items():
            if key in merged:
                raise ValueError(f"OpenAPI {what} {key!r} is described twice")
            merged[key] = value
    return merged


# --- paths made from the routes -----------------------------------------------------------------


def openapi_path(rule: str) -> str:
    return re.sub(r"<(?:[a-z]+(?:\([^)]*\))?:)?([a-z_]+)>", r"{\1}", rule)


def _path_params(rule: Rule, operation: Operation) -> list[dict[str, Any]]:
    out = []
    for name in rule.arguments:
        converter = type(rule._converters[name]).__name__  # noqa: SLF001
        schema = (
            {"type": "integer", "minimum": 0}
            if converter == "IntegerConverter"
            else {"type": "string"}
        )
        described = operation.path.get(name, name)
        if isinstance(described, dict):  # {"description": ..., "schema": ...}
            schema = described.get("schema", schema)
            described = described["description"]
        out.append(path_param(name, described, schema))
    return out


def _operation(rule: Rule, op: Operation) -> dict[str, Any]:
    parameters = _path_params(rule, op)
    if op.args is not None:
        parameters += query_parameters(op.args)
    if op.responses is not None:
        ok = op.responses
    else:
        schema = ref(op.response) if isinstance(op.response, str) else (op.response or {})
        ok = json_ok(schema, media_type=op.media_type)
    out: dict[str, Any] = {
        "tags": op.tags,
        "summary": op.summary,
        "operationId": op.operation_id,
        "responses": {
            str(op.status): ok,
            **{str(code): json_ok(schema, text) for code, (text, schema) in op.also.items()},
            **errors(*op.errors),
        },
    }
    if op.description:
        out["description"] = op.description
    if parameters:
        out["parameters"] = parameters
    if op.body is not None:
        out["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": op.body}},
        }
    return out


def _route_paths() -> Paths:
    paths: Paths = {}
    for rule in current_app.url_map.iter_rules():
        op = getattr(current_app.view_functions[rule.endpoint], "openapi", None)
        if op is None:
            continue
        item = paths.setdefault(openapi_path(rule.rule), {})
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            item[method.lower()] = _operation(rule, op)
    return paths


def build_document() -> dict[str, Any]:
    parts = described_parts(current_app)
    paths = _merge(parts["paths"], _route_paths(), "path")
    schemas = _merge(parts["schemas"], copy.deepcopy(CORE_SCHEMAS), "schema")
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "placemaker API",
            "version": "1.0.0",
            "description": DESCRIPTION,
            "license": {"name": "EUPL-1.2", "url": "https://eupl.eu/1.2/en/"},
        },
        "servers": [{"url": "/"}],
        "tags": TAGS,
        "paths": dict(sorted(paths.items())),
        "components": {
            "schemas": schemas,
            "responses": {
                **{
                    f"Error{status}": json_ok(ref("Error"), text)
                    for status, text in ERROR_TEXT.items()
                },
                **{
                    f"HtmlError{status}": {
                        "description": text,
                        "content": {
                            "application/json": {"schema": ref("Error")},
                            "text/html": {"schema": {"type": "string"}},
                        },
                    }
                    for status, text in ERROR_TEXT.items()
                },
            },
            "securitySchemes": {
                "bearerAuth": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "A personal API token of a planner or admin",
                },
            },
        },
        # Public data needs no token; one may always be sent.
        "security": [{}, {"bearerAuth": []}],
    }


def init_app(app: Flask) -> None:
    """Register /api/openapi.json and /api/docs."""
    app.register_blueprint(bp, url_prefix="/api")


@bp.get("/openapi.json")
@endpoint(
    "documentation",
    "This document (OpenAPI 3.0)",
    operation_id="getOpenAPI",
    responses={"description": "OK", "content": {OPENAPI_TYPE: {"schema": {"type": "object"}}}},
)
def document():
    response = jsonify(build_document())
    response.headers["Content-Type"] = OPENAPI_TYPE
    return response


@bp.get("/docs")
@endpoint(
    "documentation",
    "This document as a page to read",
    operation_id="getDocs",
    responses={"description": "OK", "content": {"text/html": {"schema": {"type": "string"}}}},
)
def docs():
    return render_template("api/docs.html", doc=build_document())
