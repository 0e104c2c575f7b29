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

from collections.abc import Mapping
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from placemaker.cases import workflow as cases
from placemaker.cases.workflow import Transition
from placemaker.cases.workflow import db_now as db_now  # kept importable from here
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


def allowed(proposal: Proposal, by: str) -> list[str]:
    """The transitions ``by`` ("moderator" or "resident") may take from the current state."""
    return cases.allowed(TRANSITIONS, proposal, by)


def check_version(proposal: Proposal, expected_version: int | None) -> None:
    """Refuse to act on a proposal that changed since the actor looked at it."""
    cases.check_version(proposal, expected_version, _REFUSALS)


def stale_message(proposal: Proposal) -> str:
    return _(
        "Somebody else acted on this proposal while you were looking at it; it is now "
        "“%(status)s”. Your action was not carried out.",
        status=STATUS_LABELS[proposal.status],
    )


def _not_possible(proposal: Proposal) -> str:
    return _(
        "This proposal is “%(status)s”: that step is no longer possible.",
        status=STATUS_LABELS[proposal.status],
    )


def _concurrent() -> str:
    return _(
        "Somebody else acted on this proposal at the same moment. "
        "Your action was not carried out; reload to see theirs."
    )


_REFUSALS = cases.Refusals(stale=stale_message, not_possible=_not_possible, concurrent=_concurrent)


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
    old_status = proposal.status
    old = {"status": old_status.value, "answer": proposal.answer, **(old_values or {})}
    reason = cases.take(
        proposal,
        transition,
        reason,
        closed=CLOSED_STATUSES,
        refusals=_REFUSALS,
        expected_version=expected_version,
    )
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
    event = cases.new_event(
        ProposalEvent,
        proposal,
        action,
        actor,
        reason,
        old_status=old_status,
        public=public,
        proposal_id=proposal.id,
        old_values=dict(old_values or {}),
    )
    notify = provider(PROPOSAL_STEP)
    if notify is not None:
        notify(proposal, event)
    return event
