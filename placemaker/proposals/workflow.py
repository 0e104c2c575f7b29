"""The proposal state machine: which step may follow which, and the record of every step.

This module is the only code that changes ``Proposal.status``. ``moderation.py`` and
``tracking.py`` check who may act and prepare the values; :func:`apply` checks the state and
the version, changes the status and writes a :class:`ProposalEvent` with who, when, why and
the old values.

::

    submitted ──ask──▶ needs_info ──reply──▶ submitted
        │                  │
        ├── approve ───────┼──▶ approved      (creates the place)
        ├── reject ────────┼──▶ rejected      (reason required, the resident reads it)
        ├── mark_duplicate ┼──▶ duplicate     (supports carry over)
        ├── withdraw ──────┴──▶ withdrawn     (by the resident)
        └── hide (from any state but hidden) ─▶ hidden (abusive content)
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm.exc import StaleDataError

from placemaker.errors import Conflict, InvalidInput
from placemaker.extensions import db
from placemaker.places.service import Actor
from placemaker.proposals.models import OPEN_STATUSES, Proposal, ProposalEvent, ProposalStatus
from placemaker.registry import PROPOSAL_STEP, provider

S = ProposalStatus
CLOSED_STATUSES = frozenset(s for s in S if s not in OPEN_STATUSES)

STATUS_LABELS = {
    S.submitted: _l("Received, waiting for the area manager"),
    S.needs_info: _l("The area manager has a question"),
    S.approved: _l("Approved"),
    S.rejected: _l("Not approved"),
    S.duplicate: _l("Merged with an existing proposal or place"),
    S.withdrawn: _l("Withdrawn"),
    S.hidden: _l("Hidden by a moderator"),
}

ACTION_LABELS = {
    "submit": _l("Proposal received"),
    "from_conversation": _l("Proposed by the area manager, from a ward conversation"),
    "ask": _l("Question from the area manager"),
    "reply": _l("Answer from the resident"),
    "approve": _l("Approved"),
    "reject": _l("Not approved"),
    "mark_duplicate": _l("Marked as duplicate"),
    "withdraw": _l("Withdrawn by the resident"),
    "hide": _l("Hidden"),
    "erase_personal_data": _l("Personal data erased"),
}


StatusT = TypeVar("StatusT", bound=enum.Enum)


@dataclass(frozen=True)
class Transition(Generic[StatusT]):
    """One step of a state machine (proposals here; residents' reports reuse it)."""

    name: str
    sources: frozenset[StatusT]
    target: StatusT
    by: str  # "moderator" or "resident"
    reason_required: bool
    # Whether the resident reads the step (and its reason) on the tracking page.
    public: bool


_OPEN = frozenset(OPEN_STATUSES)
TRANSITIONS: dict[str, Transition[ProposalStatus]] = {
    t.name: t
    for t in (
        Transition("approve", _OPEN, S.approved, "moderator", False, True),
        Transition("reject", _OPEN, S.rejected, "moderator", True, True),
        Transition("mark_duplicate", _OPEN, S.duplicate, "moderator", False, True),
        Transition("ask", _OPEN, S.needs_info, "moderator", True, True),
        Transition("reply", frozenset({S.needs_info}), S.submitted, "resident", True, True),
        Transition("withdraw", _OPEN, S.withdrawn, "resident", False, True),
        Transition("hide", frozenset(S) - {S.hidden}, S.hidden, "moderator", True, False),
    )
}


def db_now() -> datetime:
    """The database's clock, as our timestamp columns store it (one clock for all servers)."""
    return db.session.execute(select(func.localtimestamp())).scalar_one()


def allowed(proposal: Proposal, by: str) -> list[str]:
    """The transitions ``by`` ("moderator" or "resident") may take from the current state."""
    return [t.name for t in TRANSITIONS.values() if t.by == by and proposal.status in t.sources]


def check_version(proposal: Proposal, expected_version: int | None) -> None:
    """Refuse to act on a proposal that changed since the actor looked at it."""
    if expected_version is not None and expected_version != proposal.version:
        raise Conflict(stale_message(proposal))


def stale_message(proposal: Proposal) -> str:
    return _(
        "Somebody else acted on this proposal while you were looking at it; it is now "
        "“%(status)s”. Your action was not carried out.",
        status=STATUS_LABELS[proposal.status],
    )


def apply(
    proposal: Proposal,
    name: str,
    actor: Actor,
    reason: str | None = None,
    *,
    expected_version: int | None = None,
    old_values: Mapping[str, Any] | None = None,
) -> ProposalEvent:
    """Take one transition and record it.

    :param expected_version: the version the actor saw; a different one is a conflict.
    :param old_values: more values the step replaces, for the record.
    :raises Conflict: when the proposal changed meanwhile or the step does not fit its state.
    :raises InvalidInput: when the step needs a reason and none was given.
    """
    transition = TRANSITIONS[name]
    check_version(proposal, expected_version)
    if proposal.status not in transition.sources:
        raise Conflict(
            _(
                "This proposal is “%(status)s”: that step is no longer possible.",
                status=STATUS_LABELS[proposal.status],
            )
        )
    reason = (reason or "").strip() or None
    if transition.reason_required and not reason:
        raise InvalidInput(
            _("Please write a reason or a message for the resident."), details={"field": "reason"}
        )
    old_status = proposal.status
    old = {"status": old_status.value, "answer": proposal.answer, **(old_values or {})}
    now = db_now()
    proposal.status = transition.target
    if transition.by == "moderator":
        if transition.public and reason:
            proposal.answer = reason
        if proposal.first_answered_at is None:
            proposal.first_answered_at = now
    proposal.closed_at = now if transition.target in CLOSED_STATUSES else None
    try:
        # The UPDATE carries "WHERE version = n": of two concurrent actors one matches no row.
        db.session.flush()
    except StaleDataError:
        raise Conflict(
            _(
                "Somebody else acted on this proposal at the same moment. "
                "Your action was not carried out; reload to see theirs."
            )
        ) from None
    return record(
        proposal,
        name,
        actor,
        reason,
        old_status=old_status,
        public=transition.public,
        old_values=old,
    )


def record(
    proposal: Proposal,
    action: str,
    actor: Actor,
    reason: str | None = None,
    *,
    old_status: ProposalStatus | None = None,
    public: bool = False,
    old_values: Mapping[str, Any] | None = None,
) -> ProposalEvent:
    """Write one event; also for steps that do not change the status (submit, erasure)."""
    event = ProposalEvent(
        proposal_id=proposal.id,
        user_id=actor.user_id,
        actor=actor.label,
        action=action,
        old_status=old_status.value if old_status else None,
        new_status=proposal.status.value,
        reason=reason,
        public=public,
        old_values=dict(old_values or {}),
    )
    db.session.add(event)
    db.session.flush()
    notify = provider(PROPOSAL_STEP)
    if notify is not None:
        notify(proposal, event)
    return event
