"""A place's life after approval: planned → under construction → open → gone, dated and public."""

from __future__ import annotations

import re

from placemaker.extensions import db
from placemaker.gaps.model import _places, counted_statuses
from placemaker.gaps.params import GapParams
from placemaker.places import service as places
from placemaker.places.models import Place, PlaceStatus
from placemaker.proposals import moderation
from tests.factories import client_for, csrf_token
from tests.test_proposals import MANAGER, user
from tests.test_proposals_web import propose, token_of


def test_approval_plans_the_place_unless_the_manager_says_it_exists(make_proposal):  # noqa: F811
    planned = moderation.approve(make_proposal()[0], user(MANAGER), name="Bankje in het voorjaar")
    assert planned.status is PlaceStatus.planned
    there = moderation.approve(
        make_proposal(lon=4.8420, lat=52.3655)[0],
        user(MANAGER),
        name="Bankje dat er al staat",
        already_open=True,
    )
    assert there.status is PlaceStatus.active


def test_each_step_is_dated_and_told_without_names(make_proposal):  # noqa: F811
    place = moderation.approve(make_proposal()[0], user(MANAGER), name="Bankje")
    actor = places.Actor("Gebiedsbeheerder", user(MANAGER).id)
    places.update_place(place, {"description": "In het voorjaar"}, actor)  # not a step
    places.update_place(place, {"status": "under_construction"}, actor)
    places.update_place(place, {"status": "active"}, actor)
    steps = places.life(place)
    assert [s.status for s in steps] == ["planned", "under_construction", "active"]
    assert all(s.at is not None for s in steps)
    assert steps == sorted(steps, key=lambda s: s.at)
    assert not hasattr(steps[0], "actor")


def test_gap_analysis_counts_open_places_and_planned_ones_only_in_the_scenario(make_proposal):  # noqa: F811
    place = moderation.approve(make_proposal()[0], user(MANAGER), name="Gepland bankje")
    open_only, with_planned = GapParams(), GapParams.from_args({"planned": "1"})
    assert with_planned.include_planned and not open_only.include_planned
    assert counted_statuses(open_only) == [PlaceStatus.active]
    assert place.id not in {r.id for r in _places(open_only)}
    assert place.id in {r.id for r in _places(with_planned)}
    assert open_only.model_key() != with_planned.model_key()
    # Keys of scenarios saved before the option existed do not change.
    assert (
        open_only.model_key()
        == GapParams.from_json(
            {k: v for k, v in open_only.as_json().items() if k != "include_planned"}
        ).model_key()
    )
    place.status = PlaceStatus.active
    db.session.flush()
    assert place.id in {r.id for r in _places(open_only)}


def test_manager_moves_the_place_along_and_the_resident_reads_it(app):
    resident = app.test_client()
    token = token_of(propose(resident))
    manager = client_for(app, MANAGER)
    with app.app_context():
        from placemaker.proposals import tracking

        proposal_id = tracking.find_by_token(token).id
    page = manager.get(f"/moderatie/{proposal_id}")
    html = page.get_data(as_text=True)
    assert "Bestaat de plek al?" in html
    version = re.search(r'name="version" value="(\d+)"', html).group(1)
    done = manager.post(
        f"/moderatie/{proposal_id}/approve",
        data={
            "csrf_token": csrf_token(page),
            "version": version,
            "name": "Bankje Comenius",
            "kind": "bench",
            "exists": "0",
            "reason": "We plaatsen hem in het voorjaar.",
        },
    )
    assert done.status_code == 303
    with app.app_context():
        place = db.session.scalar(db.select(Place).where(Place.name == "Bankje Comenius"))
        place_id, place_version = place.id, place.version
        assert place.status is PlaceStatus.planned
    place_page = manager.get(f"/places/{place_id}")
    assert "Van plan tot plek" in place_page.get_data(as_text=True)
    moved = manager.post(
        f"/places/{place_id}/status",
        data={
            "csrf_token": csrf_token(place_page),
            "status": "under_construction",
            "version": str(place_version),
        },
    )
    assert moved.status_code == 303
    public = app.test_client().get(f"/places/{place_id}").get_data(as_text=True)
    life = public[public.index("Van plan tot plek") :]
    life = life[: life.index("</section>")]
    assert life.index("Gepland") < life.index("In aanbouw")
    assert MANAGER not in life
    track = resident.get(f"/voorstellen/volg/{token}").get_data(as_text=True)
    assert "Van plan tot plek" in track and "In aanbouw" in track
    assert "Nog niemand steunt het." in track and "0 mensen" not in track  # plurals
