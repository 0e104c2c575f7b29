"""Ward conversations: recorded by area managers, public as "what we heard — what we did"."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from flask_babel import format_date
from sqlalchemy import func, select

from placemaker.areas.service import (
    AreaContext,
    Node,
    VoicedRungs,
    get_area,
    load_context,
    point_inside,
)
from placemaker.cache import data_version
from placemaker.conversations import service
from placemaker.conversations.models import Need
from placemaker.errors import Conflict, Forbidden, InvalidInput
from placemaker.extensions import db
from placemaker.proposals import from_need, moderation
from placemaker.proposals.models import Proposal, ProposalStatus
from placemaker.proposals.tracking import new_submission_key
from tests.factories import OVERTOOMSE_VELD as QUIET
from tests.factories import client_for, csrf_token, scalar
from tests.test_proposals import (
    ADMIN,
    MANAGER,
    NEAR_OBA,
    OBA,
    WEST,
    user,
)

AREA = "DX09"  # Slotervaart, the demo manager's gebied


def test_conversations_give_the_wanted_rung_and_its_history(make_proposal):  # noqa: F811
    area, manager = get_area(AREA), user(MANAGER)
    older = service.record_conversation(
        manager,
        area,
        {
            "held_on": (date.today() - timedelta(days=30)).isoformat(),
            "residents": "12",
            "rung_wanted": "4",
            "needs": "Een bankje bij de school\n\n  Een buurtkamer  ",
        },
    )
    assert [n.text for n in older.needs] == ["Een bankje bij de school", "Een buurtkamer"]
    service.record_conversation(
        manager,
        area,
        {
            "held_on": date.today().isoformat(),
            "residents": "7",
            "rung_wanted": "3",
            "streets": "Comeniusstraat, Jan Evertsenstraat",
        },
    )
    rungs = service.area_rungs(area)
    assert rungs.wanted == 3 and [c.residents for c in rungs.conversations] == [7, 12]
    proposal, _ = make_proposal()
    service.follow_up(manager, older.needs[0], proposal_id=str(proposal.id))
    service.follow_up(manager, older.needs[1], task="Gesprek met de corporatie over een ruimte")
    assert older.needs[0].proposal_id == proposal.id
    assessed = service.assess_rung(manager, area, "5", "Weinig contact tussen buren")
    assert service.area_rungs(area).assessed.id == assessed.id


def test_the_rungs_managers_record_are_the_areas_rungs_everywhere(client):
    """The area page, the API, the map's ladder layers and the gap analysis read an area's
    rungs from one place: what managers recorded here comes before imported rungs."""
    area, manager = get_area(AREA), user(MANAGER)
    ctx = load_context()
    node = ctx.by_code[AREA]
    buurt = next(ctx.nodes[c] for c in ctx.children[node.id])
    before = ctx.cohesion_of(node)
    assert (before.rung_assessed, before.rung_wanted) == (None, None)  # the demo has none
    stamp = data_version()

    service.record_conversation(
        manager, area, {"held_on": date.today().isoformat(), "residents": "9", "rung_wanted": "3"}
    )
    service.assess_rung(manager, area, "5", "Buren kennen elkaar nauwelijks")
    db.session.flush()
    ctx = load_context()
    now = ctx.cohesion_of(ctx.by_code[AREA])
    assert (now.rung_assessed, now.rung_wanted) == (5, 3)
    assert now.score == before.score and now.year == before.year  # the score stays imported
    inner = ctx.cohesion_of(buurt)
    assert (inner.rung_assessed, inner.rung_wanted) == (5, 3) and inner.inherited
    past = ctx.cohesion_of(ctx.by_code[AREA], before.year)  # a past year: imported rungs only
    assert (past.rung_assessed, past.rung_wanted) == (None, None)
    assert data_version() != stamp  # cached analyses go stale

    api = client.get(f"/api/areas/{AREA}").get_json()["properties"]["cohesion"]
    assert (api["rung_assessed"], api["rung_wanted"]) == (5, 3)
    page = client.get(f"/areas/{AREA}").get_data(as_text=True)
    ladder = page[page.index('id="ladder-title"') :]
    ladder = ladder[: ladder.index("</section>")]
    assert "Nog niet beoordeeld" not in ladder
    assert re.search(r'class="is-assessed\s*"[^>]*>\s*<span>5\.', ladder)
    assert re.search(r'class="\s*is-wanted"[^>]*>\s*<span>3\.', ladder)


def test_an_area_without_imported_cohesion_gets_its_rungs_from_conversations():
    """A municipality that publishes no cohesion figures still has the rungs it recorded."""
    town = Node(1, "GM9999", "Ergens", "gemeente", None)
    wijk = Node(2, "WK999901", "Centrum", "wijk", 1)
    buurt = Node(3, "BU99990101", "Dorpskern", "buurt", 2)
    ctx = AreaContext(
        nodes={n.id: n for n in (town, wijk, buurt)},
        by_code={n.code: n for n in (town, wijk, buurt)},
        children={1: [2], 2: [3]},
        population={},
        voiced={2: VoicedRungs(assessed=None, wanted=3, year=2026)},
    )
    assert ctx.cohesion_of(town) is None
    own, inner = ctx.cohesion_of(wijk), ctx.cohesion_of(buurt)
    assert (own.score, own.rung_wanted, own.inherited) == (None, 3, False)
    assert (inner.rung_wanted, inner.inherited, inner.from_area) == (3, True, wijk)
    assert ctx.cohesion_of(buurt, 2026) is None  # a given year reads imported figures only


@pytest.mark.parametrize(
    "values, field",
    [
        ({"held_on": "", "residents": "3"}, "held_on"),
        ({"held_on": (date.today() + timedelta(days=2)).isoformat(), "residents": "3"}, "held_on"),
        ({"held_on": "2026-01-05", "residents": "-1"}, "residents"),
        ({"held_on": "2026-01-05", "residents": "3", "rung_wanted": "9"}, "rung"),
    ],
)
def test_bad_input_names_the_field(en_ctx, values, field):  # noqa: F811
    with pytest.raises(InvalidInput) as caught:
        service.record_conversation(user(MANAGER), get_area(AREA), values)
    assert caught.value.details["field"] == field


def test_only_the_areas_manager_records(en_ctx):  # noqa: F811
    with pytest.raises(Forbidden):
        service.record_conversation(
            user(WEST), get_area(AREA), {"held_on": "2026-01-05", "residents": "3"}
        )
    with pytest.raises(InvalidInput, match="why"):
        service.assess_rung(user(MANAGER), get_area(AREA), "3", " ")


def test_manager_records_and_the_public_reads_it(app):
    manager = client_for(app, MANAGER)
    page = manager.get(f"/areas/{AREA}/gesprekken")
    assert page.status_code == 200
    bad = manager.post(
        f"/areas/{AREA}/gesprekken",
        data={
            "csrf_token": csrf_token(page),
            "held_on": "",
            "residents": "9",
            "needs": "Schaduw op het plein",
        },
    )
    assert bad.status_code == 400 and "Schaduw op het plein" in bad.get_data(as_text=True)
    done = manager.post(
        f"/areas/{AREA}/gesprekken",
        data={
            "csrf_token": csrf_token(page),
            "held_on": date.today().isoformat(),
            "residents": "1",
            "rung_wanted": "3",
            "streets": "Postjesweg",
            "needs": "Schaduw op het plein",
        },
    )
    assert done.status_code == 303
    page = manager.get(f"/areas/{AREA}/gesprekken")
    need_id = re.search(r'action="/gesprekken/behoefte/(\d+)"', page.get_data(as_text=True))
    assert (
        manager.post(
            f"/gesprekken/behoefte/{need_id.group(1)}",
            data={"csrf_token": csrf_token(page), "task": "Twee bomen planten"},
        ).status_code
        == 303
    )
    public = app.test_client().get(f"/areas/{AREA}").get_data(as_text=True)
    heard = public[public.index('id="heard"') :]
    heard = heard[: heard.index("</section>")]
    assert "Wat we hoorden — wat we deden" in heard
    assert "1 bewoner" in heard and "1 bewoners" not in heard
    assert "Schaduw op het plein" in heard and "Twee bomen planten" in heard
    assert MANAGER not in heard
    assert app.test_client().get(f"/areas/{AREA}/gesprekken").status_code in (302, 401, 403)


# --- a need becomes a proposal ----------------------------------------------------------------

NEED = "Een bankje in de schaduw bij het veld"
HELD_ON = date.today() - timedelta(days=3)


def conversation_with_need(text: str = NEED):
    return service.record_conversation(
        user(MANAGER),
        get_area(AREA),
        {"held_on": HELD_ON.isoformat(), "residents": "8", "needs": text},
    )


def need_form(**values):
    return {
        "kind": "bench",
        "lon": str(QUIET[0]),
        "lat": str(QUIET[1]),
        "submission_key": new_submission_key(),
        **values,
    }


def test_a_need_becomes_a_proposal_in_the_queue_marked_as_from_the_conversation(app_ctx):
    manager = user(MANAGER)
    need = conversation_with_need().needs[0]
    form = need_form()
    made = from_need.propose(manager, need, form)
    proposal = made.proposal
    assert not made.repeated
    assert proposal.status is ProposalStatus.submitted and proposal.reason == NEED
    assert proposal.kind_code == "bench" and proposal.area.name == "Overtoomse Veld Noord"
    assert proposal.submitter_email is None and proposal.submitter_name is None
    assert need.proposal_id == proposal.id and proposal.conversation_id == need.conversation_id
    (event,) = proposal.events
    assert (event.action, event.actor, event.public) == ("from_conversation", manager.name, True)
    # In the normal moderation queue, its origin shown.
    assert proposal.id in {p.id for p in moderation.queue(manager).items}
    origin = from_need.origin(proposal)
    assert origin == (
        f"Uit het bewonersgesprek van {format_date(HELD_ON, 'long')} in {get_area(AREA).name}"
    )
    # The same form again (a double submit) makes no second proposal.
    again = from_need.propose(manager, need, form)
    assert again.repeated and again.proposal.id == proposal.id
    assert (
        db.session.scalar(
            select(func.count())
            .select_from(Proposal)
            .where(Proposal.conversation_id == need.conversation_id)
        )
        == 1
    )
    # Another form for the same need is refused: the need is that proposal already.
    with pytest.raises(Conflict, match=f"#{proposal.id}"):
        from_need.propose(manager, need, need_form(lon=str(QUIET[0] + 0.001)))
    # The area page's list tells what became of it, through the registry.
    outcome = service.area_rungs(get_area(AREA)).outcomes[proposal.id]
    assert outcome["status"] == "Ontvangen, wacht op de gebiedsbeheerder"
    assert outcome["url"] == f"/voorstellen/{proposal.id}" and outcome["place_url"] is None
    place = moderation.approve(proposal, manager, name="Bankje aan het veld")
    outcome = service.area_rungs(get_area(AREA)).outcomes[proposal.id]
    assert (outcome["status"], outcome["place_name"], outcome["place_status"]) == (
        "Goedgekeurd",
        "Bankje aan het veld",
        "Gepland",
    )
    assert outcome["place_url"] == f"/places/{place.id}"


@pytest.mark.parametrize(
    "values, field",
    [
        ({"kind": ""}, "kind"),
        ({"kind": "rocket_launcher"}, "kind"),
        ({"lon": "", "lat": ""}, "location"),
        ({"lon": "oost", "lat": "52.36"}, "location"),
        ({"lon": "10.5", "lat": "52.36"}, "location"),  # Germany
        ({"lon": "4.8952", "lat": "52.3702"}, "location"),  # the Dam: Amsterdam, not Slotervaart
        ({"lon": str(OBA[0]), "lat": str(OBA[1])}, "confirm_nearby"),  # the library is there
        ({"submission_key": "not-a-key"}, "form"),
    ],
)
def test_bad_need_proposals_name_the_field_and_store_nothing(en_ctx, values, field):
    need = conversation_with_need().needs[0]
    before = db.session.scalar(select(func.count()).select_from(Proposal))
    with pytest.raises(InvalidInput) as caught:
        from_need.propose(user(MANAGER), need, need_form(**values))
    assert caught.value.details["field"] == field
    assert db.session.scalar(select(func.count()).select_from(Proposal)) == before
    assert need.proposal_id is None


def test_what_lies_near_is_shown_and_may_be_proposed_anyway(en_ctx):
    need = conversation_with_need().needs[0]
    near = {"lon": str(NEAR_OBA[0]), "lat": str(NEAR_OBA[1])}
    with pytest.raises(InvalidInput, match="Propose it anyway") as caught:
        from_need.propose(user(MANAGER), need, need_form(**near))
    assert "OBA" in " ".join(p["name"] for p in caught.value.details["nearby"]["places"])
    made = from_need.propose(user(MANAGER), need, need_form(confirm_nearby="1", **near))
    assert need.proposal_id == made.proposal.id


def test_only_the_areas_manager_or_an_admin_makes_a_proposal_of_a_need(en_ctx):
    need = conversation_with_need().needs[0]
    with pytest.raises(Forbidden):
        from_need.propose(user(WEST), need, need_form())
    assert need.proposal_id is None
    made = from_need.propose(user(ADMIN), need, need_form())
    assert made.proposal.events[0].actor == user(ADMIN).name


def _need_link(page) -> str:
    found = re.search(r'href="(/gesprekken/behoefte/\d+/voorstel)"', page.get_data(as_text=True))
    assert found, "no 'make a proposal of it' link"
    return found.group(1)


def test_manager_makes_a_proposal_of_a_need_through_the_pages(app):
    manager = client_for(app, MANAGER)
    page = manager.get(f"/areas/{AREA}/gesprekken")
    assert (
        manager.post(
            f"/areas/{AREA}/gesprekken",
            data={
                "csrf_token": csrf_token(page),
                "held_on": HELD_ON.isoformat(),
                "residents": "8",
                "needs": NEED,
            },
        ).status_code
        == 303
    )
    page = manager.get(f"/areas/{AREA}/gesprekken")
    assert "Maak er een voorstel van" in page.get_data(as_text=True)
    url = _need_link(page)
    assert app.test_client().get(url).status_code in (302, 401)
    assert client_for(app, WEST).get(url).status_code == 403

    form_page = manager.get(url)
    html = form_page.get_data(as_text=True)
    assert form_page.status_code == 200 and NEED in html
    with app.app_context():
        lon, lat = point_inside(get_area(AREA))
    assert f'name="lon" value="{lon}"' in html and f'name="lat" value="{lat}"' in html
    key = re.search(r'name="submission_key" value="([A-Za-z0-9_-]{43})"', html).group(1)
    fields = {"csrf_token": csrf_token(form_page), "submission_key": key, "lat": str(QUIET[1])}

    # No kind, and a longitude that is no number: one clear error, what was typed stays.
    bad = manager.post(url, data={**fields, "lon": "4,84o5", "kind": ""})
    html = bad.get_data(as_text=True)
    assert bad.status_code == 400 and "Kies wat voor plek het voorstel is." in html
    assert 'value="4,84o5"' in html and f'value="{key}"' in html
    bad = manager.post(url, data={**fields, "lon": "4,84o5", "kind": "bench"})
    assert bad.status_code == 400 and "Kies wat voor plek" not in bad.get_data(as_text=True)
    assert 'aria-invalid="true"' in bad.get_data(as_text=True)
    # A form without its CSRF token stores nothing.
    refused = manager.post(
        url, data={**fields, "csrf_token": "", "lon": str(QUIET[0]), "kind": "bench"}
    )
    assert refused.status_code == 400
    assert (
        scalar(app, select(func.count()).select_from(Proposal).where(Proposal.reason == NEED)) == 0
    )

    good = {**fields, "lon": str(QUIET[0]), "kind": "bench"}
    done = manager.post(url, data=good)
    assert done.status_code == 303 and done.headers["Location"].endswith(
        f"/areas/{AREA}/gesprekken#heard"
    )
    again = manager.post(url, data=good)  # the same form sent twice
    assert again.status_code == 303
    flashed = manager.get(f"/areas/{AREA}/gesprekken").get_data(as_text=True)
    assert "niet twee keer" in flashed
    proposal_id = scalar(app, select(Proposal.id).where(Proposal.reason == NEED))
    assert (
        scalar(app, select(func.count()).select_from(Proposal).where(Proposal.reason == NEED)) == 1
    )
    assert f'href="{url}"' not in flashed  # the need is followed up now
    assert "Deze behoefte is al voorstel" in manager.get(url).get_data(as_text=True)

    # Moderators read where it came from, in the queue and on its page.
    origin = f"Uit het bewonersgesprek van {_long_date(app)} in"
    assert origin in manager.get("/moderatie").get_data(as_text=True)
    moderate = manager.get(f"/moderatie/{proposal_id}").get_data(as_text=True)
    assert origin in moderate and "Voorgesteld door de gebiedsbeheerder" in moderate
    # The public reads it on the proposal's page, with its history.
    shown = app.test_client().get(f"/voorstellen/{proposal_id}").get_data(as_text=True)
    assert origin in shown and "Voorgesteld door de gebiedsbeheerder" in shown
    assert MANAGER not in shown

    # The area page links need → proposal → what became of it.
    public = app.test_client().get(f"/areas/{AREA}").get_data(as_text=True)
    heard = public[public.index('id="heard"') :]
    heard = heard[: heard.index("</section>")]
    assert NEED in heard
    assert f'href="/voorstellen/{proposal_id}"' in heard
    assert "Ontvangen, wacht op de gebiedsbeheerder" in heard
    with app.app_context():
        place = moderation.approve(
            db.session.get_one(Proposal, proposal_id), user(MANAGER), name="Bankje aan het veld"
        )
        db.session.commit()
        place_id = place.id
    public = app.test_client().get(f"/areas/{AREA}?lang=en").get_data(as_text=True)
    heard = public[public.index('id="heard"') :]
    heard = heard[: heard.index("</section>")]
    assert f'href="/voorstellen/{proposal_id}"' in heard and "Approved" in heard
    assert f'href="/places/{place_id}">Bankje aan het veld</a> (Planned)' in heard


def _long_date(app) -> str:
    with app.test_request_context("/"):
        return format_date(HELD_ON, "long")


def test_a_nearby_warning_keeps_the_form_and_a_tick_sends_it(app):
    manager = client_for(app, MANAGER)
    with app.app_context():
        need_id = conversation_with_need().needs[0].id
        db.session.commit()
    url = f"/gesprekken/behoefte/{need_id}/voorstel"
    page = manager.get(url + "?lang=en")
    key = re.search(r'name="submission_key" value="([^"]+)"', page.get_data(as_text=True)).group(1)
    fields = {
        "csrf_token": csrf_token(page),
        "submission_key": key,
        "kind": "buurtkamer",
        "lon": str(NEAR_OBA[0]),
        "lat": str(NEAR_OBA[1]),
    }
    warned = manager.post(url, data=fields)
    html = warned.get_data(as_text=True)
    assert warned.status_code == 400 and "Propose it anyway" in html
    assert 'id="nearby"' in html and "OBA" in html
    assert 'name="confirm_nearby"' in html and '<option value="buurtkamer" selected>' in html
    done = manager.post(url, data={**fields, "confirm_nearby": "1"})
    assert done.status_code == 303
    assert scalar(app, select(Need.proposal_id).where(Need.id == need_id)) is not None
