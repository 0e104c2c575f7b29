"""Residents report on a place (/places/<id>/melden) and follow it; managers handle reports
at /moderatie/meldingen (a list of its own, ready to join a shared managers' inbox)."""

from __future__ import annotations

import logging
from typing import Any

from flask import (
    Blueprint,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from placemaker.assets import service as assets
from placemaker.auth import role_required
from placemaker.cases.web import keep_tracking_links_private
from placemaker.errors import Conflict, Forbidden, InvalidInput, NotFound, PlacemakerError
from placemaker.extensions import config_limit, db, limiter
from placemaker.proposals.tracking import new_submission_key
from placemaker.reports import service, workflow
from placemaker.reports.models import PlaceReportPhoto, ReportStatus

log = logging.getLogger(__name__)

bp = Blueprint("reports", __name__)


keep_tracking_links_private(bp, "reports.track")


@bp.context_processor
def _helpers() -> dict[str, Any]:
    return {
        "report_status_labels": workflow.STATUS_LABELS,
        "report_kind_labels": workflow.KIND_LABELS,
        "report_action_labels": workflow.ACTION_LABELS,
        "condition_labels": assets.CONDITION_LABELS,
    }


# --- reporting ------------------------------------------------------------------------------


def _form_page(
    place,
    values: dict[str, Any] | None = None,
    error: PlacemakerError | None = None,
    status: int = 200,
):
    values = dict(values or {})
    values.setdefault("submission_key", new_submission_key())
    field = (
        (error.details or {}).get("field") if error and isinstance(error.details, dict) else None
    )
    response = make_response(
        render_template(
            "reports/new.html",
            place=place,
            values=values,
            error=error,
            error_field=field,
            text_max=current_app.config["REPORT_TEXT_MAX"],
            photo_max_mb=current_app.config["PROPOSAL_PHOTO_MAX_BYTES"] // 1_048_576,
        ),
        status,
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/places/<int:place_id>/melden")
def new(place_id: int):
    place = service.reportable_place(place_id)
    return _form_page(place, {"kind": request.args.get("kind", "")})


@bp.post("/places/<int:place_id>/melden")
@limiter.limit(
    config_limit("REPORT_RATE_LIMIT"),
    error_message=lambda: _("You sent many reports in a short time. Please try again later."),
)
def submit(place_id: int):
    place = service.reportable_place(place_id)
    values = {k: request.form.get(k, "") for k in ("kind", "text", "submission_key")}
    if request.form.get("website"):
        return _form_page(place, values, InvalidInput(_("Your report could not be sent.")), 400)
    upload = request.files.get("photo")
    photo = upload.read() if upload is not None and upload.filename else None
    try:
        result = service.submit(
            service.Submission(
                place_id=place.id,
                kind=values["kind"],
                text=values["text"],
                photo=photo,
                submission_key=values["submission_key"],
            )
        )
    except InvalidInput as exc:
        db.session.rollback()
        if (exc.details or {}).get("field") == "form":
            values.pop("submission_key", None)
        return _form_page(place, values, exc, 400)
    db.session.commit()
    flash(
        _("We had already received this report; it was not stored twice.")
        if result.repeated
        else _("Thank you! Your report has been received.")
    )
    return redirect(url_for("reports.track", token=result.token, new=1), code=303)


@bp.get("/meldingen/volg/<token>")
@limiter.limit(config_limit("REPORT_TRACKING_RATE_LIMIT"))
def track(token: str):
    return _track_page(service.find_by_token(token), token)


def _track_page(
    report,
    token: str,
    error: PlacemakerError | None = None,
    status: int = 200,
    reply_text: str = "",
):
    return render_template(
        "reports/track.html",
        report=report,
        token=token,
        new=request.args.get("new"),
        events=service.public_events(report),
        allowed=workflow.allowed(report, "resident"),
        error=error,
        reply_text=reply_text,
        track_url=url_for("reports.track", token=token, _external=True),
    ), status


@bp.post("/meldingen/volg/<token>/antwoord")
@limiter.limit(config_limit("REPORT_TRACKING_RATE_LIMIT"))
def track_reply(token: str):
    report = service.find_by_token(token)
    try:
        service.reply(
            report, request.form.get("text"), expected_version=request.form.get("version", type=int)
        )
    except (Conflict, InvalidInput) as exc:
        db.session.rollback()
        return _track_page(
            service.find_by_token(token), token, exc, exc.status, request.form.get("text", "")
        )
    db.session.commit()
    flash(_("Thank you, the area manager will read your answer."))
    return redirect(url_for("reports.track", token=token), code=303)


@bp.get("/meldingen/volg/<token>/foto")
@limiter.limit(config_limit("REPORT_TRACKING_RATE_LIMIT"))
def track_photo(token: str):
    return _photo(service.find_by_token(token))


def _photo(report):
    photo = db.session.scalar(
        db.select(PlaceReportPhoto).where(PlaceReportPhoto.report_id == report.id)
    )
    if photo is None:
        raise NotFound(_("This report has no photo."))
    response = make_response(photo.data)
    response.headers["Content-Type"] = photo.content_type
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


# --- handling -------------------------------------------------------------------------------


@bp.get("/moderatie/meldingen")
@role_required("area_manager")
def inbox():
    status = request.args.get("status", "open")
    if status not in service.INBOX_FILTERS:
        status = "open"
    kind = request.args.get("kind") or None
    if kind not in workflow.KIND_LABELS:
        kind = None
    rows = service.inbox(current_user, status=status, kind=kind)
    return render_template(
        "reports/inbox.html",
        rows=rows,
        status=status,
        kind=kind,
        statuses=[("open", _("Open")), ("all", _("All"))]
        + [(s.value, str(workflow.STATUS_LABELS[s])) for s in ReportStatus],
    )


def _handle_page(
    report,
    error: PlacemakerError | None = None,
    status: int = 200,
    form: dict[str, Any] | None = None,
):
    return render_template(
        "reports/handle.html",
        report=report,
        error=error,
        form=form or {},
        allowed=workflow.allowed(report, "moderator"),
        has_photo=report.photo is not None,
    ), status


@bp.get("/moderatie/meldingen/<int:report_id>")
@role_required("area_manager")
def handle(report_id: int):
    report = service.get_report(report_id)
    service.check_may_handle(current_user, report)
    return _handle_page(report)


@bp.get("/moderatie/meldingen/<int:report_id>/foto")
@role_required("area_manager")
def photo(report_id: int):
    report = service.get_report(report_id)
    service.check_may_handle(current_user, report)
    return _photo(report)


@bp.post("/moderatie/meldingen/<int:report_id>/<action>")
@role_required("area_manager")
def act(report_id: int, action: str):
    report = service.get_report(report_id)
    form = request.form.to_dict()
    try:
        service.act(
            report,
            current_user,
            action,
            form.get("reason"),
            condition=form.get("condition") or None,
            expected_version=request.form.get("version", type=int),
        )
    except Forbidden:
        db.session.rollback()
        raise
    except (Conflict, InvalidInput) as exc:
        db.session.rollback()
        return _handle_page(service.get_report(report_id), exc, exc.status, form)
    db.session.commit()
    log.info("report %s: %s by user %s", report_id, action, current_user.id)
    flash(_("Done: the report is now “%(status)s”.", status=workflow.STATUS_LABELS[report.status]))
    return redirect(url_for("reports.handle", report_id=report_id), code=303)
