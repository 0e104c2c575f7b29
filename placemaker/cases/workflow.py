"""The generic part of a case's state machine: a step, taking it, and the record of it.

A feature declares its :class:`Transition` table and its own words; :func:`take` checks the
state and the version, changes the status and flushes (the version column turns a concurrent
step into a :class:`Conflict`); :func:`new_event` writes the feature's event row.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, Protocol, TypeVar

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm.exc import StaleDataError

from placemaker.errors import Conflict, InvalidInput
from placemaker.extensions import db
from placemaker.places.service import Actor

StatusT = TypeVar("StatusT", bound=enum.Enum)


@dataclass(frozen=True)
class Transition(Generic[StatusT]):
    """One step of a case's state machine."""

    name: str
    sources: frozenset[StatusT]
    target: StatusT
    by: str  # "moderator" or "resident"
    reason_required: bool
    # Whether the resident reads the step (and its reason) on the tracking page.
    public: bool


class Case(Protocol):
    """The columns a case model has for its state machine (a version column for locking)."""

    id: Any
    status: Any
    version: Any
    answer: Any
    first_answered_at: Any
    closed_at: Any


@dataclass(frozen=True)
class Refusals:
    """The feature's own words (they name a proposal or a report) for a refused step."""

    # The case changed since the actor looked at it.
    stale: Callable[[Any], str]
    # The step does not fit the case's current state.
    not_possible: Callable[[Any], str]
    # Another actor's step reached the database first.
    concurrent: Callable[[], str]


def db_now() -> datetime:
    """The database's clock, as our timestamp columns store it (one clock for all servers)."""
    return db.session.execute(select(func.localtimestamp())).scalar_one()


def allowed(transitions: Mapping[str, Transition[Any]], case: Case, by: str) -> list[str]:
    """The transitions ``by`` ("moderator" or "resident") may take from the current state."""
    return [t.name for t in transitions.values() if t.by == by and case.status in t.sources]


def check_version(case: Case, expected_version: int | None, refusals: Refusals) -> None:
    """Refuse to act on a case that changed since the actor looked at it."""
    if expected_version is not None and expected_version != case.version:
        raise Conflict(refusals.stale(case))


def take(
    case: Case,
    transition: Transition[Any],
    reason: str | None,
    *,
    closed: Collection[Any],
    refusals: Refusals,
    expected_version: int | None = None,
) -> str | None:
    """Change the case's status by one step and flush; returns the cleaned reason.

    A moderator's public reason becomes the answer the resident reads; a moderator's first
    step sets ``first_answered_at``; a step into a ``closed`` status sets ``closed_at``.

    :param expected_version: the version the actor saw; a different one is a conflict.
    :raises Conflict: when the case changed meanwhile or the step does not fit its state.
    :raises InvalidInput: when the step needs a reason and none was given.
    """
    check_version(case, expected_version, refusals)
    if case.status not in transition.sources:
        raise Conflict(refusals.not_possible(case))
    reason = (reason or "").strip() or None
    if transition.reason_required and not reason:
        raise InvalidInput(
            _("Please write a reason or a message for the resident."), details={"field": "reason"}
        )
    now = db_now()
    case.status = transition.target
    if transition.by == "moderator":
        if transition.public and reason:
            case.answer = reason
        if case.first_answered_at is None:
            case.first_answered_at = now
    case.closed_at = now if transition.target in closed else None
    try:
        # The UPDATE carries "WHERE version = n": of two concurrent actors one matches no row.
        db.session.flush()
    except StaleDataError:
        raise Conflict(refusals.concurrent()) from None
    return reason


EventT = TypeVar("EventT")


def new_event(
    event_class: Callable[..., EventT],
    case: Case,
    action: str,
    actor: Actor,
    reason: str | None = None,
    *,
    old_status: enum.Enum | None = None,
    public: bool = False,
    **columns: Any,
) -> EventT:
    """Add and flush one event row: who, what the status was and became, and why.

    ``columns`` carries the feature's own ones (the link to its case, more old values).
    """
    event = event_class(
        user_id=actor.user_id,
        actor=actor.label,
        action=action,
        old_status=old_status.value if old_status else None,
        new_status=case.status.value,
        reason=reason,
        public=public,
        **columns,
    )
    db.session.add(event)
    db.session.flush()
    return event
