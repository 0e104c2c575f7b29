"""The map and the pages in a real headless Chromium, against the live server."""

from __future__ import annotations

import json
from urllib.parse import urlsplit

import pytest
from sqlalchemy import text

from tests.browser import MANAGER, log_in

pytestmark = pytest.mark.browser

HOSTILE = "<img src=x onerror=alert(1)>"
TILE_HOST = "tile.openstreetmap.org"
READY = ".folium-map[data-places-state=ready]"


@pytest.fixture()
def foreign(page, live_server) -> list[str]:
    """Requests to any host but ours; tiles are allowed but answered empty (no network)."""
    ours = urlsplit(live_server).netloc
    seen: list[str] = []

    def handle(route):
        host = urlsplit(route.request.url).netloc
        if host == ours:
            route.continue_()
            return
        if host != TILE_HOST:
            seen.append(route.request.url)
        route.abort()

    page.route("**/*", handle)
    return seen


def places_count(page) -> int:
    return int(page.locator(".folium-map").get_attribute("data-places-count") or 0)


def test_map_clusters_and_markers_without_foreign_requests(page, live_server, foreign, artifacts):
    page.goto(f"{live_server}/")
    page.wait_for_selector(READY)
    page.wait_for_selector(".marker-cluster")
    assert page.locator(".marker-cluster").count() >= 5
    assert places_count(page) >= 430
    page.wait_for_selector(".folium-map[data-areas-state=ready]")
    legend = page.locator(".pm-legend").inner_text()
    assert "Sociale samenhang · Gebied · 2017" in legend
    assert "schaal 1–10" in legend and "BBGA Amsterdam" in legend
    assert "Gemeente Amsterdam" in page.locator(".leaflet-control-attribution").inner_text()
    page.screenshot(path=str(artifacts / "map.png"))

    # Street level: single markers with the kind's icon.
    page.goto(f"{live_server}/?lat=52.36550&lon=4.84210&z=18")
    page.wait_for_selector(READY)
    page.wait_for_selector(".pm-marker")
    assert page.locator(".pm-marker use").first.get_attribute("href").startswith("#pm-icon-")
    assert foreign == []


def test_a_filter_changes_what_is_shown(page, live_server, foreign):
    page.goto(f"{live_server}/")
    page.wait_for_selector(READY)
    everything = places_count(page)
    expected = page.request.get(
        f"{live_server}/api/places/markers?kind=library&status=active,temporarily_closed"
    ).json()["number_matched"]
    assert 0 < expected < everything
    for box in page.locator('#map-filters input[name="kind"]').all():
        if box.get_attribute("value") != "library":
            box.uncheck()
    page.wait_for_function(
        f"document.querySelector('.folium-map').dataset.placesCount === '{expected}'"
    )
    assert "kind=library" in page.url  # the permalink follows
    # The permalink brings the same view back.
    page.goto(page.url)
    page.wait_for_selector(READY)
    assert places_count(page) == expected
    assert not page.locator('#map-filters input[value="buurtkamer"]').is_checked()
    assert foreign == []


def test_a_hostile_name_is_text_in_popup_and_tooltip(page, live_server, foreign):
    alerts: list[str] = []
    page.on("dialog", lambda d: (alerts.append(d.message), d.dismiss()))
    log_in(page, live_server, MANAGER)
    page.goto(f"{live_server}/places/new?lon=4.8411&lat=52.3651")
    page.fill("#name", HOSTILE)
    page.select_option("#kind_code", "buurtkamer")
    page.click("main form button[type=submit]")
    assert page.locator("h1").inner_text() == HOSTILE

    page.goto(f"{live_server}/?lat=52.36510&lon=4.84110&z=19")
    page.wait_for_selector(READY)
    marker = page.locator(f".leaflet-marker-icon[title={json.dumps(HOSTILE)}]")
    marker.hover()
    page.wait_for_selector(".leaflet-tooltip")
    assert page.locator(".leaflet-tooltip").inner_text() == HOSTILE
    marker.click()
    page.wait_for_selector(".pm-popup-title")
    assert page.locator(".pm-popup-title").inner_text() == HOSTILE
    assert page.locator("img[src=x]").count() == 0
    assert alerts == []
    assert foreign == []


def test_manager_drags_the_pin_to_move_a_place(page, live_server, foreign):
    log_in(page, live_server, MANAGER)
    page.goto(f"{live_server}/places/new?lon=4.8425&lat=52.3660")
    page.fill("#name", "Bankje om te verslepen")
    page.select_option("#kind_code", "bench")
    page.click("main form button[type=submit]")
    place_url = page.url
    page.click("text=Bewerken of verplaatsen")
    page.wait_for_selector(".pm-marker")
    before = page.input_value("#lon")
    box = page.locator(".pm-marker").bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + 20, y + 5, steps=5)
    page.mouse.move(x + 40, y + 10, steps=5)
    page.mouse.up()
    assert page.input_value("#lon") != before
    page.click("main form button[type=submit]")
    page.wait_for_url(place_url)
    assert "Verplaatst" in page.locator("#history-title + ol").inner_text()
    assert foreign == []


def test_language_switch(page, live_server, foreign):
    page.goto(f"{live_server}/?lat=52.36&lon=4.85&z=13")
    page.wait_for_selector(READY)
    assert page.locator("html").get_attribute("lang") == "nl"
    page.click("a.lang-switch")
    page.wait_for_selector(READY)
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("h1").inner_text() == "Meeting places"
    assert "Social cohesion" in page.locator(".leaflet-control-layers").inner_text()
    assert "lat=52.36" in page.url  # the view survives the switch
    page.goto(f"{live_server}/places")  # remembered in a cookie
    assert page.locator("h1").inner_text() == "Meeting places"
    page.click("a.lang-switch")
    assert page.locator("h1").inner_text() == "Ontmoetingsplekken"


def test_ladder_layer_shows_rungs_added_here(page, live_server, live_db, foreign):
    with live_db.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO cohesion_score (area_id, year, source, rung_assessed, rung_wanted,"
                " scale_min, scale_max) SELECT id, 2024, 'browser test', 3, 2, 1, 10"
                " FROM area WHERE code = 'DX09'"
            )
        )
    try:
        page.goto(f"{live_server}/?layers=rung_assessed&level=gebied")
        page.wait_for_selector(".folium-map[data-areas-state=ready]")
        fills = page.evaluate("""() => {
            const out = {};
            window.placemakerMap.areaLayers.rung_assessed.eachLayer(l => {
                out[l.feature.id] = l.options.fillColor; });
            return out; }""")
        assert fills["DX09"] == "#a6d96a"  # rung 3
        assert fills["DX04"] == "#bdbdbd"  # not assessed
        legend = page.locator(".pm-legend").inner_text()
        assert "3 · alledaagse attentheid" in legend and "nog niet beoordeeld" in legend
        page.goto(f"{live_server}/areas/F86a")
        ladder = page.locator(".ladder").inner_text()
        assert "beoordeeld" in ladder and "gewenst" in ladder
    finally:
        with live_db.begin() as conn:
            conn.execute(text("DELETE FROM cohesion_score WHERE source = 'browser test'"))
    assert foreign == []


def test_area_page_and_keyboard(page, live_server, foreign, artifacts):
    page.goto(f"{live_server}/areas/DX09")
    page.wait_for_selector(READY)
    page.wait_for_selector(".marker-cluster, .pm-marker")
    assert page.locator("h1").inner_text().startswith("Slotervaart")
    assert page.locator(".chart svg circle").count() == 6
    page.screenshot(path=str(artifacts / "area.png"), full_page=True)
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip-link"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    assert foreign == []


def test_search_flies_to_an_area_and_a_place(page, live_server, foreign):
    page.goto(f"{live_server}/")
    page.wait_for_selector(READY)
    page.fill("#map-q", "Slotervaart")
    page.press("#map-q", "Enter")
    page.click("#search-results button.search-result:has-text('Slotervaart')")
    # Slotervaart, close enough to see it whole.
    page.wait_for_function("""(() => { const m = window.placemakerMap.map, c = m.getCenter();
        return m.getZoom() >= 13 && c.lng > 4.80 && c.lng < 4.86 && c.lat > 52.33
            && c.lat < 52.38; })()""")
    page.fill("#map-q", "OBA Postjesweg")
    page.press("#map-q", "Enter")
    page.click("#search-results button.search-result:has-text('OBA Postjesweg')")
    page.wait_for_selector(".pm-popup-title")
    assert page.locator(".pm-popup-title").inner_text() == "OBA Postjesweg"
    assert foreign == []
