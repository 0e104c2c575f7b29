"""Area managers moderate the proposals in their areas, and read the weekly digest."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

from flask_babel import gettext as _
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import and_, func, literal, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import selectinload

from placemaker.accounts.models import Role, User
from placemaker.accounts.service import may_manage_point
from placemaker.areas.models import Area, AreaLevel
from placemaker.cases.access import in_managed_areas
from placemaker.cases.workflow import db_now
from placemaker.conversations.models import Conversation
from placemaker.errors import Forbidden, InvalidInput
from placemaker.extensions import db, get_by_id
from placemaker.places.models import Place, PlaceStatus
from placemaker.places.service import Actor, create_place, get_kind
from placemaker.proposals import public, workflow
from placemaker.proposals.common import (
    clean_message,
    clean_text,
    lonlat,
    support_counts,
)
from placemaker.proposals.models import (
    OPEN_STATUSES,
    Proposal,
    ProposalStatus,
    ProposalSupport,
)

# --- moderating -----------------------------------------------------------------------------


def may_moderate(user: User, proposal: Proposal) -> bool:
    """Admins everywhere; area managers where one of their areas covers the proposal."""
    if user.role is Role.admin:
        return True
    return may_manage_point(user, *lonlat(proposal))


def check_may_moderate(user: User, proposal: Proposal) -> None:
    if not may_moderate(user, proposal):
        raise Forbidden(
            _("This proposal lies outside the areas you look after. Nothing was changed.")
        )


def visible_to(user: User):
    """SQL condition: proposals this user moderates."""
    return in_managed_areas(user, Proposal.geom)


QUEUE_FILTERS = ("open", "all", *(s.value for s in ProposalStatus))


def queue(
    user: User,
    *,
    status: str = "open",
    area_code: str | None = None,
    kind: str | None = None,
    search: str | None = None,
    page: int = 1,
    per_page: int = 50,
) -> Pagination:
    """One page of the proposals a moderator handles, oldest first."""
    query = (
        select(Proposal)
        .where(visible_to(user))
        .order_by(Proposal.created_at, Proposal.id)
        # the rows say which came from a ward conversation, and where
        .options(selectinload(Proposal.conversation).joinedload(Conversation.area))
    )
    if status == "open":
        query = query.where(Proposal.status.in_(OPEN_STATUSES))
    elif status != "all":
        try:
            query = query.where(Proposal.status == ProposalStatus(status))
        except ValueError:
            raise InvalidInput(_("Unknown status filter.")) from None
    if area_code:
        area_geom = select(Area.geom).where(Area.code == area_code).scalar_subquery()
        query = query.where(func.ST_Covers(area_geom, Proposal.geom))
    if kind:
        query = query.where(Proposal.kind_code == kind)
    if search:
        query = query.where(Proposal.reason.icontains(search, autoescape=True))
    return db.paginate(query, page=page, per_page=per_page, error_out=False)


def queue_rows(proposals: Sequence[Proposal]) -> list[dict[str, Any]]:
    """Each proposal of a queue with its supports, its gap value and how much lies near it,
    asked for all rows at once (a few queries and one gap evaluation, whatever the length)."""
    spots = [lonlat(p) for p in proposals]
    counts = support_counts([p.id for p in proposals])
    gaps = public.gap_values(
        [(lon, lat, p.kind_code) for p, (lon, lat) in zip(proposals, spots, strict=True)]
    )
    near = public.nearby_many(
        [(lon, lat, p.id) for p, (lon, lat) in zip(proposals, spots, strict=True)]
    )
    return [
        {
            "proposal": p,
            "supports": counts.get(p.id, 0),
            "gap": gap,
            "nearby": len(around["places"]) + len(around["proposals"]),
        }
        for p, gap, around in zip(proposals, gaps, near, strict=True)
    ]


def moderator_areas(user: User) -> list[Area]:
    if user.role is Role.admin:
        return []
    return [a.area for a in user.assignments if a.until is None]


def _moderator(user: User) -> Actor:
    # Histories name staff by their display name, never their e-mail address (they are
    # public on place pages and in the API); user_id links to the account for audits.
    return Actor(user.name, user.id)


def _prepare(proposal: Proposal, user: User, expected_version: int | None) -> None:
    check_may_moderate(user, proposal)
    workflow.check_version(proposal, expected_version)


def approve(
    proposal: Proposal,
    user: User,
    *,
    name: str | None,
    kind_code: str | None = None,
    description: str | None = None,
    message: str | None = None,
    expected_version: int | None = None,
    already_open: bool = False,
) -> Place:
    """Approve: the proposal becomes a place, created with its history and linked to it.

    The place is *planned* (not counted in the gap analysis, not on the default map) unless
    the manager says it exists already, then it is open.
    """
    _prepare(proposal, user, expected_version)
    name = clean_text(name)
    if not name:
        raise InvalidInput(_("Give the new place a name."), details={"field": "name"})
    if len(name) > 200:
        raise InvalidInput(
            _("A name has at most %(max)d characters.", max=200), details={"field": "name"}
        )
    kind_code = clean_text(kind_code) or proposal.kind_code
    get_kind(kind_code)
    message = clean_message(message)
    workflow.apply(
        proposal,
        "approve",
        _moderator(user),
        message,
        expected_version=expected_version,
        old_values={"place_id": None},
    )
    lon, lat = lonlat(proposal)
    place = create_place(
        {
            "name": name,
            "kind_code": kind_code,
            "lon": lon,
            "lat": lat,
            "description": clean_text(description) or proposal.reason,
            "status": (PlaceStatus.active if already_open else PlaceStatus.planned).value,
        },
        Actor(f"{user.name} (proposal {proposal.id})", user.id),
        source="proposal",
        source_id=str(proposal.id),
    )
    proposal.place_id = place.id
    db.session.flush()
    return place


def reject(
    proposal: Proposal, user: User, reason: str | None, *, expected_version: int | None = None
) -> None:
    _prepare(proposal, user, expected_version)
    workflow.apply(
        proposal,
        "reject",
        _moderator(user),
        clean_message(reason),
        expected_version=expected_version,
    )


def ask(
    proposal: Proposal, user: User, question: str | None, *, expected_version: int | None = None
) -> None:
    _prepare(proposal, user, expected_version)
    workflow.apply(
        proposal,
        "ask",
        _moderator(user),
        clean_message(question),
        expected_version=expected_version,
    )


def hide(
    proposal: Proposal, user: User, reason: str | None, *, expected_version: int | None = None
) -> None:
    """Hide abusive content from the public; the record stays for the moderators."""
    _prepare(proposal, user, expected_version)
    workflow.apply(
        proposal, "hide", _moderator(user), clean_message(reason), expected_version=expected_version
    )


def mark_duplicate(
    proposal: Proposal,
    user: User,
    *,
    place_id: Any = None,
    proposal_id: Any = None,
    message: str | None = None,
    expected_version: int | None = None,
) -> int:
    """Mark as duplicate of a place or another proposal; supports carry over to a proposal.

    :returns: the number of supports carried over.
    """
    _prepare(proposal, user, expected_version)
    place_ref, proposal_ref = _int_or_none(place_id), _int_or_none(proposal_id)
    if (place_ref is None) == (proposal_ref is None):
        raise InvalidInput(
            _("Give either the number of a place or of a proposal."), details={"field": "duplicate"}
        )
    if place_ref is not None:
        place = get_by_id(Place, place_ref)
        if place is None:
            raise InvalidInput(
                _("There is no place %(id)s.", id=place_ref), details={"field": "duplicate"}
            )
    else:
        target = get_by_id(Proposal, proposal_ref)
        if (
            target is None
            or target.id == proposal.id
            or target.status
            in (
                ProposalStatus.hidden,
                ProposalStatus.withdrawn,
                ProposalStatus.rejected,
                ProposalStatus.duplicate,
            )
        ):
            raise InvalidInput(
                _(
                    "Proposal %(id)s cannot take over this one: choose an open "
                    "or approved proposal.",
                    id=proposal_ref,
                ),
                details={"field": "duplicate"},
            )
        if not may_moderate(user, target):
            # Its supports would move there: only onto proposals this moderator looks after.
            raise InvalidInput(
                _("Proposal %(id)s lies outside the areas you look after.", id=proposal_ref),
                details={"field": "duplicate"},
            )
    workflow.apply(
        proposal,
        "mark_duplicate",
        _moderator(user),
        clean_message(message),
        expected_version=expected_version,
        old_values={"duplicate_of_place_id": None, "duplicate_of_proposal_id": None},
    )
    proposal.duplicate_of_place_id = place_ref
    proposal.duplicate_of_proposal_id = proposal_ref
    db.session.flush()
    if proposal_ref is None:
        return 0
    carried = db.session.execute(
        pg_insert(ProposalSupport)
        .from_select(
            ["proposal_id", "supporter_hash"],
            select(literal(proposal_ref), ProposalSupport.supporter_hash).where(
                ProposalSupport.proposal_id == proposal.id
            ),
        )
        .on_conflict_do_nothing(index_elements=["proposal_id", "supporter_hash"])
        .returning(ProposalSupport.id)
    ).all()
    return len(carried)


def _int_or_none(value: Any) -> int | None:
    text = str(value or "").strip().lstrip("#")
    if not text:
        return None
    if not text.isdigit():
        raise InvalidInput(
            _("Give the number of a place or a proposal."), details={"field": "duplicate"}
        )
    return int(text)


# --- the weekly digest ----------------------------------------------------------------------

MIN_YEAR, MAX_YEAR = 2000, 2999


def week_bounds(week: str | None) -> tuple[date, date]:
    """Monday and the next Monday of an ISO week ``2026-W48``; this week when None."""
    if week:
        try:
            monday = datetime.strptime(week + "-1", "%G-W%V-%u").date()
        except ValueError:
            raise InvalidInput(_("Write the week as YYYY-Www, e.g. 2026-W48.")) from None
        # Year 1 or 9999 parse, but the weeks around them (the page's links) do not exist.
        if not MIN_YEAR <= monday.year <= MAX_YEAR:
            raise InvalidInput(_("Write the week as YYYY-Www, e.g. 2026-W48."))
    else:
        today = db_now().date()
        monday = today - timedelta(days=today.weekday())
    return monday, monday + timedelta(days=7)


def weekly_digest(
    user: User, start: date, end: date, level: str = "gebied"
) -> list[dict[str, Any]]:
    """Per area of ``level``: proposals received in [start, end), answered, median days."""
    days = func.extract("epoch", Proposal.first_answered_at - Proposal.created_at) / 86400.0
    rows = db.session.execute(
        select(
            Area.code,
            Area.name,
            func.count(Proposal.id).label("received"),
            func.count(Proposal.first_answered_at).label("answered"),
            func.count(Proposal.id).filter(Proposal.status.in_(OPEN_STATUSES)).label("still_open"),
            func.percentile_cont(0.5).within_group(days).label("median_days"),
        )
        .select_from(Proposal)
        .outerjoin(Area, and_(Area.level_code == level, func.ST_Covers(Area.geom, Proposal.geom)))
        .where(visible_to(user), Proposal.created_at >= start, Proposal.created_at < end)
        .group_by(Area.code, Area.name)
        .order_by(Area.code.nulls_last())
    ).all()
    return [
        {
            "code": r.code,
            "name": r.name,
            "received": r.received,
            "answered": r.answered,
            "still_open": r.still_open,
            "median_days": round(float(r.median_days), 1) if r.median_days is not None else None,
        }
        for r in rows
    ]


def digest_levels() -> list[str]:
    return list(db.session.scalars(select(AreaLevel.code).order_by(AreaLevel.rank)))


def received_between(user: User, start: date, end: date) -> list[Proposal]:
    return list(
        db.session.scalars(
            select(Proposal)
            .where(visible_to(user), Proposal.created_at >= start, Proposal.created_at < end)
            .order_by(Proposal.created_at)
        )
    )
