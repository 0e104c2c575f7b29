"""A resident in Chromium at desktop and phone sizes: find an address, place the pin by
keyboard, read the nearest address, propose; then follow the place from plan to opening."""

from __future__ import annotations

import re

import pytest

from tests.test_proposals_browser import log_in

pytestmark = pytest.mark.browser

SIZES = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}


@pytest.fixture(params=list(SIZES))
def sized(request, browser, live_server):
    context = browser.new_context(locale="nl-NL", viewport=SIZES[request.param])
    # Nothing leaves the host in tests, not even base-map tiles.
    context.route(re.compile(r"^(?!" + re.escape(live_server) + r")"), lambda route: route.abort())
    yield request.param, context
    context.close()


def test_find_an_address_place_the_pin_by_keyboard_and_propose(sized, live_server, artifacts):
    size, context = sized
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{live_server}/voorstellen")
    page.wait_for_function("() => window.placemakerMap && window.placemakerMap.map")

    # Type-ahead: street and number, then the keyboard picks the first result.
    page.locator("#search").press_sequentially("Barentszplein 1", delay=20)
    first = page.locator("#search-results button").first
    first.wait_for()
    assert first.inner_text() == "Barentszplein 1, 1013 NJ Amsterdam"
    page.locator("#search").press("ArrowDown")
    assert page.evaluate("document.activeElement.textContent") == first.inner_text()
    page.keyboard.press("Enter")
    # Focus follows the result: the status says where the pin is now.
    assert page.evaluate("document.activeElement.id") == "spot-status"
    assert "Barentszplein 1, 1013 NJ Amsterdam" in page.inner_text("#spot-status")
    lon, lat = float(page.input_value("#lon")), float(page.input_value("#lat"))
    assert 4.88 < lon < 4.90 and 52.38 < lat < 52.40

    # A postcode finds its addresses too.
    page.fill("#search", "")
    page.locator("#search").press_sequentially("1013 NJ", delay=20)
    page.wait_for_function(
        "() => [...document.querySelectorAll('#search-results button')]"
        ".some(b => b.textContent === '1013 NJ Amsterdam')"
    )

    # The keyboard puts the pin under the crosshair with Enter and nudges it with arrows.
    page.locator(".propose-map .leaflet-container").focus()
    page.keyboard.press("Enter")
    centre = page.evaluate("() => window.placemakerMap.map.getCenter().lng")
    assert float(page.input_value("#lon")) == pytest.approx(centre, abs=1e-6)
    page.wait_for_selector("#spot-address[data-state=ready]")
    assert page.inner_text("#spot-address").startswith("Dichtstbijzijnde adres: ")
    before = float(page.input_value("#lon"))
    pin = page.locator(".pm-pin-new").locator("xpath=..")
    pin.focus()
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    assert float(page.input_value("#lon")) > before
    assert page.evaluate("document.activeElement.classList.contains('leaflet-marker-icon')")

    page.select_option("#kind", "bench")
    page.fill("#reason", "Een bankje aan het plein, voor wie even wil uitrusten.")
    page.fill("#email", "anna@example.org")
    page.screenshot(path=str(artifacts / f"propose-address-{size}.png"), full_page=True)
    page.click("#submit-button")
    page.wait_for_url(re.compile(r"/voorstellen/volg/"))
    assert errors == []


def test_approve_as_planned_then_open_both_sides_read_it(sized, live_server, artifacts):
    size, context = sized
    resident = context.new_page()
    resident.goto(f"{live_server}/voorstellen?lon=4.8405&lat=52.3660")
    resident.wait_for_selector("#spot-context[data-state=ready]")
    resident.select_option("#kind", "bench")
    resident.fill("#reason", "Een bankje in de schaduw bij de speeltuin.")
    resident.click("#submit-button")
    resident.wait_for_url(re.compile(r"/voorstellen/volg/"))
    track_url = resident.url
    number = re.search(r"#(\d+)", resident.inner_text("h1")).group(1)

    manager = log_in(context, live_server)
    manager.goto(f"{live_server}/moderatie/{number}")
    manager.click("text=Goedkeuren: de plek in het register opnemen")
    manager.fill("#approve-name", f"Bankje speeltuin {size}")
    manager.check("input[name=exists][value='0']")
    manager.click("#approve-button")
    manager.wait_for_load_state()
    resident.goto(track_url)
    resident.click("#place-link")
    assert "Gepland" in resident.inner_text(".place-life")

    manager.goto(resident.url)
    manager.select_option("select[name=status]", "active")
    manager.click(".status-form button")
    manager.wait_for_load_state()
    resident.goto(track_url)
    life = resident.inner_text(".place-life")
    assert life.index("Gepland") < life.index("Open")
    resident.screenshot(path=str(artifacts / f"track-place-life-{size}.png"), full_page=True)
