"""The report state machine: the only code that changes ``PlaceReport.status``.

::

    submitted ──ask──▶ needs_info ──reply──▶ submitted
        │                  │
        ├── acknowledge ───┼──▶ in_progress   (an answer: "we are on it")
        ├── resolve ───────┼──▶ resolved      (from in_progress too; reason = the answer)
        ├── reject ────────┴──▶ rejected      (reason required, the resident reads it)
        └── hide (from any state but hidden) ─▶ hidden (abusive content)
"""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm.exc import StaleDataError

from placemaker.errors import Conflict, InvalidInput
from placemaker.extensions import db
from placemaker.places.service import Actor
from placemaker.proposals.workflow import Transition, db_now
from placemaker.reports.models import OPEN_STATUSES, PlaceReport, PlaceReportEvent, ReportStatus

S = ReportStatus
CLOSED_STATUSES = frozenset(s for s in S if s not in OPEN_STATUSES)

STATUS_LABELS = {
    S.submitted: _l("Received, waiting for the area manager"),
    S.needs_info: _l("The area manager has a question"),
    S.in_progress: _l("The area manager is working on it"),
    S.resolved: _l("Resolved"),
    S.rejected: _l("Not taken up"),
    S.hidden: _l("Hidden by a moderator"),
}

KIND_LABELS = {
    "broken": _l("Broken"),
    "neglected": _l("Neglected"),
    "closed": _l("Closed"),
    "not_used": _l("Not used"),
}

ACTION_LABELS = {
    "submit": _l("Report received"),
    "ask": _l("Question from the area manager"),
    "reply": _l("Answer from the resident"),
    "acknowledge": _l("Answer from the area manager"),
    "resolve": _l("Resolved"),
    "reject": _l("Not taken up"),
    "hide": _l("Hidden"),
}

_OPEN = frozenset(OPEN_STATUSES)
_WAITING = frozenset({S.submitted, S.needs_info})
TRANSITIONS: dict[str, Transition[ReportStatus]] = {
    t.name: t
    for t in (
        Transition("acknowledge", _OPEN, S.in_progress, "moderator", True, True),
        Transition("ask", _OPEN, S.needs_info, "moderator", True, True),
        Transition("reply", frozenset({S.needs_info}), S.submitted, "resident", True, True),
        Transition("resolve", _OPEN, S.resolved, "moderator", True, True),
        Transition("reject", _OPEN, S.rejected, "moderator", True, True),
        Transition("hide", frozenset(S) - {S.hidden}, S.hidden, "moderator", True, False),
    )
}


def allowed(report: PlaceReport, by: str) -> list[str]:
    return [t.name for t in TRANSITIONS.values() if t.by == by and report.status in t.sources]


def stale_message(report: PlaceReport) -> str:
    return _(
        "Somebody else acted on this report while you were looking at it; it is now "
        "“%(status)s”. Your action was not carried out.",
        status=STATUS_LABELS[report.status],
    )


def apply(
    report: PlaceReport,
    name: str,
    actor: Actor,
    reason: str | None = None,
    *,
    expected_version: int | None = None,
) -> PlaceReportEvent:
    """Take one transition and record it.

    :raises Conflict: when the report changed meanwhile or the step does not fit its state.
    :raises InvalidInput: when the step needs a reason and none was given.
    """
    transition = TRANSITIONS[name]
    if expected_version is not None and expected_version != report.version:
        raise Conflict(stale_message(report))
    if report.status not in transition.sources:
        raise Conflict(
            _(
                "This report is “%(status)s”: that step is no longer possible.",
                status=STATUS_LABELS[report.status],
            )
        )
    reason = (reason or "").strip() or None
    if transition.reason_required and not reason:
        raise InvalidInput(
            _("Please write a reason or a message for the resident."), details={"field": "reason"}
        )
    old_status = report.status
    now = db_now()
    report.status = transition.target
    if transition.by == "moderator":
        if transition.public and reason:
            report.answer = reason
        if report.first_answered_at is None:
            report.first_answered_at = now
    report.closed_at = now if transition.target in CLOSED_STATUSES else None
    try:
        db.session.flush()
    except StaleDataError:
        raise Conflict(
            _(
                "Somebody else acted on this report at the same moment. "
                "Your action was not carried out; reload to see theirs."
            )
        ) from None
    return record(report, name, actor, reason, old_status=old_status, public=transition.public)


def record(
    report: PlaceReport,
    action: str,
    actor: Actor,
    reason: str | None = None,
    *,
    old_status: ReportStatus | None = None,
    public: bool = False,
) -> PlaceReportEvent:
    event = PlaceReportEvent(
        report_id=report.id,
        user_id=actor.user_id,
        actor=actor.label,
        action=action,
        old_status=old_status.value if old_status else None,
        new_status=report.status.value,
        reason=reason,
        public=public,
    )
    db.session.add(event)
    db.session.flush()
    return event
