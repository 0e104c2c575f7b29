"""Utrecht and Ermelo in headless Chromium: maps open where the user works, credits are theirs."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from werkzeug.serving import make_server

from placemaker.extensions import db
from tests.browser import log_in, offline
from tests.conftest import make_test_app

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def towns_server(towns) -> Iterator[str]:
    url = towns.config["SQLALCHEMY_DATABASE_URI"]
    app = make_test_app(
        url, WTF_CSRF_ENABLED=True, TESTING=False, LOGIN_RATE_LIMIT="1000 per minute"
    )
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        with app.app_context():
            db.engine.dispose()


def map_centre(page) -> tuple[float, float]:
    return tuple(
        page.evaluate(
            "() => { const el = document.querySelector('.folium-map');"
            " const c = window[el.id].getCenter(); return [c.lat, c.lng]; }"
        )
    )


def test_a_utrecht_area_manager_opens_on_utrecht_with_utrecht_credits(page, towns_server):
    offline(page, towns_server)
    log_in(page, towns_server, "beheerder@utrecht.test")
    page.goto(f"{towns_server}/")
    page.wait_for_selector(".folium-map[data-places-state=ready]")
    lat, lon = map_centre(page)
    # wijk 01 West lies around 52.09 N, 5.09 E
    assert 52.07 < lat < 52.11 and 5.06 < lon < 5.12
    attribution = page.locator(".leaflet-control-attribution").inner_text()
    assert "Gemeente Utrecht" in attribution and "Amsterdam" not in attribution
    assert "Amsterdam" not in page.locator("body").inner_text()
    assert "Ermelo" not in page.locator("footer").inner_text()


def test_the_planners_map_for_ermelo_shows_grid_based_need(page, towns_server):
    offline(page, towns_server)
    log_in(page, towns_server, "planner@towns.test")
    page.goto(f"{towns_server}/planners?area=GM0233")
    page.wait_for_selector(".folium-map[data-gaps-state=ready]", timeout=60_000)
    assert page.locator("[data-stage=cells]").get_attribute("data-state") == "done"
    lat, lon = map_centre(page)
    assert 52.0 < lat < 52.5 and 5.0 < lon < 5.8  # both towns, never Amsterdam (4.9 E)
    demand = page.locator("[data-gemeente=GM0233]")
    assert demand.get_attribute("data-demand-source") == "grid"
    assert "904" in demand.text_content()
    body = page.locator("body").inner_text()
    assert "Amsterdam" not in body
    assert "Vierkantstatistieken 100 m 2021: CBS" in page.locator("footer").inner_text()
