"""The whole story in headless Chromium: propose on the map, track, approve, reject."""

from __future__ import annotations

import re

import pytest

from tests.browser import logged_in_page, new_context

pytestmark = pytest.mark.browser

NEAR_OBA = (4.8354, 52.3644)  # some 30 m from OBA Postjesweg
QUIET = (4.8405, 52.3660)


@pytest.fixture()
def context(browser, live_server):
    context = new_context(browser, live_server, viewport={"width": 1280, "height": 1000})
    yield context
    context.close()


def click_map_at(page, lon: float, lat: float, zoom: int = 18) -> None:
    """Zoom the map to a spot and click it, as a resident would."""
    x, y = page.evaluate(
        """([lon, lat, zoom]) => {
            const map = window.placemakerMap.map;
            map.setView([lat, lon], zoom, {animate: false});
            const p = map.latLngToContainerPoint([lat, lon]);
            const box = map.getContainer().getBoundingClientRect();
            return [box.left + p.x, box.top + p.y];
        }""",
        [lon, lat, zoom],
    )
    page.mouse.click(x, y)


def propose_by_clicking(page, live_server, lon, lat, reason) -> str:
    page.goto(f"{live_server}/voorstellen")
    page.wait_for_function("() => window.placemakerMap && window.placemakerMap.map")
    click_map_at(page, lon, lat)
    page.wait_for_selector("#spot-context[data-state=ready]")
    page.select_option("#kind", "bench")
    page.fill("#reason", reason)
    page.fill("#name", "Anna de Vries")
    page.fill("#email", "anna@example.org")
    page.click("#submit-button")
    page.wait_for_url(re.compile(r"/voorstellen/volg/"))
    return page.input_value("#track-url")


def withdraw(page, track_url: str) -> None:
    """Withdraw a proposal a test made, so that other tests find the queue as they left it."""
    page.goto(track_url)
    page.click("#withdraw-button")
    page.wait_for_load_state()
    assert page.locator("#withdraw-button").count() == 0


def test_propose_track_approve_and_reject(context, live_server, artifacts):
    resident = context.new_page()
    errors: list[str] = []
    resident.on("pageerror", lambda exc: errors.append(str(exc)))

    # 1. The resident clicks the map near the library and is asked "is this the same one?"
    resident.goto(f"{live_server}/voorstellen")
    resident.wait_for_function("() => window.placemakerMap && window.placemakerMap.map")
    click_map_at(resident, *NEAR_OBA)
    resident.wait_for_selector("#spot-context[data-state=ready]")
    warning = resident.inner_text("#same-one")
    assert "OBA Postjesweg" in warning and "Is dit dezelfde?" in warning
    context_text = resident.inner_text("#spot-context")
    assert "Overtoomse Veld Noord" in context_text and "Sociale samenhang" in context_text
    assert float(resident.input_value("#lon")) == pytest.approx(NEAR_OBA[0], abs=2e-5)
    assert float(resident.input_value("#lat")) == pytest.approx(NEAR_OBA[1], abs=2e-5)

    # 2. It is a different thing after all: a bench beside the library. Submit.
    resident.select_option("#kind", "bench")
    resident.fill("#reason", "Een bankje naast de bibliotheek, om even te zitten na het lenen.")
    resident.fill("#name", "Anna de Vries")
    resident.fill("#email", "anna@example.org")
    resident.screenshot(path=str(artifacts / "proposal-form.png"), full_page=True)
    resident.click("#submit-button")
    resident.wait_for_url(re.compile(r"/voorstellen/volg/[A-Za-z0-9_-]{40,}\?new=1"))
    tracking_url = resident.input_value("#track-url")
    assert "Dank u wel! Uw voorstel is ontvangen." in resident.inner_text("body")

    # 3. Later, the resident opens the tracking link.
    resident.goto(tracking_url)
    assert resident.inner_text("#proposal-status") == "Ontvangen, wacht op de gebiedsbeheerder"

    # 4. The area manager approves it from the queue.
    manager = logged_in_page(context, live_server)
    manager.goto(f"{live_server}/moderatie")
    manager.click("table.queue tbody tr:first-child a")
    assert "anna@example.org" in manager.inner_text("#personal-data")
    assert "OBA Postjesweg" in manager.inner_text(".nearby-list")
    manager.click("text=Goedkeuren: de plek in het register opnemen")
    manager.fill("#approve-name", "Bankje bij de OBA Postjesweg")
    manager.check("input[name=exists][value='1']")  # it stands there already: open
    manager.click("#approve-button")
    manager.wait_for_selector("text=Goedgekeurd: de plek staat in het register.")
    assert manager.inner_text("#proposal-status") == "Goedgekeurd"

    # 5. The new (open) place is on the map, and the resident sees the approval.
    resident.goto(f"{live_server}/voorstellen")
    resident.wait_for_function("() => window.placemakerMap && window.placemakerMap.map")
    resident.evaluate(
        "([lon, lat]) => window.placemakerMap.map.setView([lat, lon], 18)", list(NEAR_OBA)
    )
    resident.wait_for_function(
        """() => Object.values(window.placemakerMap.map._layers)
              .some(l => l.options && l.options.pmName === "Bankje bij de OBA Postjesweg")"""
    )
    resident.goto(tracking_url)
    assert resident.inner_text("#proposal-status") == "Goedgekeurd"
    assert resident.is_visible("#place-link")

    # 6. Another proposal is rejected; the resident reads the reason.
    second_url = propose_by_clicking(
        resident, live_server, *QUIET, "Een moestuin op het grasveld achter de flat."
    )
    manager.goto(f"{live_server}/moderatie")
    manager.click("table.queue tbody tr:first-child a")
    manager.click("text=Afwijzen")
    manager.fill(
        "#reject-reason", "Onder dit grasveld ligt een leiding; daar mag niet gegraven worden."
    )
    manager.click("#reject-button")
    manager.wait_for_selector("text=Afgewezen. De bewoner leest uw reden op de volgpagina.")
    resident.goto(second_url)
    assert resident.inner_text("#proposal-status") == "Niet goedgekeurd"
    assert "Onder dit grasveld ligt een leiding" in resident.inner_text("#answer")
    resident.screenshot(path=str(artifacts / "proposal-rejected.png"), full_page=True)
    assert errors == []


def test_script_typed_by_a_resident_never_runs(context, live_server):
    page = context.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    url = propose_by_clicking(
        page,
        live_server,
        QUIET[0] + 0.0004,
        QUIET[1],
        "<img src=x onerror=alert(1)><script>alert(2)</script> hier",
    )
    page.goto(url)
    assert "<img src=x onerror=alert(1)>" in page.inner_text(".card .user-text")
    page.goto(f"{live_server}/voorstellen/open")
    page.wait_for_function("() => window.placemakerMap.map.getContainer().dataset.ready")
    page.goto(f"{live_server}/voorstellen")
    page.wait_for_function("() => window.placemakerMap && window.placemakerMap.map")
    click_map_at(page, QUIET[0] + 0.0004, QUIET[1])
    page.wait_for_selector("#spot-context[data-state=ready]")
    assert dialogs == []
