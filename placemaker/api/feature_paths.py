"""OpenAPI descriptions of the /api paths of the map, the gap analysis and proposals.

Kept here until each feature describes its own paths with :func:`placemaker.api.openapi
.add_paths` next to its views; then move the dict there and drop it from
:func:`placemaker.api.openapi.init_app`.
"""

from __future__ import annotations

import copy
from typing import Any

from placemaker.api.openapi import (
    API_BBOX_PARAM,
    errors,
    json_ok,
    path_param,
    query_param,
    ref,
)
from placemaker.geo import NL_BBOX

GEOJSON = "application/geo+json"
OBJECT: dict[str, Any] = {"type": "object"}


def _coordinate(name: str, low: float, high: float, description: str) -> dict[str, Any]:
    """A required coordinate; outside the Netherlands' box (geo.NL_BBOX) it is refused."""
    return {**query_param(name, description, {"type": "number", "minimum": low,
                                              "maximum": high}),
            "required": True, "allowEmptyValue": False}


LON = _coordinate("lon", NL_BBOX[0], NL_BBOX[2], "Longitude (WGS84) in the Netherlands")
LAT = _coordinate("lat", NL_BBOX[1], NL_BBOX[3], "Latitude (WGS84) in the Netherlands")


def _feature_collection(**extra: Any) -> dict[str, Any]:
    return {"type": "object", "required": ["type", "features"], "properties": {
        "type": {"type": "string", "enum": ["FeatureCollection"]},
        "features": {"type": "array", "items": {
            "type": "object", "required": ["type", "properties"],
            "properties": {"type": {"type": "string", "enum": ["Feature"]},
                           "geometry": ref("Geometry"),
                           "properties": OBJECT}}},
        **extra}}


PLACE_FILTERS = [
    API_BBOX_PARAM,
    query_param("kind", "Only these kinds (comma-separated or repeated)",
                {"type": "array", "items": {"type": "string"}}, style="form", explode=False),
    query_param("status", "Only these statuses (comma-separated or repeated)",
                {"type": "array", "items": {
                    "type": "string", "enum": ["active", "temporarily_closed", "gone"]}},
                style="form", explode=False),
    query_param("area", "Only places inside the area with this code", {"type": "string"}),
    query_param("q", "Only places whose name contains this text", {"type": "string"}),
]

MAP_PATHS: dict[str, Any] = {
    "/api/places/markers": {"get": {
        "tags": ["places"],
        "summary": "The map's compact places: one array [id, lon, lat, kind, status, name] "
                   "per place (gzip when accepted)",
        "operationId": "listPlaceMarkers",
        "parameters": [*PLACE_FILTERS,
                       query_param("limit", "At most this many places",
                                   {"type": "integer", "minimum": 1, "maximum": 10000})],
        "responses": {"200": json_ok({"type": "object", "required": ["fields", "places"],
                                      "properties": {
                                          "fields": {"type": "array",
                                                     "items": {"type": "string"}},
                                          "number_matched": {"type": "integer"},
                                          "number_returned": {"type": "integer"},
                                          "places": {"type": "array",
                                                     "items": {"type": "array"}}}}),
                      **errors()},
    }},
}

# --- the gap analysis ---------------------------------------------------------------------

WEIGHT = {"type": "number", "minimum": 0, "maximum": 10}
GAP_PARAMS = [
    query_param("kind", "Count only places of this kind, and site new ones of it",
                {"type": "string"}),
    query_param("rung", "Count only places supporting this cohesion ladder rung",
                {"type": "integer", "minimum": 1, "maximum": 6}),
    query_param("p", "How many new places to suggest",
                {"type": "integer", "minimum": 1, "maximum": 200}),
    query_param("radius", "Walking distance of a new place in metres (default: the kind's)",
                {"type": "number", "minimum": 25, "maximum": 5000}),
    query_param("candidates", "Where new places may go: grid, proposals or layer:<id>",
                {"type": "string", "pattern": "^(grid|proposals|layer:[0-9]{1,9})$"}),
    query_param("area", "Only demand and candidates inside this area (code)",
                {"type": "string"}),
    query_param("level", "Level at which coverage is reported", {"type": "string"}),
    query_param("year", "Cohesion year (default: the latest)",
                {"type": "integer", "minimum": 1900, "maximum": 2100}),
    query_param("detour", "Walking detour factor over the straight line",
                {"type": "number", "minimum": 1, "maximum": 3}),
    query_param("w_cohesion", "Weight of low cohesion in the need", WEIGHT),
    query_param("w_income", "Weight of minimum incomes in the need", WEIGHT),
    query_param("w_lonely", "Weight of loneliness in the need", WEIGHT),
    query_param("w_65plus", "Weight of residents aged 65+ in the need", WEIGHT),
    query_param("target", "Cohesion score aimed for",
                {"type": "number", "minimum": 2, "maximum": 10}),
    query_param("floor", "Least need of any resident", WEIGHT),
]
GAP_ERRORS = errors(404)
SCENARIO = {"type": "object", "required": ["id", "name", "params", "created_at"],
            "properties": {"id": {"type": "integer"}, "name": {"type": "string"},
                           "description": {"type": "string", "nullable": True},
                           "params": OBJECT, "created_at": {"type": "string"},
                           "data_version": {}, "new_residents_reached": {"type": "number"}}}

GAPS_PATHS: dict[str, Any] = {
    "/api/gaps/coverage": {"get": {
        "tags": ["gaps"], "summary": "How many residents live within reach of a meeting "
                                     "place, per area",
        "operationId": "gapCoverage", "parameters": GAP_PARAMS,
        "responses": {"200": json_ok(OBJECT), **GAP_ERRORS}}},
    "/api/gaps/cells": {"get": {
        "tags": ["gaps"], "summary": "Grid cells of residents without a meeting place nearby",
        "operationId": "gapCells",
        "parameters": [*GAP_PARAMS, query_param(
            "include_covered", "Also the covered cells (1, true or yes)", {"type": "string"})],
        "responses": {"200": json_ok(_feature_collection(), media_type=GEOJSON),
                      **GAP_ERRORS}}},
    "/api/gaps/suggestions": {"get": {
        "tags": ["gaps"], "summary": "Suggested sites for new meeting places, explained",
        "operationId": "gapSuggestions", "parameters": GAP_PARAMS,
        "responses": {"200": json_ok(_feature_collection(), media_type=GEOJSON),
                      **GAP_ERRORS}}},
    "/api/gaps/evaluate": {"get": {
        "tags": ["gaps"], "summary": "What a new meeting place at one spot would add",
        "operationId": "gapEvaluate",
        "parameters": [
            LON,
            LAT,
            *GAP_PARAMS,
        ],
        "responses": {"200": json_ok(OBJECT), **GAP_ERRORS}}},
    "/api/gaps/layers": {
        "get": {
            "tags": ["gaps"],
            "summary": "Layers loaded for the analysis (candidates, exclusions)",
            "operationId": "gapLayers",
            "responses": {"200": json_ok({"type": "object", "required": ["layers"],
                                          "properties": {
                "layers": {"type": "array", "items": {"type": "object", "properties": {
                    "id": {"type": "integer"}, "name": {"type": "string"},
                    "role": {"type": "string"},
                    "source": {"type": "string", "nullable": True}}}}}}),
                **errors()}},
        "post": {
            "tags": ["gaps"],
            "summary": "Upload a layer of candidate sites or of land to leave out (planners)",
            "description": "Replaces a layer of the same name. Use it as "
                           "`candidates=layer:<id>`; `exclude` layers keep residents and "
                           "sites out of water, parks or private land.",
            "operationId": "uploadGapLayer",
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "type": "object", "required": ["name", "role", "features"],
                "properties": {
                    "name": {"type": "string", "maxLength": 200},
                    "role": {"type": "string", "enum": ["candidates", "exclude"]},
                    "features": {"type": "object",
                                 "description": "A GeoJSON FeatureCollection (EPSG:4326)"}}}}}},
            "responses": {"201": json_ok({"type": "object", "properties": {
                "id": {"type": "integer"}, "name": {"type": "string"},
                "role": {"type": "string"}, "features": {"type": "integer"},
                "notes": {"type": "array", "items": {"type": "string"}}}}, "Stored"),
                **errors(403)}},
    },
    "/api/gaps/scenarios": {
        "get": {
            "tags": ["gaps"], "summary": "Saved scenarios",
            "operationId": "listGapScenarios",
            "responses": {"200": json_ok({"type": "object", "required": ["scenarios"],
                                          "properties": {"scenarios": {
                                              "type": "array", "items": SCENARIO}}}),
                          **errors()}},
        "post": {
            "tags": ["gaps"], "summary": "Save a scenario (planners, logged in)",
            "operationId": "saveGapScenario",
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "type": "object", "required": ["name"],
                "properties": {"name": {"type": "string"},
                               "description": {"type": "string"},
                               "params": {"type": "object",
                                          "additionalProperties": {"type": "string"}}}}}}},
            "responses": {"201": json_ok(SCENARIO, "Saved"), **errors(403)}},
    },
    "/api/gaps/scenarios/{scenario_id}": {"get": {
        "tags": ["gaps"], "summary": "One saved scenario with its result",
        "operationId": "getGapScenario",
        "parameters": [path_param("scenario_id", "Scenario number",
                                  {"type": "integer", "minimum": 0})],
        "responses": {"200": json_ok(OBJECT), **GAP_ERRORS}}},
    "/api/gaps/scenarios/compare": {"get": {
        "tags": ["gaps"], "summary": "Two saved scenarios side by side",
        "operationId": "compareGapScenarios",
        "parameters": [
            {**query_param("a", "First scenario", {"type": "integer", "minimum": 1}),
             "required": True, "allowEmptyValue": False},
            {**query_param("b", "Second scenario", {"type": "integer", "minimum": 1}),
             "required": True, "allowEmptyValue": False},
        ],
        "responses": {"200": json_ok(OBJECT), **GAP_ERRORS}}},
}

# --- residents' proposals (public fields only) ---------------------------------------------

PROPOSALS_PATHS: dict[str, Any] = {
    "/api/proposals": {"get": {
        "tags": ["proposals"], "summary": "Proposals anyone may see, as GeoJSON, paged",
        "operationId": "listProposals",
        "parameters": [
            API_BBOX_PARAM,
            query_param("status", "open (default), all, or statuses (comma-separated)",
                        {"type": "array", "items": {"type": "string"}}, style="form",
                        explode=False),
            query_param("kind", "Only these kinds (comma-separated or repeated)",
                        {"type": "array", "items": {"type": "string"}}, style="form",
                        explode=False),
            query_param("area", "Only proposals inside the area with this code",
                        {"type": "string"}),
            query_param("limit", "Page size", {"type": "integer", "minimum": 1,
                                               "maximum": 10000}),
            query_param("offset", "Skip this many", {"type": "integer", "minimum": 0,
                                                     "maximum": 10_000_000}),
        ],
        "responses": {"200": json_ok(_feature_collection(
            number_matched={"type": "integer"}, number_returned={"type": "integer"},
            links={"type": "array", "items": ref("Link")}), media_type=GEOJSON),
            **errors()}}},
    "/api/proposals/{proposal_id}": {"get": {
        "tags": ["proposals"], "summary": "One proposal with its public history",
        "operationId": "getProposal",
        "parameters": [path_param("proposal_id", "Proposal number",
                                  {"type": "integer", "minimum": 0})],
        "responses": {"200": json_ok(OBJECT, media_type=GEOJSON), **errors(404)}}},
    "/api/proposals/context": {"get": {
        "tags": ["proposals"], "summary": "What a resident sees while choosing a spot: area, "
                                          "cohesion, places nearby, gap value",
        "operationId": "proposalContext",
        "parameters": [
            LON,
            LAT,
            query_param("kind", "Kind of place proposed", {"type": "string"}),
        ],
        "responses": {"200": json_ok(OBJECT), **errors()}}},
    "/api/proposals/lookup": {"get": {
        "tags": ["proposals"], "summary": "Find a spot by address, area name or coordinates",
        "operationId": "proposalLookup",
        "parameters": [query_param("q", "What to look for", {"type": "string"})],
        "responses": {"200": json_ok({"type": "object", "required": ["results"],
                                      "properties": {"results": {"type": "array",
                                                                 "items": OBJECT}}}),
                      **errors()}}},
}


# --- values that are data (kinds, levels) or enums of other features, filled in on request ----

def _set_enum(parameters: list[dict[str, Any]], name: str, values: list[str]) -> None:
    for parameter in parameters:
        if parameter["name"] == name:
            schema = parameter["schema"]
            target = schema["items"] if schema.get("type") == "array" else schema
            target["enum"] = values
            target.pop("pattern", None)


def gaps_paths() -> dict[str, Any]:
    from placemaker.areas.service import levels
    from placemaker.places.service import kinds

    paths = copy.deepcopy(GAPS_PATHS)
    for item in paths.values():
        for operation in item.values():
            parameters = operation.get("parameters", [])
            _set_enum(parameters, "kind", [k.code for k in kinds()])
            _set_enum(parameters, "level", [lv.code for lv in levels()])
    return paths


def proposals_paths() -> dict[str, Any]:
    from placemaker.proposals.models import ProposalStatus

    paths = copy.deepcopy(PROPOSALS_PATHS)
    statuses = ["open", "all"] + [s.value for s in ProposalStatus
                                  if s is not ProposalStatus.hidden]
    _set_enum(paths["/api/proposals"]["get"]["parameters"], "status", statuses)
    return paths
