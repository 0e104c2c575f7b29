"""The gap analysis over HTTP: /api/gaps/… (JSON/GeoJSON)."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, request, url_for
from flask_login import current_user

from placemaker.accounts.models import Role
from placemaker.auth import role_required
from placemaker.cache import gzip_response
from placemaker.edge import GEOJSON, endpoint, feature_collection_schema
from placemaker.errors import InvalidInput, NotFound
from placemaker.extensions import config_limit, db, limiter
from placemaker.gaps import jobs, reach, results, scenarios, uploads
from placemaker.gaps.model import load_model
from placemaker.gaps.params import GapArgs, GapParams
from placemaker.gaps.schemas import (
    JOB,
    LAYER_BODY,
    LAYER_LIST,
    LAYER_STORED,
    SCENARIO,
    SCENARIO_BODY,
    SCENARIO_LIST,
    SUGGESTIONS_DESCRIPTION,
    CellArgs,
    CompareArgs,
    EvaluateArgs,
)
from placemaker.tokens.access import current_reader
from placemaker.validation import json_body, optional_text, require_object
from placemaker.web import geojson_response

api = Blueprint("gaps_api", __name__)
MAX_DESCRIPTION = 5000
# Per client, for those who are neither logged in nor sending an API token.
# (The limit is checked before the token is: a request with a bearer token is exempt here
# and refused with 401 later when the token is no good.)
limiter.limit(
    config_limit("GAPS_ANON_RATE_LIMIT"),
    exempt_when=lambda: (
        current_reader() is not None
        or request.headers.get("Authorization", "").lower().startswith("bearer ")
    ),
)(api)


def _params(args: dict) -> GapParams:
    params = GapParams.from_values(args)
    if current_reader() is None:
        _check_anonymous(params)
    return params


def _check_anonymous(params: GapParams) -> None:
    """:raises InvalidInput: a parameter too expensive for the public analysis."""
    config = current_app.config
    if params.p > config["GAPS_ANON_MAX_P"]:
        raise InvalidInput(
            f"without logging in p may be at most {config['GAPS_ANON_MAX_P']}; "
            "log in or send an API token for more"
        )
    if (params.radius_m or 0) > config["GAPS_ANON_MAX_RADIUS_M"]:
        raise InvalidInput(
            "without logging in radius may be at most "
            f"{config['GAPS_ANON_MAX_RADIUS_M']} m; log in or send an API "
            "token for more"
        )


@api.get("/coverage")
@endpoint(
    "gaps",
    "How many residents live within reach of a meeting place, per area",
    args=GapArgs,
    response={"type": "object"},
    errors=(404,),
    operation_id="gapCoverage",
)
def coverage(args: dict):
    return jsonify(results.coverage(_params(args)))


@api.get("/cells")
@endpoint(
    "gaps",
    "Grid cells of residents without a meeting place nearby",
    args=CellArgs,
    response=feature_collection_schema(),
    media_type=GEOJSON,
    errors=(404,),
    operation_id="gapCells",
)
def cells(args: dict):
    include = args.get("include_covered") in ("1", "true", "yes")
    packed = results.uncovered_cells_gzip(_params(args), include_covered=include)
    return gzip_response(packed, GEOJSON)


@api.get("/suggestions")
@endpoint(
    "gaps",
    "Suggested sites for new meeting places, explained",
    args=GapArgs,
    description=SUGGESTIONS_DESCRIPTION,
    response=feature_collection_schema(),
    media_type=GEOJSON,
    errors=(404,),
    also={202: ("Accepted: a big question runs as a background job; poll its url", JOB)},
    operation_id="gapSuggestions",
)
def suggestions(args: dict):
    """Small questions are answered at once; big ones (many sites, exact mode) become a job:
    202 with its URL, until the job's answer is in the cache and this URL serves it."""
    params = _params(args)
    done = results.cached_suggestions(params)
    if done is not None:
        return geojson_response(done)
    if jobs.is_big(params, len(load_model(params).grid)):
        job = jobs.submit_suggestions(params)
        status = jobs.job_status(job.id) or {"id": job.id, "status": "queued", "progress": 0.0}
        status["url"] = url_for("gaps_api.job", job_id=job.id)
        status["result_url"] = request.full_path.rstrip("?")
        response = jsonify(status)
        response.status_code = 202
        response.headers["Location"] = status["url"]
        return response
    return geojson_response(results.suggestions(params))


@api.get("/jobs/<job_id>")
@endpoint(
    "gaps",
    "Progress of a background analysis",
    response=JOB,
    errors=(404,),
    path={
        "job_id": {
            "description": "The job's id from the 202 answer",
            "schema": {
                "type": "string",
                "maxLength": 200,
                "pattern": "^gaps-suggestions-[0-9a-f]+-[0-9a-f]+$",
            },
        }
    },
    operation_id="gapJob",
)
def job(job_id: str):
    status = jobs.job_status(job_id)
    if status is None:
        raise NotFound(f"no job {job_id}")
    return jsonify(status)


@api.get("/evaluate")
@endpoint(
    "gaps",
    "What a new meeting place at one spot would add",
    args=EvaluateArgs,
    response={"type": "object"},
    errors=(404,),
    operation_id="gapEvaluate",
)
def evaluate(args: dict):
    return jsonify(reach.evaluate(args["lon"], args["lat"], _params(args)))


@api.get("/layers")
@endpoint(
    "gaps",
    "Layers loaded for the analysis (candidates, exclusions)",
    response=LAYER_LIST,
    operation_id="gapLayers",
)
def layers():
    return jsonify(
        layers=[
            {"id": layer.id, "name": layer.name, "role": layer.role, "source": layer.source}
            for layer in uploads.layers()
        ]
    )


@api.post("/layers")
@endpoint(
    "gaps",
    "Upload a layer of candidate sites or of land to leave out (planners)",
    description="Replaces a layer of the same name. Use it as `candidates=layer:<id>`; "
    "`exclude` layers keep residents and sites out of water, parks or private land.",
    body=LAYER_BODY,
    response=LAYER_STORED,
    status=201,
    errors=(403,),
    operation_id="uploadGapLayer",
)
@role_required("planner")
def upload_layer():
    """A planner's own layer: candidate sites, or land to leave out (water, private land)."""
    body = json_body()
    if not isinstance(body, dict):
        raise InvalidInput('send JSON: {"name", "role", "features": a GeoJSON FeatureCollection}')
    report = uploads.upload_layer(
        body.get("name"),
        body.get("role"),
        body.get("features"),
        current_user.id,
        may_replace_others=current_user.role is Role.admin,
    )
    db.session.commit()
    layer = report["layer"]
    return jsonify(
        id=layer.id,
        name=layer.name,
        role=layer.role,
        features=report["features"],
        notes=report["notes"],
    ), 201


@api.get("/scenarios")
@endpoint("gaps", "Saved scenarios", response=SCENARIO_LIST, operation_id="listGapScenarios")
def list_scenarios():
    return jsonify(scenarios=[_scenario_summary(s) for s in scenarios.list_scenarios()])


@api.post("/scenarios")
@endpoint(
    "gaps",
    "Save a scenario (planners, logged in)",
    body=SCENARIO_BODY,
    response=SCENARIO,
    status=201,
    errors=(403,),
    operation_id="saveGapScenario",
)
@role_required("planner")
def save_scenario():
    body = require_object(json_body(), "the body")
    raw_params = require_object(body.get("params") or {}, "params")
    if any(isinstance(v, (dict, list)) for v in raw_params.values()):
        raise InvalidInput("params holds numbers and text only")
    params = GapParams.from_args({k: str(v) for k, v in raw_params.items()})
    name = optional_text(body.get("name"), "name", 200) or ""
    description = optional_text(body.get("description"), "description", MAX_DESCRIPTION)
    scenario = scenarios.save_scenario(name, params, current_user.id, description)
    db.session.commit()
    return jsonify(_scenario_summary(scenario)), 201


@api.get("/scenarios/<int:scenario_id>")
@endpoint(
    "gaps",
    "One saved scenario with its result",
    response={"type": "object"},
    errors=(404,),
    path={"scenario_id": "Scenario number"},
    operation_id="getGapScenario",
)
def get_scenario(scenario_id: int):
    scenario = scenarios.get_scenario(scenario_id)
    return jsonify({**_scenario_summary(scenario), "result": scenario.result})


@api.get("/scenarios/compare")
@endpoint(
    "gaps",
    "Two saved scenarios side by side",
    args=CompareArgs,
    response={"type": "object"},
    errors=(404,),
    operation_id="compareGapScenarios",
)
def compare_scenarios(args: dict):
    a = scenarios.get_scenario(args["a"])
    b = scenarios.get_scenario(args["b"])
    return jsonify(scenarios.compare_scenarios(a, b))


def _scenario_summary(scenario) -> dict:
    return {
        "id": scenario.id,
        "name": scenario.name,
        "description": scenario.description,
        "params": scenario.params,
        "created_at": scenario.created_at.isoformat(timespec="seconds"),
        "data_version": scenario.data_version,
        "new_residents_reached": scenario.result["suggestions"]["new_residents_reached"],
        "certificate": scenario.result["suggestions"].get("certificate"),
    }
