"""Condition and checks on the place page, residents' "it is used", the round of visits."""

from __future__ import annotations

import secrets
from typing import Any

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from itsdangerous import BadSignature, URLSafeSerializer

from placemaker import registry
from placemaker.accounts.service import current_assignments, may_manage_point
from placemaker.assets import feed, service
from placemaker.auth import role_required
from placemaker.errors import InvalidInput
from placemaker.extensions import config_limit, db, limiter
from placemaker.places import opening
from placemaker.places import service as places
from placemaker.places.models import Place

bp = Blueprint("assets", __name__)

DEVICE_COOKIE = "apparaat"
DEVICE_MAX_AGE = 2 * 365 * 24 * 3600


def _lang() -> str:
    return str(get_locale() or "nl")


def _device_id() -> tuple[str, bool]:
    """The device's random id from its signed cookie, and whether it is new."""
    signer = URLSafeSerializer(current_app.config["SECRET_KEY"], salt="device")
    raw = request.cookies.get(DEVICE_COOKIE)
    if raw:
        try:
            return str(signer.loads(raw)), False
        except BadSignature:
            pass
    return secrets.token_urlsafe(16), True


def _signed(device_id: str) -> str:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="device").dumps(device_id)


def asset_helpers() -> dict[str, Any]:
    def place_asset(place: Place) -> dict[str, Any]:
        """What the place page shows of a place as an asset."""
        reports = registry.provider(registry.OPEN_REPORTS)
        hours = None
        if place.opening_hours:
            try:
                hours = opening.week_table(place.opening_hours, _lang())
            except InvalidInput:
                hours = None
        return {
            "condition_label": service.CONDITION_LABELS[place.condition.value],
            "stale": service.is_stale(place),
            "stale_days": service.stale_days(),
            "hours": hours,
            "checks": service.checks(place),
            "open_reports": reports(place.id) if reports is not None else [],
            "condition_labels": service.CONDITION_LABELS,
            "may_manage": _may_manage(place),
        }

    return {"place_asset": place_asset}


def _may_manage(place: Place) -> bool:
    if not getattr(current_user, "is_authenticated", False):
        return False
    point = places.snapshot(place)
    return may_manage_point(current_user, point["lon"], point["lat"])


def _back(place_id: int):
    return redirect(url_for("pages.place_detail", place_id=place_id) + "#asset", code=303)


@bp.post("/places/<int:place_id>/in-gebruik")
@limiter.limit(
    config_limit("PLACE_CONFIRM_RATE_LIMIT"),
    error_message=lambda: _("You confirmed many places in a short time. Please try again later."),
)
def confirm(place_id: int):
    """A resident (or anybody) saw the place in use."""
    place = places.get_place(place_id)
    device_id, new = _device_id()
    try:
        recorded = service.resident_confirm(place, device_id)
    except InvalidInput as exc:
        db.session.rollback()
        flash(exc.message)
        return _back(place.id)
    db.session.commit()
    flash(
        _("Thank you! We noted that this place is in use.")
        if recorded
        else _("You already confirmed this place today. Thank you!")
    )
    response = _back(place.id)
    if new:
        response.set_cookie(
            DEVICE_COOKIE,
            _signed(device_id),
            max_age=DEVICE_MAX_AGE,
            httponly=True,
            samesite="Lax",
            secure=request.is_secure,
        )
    return response


@bp.post("/places/<int:place_id>/conditie")
@role_required("area_manager")
def set_condition(place_id: int):
    place = places.get_place(place_id)
    try:
        if request.form.get("action") == "confirm":
            service.manager_confirm(current_user, place, request.form.get("note"))
            message = _("Noted: checked and in use.")
        else:
            check = service.manager_set_condition(
                current_user, place, request.form.get("condition", ""), request.form.get("note")
            )
            message = (
                _(
                    "The condition is now: %(condition)s.",
                    condition=service.CONDITION_LABELS[place.condition.value],
                )
                if check is not None
                else _("Nothing changed.")
            )
    except InvalidInput as exc:
        db.session.rollback()
        flash(exc.message)
        return _back(place.id)
    db.session.commit()
    flash(message)
    return _back(place.id)


@bp.get("/open-data/ontmoetingsplekken.geojson")
def open_data():
    """Every meeting place still there, with owner, kind, opening hours and last confirmation:
    an open-data feed for other tools (and OpenStreetMap mappers)."""
    body = feed.meeting_places_geojson(request.url_root.rstrip("/"))
    response = current_app.response_class(body, mimetype="application/geo+json")
    response.headers["Cache-Control"] = "public, max-age=300"
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


@bp.get("/moderatie/bezoekronde")
@role_required("area_manager")
def visit_round():
    area_code = request.args.get("area") or None
    try:
        tour = service.visit_round(current_user, area_code)
    except InvalidInput:
        tour = service.visit_round(current_user, None)
    mine = [a.area for a in current_assignments(current_user)]
    return render_template(
        "assets/round.html",
        tour=tour,
        areas=mine,
        area_code=area_code,
        stale_days=service.stale_days(),
        condition_labels=service.CONDITION_LABELS,
    )
