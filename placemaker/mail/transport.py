"""SMTP settings, and an outbox that sends what a transaction queued once it commits."""

from __future__ import annotations

import logging
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr
from urllib.parse import parse_qs, unquote, urlsplit

from flask import Flask, current_app
from flask_sqlalchemy.session import Session
from sqlalchemy import event

from placemaker.extensions import db

log = logging.getLogger(__name__)

OFF_NOTE = "e-mail is off (no SMTP_URL and MAIL_FROM): residents are not notified"
_OUTBOX = "placemaker.mail.outbox"
TRUE = {"1", "true", "yes", "on"}


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


def send_now(smtp: SmtpSettings, messages: list[EmailMessage]) -> int:
    """Send over one connection; returns how many the server accepted.

    :raises OSError, smtplib.SMTPException: when the server cannot be reached at all.
    """
    context = ssl.create_default_context()
    client: smtplib.SMTP
    if smtp.ssl:
        client = smtplib.SMTP_SSL(smtp.host, smtp.port, timeout=smtp.timeout, context=context)
    else:
        client = smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout)
    sent = 0
    with client:
        if smtp.starttls:
            client.starttls(context=context)
        if smtp.username:
            client.login(smtp.username, smtp.password or "")
        for message in messages:
            if message["From"] is None:
                message["From"] = smtp.sender
            message["Date"] = formatdate(localtime=True)
            domain = parseaddr(smtp.sender)[1].rpartition("@")[2]
            message["Message-ID"] = make_msgid(domain=domain or None)
            try:
                client.send_message(message)
                sent += 1
            except smtplib.SMTPException as exc:
                # One refused address does not stop the others; ids only, no addresses.
                log.warning("a mail was refused: %s", type(exc).__name__)
    return sent


# --- after the commit -----------------------------------------------------------------------


def queue(message: EmailMessage) -> bool:
    """Send ``message`` when the current transaction commits; nothing when it rolls back.

    :returns: False when e-mail is off (nothing queued).
    """
    smtp = settings()
    if smtp is None:
        return False
    db.session.info.setdefault(_OUTBOX, []).append((smtp, message))
    return True


def drop(predicate) -> None:
    """Take queued messages for which ``predicate(message)`` is true out of the outbox."""
    outbox = db.session.info.get(_OUTBOX)
    if outbox:
        outbox[:] = [(s, m) for s, m in outbox if not predicate(m)]


def _send_outbox(session) -> None:
    outbox = session.info.pop(_OUTBOX, None)
    if not outbox:
        return
    by_server: dict[SmtpSettings, list[EmailMessage]] = {}
    for smtp, message in outbox:
        by_server.setdefault(smtp, []).append(message)
    for smtp, messages in by_server.items():
        try:
            sent = send_now(smtp, messages)
            log.info("sent %d of %d mails", sent, len(messages))
        except (OSError, smtplib.SMTPException) as exc:
            # The step is committed; the resident still reads it on the tracking page.
            log.error(
                "could not send %d mails through %s:%s: %s",
                len(messages),
                smtp.host,
                smtp.port,
                exc,
            )


def _clear_outbox(session, previous_transaction) -> None:
    # A savepoint rolled back inside a transaction that goes on keeps the outbox (a step
    # queued before it may still commit); the whole transaction rolled back drops it.
    if not previous_transaction.nested:
        session.info.pop(_OUTBOX, None)


def init_outbox() -> None:
    """Send queued mails after each commit of the app's sessions, drop them on rollback."""
    if not event.contains(Session, "after_commit", _send_outbox):
        event.listen(Session, "after_commit", _send_outbox)
        event.listen(Session, "after_soft_rollback", _clear_outbox)
