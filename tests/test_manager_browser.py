"""An area manager in Chromium at desktop and phone sizes: the inbox count in the header,
merging a duplicate (its resident gets the e-mail), recording a ward conversation and its
follow-up, and a proposal's way from approval to a planned and then an open place."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest
from flask import Flask

from placemaker.extensions import db
from placemaker.proposals import tracking
from tests.browser import logged_in_page
from tests.mailbox import body

pytestmark = pytest.mark.browser

# In DX09, the demo area manager's ward; one spot per size, apart from other tests' spots.
SPOTS = {"desktop": (4.8440, 52.3592), "phone": (4.8470, 52.3600)}


def propose(live_app: Flask, lon: float, lat: float, email: str, reason: str) -> tuple[int, str]:
    """A resident's proposal as the form stores it: (its number, its tracking token)."""
    with live_app.test_request_context():
        sent = tracking.submit(
            tracking.Submission(
                lon=lon,
                lat=lat,
                kind_code="bench",
                reason=reason,
                name=None,
                email=email,
                submission_key=tracking.new_submission_key(),
            )
        )
        db.session.commit()
        return sent.proposal.id, sent.token


@pytest.fixture()
def two_alike(sized, live_app) -> Iterator[tuple[tuple[int, str], tuple[int, str]]]:
    size, _ = sized
    lon, lat = SPOTS[size]
    first = propose(live_app, lon, lat, f"eerste-{size}@example.org", "Een bankje bij de vijver.")
    second = propose(
        live_app, lon + 0.0002, lat, f"tweede-{size}@example.org", "Graag een bank aan het water."
    )
    yield first, second


def inbox_count(page) -> int:
    """The number in the header's badge (none shown when nothing waits)."""
    badge = page.locator("#inbox-count")
    return int(badge.evaluate("n => n.firstChild.textContent")) if badge.count() else 0


def test_inbox_merge_conversation_and_a_place_from_plan_to_open(
    sized, live_server, live_mail, two_alike, artifacts
):
    size, context = sized
    (first, first_token), (second, second_token) = two_alike
    manager = logged_in_page(context, live_server)
    errors: list[str] = []
    manager.on("pageerror", lambda exc: errors.append(str(exc)))

    # The header counts what waits; the queue shows the oldest first and offers the merge.
    manager.goto(f"{live_server}/moderatie")
    waiting = inbox_count(manager)
    assert waiting >= 2
    queue = manager.inner_text("main")
    assert queue.index(f"#{first}") < queue.index(f"#{second}")
    manager.screenshot(path=str(artifacts / f"manager-inbox-{size}.png"), full_page=True)
    manager.click(f"text=Samenvoegen met #{first}")
    manager.wait_for_load_state()
    assert inbox_count(manager) == waiting - 1

    # The resident of the merged proposal hears where their support went.
    (mail,) = live_mail.wait_for(f"tweede-{size}@example.org")
    assert f"#{second}" in mail["Subject"]
    assert f"/voorstellen/volg/{second_token}" in body(mail)
    resident = context.new_page()
    resident.goto(f"{live_server}/voorstellen/volg/{second_token}")
    assert f"Samengevoegd met voorstel #{first}" in resident.inner_text("main")

    # A ward conversation: what residents want, and what the manager does about it.
    manager.goto(f"{live_server}/areas/DX09/gesprekken")
    manager.fill("#held_on", date.today().isoformat())
    manager.fill("#streets", "Postjesweg")
    manager.fill("#residents", "7")
    manager.select_option("#rung_wanted", "3")
    need = f"Een plek in de schaduw om te zitten ({size})"
    manager.fill("#needs", need)
    manager.click("main form button[type=submit] >> text=Vastleggen")
    manager.wait_for_load_state()
    todo = manager.locator("form.follow-up", has_text=need)
    todo.locator("input[name=task]").fill("Twee bomen planten bij het bankje")
    todo.locator("button[type=submit]").click()
    manager.wait_for_load_state()
    manager.goto(f"{live_server}/areas/DX09")
    # The rung residents asked for is the area's wanted rung on its ladder.
    assert manager.inner_text(".ladder .is-wanted").startswith("3. alledaagse attentheid")
    heard = manager.inner_text("#heard")
    assert "7 bewoners" in heard and need in heard
    assert "Twee bomen planten bij het bankje" in heard
    manager.screenshot(path=str(artifacts / f"area-heard-{size}.png"), full_page=True)

    # Approved as planned; built; opened. The place page dates every step.
    manager.goto(f"{live_server}/moderatie/{first}")
    manager.click("text=Goedkeuren: de plek in het register opnemen")
    manager.fill("#approve-name", f"Bankje aan de vijver ({size})")
    manager.check("input[name=exists][value='0']")
    manager.click("#approve-button")
    manager.wait_for_load_state()
    assert inbox_count(manager) == waiting - 2
    manager.goto(f"{live_server}/voorstellen/volg/{first_token}")
    manager.click("#place-link")
    assert "Gepland" in manager.inner_text(".place-life")
    for status in ("under_construction", "active"):
        manager.select_option("select[name=status]", status)
        manager.click(".status-form button")
        manager.wait_for_load_state()
    life = manager.inner_text(".place-life")
    assert life.index("Gepland") < life.index("In aanbouw") < life.index("Open")
    manager.screenshot(path=str(artifacts / f"place-life-{size}.png"), full_page=True)
    assert errors == []
