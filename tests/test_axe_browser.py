"""Every page, at desktop (1280×900) and phone (390×844) size: axe-core (from the npm registry,
node_modules/axe-core) finds no violation of impact serious or critical, and nothing scrolls
sideways."""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select

from placemaker.accounts.models import User
from placemaker.areas.models import Area
from placemaker.conversations import service as conversations
from placemaker.extensions import db
from placemaker.places.models import Place
from placemaker.proposals import tracking
from placemaker.reports import service as reports
from tests.browser import MANAGER, SIZES, log_in, new_context

pytestmark = pytest.mark.browser

AXE = Path(__file__).resolve().parent.parent / "node_modules" / "axe-core" / "axe.min.js"
PUBLIC = [
    "/",
    "/?lang=en",
    "/planners",
    "/planners/compare",
    "/planners/report",
    "/places",
    "/places?level=buurt",
    "/places?lang=en",
    "/places/{place}",
    "/places/{place}/melden",
    "/areas",
    "/areas?level=buurt",
    "/areas/DX09",
    "/voorstellen",
    "/voorstellen/open",
    "/voorstellen/{proposal}",
    "/voorstellen/volg/{proposal_token}",
    "/meldingen/volg/{report_token}",
    "/login",
    "/api/docs",
    "/ogc?f=html",
    "/ogc/conformance?f=html",
    "/ogc/collections?f=html",
    "/ogc/collections/places/items?f=html",
    "/ogc/collections/places/items/{place}?f=html",
    "/ogc/collections/places/queryables?f=html",
    "/bestaat-niet",  # the error page
    "/?lang=nl",
]
MANAGER_PAGES = [
    "/moderatie",
    "/moderatie/{proposal}",
    "/moderatie/overzicht",
    "/moderatie/meldingen",
    "/moderatie/meldingen/{report}",
    "/moderatie/bezoekronde",
    "/places/new",
    "/places/{place}/edit",
    "/areas/DX09/gesprekken",
    "/gesprekken/behoefte/{need}/voorstel",
    "/account/tokens",
]
# A spot of its own in DX09 (the demo manager's area), away from other browser tests' spots.
SPOT = (4.8452, 52.3641)


@functools.cache
def axe_source() -> str:
    return AXE.read_text(encoding="utf-8")


def serious_violations(page) -> list[dict]:
    """Run axe on the loaded page; the violations that are serious or critical."""
    page.wait_for_load_state("networkidle")
    if not page.evaluate("() => typeof axe !== 'undefined'"):
        page.add_script_tag(content=axe_source())
    result = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:5]}
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


@pytest.fixture(scope="module")
def ids(live_app: Flask) -> Iterator[dict[str, object]]:
    """A proposal and a report with their tracking tokens, a place and a conversation's need in
    DX09; the proposal is withdrawn afterwards so that other browser tests find the queue as
    they left it."""
    with live_app.test_request_context():
        proposed = tracking.submit(
            tracking.Submission(
                lon=SPOT[0],
                lat=SPOT[1],
                kind_code="bench",
                reason="Een bankje bij de school, voor wie op de kinderen wacht.",
                name="Anna de Vries",
                email="anna@example.org",
                submission_key=tracking.new_submission_key(),
            )
        )
        place = db.session.scalar(
            select(Place).where(Place.name == "OBA Postjesweg").order_by(Place.id).limit(1)
        )
        assert place is not None
        reported = reports.submit(
            reports.Submission(
                place_id=place.id,
                kind="broken",
                text="De deur klemt.",
                submission_key=tracking.new_submission_key(),
            )
        )
        manager = db.session.scalar(select(User).where(User.email == MANAGER))
        area = db.session.scalar(select(Area).where(Area.code == "DX09"))
        heard = conversations.record_conversation(
            manager,
            area,
            {"held_on": date.today().isoformat(), "residents": "4", "needs": "Een moestuin"},
        )
        db.session.commit()
        found = {
            "need": heard.needs[0].id,
            "place": place.id,
            "proposal": proposed.proposal.id,
            "proposal_token": proposed.token,
            "report": reported.report.id,
            "report_token": reported.token,
        }
    yield found
    with live_app.test_request_context():
        tracking.withdraw(tracking.find_by_token(proposed.token))
        db.session.commit()


@pytest.mark.parametrize("size", list(SIZES))
def test_every_page_passes_axe_and_fits_the_screen(size, browser, live_server, ids, artifacts):
    assert AXE.exists(), "run script/setup (npm ci installs axe-core)"
    width = SIZES[size]["width"]
    context = new_context(browser, live_server, size)
    page = context.new_page()
    violations: dict[str, list[dict]] = {}
    too_wide: dict[str, int] = {}

    def check(path: str) -> None:
        page.goto(live_server + path.format(**ids))
        found = serious_violations(page)
        if found:
            violations[path] = found
        scroll_width = page.evaluate("document.documentElement.scrollWidth")
        if scroll_width > width:
            too_wide[path] = scroll_width

    for path in PUBLIC:
        check(path)
    log_in(page, live_server)
    for path in MANAGER_PAGES:
        check(path)
    page.goto(f"{live_server}/moderatie")
    page.screenshot(path=str(artifacts / f"inbox-{size}.png"))
    context.close()
    assert violations == {}, json.dumps(violations, indent=1)
    assert too_wide == {}
