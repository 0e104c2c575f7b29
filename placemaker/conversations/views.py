"""Pages for ward conversations: record one, say what followed, assess the rung."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from placemaker.areas.models import LADDER, Area
from placemaker.areas.service import get_area
from placemaker.auth import role_required
from placemaker.conversations import service
from placemaker.conversations.models import Need
from placemaker.errors import InvalidInput, NotFound
from placemaker.extensions import db

bp = Blueprint("conversations", __name__)


def proposal_url(proposal_id: int) -> str:
    return url_for("proposals.show", proposal_id=proposal_id)


def _page(area, error: InvalidInput | None = None, values: dict | None = None, status: int = 200):
    service.check_may_record(current_user, area)
    return render_template(
        "conversations/manage.html",
        area=area,
        rungs=service.area_rungs(area),
        ladder=LADDER,
        error=error,
        proposal_url=proposal_url,
        values=values or {"held_on": date.today().isoformat()},
        field=(error.details or {}).get("field")
        if error and isinstance(error.details, dict)
        else None,
    ), status


@bp.get("/areas/<code>/gesprekken")
@role_required("area_manager")
def manage(code: str):
    return _page(get_area(code))


@bp.post("/areas/<code>/gesprekken")
@role_required("area_manager")
def record(code: str):
    area = get_area(code)
    values = request.form.to_dict()
    try:
        service.record_conversation(current_user, area, values)
    except InvalidInput as exc:
        db.session.rollback()
        return _page(area, exc, values, 400)  # what was typed stays in the form
    db.session.commit()
    flash(_("The conversation was recorded."))
    return redirect(url_for("conversations.manage", code=area.code), code=303)


@bp.post("/areas/<code>/trede")
@role_required("area_manager")
def assess(code: str):
    area = get_area(code)
    values = request.form.to_dict()
    try:
        service.assess_rung(current_user, area, values.get("rung"), values.get("reason"))
    except InvalidInput as exc:
        db.session.rollback()
        return _page(area, exc, values, 400)
    db.session.commit()
    flash(_("The assessed rung was saved."))
    return redirect(url_for("conversations.manage", code=area.code), code=303)


@bp.post("/gesprekken/behoefte/<int:need_id>")
@role_required("area_manager")
def follow_up(need_id: int):
    need = db.session.get(Need, need_id)
    if need is None:
        raise NotFound(_("There is no such need."))
    code = db.session.get_one(Area, need.conversation.area_id).code
    try:
        service.follow_up(
            current_user,
            need,
            task=request.form.get("task"),
            proposal_id=request.form.get("proposal"),
        )
    except InvalidInput as exc:
        db.session.rollback()
        return _page(get_area(code), exc, request.form.to_dict(), 400)
    db.session.commit()
    flash(_("Saved what was done."))
    return redirect(url_for("conversations.manage", code=code), code=303)
