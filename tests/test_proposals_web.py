"""The proposal pages over HTTP: what residents and area managers read, and what is kept."""

from __future__ import annotations

import io
import re

import pytest
from PIL import ExifTags, Image
from sqlalchemy import select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from placemaker.extensions import db
from placemaker.places.models import Place
from placemaker.proposals import common, tracking
from placemaker.proposals.models import Proposal, ProposalEvent, ProposalStatus
from tests.factories import csrf_token
from tests.test_proposals import (
    ADMIN,
    MANAGER,
    NEAR_OBA,
    QUIET,
    REASON,
    WEST,
    count,
    gps_exif,
    jpeg,
    unescaped,
)

SCRIPT = '<script>alert("x")</script><img src=x onerror=alert(1)> bij het plein graag'


def form_data(page, **values):
    """The proposal form as a browser would send it, from the rendered page."""
    html = page.get_data(as_text=True)
    key = re.search(r'name="submission_key" value="([^"]+)"', html).group(1)
    data = {
        "csrf_token": csrf_token(page),
        "submission_key": key,
        "kind": "bench",
        "lon": str(QUIET[0]),
        "lat": str(QUIET[1]),
        "reason": REASON,
        "name": "Anna de Vries",
        "email": "anna@example.org",
        "website": "",
    }
    data.update(values)
    return data


def propose(client, **values):
    """Send the form as multipart, encoded in memory.

    (Werkzeug's test client spools large bodies to a temporary file it never closes.)
    """
    page = client.get("/voorstellen")
    fields = {}
    for key, value in form_data(page, **values).items():
        if isinstance(value, tuple):
            stream, filename = value
            value = FileStorage(stream=stream, filename=filename, content_type="image/jpeg")
        fields[key] = value
    boundary, body = encode_multipart(fields)
    return client.post(
        "/voorstellen", data=body, content_type=f"multipart/form-data; boundary={boundary}"
    )


def token_of(response) -> str:
    match = re.search(r"/voorstellen/volg/([A-Za-z0-9_-]+)", response.headers["Location"])
    return match.group(1)


def stored() -> tuple[int, int]:
    return count(Proposal), count(ProposalEvent)


def test_form_has_csrf_honeypot_one_time_key_and_only_local_scripts(client, app):
    page = client.get("/voorstellen")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'name="csrf_token"' in html and 'name="website"' in html
    assert re.search(r'name="submission_key" value="[A-Za-z0-9_-]{43}"', html)
    assert "/static/js/propose.js" in html and "/static/vendor/leaflet/leaflet.js" in html
    assert not re.search(
        r'(src|href)="https?://',
        html.split("<footer")[0].replace('href="https://www.openstreetmap.org/copyright"', ""),
    )
    assert page.headers["Cache-Control"] == "no-store"
    assert "Een ontmoetingsplek voorstellen" in html  # Dutch by default


def test_submit_leads_to_the_private_tracking_page(client, app):
    with app.app_context():
        before = stored()
    response = propose(client, photo=(io.BytesIO(jpeg(exif=gps_exif())), "IMG_0001.jpg"))
    assert response.status_code == 303
    token = token_of(response)
    page = client.get(response.headers["Location"])
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Dank u wel! Uw voorstel is ontvangen." in html
    assert f"/voorstellen/volg/{token}" in html  # the link to keep
    assert "Ontvangen, wacht op de gebiedsbeheerder" in html
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert page.headers["Cache-Control"] == "no-store"
    with app.app_context():
        assert stored() == (before[0] + 1, before[1] + 1)
        proposal = tracking.find_by_token(token)
        photo_url = f"/voorstellen/{proposal.id}/foto"
    photo = client.get(photo_url)
    assert photo.headers["Content-Type"] == "image/jpeg"
    with Image.open(io.BytesIO(photo.data)) as image:
        assert not image.getexif().get_ifd(ExifTags.IFD.GPSInfo) and not image.getexif()
    assert b"SecretCam" not in photo.data


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"lon": "", "lat": ""}, "Kies eerst een plek"),
        ({"lon": "2.3522", "lat": "48.8566"}, "Deze plek ligt buiten Nederland"),
        ({"reason": "bankje"}, "minstens 10 tekens"),
        ({"email": "anna(at)example.org"}, "Dit e-mailadres lijkt niet te kloppen."),
        (
            {"photo": (io.BytesIO(b"%PDF-1.4\n1 0 obj << /Type /Catalog >>\n"), "bankje.jpg")},
            "Dit bestand is geen foto.",
        ),
    ],
)
def test_bad_input_shows_the_message_keeps_the_text_and_stores_nothing(
    client, app, values, message
):
    with app.app_context():
        before = stored()
    response = propose(client, **{"reason": REASON, **values})
    html = unescaped(response.get_data(as_text=True))
    assert response.status_code == 400
    assert message in html
    if "reason" not in values:
        assert REASON in html  # what the resident typed is still in the form
    assert 'value="Anna de Vries"' in html
    with app.app_context():
        assert stored() == before


def test_a_10_mb_photo_is_refused_with_a_clear_message(client, app):
    with app.app_context():
        before = stored()
    big = b"\xff\xd8\xff\xe0" + b"\0" * (10 * 1024 * 1024)
    response = propose(client, photo=(io.BytesIO(big), "groot.jpg"))
    assert response.status_code == 413
    assert "De foto is te groot: hoogstens 5 MB" in unescaped(response.get_data(as_text=True))
    with app.app_context():
        assert stored() == before


def test_a_photo_over_the_limit_but_under_the_request_limit_keeps_the_text(client, app):
    with app.app_context():
        before = stored()
    photo = b"\xff\xd8\xff\xe0" + b"\0" * (5 * 1024 * 1024 + 10)
    response = propose(client, photo=(io.BytesIO(photo), "groot.jpg"))
    html = unescaped(response.get_data(as_text=True))
    assert response.status_code == 400
    assert "De foto is te groot (5.0 MB); hoogstens 5 MB mag." in html and REASON in html
    with app.app_context():
        assert stored() == before


def test_script_in_the_text_is_shown_as_text_everywhere(client, app, login):
    response = propose(client, reason=SCRIPT, name="<b>Anna</b>")
    token = token_of(response)
    with app.app_context():
        proposal_id = tracking.find_by_token(token).id
    manager = login(MANAGER, client=app.test_client())
    pages = [
        client.get(f"/voorstellen/volg/{token}"),
        client.get(f"/voorstellen/{proposal_id}"),
        client.get("/voorstellen/open"),
        manager.get(f"/moderatie/{proposal_id}"),
        manager.get("/moderatie"),
    ]
    for page in pages:
        html = page.get_data(as_text=True)
        assert page.status_code == 200
        assert "<script>alert" not in html and "<img src=x" not in html and "<b>Anna" not in html
        assert "&lt;script&gt;alert" in html
    api = client.get(f"/api/proposals/{proposal_id}").get_json()
    assert api["properties"]["reason"] == SCRIPT  # JSON carries the text as data


def test_double_submit_stores_one_proposal_and_shows_the_same_receipt(client, app):
    page = client.get("/voorstellen")
    data = form_data(page)
    with app.app_context():
        before = count(Proposal)
    first = client.post("/voorstellen", data=dict(data))
    second = client.post("/voorstellen", data=dict(data))
    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] == second.headers["Location"]
    html = client.get(second.headers["Location"]).get_data(as_text=True)
    assert "Dit voorstel hadden we al ontvangen; het is niet dubbel opgeslagen." in html
    with app.app_context():
        assert count(Proposal) == before + 1


def test_missing_csrf_token_keeps_the_text_and_stores_nothing(client, app):
    page = client.get("/voorstellen")
    data = form_data(page)
    del data["csrf_token"]
    with app.app_context():
        before = stored()
    response = client.post("/voorstellen", data=data)
    html = unescaped(response.get_data(as_text=True))
    assert response.status_code == 400
    assert "Het formulier stond te lang open of kwam van elders" in html and REASON in html
    with app.app_context():
        assert stored() == before


def test_honeypot_filled_stores_nothing(client, app):
    with app.app_context():
        before = stored()
    response = propose(client, website="http://spam.example")
    assert response.status_code == 400
    assert "Uw voorstel kon niet worden verstuurd." in response.get_data(as_text=True)
    with app.app_context():
        assert stored() == before


def test_proposing_is_rate_limited_per_ip(client, app, monkeypatch):
    monkeypatch.setitem(app.config, "PROPOSAL_RATE_LIMIT", "2 per minute")
    with app.app_context():
        before = count(Proposal)
    assert propose(client).status_code == 303
    assert propose(client, lon=str(QUIET[0] + 0.001)).status_code == 303
    third = propose(client, lon=str(QUIET[0] + 0.002))
    assert third.status_code == 429
    assert "U hebt in korte tijd veel voorstellen verstuurd." in third.get_data(as_text=True)
    with app.app_context():
        assert count(Proposal) == before + 2


def _supports(app, proposal_id: int) -> int:
    with app.app_context():
        return common.support_counts([proposal_id]).get(proposal_id, 0)


def _support(client, proposal_id: int):
    page = client.get(f"/voorstellen/{proposal_id}")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True))
    return client.post(
        f"/voorstellen/{proposal_id}/steun", data={"csrf_token": token.group(1) if token else ""}
    )


def test_support_once_per_person_and_limited_per_ip(client, app, monkeypatch):
    monkeypatch.setitem(app.config, "SUPPORT_RATE_LIMIT", "3 per minute")
    token = token_of(propose(client))
    with app.app_context():
        proposal_id = tracking.find_by_token(token).id
    resident_a = app.test_client()
    first = _support(resident_a, proposal_id)
    assert first.status_code == 303 and "steun=" in first.headers["Set-Cookie"]
    page = resident_a.get(first.headers["Location"]).get_data(as_text=True)
    assert "Dank voor uw steun! 1 mensen steunen dit voorstel." in page
    assert "U steunt dit voorstel." in page and 'id="support-button"' not in page
    # The same person again: the signed cookie recognises them.
    resident_a.post(
        f"/voorstellen/{proposal_id}/steun",
        data={"csrf_token": csrf_token(resident_a.get("/voorstellen"))},
    )
    assert "U steunt dit voorstel al." in resident_a.get(f"/voorstellen/{proposal_id}").get_data(
        as_text=True
    )
    assert _supports(app, proposal_id) == 1
    # A forged cookie counts as no cookie: a new person, not somebody else's identity.
    forged = app.test_client()
    forged.set_cookie("steun", "bm90LXNpZ25lZA.forged")
    assert _support(forged, proposal_id).status_code == 303
    assert _supports(app, proposal_id) == 2
    # The fourth support from this IP address within the minute is refused.
    refused = _support(app.test_client(), proposal_id)
    assert refused.status_code == 429
    assert "U hebt in korte tijd veel voorstellen gesteund." in refused.get_data(as_text=True)
    assert _supports(app, proposal_id) == 2


def test_supports_from_different_people(client, app):
    token = token_of(propose(client))
    with app.app_context():
        proposal_id = tracking.find_by_token(token).id
    for _ in range(3):
        assert _support(app.test_client(), proposal_id).status_code == 303
    assert _supports(app, proposal_id) == 3
    listed = client.get("/voorstellen/open").get_data(as_text=True)
    assert "3 steunbetuigingen" in listed


@pytest.mark.parametrize("suffix", ["", "/intrekken"])
def test_wrong_tracking_link(client, suffix):
    if suffix:
        data = {"csrf_token": csrf_token(client.get("/voorstellen"))}
        response = client.post("/voorstellen/volg/" + "A" * 43 + suffix, data=data)
    else:
        response = client.get("/voorstellen/volg/" + "A" * 43)
    assert response.status_code == 404
    assert "Deze volglink kennen we niet." in response.get_data(as_text=True)


def test_expired_tracking_link(client, app):
    token = token_of(propose(client))
    with app.app_context():
        proposal = tracking.find_by_token(token)
        proposal.token_expires_at = proposal.token_expires_at.replace(year=2001)
        db.session.commit()
    response = client.get(f"/voorstellen/volg/{token}")
    assert response.status_code == 410
    assert "Deze volglink is verlopen." in response.get_data(as_text=True)


def test_manager_outside_their_areas_cannot_see_or_act(client, app, login):
    token = token_of(propose(client))
    with app.app_context():
        proposal_id = tracking.find_by_token(token).id
    west = login(WEST, client=app.test_client())
    page = west.get(f"/moderatie/{proposal_id}")
    assert page.status_code == 403
    assert "Dit voorstel ligt buiten de gebieden die u beheert." in page.get_data(as_text=True)
    assert "anna@example.org" not in page.get_data(as_text=True)
    response = west.post(
        f"/moderatie/{proposal_id}/approve",
        data={"csrf_token": csrf_token(west.get("/moderatie")), "name": "Bankje", "version": "1"},
    )
    assert response.status_code == 403
    assert f"#{proposal_id}<" not in west.get("/moderatie").get_data(as_text=True)
    with app.app_context():
        proposal = db.session.get(Proposal, proposal_id)
        assert proposal.status is ProposalStatus.submitted and proposal.place_id is None
        assert [e.action for e in proposal.events] == ["submit"]


def _version(page) -> str:
    return re.search(r'name="version" value="(\d+)"', page.get_data(as_text=True)).group(1)


def test_two_managers_at_once_one_wins_the_other_keeps_their_text(client, app, login):
    token = token_of(propose(client))
    with app.app_context():
        proposal_id = tracking.find_by_token(token).id
        places_before = count(Place)
    manager = login(MANAGER, client=app.test_client())
    admin = login(ADMIN, client=app.test_client())
    page_m = manager.get(f"/moderatie/{proposal_id}")
    page_a = admin.get(f"/moderatie/{proposal_id}")
    assert "anna@example.org" in page_m.get_data(as_text=True)  # the area's moderator sees it
    won = manager.post(
        f"/moderatie/{proposal_id}/approve",
        data={
            "csrf_token": csrf_token(page_m),
            "version": _version(page_m),
            "name": "Bankje Overtoomse Veld",
            "kind": "bench",
            "reason": "Komt er!",
        },
    )
    assert won.status_code == 303
    lost = admin.post(
        f"/moderatie/{proposal_id}/reject",
        data={
            "csrf_token": csrf_token(page_a),
            "version": _version(page_a),
            "reason": "Mijn uitgebreide uitleg waarom het hier niet kan.",
        },
    )
    html = unescaped(lost.get_data(as_text=True))
    assert lost.status_code == 409
    assert "Iemand anders heeft dit voorstel behandeld terwijl u ernaar keek" in html
    assert "“Goedgekeurd”" in html and "Fatima El Amrani" in html  # a name, never an e-mail
    assert "Mijn uitgebreide uitleg waarom het hier niet kan." in html  # nothing lost
    with app.app_context():
        proposal = db.session.get(Proposal, proposal_id)
        assert proposal.status is ProposalStatus.approved
        assert [e.action for e in proposal.events] == ["submit", "approve"]
        assert count(Place) == places_before + 1
        assert (
            db.session.scalar(select(Place.name).where(Place.id == proposal.place_id))
            == "Bankje Overtoomse Veld"
        )


def test_resident_reads_the_rejection_and_can_erase_their_data(client, app, login):
    token = token_of(propose(client))
    with app.app_context():
        proposal_id = tracking.find_by_token(token).id
    manager = login(MANAGER, client=app.test_client())
    page = manager.get(f"/moderatie/{proposal_id}")
    response = manager.post(
        f"/moderatie/{proposal_id}/reject",
        data={
            "csrf_token": csrf_token(page),
            "version": _version(page),
            "reason": "Op deze plek komt in 2027 een fietspad.",
        },
    )
    assert response.status_code == 303
    track_page = client.get(f"/voorstellen/volg/{token}").get_data(as_text=True)
    assert "Niet goedgekeurd" in track_page
    assert "Op deze plek komt in 2027 een fietspad." in track_page
    assert 'id="withdraw-button"' not in track_page  # closed: nothing to withdraw
    erase = client.post(
        f"/voorstellen/volg/{token}/gegevens-wissen",
        data={"csrf_token": csrf_token(client.get(f"/voorstellen/volg/{token}"))},
    )
    assert erase.status_code == 303
    after = client.get(f"/voorstellen/volg/{token}").get_data(as_text=True)
    assert "Uw naam en e-mailadres zijn gewist." in after
    moderator_view = manager.get(f"/moderatie/{proposal_id}").get_data(as_text=True)
    assert "anna@example.org" not in moderator_view and "Anna de Vries" not in moderator_view
    assert REASON in moderator_view


def test_question_reply_and_withdraw_through_the_tracking_page(client, app, login):
    token = token_of(propose(client))
    with app.app_context():
        proposal_id = tracking.find_by_token(token).id
    manager = login(MANAGER, client=app.test_client())
    page = manager.get(f"/moderatie/{proposal_id}")
    manager.post(
        f"/moderatie/{proposal_id}/ask",
        data={"csrf_token": csrf_token(page), "version": _version(page), "reason": "Welke kant?"},
    )
    track_page = client.get(f"/voorstellen/volg/{token}")
    assert "Welke kant?" in track_page.get_data(as_text=True)
    client.post(
        f"/voorstellen/volg/{token}/antwoord",
        data={
            "csrf_token": csrf_token(track_page),
            "version": _version(track_page),
            "text": "Bij de speeltuin.",
        },
    )
    track_page = client.get(f"/voorstellen/volg/{token}")
    client.post(
        f"/voorstellen/volg/{token}/intrekken",
        data={"csrf_token": csrf_token(track_page), "version": _version(track_page)},
    )
    with app.app_context():
        proposal = db.session.get(Proposal, proposal_id)
        assert [e.action for e in proposal.events] == ["submit", "ask", "reply", "withdraw"]
        assert proposal.status is ProposalStatus.withdrawn


def test_hidden_proposals_leave_the_public_views(client, app, login):
    token = token_of(propose(client, reason="Iets kwetsends dat hier niet hoort te staan."))
    with app.app_context():
        proposal_id = tracking.find_by_token(token).id
    manager = login(MANAGER, client=app.test_client())
    page = manager.get(f"/moderatie/{proposal_id}")
    manager.post(
        f"/moderatie/{proposal_id}/hide",
        data={"csrf_token": csrf_token(page), "version": _version(page), "reason": "Kwetsend."},
    )
    assert client.get(f"/voorstellen/{proposal_id}").status_code == 404
    assert client.get(f"/api/proposals/{proposal_id}").status_code == 404
    ids = [
        f["id"] for f in client.get("/api/proposals?status=all&limit=1000").get_json()["features"]
    ]
    assert proposal_id not in ids
    track_page = client.get(f"/voorstellen/volg/{token}").get_data(as_text=True)
    assert "Verborgen door een moderator" in track_page and "Kwetsend." not in track_page


def test_public_json_has_no_personal_data_and_pages(client, app):
    for i in range(3):
        propose(
            client, lon=str(QUIET[0] + i * 0.0003), name="Geheime Naam", email="geheim@example.org"
        )
    body = client.get("/api/proposals?limit=2").get_json()
    assert body["type"] == "FeatureCollection" and body["number_returned"] == 2
    assert body["number_matched"] >= 3 and body["links"][0]["rel"] == "next"
    text = client.get("/api/proposals?limit=1000").get_data(as_text=True)
    assert "Geheime Naam" not in text and "geheim@example.org" not in text
    assert "token" not in text and "submission" not in text
    assert client.get("/api/proposals?status=nonsense").status_code == 400
    assert (
        client.get("/api/proposals/context?lon=13.4&lat=52.5").get_json()["error"]["code"]
        == "invalid_input"
    )


def test_queue_oldest_first_with_filters_and_the_digest(client, app, login):
    first = token_of(propose(client))
    second = token_of(
        propose(client, lon=str(NEAR_OBA[0]), lat=str(NEAR_OBA[1]), kind="vegetable_garden")
    )
    with app.app_context():
        ids = [tracking.find_by_token(t).id for t in (first, second)]
    manager = login(MANAGER, client=app.test_client())
    html = manager.get("/moderatie").get_data(as_text=True)
    assert html.index(f"#{ids[0]}<") < html.index(f"#{ids[1]}<")
    filtered = manager.get("/moderatie?kind=vegetable_garden").get_data(as_text=True)
    assert f"#{ids[1]}<" in filtered and f"#{ids[0]}<" not in filtered
    approved = manager.get("/moderatie?status=approved")
    assert approved.status_code == 200
    assert f"#{ids[0]}<" not in approved.get_data(as_text=True)
    digest = manager.get("/moderatie/overzicht")
    assert digest.status_code == 200 and "Slotervaart" in digest.get_data(as_text=True)
    nonsense = manager.get("/moderatie/overzicht?week=nonsense")
    assert nonsense.status_code == 400
    assert "Schrijf de week als JJJJ-Www" in nonsense.get_data(as_text=True)
    resident = client.get("/moderatie")  # residents: log in first
    assert resident.status_code == 302 and resident.headers["Location"].startswith("/login")


def test_queue_and_open_list_page_instead_of_stopping(client, app, login, monkeypatch):
    monkeypatch.setitem(app.config, "MODERATION_PAGE_SIZE", 2)
    monkeypatch.setitem(app.config, "PROPOSALS_PAGE_SIZE", 2)
    tokens = [token_of(propose(client, lon=str(QUIET[0] + i * 0.0003))) for i in range(3)]
    with app.app_context():
        ids = [tracking.find_by_token(t).id for t in tokens]
    manager = login(MANAGER, client=app.test_client())

    def shown(html: str, mark: str) -> list[int]:
        return [i for i in ids if mark.format(i) in html]

    first = manager.get("/moderatie?kind=bench").get_data(as_text=True)
    assert shown(first, "#{}<") == ids[:2]
    assert 'href="/moderatie?kind=bench&amp;page=2" rel="next"' in first
    second = manager.get("/moderatie?kind=bench&page=2").get_data(as_text=True)
    assert shown(second, "#{}<") == ids[2:]
    assert 'rel="prev"' in second and 'rel="next"' not in second

    listed = client.get("/voorstellen/open").get_data(as_text=True)
    assert shown(listed, '/voorstellen/{}"') == ids[:2]
    assert 'href="/voorstellen/open?page=2" rel="next"' in listed
    rest = client.get("/voorstellen/open?page=2").get_data(as_text=True)
    assert shown(rest, '/voorstellen/{}"') == ids[2:] and 'rel="prev"' in rest
    assert client.get("/voorstellen/open?page=nonsense").status_code == 200
