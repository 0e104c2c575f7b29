"""Every page at 390×844 (a phone): no horizontal scroll."""

from __future__ import annotations

import re

import pytest

from tests.test_proposals_browser import MANAGER, PASSWORD

pytestmark = pytest.mark.browser

PUBLIC = [
    "/",
    "/voorstellen",
    "/voorstellen/lijst",
    "/places",
    "/places?level=buurt",
    "/areas",
    "/areas?level=buurt",
    "/areas/DX09",
    "/login",
    "/planners",
    "/ogc?f=html",
    "/ogc/collections?f=html",
    "/ogc/collections/places/items?f=html",
]
MANAGER_PAGES = ["/moderatie", "/places/new", "/tokens"]


def test_no_page_scrolls_sideways_on_a_phone(browser, live_server, artifacts):
    context = browser.new_context(locale="nl-NL", viewport={"width": 390, "height": 844})
    context.route(re.compile(r"^(?!" + re.escape(live_server) + r")"), lambda route: route.abort())
    page = context.new_page()
    too_wide = {}

    def check(path: str) -> None:
        page.goto(live_server + path)
        page.wait_for_load_state("networkidle")
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > 390:
            too_wide[path] = width

    for path in PUBLIC:
        check(path)
    page.goto(f"{live_server}/login")
    page.fill("input[name=email]", MANAGER)
    page.fill("input[name=password]", PASSWORD)
    page.click("form button[type=submit]")
    page.wait_for_load_state()
    for path in MANAGER_PAGES:
        check(path)
    page.goto(f"{live_server}/places")
    page.screenshot(path=str(artifacts / "places-phone.png"), full_page=False)
    context.close()
    assert too_wide == {}
