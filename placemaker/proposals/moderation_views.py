"""Moderators' pages (/moderatie): the queue, one proposal and its actions, the weekly digest."""

from __future__ import annotations

import logging
from datetime import timedelta
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
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from placemaker.areas.service import lineage, point_inside
from placemaker.auth import role_required
from placemaker.cases.web import keep_tracking_links_private
from placemaker.conversations.models import Need
from placemaker.errors import Conflict, Forbidden, InvalidInput, NotFound, PlacemakerError
from placemaker.extensions import db
from placemaker.places import service as places
from placemaker.proposals import common, from_need, inbox, moderation, public, tracking, workflow
from placemaker.proposals.models import ProposalStatus
from placemaker.proposals.page_parts import has_photo, map_parts, page_helpers
from placemaker.web import page_number

log = logging.getLogger(__name__)

bp = Blueprint("moderation", __name__)

# Its pages carry no tracking link; they still send no Referer to other sites.
keep_tracking_links_private(bp)


bp.context_processor(page_helpers)


# --- moderation -----------------------------------------------------------------------------


@bp.get("/moderatie")
@role_required("area_manager")
def queue():
    status = request.args.get("status", "open")
    if status not in moderation.QUEUE_FILTERS:
        status = "open"
    filters = {
        "status": status,
        "area_code": request.args.get("area") or None,
        "kind": request.args.get("kind") or None,
        "search": request.args.get("q") or None,
    }
    proposals = moderation.queue(
        current_user,
        **filters,
        page=page_number(),
        per_page=current_app.config["MODERATION_PAGE_SIZE"],
    )
    rows = moderation.queue_rows(proposals.items)
    ids = [row["proposal"].id for row in rows]
    return render_template(
        "proposals/queue.html",
        rows=rows,
        page=proposals,
        filters=filters,
        kinds=places.kinds(),
        replied=inbox.answered_by_resident(ids),
        merge=inbox.merge_targets(ids),
        areas=moderation.moderator_areas(current_user),
        statuses=[("open", _("Open")), ("all", _("All"))]
        + [(s.value, str(workflow.STATUS_LABELS[s])) for s in ProposalStatus],
        status_labels=workflow.STATUS_LABELS,
        kind_label=common.kind_label,
    )


def _moderation_page(
    proposal,
    error: PlacemakerError | None = None,
    status: int = 200,
    form: dict[str, Any] | None = None,
):
    lon, lat = common.lonlat(proposal)
    near = public.nearby(lon, lat, exclude_proposal=proposal.id)
    parts = map_parts(
        {
            "mode": "moderate",
            "point": [lon, lat],
            "proposalKind": proposal.kind_code,
            "nearby": near,
        },
        center=(lat, lon),
        zoom=17,
        label=_("Map: the proposed spot and what is near"),
        height="340px",
    )
    last = proposal.events[-1] if proposal.events else None
    return render_template(
        "proposals/moderate.html",
        proposal=proposal,
        lon=lon,
        lat=lat,
        nearby=near,
        supports=common.support_counts([proposal.id]).get(proposal.id, 0),
        support_bursts=public.support_bursts(proposal.id),
        gap=public.gap_value(lon, lat, proposal.kind_code),
        has_photo=has_photo(proposal.id),
        allowed=workflow.allowed(proposal, "moderator"),
        error=error,
        form=form or {},
        last_event=last,
        areas=lineage(proposal.area),
        kinds=places.kinds(),
        status_labels=workflow.STATUS_LABELS,
        action_labels=workflow.ACTION_LABELS,
        kind_label=common.kind_label,
        default_name=f"{common.kind_label(proposal.kind)} "
        f"{proposal.area.name if proposal.area else ''}".strip(),
        **parts,
    ), status


@bp.get("/moderatie/<int:proposal_id>")
@role_required("area_manager")
def moderate(proposal_id: int):
    proposal = common.get_proposal(proposal_id)
    moderation.check_may_moderate(current_user, proposal)
    return _moderation_page(proposal)


ACTIONS = {
    "approve": lambda p, u, f, v: moderation.approve(
        p,
        u,
        name=f.get("name"),
        kind_code=f.get("kind"),
        description=f.get("description"),
        message=f.get("reason"),
        expected_version=v,
        already_open=f.get("exists") == "1",
    ),
    "reject": lambda p, u, f, v: moderation.reject(p, u, f.get("reason"), expected_version=v),
    "ask": lambda p, u, f, v: moderation.ask(p, u, f.get("reason"), expected_version=v),
    "hide": lambda p, u, f, v: moderation.hide(p, u, f.get("reason"), expected_version=v),
    "mark_duplicate": lambda p, u, f, v: moderation.mark_duplicate(
        p,
        u,
        place_id=f.get("duplicate_place"),
        proposal_id=f.get("duplicate_proposal"),
        message=f.get("reason"),
        expected_version=v,
    ),
}

DONE = {
    "approve": _l("Approved: the place has been added to the registry."),
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
    proposal = common.get_proposal(proposal_id)
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
        proposal = common.get_proposal(proposal_id)
        return _moderation_page(proposal, exc, exc.status, form)
    db.session.commit()
    log.info("proposal %s: %s by user %s", proposal_id, action, current_user.id)
    flash(str(DONE[action]))
    return redirect(url_for("moderation.moderate", proposal_id=proposal_id), code=303)


@bp.get("/moderatie/overzicht")
@role_required("area_manager")
def digest():
    start, end = moderation.week_bounds(request.args.get("week") or None)
    levels = moderation.digest_levels()
    level = request.args.get("level", "gebied")
    if level not in levels:
        level = levels[0] if levels else "gebied"
    rows = moderation.weekly_digest(current_user, start, end, level)
    return render_template(
        "proposals/digest.html",
        rows=rows,
        start=start,
        end=end,
        level=level,
        levels=levels,
        received=moderation.received_between(current_user, start, end),
        week=start.strftime("%G-W%V"),
        previous=(start - timedelta(days=7)).strftime("%G-W%V"),
        next=end.strftime("%G-W%V"),
        status_labels=workflow.STATUS_LABELS,
        kind_label=common.kind_label,
    )


# --- a need from a ward conversation becomes a proposal -------------------------------------


def _need_page(
    need: Need,
    values: dict[str, Any] | None = None,
    error: PlacemakerError | None = None,
    status: int = 200,
):
    from_need.check_may_propose(current_user, need)
    area = need.conversation.area
    if values is None:  # a fresh form: the pin starts at a point surely inside the area
        lon, lat = point_inside(area)
        values = {"lon": str(lon), "lat": str(lat)}
    values = dict(values)
    values.setdefault("submission_key", tracking.new_submission_key())
    try:
        point: tuple[float, float] | None = common.parse_lonlat(values["lon"], values["lat"])
    except InvalidInput:
        point = None
    center = point or point_inside(area)
    parts = map_parts(
        {
            "mode": "pick",
            "point": list(point) if point else None,
            "inputs": {"lon": "lon", "lat": "lat"},
        },
        center=(center[1], center[0]),
        zoom=17,
        label=_("Map: choose the spot"),
        height="320px",
    )
    details = error.details if error and isinstance(error.details, dict) else {}
    response = make_response(
        render_template(
            "proposals/from_need.html",
            need=need,
            conversation=need.conversation,
            area=area,
            values=values,
            error=error,
            error_field=details.get("field"),
            nearby=details.get("nearby"),
            kinds=places.kinds(),
            kind_label=common.kind_label,
            **parts,
        ),
        status,
    )
    response.headers["Cache-Control"] = "no-store"  # the form holds a one-time key
    return response


@bp.get("/gesprekken/behoefte/<int:need_id>/voorstel")
@role_required("area_manager")
def need_proposal_form(need_id: int):
    return _need_page(from_need.get_need(need_id))


@bp.post("/gesprekken/behoefte/<int:need_id>/voorstel")
@role_required("area_manager")
def need_proposal(need_id: int):
    need = from_need.get_need(need_id)
    code = need.conversation.area.code
    values = {
        key: request.form.get(key, "")
        for key in ("kind", "lon", "lat", "confirm_nearby", "submission_key", "search")
    }
    try:
        made = from_need.propose(current_user, need, values)
    except (Conflict, InvalidInput) as exc:
        # Nothing of this request is kept; what the manager chose goes back into the form.
        db.session.rollback()
        if (exc.details or {}).get("field") == "form":
            values.pop("submission_key", None)
        return _need_page(from_need.get_need(need_id), values, exc, exc.status)
    db.session.commit()
    if made.repeated:
        flash(_("This proposal had been made already; it was not made twice."))
    else:
        flash(
            _(
                "Proposal #%(id)s was made of the need; it waits in the moderation queue.",
                id=made.proposal.id,
            )
        )
    return redirect(url_for("conversations.manage", code=code) + "#heard", code=303)
