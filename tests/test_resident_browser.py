"""A resident in Chromium at desktop and phone sizes: find an address, place the pin by
keyboard, read the nearest address, propose, get the e-mail when the area manager approves,
follow its link, and follow the place from plan to opening."""

from __future__ import annotations

import re

import pytest

from tests.browser import ADMIN, log_in
from tests.mailbox import body

pytestmark = pytest.mark.browser


def test_find_an_address_pin_by_keyboard_propose_follow_and_get_the_mail(
    sized, live_server, live_mail, artifacts
):
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
    assert page.evaluate("document.activeElement.classList.contains('leaflet-marker-icon')"), (
        page.evaluate("document.activeElement.outerHTML.slice(0, 300)")
    )

    email = f"anna-{size}@example.org"
    page.select_option("#kind", "bench")
    page.fill("#reason", "Een bankje aan het plein, voor wie even wil uitrusten.")
    page.fill("#name", "Anna de Vries")
    page.fill("#email", email)
    page.screenshot(path=str(artifacts / f"propose-address-{size}.png"), full_page=True)
    page.click("#submit-button")
    page.wait_for_url(re.compile(r"/voorstellen/volg/"))
    track_url = page.input_value("#track-url")
    number = re.search(r"#(\d+)", page.inner_text("h1")).group(1)
    assert live_mail.to(email) == []  # the receipt on screen is the proof of sending

    # Barentszplein lies outside the demo area managers' wards: the admin approves it for the
    # spring, so it is planned, not yet open.
    manager = log_in(context.new_page(), live_server, ADMIN)
    manager.goto(f"{live_server}/moderatie/{number}")
    manager.click("text=Goedkeuren: de plek in het register opnemen")
    manager.fill("#approve-name", f"Bankje Barentszplein {size}")
    manager.fill("#approve-reason", "We plaatsen het bankje in het voorjaar.")
    manager.check("input[name=exists][value='0']")
    manager.click("#approve-button")
    manager.wait_for_load_state()

    # The e-mail arrives, and its link brings the resident back to the tracking page.
    (mail,) = live_mail.wait_for(email)
    assert mail["Subject"] == f"Uw voorstel #{number}: Goedgekeurd"
    text = body(mail)
    assert text.startswith("Hallo Anna de Vries,")
    assert "We plaatsen het bankje in het voorjaar." in text
    link = re.search(r"(http://\S+/voorstellen/volg/\S+)", text).group(1)
    assert link == track_url
    page.goto(link)
    page.click("#place-link")
    assert "Gepland" in page.inner_text(".place-life")
    place_url = page.url

    # Built and opened: the resident reads both steps, in order, on the tracking page.
    manager.goto(place_url)
    manager.select_option("select[name=status]", "active")
    manager.click(".status-form button")
    manager.wait_for_load_state()
    # The opening reaches the resident by e-mail too.
    _approved, opened = live_mail.wait_for(email, count=2)
    assert opened["Subject"] == f"De plek van uw voorstel #{number}: Open"
    assert f"Bankje Barentszplein {size}" in body(opened) and track_url in body(opened)
    page.goto(track_url)
    life = page.inner_text(".place-life")
    assert life.index("Gepland") < life.index("Open")
    page.screenshot(path=str(artifacts / f"track-place-life-{size}.png"), full_page=True)
    assert errors == []
