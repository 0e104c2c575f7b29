"""Recording ward conversations and rung assessments; what the area page tells about them.

Service functions take plain values, flush but never commit, and raise domain exceptions.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import column, select, table
from sqlalchemy.orm import selectinload

from placemaker.accounts.models import User
from placemaker.accounts.service import may_manage_point
from placemaker.areas.models import LADDER, Area
from placemaker.areas.service import point_inside
from placemaker.conversations.models import Conversation, Need, RungAssessment
from placemaker.errors import Forbidden, InvalidInput
from placemaker.extensions import db
from placemaker.registry import PROPOSAL_OUTCOMES, provider

MAX_NEEDS = 20


def check_may_record(user: User, area: Area) -> None:
    """Admins anywhere; area managers for areas that lie in theirs."""
    if not may_manage_point(user, *point_inside(area)):
        raise Forbidden(_("You may only record conversations in the areas you look after."))


def _rung(value: Any, *, required: bool) -> int | None:
    if value in (None, ""):
        if required:
            raise InvalidInput(_("Choose a rung of the ladder."), details={"field": "rung"})
        return None
    try:
        rung = int(value)
    except (TypeError, ValueError):
        rung = 0
    if rung not in LADDER:
        raise InvalidInput(_("Choose a rung of the ladder."), details={"field": "rung"})
    return rung


def record_conversation(user: User, area: Area, values: Mapping[str, Any]) -> Conversation:
    """Store a conversation; ``values``: held_on (YYYY-MM-DD), residents, rung_wanted,
    streets and needs (one per line)."""
    check_may_record(user, area)
    try:
        held_on = date.fromisoformat(str(values.get("held_on") or ""))
    except ValueError:
        raise InvalidInput(
            _("Give the date of the conversation."), details={"field": "held_on"}
        ) from None
    if held_on > date.today():
        raise InvalidInput(
            _("The conversation cannot lie in the future."), details={"field": "held_on"}
        )
    try:
        residents = int(values.get("residents") or "")
    except ValueError:
        residents = -1
    if not 0 <= residents <= 10_000:
        raise InvalidInput(_("Give how many residents took part."), details={"field": "residents"})
    needs = [
        line.strip()[:500] for line in str(values.get("needs") or "").splitlines() if line.strip()
    ]
    if len(needs) > MAX_NEEDS:
        raise InvalidInput(
            _("At most %(max)d needs per conversation.", max=MAX_NEEDS), details={"field": "needs"}
        )
    conversation = Conversation(
        area_id=area.id,
        held_on=held_on,
        residents=residents,
        rung_wanted=_rung(values.get("rung_wanted"), required=False),
        streets=(str(values.get("streets") or "").strip()[:300] or None),
        user_id=user.id,
        needs=[Need(text=text) for text in needs],
    )
    db.session.add(conversation)
    db.session.flush()
    return conversation


def follow_up(user: User, need: Need, *, task: str | None = None, proposal_id: Any = None) -> None:
    """Say what was done about a need: a task, a linked proposal, or both."""
    check_may_record(user, db.session.get_one(Area, need.conversation.area_id))
    task = (task or "").strip()[:500] or None
    ref = None
    if proposal_id not in (None, ""):
        try:
            ref = int(proposal_id)
        except (TypeError, ValueError):
            ref = None
        # By table name: conversations sit below the proposals feature and import none of it.
        proposal = table("proposal", column("id"))
        if (
            ref is None
            or db.session.scalar(select(proposal.c.id).where(proposal.c.id == ref)) is None
        ):
            raise InvalidInput(
                _("There is no proposal %(id)s.", id=proposal_id), details={"field": "proposal"}
            )
    if task is None and ref is None:
        raise InvalidInput(
            _("Write the task, or give the number of a proposal."), details={"field": "task"}
        )
    need.task = task or need.task
    need.proposal_id = ref or need.proposal_id
    db.session.flush()


def assess_rung(user: User, area: Area, rung: Any, reason: str | None) -> RungAssessment:
    check_may_record(user, area)
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(_("Say why: what did you see or hear?"), details={"field": "reason"})
    assessment = RungAssessment(
        area_id=area.id, rung=_rung(rung, required=True), reason=reason[:2000], user_id=user.id
    )
    db.session.add(assessment)
    db.session.flush()
    return assessment


@dataclass(frozen=True)
class AreaRungs:
    wanted: int | None  # from the latest conversation that named one
    assessed: RungAssessment | None
    conversations: list[Conversation]  # newest first: what we heard and what we did
    # What became of the proposals needs are linked to (registry.PROPOSAL_OUTCOMES), by id.
    outcomes: dict[int, dict[str, Any]] = field(default_factory=dict)


def area_rungs(area: Area) -> AreaRungs:
    conversations = list(
        db.session.scalars(
            select(Conversation)
            .where(Conversation.area_id == area.id)
            .options(selectinload(Conversation.needs))
            .order_by(Conversation.held_on.desc(), Conversation.id.desc())
        )
    )
    wanted = next((c.rung_wanted for c in conversations if c.rung_wanted), None)
    assessed = db.session.scalar(
        select(RungAssessment)
        .where(RungAssessment.area_id == area.id)
        .order_by(RungAssessment.set_at.desc(), RungAssessment.id.desc())
        .limit(1)
    )
    ids = [n.proposal_id for c in conversations for n in c.needs if n.proposal_id]
    ask = provider(PROPOSAL_OUTCOMES)
    return AreaRungs(wanted, assessed, conversations, ask(ids) if ask and ids else {})
