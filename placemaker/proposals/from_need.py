"""An area manager makes a proposal of a need residents named in a ward conversation.

The proposal joins the moderation queue like a resident's, checked the same way (a kind we
know, a spot in the Netherlands), and besides inside the area the conversation was about
(so inside its municipality). Its reason is the need in the residents' words; it remembers the
conversation it came from, and the need is linked to it, so the area page shows what became
of what residents said. Conversations sit below this feature: this module calls them, they
import nothing of proposals.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from flask_babel import format_date
from flask_babel import gettext as _
from sqlalchemy import func, select

from placemaker.accounts.models import User
from placemaker.areas.models import Area
from placemaker.areas.service import area_at
from placemaker.cases.workflow import db_now
from placemaker.conversations import service as conversations
from placemaker.conversations.models import Need
from placemaker.errors import Conflict, InvalidInput, NotFound
from placemaker.extensions import db
from placemaker.geo import point_from_lonlat, point_sql
from placemaker.i18n import current_language
from placemaker.places.service import Actor, get_kind
from placemaker.proposals import public, tracking, workflow
from placemaker.proposals.common import (
    clean_text,
    digest,
    form_key,
    insert_once,
    parse_lonlat,
    setting,
)
from placemaker.proposals.models import Proposal, ProposalStatus

log = logging.getLogger(__name__)

ACTION = "from_conversation"  # the first step in such a proposal's history


@dataclass
class FromNeed:
    proposal: Proposal
    repeated: bool  # the same form was sent before: nothing new was stored


def get_need(need_id: int) -> Need:
    need = db.session.get(Need, need_id)
    if need is None:
        raise NotFound(_("There is no such need."))
    return need


def check_may_propose(user: User, need: Need) -> None:
    """Who may record the conversation may make proposals of its needs.

    :raises Forbidden: for anyone else.
    """
    conversations.check_may_record(user, need.conversation.area)


def _check(need: Need, values: Mapping[str, Any]) -> dict[str, Any]:
    """Every field checked before anything is written; the first problem is raised."""
    kind_code = clean_text(values.get("kind"))
    try:
        get_kind(kind_code)
    except InvalidInput:
        raise InvalidInput(
            _("Choose what kind of place the proposal is for."), details={"field": "kind"}
        ) from None
    lon, lat = parse_lonlat(values.get("lon"), values.get("lat"))
    area = need.conversation.area
    inside = db.session.scalar(
        select(func.ST_Covers(Area.geom, point_sql(lon, lat))).where(Area.id == area.id)
    )
    if not inside:
        raise InvalidInput(
            _(
                "This spot lies outside %(area)s, the area of the conversation. "
                "Choose a spot inside it.",
                area=area.name,
            ),
            details={"field": "location"},
        )
    reason = clean_text(need.text)[: setting("PROPOSAL_REASON_MAX")]
    if not reason:
        raise InvalidInput(_("This need has no text to propose."), details={"field": "need"})
    near = public.nearby(lon, lat)
    if (near["places"] or near["proposals"]) and values.get("confirm_nearby") != "1":
        # As residents are shown while they choose: perhaps it is there, or proposed, already.
        raise InvalidInput(
            _(
                "There is already a place or an open proposal within %(m)s m of this spot. "
                "Check that it is not the same; then tick “Propose it anyway”, or choose "
                "another spot.",
                m=setting("PROPOSAL_NEARBY_M"),
            ),
            details={"field": "confirm_nearby", "nearby": near},
        )
    return {"kind_code": kind_code, "lon": lon, "lat": lat, "reason": reason}


def propose(user: User, need: Need, values: Mapping[str, Any]) -> FromNeed:
    """Make a proposal of ``need``; ``values``: kind, lon, lat, submission_key (the form's
    one-time key) and confirm_nearby ("1" once the manager saw what lies near).

    :raises Forbidden: for anyone but the area's manager or an admin.
    :raises InvalidInput: naming the field at fault; nothing is stored then.
    :raises Conflict: when the need became another proposal meanwhile.
    """
    check_may_propose(user, need)
    key = form_key(values.get("submission_key"))
    # One at a time per need: a second form (another tab) waits here, then sees the first.
    db.session.refresh(need, ["proposal_id"], with_for_update=True)
    existing = tracking.by_submission(key)
    if existing is not None:
        return FromNeed(existing, True)
    if need.proposal_id is not None:
        raise Conflict(
            _("This need is proposal #%(id)s already.", id=need.proposal_id),
        )
    checked = _check(need, values)
    conversation = need.conversation
    area = area_at(checked["lon"], checked["lat"])
    token = tracking.tracking_token(key)  # nobody holds it: no resident follows this proposal
    proposal = Proposal(
        kind_code=checked["kind_code"],
        geom=point_from_lonlat(checked["lon"], checked["lat"]),
        reason=checked["reason"],
        area_id=area.id if area is not None else None,
        status=ProposalStatus.submitted,
        submitter_language=current_language(),
        token_hash=digest(token),
        token_expires_at=db_now() + timedelta(days=setting("PROPOSAL_TOKEN_DAYS")),
        submission_hash=digest(key),
        conversation_id=conversation.id,
    )
    earlier = insert_once(proposal, lambda: tracking.by_submission(key))
    if earlier is not None:
        return FromNeed(earlier, True)
    workflow.record(proposal, ACTION, Actor(user.name, user.id), public=True)
    conversations.follow_up(user, need, proposal_id=proposal.id)
    log.info(
        "proposal %s made from need %s (conversation %s)", proposal.id, need.id, conversation.id
    )
    return FromNeed(proposal, False)


def origin(proposal: Proposal) -> str | None:
    """Where a proposal came from, for moderators and the public; None for a resident's."""
    conversation = proposal.conversation
    if conversation is None:
        return None
    return _(
        "From the ward conversation of %(date)s in %(area)s",
        date=format_date(conversation.held_on, "long"),
        area=conversation.area.name,
    )
