"""The planners' endpoints under abuse: layer ownership, bad JSON, expensive anonymous analyses."""

from __future__ import annotations

import pytest

from placemaker.demo import WATER_LAYER
from tests.factories import csrf_token
from tests.test_gaps_service import _points
from tests.test_proposals import new_client

PLANNER = "planner@demo.placemaker.nl"
ADMIN = "admin@demo.placemaker.nl"


def _layer(client, name: str, role: str = "candidates"):
    return client.post("/api/gaps/layers", json={
        "name": name, "role": role, "features": _points((4.8380, 52.3660), (4.8420, 52.3620))})


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
    client = new_client(app)
    page = client.get("/login")
    response = client.post("/login", data={"email": email, "password": password,
                                           "csrf_token": csrf_token(page)})
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
