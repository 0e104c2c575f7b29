"""Places as assets: owner and keeper, condition history, checks in use, stale places, rounds,
opening hours. Services first, then the pages."""

from __future__ import annotations

import math
import random
from datetime import timedelta

import pytest
from flask import current_app
from sqlalchemy import select, update

from placemaker.assets import route, service
from placemaker.assets.models import PlaceCheck
from placemaker.errors import Forbidden, InvalidInput
from placemaker.extensions import db, limiter
from placemaker.places import opening
from placemaker.places import service as places
from placemaker.places.models import Place, PlaceCondition, PlaceStatus
from tests.factories import csrf_token

MANAGER = "gebiedsbeheerder@demo.placemaker.nl"  # DX09 Slotervaart
WEST = "beheerder.west@demo.placemaker.nl"  # DX04 Bos en Lommer
SLOTERVAART = (4.8421, 52.3655)


@pytest.fixture(autouse=True)
def _fresh_limits(app):
    with app.app_context():
        limiter.reset()
    yield


def user(email):
    from placemaker.accounts.models import User

    return db.session.scalar(select(User).where(User.email == email))


# --- owner, keeper, budget line, opening hours ----------------------------------------------


def test_owner_keeper_budget_and_hours_are_kept_with_history(make_place):
    place = make_place(
        owner_org="Woonstichting Samen",
        keeper="Wijkbeheer groen",
        budget_line="7.301 Buitenruimte",
        opening_hours="Mo-Fr 12:00-18:00",
    )
    assert (place.owner_org, place.keeper, place.budget_line) == (
        "Woonstichting Samen",
        "Wijkbeheer groen",
        "7.301 Buitenruimte",
    )
    assert places.update_place(place, {"keeper": "Bewonersgroep Plein"}, places.Actor("t"))
    change = places.history(place)[-1]
    assert change.old_values == {"keeper": "Wijkbeheer groen"}
    assert change.new_values == {"keeper": "Bewonersgroep Plein"}


def test_bad_opening_hours_are_refused_with_the_syntax_named(make_place):
    place = make_place()
    with pytest.raises(InvalidInput, match="opening_hours-notatie") as caught:
        places.update_place(place, {"opening_hours": "maandag tot vrijdag"}, places.Actor("t"))
    assert caught.value.details == {"field": "opening_hours"}
    db.session.refresh(place)
    assert place.opening_hours is None


def test_opening_hours_in_dutch_and_english(app_ctx):
    nl = opening.week_table("Mo-Fr 12:00-18:00; Sa 10:00-14:00", "nl")
    assert nl[0] == ("maandag", ["12:00–18:00"])
    assert nl[5] == ("zaterdag", ["10:00–14:00"])
    assert nl[6] == ("zondag", [])
    assert opening.describe("24/7", "en").startswith("Monday 00:00–24:00")
    assert "zondag gesloten" in opening.describe("Mo-Sa 09:00-17:00", "nl")


def test_places_list_filters_by_owner_and_keeper(client, make_place, login):
    make_place(name="Bank van de corporatie", owner_org="Woonstichting Samen")
    make_place(name="Bank van de gemeente", owner_org="Gemeente", keeper="Stadsdeel groen")
    db.session.commit()
    body = client.get("/places?owner=woonstichting").get_data(as_text=True)
    assert "Bank van de corporatie" in body and "Bank van de gemeente" not in body
    body = client.get("/places?keeper=stadsdeel+groen").get_data(as_text=True)
    assert "Bank van de gemeente" in body and "Bank van de corporatie" not in body
    assert "Woonstichting Samen" in client.get("/places?owner=Woon").get_data(as_text=True)


def test_managers_edit_owner_keeper_and_hours_in_the_registry_form(client, make_place, login):
    place = make_place(name="Bank aan het plein")
    db.session.commit()
    login(MANAGER)
    page = client.get(f"/places/{place.id}/edit")
    assert 'name="owner_org"' in page.get_data(as_text=True)
    data = {
        "csrf_token": csrf_token(page),
        "version": str(place.version),
        "name": "Bank aan het plein",
        "kind_code": "bench",
        "lon": str(SLOTERVAART[0]),
        "lat": str(SLOTERVAART[1]),
        "owner_org": "Gemeente",
        "keeper": "Team groen",
        "budget_line": "B-12",
        "opening_hours": "Mo-Fx",
    }
    bad = client.post(f"/places/{place.id}/edit", data=data)
    assert bad.status_code == 400
    text = bad.get_data(as_text=True)
    assert "opening_hours-notatie" in text and 'value="Team groen"' in text
    data["opening_hours"] = "Mo-Fr 12:00-18:00"
    assert client.post(f"/places/{place.id}/edit", data=data).status_code == 303
    db.session.refresh(place)
    assert (place.owner_org, place.keeper, place.budget_line, place.opening_hours) == (
        "Gemeente",
        "Team groen",
        "B-12",
        "Mo-Fr 12:00-18:00",
    )
    shown = client.get(f"/places/{place.id}").get_data(as_text=True)
    assert "Team groen" in shown and "B-12" in shown and "maandag" in shown


def test_the_budget_line_is_for_managers_only(client, make_place):
    place = make_place(owner_org="Gemeente", budget_line="B-12")
    db.session.commit()
    body = client.get(f"/places/{place.id}").get_data(as_text=True)
    assert "Gemeente" in body and "B-12" not in body


# --- condition and checks -------------------------------------------------------------------


def test_condition_history_is_dated_and_keeps_the_old_value(make_place):
    place = make_place()
    actor = places.Actor("manager@test", None)
    first = service.set_condition(place, "broken", actor, "Zitting kapot")
    assert place.condition is PlaceCondition.broken
    assert (first.old_condition, first.new_condition, first.note) == (
        "good",
        "broken",
        "Zitting kapot",
    )
    assert service.set_condition(place, "broken", actor) is None  # no change, no note
    service.set_condition(place, "good", actor, "Gerepareerd")
    assert [(c.action, c.new_condition) for c in service.checks(place)] == [
        ("condition", "broken"),
        ("condition", "good"),
    ]
    assert all(c.at is not None for c in service.checks(place))
    with pytest.raises(InvalidInput, match="moet een van"):
        service.set_condition(place, "wobbly", actor)


def test_a_condition_does_not_make_an_open_edit_form_stale(make_place):
    place = make_place()
    version = place.version
    service.set_condition(place, "needs_attention", places.Actor("m"))
    service.confirm_in_use(place, places.Actor("m"))
    db.session.refresh(place)
    assert place.version == version
    assert places.update_place(
        place, {"name": "Nieuwe naam"}, places.Actor("m"), expected_version=version
    )


def test_managers_only_handle_places_in_their_areas(make_place):
    place = make_place()
    with pytest.raises(Forbidden):
        service.manager_set_condition(user(WEST), place, "broken")
    with pytest.raises(Forbidden):
        service.manager_confirm(user(WEST), place)
    service.manager_confirm(user(MANAGER), place, "Vol met mensen")
    assert place.last_confirmed_at is not None
    check = service.checks(place)[-1]
    assert (check.action, check.actor, check.note) == ("in_use", MANAGER, "Vol met mensen")


def test_residents_confirm_once_per_device_per_day(make_place):
    place = make_place()
    assert service.resident_confirm(place, "device-a") is True
    assert service.resident_confirm(place, "device-a") is False
    assert service.resident_confirm(place, "device-b") is True
    in_use = [c for c in service.checks(place) if c.action == "in_use"]
    assert [c.actor for c in in_use] == ["resident", "resident"]
    assert all(c.user_id is None for c in in_use)


def test_a_gone_place_cannot_be_confirmed(make_place):
    place = make_place(status="gone")
    with pytest.raises(InvalidInput):
        service.resident_confirm(place, "device-x")


def test_resident_confirmation_from_the_page_sets_a_signed_cookie(client, make_place):
    place = make_place()
    db.session.commit()
    page = client.get(f"/places/{place.id}")
    assert "nooit" in page.get_data(as_text=True) or "never" in page.get_data(as_text=True)
    token = csrf_token(page)
    first = client.post(f"/places/{place.id}/in-gebruik", data={"csrf_token": token})
    assert first.status_code == 303
    cookie = first.headers["Set-Cookie"]
    assert cookie.startswith("apparaat=") and "HttpOnly" in cookie
    again = client.post(
        f"/places/{place.id}/in-gebruik", data={"csrf_token": token}, follow_redirects=True
    )
    assert "al bevestigd" in again.get_data(as_text=True)
    assert len([c for c in service.checks(place) if c.action == "in_use"]) == 1
    # Without the CSRF token nothing is recorded.
    assert client.post(f"/places/{place.id}/in-gebruik").status_code == 400


def test_resident_confirmations_are_rate_limited_per_ip(app, client, make_place):
    app.config["PLACE_CONFIRM_RATE_LIMIT"] = "2 per hour"
    try:
        place = make_place()
        db.session.commit()
        token = csrf_token(client.get(f"/places/{place.id}"))
        codes = [
            client.post(
                f"/places/{place.id}/in-gebruik", data={"csrf_token": token}, headers={"Cookie": ""}
            ).status_code
            for _ in range(3)
        ]
    finally:
        app.config["PLACE_CONFIRM_RATE_LIMIT"] = "30 per hour"
    assert codes == [303, 303, 429]


def test_manager_sets_condition_on_the_place_page(client, make_place, login):
    place = make_place()
    db.session.commit()
    login(MANAGER)
    page = client.get(f"/places/{place.id}")
    response = client.post(
        f"/places/{place.id}/conditie",
        data={
            "csrf_token": csrf_token(page),
            "condition": "broken",
            "note": "Poot los",
            "action": "condition",
        },
        follow_redirects=True,
    )
    body = response.get_data(as_text=True)
    assert "Kapot" in body and "Poot los" in body
    db.session.refresh(place)
    assert place.condition is PlaceCondition.broken


# --- stale places and the round -------------------------------------------------------------


def test_stale_after_the_configured_days(make_place):
    place = make_place()
    assert service.is_stale(place)  # never confirmed
    service.confirm_in_use(place, places.Actor("m"))
    assert not service.is_stale(place)
    db.session.execute(
        update(Place)
        .where(Place.id == place.id)
        .values(last_confirmed_at=service.db_now() - timedelta(days=10))
    )
    db.session.refresh(place)
    current_app.config["PLACE_STALE_DAYS"] = 7
    try:
        assert service.is_stale(place)
    finally:
        current_app.config["PLACE_STALE_DAYS"] = 180
    assert not service.is_stale(place)


def test_two_opt_untangles_a_crossing_and_never_lengthens():
    points = [(0, 0), (10, 10), (10, 0), (0, 10)]
    crossing = [0, 1, 2, 3]
    better = route.two_opt(points, crossing)
    assert route.length(points, better) < route.length(points, crossing)
    rng = random.Random(7)
    for _ in range(20):
        pts = [(rng.uniform(0, 1000), rng.uniform(0, 1000)) for _ in range(25)]
        nn = route.nearest_neighbour(pts, 0)
        opt = route.two_opt(pts, nn)
        assert sorted(opt) == list(range(25)) and opt[0] == 0
        assert route.length(pts, opt) <= route.length(pts, nn) + 1e-6


def test_a_round_on_a_line_visits_in_order():
    points = [(float(x), 0.0) for x in (500, 0, 300, 100, 400, 200)]
    order = route.walking_round(points)
    assert [points[i][0] for i in order] == [0, 100, 200, 300, 400, 500]
    assert math.isclose(route.length(points, order), 500)


def test_visit_round_holds_the_managers_stale_places_in_walking_order(make_place):
    manager = user(MANAGER)
    db.session.execute(update(Place).values(last_confirmed_at=service.db_now()))
    spots = [(4.8400, 52.3650), (4.8440, 52.3650), (4.8420, 52.3650), (4.8460, 52.3650)]
    made = [make_place(name=f"Stil {i}", lon=lon, lat=lat) for i, (lon, lat) in enumerate(spots)]
    gone = make_place(name="Weg", status="gone")
    tour = service.visit_round(manager)
    ids = [s.place.id for s in tour.stops]
    assert gone.id not in ids
    assert ids == [made[0].id, made[2].id, made[1].id, made[3].id]  # west to east
    assert tour.length_m == pytest.approx(sum(s.leg_m for s in tour.stops), abs=3)
    assert service.visit_round(user(WEST)).stops == []  # not in Bos en Lommer


def test_visit_round_page(client, make_place, login):
    db.session.execute(update(Place).values(last_confirmed_at=service.db_now()))
    make_place(name="Vergeten bankje")
    db.session.commit()
    login(MANAGER)
    body = client.get("/moderatie/bezoekronde").get_data(as_text=True)
    assert "Vergeten bankje" in body and "2-opt" in body


def test_place_page_shows_condition_and_last_confirmed(client, make_place):
    place = make_place()
    service.confirm_in_use(place, places.Actor("m"))
    service.set_condition(place, "needs_attention", places.Actor("m"))
    db.session.commit()
    body = client.get(f"/places/{place.id}?lang=en").get_data(as_text=True)
    assert "Needs attention" in body and 'id="last-confirmed"' in body
    assert "Seen in use" in body


def test_checks_are_cascade_deleted_with_their_place(make_place):
    place = make_place()
    service.confirm_in_use(place, places.Actor("m"))
    db.session.delete(place)
    db.session.flush()
    assert db.session.scalars(select(PlaceCheck).where(PlaceCheck.place_id == place.id)).all() == []


def test_status_gone_keeps_condition_separate(make_place):
    place = make_place()
    places.update_place(place, {"status": "gone"}, places.Actor("m"))
    assert place.status is PlaceStatus.gone and place.condition is PlaceCondition.good


# --- opening hours in the gap analysis ------------------------------------------------------


def test_window_arithmetic():
    from placemaker.gaps import hours

    afternoons, evenings = hours.WINDOWS["weekday_afternoons"], hours.WINDOWS["evenings"]
    assert (afternoons.hours, evenings.hours) == (30, 35)
    assert hours.open_hours("Mo-Fr 12:00-18:00", afternoons) == 30
    assert hours.open_hours("Mo-Fr 12:00-18:00", evenings) == 0
    assert hours.open_hours("Tu,Th 17:00-20:00", evenings) == 4
    assert hours.open_hours(None, evenings) == 35  # a bench: always there
    assert hours.counts("Mo-Fr 12:00-18:00", afternoons)
    assert not hours.counts("Mo-Fr 12:00-18:00", evenings)
    assert hours.counts("Mo-Fr 12:00-18:00", None)
    assert hours.explain("Tu,Th 17:00-20:00", evenings, "en") == "open 4 of 35 hours (evenings)"
    assert hours.explain("Tu,Th 17:00-20:00", evenings, "nl") == "open 4 van 35 uur (avonden)"


def test_a_place_open_on_weekday_afternoons_covers_its_cells_then_and_not_in_the_evening(
    client, app
):
    """The only community centre in the analysis, open on weekday afternoons only."""
    from placemaker.gaps.model import build_model
    from placemaker.gaps.params import GapParams

    with app.test_request_context():
        db.session.execute(
            update(Place)
            .where(Place.kind_code == "community_centre")
            .values(status=PlaceStatus.gone)
        )
        centre = places.create_place(
            {
                "name": "Buurthuis De Middag",
                "kind_code": "community_centre",
                "lon": 4.8421,
                "lat": 52.3655,
                "opening_hours": "Mo-Fr 12:00-18:00",
            },
            places.Actor("t"),
        )
        db.session.flush()
        afternoon = build_model(GapParams(kind="community_centre", window="weekday_afternoons"))
        evening = build_model(GapParams(kind="community_centre", window="evenings"))
        assert list(afternoon.place_ids) == [centre.id]
        assert afternoon.covered.sum() > 0
        assert list(evening.place_ids) == [] and evening.covered.sum() == 0
        db.session.commit()
        centre_id = centre.id
    body = client.get("/api/gaps/coverage?kind=community_centre&window=evenings").get_json()
    assert body["params"]["window"] == "evenings"
    assert body["window"]["code"] == "evenings" and body["window"]["hours"] == 35
    explained = {p["id"]: p for p in body["window"]["places"]}[centre_id]
    assert explained["open_hours"] == 0 and explained["counts"] is False
    assert explained["explanation_en"] == "open 0 of 35 hours (evenings)"
    assert body["total"]["covered_population"] == 0
    day = client.get("/api/gaps/coverage?kind=community_centre&window=weekday_afternoons")
    assert day.get_json()["total"]["covered_population"] > 0
    assert day.get_json()["window"]["code"] == "weekday_afternoons"
    plain = client.get("/api/gaps/coverage?kind=community_centre").get_json()
    assert plain["window"] is None
    bad = client.get("/api/gaps/coverage?window=nachts")
    assert bad.status_code == 400 and "window must be one of" in bad.get_json()["error"]["message"]


# --- exports, OGC and the open-data feed ----------------------------------------------------


def test_ogc_api_and_exports_carry_owner_hours_condition_and_confirmation(client, make_place):
    place = make_place(
        name="Koffiehoek",
        owner_org="Kringloop Oost",
        keeper="Vrijwilligers",
        budget_line="Geheim-7",
        opening_hours="Tu,Th 12:00-17:00",
    )
    service.confirm_in_use(place, places.Actor("m"))
    service.set_condition(place, "needs_attention", places.Actor("m"))
    db.session.commit()
    item = client.get(f"/ogc/collections/places/items/{place.id}").get_json()
    props = item["properties"]
    assert props["owner"] == "Kringloop Oost" and props["keeper"] == "Vrijwilligers"
    assert props["opening_hours"] == "Tu,Th 12:00-17:00"
    assert props["condition"] == "needs_attention"
    assert props["last_confirmed_at"].endswith("Z")
    assert "Geheim-7" not in str(item)
    found = client.get("/ogc/collections/places/items?owner=Kringloop%20Oost").get_json()
    assert [f["id"] for f in found["features"]] == [place.id]
    broken = client.get("/ogc/collections/places/items?condition=broken&limit=1000").get_json()
    assert place.id not in [f["id"] for f in broken["features"]]
    assert client.get("/ogc/collections/places/items?condition=wobbly").status_code == 400
    queryables = client.get("/ogc/collections/places/queryables").get_json()
    assert {"owner", "keeper", "condition"} <= set(queryables["properties"])
    api = client.get(f"/api/places/{place.id}").get_json()["properties"]
    assert api["open_reports"] == 0 and api["owner"] == "Kringloop Oost"


def test_open_data_feed_of_meeting_places(client, make_place):
    kept = make_place(name="Moestuin Zuid", owner_org="Bewonersgroep", opening_hours="24/7")
    service.confirm_in_use(kept, places.Actor("m"))
    gone = make_place(name="Oude bank", status="gone")
    db.session.commit()
    response = client.get("/open-data/ontmoetingsplekken.geojson")
    assert response.mimetype == "application/geo+json"
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    body = response.get_json()
    ids = {f["id"]: f for f in body["features"]}
    assert gone.id not in ids and body["number_returned"] == len(body["features"])
    props = ids[kept.id]["properties"]
    assert props["owner"] == "Bewonersgroep" and props["kind"] == "bench"
    assert props["opening_hours"] == "24/7" and props["last_confirmed_at"].endswith("Z")
    assert "budget_line" not in props


def test_csv_export_carries_the_asset_fields(client, make_place):
    import csv
    import io

    place = make_place(owner_org="Gemeente", keeper="Team groen", opening_hours="Mo 09:00-12:00")
    db.session.commit()
    data = client.get("/exports/places.csv").get_data().decode()
    row = next(r for r in csv.DictReader(io.StringIO(data)) if r["id"] == str(place.id))
    assert (row["owner"], row["keeper"], row["opening_hours"], row["condition"]) == (
        "Gemeente",
        "Team groen",
        "Mo 09:00-12:00",
        "good",
    )
    assert row["last_confirmed_at"] == ""
