"""The resident's mail when a moderator acts on their proposal, and when the place it
became moves on (planned → under construction → open → gone)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from email.message import EmailMessage

from flask import url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select

from placemaker.extensions import db
from placemaker.mail import transport
from placemaker.mail.transport import PROPOSAL_HEADER
from placemaker.pages.forms import STATUS_LABELS as PLACE_STATUS_LABELS
from placemaker.places.models import Place, PlaceChange
from placemaker.proposals.models import Proposal, ProposalEvent
from placemaker.proposals.tracking import unseal_token
from placemaker.proposals.workflow import STATUS_LABELS

log = logging.getLogger(__name__)

# The moderators' steps a resident hears of (hiding abuse is no news to its author).
NOTIFIED = ("approve", "reject", "ask", "mark_duplicate")


def on_proposal_step(proposal: Proposal, event: ProposalEvent) -> None:
    """Queue the resident's mail for ``event``; erasing their data deletes their unsent mails
    (queued in this transaction or waiting in the outbox from an earlier one)."""
    if event.action == "erase_personal_data":
        transport.drop_proposal(proposal.id)
        return
    if event.action not in NOTIFIED or not proposal.submitter_email:
        return
    if transport.queue(resident_message(proposal, event)):
        log.info("proposal %s: mail to the resident queued (%s)", proposal.id, event.action)


def on_place_step(place: Place, change: PlaceChange) -> None:
    """Queue a mail to the resident whose proposal became ``place``, now its status moved.

    Nothing for a place no proposal became (imported, added by a manager), nor for a
    resident who left no address or erased it.
    """
    status = str(change.new_values.get("status"))
    if status not in PLACE_STATUS_LABELS:
        return
    for proposal in db.session.scalars(
        select(Proposal)
        .where(Proposal.place_id == place.id, Proposal.submitter_email.is_not(None))
        .order_by(Proposal.id)
    ):
        if transport.queue(place_message(proposal, place, status)):
            log.info("proposal %s: mail to the resident queued (place %s)", proposal.id, status)


def resident_message(proposal: Proposal, event: ProposalEvent) -> EmailMessage:
    """In the language of the proposal form; Dutch with English below when unknown."""
    return _message(
        proposal,
        lambda: _subject(proposal, event),
        lambda link, language: _body(proposal, event, link, language),
    )


def place_message(proposal: Proposal, place: Place, status: str) -> EmailMessage:
    """The place the proposal became is now ``status`` (a PlaceStatus value)."""

    def subject() -> str:
        return _(
            "The place from your proposal #%(id)s: %(status)s",
            id=proposal.id,
            status=str(PLACE_STATUS_LABELS[status]),
        )

    def body(link: str | None, language: str) -> str:
        lines = [_greeting(proposal), ""]
        lines.append(
            _(
                "The place that your proposal #%(id)s became, “%(name)s”, has a new status: "
                "%(status)s.",
                id=proposal.id,
                name=place.name,
                status=str(PLACE_STATUS_LABELS[status]),
            )
        )
        return "\n".join(lines + ["", *_footer(link)])

    return _message(proposal, subject, body)


def _message(
    proposal: Proposal, subject: Callable[[], str], body: Callable[[str | None, str], str]
) -> EmailMessage:
    """One mail in the language of the proposal form; Dutch with English below when unknown."""
    token = unseal_token(proposal.tracking_sealed)
    link = url_for("proposals.track", token=token, _external=True) if token else None
    languages = (
        [proposal.submitter_language]
        if proposal.submitter_language in ("nl", "en")
        else ["nl", "en"]
    )
    subjects, bodies = [], []
    for language in languages:
        with force_locale(language):
            subjects.append(subject())
            bodies.append(body(link, language))
    message = EmailMessage()
    message["To"] = str(proposal.submitter_email)
    message["Subject"] = subjects[0]
    message[PROPOSAL_HEADER] = str(proposal.id)
    message.set_content("\n\n---\n\n".join(bodies))
    return message


def _subject(proposal: Proposal, event: ProposalEvent) -> str:
    if event.action == "ask":
        return _("Question about your proposal #%(id)s", id=proposal.id)
    return _(
        "Your proposal #%(id)s: %(status)s",
        id=proposal.id,
        status=str(STATUS_LABELS[proposal.status]),
    )


def _body(proposal: Proposal, event: ProposalEvent, link: str | None, language: str) -> str:
    kind = proposal.kind.label_en if language == "en" else proposal.kind.label_nl
    lines = [_greeting(proposal), ""]
    if event.action == "ask":
        lines.append(
            _(
                "The area manager has a question about your proposal #%(id)s (%(kind)s). "
                "Answer it on your tracking page.",
                id=proposal.id,
                kind=kind,
            )
        )
    else:
        lines.append(
            _(
                "The area manager has looked at your proposal #%(id)s (%(kind)s). "
                "Its status is now: %(status)s.",
                id=proposal.id,
                kind=kind,
                status=str(STATUS_LABELS[proposal.status]),
            )
        )
    if event.reason:
        lines += ["", _("Message from the area manager:"), event.reason]
    return "\n".join(lines + ["", *_footer(link)])


def _greeting(proposal: Proposal) -> str:
    if proposal.submitter_name:
        return _("Hello %(name)s,", name=proposal.submitter_name)
    return _("Hello,")


def _footer(link: str | None) -> list[str]:
    """The tracking link, and why the mail came and how to stop it."""
    return [
        _("Follow your proposal: %(link)s", link=link)
        if link
        else _("Follow your proposal with the link on the receipt you got when you sent it."),
        "",
        _(
            "You get this e-mail because you gave your address with your proposal. "
            "To stop these e-mails, erase your details on the tracking page."
        ),
    ]
