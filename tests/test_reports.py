"""Residents report problems with existing places; area managers handle them."""

from __future__ import annotations

import io
import re

import pytest
from PIL import ExifTags, Image
from sqlalchemy import func, select

from placemaker.assets import service as assets
from placemaker.errors import Conflict, Forbidden, InvalidInput, NotFound
from placemaker.extensions import db, limiter
from placemaker.places.models import PlaceCondition
from placemaker.proposals.tracking import new_submission_key
from placemaker.reports import service, workflow
from placemaker.reports.models import PlaceReport, PlaceReportPhoto, ReportStatus
from tests.factories import csrf_token

MANAGER = "gebiedsbeheerder@demo.placemaker.nl"  # DX09 Slotervaart
WEST = "beheerder.west@demo.placemaker.nl"  # DX04 Bos en Lommer


@pytest.fixture(autouse=True)
def _fresh_limits(app):
    with app.app_context():
        limiter.reset()
    yield


def user(email):
    from placemaker.accounts.models import User

    return db.session.scalar(select(User).where(User.email == email))


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def gps_jpeg() -> bytes:
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "SecretCam"
    exif[ExifTags.IFD.GPSInfo] = {
        ExifTags.GPS.GPSLatitudeRef: "N",
        ExifTags.GPS.GPSLatitude: (52.0, 21.0, 51.0),
    }
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (90, 90, 200)).save(out, "JPEG", exif=exif)
    return out.getvalue()


def submit(place, kind="broken", text="De zitting is gebroken", **extra):
    return service.submit(
        service.Submission(
            place_id=place.id, kind=kind, text=text, submission_key=new_submission_key(), **extra
        )
    )


def test_a_report_gets_a_private_tracking_link_and_shows_on_the_place(make_place):
    place = make_place()
    sent = submit(place, photo=gps_jpeg())
    report = sent.report
    assert report.status is ReportStatus.submitted and report.area is not None
    assert service.find_by_token(sent.token) is report
    assert report.token_hash != sent.token and sent.token not in report.token_hash
    # The photo is re-encoded without EXIF (the proposals' clean_photo).
    photo = db.session.scalar(
        select(PlaceReportPhoto).where(PlaceReportPhoto.report_id == report.id)
    )
    assert b"SecretCam" not in photo.data and photo.data.startswith(b"\xff\xd8")
    assert [r["id"] for r in service.open_reports(place.id)] == [report.id]
    assert assets.checks(place)[-1].action == "report"
    # The resident's text stays with the managers: the place's record names only the kind.
    assert "zitting" not in (assets.checks(place)[-1].note or "")


def test_the_same_form_twice_stores_one_report(make_place):
    place = make_place()
    key = new_submission_key()
    first = service.submit(service.Submission(place.id, "closed", None, submission_key=key))
    again = service.submit(service.Submission(place.id, "closed", None, submission_key=key))
    assert again.repeated and again.report is first.report and again.token == first.token


def test_a_report_token_is_no_proposal_token(make_place):
    from placemaker.proposals import tracking

    place = make_place()
    key = new_submission_key()
    sent = service.submit(service.Submission(place.id, "closed", None, submission_key=key))
    assert sent.token != tracking.tracking_token(key)
    with pytest.raises(NotFound):
        tracking.find_by_token(sent.token)


@pytest.mark.parametrize(
    "kind, text, field",
    [
        ("", "x", "kind"),
        ("wobbly", "x", "kind"),
        ("not_used", "", "text"),  # "not used" needs a why
        ("broken", "x" * 1001, "text"),
    ],
)
def test_bad_reports_name_the_field_and_store_nothing(make_place, kind, text, field):
    place = make_place()
    before = count(PlaceReport)
    with pytest.raises(InvalidInput) as caught:
        submit(place, kind=kind, text=text)
    assert caught.value.details["field"] == field
    assert count(PlaceReport) == before


def test_a_file_that_is_no_photo_is_refused(make_place):
    place = make_place()
    with pytest.raises(InvalidInput) as caught:
        submit(place, photo=b"<?php echo 1; ?>")
    assert caught.value.details["field"] == "photo"


def test_manager_answers_sets_condition_and_closes(make_place):
    place = make_place()
    report = submit(place).report
    manager = user(MANAGER)
    with pytest.raises(Forbidden):
        service.act(report, user(WEST), "acknowledge", "We komen kijken")
    service.act(
        report,
        manager,
        "acknowledge",
        "We komen kijken",
        condition="broken",
        expected_version=report.version,
    )
    assert report.status is ReportStatus.in_progress and report.answer == "We komen kijken"
    assert place.condition is PlaceCondition.broken
    with pytest.raises(InvalidInput):
        service.act(report, manager, "resolve", "")  # the resident reads why
    service.act(report, manager, "resolve", "Nieuwe zitting geplaatst", condition="good")
    assert report.status is ReportStatus.resolved and report.closed_at is not None
    assert service.open_reports(place.id) == []
    assert [c.action for c in assets.checks(place)] == [
        "report",
        "condition",
        "condition",
        "report_closed",
    ]
    assert [e.action for e in service.public_events(report)] == ["submit", "acknowledge", "resolve"]
    with pytest.raises(Conflict):
        service.act(report, manager, "reject", "te laat")


def test_a_stale_version_is_a_conflict(make_place):
    report = submit(make_place()).report
    old = report.version
    service.act(report, user(MANAGER), "ask", "Welke bank precies?")
    with pytest.raises(Conflict):
        service.act(report, user(MANAGER), "resolve", "klaar", expected_version=old)


def test_ask_and_reply(make_place):
    report = submit(make_place()).report
    service.act(report, user(MANAGER), "ask", "Welke bank precies?")
    assert workflow.allowed(report, "resident") == ["reply"]
    service.reply(report, "De linker, bij de boom")
    assert report.status is ReportStatus.submitted


def test_inbox_holds_only_the_managers_places(make_place):
    mine = submit(make_place()).report
    assert mine in service.inbox(user(MANAGER))
    assert mine not in service.inbox(user(WEST))
    service.act(mine, user(MANAGER), "reject", "Geen probleem gevonden")
    assert mine not in service.inbox(user(MANAGER))
    assert mine in service.inbox(user(MANAGER), status="rejected")


# --- the pages ------------------------------------------------------------------------------


def test_resident_reports_from_the_place_page_and_follows_it(client, make_place, login):
    place = make_place(name="Bankje bij de speeltuin")
    db.session.commit()
    page = client.get(f"/places/{place.id}")
    assert f"/places/{place.id}/melden" in page.get_data(as_text=True)
    form = client.get(f"/places/{place.id}/melden")
    assert form.headers["Cache-Control"] == "no-store"
    key = re.search(r'name="submission_key" value="([^"]+)"', form.get_data(as_text=True))[1]
    bad = client.post(
        f"/places/{place.id}/melden",
        data={
            "csrf_token": csrf_token(form),
            "submission_key": key,
            "kind": "not_used",
            "text": "",
        },
    )
    assert bad.status_code == 400 and "waarom" in bad.get_data(as_text=True)
    sent = client.post(
        f"/places/{place.id}/melden",
        data={
            "csrf_token": csrf_token(form),
            "submission_key": key,
            "kind": "broken",
            "text": "<script>alert(1)</script> kapot",
            "photo": (io.BytesIO(gps_jpeg()), "bank.jpg"),
        },
        content_type="multipart/form-data",
    )
    assert sent.status_code == 303
    track_url = sent.headers["Location"]
    tracked = client.get(track_url)
    body = tracked.get_data(as_text=True)
    assert tracked.headers["Referrer-Policy"] == "no-referrer"
    assert "Bewaar deze link" in body and "&lt;script&gt;" in body and "<script>alert" not in body
    token = track_url.split("/volg/")[1].split("?")[0]
    assert client.get(f"/meldingen/volg/{token}/foto").headers["Content-Type"] == "image/jpeg"
    place_page = client.get(f"/places/{place.id}").get_data(as_text=True)
    assert "1 open melding van bewoners" in place_page and "alert(1)" not in place_page

    login(MANAGER)
    inbox = client.get("/moderatie/meldingen").get_data(as_text=True)
    assert "Bankje bij de speeltuin" in inbox
    report = db.session.scalar(select(PlaceReport).where(PlaceReport.place_id == place.id))
    handle = client.get(f"/moderatie/meldingen/{report.id}")
    empty = client.post(
        f"/moderatie/meldingen/{report.id}/resolve",
        data={
            "csrf_token": csrf_token(handle),
            "version": report.version,
            "reason": "",
            "condition": "good",
        },
    )
    assert empty.status_code == 400 and "Er is niets gewijzigd" in empty.get_data(as_text=True)
    done = client.post(
        f"/moderatie/meldingen/{report.id}/resolve",
        data={
            "csrf_token": csrf_token(handle),
            "version": report.version,
            "reason": "Gerepareerd, dank voor het melden",
            "condition": "good",
        },
    )
    assert done.status_code == 303
    followed = client.get(f"/meldingen/volg/{token}").get_data(as_text=True)
    assert "Gerepareerd, dank voor het melden" in followed and "Opgelost" in followed


def test_another_areas_manager_cannot_open_the_report(client, make_place, login):
    report = submit(make_place()).report
    db.session.commit()
    login(WEST)
    assert client.get(f"/moderatie/meldingen/{report.id}").status_code == 403
    assert client.get(f"/moderatie/meldingen/{report.id}/foto").status_code == 403


def test_unknown_tracking_links_are_404(client):
    assert client.get("/meldingen/volg/" + "x" * 43).status_code == 404


def test_reporting_is_rate_limited_per_ip(app, client, make_place):
    app.config["REPORT_RATE_LIMIT"] = "2 per hour"
    try:
        place = make_place()
        db.session.commit()
        form = client.get(f"/places/{place.id}/melden")
        codes = [
            client.post(
                f"/places/{place.id}/melden",
                data={
                    "csrf_token": csrf_token(form),
                    "submission_key": new_submission_key(),
                    "kind": "closed",
                },
            ).status_code
            for _ in range(3)
        ]
    finally:
        app.config["REPORT_RATE_LIMIT"] = "10 per hour;30 per day"
    assert codes == [303, 303, 429]


def test_honeypot_filled_stores_nothing(client, make_place):
    place = make_place()
    db.session.commit()
    form = client.get(f"/places/{place.id}/melden")
    assert 'class="hp-field"' in form.get_data(as_text=True)
    before = count(PlaceReport)
    response = client.post(
        f"/places/{place.id}/melden",
        data={
            "csrf_token": csrf_token(form),
            "submission_key": new_submission_key(),
            "kind": "broken",
            "website": "http://spam.example",
        },
    )
    assert response.status_code == 400 and count(PlaceReport) == before
