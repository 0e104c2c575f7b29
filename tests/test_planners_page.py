"""The planners' map page and the scenario comparison page, through the test client."""

from __future__ import annotations

import html as htmllib
import json
import re

import pytest

from placemaker.gaps.analysis import NeedWeights

HOSTILE = "<img src=x onerror=alert(1)>"
PLANNER = "planner@demo.placemaker.nl"
ADMIN = "admin@demo.placemaker.nl"
MANAGER = "gebiedsbeheerder@demo.placemaker.nl"
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
CONTROLS = (
    "gaps-p",
    "gaps-kind",
    "gaps-rung",
    "gaps-candidates",
    "gaps-area",
    "gaps-level",
    "gaps-w_cohesion",
    "gaps-w_income",
    "gaps-w_lonely",
    "gaps-w_65plus",
    "gaps-target",
    "gaps-floor",
    "gaps-radius",
    "gaps-detour",
)


def text_of(response) -> str:
    return response.get_data(as_text=True)


def input_value(html: str, element_id: str) -> str | None:
    match = re.search(rf'<input id="{element_id}"[^>]*\svalue="([^"]*)"', html)
    return htmllib.unescape(match.group(1)) if match else None


def map_options(html: str) -> dict:
    """The options the page hands to Placemaker.initGapMap."""
    match = re.search(
        r"Placemaker\.initGapMap\(\s*\w+,\s*\{.*?\.\.\.(\{.*\})\s*\}\s*\);", html, re.S
    )
    assert match, "no initGapMap call"
    return json.loads(match.group(1))


# --- the page ---------------------------------------------------------------------------------


def test_page_serves_everything_itself(client):
    response = client.get("/planners")
    assert response.status_code == 200
    html = text_of(response)
    for host in CDN_HOSTS:
        assert host not in html, host
    assert "/static/js/gaps.js" in html and "/static/css/gaps.css" in html
    assert "Placemaker.initGapMap(" in html
    # Layers are fetched from the API, not embedded: no cell or suggestion data in the page.
    assert "weighted_need" not in html and "FeatureCollection" not in html
    for url in re.findall(r'(?:src|href)="(/static/[^"]+)"', html):
        static = client.get(url)
        static.close()
        assert static.status_code == 200, url


@pytest.mark.parametrize(
    ("lang", "title", "compute", "nav"),
    [
        ("nl", "Waar helpt een nieuwe ontmoetingsplek het meest?", "Bereken", "Witte vlekken"),
        ("en", "Where does a new meeting place help most?", "Compute", "Gap analysis"),
    ],
)
def test_page_in_dutch_and_english(client, lang, title, compute, nav):
    html = text_of(client.get(f"/planners?lang={lang}"))
    assert f'<html lang="{lang}">' in html
    assert f'<h1 id="gaps-title">{title}</h1>' in html
    assert f">{compute}</button>" in html
    assert f'aria-current="page">{nav}</a>' in html
    options = map_options(html)
    assert options["lang"] == lang
    # The strings gaps.js shows come translated with the page.
    assert options["text"]["stage_suggestions"] == (
        "voorgestelde plekken" if lang == "nl" else "suggested sites"
    )


@pytest.mark.parametrize(
    "url",
    [
        "/",
        "/places",
        "/areas",
        "/areas/DX09",
        "/voorstellen",
        "/voorstellen/open",
        "/login",
        "/planners",
        "/nope",
    ],
)
def test_every_page_links_to_the_planners_map(client, url):
    """The navigation of every page, errors and log-in included, offers the gap analysis."""
    response = client.get(url)
    assert response.status_code == (404 if url == "/nope" else 200)
    assert 'href="/planners"' in text_of(response)


def test_controls_with_their_defaults(client):
    html = text_of(client.get("/planners"))
    for control in CONTROLS:
        assert f'id="{control}"' in html, control
        assert f'<label for="{control}"' in html, control
    defaults = NeedWeights()
    assert input_value(html, "gaps-p") == "10"
    assert input_value(html, "gaps-w_cohesion") == f"{defaults.cohesion:g}"
    assert input_value(html, "gaps-w_lonely") == f"{defaults.lonely:g}"
    assert input_value(html, "gaps-target") == f"{defaults.cohesion_target:g}"
    assert input_value(html, "gaps-floor") == f"{defaults.floor:g}"
    # Progress and errors are announced; suggestions are an ordered list.
    assert re.search(r'id="gaps-status"[^>]*role="status"[^>]*aria-live="polite"', html)
    assert 'id="gaps-error" class="gaps-error" role="alert"' in html
    assert '<ol id="gaps-suggestions"' in html
    # Kinds, rungs, levels and areas to choose from.
    assert '<option value="bench">' in html
    assert re.search(r'<option value="3">3 · alledaagse attentheid</option>', html)
    assert '<option value="wijk" selected>' in html
    assert '<option value="DX09">' in html
    options = map_options(html)
    assert options["urls"]["suggestions"] == "/api/gaps/suggestions"
    assert options["defaults"]["level"] == "wijk"
    assert options["weightArgs"]["w_lonely"] == "lonely"


def test_permalink_fills_the_controls(client):
    html = text_of(
        client.get("/planners?p=3&kind=bench&rung=3&area=DX09&level=buurt&w_lonely=0.5&radius=300")
    )
    assert input_value(html, "gaps-p") == "3"
    assert input_value(html, "gaps-w_lonely") == "0.5"
    assert input_value(html, "gaps-radius") == "300"
    assert '<option value="bench" selected>' in html
    assert '<option value="3" selected>' in html
    assert '<option value="DX09" selected>' in html
    assert '<option value="buurt" selected>' in html
    # A changed weight opens the weights; so does a radius the "more options".
    assert '<details class="gaps-more gaps-weights-box" open>' in html
    assert '<details class="gaps-more" open>' in html
    assert map_options(html)["initial"] == {
        "p": "3",
        "kind": "bench",
        "rung": "3",
        "area": "DX09",
        "level": "buurt",
        "w_lonely": "0.5",
        "radius": "300",
    }


def test_hostile_parameters_stay_text(client):
    html = text_of(
        client.get(
            "/planners", query_string={"p": HOSTILE, "candidates": HOSTILE, "w_income": HOSTILE}
        )
    )
    assert HOSTILE not in html
    assert input_value(html, "gaps-p") == HOSTILE  # escaped in the attribute, text again here
    assert map_options(html)["initial"]["p"] == HOSTILE


@pytest.mark.parametrize(
    ("email", "may_save"),
    [
        (None, False),
        (MANAGER, False),
        (PLANNER, True),
        (ADMIN, True),
    ],
)
def test_only_planners_see_the_save_form(client, login, email, may_save):
    if email:
        login(email)
    html = text_of(client.get("/planners"))
    assert ('id="gaps-save"' in html) is may_save
    assert ("Planners die inloggen kunnen scenario’s bewaren." in html) is (not may_save)
    assert map_options(html)["canSave"] is may_save


# --- scenarios and their comparison -----------------------------------------------------------


def save(client, name: str, params: dict) -> dict:
    response = client.post("/api/gaps/scenarios", json={"name": name, "params": params})
    assert response.status_code == 201, text_of(response)
    return response.get_json()


def test_compare_page_shows_both_scenarios_per_area(client, login):
    login(PLANNER)
    a = save(client, "Twee plekken", {"p": "2", "area": "DX09", "level": "buurt"})
    b = save(client, HOSTILE, {"p": "5", "area": "DX09", "level": "buurt", "w_lonely": "0.6"})
    api = client.get(f"/api/gaps/scenarios/compare?a={a['id']}&b={b['id']}").get_json()
    changed = [r for r in api["areas"] if r["population_share_change"]]
    assert changed, "five sites reach more than two"

    response = client.get(f"/planners/compare?a={a['id']}&b={b['id']}")
    assert response.status_code == 200
    html = text_of(response)
    assert HOSTILE not in html and htmllib.escape(HOSTILE) in html
    assert "<h1>Scenario’s vergelijken</h1>" in html
    body = html.split('<table class="gaps-compare-table">')[1]
    rows = re.findall(r"<tr[^>]*>\s*<th scope=\"row\">(.*?)</tr>", body, re.S)
    assert len(rows) == len(api["areas"])
    biggest = max(changed, key=lambda r: abs(r["population_share_change"]))
    row = next(r for r in rows if f'<small class="muted">{biggest["code"]}</small>' in r)
    cells = re.findall(r'<td class="num">([^<]*)</td>', row)
    change = biggest["population_share_change"] * 100
    assert cells[-1].strip() == ("+" if change > 0 else "") + f"{change:.1f}".replace(".", ",")
    share_b = f"{biggest['population_share_b'] * 100:.1f}".replace(".", ",")
    assert cells[-2].strip() == f"{share_b} %"
    # Their parameters in words, in a row each.
    assert "Eenzaamheid 0,35," in html and "Eenzaamheid 0,6," in html
    assert "<td>Slotervaart</td>" in html and "<td>Buurt</td>" in html
    # Both scenarios open again on the map with their own parameters.
    assert "/planners?p=5&amp;area=DX09&amp;level=buurt&amp;w_lonely=0.6" in html
    assert f"{a['new_residents_reached']:,.0f}".replace(",", ".") in html
    # how good each answer is, proven against the LP bound
    assert api["certificate_a"] == a["certificate"] and api["certificate_b"] == b["certificate"]
    assert 0 <= a["certificate"]["gap"] < 0.01
    assert "Kwaliteit van het antwoord" in html
    assert html.count("bewezen het best mogelijke") + html.count("van het best mogelijke") >= 2


def test_compare_page_in_english_and_without_a_choice(client, login):
    login(PLANNER)
    a = save(client, "A one", {"p": "1", "area": "DX09"})
    b = save(client, "B one", {"p": "1", "area": "DX09", "kind": "bench"})
    html = text_of(client.get("/planners/compare?lang=en"))
    assert "<h1>Compare scenarios</h1>" in html
    assert f'<option value="{a["id"]}">A one' in html and f'<option value="{b["id"]}">B one' in html
    assert "gaps-compare-table" not in html
    html = text_of(client.get(f"/planners/compare?a={a['id']}&b={b['id']}&lang=en"))
    assert "Share of residents within reach of a meeting place, per area" in html


def test_compare_page_with_an_unknown_scenario_is_404(client, login):
    login(PLANNER)
    a = save(client, "Alleen", {"p": "1", "area": "DX09"})
    assert client.get(f"/planners/compare?a={a['id']}&b=2147483647").status_code == 404
    assert client.get(f"/planners/compare?a={a['id']}&b=99999999999").status_code == 404


def test_saving_needs_a_planner(client, login):
    response = client.post("/api/gaps/scenarios", json={"name": "x", "params": {"p": "1"}})
    assert (response.status_code, response.get_json()["error"]["code"]) == (401, "unauthorized")
    login(MANAGER)
    response = client.post("/api/gaps/scenarios", json={"name": "x", "params": {"p": "1"}})
    assert (response.status_code, response.get_json()["error"]["code"]) == (403, "forbidden")


def test_scenario_url_keeps_only_what_differs(app_ctx):
    from placemaker.gaps.pages import scenario_url
    from placemaker.gaps.params import GapParams

    params = GapParams.from_args(
        {"p": "4", "kind": "bench", "w_income": "0.5", "floor": "0.25", "radius": "300"}
    ).as_json()
    assert scenario_url(params) == "/planners?p=4&kind=bench&level=buurt&radius=300&w_income=0.5"
