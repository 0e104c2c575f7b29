"""The resident's mail when a moderator acts on their proposal."""

from __future__ import annotations

import logging
from email.message import EmailMessage

from flask import url_for
from flask_babel import force_locale
from flask_babel import gettext as _

from placemaker.mail import transport
from placemaker.proposals.models import Proposal, ProposalEvent
from placemaker.proposals.tracking import unseal_token
from placemaker.proposals.workflow import STATUS_LABELS

log = logging.getLogger(__name__)

# The moderators' steps a resident hears of (hiding abuse is no news to its author).
NOTIFIED = ("approve", "reject", "ask", "mark_duplicate")
PROPOSAL_HEADER = "X-Placemaker-Proposal"


def on_proposal_step(proposal: Proposal, event: ProposalEvent) -> None:
    """Queue the resident's mail for ``event``; erasing their data drops what is queued."""
    if event.action == "erase_personal_data":
        transport.drop(lambda m: m[PROPOSAL_HEADER] == str(proposal.id))
        return
    if event.action not in NOTIFIED or not proposal.submitter_email:
        return
    if transport.queue(resident_message(proposal, event)):
        log.info("proposal %s: mail to the resident queued (%s)", proposal.id, event.action)


def resident_message(proposal: Proposal, event: ProposalEvent) -> EmailMessage:
    """In the language of the proposal form; Dutch with English below when unknown."""
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
            subjects.append(_subject(proposal, event))
            bodies.append(_body(proposal, event, link, language))
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
    lines = [
        _("Hello %(name)s,", name=proposal.submitter_name)
        if proposal.submitter_name
        else _("Hello,"),
        "",
    ]
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
    lines.append("")
    if link:
        lines.append(_("Follow your proposal: %(link)s", link=link))
    else:
        lines.append(
            _("Follow your proposal with the link on the receipt you got when you sent it.")
        )
    lines += [
        "",
        _(
            "You get this e-mail because you gave your address with your proposal. "
            "To stop these e-mails, erase your details on the tracking page."
        ),
    ]
    return "\n".join(lines)
