"""The gap analysis on the real Amsterdam demo, through the API and the service."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from placemaker.extensions import db
from placemaker.gaps import results
from placemaker.gaps.model import GapModel, build_model
from placemaker.gaps.models import GapLayer, GapLayerFeature
from placemaker.gaps.params import GapParams
from placemaker.geo import point_from_lonlat


@pytest.fixture(scope="module")
def suggestions(app):
    with app.test_client() as client:
        body = client.get("/api/gaps/suggestions?p=10").get_json()
    return body


def test_suggestions_fall_where_a_person_expects_them(app, suggestions):
    features = suggestions["features"]
    assert len(features) == 10
    with app.app_context():
        ctx_scores = []
        for feature in features:
            lon, lat = feature["geometry"]["coordinates"]
            props = feature["properties"]
            # populated and under-served: each site reaches residents no place serves yet
            assert props["new_residents_reached"] > 500
            # not in water or a park
            inside = db.session.scalar(
                select(func.count())
                .select_from(GapLayerFeature)
                .join(GapLayer)
                .where(
                    GapLayer.role == "exclude",
                    func.ST_Covers(GapLayerFeature.geom, point_from_lonlat(lon, lat)),
                )
            )
            assert inside == 0, f"suggestion {props['rank']} lies in water or a park"
            assert props["area"]["level"] == "buurt"
            ctx_scores.append(props["cohesion"]["score"])
            # explained: nearest places with distances, and the next-best alternative
            assert props["nearest_places"][0]["distance_m"] > 0
            assert props["next_best"]["gain_of_this_site_over_it"] >= 0
        # needier than the typical resident without a place nearby: lower cohesion, more
        # loneliness and poverty weigh in (need per resident reached > the uncovered mean)
        total = app.test_client().get("/api/gaps/coverage").get_json()["total"]
        uncovered_need_per_resident = (total["weight"] - total["covered_weight"]) / (
            total["population"] - total["covered_population"]
        )
        reached_need_per_resident = (
            suggestions["new_weighted_need_reached"] / suggestions["new_residents_reached"]
        )
        assert reached_need_per_resident > uncovered_need_per_resident
        assert max(ctx_scores) < 7  # all below the cohesion target
    gains = [f["properties"]["new_weighted_need_reached"] for f in features]
    assert gains == sorted(gains, reverse=True)
    assert suggestions["new_residents_reached"] == pytest.approx(
        sum(f["properties"]["new_residents_reached"] for f in features), rel=1e-6
    )


def test_suggestions_are_certified(app, suggestions, login):
    """Every answer carries a proven upper bound and its gap; p=10 on the demo is proven."""
    cert = suggestions["certificate"]
    assert cert["upper_bound"] >= suggestions["new_weighted_need_reached"] - 0.01
    assert cert["proven_best"] and cert["gap"] == 0 and cert["bound_method"] == "lp"
    assert suggestions["search"] == {"rounds": 0, "stopped": "gap closed", "time_limit_hit": False}
    planner = login("planner@demo.placemaker.nl", client=app.test_client())  # p=40: planners
    wide = planner.get("/api/gaps/suggestions?p=40").get_json()
    assert not wide["search"]["time_limit_hit"]
    gap = (wide["certificate"]["upper_bound"] - wide["new_weighted_need_reached"]) / wide[
        "certificate"
    ]["upper_bound"]
    assert wide["certificate"]["gap"] == pytest.approx(gap, abs=1e-5)
    assert wide["certificate"]["gap"] < 0.01
    # the same question again, computed afresh, gives the same sites and figures
    with app.test_request_context():
        again = results._suggestions(GapParams(p=40))
    assert [f["geometry"] for f in again["features"]] == [f["geometry"] for f in wide["features"]]
    assert again["certificate"] == wide["certificate"]


def test_coverage_shares(client):
    body = client.get("/api/gaps/coverage?level=gebied").get_json()
    assert 0.5 < body["total"]["population_share"] < 1.0
    codes = {a["code"] for a in body["areas"]}
    assert "DX09" in codes and len(codes) >= 22
    dx09 = next(a for a in body["areas"] if a["code"] == "DX09")
    assert 0 < dx09["population_share"] <= 1
    assert {r["rung"] for r in body["by_rung"]} == {2, 3, 4}
    assert "library" in {k["kind"] for k in body["by_kind"]}
    # residents are counted once however coverage is grouped
    assert sum(a["population"] for a in body["areas"]) == pytest.approx(body["total"]["population"])


def test_evaluate_a_point(client):
    body = client.get("/api/gaps/evaluate?lon=4.8389&lat=52.3668&kind=bench").get_json()
    assert body["radius_m"] == 150
    assert body["area"]["code"].startswith("F86")
    assert body["new_residents_reached"] >= 0


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("p=0", "p must lie between 1 and 200"),
        ("p=ten", "p must be a whole number"),
        ("kind=castle", "unknown place kind 'castle'"),
        ("candidates=moon", "candidates must be grid, proposals or layer:<id>"),
        ("w_lonely=-1", "w_lonely must lie between 0 and 10"),
        ("level=straat", "unknown level 'straat'"),
    ],
)
def test_bad_parameters(client, query, message):
    response = client.get(f"/api/gaps/suggestions?{query}")
    assert response.status_code == 400
    assert message in response.get_json()["error"]["message"]


def test_evaluate_outside_the_netherlands(client):
    response = client.get("/api/gaps/evaluate?lon=2.35&lat=48.85")
    assert response.status_code == 400
    assert "outside the Netherlands" in response.get_json()["error"]["message"]


def test_a_new_place_changes_the_result(client, make_place, suggestions):
    """Results are cached per data version: adding a place recomputes them."""
    top = suggestions["features"][0]
    lon, lat = top["geometry"]["coordinates"]
    make_place(name="Nieuwe buurtkamer", kind_code="buurtkamer", lon=lon, lat=lat)
    after = client.get("/api/gaps/suggestions?p=10").get_json()
    assert after["data_version"] != suggestions["data_version"]
    assert after["new_residents_reached"] < suggestions["new_residents_reached"]
    assert [round(c, 4) for c in after["features"][0]["geometry"]["coordinates"]] != [
        round(c, 4) for c in top["geometry"]["coordinates"]
    ]


def test_weights_change_the_ranking(client):
    lonely = client.get("/api/gaps/suggestions?p=3&w_lonely=5&w_cohesion=0").get_json()
    cohesion = client.get("/api/gaps/suggestions?p=3&w_lonely=0&w_cohesion=5").get_json()
    assert lonely["params"]["weights"]["lonely"] == 5
    assert [f["geometry"] for f in lonely["features"]] != [
        f["geometry"] for f in cohesion["features"]
    ]


def test_area_and_park_candidates(client):
    parks = client.get("/api/gaps/layers").get_json()["layers"]
    park_layer = next(layer for layer in parks if layer["name"] == "Parken")
    body = client.get(
        f"/api/gaps/suggestions?p=3&area=DX09&candidates=layer:{park_layer['id']}"
    ).get_json()
    assert 0 < len(body["features"]) <= 3
    for feature in body["features"]:
        assert feature["properties"]["candidate"]["source"] == "layer"
        assert any(a["code"] == "DX09" for a in feature["properties"]["area"]["ancestors"])


def test_p_larger_than_the_useful_candidates(client, login):
    login("planner@demo.placemaker.nl")  # p=200 is for planners, not the public analysis
    parks = client.get("/api/gaps/layers").get_json()["layers"]
    park_layer = next(layer for layer in parks if layer["name"] == "Parken")
    body = client.get(
        f"/api/gaps/suggestions?p=200&area=F86&candidates=layer:{park_layer['id']}"
    ).get_json()
    assert len(body["features"]) < 200
    assert "of the requested 200 sites add anything" in body["note"]


def test_scenarios_save_and_compare(client, login):
    anonymous = client.post("/api/gaps/scenarios", json={"name": "x"})
    assert (anonymous.status_code, anonymous.get_json()["error"]["code"]) == (401, "unauthorized")
    login("planner@demo.placemaker.nl")
    a = client.post("/api/gaps/scenarios", json={"name": "Vijf plekken", "params": {"p": 5}})
    b = client.post("/api/gaps/scenarios", json={"name": "Tien plekken", "params": {"p": 10}})
    assert (a.status_code, b.status_code) == (201, 201)
    compare = client.get(
        f"/api/gaps/scenarios/compare?a={a.get_json()['id']}&b={b.get_json()['id']}"
    ).get_json()
    assert compare["new_residents_reached_b"] > compare["new_residents_reached_a"]
    changes = [
        r["population_share_change"]
        for r in compare["areas"]
        if r["population_share_change"] is not None
    ]
    assert min(changes) >= 0 and max(changes) > 0
    empty = client.post("/api/gaps/scenarios", json={"name": " ", "params": {}})
    assert empty.status_code == 400
    assert empty.get_json()["error"]["message"] == "a scenario needs a name"


def test_area_manager_cannot_save_scenarios(client, login):
    login("gebiedsbeheerder@demo.placemaker.nl")
    response = client.post("/api/gaps/scenarios", json={"name": "x", "params": {}})
    assert response.status_code == 403


def test_model_round_trips_through_bytes(app_ctx):
    params = GapParams(p=5)
    model = build_model(params)
    again = GapModel.from_bytes(model.to_bytes())
    assert (again.grid.population == model.grid.population).all()
    assert (again.covered == model.covered).all()
    assert set(again.group_cover) == set(model.group_cover)


def test_cli_suggest_and_coverage(runner, tmp_path):
    out = tmp_path / "suggestions.geojson"
    result = runner.invoke(
        args=["gaps", "suggest", "--p", "3", "--area", "DX09", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "3 sites reach" in result.output
    assert "proven best" in result.output or "of the best possible" in result.output
    import json

    body = json.loads(out.read_text())
    assert len(body["features"]) == 3
    ancestors = [a["code"] for a in body["features"][0]["properties"]["area"]["ancestors"]]
    assert ancestors[:3] == ["GM0363", "F", "DX09"]
    coverage = runner.invoke(args=["gaps", "coverage", "--level", "gebied"])
    assert "% of" in coverage.output and "residents" in coverage.output
    bad = runner.invoke(args=["gaps", "suggest", "--p", "0", "--out", str(out)])
    assert bad.exit_code == 1 and "p must lie between 1 and 200" in bad.output


def test_open_proposals_as_candidates(client, make_proposal):
    """A resident's proposal becomes a candidate site, and the cache notices it."""
    before = client.get("/api/gaps/suggestions?p=3&candidates=proposals").get_json()
    assert before["features"] == [] and before["candidates"] == 0
    make_proposal(
        kind_code="buurtkamer",
        lon=4.8021,
        lat=52.3521,
        reason="Een huiskamer voor de buurt",
        name=None,
        email=None,
    )
    after = client.get("/api/gaps/suggestions?p=3&candidates=proposals").get_json()
    assert after["candidates"] == 1
    assert after["features"][0]["properties"]["candidate"]["source"] == "proposal"


def test_cells_are_sent_compressed_when_the_client_takes_gzip(client):
    import gzip
    import json

    plain = client.get("/api/gaps/cells?area=F86")
    packed = client.get("/api/gaps/cells?area=F86", headers={"Accept-Encoding": "gzip"})
    assert packed.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in packed.headers["Vary"]
    assert json.loads(gzip.decompress(packed.data)) == plain.get_json()
    cells = plain.get_json()["features"]
    assert cells and all(not c["properties"]["covered"] for c in cells)
    assert {c["properties"]["area_code"][:3] for c in cells} == {"F86"}


def test_redis_down_costs_speed_not_answers():
    from tests.conftest import TEST_DATABASE_URL, make_test_app

    app = make_test_app(TEST_DATABASE_URL, REDIS_URL="redis://localhost:1/0")
    try:
        response = app.test_client().get("/api/gaps/suggestions?p=2&area=DX09")
        assert response.status_code == 200
        assert len(response.get_json()["features"]) == 2
    finally:
        with app.app_context():
            db.engine.dispose()


def _points(*coords):
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"name": f"kavel {i}"},
                "geometry": {"type": "Point", "coordinates": list(c)},
            }
            for i, c in enumerate(coords)
        ],
    }


def test_planner_uploads_a_candidate_layer(client, login):
    sites = _points((4.8380, 52.3660), (4.8420, 52.3620), (4.8300, 52.3590))
    anonymous = client.post(
        "/api/gaps/layers", json={"name": "Kavels", "role": "candidates", "features": sites}
    )
    assert (anonymous.status_code, anonymous.get_json()["error"]["code"]) == (401, "unauthorized")
    login("planner@demo.placemaker.nl")
    response = client.post(
        "/api/gaps/layers", json={"name": "Kavels", "role": "candidates", "features": sites}
    )
    assert response.status_code == 201, response.get_json()
    layer = response.get_json()
    assert (layer["features"], layer["role"]) == (3, "candidates")
    body = client.get(f"/api/gaps/suggestions?p=2&candidates=layer:{layer['id']}").get_json()
    assert body["candidates"] == 3
    assert {f["properties"]["candidate"]["name"] for f in body["features"]} <= {
        "kavel 0",
        "kavel 1",
        "kavel 2",
    }


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (
            {
                "name": "Kavels",
                "role": "candidates",
                "features": _points((4.84, 52.36), (121000, 487000)),
            },
            "feature kavel 1: coordinates (121000, 487000) look like RD New",
        ),
        (
            {"name": "Kavels", "role": "exclude", "features": _points((4.84, 52.36))},
            "a layer to leave out needs polygons, not a Point",
        ),
        (
            {"name": "", "role": "candidates", "features": _points((4.84, 52.36))},
            "a layer needs a name",
        ),
        (
            {"name": "Kavels", "role": "garden", "features": _points((4.84, 52.36))},
            "role must be one of exclude, candidates",
        ),
        (
            {"name": "Kavels", "role": "candidates", "features": {"type": "Point"}},
            "features must be a GeoJSON FeatureCollection",
        ),
    ],
)
def test_a_bad_layer_is_refused_whole(client, login, payload, message):
    login("planner@demo.placemaker.nl")
    response = client.post("/api/gaps/layers", json=payload)
    assert response.status_code == 400
    assert message in response.get_json()["error"]["message"]
    names = {layer["name"] for layer in client.get("/api/gaps/layers").get_json()["layers"]}
    assert "Kavels" not in names


def test_area_manager_cannot_upload_layers(client, login):
    login("gebiedsbeheerder@demo.placemaker.nl")
    response = client.post(
        "/api/gaps/layers",
        json={"name": "x", "role": "candidates", "features": _points((4.84, 52.36))},
    )
    assert response.status_code == 403
