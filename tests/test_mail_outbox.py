"""The mail outbox: a mail is a row written in the step's transaction, sent after the commit or
later by ``flask mail send``, through a real SMTP server (aiosmtpd) that is up or down."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import timedelta
from email.message import EmailMessage

import pytest
from sqlalchemy import create_engine, delete, func, insert, select, text, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from placemaker.extensions import db
from placemaker.mail import transport
from placemaker.mail.models import OutboxMail
from placemaker.proposals import moderation, tracking
from placemaker.proposals.models import Proposal, ProposalStatus
from tests.conftest import TEST_DATABASE_URL
from tests.factories import OVERTOOMSE_VELD as QUIET
from tests.mailbox import SENDER, Inbox, body, free_port, smtp_server
from tests.test_mail import set_mail
from tests.test_proposals import MANAGER, user


def outbox(proposal: Proposal) -> list[OutboxMail]:
    db.session.expire_all()  # the command line wrote through its own session
    return list(
        db.session.scalars(
            select(OutboxMail).where(OutboxMail.proposal_id == proposal.id).order_by(OutboxMail.id)
        )
    )


@pytest.fixture()
def smtp(app, twin_app, monkeypatch) -> Iterator[Inbox]:
    with smtp_server() as (inbox, url):
        set_mail(monkeypatch, (app, twin_app), url, SENDER)
        yield inbox


@pytest.fixture()
def server_down(app, twin_app, monkeypatch) -> int:
    """Mail is configured, but nobody listens on the port (yet): returns the port."""
    port = free_port()
    set_mail(monkeypatch, (app, twin_app), f"smtp://127.0.0.1:{port}", SENDER)
    return port


def test_a_mail_the_server_did_not_take_waits_and_goes_once_it_is_up(
    server_down, runner, client, make_proposal, caplog
):
    proposal, token = make_proposal(email="olga@example.org")
    moderation.reject(proposal, user(MANAGER), "Hier niet.")
    db.session.commit()  # nobody listens: the step stands, its mail waits in the outbox
    assert proposal.status is ProposalStatus.rejected
    (row,) = outbox(proposal)
    assert (row.sent_at, row.failed_at, row.attempts) == (None, None, 1)
    assert row.recipient == "olga@example.org"
    assert row.last_error == "ConnectionRefusedError: Connection refused"
    assert row.next_attempt_at > row.created_at  # tried again a minute later, not at once
    assert "olga@example.org" not in caplog.text
    health = client.get("/healthz")
    assert health.status_code == 200 and health.get_json()["status"] == "ok"
    backlog = health.get_json()["mail_outbox"]
    assert backlog["pending"] == 1 and backlog["failed"] == 0
    assert backlog["oldest_pending_seconds"] is not None

    with smtp_server(server_down) as (inbox, _):  # the server is back, on the same port
        early = runner.invoke(args=["mail", "send"])
        assert early.exit_code == 0, early.output
        assert inbox.received == []  # its minute has not passed
        assert "sent 0; 0 to retry later; 0 failed — outbox: 1 pending" in early.output

        db.session.execute(  # a minute later
            update(OutboxMail)
            .where(OutboxMail.id == row.id)
            .values(next_attempt_at=func.now() - timedelta(minutes=1))
        )
        db.session.commit()
        later = runner.invoke(args=["mail", "send"])
        assert later.exit_code == 0, later.output
        assert "sent 1; 0 to retry later; 0 failed — outbox: 0 pending, 0 failed in all" in (
            later.output
        )
        (mail,) = inbox.to("olga@example.org")
        assert mail["Subject"] == f"Uw voorstel #{proposal.id}: Niet goedgekeurd"
        assert mail["From"] == SENDER
        assert f"/voorstellen/volg/{token}" in body(mail)

        again = runner.invoke(args=["mail", "send", "--all"])
        assert again.exit_code == 0 and "sent 0;" in again.output
        assert len(inbox.received) == 1  # sent once
    (row,) = outbox(proposal)
    assert row.sent_at is not None and row.attempts == 2 and row.last_error is None
    # Sent: the address and the text are gone; the subject says what went, to nobody named.
    assert (row.recipient, row.message) == (None, None)
    assert row.subject == f"Uw voorstel #{proposal.id}: Niet goedgekeurd"


def test_the_row_is_written_in_the_steps_transaction_and_goes_with_its_rollback(
    smtp, make_proposal
):
    proposal, _ = make_proposal(email="piet@example.org")
    db.session.commit()
    moderation.reject(proposal, user(MANAGER), "Nee.")
    (row,) = outbox(proposal)  # written with the step, before the commit
    assert row.recipient == "piet@example.org" and row.sent_at is None
    db.session.rollback()
    assert outbox(proposal) == [] and smtp.received == []

    moderation.reject(proposal, user(MANAGER), "Nee.")
    db.session.commit()
    (row,) = outbox(proposal)
    assert row.sent_at is not None and (row.recipient, row.message) == (None, None)
    assert len(smtp.to("piet@example.org")) == 1

    # transport.drop takes unsent mails out by what they say; a sent one stays sent.
    for word in ("een", "twee"):
        message = EmailMessage()
        message["To"], message["Subject"] = "piet@example.org", word
        message.set_content(word)
        assert transport.queue(message)
    assert transport.drop(lambda m: m["Subject"] in ("een", "Uw voorstel")) == 1
    db.session.commit()
    assert [m["Subject"] for m in smtp.to("piet@example.org")][1:] == ["twee"]


def test_erasing_personal_data_deletes_the_mails_still_waiting(server_down, make_proposal, runner):
    manager = user(MANAGER)
    erased, _ = make_proposal(email="quinten@example.org")
    other, _ = make_proposal(lon=QUIET[0] + 0.001, email="rosa@example.org")
    moderation.ask(erased, manager, "Welke kant?")
    moderation.ask(other, manager, "Welke kant?")
    db.session.commit()  # the server is down: both wait
    assert [r.sent_at for r in outbox(erased)] == [None]

    tracking.erase_personal_data(erased)  # a later transaction than the mail's
    db.session.commit()
    assert outbox(erased) == []
    assert len(outbox(other)) == 1  # somebody else's mail still waits
    assert not db.session.scalar(select(func.count()).where(OutboxMail.recipient.like("%quinten%")))
    with smtp_server(server_down) as (inbox, _):
        assert runner.invoke(args=["mail", "send", "--all"]).exit_code == 0
    assert [rcpt for rcpt, _ in inbox.received] == [["rosa@example.org"]]


def test_a_mail_is_given_up_on_after_max_attempts_counted_and_sent_again_with_all(
    app, twin_app, server_down, monkeypatch, runner, client, make_proposal, caplog
):
    for one in (app, twin_app):
        monkeypatch.setitem(one.config, "MAIL_MAX_ATTEMPTS", 2)
    proposal, _ = make_proposal(email="sara@example.org")
    moderation.reject(proposal, user(MANAGER), "Nee.")
    db.session.commit()  # attempt 1
    result = runner.invoke(args=["mail", "send", "--all"])  # attempt 2: given up on
    assert result.exit_code == 1
    assert "sent 0; 0 to retry later; 1 failed — outbox: 0 pending, 1 failed in all" in (
        result.output
    )
    (row,) = outbox(proposal)
    assert row.failed_at is not None and row.attempts == 2 and row.sent_at is None
    assert row.recipient == "sara@example.org"  # kept, to send once the server is fixed
    assert f"mail {row.id} failed after 2 attempts: ConnectionRefusedError" in caplog.text
    assert "sara@example.org" not in caplog.text
    assert client.get("/healthz").get_json()["mail_outbox"] == {
        "pending": 0,
        "oldest_pending_seconds": None,
        "failed": 1,
    }
    assert runner.invoke(args=["mail", "send"]).exit_code == 0  # failed is not due

    with smtp_server(server_down) as (inbox, _):
        fixed = runner.invoke(args=["mail", "send", "--all"])
    assert fixed.exit_code == 0, fixed.output
    assert "sent 1; 0 to retry later; 0 failed — outbox: 0 pending, 0 failed in all" in (
        fixed.output
    )
    assert len(inbox.to("sara@example.org")) == 1
    (row,) = outbox(proposal)
    assert row.sent_at is not None and row.failed_at is None

    # Rows sent (or failed) longer than MAIL_OUTBOX_KEEP_DAYS ago go altogether.
    db.session.execute(
        update(OutboxMail)
        .where(OutboxMail.id == row.id)
        .values(sent_at=func.now() - timedelta(days=31))
    )
    db.session.commit()
    purged = runner.invoke(args=["mail", "send"])
    assert "removed 1 old row" in purged.output
    assert outbox(proposal) == []


def test_the_digest_waits_in_the_outbox_when_the_server_is_down(server_down, runner, make_proposal):
    make_proposal()
    db.session.commit()
    result = runner.invoke(args=["mail", "digest"])
    assert result.exit_code == 0, result.output
    assert "sent 0 digests;" in result.output and "kept in the outbox" in result.output
    db.session.expire_all()
    waiting = db.session.scalars(
        select(OutboxMail).where(OutboxMail.recipient == MANAGER, OutboxMail.sent_at.is_(None))
    ).all()
    assert len(waiting) == 1 and waiting[0].subject.startswith("placemaker: ")
    with smtp_server(server_down) as (inbox, _):
        assert runner.invoke(args=["mail", "send", "--all"]).exit_code == 0
    assert len(inbox.to(MANAGER)) == 1


def test_mail_send_without_mail_says_so(app, twin_app, monkeypatch, runner):
    set_mail(monkeypatch, (app, twin_app), "", "")
    result = runner.invoke(args=["mail", "send"])
    assert result.exit_code == 1 and transport.OFF_NOTE in result.output
    looping = runner.invoke(args=["mail", "send", "--every", "60"])  # script/server's loop
    assert looping.exit_code == 0 and "the outbox sender stops" in looping.output


# --- several senders at once: rows committed for real, seen from separate connections ---------


@pytest.fixture()
def committed_mails() -> Iterator[tuple[Engine, Callable[[int], list[int]]]]:
    """(an engine of its own, write(n) → ids): rows committed outside the test's transaction,
    so that separate connections see (and lock) them; deleted afterwards."""
    engine = create_engine(TEST_DATABASE_URL)
    written: list[int] = []

    def write(count: int) -> list[int]:
        rows = []
        for n in range(count):
            message = EmailMessage()
            message["To"] = f"n{n}@example.org"
            message["Subject"] = f"nr {n}"
            message.set_content("Hallo.")
            rows.append(
                {
                    "recipient": message["To"],
                    "subject": message["Subject"],
                    "message": bytes(message),
                }
            )
        with engine.begin() as conn:
            ids = list(conn.scalars(insert(OutboxMail).returning(OutboxMail.id), rows))
        written.extend(ids)
        return ids

    try:
        yield engine, write
    finally:
        with engine.begin() as conn:
            conn.execute(delete(OutboxMail).where(OutboxMail.id.in_(written)))
        engine.dispose()


def test_a_second_sender_skips_the_rows_the_first_holds(smtp, committed_mails):
    engine, write = committed_mails
    ids = write(3)
    settings = transport.settings()
    with Session(engine) as first, Session(engine) as second:
        # A sender that waited for the first's locks (no SKIP LOCKED) fails instead of hanging.
        second.execute(text("SET lock_timeout = '10s'"))
        held = transport.claim(first, ids=ids, limit=2)  # the first sender holds two rows
        assert [r.id for r in held] == ids[:2]
        others = transport.claim(second, ids=ids)  # the second skips them, not waits
        assert [r.id for r in others] == ids[2:]
        assert transport.send_claimed(second, settings, others).sent == 1
        second.commit()
        assert transport.send_claimed(first, settings, held).sent == 2
        first.commit()
        assert transport.claim(second, ids=ids, all_unsent=True) == []  # all sent
    assert sorted(m["Subject"] for _, m in smtp.received) == ["nr 0", "nr 1", "nr 2"]


def test_senders_on_several_threads_send_each_mail_once(smtp, twin_app, committed_mails):
    engine, write = committed_mails
    ids = write(30)
    settings = transport.settings()
    counts: list[int] = []

    def sender() -> None:
        sent = 0
        with twin_app.app_context(), Session(engine) as session:
            while rows := transport.claim(session, ids=ids, limit=3):
                sent += transport.send_claimed(session, settings, rows).sent
                session.commit()
        counts.append(sent)

    threads = [threading.Thread(target=sender) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(counts) == 30 and len(counts) == 3
    assert Counter(m["Subject"] for _, m in smtp.received) == {f"nr {n}": 1 for n in range(30)}
    with engine.connect() as conn:
        assert (
            conn.scalar(
                select(func.count()).where(OutboxMail.id.in_(ids), OutboxMail.sent_at.is_(None))
            )
            == 0
        )
