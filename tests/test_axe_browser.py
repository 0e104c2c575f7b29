"""axe-core (from the npm registry, node_modules/axe-core) on every page at 1280×900: no
violation of impact serious or critical."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.test_proposals_browser import log_in, propose_by_clicking

pytestmark = pytest.mark.browser

AXE = Path(__file__).resolve().parent.parent / "node_modules" / "axe-core" / "axe.min.js"
PUBLIC = [
    "/",
    "/planners",
    "/places",
    "/places?level=buurt",
    "/areas",
    "/areas/DX09",
    "/voorstellen",
    "/voorstellen/open",
    "/voorstellen/lijst",
    "/login",
    "/ogc?f=html",
    "/api/docs",
    "/?lang=en",
    "/places?lang=en",
    "/?lang=nl",
]
MANAGER_PAGES = [
    "/moderatie",
    "/moderatie/overzicht",
    "/moderatie/meldingen",
    "/moderatie/bezoekronde",
    "/places/new",
]
# A spot of its own, far enough from the spots other browser tests propose.
SPOT = (4.8452, 52.3641)


def serious_violations(page) -> list[dict]:
    """Run axe on the loaded page; the violations that are serious or critical."""
    page.wait_for_load_state("networkidle")
    page.add_script_tag(content=AXE.read_text(encoding="utf-8"))
    result = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:5]}
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def withdraw(page, track_url: str) -> None:
    """Withdraw a proposal a test made, so that other tests find the queue as they left it."""
    page.goto(track_url)
    page.click("#withdraw-button")
    page.wait_for_load_state()
    assert page.locator("#withdraw-button").count() == 0


@pytest.fixture()
def context(browser, live_server):
    context = browser.new_context(locale="nl-NL", viewport={"width": 1280, "height": 900})
    context.route(re.compile(r"^(?!" + re.escape(live_server) + r")"), lambda route: route.abort())
    yield context
    context.close()


def test_axe_finds_nothing_serious_on_any_page(context, live_server, artifacts):
    assert AXE.exists(), "run script/setup (npm ci installs axe-core)"
    found: dict[str, list[dict]] = {}

    def check(page, path: str) -> None:
        page.goto(live_server + path)
        violations = serious_violations(page)
        if violations:
            found[path] = violations

    resident = context.new_page()
    for path in PUBLIC:
        check(resident, path)
    track_url = propose_by_clicking(resident, live_server, *SPOT, "Een bankje bij de school")
    check(resident, track_url.replace(live_server, ""))
    manager = log_in(context, live_server)
    for path in MANAGER_PAGES:
        check(manager, path)
    manager.goto(live_server + "/moderatie")
    link = manager.locator("a[href^='/moderatie/']").evaluate_all(
        "els => els.map(a => a.getAttribute('href')).filter(h => /\\/moderatie\\/\\d+$/.test(h))"
    )
    assert link
    check(manager, link[0])
    manager.goto(live_server + "/places")
    place = manager.locator("a[href^='/places/']").evaluate_all(
        "els => els.map(a => a.getAttribute('href')).filter(h => /\\/places\\/\\d+$/.test(h))"
    )
    assert place
    check(manager, place[0])
    manager.goto(live_server + "/")
    manager.screenshot(path=str(artifacts / "axe-map.png"))
    withdraw(resident, track_url)
    assert found == {}, json.dumps(found, indent=1)
