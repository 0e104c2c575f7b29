"""Residents propose, others support, area managers moderate: services and pages.

Every bad input is shown with the message the resident or manager reads, and with proof
that nothing was stored or half-written.
"""

from __future__ import annotations

import io
import logging
import re

import pytest
from PIL import ExifTags, Image
from sqlalchemy import func, select, update

from placemaker import registry
from placemaker.errors import Conflict, Forbidden, InvalidInput, NotFound
from placemaker.extensions import db
from placemaker.gaps.candidates import open_proposal_points
from placemaker.places.models import Place, PlaceChange
from placemaker.proposals import common, moderation, public, tracking, workflow
from placemaker.proposals.models import (
    Proposal,
    ProposalEvent,
    ProposalPhoto,
    ProposalStatus,
)
from placemaker.proposals.photos import clean_photo
from tests.factories import OVERTOOMSE_VELD as QUIET
from tests.factories import REASON

MANAGER = "gebiedsbeheerder@demo.placemaker.nl"  # DX09 Slotervaart
WEST = "beheerder.west@demo.placemaker.nl"  # DX04 Bos en Lommer
ADMIN = "admin@demo.placemaker.nl"
OBA = (4.835058, 52.364284)  # OBA Postjesweg, an existing place in Overtoomse Veld
NEAR_OBA = (4.8354, 52.3644)  # some 30 m from it


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def jpeg(size=(64, 48), exif: Image.Exif | None = None, color=(200, 120, 40)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, "JPEG", exif=exif if exif is not None else b"")
    return out.getvalue()


def gps_exif() -> Image.Exif:
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "SecretCam"
    exif[ExifTags.Base.Orientation] = 1
    exif[ExifTags.IFD.GPSInfo] = {
        ExifTags.GPS.GPSLatitudeRef: "N",
        ExifTags.GPS.GPSLatitude: (52.0, 21.0, 51.0),
        ExifTags.GPS.GPSLongitudeRef: "E",
        ExifTags.GPS.GPSLongitude: (4.0, 50.0, 6.0),
    }
    return exif


@pytest.fixture(autouse=True)
def en_ctx(app):
    """A request context in English, so the messages below read as in the source."""
    with app.test_request_context("/?lang=en"):
        yield app


def user(email: str):
    from placemaker.accounts.models import User

    return db.session.scalar(select(User).where(User.email == email))


def unescaped(html: str) -> str:
    import html as html_module

    return html_module.unescape(re.sub(r"\s+", " ", html))


# --- services -------------------------------------------------------------------------------


def test_submit_stores_the_proposal_with_its_area_and_only_a_hash_of_the_token(make_proposal):
    proposal, token = make_proposal(lon=NEAR_OBA[0], lat=NEAR_OBA[1])
    assert proposal.status is ProposalStatus.submitted
    assert proposal.area.code == "F86a"  # the smallest area: the buurt
    assert len(token) >= 43 and token not in (proposal.token_hash, proposal.submission_hash)
    assert tracking.find_by_token(token) is proposal
    assert [e.action for e in proposal.events] == ["submit"]
    assert proposal.events[0].actor == "resident"  # never the resident's name


def test_the_same_form_sent_twice_is_stored_once(en_ctx):
    key = tracking.new_submission_key()
    sub = tracking.Submission(
        kind_code="bench", lon=QUIET[0], lat=QUIET[1], reason=REASON, submission_key=key
    )
    first = tracking.submit(sub)
    before = count(Proposal)
    second = tracking.submit(sub)
    assert second.repeated and second.proposal.id == first.proposal.id
    assert second.token == first.token
    assert count(Proposal) == before


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        ({"lon": "", "lat": ""}, "location", "Choose a spot first"),
        ({"lon": "oost", "lat": "52.3"}, "location", "not numbers"),
        ({"lon": 2.35, "lat": 48.85}, "location", "outside the Netherlands"),
        ({"lon": 52.366, "lat": 4.8405}, "location", "outside the Netherlands"),
        ({"kind_code": "castle"}, "kind", "Choose what kind of place"),
        ({"reason": "  bank  "}, "reason", "at least 10 characters"),
        ({"reason": "x" * 1001}, "reason", "keep it to 1000 characters (you wrote 1001)"),
        ({"name": "n" * 101}, "name", "at most 100 characters"),
        ({"email": "anna@"}, "email", "does not look right"),
        ({"email": "anna de vries@example.org"}, "email", "does not look right"),
        ({"email": "anna@localhost"}, "email", "does not look right"),
        ({"submission_key": "short"}, "form", "out of date"),
        ({"photo": b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj"}, "photo", "not a photo"),
        ({"photo": b"\xff\xd8\xff" + b"\0" * 100}, "photo", "cannot be read"),
    ],
)
def test_bad_input_is_refused_and_nothing_is_stored(en_ctx, values, field, message):
    before = (count(Proposal), count(ProposalEvent), count(ProposalPhoto))
    sub = {
        "kind_code": "bench",
        "lon": QUIET[0],
        "lat": QUIET[1],
        "reason": REASON,
        "submission_key": tracking.new_submission_key(),
        **values,
    }
    with pytest.raises(InvalidInput, match=re.escape(message)) as caught:
        tracking.submit(tracking.Submission(**sub))
    assert caught.value.details == {"field": field}
    assert (count(Proposal), count(ProposalEvent), count(ProposalPhoto)) == before


def test_wrong_and_expired_tracking_links(make_proposal):
    proposal, token = make_proposal()
    with pytest.raises(NotFound, match="We do not know this tracking link"):
        tracking.find_by_token(token[:-1] + ("A" if token[-1] != "A" else "B"))
    with pytest.raises(NotFound):
        tracking.find_by_token("")
    proposal.token_expires_at = workflow.db_now().replace(year=2000)
    db.session.flush()
    with pytest.raises(common.LinkExpired, match="expired"):
        tracking.find_by_token(token)


def test_nearby_finds_the_existing_place_and_open_proposals_within_75_m(make_proposal):
    near = public.nearby(*NEAR_OBA)
    assert [p["name"] for p in near["places"]] == ["OBA Postjesweg"]
    assert 0 < near["places"][0]["distance_m"] < 75
    proposal, _ = make_proposal(lon=NEAR_OBA[0], lat=NEAR_OBA[1])
    assert [p["id"] for p in public.nearby(*OBA)["proposals"]] == [proposal.id]
    assert public.nearby(*QUIET)["places"] == []


def test_the_queue_asks_nearby_and_gap_values_for_all_rows_at_once(make_proposal, app):
    first, _ = make_proposal(lon=NEAR_OBA[0], lat=NEAR_OBA[1])
    second, _ = make_proposal(lon=OBA[0], lat=OBA[1])
    third, _ = make_proposal(lon=QUIET[0], lat=QUIET[1])
    gap_analysis = registry.provider(registry.SPOT_VALUES)
    asked = []

    def counting(spots):
        asked.append(len(spots))
        return gap_analysis(spots)

    registry.provide(app, registry.SPOT_VALUES, counting)
    try:
        rows = moderation.queue_rows([first, second, third])
    finally:
        registry.provide(app, registry.SPOT_VALUES, gap_analysis)
    assert asked == [3]
    # Each proposal sees the place and the other proposal, never itself.
    assert [row["nearby"] for row in rows] == [2, 2, 0]
    for row in rows:
        proposal = row["proposal"]
        lon, lat = common.lonlat(proposal)
        near = public.nearby(lon, lat, exclude_proposal=proposal.id)
        assert row["nearby"] == len(near["places"]) + len(near["proposals"])
        assert row["gap"] == public.gap_value(lon, lat, proposal.kind_code)
        assert row["gap"]["residents"] >= 0


def test_spot_context_names_area_cohesion_and_neighbours(en_ctx):
    ctx = public.spot_context(str(NEAR_OBA[0]), str(NEAR_OBA[1]), "bench")
    assert ctx["area"]["code"] == "F86a"
    assert [a["code"] for a in ctx["area"]["ancestors"]][-2:] == ["DX09", "F86"]
    assert ctx["area"]["cohesion"]["score"] is not None
    assert ctx["nearby"]["places"][0]["name"] == "OBA Postjesweg"
    assert ctx["gap"] is None or ctx["gap"]["residents"] >= 0
    with pytest.raises(InvalidInput, match="outside the Netherlands"):
        public.spot_context("13.4", "52.5")


def test_photo_is_re_encoded_without_gps_or_camera_data(en_ctx):
    original = jpeg(exif=gps_exif())
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(ExifTags.IFD.GPSInfo)
    assert b"SecretCam" in original
    clean = clean_photo(original, 5_000_000)
    with Image.open(io.BytesIO(clean.data)) as image:
        assert image.format == "JPEG" and image.size == (64, 48)
        assert not image.getexif()
        assert "exif" not in image.info
    assert b"SecretCam" not in clean.data and b"Exif" not in clean.data


def test_large_photos_are_scaled_and_png_becomes_jpeg(en_ctx):
    out = io.BytesIO()
    Image.new("RGBA", (3200, 1000), (0, 0, 255, 128)).save(out, "PNG")
    clean = clean_photo(out.getvalue(), 5_000_000)
    assert (clean.width, clean.height) == (1600, 500) and clean.content_type == "image/jpeg"


def test_support_counts_once_per_person(make_proposal):
    proposal, _ = make_proposal()
    assert public.support(proposal, "person-a-000000000000") == (True, 1)
    assert public.support(proposal, "person-a-000000000000") == (False, 1)
    assert public.support(proposal, "person-b-000000000000") == (True, 2)


def test_approve_creates_the_place_linked_to_the_proposal_with_history(make_proposal):
    proposal, _ = make_proposal()
    manager = user(MANAGER)
    version = proposal.version
    place = moderation.approve(
        proposal,
        manager,
        name="Bankje Overtoomse Veld",
        message="Goed idee, we plaatsen hem in het voorjaar.",
        expected_version=version,
    )
    assert proposal.status is ProposalStatus.approved and proposal.place_id == place.id
    assert (place.source, place.source_id) == ("proposal", str(proposal.id))
    assert common.lonlat(proposal) == (round(QUIET[0], 7), round(QUIET[1], 7))
    change = db.session.scalar(select(PlaceChange).where(PlaceChange.place_id == place.id))
    assert change.action == "created" and change.user_id == manager.id
    assert f"proposal {proposal.id}" in change.actor
    event = proposal.events[-1]
    assert (event.action, event.old_status, event.new_status) == (
        "approve",
        "submitted",
        "approved",
    )
    assert event.user_id == manager.id and event.old_values["status"] == "submitted"
    assert proposal.answer == "Goed idee, we plaatsen hem in het voorjaar."
    assert proposal.first_answered_at is not None and proposal.closed_at is not None


def test_state_machine_refuses_steps_that_do_not_fit(make_proposal):
    proposal, _ = make_proposal()
    manager = user(MANAGER)
    with pytest.raises(InvalidInput, match="write a reason"):
        moderation.reject(proposal, manager, "   ")
    assert proposal.status is ProposalStatus.submitted
    moderation.ask(proposal, manager, "Aan welke kant van het pad?")
    assert proposal.status is ProposalStatus.needs_info
    tracking.reply(proposal, "Aan de kant van de speeltuin.")
    assert proposal.status is ProposalStatus.submitted and proposal.closed_at is None
    moderation.reject(proposal, manager, "Daar komt een fietspad.")
    with pytest.raises(Conflict, match="no longer possible"):
        moderation.approve(proposal, manager, name="Bankje")
    with pytest.raises(Conflict):
        tracking.withdraw(proposal)
    assert [e.action for e in proposal.events] == ["submit", "ask", "reply", "reject"]
    assert proposal.events[-1].old_values["answer"] == "Aan welke kant van het pad?"
    assert set(workflow.allowed(proposal, "moderator")) == {"hide"}


def test_every_transition_is_defined_in_the_one_state_machine():
    assert set(workflow.TRANSITIONS) == {
        "approve",
        "reject",
        "mark_duplicate",
        "ask",
        "reply",
        "withdraw",
        "hide",
    }
    for transition in workflow.TRANSITIONS.values():
        assert transition.target not in transition.sources or transition.name == "ask"
    assert ProposalStatus.hidden not in workflow.TRANSITIONS["hide"].sources


def test_duplicate_of_a_proposal_carries_the_supports_over(make_proposal):
    first, _ = make_proposal()
    second, _ = make_proposal(lon=QUIET[0] + 0.0002, lat=QUIET[1])
    public.support(first, "person-a-000000000000")
    public.support(first, "person-b-000000000000")
    public.support(second, "person-b-000000000000")
    public.support(second, "person-c-000000000000")
    carried = moderation.mark_duplicate(second, user(MANAGER), proposal_id=str(first.id))
    assert carried == 1  # person b supported both: counted once
    assert common.support_counts([first.id])[first.id] == 3
    assert second.status is ProposalStatus.duplicate
    assert second.duplicate_of_proposal_id == first.id
    with pytest.raises(InvalidInput, match="cannot take over"):
        third, _ = make_proposal()
        moderation.mark_duplicate(third, user(MANAGER), proposal_id=second.id)


def test_duplicate_of_a_place_and_bad_references(make_proposal):
    proposal, _ = make_proposal(lon=NEAR_OBA[0], lat=NEAR_OBA[1])
    oba = db.session.scalar(select(Place).where(Place.name == "OBA Postjesweg"))
    manager = user(MANAGER)
    with pytest.raises(InvalidInput, match="either the number of a place or of a proposal"):
        moderation.mark_duplicate(proposal, manager, place_id=oba.id, proposal_id=proposal.id)
    with pytest.raises(InvalidInput, match="There is no place 99999999"):
        moderation.mark_duplicate(proposal, manager, place_id="99999999")
    with pytest.raises(InvalidInput, match="cannot take over"):
        moderation.mark_duplicate(proposal, manager, proposal_id=proposal.id)
    assert proposal.status is ProposalStatus.submitted
    moderation.mark_duplicate(proposal, manager, place_id=f"#{oba.id}")
    assert proposal.duplicate_of_place_id == oba.id


def test_a_manager_outside_their_areas_may_not_act(make_proposal):
    proposal, _ = make_proposal()
    west = user(WEST)
    with pytest.raises(Forbidden, match="outside the areas you look after"):
        moderation.approve(proposal, west, name="Bankje")
    assert proposal.status is ProposalStatus.submitted and proposal.place_id is None
    assert proposal not in moderation.queue(west)
    assert proposal in moderation.queue(user(MANAGER)) and proposal in moderation.queue(user(ADMIN))


def test_stale_version_is_a_conflict_and_changes_nothing(make_proposal):
    proposal, _ = make_proposal()
    seen = proposal.version
    moderation.reject(proposal, user(MANAGER), "Te dicht bij de weg.", expected_version=seen)
    with pytest.raises(Conflict, match="Somebody else acted on this proposal"):
        moderation.approve(proposal, user(ADMIN), name="Bankje", expected_version=seen)
    assert proposal.status is ProposalStatus.rejected and proposal.place_id is None


def test_a_concurrent_update_loses_at_the_database(make_proposal):
    """Both managers saw the same version; the other's UPDATE committed first."""
    proposal, _ = make_proposal()
    seen = proposal.version
    # What the other manager's transaction did, behind this session's back.
    db.session.execute(
        update(Proposal)
        .where(Proposal.id == proposal.id)
        .values(version=seen + 1, status=ProposalStatus.rejected)
        .execution_options(synchronize_session=False)
    )
    places_before = count(Place)
    with pytest.raises(Conflict, match="at the same moment"):
        moderation.approve(proposal, user(MANAGER), name="Bankje", expected_version=seen)
    db.session.rollback()
    assert count(Place) == places_before


def test_erasure_removes_personal_data_and_keeps_the_public_part(make_proposal):
    proposal, token = make_proposal(photo=jpeg())
    assert tracking.erase_personal_data(proposal)
    db.session.expire_all()
    proposal = tracking.find_by_token(token)
    assert proposal.submitter_name is None and proposal.submitter_email is None
    assert proposal.personal_data_erased_at is not None
    assert proposal.reason == REASON and proposal.photo is not None
    assert proposal.status is ProposalStatus.submitted
    event = proposal.events[-1]
    assert event.action == "erase_personal_data"
    assert event.old_values == {"had_name": True, "had_email": True}
    stored = " ".join(str(e.old_values) + str(e.reason) + e.actor for e in proposal.events)
    assert "Anna" not in stored and "anna@example.org" not in stored
    assert not tracking.erase_personal_data(proposal)  # nothing left to erase


def test_erase_command_erases_only_proposals_closed_long_enough_ago(make_proposal, runner):
    old, _ = make_proposal()
    recent, _ = make_proposal(lon=QUIET[0] + 0.001)
    still_open, _ = make_proposal(lon=QUIET[0] + 0.002)
    manager = user(MANAGER)
    moderation.reject(old, manager, "Niet hier.")
    moderation.reject(recent, manager, "Niet hier.")
    old.closed_at = workflow.db_now().replace(year=2020)
    db.session.flush()
    result = runner.invoke(args=["erase-personal-data"])
    assert result.exit_code == 0, result.output
    assert "erased personal data of 1 proposal" in result.output
    db.session.expire_all()
    assert old.submitter_email is None and old.reason == REASON
    assert recent.submitter_email == "anna@example.org"
    assert still_open.submitter_email == "anna@example.org"


def test_weekly_digest_counts_and_median_days(make_proposal):
    manager = user(MANAGER)
    made = [make_proposal(lon=QUIET[0] + i * 0.0005)[0] for i in range(3)]
    monday, next_monday = moderation.week_bounds("2026-W10")
    for proposal, days in zip(made, (1, 3, None), strict=True):
        proposal.created_at = workflow.db_now().replace(2026, 3, 3, 9, 0)
        if days is not None:
            moderation.ask(proposal, manager, "Waar precies?")
            proposal.first_answered_at = proposal.created_at.replace(day=3 + days)
    db.session.flush()
    rows = moderation.weekly_digest(manager, monday, next_monday, "gebied")
    assert rows == [
        {
            "code": "DX09",
            "name": "Slotervaart",
            "received": 3,
            "answered": 2,
            "still_open": 3,
            "median_days": 2.0,
        }
    ]
    assert moderation.weekly_digest(user(WEST), monday, next_monday, "gebied") == []
    with pytest.raises(InvalidInput, match="YYYY-Www"):
        moderation.week_bounds("week 10")


def test_lookup_searches_our_own_data_without_a_geocoder_url(en_ctx):
    labels = [r["label"] for r in public.lookup("Postjesweg 340")]
    assert labels == ["Postjesweg 340 (OBA Postjesweg)"]
    assert public.lookup("52.364284, 4.835058")[0] == {
        "label": "52.364284, 4.835058",
        "type": "coordinates",
        "lon": 4.835058,
        "lat": 52.364284,
        "source": "local",
    }
    assert public.lookup("4,835058 52,364284")[0]["lat"] == 52.364284
    assert any(r["label"] == "Slotervaart (gebied)" for r in public.lookup("Slotervaart"))
    assert public.lookup("%") == []


def test_open_proposals_are_candidates_for_the_gap_analysis(make_proposal):
    proposal, _ = make_proposal()
    point = next(p for p in open_proposal_points() if p["ref"]["proposal_id"] == proposal.id)
    assert "DX09" in point["areas"] and 110_000 < point["x"] < 130_000


def test_no_personal_data_in_the_logs(make_proposal, caplog):
    with caplog.at_level(logging.DEBUG):
        proposal, _ = make_proposal(name="Bram Zomer", email="bram@example.org")
        moderation.reject(proposal, user(MANAGER), "Niet hier.")
    assert f"proposal {proposal.id} submitted" in caplog.text
    assert "Bram" not in caplog.text and "bram@example.org" not in caplog.text


def test_supports_move_only_onto_proposals_in_the_moderators_areas(make_proposal):
    """A DX04 manager cannot carry supports over onto a DX09 proposal."""
    in_dx09, _ = make_proposal()  # QUIET lies in DX09 Slotervaart
    in_dx04, _ = make_proposal(lon=4.8445, lat=52.3800)  # Kolenkitbuurt, DX04
    public.support(in_dx04, "person-a-000000000000")
    with pytest.raises(InvalidInput, match=f"Proposal {in_dx09.id} lies outside"):
        moderation.mark_duplicate(in_dx04, user(WEST), proposal_id=in_dx09.id)
    assert in_dx04.status is not ProposalStatus.duplicate
    assert common.support_counts([in_dx09.id]).get(in_dx09.id, 0) == 0
