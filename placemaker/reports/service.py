"""Residents report problems with existing places; the places' area managers handle them.

The tracking link works as for proposals (a token derived from the form's one-time key, only
its hash stored); photos go through the proposals' :func:`clean_photo`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select

from placemaker.accounts.models import User
from placemaker.accounts.service import may_manage_point
from placemaker.areas.service import area_at
from placemaker.assets import service as assets
from placemaker.cases.access import in_managed_areas
from placemaker.cases.workflow import db_now
from placemaker.errors import Forbidden, InvalidInput, NotFound
from placemaker.extensions import db, get_by_id
from placemaker.places.models import Place, PlaceStatus
from placemaker.places.service import Actor, snapshot
from placemaker.proposals.common import (
    LinkExpired,
    clean_message,
    clean_text,
    digest,
    form_key,
    insert_once,
    setting,
)
from placemaker.proposals.photos import clean_photo
from placemaker.proposals.tracking import tracking_token
from placemaker.reports import workflow
from placemaker.reports.models import (
    OPEN_STATUSES,
    PlaceReport,
    PlaceReportPhoto,
    ReportKind,
    ReportStatus,
)

log = logging.getLogger(__name__)

PURPOSE = b"place-report-tracking"
RESIDENT = Actor("resident")
TEXT_MIN_NOT_USED = 5


@dataclass
class Submission:
    place_id: int
    kind: str | None
    text: str | None
    photo: bytes | None = None
    submission_key: str | None = None


@dataclass
class Submitted:
    report: PlaceReport
    token: str
    repeated: bool


def reportable_place(place_id: Any) -> Place:
    place = get_by_id(Place, place_id)
    if place is None:
        raise NotFound(_("This place does not exist."))
    return place


def _check(sub: Submission) -> dict[str, Any]:
    kind = clean_text(sub.kind)
    if kind not in {k.value for k in ReportKind}:
        raise InvalidInput(_("Choose what is wrong with the place."), details={"field": "kind"})
    text = clean_text(sub.text) or None
    text_max = setting("REPORT_TEXT_MAX")
    if text and len(text) > text_max:
        raise InvalidInput(
            _("Please keep it to %(max)d characters (you wrote %(n)d).", max=text_max, n=len(text)),
            details={"field": "text"},
        )
    if kind == ReportKind.not_used.value and len(text or "") < TEXT_MIN_NOT_USED:
        raise InvalidInput(
            _("Tell in a few words why the place is not used."), details={"field": "text"}
        )
    photo = clean_photo(sub.photo, setting("PROPOSAL_PHOTO_MAX_BYTES")) if sub.photo else None
    return {"kind": kind, "text": text, "photo": photo}


def submit(sub: Submission) -> Submitted:
    """Store a resident's report, or find the one this form already sent.

    :raises InvalidInput: naming the field at fault; nothing is stored then.
    """
    key = form_key(sub.submission_key)
    token = tracking_token(key, PURPOSE)
    existing = _by_submission(key)
    if existing is not None:
        return Submitted(existing, token, True)
    place = reportable_place(sub.place_id)
    if place.status is PlaceStatus.gone:
        raise InvalidInput(_("This place is already marked as gone."), details={"field": "form"})
    values = _check(sub)
    point = snapshot(place)
    area = area_at(point["lon"], point["lat"])
    report = PlaceReport(
        place_id=place.id,
        area_id=area.id if area is not None else None,
        kind=values["kind"],
        text=values["text"],
        status=ReportStatus.submitted,
        token_hash=digest(token),
        token_expires_at=db_now() + timedelta(days=setting("REPORT_TOKEN_DAYS")),
        submission_hash=digest(key),
    )
    earlier = insert_once(report, lambda: _by_submission(key))
    if earlier is not None:
        return Submitted(earlier, token, True)
    if values["photo"] is not None:
        db.session.add(PlaceReportPhoto(report_id=report.id, **values["photo"].columns()))
    workflow.record(report, "submit", RESIDENT, public=True)
    # The place's record shows that a report came in (its kind; the text stays private).
    assets.record(place, "report", RESIDENT, f"#{report.id}: {workflow.KIND_LABELS[report.kind]}")
    log.info("report %s on place %s submitted", report.id, place.id)
    return Submitted(report, token, False)


def _by_submission(key: str) -> PlaceReport | None:
    return db.session.scalar(select(PlaceReport).where(PlaceReport.submission_hash == digest(key)))


def find_by_token(token: str) -> PlaceReport:
    report = None
    if token and len(token) <= 100:
        report = db.session.scalar(
            select(PlaceReport).where(PlaceReport.token_hash == digest(token))
        )
    if report is None:
        raise NotFound(
            _(
                "We do not know this tracking link. Check that you copied the whole "
                "link from your receipt."
            )
        )
    if report.token_expires_at < db_now():
        raise LinkExpired(_("This tracking link has expired."))
    return report


def public_events(report: PlaceReport):
    return [e for e in report.events if e.public]


def reply(report: PlaceReport, text: str | None, *, expected_version: int | None = None) -> None:
    workflow.apply(
        report, "reply", RESIDENT, clean_message(text), expected_version=expected_version
    )


# --- the area managers' side ----------------------------------------------------------------


def get_report(report_id: Any) -> PlaceReport:
    report = get_by_id(PlaceReport, report_id)
    if report is None:
        raise NotFound(_("This report does not exist."))
    return report


def may_handle(user: User, report: PlaceReport) -> bool:
    point = snapshot(report.place)
    return may_manage_point(user, point["lon"], point["lat"])


def check_may_handle(user: User, report: PlaceReport) -> None:
    if not may_handle(user, report):
        raise Forbidden(_("This place lies outside the areas you look after. Nothing was changed."))


def visible_to(user: User):
    """SQL condition: reports on places in the user's areas."""
    return in_managed_areas(user, Place.geom)


INBOX_FILTERS = ("open", "all", *(s.value for s in ReportStatus))


def inbox(
    user: User, *, status: str = "open", kind: str | None = None, limit: int = 200
) -> list[PlaceReport]:
    """The reports a manager handles, oldest first."""
    query = (
        select(PlaceReport)
        .join(Place, Place.id == PlaceReport.place_id)
        .where(visible_to(user))
        .order_by(PlaceReport.created_at, PlaceReport.id)
    )
    if status == "open":
        query = query.where(PlaceReport.status.in_(OPEN_STATUSES))
    elif status != "all":
        try:
            query = query.where(PlaceReport.status == ReportStatus(status))
        except ValueError:
            raise InvalidInput(_("Unknown status filter.")) from None
    if kind:
        query = query.where(PlaceReport.kind == kind)
    return list(db.session.scalars(query.limit(limit)))


def act(
    report: PlaceReport,
    user: User,
    action: str,
    reason: str | None,
    *,
    condition: str | None = None,
    expected_version: int | None = None,
) -> None:
    """A manager's step on a report, with the place's condition set on the way if given."""
    if action not in workflow.TRANSITIONS or workflow.TRANSITIONS[action].by != "moderator":
        raise NotFound(_("Unknown action."))
    check_may_handle(user, report)
    actor = Actor(user.email, user.id)
    workflow.apply(report, action, actor, clean_message(reason), expected_version=expected_version)
    if condition:
        assets.set_condition(report.place, condition, actor, f"#{report.id}")
    if report.status in workflow.CLOSED_STATUSES and report.status is not ReportStatus.hidden:
        assets.record(
            report.place,
            "report_closed",
            actor,
            f"#{report.id}: {workflow.STATUS_LABELS[report.status]}",
        )


def open_reports(place_id: int) -> list[dict[str, Any]]:
    """Open reports on a place, for its page (no resident's text: that is the managers')."""
    rows = db.session.scalars(
        select(PlaceReport)
        .where(PlaceReport.place_id == place_id, PlaceReport.status.in_(OPEN_STATUSES))
        .order_by(PlaceReport.id)
    )
    return [
        {
            "id": r.id,
            "kind": r.kind,
            "kind_label": str(workflow.KIND_LABELS[r.kind]),
            "created_at": r.created_at,
            "status": r.status.value,
        }
        for r in rows
    ]


def open_counts(place_ids: list[int]) -> dict[int, int]:
    if not place_ids:
        return {}
    rows = db.session.execute(
        select(PlaceReport.place_id, func.count())
        .where(PlaceReport.place_id.in_(place_ids), PlaceReport.status.in_(OPEN_STATUSES))
        .group_by(PlaceReport.place_id)
    )
    return {pid: n for pid, n in rows}
