"""SMTP settings, and a transactional outbox in PostgreSQL.

A mail is a row (``mail_outbox``) written in the transaction of the step that caused it: a
rolled-back step mails nobody, a committed one gets its mail eventually. Right after the
commit the app tries to send the rows it just wrote (with a short timeout, never raising);
what the mail server did not take waits, with a growing delay between attempts, for
``flask mail send`` (cron, or ``script/server``'s loop), which any number of machines may run
at once: each claims its rows with ``SELECT … FOR UPDATE SKIP LOCKED``. After
``MAIL_MAX_ATTEMPTS`` a mail is marked failed, logged and counted, never silently dropped.
"""

from __future__ import annotations

import email.policy
import logging
import smtplib
import ssl
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import timedelta
from email import message_from_bytes
from email.message import EmailMessage
from email.utils import formatdate, getaddresses, make_msgid, parseaddr
from typing import Any, cast
from urllib.parse import parse_qs, unquote, urlsplit

from flask import Flask, current_app
from flask_sqlalchemy.session import Session as AppSession
from sqlalchemy import and_, delete, event, func, insert, or_, select
from sqlalchemy.orm import Session

from placemaker.extensions import db
from placemaker.mail.models import OutboxMail

log = logging.getLogger(__name__)

OFF_NOTE = "e-mail is off (no SMTP_URL and MAIL_FROM): residents are not notified"
_QUEUED = "placemaker.mail.outbox"  # ids of the rows this transaction wrote
TRUE = {"1", "true", "yes", "on"}
# Which proposal a mail is about: erasing the resident's personal data deletes its mails.
PROPOSAL_HEADER = "X-Placemaker-Proposal"


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    username: str | None
    password: str | None
    ssl: bool  # smtps: TLS from the first byte
    starttls: bool
    sender: str
    timeout: float = 10.0


def parse_smtp_url(url: str, sender: str, timeout: float = 10.0) -> SmtpSettings:
    """``smtp[s]://[user[:password]@]host[:port][?starttls=1]`` → settings.

    :raises ValueError: for an address that is no SMTP URL.
    """
    parts = urlsplit(url.strip())
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise ValueError("SMTP_URL must look like smtp://user:pass@host:587?starttls=1")
    secure = parts.scheme == "smtps"
    query = parse_qs(parts.query)
    starttls = not secure and query.get("starttls", ["0"])[-1].lower() in TRUE
    return SmtpSettings(
        host=parts.hostname,
        port=parts.port or (465 if secure else 587 if starttls else 25),
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        ssl=secure,
        starttls=starttls,
        sender=sender,
        timeout=timeout,
    )


def settings() -> SmtpSettings | None:
    """The current app's SMTP settings, or None when e-mail is off (or set up wrongly)."""
    config = current_app.config
    url, sender = config.get("SMTP_URL") or "", config.get("MAIL_FROM") or ""
    if not url or not sender:
        return None
    try:
        return parse_smtp_url(url, sender, float(config.get("SMTP_TIMEOUT", 10)))
    except ValueError:
        return None


def enabled() -> bool:
    return settings() is not None


def mail_status() -> dict[str, bool]:
    """For the templates: the moderators' pages say when residents are not notified."""
    return {"mail_enabled": enabled()}


def log_status(app: Flask) -> None:
    """One line at start-up saying whether and where mail goes (never the password)."""
    with app.app_context():
        found = settings()
        if found is None:
            if app.config.get("SMTP_URL") and app.config.get("MAIL_FROM"):
                log.warning("SMTP_URL is not smtp://… or smtps://…: %s", OFF_NOTE)
            else:
                log.info(OFF_NOTE)
        else:
            log.info("e-mail goes through %s:%s from %s", found.host, found.port, found.sender)


def _connect(smtp: SmtpSettings) -> smtplib.SMTP:
    """A logged-in connection.

    :raises OSError: (smtplib.SMTPException is one) when the server cannot be used at all.
    """
    client: smtplib.SMTP
    if smtp.ssl:
        context = ssl.create_default_context()
        client = smtplib.SMTP_SSL(smtp.host, smtp.port, timeout=smtp.timeout, context=context)
    else:
        client = smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout)
    try:
        if smtp.starttls:
            client.starttls(context=ssl.create_default_context())
        if smtp.username:
            client.login(smtp.username, smtp.password or "")
    except BaseException:
        client.close()
        raise
    return client


def _hang_up(client: smtplib.SMTP) -> None:
    try:
        client.quit()
    except OSError:
        pass  # the mails are handed over; a rude goodbye changes nothing
    finally:
        client.close()


def _identify(smtp: SmtpSettings, message: EmailMessage) -> None:
    """A Message-ID in the sender's domain where the message has none yet."""
    if message["Message-ID"] is None:
        domain = parseaddr(smtp.sender)[1].rpartition("@")[2]
        message["Message-ID"] = make_msgid(domain=domain or None)


def _stamp(smtp: SmtpSettings, message: EmailMessage) -> None:
    """From, Date and Message-ID where the message has none yet."""
    if message["From"] is None:
        message["From"] = smtp.sender
    del message["Date"]
    message["Date"] = formatdate(localtime=True)
    _identify(smtp, message)


def _error(exc: BaseException) -> str:
    """What went wrong, short and without addresses (servers echo them in their replies)."""
    name = type(exc).__name__
    if isinstance(exc, smtplib.SMTPResponseException):
        return f"{name} {exc.smtp_code}"
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return f"{name} " + ",".join(sorted({str(c) for c, _ in exc.recipients.values()}))
    if isinstance(exc, OSError) and exc.strerror:
        return f"{name}: {exc.strerror}"[:200]
    return name


# --- the outbox: written in the transaction ---------------------------------------------------


def enqueue(message: EmailMessage) -> int | None:
    """Write ``message`` to the outbox in the current transaction; nothing is sent yet.

    :returns: the row's id, or None when e-mail is off (nothing written).
    """
    smtp = settings()
    if smtp is None:
        return None
    _identify(smtp, message)  # one id for all attempts: receivers drop repeats
    about = str(message[PROPOSAL_HEADER] or "")
    to = [address for _, address in getaddresses(message.get_all("To", []))]
    return db.session.scalar(
        insert(OutboxMail)
        .values(
            proposal_id=int(about) if about.isdigit() else None,
            recipient=", ".join(to),
            subject=str(message["Subject"] or ""),
            message=message.as_bytes(),
        )
        .returning(OutboxMail.id)
    )


def queue(message: EmailMessage) -> bool:
    """Write ``message`` to the outbox now and try to send it once the transaction commits;
    a rolled-back transaction takes it away.

    :returns: False when e-mail is off (nothing queued).
    """
    row_id = enqueue(message)
    if row_id is None:
        return False
    db.session.info.setdefault(_QUEUED, []).append(row_id)
    return True


def drop(predicate: Callable[[EmailMessage], bool]) -> int:
    """Delete the unsent mails for which ``predicate(message)`` is true; returns how many."""
    rows = db.session.execute(
        select(OutboxMail.id, OutboxMail.message).where(
            OutboxMail.sent_at.is_(None), OutboxMail.message.is_not(None)
        )
    ).all()
    doomed = [row.id for row in rows if predicate(_parse(row.message))]
    if doomed:
        db.session.execute(
            delete(OutboxMail).where(OutboxMail.id.in_(doomed), OutboxMail.sent_at.is_(None)),
            execution_options={"synchronize_session": False},
        )
    return len(doomed)


def drop_proposal(proposal_id: int) -> int:
    """Delete the unsent mails about a proposal (its resident erased their data).

    A mail a sender is handing over this very moment is waited for, then left: it is sent.
    """
    result = db.session.execute(
        delete(OutboxMail).where(
            OutboxMail.proposal_id == proposal_id, OutboxMail.sent_at.is_(None)
        ),
        execution_options={"synchronize_session": False},
    )
    return cast(Any, result).rowcount or 0


def _parse(data: bytes) -> EmailMessage:
    return message_from_bytes(data, policy=email.policy.default)


# --- the outbox: sending ----------------------------------------------------------------------


@dataclass
class Tally:
    """What one round of sending did."""

    sent: int = 0
    retrying: int = 0  # not taken this time: tried again after a delay
    failed: int = 0  # given up on after MAIL_MAX_ATTEMPTS
    unreachable: bool = False  # the server could not be used at all

    def add(self, other: Tally) -> None:
        self.sent += other.sent
        self.retrying += other.retrying
        self.failed += other.failed
        self.unreachable = self.unreachable or other.unreachable


def _pending():
    """Neither sent nor given up on."""
    return and_(OutboxMail.sent_at.is_(None), OutboxMail.failed_at.is_(None))


def _due(all_unsent: bool):
    pending = _pending()
    if not all_unsent:
        return and_(pending, OutboxMail.next_attempt_at <= func.now())
    # Everything unsent, failed ones too while they still hold their text.
    return or_(
        pending,
        and_(OutboxMail.sent_at.is_(None), OutboxMail.message.is_not(None)),
    )


def claim(
    session: Session,
    *,
    ids: Sequence[int] | None = None,
    skip: Iterable[int] = (),
    limit: int = 50,
    all_unsent: bool = False,
) -> list[OutboxMail]:
    """Lock up to ``limit`` due mails that no other sender holds (FOR UPDATE SKIP LOCKED).

    The locks last until ``session`` commits: meanwhile no other sender sees those rows.
    """
    query = (
        select(OutboxMail)
        .where(_due(all_unsent), OutboxMail.message.is_not(None))
        .order_by(OutboxMail.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    if ids is not None:
        query = query.where(OutboxMail.id.in_(ids))
    skipped = list(skip)
    if skipped:
        query = query.where(OutboxMail.id.not_in(skipped))
    return list(session.scalars(query))


def send_claimed(session: Session, smtp: SmtpSettings, rows: Sequence[OutboxMail]) -> Tally:
    """Send ``rows`` (claimed by ``session``) over one connection and record each outcome.

    Never raises for the mail server; the caller commits.
    """
    tally = Tally()
    if not rows:
        return tally
    try:
        client = _connect(smtp)
    except OSError as exc:
        error = _error(exc)
        # Ids and counts only: the server's address is ours, the residents' are not logged.
        log.error(
            "could not send %d mails through %s:%s: %s (kept in the outbox)",
            len(rows),
            smtp.host,
            smtp.port,
            error,
        )
        for row in rows:
            _retry_later(row, error, tally)
        tally.unreachable = True
        session.flush()
        return tally
    try:
        for index, row in enumerate(rows):
            message = _parse(row.message or b"")
            _stamp(smtp, message)
            try:
                client.send_message(message)
            except smtplib.SMTPServerDisconnected as exc:
                # The connection is gone: this mail and the rest wait for the next round.
                log.error("the mail server hung up: %d mails kept in the outbox", len(rows) - index)
                for rest in rows[index:]:
                    _retry_later(rest, _error(exc), tally)
                tally.unreachable = True
                break
            except OSError as exc:  # refused (SMTPException) or the socket failed
                log.warning("mail %d was not taken: %s", row.id, _error(exc))
                _retry_later(row, _error(exc), tally)
                if not isinstance(exc, smtplib.SMTPException):
                    for rest in rows[index + 1 :]:
                        _retry_later(rest, _error(exc), tally)
                    tally.unreachable = True
                    break
            else:
                _sent(row)
                tally.sent += 1
    finally:
        _hang_up(client)
    session.flush()
    return tally


def _sent(row: OutboxMail) -> None:
    # Sent: the address and the text have done their work and go now.
    row.sent_at = func.now()  # type: ignore[assignment]
    row.failed_at = None
    row.attempts += 1
    row.recipient = None
    row.message = None
    row.last_error = None


def _retry_later(row: OutboxMail, error: str, tally: Tally) -> None:
    config = current_app.config
    row.attempts += 1
    row.last_error = error[:200]
    if row.attempts >= int(config["MAIL_MAX_ATTEMPTS"]):
        row.failed_at = func.now()  # type: ignore[assignment]
        tally.failed += 1
        log.error("mail %d failed after %d attempts: %s", row.id, row.attempts, error)
        return
    delays = config["MAIL_RETRY_MINUTES"]
    minutes = delays[min(row.attempts, len(delays)) - 1]
    row.failed_at = None
    row.next_attempt_at = func.now() + timedelta(minutes=minutes)  # type: ignore[assignment]
    tally.retrying += 1


def deliver(ids: Sequence[int], *, timeout: float | None = None) -> Tally:
    """Try to send the outbox rows ``ids`` now, in a transaction of their own.

    For right after the commit that wrote them; rows another sender holds are left to it.
    """
    smtp = settings()
    if smtp is None or not ids:
        return Tally()
    if timeout is not None:
        smtp = replace(smtp, timeout=min(smtp.timeout, timeout))
    # Its own session on the app's database (in the tests: a savepoint in the test's
    # transaction): the session that wrote the rows has just committed and may not go on.
    with Session(bind=db.session.get_bind(), join_transaction_mode="create_savepoint") as own:
        with own.begin():
            return send_claimed(own, smtp, claim(own, ids=ids, limit=len(ids)))


def send_due(*, all_unsent: bool = False, batch: int = 50) -> Tally:
    """Send what is due, batch by batch, each batch in its own committed transaction.

    :param all_unsent: also the mails waiting out their delay, and the failed ones (after the
        mail server is fixed).
    """
    smtp = settings()
    total = Tally()
    if smtp is None:
        return total
    session = db.session()  # the app's session itself, not its scoped proxy
    tried: list[int] = []
    while True:
        rows = claim(session, skip=tried, limit=batch, all_unsent=all_unsent)
        if not rows:
            session.commit()
            return total
        tried += [row.id for row in rows]
        tally = send_claimed(session, smtp, rows)
        session.commit()
        total.add(tally)
        if tally.unreachable:
            return total  # not every batch against a server that is down


def purge(days: int | None = None) -> int:
    """Delete rows sent or given up on more than ``days`` (MAIL_OUTBOX_KEEP_DAYS) ago."""
    days = int(current_app.config["MAIL_OUTBOX_KEEP_DAYS"]) if days is None else days
    before = func.now() - timedelta(days=days)
    result = db.session.execute(
        delete(OutboxMail).where(or_(OutboxMail.sent_at < before, OutboxMail.failed_at < before)),
        execution_options={"synchronize_session": False},
    )
    return cast(Any, result).rowcount or 0


def backlog() -> dict[str, Any]:
    """The unsent mails: how many wait, how old the oldest is, how many failed."""
    pending = _pending()
    # Stored times are the server's local time without a zone (as now() puts them).
    row = db.session.execute(
        select(
            func.count().filter(pending).label("pending"),
            func.extract(
                "epoch", func.localtimestamp() - func.min(OutboxMail.created_at).filter(pending)
            ).label("age"),
            func.count().filter(OutboxMail.failed_at.is_not(None)).label("failed"),
        )
    ).one()
    age = row.age
    return {
        "pending": row.pending,
        "oldest_pending_seconds": round(float(age)) if age is not None else None,
        "failed": row.failed,
    }


# --- after the commit -------------------------------------------------------------------------


def _send_outbox(session) -> None:
    ids = session.info.pop(_QUEUED, None)
    if not ids:
        return
    try:
        tally = deliver(ids, timeout=float(current_app.config["SMTP_TIMEOUT_IN_REQUEST"]))
    except Exception as exc:  # the step is committed; its mails wait in the outbox
        log.error("could not try %d mails after the commit: %s", len(ids), _error(exc))
        return
    if tally.sent:
        log.info("sent %d of %d mails", tally.sent, len(ids))


def _clear_outbox(session, previous_transaction) -> None:
    # A savepoint rolled back inside a transaction that goes on keeps the list (a step queued
    # before it may still commit; rows of the savepoint are gone and simply not found); the
    # whole transaction rolled back takes its rows and the list with it.
    if not previous_transaction.nested:
        session.info.pop(_QUEUED, None)


def init_outbox() -> None:
    """Try the mails a transaction wrote right after it commits; forget them on rollback."""
    if not event.contains(AppSession, "after_commit", _send_outbox):
        event.listen(AppSession, "after_commit", _send_outbox)
        event.listen(AppSession, "after_soft_rollback", _clear_outbox)
