"""The gap analysis over HTTP: /api/gaps/… (JSON/GeoJSON)."""

from __future__ import annotations

from flask import Blueprint, jsonify, request
from flask_login import current_user

from placemaker.api.routes import float_arg, int_arg
from placemaker.auth import role_required
from placemaker.cache import gzip_response
from placemaker.errors import InvalidInput
from placemaker.extensions import db
from placemaker.gaps import results, scenarios, uploads
from placemaker.gaps.params import GapParams

api = Blueprint("gaps_api", __name__)


def _params() -> GapParams:
    return GapParams.from_args(request.args)


def _geojson(body):
    response = jsonify(body)
    response.mimetype = "application/geo+json"
    return response


@api.get("/coverage")
def coverage():
    return jsonify(results.coverage(_params()))


@api.get("/cells")
def cells():
    include = request.args.get("include_covered") in ("1", "true", "yes")
    packed = results.uncovered_cells_gzip(_params(), include_covered=include)
    return gzip_response(packed, "application/geo+json")


@api.get("/suggestions")
def suggestions():
    return _geojson(results.suggestions(_params()))


@api.get("/evaluate")
def evaluate():
    lon, lat = float_arg("lon"), float_arg("lat")
    if lon is None or lat is None:
        raise InvalidInput("lon and lat are required")
    return jsonify(results.evaluate(lon, lat, _params()))


@api.get("/layers")
def layers():
    return jsonify(layers=[
        {"id": layer.id, "name": layer.name, "role": layer.role, "source": layer.source}
        for layer in uploads.layers()
    ])


@api.post("/layers")
@role_required("planner")
def upload_layer():
    """A planner's own layer: candidate sites, or land to leave out (water, private land)."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise InvalidInput('send JSON: {"name", "role", "features": a GeoJSON FeatureCollection}')
    report = uploads.upload_layer(body.get("name"), body.get("role"), body.get("features"),
                                  current_user.id)
    db.session.commit()
    layer = report["layer"]
    return jsonify(id=layer.id, name=layer.name, role=layer.role,
                   features=report["features"], notes=report["notes"]), 201


@api.get("/scenarios")
def list_scenarios():
    return jsonify(scenarios=[_scenario_summary(s) for s in scenarios.list_scenarios()])


@api.post("/scenarios")
@role_required("planner")
def save_scenario():
    body = request.get_json(silent=True) or {}
    params = GapParams.from_args({k: str(v) for k, v in (body.get("params") or {}).items()})
    scenario = scenarios.save_scenario(body.get("name", ""), params, current_user.id,
                                     body.get("description"))
    db.session.commit()
    return jsonify(_scenario_summary(scenario)), 201


@api.get("/scenarios/<int:scenario_id>")
def get_scenario(scenario_id: int):
    scenario = scenarios.get_scenario(scenario_id)
    return jsonify({**_scenario_summary(scenario), "result": scenario.result})


@api.get("/scenarios/compare")
def compare_scenarios():
    a = scenarios.get_scenario(int_arg("a", None, minimum=1) or 0)
    b = scenarios.get_scenario(int_arg("b", None, minimum=1) or 0)
    return jsonify(scenarios.compare_scenarios(a, b))


def _scenario_summary(scenario) -> dict:
    return {
        "id": scenario.id, "name": scenario.name, "description": scenario.description,
        "params": scenario.params, "created_at": scenario.created_at.isoformat(timespec="seconds"),
        "data_version": scenario.data_version,
        "new_residents_reached": scenario.result["suggestions"]["new_residents_reached"],
    }
