"""Residents' pages (/voorstellen): propose a spot, follow it, the open list, supporting."""

from __future__ import annotations

import logging
import secrets
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
from flask_limiter import RateLimitExceeded
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from itsdangerous import BadSignature, URLSafeSerializer
from werkzeug.exceptions import RequestEntityTooLarge

from placemaker.accounts.home import home_view
from placemaker.cases.web import keep_tracking_links_private
from placemaker.errors import (
    Conflict,
    InvalidInput,
    NotFound,
    PlacemakerError,
    csrf_message,
    error_response,
    resend_page,
)
from placemaker.extensions import config_limit, db, limiter
from placemaker.i18n import current_language
from placemaker.pages.forms import STATUS_LABELS
from placemaker.places import service as places
from placemaker.proposals import common, moderation, public, tracking, workflow
from placemaker.proposals.models import ProposalPhoto, ProposalStatus, ProposalSupport
from placemaker.proposals.page_parts import has_photo, map_parts, page_helpers
from placemaker.web import Page, page_number

log = logging.getLogger(__name__)

bp = Blueprint("proposals", __name__)

SUPPORTER_COOKIE = "steun"
SUPPORTER_MAX_AGE = 2 * 365 * 24 * 3600


keep_tracking_links_private(bp, "proposals.track")


bp.context_processor(page_helpers)


# --- proposing ------------------------------------------------------------------------------


def _form_page(
    values: dict[str, Any] | None = None,
    error: PlacemakerError | None = None,
    status: int = 200,
    message: str | None = None,
):
    values = dict(values or {})
    values.setdefault("submission_key", tracking.new_submission_key())
    point = None
    try:
        point = common.parse_lonlat(values.get("lon"), values.get("lat"))
    except InvalidInput:
        pass
    home, home_zoom = home_view()
    center = (point[1], point[0]) if point else home
    parts = map_parts(
        {
            "mode": "pick",
            "point": list(point) if point else None,
            "inputs": {"lon": "lon", "lat": "lat"},
            "photoMaxBytes": current_app.config["PROPOSAL_PHOTO_MAX_BYTES"],
        },
        center=center,
        zoom=17 if point else home_zoom,
        label=_("Map: choose the spot"),
    )
    field = (
        (error.details or {}).get("field") if error and isinstance(error.details, dict) else None
    )
    response = make_response(
        render_template(
            "proposals/new.html",
            values=values,
            kinds=places.kinds(),
            error=error,
            error_field=field,
            message=message,
            reason_max=current_app.config["PROPOSAL_REASON_MAX"],
            photo_max_mb=current_app.config["PROPOSAL_PHOTO_MAX_BYTES"] // 1_048_576,
            kind_label=common.kind_label,
            **parts,
        ),
        status,
    )
    response.headers["Cache-Control"] = "no-store"  # the form holds a one-time key
    return response


def _posted_values() -> dict[str, Any]:
    form = request.form
    return {
        key: form.get(key, "")
        for key in ("kind", "lon", "lat", "reason", "name", "email", "submission_key", "search")
    }


@bp.get("/voorstellen")
def new():
    values = {
        "lon": request.args.get("lon", ""),
        "lat": request.args.get("lat", ""),
        "kind": request.args.get("kind", ""),
    }
    return _form_page(values)


@bp.post("/voorstellen")
@limiter.limit(
    config_limit("PROPOSAL_RATE_LIMIT"),
    # Only proposals that were received count: a refused form costs nothing.
    deduct_when=lambda response: response.status_code < 400,
    error_message=lambda: _("You sent many proposals in a short time. Please try again later."),
)
def submit():
    values = _posted_values()
    if request.form.get("website"):
        # The honeypot: a field people never see. Bots fill it; nothing is stored.
        log.info("proposal refused: honeypot field filled")
        return _form_page(values, InvalidInput(_("Your proposal could not be sent.")), 400)
    upload = request.files.get("photo")
    photo = upload.read() if upload is not None and upload.filename else None
    try:
        result = tracking.submit(
            tracking.Submission(
                kind_code=values["kind"],
                lon=values["lon"],
                lat=values["lat"],
                reason=values["reason"],
                name=values["name"],
                email=values["email"],
                photo=photo,
                submission_key=values["submission_key"],
            )
        )
    except InvalidInput as exc:
        db.session.rollback()
        if (exc.details or {}).get("field") == "form":
            values.pop("submission_key", None)  # a fresh key; the text stays
        return _form_page(values, exc, 400)
    db.session.commit()
    if result.repeated:
        flash(_("We had already received this proposal; it was not stored twice."))
    else:
        flash(_("Thank you! Your proposal has been received."))
    return redirect(url_for("proposals.track", token=result.token, new=1), code=303)


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(exc):
    if request.endpoint == "proposals.submit":
        max_mb = current_app.config["PROPOSAL_PHOTO_MAX_BYTES"] // 1_048_576
        # The body was refused unread: the text cannot be shown again (propose.js checks
        # the photo's size before sending, so this happens only without JavaScript).
        return _form_page(
            {},
            InvalidInput(
                _(
                    "The photo is too large: at most %(max)s MB. Your proposal was not sent; "
                    "please "
                    "choose a smaller photo and send it again.",
                    max=max_mb,
                ),
                details={"field": "photo"},
            ),
            413,
        )
    return error_response(413, "request_entity_too_large", exc.description)


@bp.errorhandler(RateLimitExceeded)
def _rate_limited(exc):
    if request.endpoint == "proposals.submit":
        values = _posted_values()  # the same one-time key: sent again later, stored once
        response = make_response(
            _form_page(
                values,
                InvalidInput(
                    _(
                        "You sent many proposals in a short time. Your proposal was not sent yet; "
                        "your "
                        "text is still here, please send it again later."
                    )
                ),
                429,
            )
        )
    else:
        response = error_response(429, "too_many_requests", exc.description)
    for key, value in exc.get_headers():
        if key.lower() != "content-type":
            response.headers[key] = value
    return response


@bp.errorhandler(CSRFError)
def _csrf_failed(exc):
    if request.endpoint == "proposals.submit":
        values = _posted_values()
        values.pop("submission_key", None)
        return _form_page(
            values,
            InvalidInput(
                _(
                    "The form was open too long or came from elsewhere. Check your proposal and "
                    "send "
                    "it again; your text is still here."
                ),
                details={"field": "form"},
            ),
            400,
        )
    return resend_page(csrf_message())


@bp.get("/voorstellen/volg/<token>")
@limiter.limit(config_limit("PROPOSAL_TRACKING_RATE_LIMIT"))
def track(token: str):
    proposal = tracking.find_by_token(token)
    return _track_page(proposal, token)


def _track_page(
    proposal,
    token: str,
    error: PlacemakerError | None = None,
    status: int = 200,
    reply_text: str = "",
):
    lon, lat = common.lonlat(proposal)
    parts = map_parts(
        {"mode": "show", "point": [lon, lat], "proposalKind": proposal.kind_code},
        center=(lat, lon),
        zoom=16,
        label=_("Map: the spot you proposed"),
        height="260px",
    )
    place = places.get_place(proposal.place_id) if proposal.place_id else None
    return render_template(
        "proposals/track.html",
        proposal=proposal,
        token=token,
        new=request.args.get("new"),
        place=place,
        life=places.life(place) if place else [],
        place_labels=STATUS_LABELS,
        # Steps and dates only: the reasons are the resident's and the manager's exchange.
        events=[e for e in public.public_events(proposal) if e.action != "erase_personal_data"],
        supports=common.support_counts([proposal.id]).get(proposal.id, 0),
        allowed=workflow.allowed(proposal, "resident"),
        error=error,
        reply_text=reply_text,
        status_labels=workflow.STATUS_LABELS,
        action_labels=workflow.ACTION_LABELS,
        kind_label=common.kind_label,
        track_url=url_for("proposals.track", token=token, _external=True),
        **parts,
    ), status


def _resident_step(token: str, step):
    proposal = tracking.find_by_token(token)
    version = request.form.get("version", type=int)
    try:
        step(proposal, version)
    except (Conflict, InvalidInput) as exc:
        db.session.rollback()
        proposal = tracking.find_by_token(token)
        return _track_page(
            proposal, token, exc, exc.status, reply_text=request.form.get("text", "")
        )
    db.session.commit()
    return redirect(url_for("proposals.track", token=token), code=303)


@bp.post("/voorstellen/volg/<token>/antwoord")
@limiter.limit(config_limit("PROPOSAL_TRACKING_RATE_LIMIT"))
def track_reply(token: str):
    def step(proposal, version):
        tracking.reply(proposal, request.form.get("text"), expected_version=version)
        flash(_("Thank you, the area manager will read your answer."))

    return _resident_step(token, step)


@bp.post("/voorstellen/volg/<token>/intrekken")
@limiter.limit(config_limit("PROPOSAL_TRACKING_RATE_LIMIT"))
def track_withdraw(token: str):
    def step(proposal, version):
        tracking.withdraw(proposal, expected_version=version)
        flash(_("Your proposal has been withdrawn."))

    return _resident_step(token, step)


@bp.post("/voorstellen/volg/<token>/gegevens-wissen")
@limiter.limit(config_limit("PROPOSAL_TRACKING_RATE_LIMIT"))
def track_erase(token: str):
    def step(proposal, version):
        tracking.erase_personal_data(proposal)
        flash(_("Your name and e-mail address have been erased. The proposal itself stays."))

    return _resident_step(token, step)


# --- the public list, one proposal, supporting ----------------------------------------------


@bp.get("/voorstellen/open")
def public_list():
    query = public.public_query(
        statuses=("open",), kinds=[request.args["kind"]] if request.args.get("kind") else ()
    )
    per_page = current_app.config["PROPOSALS_PAGE_SIZE"]
    page = page_number()
    features, matched = public.public_features(query, limit=per_page, offset=(page - 1) * per_page)
    home, home_zoom = home_view()
    parts = map_parts(
        {"mode": "list"}, center=home, zoom=home_zoom, label=_("Map of open proposals")
    )
    return render_template(
        "proposals/list.html",
        features=features,
        matched=matched,
        page=Page(features, page, per_page, matched),
        kinds=places.kinds(),
        kind=request.args.get("kind", ""),
        lang=current_language(),
        **parts,
    )


@bp.get("/voorstellen/<int:proposal_id>")
def show(proposal_id: int):
    proposal = public.public_proposal(proposal_id)
    lon, lat = common.lonlat(proposal)
    parts = map_parts(
        {"mode": "show", "point": [lon, lat], "proposalKind": proposal.kind_code},
        center=(lat, lon),
        zoom=17,
        label=_("Map: the proposed spot"),
        height="300px",
    )
    return render_template(
        "proposals/show.html",
        proposal=proposal,
        lon=lon,
        lat=lat,
        supports=common.support_counts([proposal.id]).get(proposal.id, 0),
        supported=_already_supported(proposal.id),
        has_photo=has_photo(proposal.id),
        status_labels=workflow.STATUS_LABELS,
        action_labels=workflow.ACTION_LABELS,
        events=public.public_events(proposal),
        kind_label=common.kind_label,
        **parts,
    )


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="proposal-supporter")


def _supporter() -> tuple[str, bool]:
    """The random id in this browser's signed support cookie; a new one when absent."""
    raw = request.cookies.get(SUPPORTER_COOKIE)
    if raw:
        try:
            value = _serializer().loads(raw)
            if isinstance(value, str) and 16 <= len(value) <= 64:
                return value, False
        except BadSignature:
            pass
    return secrets.token_urlsafe(24), True


def _already_supported(proposal_id: int) -> bool:
    if not request.cookies.get(SUPPORTER_COOKIE):
        return False
    supporter, new = _supporter()
    if new:
        return False
    return (
        db.session.scalar(
            db.select(ProposalSupport.id).where(
                ProposalSupport.proposal_id == proposal_id,
                ProposalSupport.supporter_hash == common.digest("support\0" + supporter),
            )
        )
        is not None
    )


@bp.post("/voorstellen/<int:proposal_id>/steun")
@limiter.limit(
    config_limit("SUPPORT_RATE_LIMIT"),
    error_message=lambda: _(
        "You supported many proposals in a short time. Please try again later."
    ),
)
def support(proposal_id: int):
    proposal = public.public_proposal(proposal_id)
    supporter, new_cookie = _supporter()
    try:
        added, count = public.support(
            proposal,
            supporter,
            network=public.network_hash(request.remote_addr, str(current_app.secret_key or "")),
            per_network=current_app.config["SUPPORT_PER_NETWORK"],
        )
    except InvalidInput as exc:
        db.session.rollback()
        flash(exc.message)
        return redirect(url_for("proposals.show", proposal_id=proposal_id), code=303)
    db.session.commit()
    flash(
        _("Thank you for your support! %(n)s people support this proposal.", n=count)
        if added
        else _("You already support this proposal.")
    )
    response = redirect(url_for("proposals.show", proposal_id=proposal_id) + "#steun", code=303)
    if new_cookie:
        response.set_cookie(
            SUPPORTER_COOKIE,
            _serializer().dumps(supporter),
            max_age=SUPPORTER_MAX_AGE,
            httponly=True,
            samesite="Lax",
            secure=request.is_secure,
        )
    return response


@bp.get("/voorstellen/<int:proposal_id>/foto")
def photo(proposal_id: int):
    proposal = common.get_proposal(proposal_id)
    if proposal.status is ProposalStatus.hidden and not (
        current_user.is_authenticated and moderation.may_moderate(current_user, proposal)
    ):
        raise NotFound(_("This proposal does not exist or is not public."))
    stored = db.session.scalar(
        db.select(ProposalPhoto).where(ProposalPhoto.proposal_id == proposal_id)
    )
    if stored is None:
        raise NotFound(_("This proposal has no photo."))
    response = make_response(stored.data)
    response.headers["Content-Type"] = stored.content_type
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response
