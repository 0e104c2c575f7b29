"""The area manager's inbox: the count in the header, replies flagged, one-click merge."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from placemaker.extensions import db
from placemaker.proposals import inbox, moderation, tracking
from placemaker.proposals.models import Proposal, ProposalStatus, ProposalSupport
from tests.factories import client_for, csrf_token
from tests.test_proposals import (
    MANAGER,
    QUIET,
    WEST,
    user,
)
from tests.test_proposals_web import propose, token_of


def test_waiting_count_replies_and_merge_targets(make_proposal):  # noqa: F811
    manager = user(MANAGER)
    before = inbox.waiting_count(manager)
    first, _ = make_proposal()
    second, token = make_proposal(lon=QUIET[0] + 0.0002)  # some 14 m further
    assert inbox.waiting_count(manager) == before + 2
    far, _ = make_proposal(lon=QUIET[0] + 0.01)  # some 700 m east: no merge
    assert inbox.waiting_count(user(WEST)) == 0  # outside their areas
    waiting = inbox.waiting_count(manager)
    moderation.ask(second, manager, "Aan welke kant van het pad?")
    assert inbox.waiting_count(manager) == waiting - 1  # now waiting on the resident
    tracking.reply(second, "Aan de kant van de speeltuin.")
    assert inbox.answered_by_resident([first.id, second.id, far.id]) == {second.id}
    targets = inbox.merge_targets([first.id, second.id, far.id])
    assert targets == {second.id: first.id}


def test_header_count_and_one_click_merge_carries_supports_and_tells_the_resident(app):
    resident = app.test_client()
    first_token = token_of(propose(resident))
    second_token = token_of(propose(app.test_client(), lon=str(QUIET[0] + 0.0002)))
    with app.app_context():
        first = tracking.find_by_token(first_token).id
        second = tracking.find_by_token(second_token).id
    supporter = app.test_client()
    page = supporter.get(f"/voorstellen/{second}")
    assert supporter.post(
        f"/voorstellen/{second}/steun", data={"csrf_token": csrf_token(page)}
    ).status_code in (200, 303)

    manager = client_for(app, MANAGER)
    queue = manager.get("/moderatie")
    html = queue.get_data(as_text=True)
    count = re.search(r'id="inbox-count">(\d+)<span class="visually-hidden"> (.*?)</span>', html)
    assert count and int(count.group(1)) >= 2 and count.group(2) == "voorstellen wachten"
    # Oldest first.
    assert html.index(f">#{first}<") < html.index(f">#{second}<")
    assert f"Samenvoegen met #{first}" in html
    action = f'action="/moderatie/{second}/mark_duplicate"'
    form = re.search(
        r"<form method=\"post\" " + re.escape(action) + r".*?</form>", html, re.S
    ).group(0)
    data = dict(re.findall(r'name="([a-z_]+)" value="([^"]*)"', form))
    done = manager.post(f"/moderatie/{second}/mark_duplicate", data=data)
    assert done.status_code == 303
    with app.app_context():
        merged = db.session.get(Proposal, second)
        assert merged.status is ProposalStatus.duplicate
        assert merged.duplicate_of_proposal_id == first
        assert (
            db.session.scalar(
                select(func.count())
                .select_from(ProposalSupport)
                .where(ProposalSupport.proposal_id == first)
            )
            >= 1
        )
    track = app.test_client().get(f"/voorstellen/volg/{second_token}").get_data(as_text=True)
    assert f"Samengevoegd met voorstel #{first}" in track


def test_adding_a_place_next_to_one_warns_first(app):
    manager = client_for(app, MANAGER)
    page = manager.get("/places/new")
    data = {
        "csrf_token": csrf_token(page),
        "name": "Bibliotheek",
        "kind_code": "library",
        "lon": "4.835100",
        "lat": "52.364300",
    }  # a few metres from OBA Postjesweg
    warned = manager.post("/places/new", data=data)
    html = warned.get_data(as_text=True)
    assert warned.status_code == 200
    assert "Binnen 50 m staat al 1 plek. Is dit dezelfde?" in html or "Binnen 50 m staan al" in html
    assert "OBA Postjesweg" in html
    with app.app_context():
        from placemaker.places.models import Place

        assert (
            db.session.scalar(
                select(func.count()).select_from(Place).where(Place.name == "Bibliotheek")
            )
            == 0
        )
    added = manager.post("/places/new", data={**data, "confirm_nearby": "1"})
    assert added.status_code == 303


def test_the_login_page_speaks_dutch_on_the_dutch_site(app):
    html = app.test_client().get("/login").get_data(as_text=True)
    assert "E-mailadres" in html and "Wachtwoord" in html
    assert "Password" not in html and "E-mail address" not in html
