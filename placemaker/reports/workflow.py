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

from placemaker.cases import workflow as cases
from placemaker.cases.workflow import Transition
from placemaker.places.service import Actor
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
    return cases.allowed(TRANSITIONS, report, by)


def stale_message(report: PlaceReport) -> str:
    return _(
        "Somebody else acted on this report while you were looking at it; it is now "
        "“%(status)s”. Your action was not carried out.",
        status=STATUS_LABELS[report.status],
    )


def _not_possible(report: PlaceReport) -> str:
    return _(
        "This report is “%(status)s”: that step is no longer possible.",
        status=STATUS_LABELS[report.status],
    )


def _concurrent() -> str:
    return _(
        "Somebody else acted on this report at the same moment. "
        "Your action was not carried out; reload to see theirs."
    )


_REFUSALS = cases.Refusals(stale=stale_message, not_possible=_not_possible, concurrent=_concurrent)


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
    old_status = report.status
    reason = cases.take(
        report,
        transition,
        reason,
        closed=CLOSED_STATUSES,
        refusals=_REFUSALS,
        expected_version=expected_version,
    )
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
    return cases.new_event(
        PlaceReportEvent,
        report,
        action,
        actor,
        reason,
        old_status=old_status,
        public=public,
        report_id=report.id,
    )
