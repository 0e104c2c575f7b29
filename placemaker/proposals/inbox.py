"""The area manager's inbox: what waits, what the resident answered, what to merge."""

from __future__ import annotations

from flask_login import current_user
from geoalchemy2 import Geography
from sqlalchemy import and_, cast, func, select
from sqlalchemy.orm import aliased

from placemaker.accounts.models import Role, User
from placemaker.extensions import db
from placemaker.proposals.common import setting
from placemaker.proposals.models import OPEN_STATUSES, Proposal, ProposalEvent, ProposalStatus
from placemaker.proposals.moderation import visible_to


def inbox_context() -> dict[str, int | None]:
    """For the header: how many proposals wait for the signed-in manager."""
    user = current_user
    return {"inbox_count": waiting_count(user) if may_have_inbox(user) else None}


def may_have_inbox(user) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and user.role in (
        Role.area_manager,
        Role.admin,
    )


def waiting_count(user: User) -> int:
    """Proposals waiting for this manager (received or answered, not waiting on a resident)."""
    return (
        db.session.scalar(
            select(func.count())
            .select_from(Proposal)
            .where(Proposal.status == ProposalStatus.submitted, visible_to(user))
        )
        or 0
    )


def answered_by_resident(proposal_ids: list[int]) -> set[int]:
    """Those whose latest step is the resident's reply: the manager has something to read."""
    if not proposal_ids:
        return set()
    latest = (
        select(ProposalEvent.proposal_id, func.max(ProposalEvent.id).label("last"))
        .where(ProposalEvent.proposal_id.in_(proposal_ids))
        .group_by(ProposalEvent.proposal_id)
        .subquery()
    )
    return set(
        db.session.scalars(
            select(ProposalEvent.proposal_id)
            .join(latest, ProposalEvent.id == latest.c.last)
            .where(ProposalEvent.action == "reply")
        )
    )


def merge_targets(proposal_ids: list[int]) -> dict[int, int]:
    """For each open proposal, an older open proposal of the same kind close by to merge into.

    The older one takes over: its number is the one residents have known longest.
    """
    if not proposal_ids:
        return {}
    other = aliased(Proposal)
    radius = float(setting("PROPOSAL_NEARBY_M"))
    rows = db.session.execute(
        select(Proposal.id, func.min(other.id))
        .join(
            other,
            and_(
                other.id < Proposal.id,
                other.kind_code == Proposal.kind_code,
                other.status.in_(OPEN_STATUSES),
                func.ST_DWithin(
                    cast(other.geom, Geography), cast(Proposal.geom, Geography), radius
                ),
            ),
        )
        .where(Proposal.id.in_(proposal_ids), Proposal.status.in_(OPEN_STATUSES))
        .group_by(Proposal.id)
    ).all()
    return {pid: target for pid, target in rows}
