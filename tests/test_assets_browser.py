"""In headless Chromium: a resident on a phone reports a broken bench from the map and follows
it; the area manager handles it; the place's record shows it all. The round of visits."""

from __future__ import annotations

import io
import json
import math
import re
from urllib.request import urlopen

import pytest
from PIL import Image

from tests.browser import logged_in_page, offline
from tests.test_assets import _fresh_limits  # noqa: F401  (fixture)

pytestmark = pytest.mark.browser


@pytest.fixture()
def phone(browser, live_server):
    context = browser.new_context(
        locale="nl-NL",
        viewport={"width": 390, "height": 844},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
    )
    offline(context, live_server)
    yield context
    context.close()


@pytest.fixture()
def desk(browser, live_server):
    context = browser.new_context(locale="nl-NL", viewport={"width": 1280, "height": 1000})
    offline(context, live_server)
    yield context
    context.close()


def photo_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (320, 240), (120, 80, 40)).save(out, "JPEG")
    return out.getvalue()


@pytest.fixture()
def bench(live_server, live_place) -> dict:
    """A bench in the live server's copy of the demo, beside a place the demo manager keeps
    (the demo's registry holds no benches); removed afterwards with all it gathered."""
    with urlopen(f"{live_server}/api/places?area=DX09&status=active&limit=1") as response:
        near = json.load(response)["features"][0]["geometry"]["coordinates"]
    lon, lat = near[0] + 0.0006, near[1] + 0.0003  # some 50 m away
    name = "Bankje bij de speeltuin"
    return {"id": live_place(name, lon, lat), "name": name, "lon": lon, "lat": lat}


def test_a_resident_reports_a_broken_bench_from_the_map_and_the_manager_handles_it(
    phone, desk, live_server, artifacts, bench
):
    resident = phone.new_page()
    errors: list[str] = []
    resident.on("pageerror", lambda exc: errors.append(str(exc)))
    lon, lat, name = bench["lon"], bench["lat"], bench["name"]

    # 1. On the phone, the map at the bench; a tap on its marker opens the popup.
    resident.goto(f"{live_server}/?lat={lat:.6f}&lon={lon:.6f}&z=19")
    resident.wait_for_function("() => window.placemakerMap && window.placemakerMap.map")
    marker = resident.locator(f'.leaflet-marker-icon[title="{name}"]').first
    marker.wait_for()
    # On a phone the legend covers the lower half of the map: the resident drags the bench
    # into the upper half first.
    resident.evaluate(
        """([lon, lat]) => {
        const map = window.placemakerMap.map;
        const size = map.getSize();
        map.panBy([0, size.y * 0.3], {animate: false});
    }""",
        [lon, lat],
    )
    resident.screenshot(path=str(artifacts / "assets-0-phone-map.png"))
    marker.tap()
    popup = resident.locator(".leaflet-popup-content")
    popup.wait_for()
    resident.wait_for_function(
        "() => (document.querySelector('.pm-popup-upkeep') || {}).textContent"
    )
    assert "Laatst in gebruik bevestigd: nooit" in popup.inner_text()
    assert "toe aan een bezoek" in popup.inner_text()
    resident.screenshot(path=str(artifacts / "assets-1-phone-popup.png"))
    assert "Bankje" in popup.inner_text()
    popup.locator(".pm-report-link").tap()

    # 2. The report form: what is wrong, a few words, a photo.
    resident.wait_for_url(re.compile(r"/places/\d+/melden"))
    resident.check("#kind-broken")
    resident.fill("#report-text", "De zitting is doormidden gebroken.")
    resident.set_input_files(
        "#report-photo",
        files=[{"name": "bank.jpg", "mimeType": "image/jpeg", "buffer": photo_bytes()}],
    )
    resident.screenshot(path=str(artifacts / "assets-2-phone-report-form.png"), full_page=True)
    resident.click("#send-report")
    resident.wait_for_url(re.compile(r"/meldingen/volg/"))
    track_url = resident.input_value("#track-url")
    assert resident.get_attribute("#report-status", "data-status") == "submitted"
    resident.screenshot(path=str(artifacts / "assets-3-phone-receipt.png"), full_page=True)

    # 3. The manager finds it in the list, sets the condition, answers, and closes it.
    manager = logged_in_page(desk, live_server)
    manager.goto(f"{live_server}/moderatie/meldingen")
    row = manager.locator("#report-inbox tbody tr", has_text=name).first
    assert "Kapot" in row.inner_text()
    manager.screenshot(path=str(artifacts / "assets-4-manager-reports.png"), full_page=True)
    row.locator("a").first.click()
    manager.wait_for_selector("#handle-form")
    assert manager.locator("img[alt='Foto bij de melding']").count() == 1
    manager.fill("#reason", "Dank u! We vervangen de zitting deze week.")
    manager.select_option("#condition", "broken")
    manager.click("#act-acknowledge")
    manager.wait_for_selector("#report-status[data-status=in_progress]")
    assert manager.inner_text("#place-condition") == "Kapot"
    manager.fill("#reason", "De nieuwe zitting ligt erop. Veel zitplezier!")
    manager.select_option("#condition", "good")
    manager.click("#act-resolve")
    manager.wait_for_selector("#report-status[data-status=resolved]")
    manager.screenshot(path=str(artifacts / "assets-5-manager-resolved.png"), full_page=True)

    # 4. The resident follows the link: the answers and the outcome.
    resident.goto(track_url)
    assert resident.get_attribute("#report-status", "data-status") == "resolved"
    events = resident.inner_text("#report-events")
    assert "We vervangen de zitting" in events and "Veel zitplezier" in events
    resident.screenshot(path=str(artifacts / "assets-6-phone-follow.png"), full_page=True)

    # 5. The place's record holds it all: the report, both conditions, the closing.
    manager.click("#place-link")
    manager.wait_for_selector("#checks")
    actions = manager.locator("#checks li").evaluate_all(
        "items => items.map(li => li.dataset.action)"
    )
    assert actions[:4] == ["report_closed", "condition", "condition", "report"]
    record = manager.inner_text("#checks")
    assert "Kapot → Goed" in record and "Goed → Kapot" in record
    assert "Melding van een bewoner" in record and "Melding afgesloten" in record
    assert manager.inner_text(".condition") == "Goed"
    manager.screenshot(path=str(artifacts / "assets-7-place-record.png"), full_page=True)
    assert errors == []


def test_the_round_of_visits_orders_stale_places_into_a_route(desk, live_server, artifacts):
    manager = logged_in_page(desk, live_server)
    manager.goto(f"{live_server}/moderatie/bezoekronde")
    stops = manager.locator("#visit-round li[data-place]").evaluate_all(
        "items => items.map(li => [Number(li.dataset.place), Number(li.dataset.x),"
        " Number(li.dataset.y)])"
    )
    assert len(stops) >= 3, "the demo manager's areas hold places never confirmed in use"

    def length(order):
        return sum(math.dist(order[i][1:], order[i + 1][1:]) for i in range(len(order) - 1))

    shown = length(stops)
    by_id = length(sorted(stops))
    assert shown < by_id  # a route, not the registry's order
    summary = manager.inner_text("#round-summary")
    assert f"{len(stops)} plekken" in summary
    km = float(re.search(r"([\d.]+) km", summary)[1])
    assert km == pytest.approx(shown / 1000, abs=0.06)
    manager.screenshot(path=str(artifacts / "assets-8-round-of-visits.png"), full_page=True)
