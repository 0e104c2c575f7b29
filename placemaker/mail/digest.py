"""The area managers' weekly digest: each one's inbox by e-mail (``flask mail digest``)."""

from __future__ import annotations

import logging
from email.message import EmailMessage

import click
from flask import current_app, url_for
from flask_babel import force_locale, ngettext
from flask_babel import gettext as _
from sqlalchemy import select

from placemaker.accounts.models import Role, User
from placemaker.extensions import db
from placemaker.i18n import in_language
from placemaker.mail import transport
from placemaker.proposals.inbox import answered_by_resident
from placemaker.proposals.models import Proposal, ProposalStatus
from placemaker.proposals.moderation import visible_to

log = logging.getLogger(__name__)


def managers() -> list[User]:
    """Active area managers who look after at least one area now."""
    return [
        u
        for u in db.session.scalars(
            select(User)
            .where(User.role == Role.area_manager, User.active.is_(True))
            .order_by(User.id)
        )
        if any(a.until is None for a in u.assignments)
    ]


def waiting(user: User) -> list[Proposal]:
    """What waits for this manager, oldest first (as in the inbox)."""
    return list(
        db.session.scalars(
            select(Proposal)
            .where(Proposal.status == ProposalStatus.submitted, visible_to(user))
            .order_by(Proposal.created_at, Proposal.id)
        )
    )


def digest_message(user: User, items: list[Proposal]) -> EmailMessage:
    replied = answered_by_resident([p.id for p in items])
    language = current_app.config["BABEL_DEFAULT_LOCALE"]
    with force_locale(language):
        lines = [
            _("Hello %(name)s,", name=user.name),
            "",
            ngettext(
                "%(num)d proposal waits for you:", "%(num)d proposals wait for you:", len(items)
            ),
            "",
        ]
        for p in items:
            flag = f" — {_('the resident answered your question')}" if p.id in replied else ""
            kind = in_language(p.kind.label_nl, p.kind.label_en, language)
            lines.append(f"#{p.id} {kind} · {p.created_at:%d-%m-%Y}{flag}")
            lines.append("  " + url_for("moderation.moderate", proposal_id=p.id, _external=True))
        lines += ["", _("Your inbox: %(link)s", link=url_for("moderation.queue", _external=True))]
        subject = ngettext(
            "placemaker: %(num)d proposal waits for you",
            "placemaker: %(num)d proposals wait for you",
            len(items),
        )
    message = EmailMessage()
    message["To"] = user.email
    message["Subject"] = subject
    message.set_content("\n".join(lines))
    return message


def send_digests() -> tuple[transport.Tally, int]:
    """One mail per manager with waiting proposals: written to the outbox, committed, then
    sent together; what the server does not take waits there for ``flask mail send``.

    :returns: (what was sent now, managers with nothing waiting).
    :raises click.ClickException: when e-mail is off.
    """
    if transport.settings() is None:
        raise click.ClickException(transport.OFF_NOTE)
    ids, idle = [], 0
    with current_app.test_request_context(base_url=current_app.config["PUBLIC_URL"]):
        for user in managers():
            items = waiting(user)
            if items:
                ids.append(transport.enqueue(digest_message(user, items)))
            else:
                idle += 1
    db.session.commit()
    return transport.deliver([i for i in ids if i is not None]), idle
