"""Ward conversations: recorded by area managers, public as "what we heard — what we did"."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest

from placemaker.areas.service import get_area
from placemaker.conversations import service
from placemaker.errors import Forbidden, InvalidInput
from tests.factories import client_for, csrf_token
from tests.test_proposals import (
    MANAGER,
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
