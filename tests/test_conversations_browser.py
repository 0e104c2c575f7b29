"""In Chromium: an area manager records a conversation and makes a proposal of a need, by
keyboard and the map; the pages pass axe and fit a phone."""

from __future__ import annotations

import re

import pytest

from tests.browser import logged_in_page, new_context
from tests.test_axe_browser import serious_violations
from tests.test_proposals_browser import click_map_at

pytestmark = pytest.mark.browser

AREA = "DX09"
NEED = "Een plek om samen te tuinieren achter de flats"
SPOT = (4.8396, 52.3651)  # Overtoomse Veld, nothing within 75 m


def test_manager_makes_a_proposal_of_a_need_with_keyboard_and_map(browser, live_server, artifacts):
    context = new_context(browser, live_server, viewport={"width": 1280, "height": 1000})
    page = logged_in_page(context, live_server)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    found: dict[str, list[dict]] = {}

    page.goto(f"{live_server}/areas/{AREA}/gesprekken")
    page.fill("#residents", "6")
    page.fill("#needs", NEED)
    page.click("section[aria-labelledby=new-title] button[type=submit]")
    page.wait_for_load_state()
    if violations := serious_violations(page):
        found["manage"] = violations
    link = page.locator("form.follow-up", has_text=NEED).locator(".need-propose")
    assert link.inner_text() == "Maak er een voorstel van"
    link.focus()
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/gesprekken/behoefte/\d+/voorstel$"))
    page.wait_for_function("() => window.placemakerMap && window.placemakerMap.map")
    page.wait_for_selector("#spot-context[data-state=ready]")  # the pin starts in the area
    assert NEED in page.inner_text("#need-text")
    assert page.input_value("#lon") and page.input_value("#lat")
    if violations := serious_violations(page):
        found["form"] = violations
    form_url = page.url

    # On a phone the form fits.
    phone = new_context(browser, live_server, "phone")
    small = logged_in_page(phone, live_server)
    for url in (f"{live_server}/areas/{AREA}/gesprekken", form_url):
        small.goto(url)
        small.wait_for_load_state("networkidle")
        assert small.evaluate("document.documentElement.scrollWidth") <= 390, url
    small.screenshot(path=str(artifacts / "need-proposal-phone.png"), full_page=True)
    phone.close()

    # Sent without a kind: the error names it, the spot stays.
    click_map_at(page, *SPOT)
    page.wait_for_selector("#spot-context[data-state=ready]")
    lon = page.input_value("#lon")
    page.click("#submit-button")
    page.wait_for_load_state()
    assert "Kies wat voor plek het voorstel is." in page.inner_text("#form-error")
    assert page.input_value("#lon") == lon
    if violations := serious_violations(page):
        found["form with an error"] = violations

    # By keyboard: the kind, then send.
    page.focus("#kind")
    page.select_option("#kind", "vegetable_garden")
    page.focus("#submit-button")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(rf"/areas/{AREA}/gesprekken"))
    flash = page.inner_text(".flashes")
    assert "wacht in de wachtrij van de moderatie" in flash
    proposal_id = re.search(r"#(\d+)", flash).group(1)
    heard = page.inner_text("#heard")
    assert (
        f"voorstel #{proposal_id}" in heard and "Ontvangen, wacht op de gebiedsbeheerder" in heard
    )
    page.screenshot(path=str(artifacts / "need-proposal-done.png"), full_page=False)

    # Leave the queue as it was: the manager rejects it.
    page.goto(f"{live_server}/moderatie/{proposal_id}")
    assert "Uit het bewonersgesprek van" in page.inner_text("#proposal-origin")
    page.click("summary:has-text('Afwijzen')")
    page.fill("#reject-reason", "Opgeruimd na de test.")
    page.click("#reject-button")
    page.wait_for_load_state()
    context.close()
    assert errors == []
    assert found == {}, found
