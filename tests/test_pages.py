"""The pages through the test client, and the page services without HTTP."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from placemaker.areas.models import Area, CohesionScore
from placemaker.extensions import db
from placemaker.places.models import Place, PlaceChange
from tests.factories import csrf_token

HOSTILE = "<img src=x onerror=alert(1)>"
IN_DX09 = (4.8421, 52.3655)  # Overtoomse Veld Noord, Slotervaart
IN_DX04 = (4.8445, 52.3800)  # Kolenkitbuurt Noord, Bos en Lommer
IN_DX05 = (4.8500, 52.3580)  # Oud-West, De Baarsjes: nobody's area in the demo
MANAGER = "gebiedsbeheerder@demo.placemaker.nl"  # DX09
CDN_HOSTS = (
    "cdn.jsdelivr",
    "cdnjs",
    "code.jquery.com",
    "netdna",
    "bootstrapcdn",
    "unpkg",
    "googleapis",
    "fontawesome.com/",
)


def text_of(response) -> str:
    return response.get_data(as_text=True)


# --- the map page ---------------------------------------------------------------------------


def test_map_page_serves_everything_itself(client):
    response = client.get("/")
    assert response.status_code == 200
    html = text_of(response)
    for host in CDN_HOSTS:
        assert host not in html, host
    assert '<script src="/static/vendor/leaflet/leaflet.js">' in html
    assert "/static/vendor/leaflet.markercluster/leaflet.markercluster.js" in html
    assert "/static/js/map.js" in html
    assert "Placemaker.initMap(" in html
    # The places are fetched by bbox, not embedded: no demo place name in the page.
    assert "OBA Postjesweg" not in html
    # Every script and style sheet the page links to is served by us.
    for url in re.findall(r'(?:src|href)="(/static/[^"]+)"', html):
        static = client.get(url)
        static.close()
        assert static.status_code == 200, url


def test_map_page_is_dutch_by_default_and_english_on_request(client):
    html = text_of(client.get("/"))
    assert '<html lang="nl">' in html
    assert "Ontmoetingsplekken" in html and "Tijdelijk gesloten" in html
    response = client.get("/?lang=en")
    html = text_of(response)
    assert '<html lang="en">' in html
    assert "Meeting places" in html and "Temporarily closed" in html
    assert "lang=en" in response.headers["Set-Cookie"]


def test_map_page_has_credits_and_a_skip_link(client, app):
    html = text_of(client.get("/"))
    assert 'class="skip-link" href="#main"' in html
    assert "OpenStreetMap" in html
    # The data credits appear in the footer and in the map's attribution.
    assert html.count("Gemeente Amsterdam (Onderzoek en Statistiek)") >= 2


def test_permalink_state_is_read_back(client):
    html = text_of(
        client.get(
            "/?lat=52.36&lon=4.84&z=15&kind=library,buurtkamer&status=active&area=DX09"
            "&level=wijk&year=2015&layers=places,rung_assessed"
        )
    )
    assert '"lat": 52.36' in html and '"zoom": 15' in html
    assert '"kinds": ["library", "buurtkamer"]' in html
    assert '"layers": ["places", "rung_assessed"]' in html
    assert '<option value="DX09" selected>' in html
    assert '<option value="wijk" selected>' in html
    assert '<option value="2015" selected>' in html
    assert 'value="library" checked' in html
    assert 'value="bench" checked' not in html


def test_unknown_permalink_values_are_dropped(app_ctx):
    from placemaker.pages.service import map_state

    state = map_state(
        {
            "lat": "48.85",
            "lon": "2.35",
            "z": "40",
            "kind": "bench,nope",
            "status": "open",
            "area": "NOPE",
            "level": "straat",
            "year": "1900",
            "layers": "places,evil",
        },
        ["bench"],
        [2017],
    )
    assert (state.lat, state.lon, state.zoom, state.area, state.year) == (None,) * 5
    assert state.kinds == ["bench"] and state.statuses == [] and state.level == "gebied"
    assert state.layers == ["places"]


def test_tile_presets(app_ctx):
    from placemaker.maps import tiles_from_config

    assert "pdok.nl" in tiles_from_config({"TILE_URL": "pdok"}).url
    assert "Kadaster" in tiles_from_config({"TILE_URL": "pdok"}).attribution
    custom = tiles_from_config({"TILE_URL": "/tiles/{z}/{x}/{y}.png", "TILE_ATTRIBUTION": "x"})
    assert (custom.url, custom.attribution) == ("/tiles/{z}/{x}/{y}.png", "x")


# --- the API the map uses -------------------------------------------------------------------


def test_markers_are_compact_and_filtered(client):
    body = client.get("/api/places/markers?bbox=4.72,52.27,5.08,52.43").get_json()
    assert body["fields"] == ["id", "lon", "lat", "kind", "status", "name"]
    assert body["number_matched"] == body["number_returned"] == len(body["places"]) > 400
    libraries = client.get("/api/places/markers?kind=library&area=DX09").get_json()["places"]
    assert libraries and {p[3] for p in libraries} == {"library"}
    assert any(p[5] == "OBA Postjesweg" for p in libraries)
    limited = client.get("/api/places/markers?limit=10").get_json()
    assert limited["number_returned"] == 10 and limited["number_matched"] > 400


def test_markers_carry_names_as_data(client, make_place):
    place = make_place(name=HOSTILE, lon=IN_DX09[0], lat=IN_DX09[1])
    body = client.get("/api/places/markers?q=onerror").get_json()
    assert body["places"] == [[place.id, IN_DX09[0], IN_DX09[1], "bench", "active", HOSTILE]]


def test_area_search(client):
    body = client.get("/api/areas?q=slotervaart&simplify=20").get_json()
    assert {f["id"] for f in body["features"]} >= {"DX09"}
    assert client.get("/api/areas?q=100%25").get_json()["features"] == []


# --- area page ------------------------------------------------------------------------------


def test_area_page(client):
    html = text_of(client.get("/areas/DX09"))
    assert "<h1>Slotervaart" in html
    assert "Nog niet beoordeeld." in html
    assert "Fatima El Amrani" in html and "1 maart 2019" in html
    assert '<svg viewBox="0 0 360 160" role="img"' in html  # the score chart
    assert "<td>2017</td>" in html  # and its table
    assert "Bibliotheek" in html  # places by kind
    assert "Initialise" not in html
    assert "Placemaker.initSmallMap(" in html


def test_buurt_page_says_its_score_is_inherited(client):
    html = text_of(client.get("/areas/F86a?lang=en"))
    assert "Scores of Slotervaart, the larger area this area lies in" in html
    assert "Fatima El Amrani" in html  # the gebied's manager looks after its buurten
    assert "6,210" in html  # population, English formatting


def test_area_page_shows_rungs(client, app):
    with app.app_context():
        area = db.session.scalar(select(Area).where(Area.code == "DX09"))
        db.session.add(
            CohesionScore(
                area_id=area.id,
                year=2024,
                source="gesprekken",
                score=None,
                rung_assessed=4,
                rung_wanted=3,
            )
        )
        db.session.commit()
    html = text_of(client.get("/areas/F86a"))
    assert re.search(r'class="is-assessed\s*">\s*<span>4\. publieke familiariteit</span>', html)
    assert re.search(
        r"<span>3\. alledaagse attentheid</span>\s*\s*<span class=\"badge wanted\">", html
    )
    assert "Nog niet beoordeeld." not in html
    props = client.get("/api/areas/F86a").get_json()["properties"]["cohesion"]
    assert (props["rung_assessed"], props["rung_wanted"], props["inherited"]) == (4, 3, True)


def test_unknown_area_is_a_404_page(client):
    response = client.get("/areas/NOPE")
    assert response.status_code == 404
    assert "<html" in text_of(response)


def test_score_chart_uses_the_full_scale(app_ctx):
    from placemaker.pages.service import score_chart

    chart = score_chart(
        [{"year": 2012, "score": 1.0}, {"year": 2017, "score": 10.0}],
        (1.0, 10.0),
        width=100,
        height=100,
        pad=20,
    )
    assert chart is not None
    first, last = chart.points
    assert (first.x, last.x) == (20, 80)
    assert (first.y, last.y) == (90, 10)  # bottom and top of the plot
    assert score_chart([], (1, 10)) is None


# --- lists ----------------------------------------------------------------------------------


def test_place_list_sorts_and_pages(client):
    first = text_of(client.get("/places?sort=name"))
    names = re.findall(r'<td><a href="/places/\d+">([^<]+)</a></td>', first)
    assert len(names) == 50
    assert names == sorted(names, key=str.lower)
    desc = re.findall(
        r'<td><a href="/places/\d+">([^<]+)</a></td>',
        text_of(client.get("/places?sort=name&dir=desc")),
    )
    assert desc[0].lower() >= names[-1].lower()
    assert 'aria-sort="descending"' in text_of(client.get("/places?sort=name&dir=desc"))
    page2 = text_of(client.get("/places?sort=name&page=2"))
    assert "Pagina 2 van 9" in page2
    assert set(re.findall(r'<a href="/places/(\d+)">', page2)).isdisjoint(
        re.findall(r'<a href="/places/(\d+)">', first)
    )


def test_place_list_filters(client):
    html = text_of(client.get("/places?kind=library&area=DX09"))
    assert "OBA Postjesweg" in html
    assert "Slotervaart" in html
    assert "Huis van de wijk" not in re.sub(r"<select.*?</select>", "", html, flags=re.S)


def test_area_list_sorts_by_score_with_unknowns_last(client):
    html = text_of(client.get("/areas?level=gebied&sort=score&dir=desc"))
    scores = [
        float(s.replace(",", ".")) for s in re.findall(r'<td class="num">(\d+,\d) <small', html)
    ]
    assert scores == sorted(scores, reverse=True) and len(scores) >= 20


def test_hostile_names_are_text_on_every_page(client, make_place):
    place = make_place(name=HOSTILE, lon=IN_DX09[0], lat=IN_DX09[1])
    escaped = "&lt;img src=x onerror=alert(1)&gt;"
    for url in (f"/places/{place.id}", "/places?q=onerror"):
        html = text_of(client.get(url))
        assert escaped in html and HOSTILE not in html, url


# --- login, logout, CSRF --------------------------------------------------------------------


def test_logout_needs_the_csrf_token(client, login):
    login(MANAGER)
    assert client.post("/logout").status_code == 400
    page = client.get("/")
    assert "Uitloggen" in text_of(page)
    response = client.post("/logout", data={"csrf_token": csrf_token(page)})
    assert response.status_code == 303
    assert "Inloggen" in text_of(client.get("/"))


def test_forms_need_the_csrf_token(client, app, login, make_place):
    place = make_place(lon=IN_DX09[0], lat=IN_DX09[1])
    login(MANAGER)
    response = client.post(
        f"/places/{place.id}/edit",
        data={
            "name": "Zonder token",
            "kind_code": "bench",
            "lon": IN_DX09[0],
            "lat": IN_DX09[1],
            "version": place.version,
        },
    )
    assert response.status_code == 400
    with app.app_context():
        assert db.session.get(Place, place.id).name == "Testbankje"


# --- keeping the registry -------------------------------------------------------------------


def edit_form(client, place_id: int) -> dict[str, str]:
    page = client.get(f"/places/{place_id}/edit")
    assert page.status_code == 200, text_of(page)[:300]
    html = text_of(page)

    def value(name: str) -> str:
        match = re.search(rf'name="{name}"[^>]*value="([^"]*)"', html)
        return match.group(1) if match else ""

    kind = re.search(r'<option selected value="([^"]+)"', html) or re.search(
        r'<option value="([^"]+)" selected', html
    )
    return {
        "csrf_token": csrf_token(page),
        "name": value("name"),
        "kind_code": kind.group(1),
        "address": value("address"),
        "postcode": value("postcode"),
        "description": "",
        "lon": value("lon"),
        "lat": value("lat"),
        "version": value("version"),
    }


def history_of(place_id: int) -> list[PlaceChange]:
    return list(
        db.session.scalars(
            select(PlaceChange).where(PlaceChange.place_id == place_id).order_by(PlaceChange.id)
        )
    )


def test_manager_edits_and_moves_a_place_in_their_area(client, app, login, make_place):
    place = make_place(name="Bankje bij de vijver", lon=IN_DX09[0], lat=IN_DX09[1])
    login(MANAGER)
    form = edit_form(client, place.id)
    renamed = {**form, "name": "Bankje aan de vijver"}
    response = client.post(f"/places/{place.id}/edit", data=renamed)
    assert response.status_code == 303, text_of(response)[:500]
    form = edit_form(client, place.id)
    moved = {**form, "lon": "4.8430000", "lat": "52.3660000"}
    assert client.post(f"/places/{place.id}/edit", data=moved).status_code == 303

    with app.app_context():
        changes = history_of(place.id)
        assert [c.action for c in changes] == ["created", "updated", "moved"]
        assert changes[1].new_values == {"name": "Bankje aan de vijver"}
        assert changes[1].actor == "Fatima El Amrani"
        assert changes[2].new_values == {"lon": 4.843, "lat": 52.366}
    html = text_of(client.get(f"/places/{place.id}"))
    assert "Verplaatst" in html and "Gewijzigd" in html
    assert "Bankje bij de vijver → Bankje aan de vijver" in html


def test_edit_in_another_managers_area_is_refused(client, app, login, make_place):
    place = make_place(name="Bankje in West", lon=IN_DX04[0], lat=IN_DX04[1])
    login(MANAGER)
    assert client.get(f"/places/{place.id}/edit").status_code == 403
    page = client.get("/")
    response = client.post(
        f"/places/{place.id}/edit",
        data={
            "csrf_token": csrf_token(page),
            "name": "Overgenomen",
            "kind_code": "bench",
            "lon": IN_DX04[0],
            "lat": IN_DX04[1],
            "version": place.version,
        },
    )
    assert response.status_code == 403
    with app.app_context():
        assert db.session.get(Place, place.id).name == "Bankje in West"
        assert [c.action for c in history_of(place.id)] == ["created"]
    assert "Bewerken of verplaatsen" not in text_of(client.get(f"/places/{place.id}"))


def test_moving_a_place_out_of_ones_area_is_refused(client, app, login, make_place):
    place = make_place(lon=IN_DX09[0], lat=IN_DX09[1])
    login(MANAGER)
    form = edit_form(client, place.id)
    response = client.post(
        f"/places/{place.id}/edit", data={**form, "lon": str(IN_DX05[0]), "lat": str(IN_DX05[1])}
    )
    assert response.status_code == 400  # the form again: a wrongly placed pin is a mistake
    assert "Deze plek ligt buiten de gebieden die u beheert." in text_of(response)
    with app.app_context():
        assert [c.action for c in history_of(place.id)] == ["created"]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"name": "  "}, "Een plek heeft een naam nodig."),
        ({"lon": "4.2", "lat": "52.6"}, "in het water of buiten de gemeente"),
        ({"lon": "2.3522", "lat": "48.8566"}, "Deze locatie ligt buiten Nederland."),
        ({"lon": "", "lat": ""}, "Kies een locatie op de kaart"),
        ({"lon": "vier", "lat": "52.36"}, "Lengte- en breedtegraad moeten getallen zijn."),
    ],
)
def test_bad_input_gets_a_clear_message_and_changes_nothing(
    client, app, login, make_place, changes, message
):
    place = make_place(name="Bankje", lon=IN_DX09[0], lat=IN_DX09[1])
    login(MANAGER)
    form = edit_form(client, place.id)
    response = client.post(f"/places/{place.id}/edit", data={**form, **changes})
    assert response.status_code == 400
    html = text_of(response)
    assert "Er is niets opgeslagen." in html and message in html
    with app.app_context():
        stored = db.session.get(Place, place.id)
        assert (stored.name, stored.version) == ("Bankje", place.version)
        assert [c.action for c in history_of(place.id)] == ["created"]


def test_a_stale_edit_is_refused(client, app, login, make_place):
    place = make_place(lon=IN_DX09[0], lat=IN_DX09[1])
    login(MANAGER)
    form = edit_form(client, place.id)
    assert (
        client.post(f"/places/{place.id}/edit", data={**form, "name": "Eerst"}).status_code == 303
    )
    response = client.post(f"/places/{place.id}/edit", data={**form, "name": "Daarna"})
    assert response.status_code == 409
    assert "Iemand anders heeft deze plek gewijzigd" in text_of(response)
    with app.app_context():
        assert db.session.get(Place, place.id).name == "Eerst"


def test_manager_adds_closes_and_marks_gone(client, app, login):
    login(MANAGER)
    page = client.get("/places/new?lon=4.8421&lat=52.3655")
    assert page.status_code == 200
    response = client.post(
        "/places/new",
        data={
            "csrf_token": csrf_token(page),
            "name": "Buurtkamer De Vijver",
            "kind_code": "buurtkamer",
            "address": "Vijverstraat 1",
            "lon": "4,8421",
            "lat": "52,3655",
        },
    )
    assert response.status_code == 303, text_of(response)[:500]
    place_id = int(response.headers["Location"].rsplit("/", 1)[1])
    for status in ("temporarily_closed", "gone"):
        page = client.get(f"/places/{place_id}")
        version = re.search(
            r'name="version" type="hidden" value="(\d+)"', text_of(page)
        ) or re.search(r'id="version" name="version" type="hidden" value="(\d+)"', text_of(page))
        assert (
            client.post(
                f"/places/{place_id}/status",
                data={
                    "csrf_token": csrf_token(page),
                    "status": status,
                    "version": version.group(1),
                },
            ).status_code
            == 303
        )
    with app.app_context():
        assert [c.action for c in history_of(place_id)] == ["created", "status", "status"]
        assert db.session.get(Place, place_id).status.value == "gone"


def places_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Place))


def test_manager_cannot_add_outside_their_area(client, app, login):
    login(MANAGER)
    page = client.get("/places/new")
    before = places_count(app)
    response = client.post(
        "/places/new",
        data={
            "csrf_token": csrf_token(page),
            "name": "Elders",
            "kind_code": "bench",
            "lon": str(IN_DX04[0]),
            "lat": str(IN_DX04[1]),
        },
    )
    # The form again, with what was typed and the reason: a wrongly placed pin is a mistake.
    assert response.status_code == 400
    assert "Deze plek ligt buiten de gebieden die u beheert." in text_of(response)
    assert 'value="Elders"' in text_of(response)
    assert places_count(app) == before


@pytest.mark.parametrize("email", ["planner@demo.placemaker.nl", None])
def test_only_managers_and_admins_edit(client, login, make_place, email):
    place = make_place(lon=IN_DX09[0], lat=IN_DX09[1])
    if email:
        login(email)
        assert client.get(f"/places/{place.id}/edit").status_code == 403
        assert client.get("/places/new").status_code == 403
    else:
        response = client.get(f"/places/{place.id}/edit")
        assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_admin_edits_anywhere(client, login, make_place):
    place = make_place(lon=IN_DX05[0], lat=IN_DX05[1])
    login("admin@demo.placemaker.nl")
    form = edit_form(client, place.id)
    assert (
        client.post(
            f"/places/{place.id}/edit", data={**form, "name": "Door de beheerder"}
        ).status_code
        == 303
    )


def test_password_guessing_is_slowed_down(client, app):
    """The eleventh login attempt within a minute from one address is turned away."""
    token = csrf_token(client.get("/login"))
    statuses = [
        client.post(
            "/login", data={"email": MANAGER, "password": f"guess {i}", "csrf_token": token}
        ).status_code
        for i in range(11)
    ]
    assert statuses[:10] == [400] * 10
    assert statuses[10] == 429
