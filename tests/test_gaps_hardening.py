"""The planners' endpoints under abuse: layer ownership, bad JSON, expensive anonymous analyses."""

from __future__ import annotations

import pytest
from flask import current_app

from placemaker.demo import WATER_LAYER
from placemaker.extensions import db
from tests.factories import csrf_token
from tests.test_gaps_service import _points

PLANNER = "planner@demo.placemaker.nl"
ADMIN = "admin@demo.placemaker.nl"


def _layer(client, name: str, role: str = "candidates"):
    return client.post(
        "/api/gaps/layers",
        json={
            "name": name,
            "role": role,
            "features": _points((4.8380, 52.3660), (4.8420, 52.3620)),
        },
    )


def _layers(client) -> dict[str, dict]:
    return {layer["name"]: layer for layer in client.get("/api/gaps/layers").get_json()["layers"]}


def test_shipped_layers_cannot_be_replaced_over_http(client, login):
    before = _layers(client)[WATER_LAYER]
    login(ADMIN)
    response = _layer(client, WATER_LAYER)
    assert response.status_code == 403
    assert "cannot be replaced" in response.get_json()["error"]["message"]
    assert _layers(client)[WATER_LAYER] == before  # still the water, still "exclude"


def _logged_in(app, email: str, password: str = "placemaker-demo"):
    client = app.test_client()
    page = client.get("/login")
    response = client.post(
        "/login", data={"email": email, "password": password, "csrf_token": csrf_token(page)}
    )
    assert response.status_code == 303, response.get_data(as_text=True)[-1500:]
    return client


def test_a_planner_cannot_replace_somebody_elses_layer(app):
    admin, planner = _logged_in(app, ADMIN), _logged_in(app, PLANNER)
    assert _layer(admin, "Kavels gedeeld").status_code == 201  # the shared, admin-owned set
    refused = _layer(planner, "Kavels gedeeld", role="exclude")
    assert refused.status_code == 403, refused.get_json()
    assert "belongs to somebody else" in refused.get_json()["error"]["message"]
    assert _layers(planner)["Kavels gedeeld"]["role"] == "candidates"
    # Their own layer a planner may replace; an administrator may replace anybody's upload.
    assert _layer(planner, "Kavels Oost").status_code == 201
    assert _layer(planner, "Kavels Oost", role="candidates").status_code == 201
    assert _layer(admin, "Kavels Oost").status_code == 201


@pytest.fixture(autouse=True)
def _fresh_limits(app):
    from placemaker.extensions import limiter

    with app.app_context():
        limiter.reset()
    yield
    with app.app_context():  # the logins here must not count against the next module's
        limiter.reset()


# --- the public analysis is throttled ---------------------------------------------------------


def test_expensive_parameters_need_a_login(app, client):
    for query, message in (
        ("p=200", "without logging in p may be at most 25"),
        ("radius=5000", "without logging in radius may be at most 1500 m"),
    ):
        response = client.get(f"/api/gaps/suggestions?{query}")
        assert response.status_code == 400
        assert message in response.get_json()["error"]["message"]
    planner = _logged_in(app, PLANNER)
    assert planner.get("/api/gaps/coverage?radius=2000").status_code == 200


def test_the_public_analysis_is_rate_limited_per_client(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "GAPS_ANON_RATE_LIMIT", "3 per minute")
    for _ in range(3):
        assert client.get("/api/gaps/layers").status_code == 200
    refused = client.get("/api/gaps/layers")
    assert refused.status_code == 429 and "Retry-After" in refused.headers
    assert refused.get_json()["error"]["code"] == "too_many_requests"
    assert client.get("/api/places?limit=1").status_code == 200  # the registry is not limited
    headers = {"Authorization": f"Bearer {_token(PLANNER)}"}
    assert client.get("/api/gaps/layers", headers=headers).status_code == 200


def test_cold_analyses_beyond_the_bound_get_503_with_retry_after(app, monkeypatch):
    from placemaker import throttle

    client = app.test_client()  # its own g: the slot below is somebody else's request

    monkeypatch.setitem(app.config, "GAPS_SLOT_WAIT", 0)
    cold = "/api/gaps/coverage?w_lonely=0.123457"  # a weight nobody asked for: not cached
    # The test body runs in a context of a twin app: the slot is another worker's request.
    with throttle.slot("gaps", 1):
        busy = client.get(cold)
        assert busy.status_code == 503, busy.get_json()
        assert int(busy.headers["Retry-After"]) >= 5
        assert busy.get_json()["error"]["code"] == "busy"
        assert client.get("/api/places?limit=1").status_code == 200
        assert client.get("/healthz").status_code == 200
    assert client.get(cold).status_code == 200  # the slot is free again
    assert client.get(cold).status_code == 200  # and now it is cached


def _token(email: str) -> str:
    from placemaker.tokens.service import create_token
    from tests.test_proposals import user

    with current_app.test_request_context():
        _, raw = create_token(user(email), "test")
        db.session.commit()
    return raw


def test_api_tokens_work_on_every_planner_post(client):
    headers = {"Authorization": f"Bearer {_token(PLANNER)}"}
    saved = client.post(
        "/api/gaps/scenarios", headers=headers, json={"name": "Met een token", "params": {"p": 3}}
    )
    assert saved.status_code == 201, saved.get_json()
    layer = client.post(
        "/api/gaps/layers",
        headers=headers,
        json={"name": "Token-kavels", "role": "candidates", "features": _points((4.838, 52.366))},
    )
    assert layer.status_code == 201, layer.get_json()
    assert "Set-Cookie" not in layer.headers  # the token logs nobody in
    # A revoked or unknown token is refused; a page is no data path (tokens do not count).
    bad = {"Authorization": "Bearer pm_unknown"}
    assert client.post("/api/gaps/scenarios", headers=bad, json={"name": "x"}).status_code == 401


# --- malformed JSON is a 400 or 413, never a 500 ----------------------------------------------


def _point_feature(**changes):
    return {
        "type": "Feature",
        "properties": {"name": "a"},
        "geometry": {"type": "Point", "coordinates": [4.84, 52.36]},
        **changes,
    }


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ([1, 2], "the body must be a JSON object"),
        ({"name": "x", "params": [1]}, "params must be a JSON object"),
        ({"name": "x", "params": {"p": {"a": 1}}}, "params holds numbers and text only"),
        ({"name": 12}, "name must be text"),
        ({"name": "x", "description": "a\x00b"}, "NUL character"),
        ({"name": "x", "description": {"a": 1}}, "description must be text"),
        ({"name": "x", "description": "d" * 5001}, "description has at most 5000 characters"),
    ],
)
def test_bad_scenario_bodies_are_400(app, body, message):
    planner = _logged_in(app, PLANNER)
    response = planner.post("/api/gaps/scenarios", json=body)
    assert response.status_code == 400, response.get_data(as_text=True)[:300]
    assert message in response.get_json()["error"]["message"]


@pytest.mark.parametrize(
    ("features", "message"),
    [
        (["a string"], "a feature must be a JSON object, not str"),
        (
            [
                _point_feature(
                    geometry={"type": "Circle", "coordinates": [4.84, 52.36], "radius": 100}
                )
            ],
            "geometry type 'Circle' is not GeoJSON",
        ),
        ([_point_feature(properties=["a", "b"])], "properties must be a JSON object"),
        ([_point_feature(properties={"name": "a\x00"})], "NUL character"),
        ([_point_feature(geometry="POINT (4 52)")], "geometry must be a GeoJSON geometry object"),
    ],
)
def test_bad_layer_features_are_400(app, features, message):
    planner = _logged_in(app, PLANNER)
    response = planner.post(
        "/api/gaps/layers",
        json={
            "name": "Kapot",
            "role": "candidates",
            "features": {"type": "FeatureCollection", "features": features},
        },
    )
    assert response.status_code == 400, response.get_data(as_text=True)[:300]
    assert message in response.get_json()["error"]["message"]


def test_deep_nesting_and_huge_bodies_are_refused(app):
    planner = _logged_in(app, PLANNER)
    deep = "[" * 10_000 + "]" * 10_000
    for path in ("/api/gaps/scenarios", "/api/gaps/layers"):
        response = planner.post(path, data=deep, content_type="application/json")
        assert response.status_code == 400
        assert "nested deeper than" in response.get_json()["error"]["message"]
    huge = '{"name": "x", "description": "' + "d" * (6 * 1024 * 1024) + '"}'
    response = planner.post("/api/gaps/scenarios", data=huge, content_type="application/json")
    assert response.status_code == 413
    assert response.get_json()["error"]["code"] == "request_entity_too_large"


# --- layer geometry: flat polygons, the 1 % repair rule, the crs member ------------------------


def _polygon(*ring):
    return {
        "type": "Feature",
        "properties": {"name": "vlak"},
        "geometry": {"type": "Polygon", "coordinates": [[list(c) for c in ring]]},
    }


BOW_TIE = _polygon((4.84, 52.36), (4.85, 52.37), (4.85, 52.36), (4.84, 52.37), (4.84, 52.36))
# A square with a tiny twist in one corner: the repair changes its area by far less than 1 %.
SMALL_TWIST = _polygon(
    (4.84, 52.36),
    (4.85, 52.36),
    (4.85, 52.37),
    (4.8401, 52.37),
    (4.84, 52.3699),
    (4.84005, 52.37),
    (4.84, 52.36),
)


@pytest.mark.parametrize(
    ("features", "message"),
    [
        (
            [_polygon((4.84, 52.36), (4.85, 52.36), (4.86, 52.36), (4.84, 52.36))],
            "cannot be repaired safely",
        ),  # flat: three points on one line
        ([_polygon((4.84, 52.36), (4.85, 52.37))], "geometry cannot be read"),  # two points
        ([BOW_TIE], "cannot be repaired safely"),
    ],
)
def test_flat_and_badly_twisted_polygons_are_refused(app, features, message):
    planner = _logged_in(app, PLANNER)
    response = planner.post(
        "/api/gaps/layers",
        json={
            "name": "Vlakken",
            "role": "exclude",
            "features": {"type": "FeatureCollection", "features": features},
        },
    )
    assert response.status_code == 400, response.get_json()
    assert message in response.get_json()["error"]["message"]


def test_a_slightly_twisted_polygon_is_repaired_with_a_note(app):
    planner = _logged_in(app, PLANNER)
    response = planner.post(
        "/api/gaps/layers",
        json={
            "name": "Bijna goed",
            "role": "exclude",
            "features": {"type": "FeatureCollection", "features": [SMALL_TWIST]},
        },
    )
    assert response.status_code == 201, response.get_json()
    assert any("repaired" in note for note in response.get_json()["notes"])


@pytest.mark.parametrize(
    "crs", [{"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::28992"}}, "EPSG:28992"]
)
def test_the_crs_member_is_honoured(app, crs):
    planner = _logged_in(app, PLANNER)
    response = planner.post(
        "/api/gaps/layers",
        json={
            "name": "RD",
            "role": "candidates",
            "features": {
                "type": "FeatureCollection",
                "crs": crs,
                "features": [
                    _point_feature(geometry={"type": "Point", "coordinates": [121000, 487000]})
                ],
            },
        },
    )
    assert response.status_code == 400
    assert "send WGS84" in response.get_json()["error"]["message"]
