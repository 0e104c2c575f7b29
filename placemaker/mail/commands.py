"""``flask mail …``: the managers' weekly digest, and sending what waits in the outbox."""

from __future__ import annotations

import logging
import time

import click
from flask.cli import AppGroup
from sqlalchemy.exc import SQLAlchemyError

from placemaker.extensions import db
from placemaker.mail import transport
from placemaker.mail.digest import send_digests

log = logging.getLogger(__name__)

mail_group = AppGroup("mail", help="E-mail: the outbox and the area managers' weekly digest.")


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'s' if count != 1 else ''}"


@mail_group.command("digest")
def digest_command():
    """Mail every area manager the proposals waiting in their inbox (run weekly)."""
    tally, idle = send_digests()
    kept = tally.retrying + tally.failed
    click.echo(
        f"sent {_plural(tally.sent, 'digest')}; "
        + (f"{kept} kept in the outbox for `flask mail send`; " if kept else "")
        + f"{_plural(idle, 'manager')} with nothing waiting"
    )


def _round(all_unsent: bool) -> tuple[transport.Tally, int, dict]:
    tally = transport.send_due(all_unsent=all_unsent)
    removed = transport.purge()
    db.session.commit()
    return tally, removed, transport.backlog()


def _report(tally: transport.Tally, removed: int, backlog: dict) -> str:
    oldest = backlog["oldest_pending_seconds"]
    waits = f"{backlog['pending']} pending" + (
        f" (oldest {round(oldest / 60)} min)" if oldest is not None else ""
    )
    line = (
        f"sent {tally.sent}; {tally.retrying} to retry later; {tally.failed} failed — "
        f"outbox: {waits}, {backlog['failed']} failed in all"
    )
    return line + (f"; removed {_plural(removed, 'old row')}" if removed else "")


@mail_group.command("send")
@click.option(
    "--all",
    "all_unsent",
    is_flag=True,
    help="Also the mails waiting out their delay, and the failed ones (once the mail server "
    "is fixed).",
)
@click.option(
    "--every",
    "interval",
    type=click.IntRange(min=1),
    metavar="SECONDS",
    help="Keep running, a round every SECONDS (script/server runs it so).",
)
def send_command(all_unsent, interval):
    """Send the mails that are due from the outbox; safe on several machines at once.

    Exits with 1 when a mail was given up on in this run (after MAIL_MAX_ATTEMPTS).
    """
    if transport.settings() is None:
        if interval is not None:  # script/server starts it either way: no error for that
            click.echo(f"{transport.OFF_NOTE}; the outbox sender stops")
            return
        raise click.ClickException(transport.OFF_NOTE)
    while True:
        try:
            tally, removed, backlog = _round(all_unsent)
        except SQLAlchemyError as exc:
            db.session.rollback()
            if interval is None:
                raise click.ClickException(f"the database failed: {type(exc).__name__}") from None
            log.error("mail send: the database failed: %s", type(exc).__name__)
        else:
            if interval is None or tally.sent or tally.retrying or tally.failed or removed:
                click.echo(_report(tally, removed, backlog))
            if interval is None:
                if tally.failed:
                    raise SystemExit(1)
                return
        time.sleep(interval)
