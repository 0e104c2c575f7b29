"""Personal API tokens: made and revoked on a page, stored hashed, sent as a bearer token."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from placemaker.accounts.models import Role, User
from placemaker.errors import Forbidden, InvalidInput
from placemaker.extensions import db
from placemaker.ogc.registry import Collection, Property, page_in_memory, registry
from placemaker.tokens import service
from placemaker.tokens.models import ApiToken
from tests.factories import csrf_token

PLANNER = "planner@demo.placemaker.nl"


def test_token_is_stored_hashed_and_works_until_revoked(app_ctx, make_user):
    planner = make_user(role="planner")
    token, raw = service.create_token(planner, "QGIS op mijn laptop")
    assert raw.startswith("pm_") and len(raw) > 40
    stored = db.session.scalar(select(ApiToken).where(ApiToken.id == token.id))
    assert stored.token_hash != raw and raw not in stored.token_hash
    assert stored.prefix == raw[:10]
    assert service.user_for_token(raw) == planner
    assert stored.last_used_at is not None
    assert service.user_for_token(raw + "x") is None
    service.revoke_token(token.id, planner)
    assert service.user_for_token(raw) is None


def test_disabled_user_token_stops_working(app_ctx, make_user):
    planner = make_user(role="planner")
    _, raw = service.create_token(planner, "script")
    planner.active = False
    db.session.flush()
    assert service.user_for_token(raw) is None


def test_who_may_hold_and_revoke(app_ctx, make_user):
    manager = make_user(role="area_manager")
    with pytest.raises(Forbidden):
        service.create_token(manager, "mag niet")
    planner, other, admin = (
        make_user(role="planner"),
        make_user(role="planner"),
        make_user(role="admin"),
    )
    token, _ = service.create_token(planner, "van planner")
    with pytest.raises(InvalidInput):
        service.create_token(planner, "   ")
    from placemaker.errors import NotFound

    with pytest.raises(NotFound):
        service.revoke_token(token.id, other)
    assert token in service.visible_tokens(admin) and token not in service.visible_tokens(other)
    assert service.revoke_token(token.id, admin).revoked_at is not None


def test_token_page_shows_a_new_token_once(client, app, login):
    login(PLANNER)
    page = client.get("/account/tokens?lang=en")
    assert page.status_code == 200
    response = client.post(
        "/account/tokens", data={"name": "QGIS <script>", "csrf_token": csrf_token(page)}
    )
    assert response.status_code == 201
    assert response.headers["Cache-Control"] == "no-store"
    html = response.get_data(as_text=True)
    raw = re.search(r'id="token-value">(pm_[^<]+)<', html).group(1)
    assert "QGIS &lt;script&gt;" in html and "<script>" not in html.split("<main", 1)[1]
    again = client.get("/account/tokens").get_data(as_text=True)
    assert raw not in again and raw[:10] in again
    # revoke it
    with app.app_context():
        token_id = db.session.scalar(select(ApiToken.id).where(ApiToken.prefix == raw[:10]))
    response = client.post(
        f"/account/tokens/{token_id}/revoke", data={"csrf_token": csrf_token(page)}
    )
    assert response.status_code == 303
    with app.app_context():
        assert service.user_for_token(raw) is None


def test_token_page_refuses_others(client, login):
    anonymous = client.get("/account/tokens")
    assert anonymous.status_code == 302 and anonymous.headers["Location"].startswith("/login")
    login("gebiedsbeheerder@demo.placemaker.nl")
    assert client.get("/account/tokens").status_code == 403


def test_forms_need_csrf(client, login):
    login(PLANNER)
    assert client.post("/account/tokens", data={"name": "x"}).status_code == 400


# --- bearer tokens on the data paths ----------------------------------------------------------


@pytest.fixture()
def private_collection(app):
    features = [
        {
            "type": "Feature",
            "id": "s1",
            "geometry": {"type": "Point", "coordinates": [4.85, 52.36]},
            "properties": {"note": "nog niet openbaar"},
        }
    ]
    collection = Collection(
        id="secret_plans",
        title="Plans",
        description="Not public yet",
        geometry_type="Point",
        properties=(Property("note"),),
        items=lambda q: page_in_memory(features, q),
        item=lambda fid: next((f for f in features if f["id"] == fid), None),
        public=False,
    )
    from placemaker.ogc.registry import register_collection

    register_collection(app, collection)
    yield collection
    del registry(app).fixed["secret_plans"]


def bearer(raw: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {raw}"}


def new_token(app, make_user, name: str) -> tuple[int, int, str]:
    """A new planner with a token: (user id, token id, raw token)."""
    with app.app_context():
        planner = make_user(role="planner")
        token, raw = service.create_token(planner, name)
        db.session.commit()
        return planner.id, token.id, raw


def test_private_collection_needs_a_token(client, app, make_user, private_collection):
    _, _, raw = new_token(app, make_user, "QGIS")
    url = "/ogc/collections/secret_plans/items"
    anonymous = client.get(url)
    assert anonymous.status_code == 401
    assert anonymous.headers["WWW-Authenticate"] == 'Bearer realm="placemaker"'
    assert anonymous.get_json()["error"]["code"] == "unauthorized"
    listed = {c["id"] for c in client.get("/ogc/collections").get_json()["collections"]}
    assert "secret_plans" not in listed
    response = client.get(url, headers=bearer(raw))
    assert response.status_code == 200
    assert response.get_json()["features"][0]["properties"]["note"] == "nog niet openbaar"
    listed = {
        c["id"]
        for c in client.get("/ogc/collections", headers=bearer(raw)).get_json()["collections"]
    }
    assert "secret_plans" in listed
    assert client.get("/exports/secret_plans.csv").status_code == 401
    csv = client.get("/exports/secret_plans.csv", headers=bearer(raw))
    assert csv.status_code == 200 and "nog niet openbaar" in csv.get_data(as_text=True)


def test_a_logged_in_planner_reads_private_pages(client, login, private_collection):
    login(PLANNER)
    page = client.get("/ogc/collections/secret_plans/items?f=html")
    assert page.status_code == 200 and "nog niet openbaar" in page.get_data(as_text=True)


def test_wrong_role_gets_403(client, app, make_user, private_collection):
    planner_id, _, raw = new_token(app, make_user, "oud")
    with app.app_context():
        db.session.get(User, planner_id).role = Role.area_manager
        db.session.commit()
    assert client.get("/ogc/collections/secret_plans", headers=bearer(raw)).status_code == 403


@pytest.mark.parametrize("header", ["Bearer pm_unknown", "Bearer ", "Basic dXNlcjpwdw=="])
def test_bad_credentials_are_refused_even_on_public_data(client, header):
    response = client.get("/api/kinds", headers={"Authorization": header})
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith('Bearer realm="placemaker"')


def test_revoked_token_is_refused(client, app, make_user):
    planner_id, token_id, raw = new_token(app, make_user, "weg")
    assert client.get("/ogc/collections", headers=bearer(raw)).status_code == 200
    with app.app_context():
        service.revoke_token(token_id, db.session.get(User, planner_id))
        db.session.commit()
    response = client.get("/ogc/collections", headers=bearer(raw))
    assert response.status_code == 401
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]


def test_tokens_do_not_log_in_to_pages(client, app, make_user):
    _, _, raw = new_token(app, make_user, "alleen data")
    response = client.get("/account/tokens", headers=bearer(raw))
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")
