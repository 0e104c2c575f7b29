"""E-mail through a real SMTP server (aiosmtpd on a free local port): what arrives, and where."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from flask import Flask

from placemaker.extensions import db
from placemaker.mail import transport
from placemaker.mail.digest import managers, send_digests, waiting
from placemaker.mail.notices import PROPOSAL_HEADER
from placemaker.places import service as places
from placemaker.proposals import moderation, tracking
from placemaker.proposals.models import ProposalStatus
from tests.factories import OVERTOOMSE_VELD as QUIET
from tests.factories import csrf_token, sign_in
from tests.mailbox import SENDER, Inbox, body, free_port, smtp_server
from tests.test_proposals import ADMIN, MANAGER, user
from tests.test_proposals_web import propose, token_of


def set_mail(monkeypatch, apps: tuple[Flask, ...], url: str, sender: str) -> None:
    for one in apps:
        monkeypatch.setitem(one.config, "SMTP_URL", url)
        monkeypatch.setitem(one.config, "MAIL_FROM", sender)


@pytest.fixture()
def smtp(app, twin_app, monkeypatch) -> Iterator[Inbox]:
    with smtp_server() as (inbox, url):
        set_mail(monkeypatch, (app, twin_app), url, SENDER)
        yield inbox


def test_smtp_url_forms():
    plain = transport.parse_smtp_url(
        "smtp://mailer%40x:p%3Ass@mail.example.org:587?starttls=1", "a@b"
    )
    assert (plain.host, plain.port, plain.username, plain.password, plain.starttls, plain.ssl) == (
        "mail.example.org",
        587,
        "mailer@x",
        "p:ss",
        True,
        False,
    )
    secure = transport.parse_smtp_url("smtps://mail.example.org", "a@b")
    assert (secure.port, secure.ssl, secure.starttls, secure.username) == (465, True, False, None)
    assert transport.parse_smtp_url("smtp://localhost", "a@b").port == 25
    with pytest.raises(ValueError):
        transport.parse_smtp_url("http://mail.example.org", "a@b")


def test_approve_reject_ask_mail_the_resident_after_the_commit(smtp, make_proposal):
    manager = user(MANAGER)
    approved, approved_token = make_proposal(email="anna@example.org")
    rejected, _ = make_proposal(lon=QUIET[0] + 0.001, email="bob@example.org", name=None)
    asked, asked_token = make_proposal(lon=QUIET[0] - 0.001, email="carla@example.org")
    db.session.commit()
    assert smtp.received == []  # proposing mails nobody (the receipt shows the link)

    moderation.approve(approved, manager, name="Bankje aan het pad", message="In het voorjaar.")
    assert smtp.received == []  # composed, but nothing leaves before the commit
    db.session.commit()
    (mail,) = smtp.to("anna@example.org")
    assert mail["From"] == "placemaker <noreply@example.org>"
    assert mail["Message-ID"].endswith("@example.org>")
    assert mail["Subject"] == f"Uw voorstel #{approved.id}: Goedgekeurd"
    text = body(mail)
    assert text.startswith("Hallo Anna de Vries,")
    assert "In het voorjaar." in text
    assert f"/voorstellen/volg/{approved_token}" in text
    assert "Your proposal" not in text  # the form was Dutch: Dutch only

    moderation.reject(rejected, manager, "Hier komt een fietspad.")
    moderation.ask(asked, manager, "Aan welke kant van het pad?")
    db.session.commit()
    (no,) = smtp.to("bob@example.org")
    assert no["Subject"] == f"Uw voorstel #{rejected.id}: Niet goedgekeurd"
    assert body(no).startswith("Hallo,") and "Hier komt een fietspad." in body(no)
    (question,) = smtp.to("carla@example.org")
    assert question["Subject"] == f"Vraag over uw voorstel #{asked.id}"
    assert "Aan welke kant van het pad?" in body(question)
    assert f"/voorstellen/volg/{asked_token}" in body(question)
    assert len(smtp.received) == 3

    # The resident's reply mails nobody; a rolled-back step mails nobody either.
    tracking.reply(asked, "Aan de kant van de speeltuin.")
    db.session.commit()
    moderation.reject(asked, manager, "Toch niet.")
    db.session.rollback()
    assert len(smtp.received) == 3


def test_english_form_gets_english_mail_and_unknown_gets_both(
    smtp, app, client, login, make_proposal
):
    client.get("/?lang=en")  # the resident reads the site in English
    token = token_of(propose(client, email="eve@example.org"))
    proposal = tracking.find_by_token(token)
    assert proposal.submitter_language == "en"
    unknown, _ = make_proposal(lon=QUIET[0] + 0.001, email="frank@example.org")
    unknown.submitter_language = None
    db.session.commit()

    manager = login(MANAGER, client=app.test_client())
    for one in (proposal, unknown):
        page = manager.get(f"/moderatie/{one.id}")
        version = re.search(r'name="version" value="(\d+)"', page.get_data(as_text=True))
        done = manager.post(
            f"/moderatie/{one.id}/reject",
            data={
                "reason": "Not here.",
                "version": version.group(1),
                "csrf_token": re.search(
                    r'name="csrf_token"[^>]*value="([^"]+)"', page.get_data(as_text=True)
                ).group(1),
            },
        )
        assert done.status_code == 303, done.get_data(as_text=True)[:300]
    (english,) = smtp.to("eve@example.org")
    assert english["Subject"] == f"Your proposal #{proposal.id}: Not approved"
    assert body(english).startswith("Hello Anna de Vries,")
    assert f"/voorstellen/volg/{token}" in body(english)
    (both,) = smtp.to("frank@example.org")
    assert both["Subject"] == f"Uw voorstel #{unknown.id}: Niet goedgekeurd"
    dutch, english_part = body(both).split("\n---\n")
    assert "Hallo Anna de Vries," in dutch and "Hello Anna de Vries," in english_part


def test_no_address_or_erased_address_means_no_mail(smtp, make_proposal):
    manager = user(MANAGER)
    anonymous, _ = make_proposal(email=None, name=None)
    assert anonymous.tracking_sealed is None  # no address: the link is not kept at all
    erased, _ = make_proposal(lon=QUIET[0] + 0.001, email="gerda@example.org")
    assert erased.tracking_sealed is not None
    db.session.commit()
    moderation.ask(erased, manager, "Welke kant?")
    tracking.erase_personal_data(erased)  # in the same transaction: the queued mail goes too
    db.session.commit()
    assert erased.tracking_sealed is None and erased.submitter_email is None
    moderation.approve(anonymous, manager, name="Bankje")
    tracking.reply(erased, "Links.")
    moderation.reject(erased, manager, "Toch niet.")
    db.session.commit()
    assert smtp.received == []


def test_a_failing_mail_server_never_breaks_moderation(
    app, twin_app, monkeypatch, caplog, make_proposal
):
    set_mail(monkeypatch, (app, twin_app), f"smtp://127.0.0.1:{free_port()}", "a@example.org")
    proposal, _ = make_proposal(email="hans@example.org")
    moderation.reject(proposal, user(MANAGER), "Hier niet.")
    db.session.commit()  # nobody listens on that port
    assert proposal.status is ProposalStatus.rejected
    assert "could not send 1 mails through 127.0.0.1" in caplog.text
    assert "hans@example.org" not in caplog.text


def test_mail_off_shows_a_note_and_sends_nothing(
    app, twin_app, monkeypatch, login, make_proposal, caplog
):
    set_mail(monkeypatch, (app, twin_app), "", "")
    proposal, _ = make_proposal()
    moderation.reject(proposal, user(MANAGER), "Hier niet.")
    db.session.commit()  # no error, nothing queued
    assert proposal.status is ProposalStatus.rejected
    manager = login(MANAGER)
    html = manager.get("/moderatie").get_data(as_text=True)
    assert 'id="mail-off"' in html and "E-mail staat uit: bewoners krijgen geen bericht" in html
    with caplog.at_level("INFO", logger="placemaker.mail.transport"):
        transport.log_status(app)
    assert caplog.messages == [transport.OFF_NOTE]
    # and configured, the note is gone
    set_mail(monkeypatch, (app, twin_app), "smtp://127.0.0.1:25", "a@example.org")
    assert 'id="mail-off"' not in manager.get("/moderatie").get_data(as_text=True)


def test_digest_mails_each_manager_their_waiting_proposals(smtp, make_proposal, make_user, runner):
    make_user(role="area_manager", areas=("DX04",), email="west2@example.org")
    slotervaart, _ = make_proposal()
    older, _ = make_proposal(lon=QUIET[0] + 0.0002)
    asked, _ = make_proposal(lon=QUIET[0] - 0.0002)
    moderation.ask(asked, user(MANAGER), "Welke kant?")
    tracking.reply(asked, "Links.")  # waiting again, the resident answered
    answered, _ = make_proposal(lon=QUIET[0] - 0.0004)
    moderation.reject(answered, user(MANAGER), "Nee.")  # waits for nobody
    db.session.commit()

    result = runner.invoke(args=["mail", "digest"])
    assert result.exit_code == 0, result.output
    everyone = managers()
    assert MANAGER in {m.email for m in everyone} and ADMIN not in {m.email for m in everyone}
    (digest,) = smtp.to(MANAGER)
    text = body(digest)
    for one in (slotervaart, older, asked):
        assert f"#{one.id} Bankje" in text
        assert f"/moderatie/{one.id}" in text
    assert f"#{answered.id} " not in text
    assert f"#{asked.id} Bankje" in text and "de bewoner beantwoordde je vraag" in text
    assert text.index(f"#{slotervaart.id} ") < text.index(f"#{older.id} ")  # oldest first
    # One mail per manager with something waiting, listing exactly what waits for them.
    expected = {m.email: [p.id for p in waiting(m)] for m in everyone}
    for email, ids in expected.items():
        mails = smtp.to(email)
        assert len(mails) == (1 if ids else 0), email
        if ids:
            listed = [int(n) for n in re.findall(r"^#(\d+) ", body(mails[0]), re.M)]
            assert listed == ids
    assert any(not ids for ids in expected.values())  # somebody had nothing: no mail
    digests = [m for rcpt, m in smtp.received if rcpt[0] in expected]
    assert len(digests) == sum(1 for ids in expected.values() if ids)
    assert f"sent {len(digests)} digest" in result.output


def test_digest_without_mail_says_so(app, twin_app, monkeypatch, runner):
    set_mail(monkeypatch, (app, twin_app), "", "")
    result = runner.invoke(args=["mail", "digest"])
    assert result.exit_code == 1 and transport.OFF_NOTE in result.output
    with pytest.raises(Exception, match="e-mail is off"):
        send_digests()


# --- a place's later life steps ---------------------------------------------------------------


def test_each_later_step_of_the_place_mails_the_resident_after_the_commit(smtp, make_proposal):
    manager = user(MANAGER)
    actor = places.Actor(manager.name, manager.id)
    proposal, token = make_proposal(email="ina@example.org")
    place = moderation.approve(proposal, manager, name="Bankje aan de vijver")
    db.session.commit()
    assert len(smtp.to("ina@example.org")) == 1  # the approval's own mail

    places.update_place(place, {"description": "Komt in het voorjaar"}, actor)  # not a step
    places.update_place(place, {"status": "under_construction"}, actor)
    assert len(smtp.to("ina@example.org")) == 1  # nothing leaves before the commit
    db.session.commit()
    _, building = smtp.to("ina@example.org")
    assert building["Subject"] == f"De plek van uw voorstel #{proposal.id}: In aanbouw"
    assert building[PROPOSAL_HEADER] == str(proposal.id)
    text = body(building)
    assert text.startswith("Hallo Anna de Vries,")
    assert "„Bankje aan de vijver”, heeft een nieuwe status: In aanbouw." in text
    assert f"/voorstellen/volg/{token}" in text
    assert "wis dan uw gegevens op de volgpagina" in text  # the same footer
    assert "Your proposal" not in text

    for status in ("active", "gone"):
        places.update_place(place, {"status": status}, actor)
        db.session.commit()
    subjects = [m["Subject"] for m in smtp.to("ina@example.org")]
    assert subjects[2:] == [
        f"De plek van uw voorstel #{proposal.id}: Open",
        f"De plek van uw voorstel #{proposal.id}: Verdwenen",
    ]
    # A step rolled back mails nobody.
    places.update_place(place, {"status": "active"}, actor)
    db.session.rollback()
    assert len(smtp.to("ina@example.org")) == 4


def test_place_steps_in_english_and_none_without_a_proposal_or_an_address(
    smtp, make_proposal, make_place
):
    manager = user(MANAGER)
    actor = places.Actor(manager.name, manager.id)
    english, _ = make_proposal(email="jo@example.org")
    english.submitter_language = "en"
    anonymous, _ = make_proposal(lon=QUIET[0] + 0.001, email=None, name=None)
    erased, _ = make_proposal(lon=QUIET[0] - 0.001, email="kees@example.org")
    late, _ = make_proposal(lon=QUIET[0] - 0.002, email="lies@example.org")
    made = {
        p.id: moderation.approve(p, manager, name=f"Bankje {p.id}")
        for p in (english, anonymous, erased, late)
    }
    imported = make_place(name="Bankje uit de gemeentelijke lijst", lon=4.8430, lat=52.3670)
    tracking.erase_personal_data(erased)
    db.session.commit()
    before = len(smtp.received)

    for place in (*made.values(), imported):
        places.update_place(place, {"status": "under_construction"}, actor)
    # Erased in the same transaction as the step: the queued mail goes too.
    tracking.erase_personal_data(late)
    db.session.commit()
    ((rcpt, mail),) = smtp.received[before:]
    assert rcpt == ["jo@example.org"] and mail["To"] == "jo@example.org"
    assert mail["Subject"] == f"The place from your proposal #{english.id}: Under construction"
    assert body(mail).startswith("Hello Anna de Vries,")
    assert "has a new status: Under construction." in body(mail)
    assert "erase your details on the tracking page" in body(mail)


def test_moving_the_place_on_its_page_mails_the_resident(smtp, app):
    resident = app.test_client()
    token = token_of(propose(resident, email="mia@example.org"))
    with app.app_context():
        proposal = tracking.find_by_token(token)
        place = moderation.approve(proposal, user(MANAGER), name="Bankje bij de school")
        db.session.commit()
        place_id, version, proposal_id = place.id, place.version, proposal.id
    manager = sign_in(app.test_client(), MANAGER)
    page = manager.get(f"/places/{place_id}")
    moved = manager.post(
        f"/places/{place_id}/status",
        data={
            "csrf_token": csrf_token(page),
            "status": "under_construction",
            "version": str(version),
        },
    )
    assert moved.status_code == 303
    mails = smtp.to("mia@example.org")
    assert [m["Subject"] for m in mails] == [
        f"Uw voorstel #{proposal_id}: Goedgekeurd",
        f"De plek van uw voorstel #{proposal_id}: In aanbouw",
    ]
    assert f"/voorstellen/volg/{token}" in body(mails[1])
