"""Pages for residents (/voorstellen), moderators (/moderatie) and the public JSON."""

from __future__ import annotations

import logging
import secrets
from datetime import timedelta
from typing import Any

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import format_date, format_datetime, get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from itsdangerous import BadSignature, URLSafeSerializer
from werkzeug.exceptions import RequestEntityTooLarge

from placemaker import maps
from placemaker.auth import role_required
from placemaker.errors import Conflict, Forbidden, InvalidInput, NotFound, PlacemakerError
from placemaker.extensions import db, limiter
from placemaker.places import service as places
from placemaker.proposals import service, workflow
from placemaker.proposals.models import ProposalPhoto, ProposalStatus

log = logging.getLogger(__name__)

bp = Blueprint("proposals", __name__)

SUPPORTER_COOKIE = "steun"
SUPPORTER_MAX_AGE = 2 * 365 * 24 * 3600


def _limit(name: str):
    # Read per request, so a deployment (or a test) can change it without a restart.
    return lambda: current_app.config[name]


@bp.after_request
def _privacy_headers(response: Response) -> Response:
    # Tracking links carry a secret: never send it on as a Referer (tiles, outside links).
    response.headers.setdefault("Referrer-Policy", "same-origin")
    if request.endpoint and request.endpoint.startswith("proposals.track"):
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["Cache-Control"] = "no-store"
        response.headers["X-Robots-Tag"] = "noindex"
    return response


@bp.context_processor
def _helpers() -> dict[str, Any]:
    def place_url(place_id: int) -> str:
        # The place page when the pages are there, else the place's JSON.
        if "pages.place_detail" in current_app.view_functions:
            return url_for("pages.place_detail", place_id=place_id)
        return url_for("api.get_place", place_id=place_id)

    return {"place_url": place_url, "format_datetime": format_datetime,
            "format_date": format_date}


def _lang() -> str:
    return str(get_locale() or "nl")


def _text() -> dict[str, str]:
    """Every string propose.js shows, translated here."""
    return {
        "area": _("Area"),
        "cohesion": _("Social cohesion"),
        "no_score": _("no score yet"),
        "inherited_from": _("from %(name)s"),
        "no_area": _("We know no area here yet; an administrator will handle the proposal."),
        "nearby_title": _("Within %(m)s m of this spot"),
        "same_one": _("Is this the same one? Then there is no need to propose it again: "
                      "support the open proposal, or say in your proposal what the existing "
                      "place lacks."),
        "nothing_nearby": _("No meeting places or open proposals within %(m)s m."),
        "place": _("Existing place"),
        "proposal": _("Open proposal"),
        "supports": _("supports"),
        "gap": _("A place here would reach about %(n)s residents who have no meeting place "
                 "nearby."),
        "meters": _("%(m)s m away"),
        "view": _("View"),
        "loading": _("Looking up this spot…"),
        "failed": _("This spot could not be looked up. You can still send your proposal."),
        "locating": _("Finding your location…"),
        "no_geolocation": _("Your browser cannot share your location. Click the map instead."),
        "geolocation_failed": _("Your location could not be found. Click the map instead."),
        "no_results": _("Nothing found in our data. Try a street name, a place or an area, "
                        "or click the map."),
        "photo_too_large": _("This photo is too large (at most %(max)s MB). Choose a smaller "
                             "one; your text stays."),
        "photo_type": _("This file is not a photo. Choose a JPEG, PNG or WebP image."),
        "pin": _("The spot you propose"),
        "chosen": _("Spot chosen: %(lat)s, %(lon)s"),
        "open_proposals": _("Open proposals"),
        "status": _("Status"),
    }


def _map_parts(options: dict[str, Any], *, center, zoom: int, label: str,
               height: str = "420px") -> dict[str, str]:
    kinds = places.kinds()
    options = {
        "lang": _lang(),
        "kinds": maps.kinds_for_js(kinds, _lang()),
        "text": _text(),
        "urls": {
            "context": url_for("proposals.api_context"),
            "lookup": url_for("proposals.api_lookup"),
            "proposals": url_for("proposals.api_list"),
            "places": url_for("api.list_places"),
            "proposalPage": url_for("proposals.show", proposal_id=0),
        },
        **options,
    }
    m = maps.proposal_map(current_app.config, options, center=center, zoom=zoom,
                          label=label, height=height)
    return {**maps.render_parts(m), "sprite": maps.icon_sprite([k.icon for k in kinds])}


# --- proposing ------------------------------------------------------------------------------

def _form_page(values: dict[str, Any] | None = None, error: PlacemakerError | None = None,
               status: int = 200, message: str | None = None):
    values = dict(values or {})
    values.setdefault("submission_key", service.new_submission_key())
    point = None
    try:
        point = service.parse_lonlat(values.get("lon"), values.get("lat"))
    except InvalidInput:
        pass
    center = (point[1], point[0]) if point else maps.DEFAULT_CENTER
    parts = _map_parts(
        {"mode": "pick", "point": list(point) if point else None,
         "inputs": {"lon": "lon", "lat": "lat"},
         "photoMaxBytes": current_app.config["PROPOSAL_PHOTO_MAX_BYTES"]},
        center=center, zoom=17 if point else 13, label=_("Map: choose the spot"),
    )
    field = (error.details or {}).get("field") if error and isinstance(error.details, dict) \
        else None
    response = make_response(render_template(
        "proposals/new.html", values=values, kinds=places.kinds(), error=error,
        error_field=field, message=message,
        reason_max=current_app.config["PROPOSAL_REASON_MAX"],
        photo_max_mb=current_app.config["PROPOSAL_PHOTO_MAX_BYTES"] // 1_048_576,
        kind_label=service.kind_label, **parts,
    ), status)
    response.headers["Cache-Control"] = "no-store"  # the form holds a one-time key
    return response


def _posted_values() -> dict[str, Any]:
    form = request.form
    return {key: form.get(key, "") for key in
            ("kind", "lon", "lat", "reason", "name", "email", "submission_key", "search")}


@bp.get("/voorstellen")
def new():
    values = {"lon": request.args.get("lon", ""), "lat": request.args.get("lat", ""),
              "kind": request.args.get("kind", "")}
    return _form_page(values)


@bp.post("/voorstellen")
@limiter.limit(_limit("PROPOSAL_RATE_LIMIT"),
               error_message=lambda: _("You sent many proposals in a short time. Please try "
                                       "again later."))
def submit():
    values = _posted_values()
    if request.form.get("website"):
        # The honeypot: a field people never see. Bots fill it; nothing is stored.
        log.info("proposal refused: honeypot field filled")
        return _form_page(values, InvalidInput(_("Your proposal could not be sent.")), 400)
    upload = request.files.get("photo")
    photo = upload.read() if upload is not None and upload.filename else None
    try:
        result = service.submit(service.Submission(
            kind_code=values["kind"], lon=values["lon"], lat=values["lat"],
            reason=values["reason"], name=values["name"], email=values["email"],
            photo=photo, submission_key=values["submission_key"],
        ))
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
        return _form_page({}, InvalidInput(_(
            "The photo is too large: at most %(max)s MB. Your proposal was not sent; please "
            "choose a smaller photo and send it again.", max=max_mb),
            details={"field": "photo"}), 413)
    return exc


@bp.errorhandler(CSRFError)
def _csrf_failed(exc):
    if request.endpoint == "proposals.submit":
        values = _posted_values()
        values.pop("submission_key", None)
        return _form_page(values, InvalidInput(_(
            "The form was open too long or came from elsewhere. Check your proposal and send "
            "it again; your text is still here."), details={"field": "form"}), 400)
    return exc


@bp.get("/voorstellen/volg/<token>")
@limiter.limit(_limit("PROPOSAL_TRACKING_RATE_LIMIT"))
def track(token: str):
    proposal = service.find_by_token(token)
    return _track_page(proposal, token)


def _track_page(proposal, token: str, error: PlacemakerError | None = None, status: int = 200,
                reply_text: str = ""):
    lon, lat = service.lonlat(proposal)
    parts = _map_parts({"mode": "show", "point": [lon, lat], "proposalKind": proposal.kind_code},
                       center=(lat, lon), zoom=16, label=_("Map: the spot you proposed"),
                       height="260px")
    return render_template(
        "proposals/track.html", proposal=proposal, token=token, new=request.args.get("new"),
        events=service.public_events(proposal),
        supports=service.support_counts([proposal.id]).get(proposal.id, 0),
        allowed=workflow.allowed(proposal, "resident"), error=error, reply_text=reply_text,
        status_labels=workflow.STATUS_LABELS, action_labels=workflow.ACTION_LABELS,
        kind_label=service.kind_label, track_url=url_for("proposals.track", token=token,
                                                         _external=True),
        **parts,
    ), status


def _resident_step(token: str, step):
    proposal = service.find_by_token(token)
    version = request.form.get("version", type=int)
    try:
        step(proposal, version)
    except (Conflict, InvalidInput) as exc:
        db.session.rollback()
        proposal = service.find_by_token(token)
        return _track_page(proposal, token, exc, exc.status,
                           reply_text=request.form.get("text", ""))
    db.session.commit()
    return redirect(url_for("proposals.track", token=token), code=303)


@bp.post("/voorstellen/volg/<token>/antwoord")
@limiter.limit(_limit("PROPOSAL_TRACKING_RATE_LIMIT"))
def track_reply(token: str):
    def step(proposal, version):
        service.reply(proposal, request.form.get("text"), expected_version=version)
        flash(_("Thank you, the area manager will read your answer."))
    return _resident_step(token, step)


@bp.post("/voorstellen/volg/<token>/intrekken")
@limiter.limit(_limit("PROPOSAL_TRACKING_RATE_LIMIT"))
def track_withdraw(token: str):
    def step(proposal, version):
        service.withdraw(proposal, expected_version=version)
        flash(_("Your proposal has been withdrawn."))
    return _resident_step(token, step)


@bp.post("/voorstellen/volg/<token>/gegevens-wissen")
@limiter.limit(_limit("PROPOSAL_TRACKING_RATE_LIMIT"))
def track_erase(token: str):
    def step(proposal, version):
        service.erase_personal_data(proposal)
        flash(_("Your name and e-mail address have been erased. The proposal itself stays."))
    return _resident_step(token, step)


# --- the public list, one proposal, supporting ----------------------------------------------

@bp.get("/voorstellen/open")
def public_list():
    query = service.public_query(statuses=("open",), kinds=[request.args["kind"]]
                                 if request.args.get("kind") else ())
    features, matched = service.public_features(query, limit=500, offset=0)
    parts = _map_parts({"mode": "list"}, center=maps.DEFAULT_CENTER, zoom=12,
                       label=_("Map of open proposals"))
    return render_template("proposals/list.html", features=features, matched=matched,
                           kinds=places.kinds(), kind=request.args.get("kind", ""),
                           lang=_lang(), **parts)


@bp.get("/voorstellen/<int:proposal_id>")
def show(proposal_id: int):
    proposal = service.public_proposal(proposal_id)
    lon, lat = service.lonlat(proposal)
    parts = _map_parts({"mode": "show", "point": [lon, lat], "proposalKind": proposal.kind_code},
                       center=(lat, lon), zoom=17, label=_("Map: the proposed spot"),
                       height="300px")
    return render_template(
        "proposals/show.html", proposal=proposal, lon=lon, lat=lat,
        supports=service.support_counts([proposal.id]).get(proposal.id, 0),
        supported=_already_supported(proposal.id),
        has_photo=_has_photo(proposal.id), status_labels=workflow.STATUS_LABELS,
        kind_label=service.kind_label, **parts,
    )


def _has_photo(proposal_id: int) -> bool:
    return db.session.scalar(
        db.select(ProposalPhoto.id).where(ProposalPhoto.proposal_id == proposal_id)
    ) is not None


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
    from placemaker.proposals.models import ProposalSupport

    return db.session.scalar(
        db.select(ProposalSupport.id).where(
            ProposalSupport.proposal_id == proposal_id,
            ProposalSupport.supporter_hash == service._digest("support\0" + supporter))
    ) is not None


@bp.post("/voorstellen/<int:proposal_id>/steun")
@limiter.limit(_limit("SUPPORT_RATE_LIMIT"),
               error_message=lambda: _("You supported many proposals in a short time. Please "
                                       "try again later."))
def support(proposal_id: int):
    proposal = service.public_proposal(proposal_id)
    supporter, new_cookie = _supporter()
    try:
        added, count = service.support(proposal, supporter)
    except InvalidInput as exc:
        db.session.rollback()
        flash(exc.message)
        return redirect(url_for("proposals.show", proposal_id=proposal_id), code=303)
    db.session.commit()
    flash(_("Thank you for your support! %(n)s people support this proposal.", n=count)
          if added else _("You already support this proposal."))
    response = redirect(url_for("proposals.show", proposal_id=proposal_id) + "#steun", code=303)
    if new_cookie:
        response.set_cookie(SUPPORTER_COOKIE, _serializer().dumps(supporter),
                            max_age=SUPPORTER_MAX_AGE, httponly=True, samesite="Lax",
                            secure=request.is_secure)
    return response


@bp.get("/voorstellen/<int:proposal_id>/foto")
def photo(proposal_id: int):
    proposal = service.get_proposal(proposal_id)
    if proposal.status is ProposalStatus.hidden and not (
        current_user.is_authenticated and service.may_moderate(current_user, proposal)
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


# --- JSON -----------------------------------------------------------------------------------

@bp.get("/api/proposals")
def api_list():
    from placemaker.api.routes import (
        MAX_OFFSET,
        bbox_arg,
        int_arg,
        list_arg,
        paged_collection,
    )

    config = current_app.config
    limit = int_arg("limit", config["API_PAGE_SIZE"], minimum=1,
                    maximum=config["API_MAX_PAGE_SIZE"]) or config["API_PAGE_SIZE"]
    offset = int_arg("offset", 0, maximum=MAX_OFFSET) or 0
    query = service.public_query(bbox=bbox_arg(), statuses=list_arg("status") or ["open"],
                                 kinds=list_arg("kind"), area_code=request.args.get("area"))
    features, matched = service.public_features(query, limit=limit, offset=offset)
    return paged_collection(features, matched, offset=offset, limit=limit)


@bp.get("/api/proposals/<int:proposal_id>")
def api_get(proposal_id: int):
    proposal = service.public_proposal(proposal_id)
    feature = service.public_feature(
        proposal, service.support_counts([proposal.id]).get(proposal.id, 0),
        _has_photo(proposal.id))
    feature["properties"]["history"] = [
        {"at": e.at.isoformat(timespec="seconds"), "action": e.action,
         "status": e.new_status, "message": e.reason if e.action != "reply" else None}
        for e in service.public_events(proposal)
    ]
    response = jsonify(feature)
    response.mimetype = "application/geo+json"
    return response


@bp.get("/api/proposals/context")
def api_context():
    return jsonify(service.spot_context(request.args.get("lon"), request.args.get("lat"),
                                        request.args.get("kind") or None))


@bp.get("/api/proposals/lookup")
def api_lookup():
    return jsonify(results=service.lookup(request.args.get("q", "")))


# --- moderation -----------------------------------------------------------------------------

@bp.get("/moderatie")
@role_required("area_manager")
def queue():
    status = request.args.get("status", "open")
    if status not in service.QUEUE_FILTERS:
        status = "open"
    filters = {"status": status, "area_code": request.args.get("area") or None,
               "kind": request.args.get("kind") or None, "search": request.args.get("q") or None}
    proposals = service.queue(current_user, **filters)
    ids = [p.id for p in proposals]
    counts = service.support_counts(ids)
    rows = []
    for proposal in proposals:
        lon, lat = service.lonlat(proposal)
        rows.append({"proposal": proposal, "supports": counts.get(proposal.id, 0),
                     "gap": service.gap_value(lon, lat, proposal.kind_code),
                     "nearby": sum(len(v) for v in service.nearby(
                         lon, lat, exclude_proposal=proposal.id).values())})
    return render_template(
        "proposals/queue.html", rows=rows, filters=filters, kinds=places.kinds(),
        areas=service.moderator_areas(current_user),
        statuses=[("open", _("Open")), ("all", _("All"))]
        + [(s.value, str(workflow.STATUS_LABELS[s])) for s in ProposalStatus],
        status_labels=workflow.STATUS_LABELS, kind_label=service.kind_label,
    )


def _moderation_page(proposal, error: PlacemakerError | None = None, status: int = 200,
                     form: dict[str, Any] | None = None):
    lon, lat = service.lonlat(proposal)
    near = service.nearby(lon, lat, exclude_proposal=proposal.id)
    parts = _map_parts({"mode": "moderate", "point": [lon, lat],
                        "proposalKind": proposal.kind_code, "nearby": near},
                       center=(lat, lon), zoom=17, label=_("Map: the proposed spot and "
                                                           "what is near"), height="340px")
    area_chain = []
    current = proposal.area
    while current is not None:
        area_chain.append(current)
        current = current.parent
    last = proposal.events[-1] if proposal.events else None
    return render_template(
        "proposals/moderate.html", proposal=proposal, lon=lon, lat=lat, nearby=near,
        supports=service.support_counts([proposal.id]).get(proposal.id, 0),
        gap=service.gap_value(lon, lat, proposal.kind_code), has_photo=_has_photo(proposal.id),
        allowed=workflow.allowed(proposal, "moderator"), error=error, form=form or {},
        last_event=last, areas=list(reversed(area_chain)), kinds=places.kinds(),
        status_labels=workflow.STATUS_LABELS, action_labels=workflow.ACTION_LABELS,
        kind_label=service.kind_label,
        default_name=f"{service.kind_label(proposal.kind)} "
                     f"{proposal.area.name if proposal.area else ''}".strip(),
        **parts,
    ), status


@bp.get("/moderatie/<int:proposal_id>")
@role_required("area_manager")
def moderate(proposal_id: int):
    proposal = service.get_proposal(proposal_id)
    service.check_may_moderate(current_user, proposal)
    return _moderation_page(proposal)


ACTIONS = {
    "approve": lambda p, u, f, v: service.approve(
        p, u, name=f.get("name"), kind_code=f.get("kind"), description=f.get("description"),
        message=f.get("reason"), expected_version=v),
    "reject": lambda p, u, f, v: service.reject(p, u, f.get("reason"), expected_version=v),
    "ask": lambda p, u, f, v: service.ask(p, u, f.get("reason"), expected_version=v),
    "hide": lambda p, u, f, v: service.hide(p, u, f.get("reason"), expected_version=v),
    "mark_duplicate": lambda p, u, f, v: service.mark_duplicate(
        p, u, place_id=f.get("duplicate_place"), proposal_id=f.get("duplicate_proposal"),
        message=f.get("reason"), expected_version=v),
}

DONE = {
    "approve": _l("Approved: the place has been added to the map."),
    "reject": _l("Rejected. The resident reads your reason on the tracking page."),
    "ask": _l("Your question has been sent to the resident's tracking page."),
    "hide": _l("The proposal is hidden from the public."),
    "mark_duplicate": _l("Marked as duplicate."),
}


@bp.post("/moderatie/<int:proposal_id>/<action>")
@role_required("area_manager")
def act(proposal_id: int, action: str):
    if action not in ACTIONS:
        raise NotFound(_("Unknown action."))
    proposal = service.get_proposal(proposal_id)
    form = request.form.to_dict()
    form["action"] = action
    try:
        version = int(form.get("version", ""))
    except ValueError:
        version = None
    try:
        ACTIONS[action](proposal, current_user, form, version)
    except Forbidden:
        db.session.rollback()
        raise
    except (Conflict, InvalidInput) as exc:
        # Nothing of this request is kept; what the manager typed goes back into the form.
        db.session.rollback()
        proposal = service.get_proposal(proposal_id)
        return _moderation_page(proposal, exc, exc.status, form)
    db.session.commit()
    log.info("proposal %s: %s by user %s", proposal_id, action, current_user.id)
    flash(str(DONE[action]))
    return redirect(url_for("proposals.moderate", proposal_id=proposal_id), code=303)


@bp.get("/moderatie/overzicht")
@role_required("area_manager")
def digest():
    start, end = service.week_bounds(request.args.get("week") or None)
    levels = service.digest_levels()
    level = request.args.get("level", "gebied")
    if level not in levels:
        level = levels[0] if levels else "gebied"
    rows = service.weekly_digest(current_user, start, end, level)
    return render_template(
        "proposals/digest.html", rows=rows, start=start, end=end, level=level, levels=levels,
        received=service.received_between(current_user, start, end),
        week=start.strftime("%G-W%V"),
        previous=(start - timedelta(days=7)).strftime("%G-W%V"),
        next=end.strftime("%G-W%V"), status_labels=workflow.STATUS_LABELS,
        kind_label=service.kind_label,
    )
