"""Residents propose a spot, others support it, area managers moderate it.

Service functions take plain values, flush but never commit, and raise domain exceptions.
Status changes go through :mod:`placemaker.proposals.workflow`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from flask import current_app
from flask_babel import get_locale
from flask_babel import gettext as _
from geoalchemy2 import Geography
from geoalchemy2.shape import to_shape
from sqlalchemy import Select, and_, cast, exists, func, literal, or_, select, true, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.exc import IntegrityError

from placemaker.accounts.models import AreaAssignment, Role, User
from placemaker.accounts.service import may_manage_point
from placemaker.areas.models import Area, AreaLevel
from placemaker.errors import Forbidden, InvalidInput, NotFound, PlacemakerError
from placemaker.extensions import db, get_by_id
from placemaker.geo import RD_SRID, SRID, bbox_envelope, in_netherlands, point_from_lonlat
from placemaker.places.models import Place, PlaceKind, PlaceStatus
from placemaker.places.service import Actor, create_place, get_kind
from placemaker.proposals import workflow
from placemaker.proposals.models import (
    OPEN_STATUSES,
    Proposal,
    ProposalEvent,
    ProposalPhoto,
    ProposalStatus,
    ProposalSupport,
)
from placemaker.proposals.photos import clean_photo
from placemaker.proposals.workflow import db_now

log = logging.getLogger(__name__)

REASON_MIN = 10
NAME_MAX = 100
EMAIL_MAX = 254
MESSAGE_MAX = 2000
EMAIL_RE = re.compile(r"^[^@\s<>\"]+@[^@\s<>\"]+\.[^@\s<>\"]+$")
KEY_RE = re.compile(r"^[A-Za-z0-9_-]{43}$")
RESIDENT = Actor("resident")
SYSTEM = Actor("system: automatic erasure")


class LinkExpired(PlacemakerError):
    status = 410
    code = "expired"


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _config(name: str) -> Any:
    return current_app.config[name]


# --- the tracking link ----------------------------------------------------------------------

def new_submission_key() -> str:
    """A one-time key for one proposal form (secrets.token_urlsafe(32): 256 random bits)."""
    return secrets.token_urlsafe(32)


def tracking_token(submission_key: str) -> str:
    """The private tracking token of the proposal sent with this form key.

    Derived (HMAC with the app's secret) rather than stored, so a double submit of the same
    form shows the same receipt; only its SHA-256 hash is kept in the database.
    """
    secret = str(_config("SECRET_KEY")).encode()
    mac = hmac.new(secret, b"proposal-tracking\0" + submission_key.encode(), hashlib.sha256)
    return base64.urlsafe_b64encode(mac.digest()).rstrip(b"=").decode()


def find_by_token(token: str) -> Proposal:
    """The proposal behind a tracking link.

    :raises NotFound: for a link we never issued.
    :raises LinkExpired: once the link's lifetime has passed.
    """
    proposal = None
    if token and len(token) <= 100:
        proposal = db.session.scalar(select(Proposal).where(Proposal.token_hash == _digest(token)))
    if proposal is None:
        raise NotFound(_("We do not know this tracking link. Check that you copied the whole "
                         "link from your receipt."))
    if proposal.token_expires_at < db_now():
        raise LinkExpired(_("This tracking link has expired. Your proposal is still there: "
                            "find it in the list of proposals, or ask the area manager."))
    return proposal


# --- proposing ------------------------------------------------------------------------------

@dataclass
class Submission:
    kind_code: str | None
    lon: Any
    lat: Any
    reason: str | None
    name: str | None = None
    email: str | None = None
    photo: bytes | None = None
    submission_key: str | None = None


@dataclass
class Submitted:
    proposal: Proposal
    token: str
    repeated: bool  # the same form was sent before: nothing new was stored


def _text(value: Any) -> str:
    # PostgreSQL text cannot hold NUL; other control characters (but newlines) are noise.
    text = str(value or "").replace("\r\n", "\n")
    return "".join(c for c in text if c in "\n\t" or c >= " ").strip()


def parse_lonlat(lon: Any, lat: Any) -> tuple[float, float]:
    """Coordinates of a spot a resident chose, with messages for residents.

    :raises InvalidInput: when missing, not numbers, or outside the Netherlands.
    """
    if lon in (None, "") or lat in (None, ""):
        raise InvalidInput(
            _("Choose a spot first: click the map, use your location or search an address."),
            details={"field": "location"},
        )
    try:
        lon_f, lat_f = float(lon), float(lat)
    except (TypeError, ValueError):
        raise InvalidInput(_("The spot's coordinates are not numbers."),
                           details={"field": "location"}) from None
    if not (lon_f == lon_f and lat_f == lat_f) or not in_netherlands(lon_f, lat_f):
        raise InvalidInput(
            _("This spot lies outside the Netherlands. Please choose a spot in the Netherlands."),
            details={"field": "location"},
        )
    return lon_f, lat_f


def _check_submission(sub: Submission) -> dict[str, Any]:
    """Every field checked before anything is written; the first problem is raised."""
    kind_code = _text(sub.kind_code)
    try:
        get_kind(kind_code)
    except InvalidInput:
        raise InvalidInput(_("Choose what kind of place you propose."),
                           details={"field": "kind"}) from None
    lon, lat = parse_lonlat(sub.lon, sub.lat)
    reason = _text(sub.reason)
    reason_max = _config("PROPOSAL_REASON_MAX")
    if len(reason) < REASON_MIN:
        raise InvalidInput(_("Tell in a few words why this spot (at least %(n)d characters).",
                             n=REASON_MIN), details={"field": "reason"})
    if len(reason) > reason_max:
        raise InvalidInput(_("Please keep it to %(max)d characters (you wrote %(n)d).",
                             max=reason_max, n=len(reason)), details={"field": "reason"})
    name = _text(sub.name) or None
    if name and len(name) > NAME_MAX:
        raise InvalidInput(_("A name has at most %(max)d characters.", max=NAME_MAX),
                           details={"field": "name"})
    email = _text(sub.email) or None
    if email and (len(email) > EMAIL_MAX or not EMAIL_RE.match(email)):
        raise InvalidInput(_("This e-mail address does not look right."),
                           details={"field": "email"})
    photo = clean_photo(sub.photo, _config("PROPOSAL_PHOTO_MAX_BYTES")) if sub.photo else None
    return {"kind_code": kind_code, "lon": lon, "lat": lat, "reason": reason, "name": name,
            "email": email, "photo": photo}


def submit(sub: Submission) -> Submitted:
    """Store a resident's proposal, or find the one this form already sent.

    :raises InvalidInput: naming the field at fault; nothing is stored then.
    """
    key = _text(sub.submission_key)
    if not KEY_RE.match(key):
        raise InvalidInput(_("This form is out of date. Reload the page and send it again."),
                           details={"field": "form"})
    token = tracking_token(key)
    existing = _by_submission(key)
    if existing is not None:
        return Submitted(existing, token, True)
    values = _check_submission(sub)
    from placemaker.areas.service import area_at

    area = area_at(values["lon"], values["lat"])
    proposal = Proposal(
        kind_code=values["kind_code"],
        geom=point_from_lonlat(values["lon"], values["lat"]),
        reason=values["reason"],
        area_id=area.id if area is not None else None,
        status=ProposalStatus.submitted,
        submitter_name=values["name"],
        submitter_email=values["email"],
        token_hash=_digest(token),
        token_expires_at=db_now() + timedelta(days=_config("PROPOSAL_TOKEN_DAYS")),
        submission_hash=_digest(key),
    )
    try:
        with db.session.begin_nested():
            db.session.add(proposal)
            db.session.flush()
    except IntegrityError:
        # The same form, sent twice at the same moment: the other request stored it.
        existing = _by_submission(key)
        if existing is None:
            raise
        return Submitted(existing, token, True)
    photo = values["photo"]
    if photo is not None:
        db.session.add(ProposalPhoto(proposal_id=proposal.id, data=photo.data,
                                     content_type=photo.content_type, width=photo.width,
                                     height=photo.height))
    workflow.record(proposal, "submit", RESIDENT, public=True)
    # Ids only: names and e-mail addresses never go to the logs.
    log.info("proposal %s submitted (area %s)", proposal.id, area.code if area else "-")
    return Submitted(proposal, token, False)


def _by_submission(key: str) -> Proposal | None:
    return db.session.scalar(
        select(Proposal).where(Proposal.submission_hash == _digest(key))
    )


# --- reading --------------------------------------------------------------------------------

def lonlat(proposal: Proposal) -> tuple[float, float]:
    point = to_shape(proposal.geom)
    return round(point.x, 7), round(point.y, 7)


def kind_label(kind: PlaceKind) -> str:
    locale = get_locale()
    return kind.label_en if locale is not None and locale.language == "en" else kind.label_nl


def get_proposal(proposal_id: int) -> Proposal:
    proposal = get_by_id(Proposal, proposal_id)
    if proposal is None:
        raise NotFound(_("This proposal does not exist."))
    return proposal


def public_proposal(proposal_id: int) -> Proposal:
    """A proposal anyone may see: not hidden."""
    proposal = get_by_id(Proposal, proposal_id)
    if proposal is None or proposal.status is ProposalStatus.hidden:
        raise NotFound(_("This proposal does not exist or is not public."))
    return proposal


def public_events(proposal: Proposal) -> list[ProposalEvent]:
    return [e for e in proposal.events if e.public]


def _point(lon: float, lat: float):
    return func.ST_SetSRID(func.ST_MakePoint(lon, lat), SRID)


def nearby(lon: float, lat: float, radius_m: float | None = None, *,
           exclude_proposal: int | None = None) -> dict[str, list[dict[str, Any]]]:
    """Places and open proposals within ``radius_m`` metres: "is this the same one?"."""
    radius = float(radius_m if radius_m is not None else _config("PROPOSAL_NEARBY_M"))
    here = cast(_point(lon, lat), Geography)
    place_distance = func.ST_Distance(cast(Place.geom, Geography), here)
    places = db.session.execute(
        select(Place.id, Place.name, Place.address, PlaceKind.label_nl, PlaceKind.label_en,
               place_distance.label("distance"), func.ST_X(Place.geom).label("lon"),
               func.ST_Y(Place.geom).label("lat"))
        .join(PlaceKind, PlaceKind.code == Place.kind_code)
        .where(Place.status != PlaceStatus.gone,
               func.ST_DWithin(cast(Place.geom, Geography), here, radius))
        .order_by(place_distance).limit(20)
    ).all()
    proposal_distance = func.ST_Distance(cast(Proposal.geom, Geography), here)
    query = (
        select(Proposal.id, Proposal.reason, Proposal.created_at, PlaceKind.label_nl,
               PlaceKind.label_en, proposal_distance.label("distance"),
               func.ST_X(Proposal.geom).label("lon"), func.ST_Y(Proposal.geom).label("lat"))
        .join(PlaceKind, PlaceKind.code == Proposal.kind_code)
        .where(Proposal.status.in_(OPEN_STATUSES),
               func.ST_DWithin(cast(Proposal.geom, Geography), here, radius))
        .order_by(proposal_distance).limit(20)
    )
    if exclude_proposal is not None:
        query = query.where(Proposal.id != exclude_proposal)
    proposals = db.session.execute(query).all()
    english = _english()
    return {
        "places": [
            {"id": r.id, "name": r.name, "address": r.address,
             "kind": r.label_en if english else r.label_nl,
             "distance_m": round(r.distance), "lon": round(r.lon, 7), "lat": round(r.lat, 7)}
            for r in places
        ],
        "proposals": [
            {"id": r.id, "kind": r.label_en if english else r.label_nl,
             "reason": _excerpt(r.reason), "distance_m": round(r.distance),
             "supports": count, "lon": round(r.lon, 7), "lat": round(r.lat, 7)}
            for r, count in zip(proposals, _counts([r.id for r in proposals]), strict=True)
        ],
    }


def _english() -> bool:
    locale = get_locale()
    return locale is not None and locale.language == "en"


def _excerpt(text: str, length: int = 140) -> str:
    return text if len(text) <= length else text[: length - 1].rstrip() + "…"


def _counts(ids: Sequence[int]) -> list[int]:
    counts = support_counts(ids)
    return [counts.get(i, 0) for i in ids]


def spot_context(lon: Any, lat: Any, kind_code: str | None = None) -> dict[str, Any]:
    """What a resident sees while choosing a spot: area, cohesion, neighbours, gap value."""
    from placemaker.areas.service import area_at, area_properties, load_context

    lon_f, lat_f = parse_lonlat(lon, lat)
    area = area_at(lon_f, lat_f)
    area_info = None
    if area is not None:
        ctx = load_context()
        props = area_properties(ctx, ctx.nodes[area.id], {})
        area_info = {key: props[key] for key in ("code", "name", "level", "ancestors",
                                                 "cohesion")}
    return {
        "lon": lon_f,
        "lat": lat_f,
        "area": area_info,
        "radius_m": _config("PROPOSAL_NEARBY_M"),
        "nearby": nearby(lon_f, lat_f),
        "gap": gap_value(lon_f, lat_f, kind_code),
    }


def gap_value(lon: float, lat: float, kind_code: str | None) -> dict[str, Any] | None:
    """How many residents without a nearby meeting place a place here would reach.

    Asks the gap analysis (``placemaker.gaps.service.evaluate``) with the walking distance
    of the proposed kind. None when the gap analysis is not installed or cannot answer:
    proposing and moderating never depend on it.
    """
    try:
        from placemaker.gaps import service as gaps
    except ModuleNotFoundError as exc:
        if exc.name != "placemaker.gaps.service":
            raise
        return None
    evaluate = getattr(gaps, "evaluate", None)
    params_class = getattr(gaps, "GapParams", None)
    if evaluate is None or params_class is None:
        return None
    kind = db.session.get(PlaceKind, kind_code) if kind_code else None
    try:
        result = evaluate(lon, lat, params_class(
            radius_m=float(kind.walking_distance_m) if kind is not None else None))
    except Exception:  # the gap analysis must never stop a resident from proposing
        log.warning("gap value unavailable at a proposed spot", exc_info=True)
        return None
    residents = (result or {}).get("new_residents_reached")
    if residents is None:
        return None
    return {"residents": int(round(float(residents))), "radius_m": result.get("radius_m")}


def open_proposal_points() -> list[dict[str, Any]]:
    """Open proposals as candidate sites for the gap analysis (RD New metres)."""
    rd = func.ST_Transform(Proposal.geom, RD_SRID)
    rows = db.session.execute(
        select(Proposal.id, Proposal.kind_code, func.ST_X(rd), func.ST_Y(rd),
               func.array(select(Area.code).where(func.ST_Covers(Area.geom, Proposal.geom))
                          .scalar_subquery()))
        .where(Proposal.status.in_(OPEN_STATUSES)).order_by(Proposal.id)
    ).all()
    return [{"x": float(r[2]), "y": float(r[3]), "areas": tuple(r[4] or ()),
             "ref": {"source": "proposal", "proposal_id": r[0], "kind": r[1],
                     "name": f"#{r[0]}"}}
            for r in rows]


# --- supporting -----------------------------------------------------------------------------

def support(proposal: Proposal, supporter_id: str) -> tuple[bool, int]:
    """Add one person's support. Returns whether it was new, and the count.

    :raises InvalidInput: when the proposal is closed.
    """
    if proposal.status not in OPEN_STATUSES:
        raise InvalidInput(_("This proposal is closed; it can no longer be supported."))
    added = db.session.execute(
        pg_insert(ProposalSupport)
        .values(proposal_id=proposal.id, supporter_hash=_digest("support\0" + supporter_id))
        .on_conflict_do_nothing(index_elements=["proposal_id", "supporter_hash"])
        .returning(ProposalSupport.id)
    ).scalar_one_or_none()
    return added is not None, support_counts([proposal.id]).get(proposal.id, 0)


def support_counts(ids: Sequence[int]) -> dict[int, int]:
    if not ids:
        return {}
    rows = db.session.execute(
        select(ProposalSupport.proposal_id, func.count())
        .where(ProposalSupport.proposal_id.in_(list(ids)))
        .group_by(ProposalSupport.proposal_id)
    )
    return {pid: count for pid, count in rows}


# --- moderating -----------------------------------------------------------------------------

def may_moderate(user: User, proposal: Proposal) -> bool:
    """Admins everywhere; area managers where one of their areas covers the proposal."""
    if user.role is Role.admin:
        return True
    return may_manage_point(user, *lonlat(proposal))


def check_may_moderate(user: User, proposal: Proposal) -> None:
    if not may_moderate(user, proposal):
        raise Forbidden(_("This proposal lies outside the areas you look after. "
                          "Nothing was changed."))


def visible_to(user: User):
    """SQL condition: proposals this user moderates."""
    if user.role is Role.admin:
        return true()
    return exists(
        select(literal(1)).select_from(AreaAssignment)
        .join(Area, Area.id == AreaAssignment.area_id)
        .where(AreaAssignment.user_id == user.id, AreaAssignment.until.is_(None),
               func.ST_Covers(Area.geom, Proposal.geom))
    )


QUEUE_FILTERS = ("open", "all", *(s.value for s in ProposalStatus))


def queue(user: User, *, status: str = "open", area_code: str | None = None,
          kind: str | None = None, search: str | None = None, limit: int = 200
          ) -> list[Proposal]:
    """The proposals a moderator handles, oldest first."""
    query = select(Proposal).where(visible_to(user)).order_by(Proposal.created_at, Proposal.id)
    if status == "open":
        query = query.where(Proposal.status.in_(OPEN_STATUSES))
    elif status != "all":
        try:
            query = query.where(Proposal.status == ProposalStatus(status))
        except ValueError:
            raise InvalidInput(_("Unknown status filter.")) from None
    if area_code:
        area_geom = select(Area.geom).where(Area.code == area_code).scalar_subquery()
        query = query.where(func.ST_Covers(area_geom, Proposal.geom))
    if kind:
        query = query.where(Proposal.kind_code == kind)
    if search:
        escaped = search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = query.where(Proposal.reason.ilike(f"%{escaped}%", escape="\\"))
    return list(db.session.scalars(query.limit(limit)))


def moderator_areas(user: User) -> list[Area]:
    if user.role is Role.admin:
        return []
    return [a.area for a in user.assignments if a.until is None]


def _moderator(user: User) -> Actor:
    return Actor(user.email, user.id)


def _prepare(proposal: Proposal, user: User, expected_version: int | None) -> None:
    check_may_moderate(user, proposal)
    workflow.check_version(proposal, expected_version)


def approve(proposal: Proposal, user: User, *, name: str | None, kind_code: str | None = None,
            description: str | None = None, message: str | None = None,
            expected_version: int | None = None) -> Place:
    """Approve: the proposal becomes a place, created with its history and linked to it."""
    _prepare(proposal, user, expected_version)
    name = _text(name)
    if not name:
        raise InvalidInput(_("Give the new place a name."), details={"field": "name"})
    if len(name) > 200:
        raise InvalidInput(_("A name has at most %(max)d characters.", max=200),
                           details={"field": "name"})
    kind_code = _text(kind_code) or proposal.kind_code
    get_kind(kind_code)
    message = _message(message)
    workflow.apply(proposal, "approve", _moderator(user), message,
                   expected_version=expected_version, old_values={"place_id": None})
    lon, lat = lonlat(proposal)
    place = create_place(
        {"name": name, "kind_code": kind_code, "lon": lon, "lat": lat,
         "description": _text(description) or proposal.reason},
        Actor(f"{user.email} (proposal {proposal.id})", user.id),
        source="proposal", source_id=str(proposal.id),
    )
    proposal.place_id = place.id
    db.session.flush()
    return place


def reject(proposal: Proposal, user: User, reason: str | None, *,
           expected_version: int | None = None) -> None:
    _prepare(proposal, user, expected_version)
    workflow.apply(proposal, "reject", _moderator(user), _message(reason),
                   expected_version=expected_version)


def ask(proposal: Proposal, user: User, question: str | None, *,
        expected_version: int | None = None) -> None:
    _prepare(proposal, user, expected_version)
    workflow.apply(proposal, "ask", _moderator(user), _message(question),
                   expected_version=expected_version)


def hide(proposal: Proposal, user: User, reason: str | None, *,
         expected_version: int | None = None) -> None:
    """Hide abusive content from the public; the record stays for the moderators."""
    _prepare(proposal, user, expected_version)
    workflow.apply(proposal, "hide", _moderator(user), _message(reason),
                   expected_version=expected_version)


def mark_duplicate(proposal: Proposal, user: User, *, place_id: Any = None,
                   proposal_id: Any = None, message: str | None = None,
                   expected_version: int | None = None) -> int:
    """Mark as duplicate of a place or another proposal; supports carry over to a proposal.

    :returns: the number of supports carried over.
    """
    _prepare(proposal, user, expected_version)
    place_ref, proposal_ref = _int_or_none(place_id), _int_or_none(proposal_id)
    if (place_ref is None) == (proposal_ref is None):
        raise InvalidInput(_("Give either the number of a place or of a proposal."),
                           details={"field": "duplicate"})
    if place_ref is not None:
        place = get_by_id(Place, place_ref)
        if place is None:
            raise InvalidInput(_("There is no place %(id)s.", id=place_ref),
                               details={"field": "duplicate"})
    else:
        target = get_by_id(Proposal, proposal_ref)
        if target is None or target.id == proposal.id or target.status in (
            ProposalStatus.hidden, ProposalStatus.withdrawn, ProposalStatus.rejected,
            ProposalStatus.duplicate,
        ):
            raise InvalidInput(_("Proposal %(id)s cannot take over this one: choose an open "
                                 "or approved proposal.", id=proposal_ref),
                               details={"field": "duplicate"})
    workflow.apply(proposal, "mark_duplicate", _moderator(user), _message(message),
                   expected_version=expected_version,
                   old_values={"duplicate_of_place_id": None, "duplicate_of_proposal_id": None})
    proposal.duplicate_of_place_id = place_ref
    proposal.duplicate_of_proposal_id = proposal_ref
    db.session.flush()
    if proposal_ref is None:
        return 0
    carried = db.session.execute(
        pg_insert(ProposalSupport)
        .from_select(["proposal_id", "supporter_hash"],
                     select(literal(proposal_ref), ProposalSupport.supporter_hash)
                     .where(ProposalSupport.proposal_id == proposal.id))
        .on_conflict_do_nothing(index_elements=["proposal_id", "supporter_hash"])
        .returning(ProposalSupport.id)
    ).all()
    return len(carried)


def _int_or_none(value: Any) -> int | None:
    text = str(value or "").strip().lstrip("#")
    if not text:
        return None
    if not text.isdigit():
        raise InvalidInput(_("Give the number of a place or a proposal."),
                           details={"field": "duplicate"})
    return int(text)


def _message(text: str | None) -> str | None:
    text = _text(text) or None
    if text and len(text) > MESSAGE_MAX:
        raise InvalidInput(_("Please keep it to %(max)d characters (you wrote %(n)d).",
                             max=MESSAGE_MAX, n=len(text)), details={"field": "reason"})
    return text


# --- the resident's own steps ---------------------------------------------------------------

def reply(proposal: Proposal, text: str | None, *, expected_version: int | None = None) -> None:
    """The resident answers the area manager's question; the proposal is open again."""
    workflow.apply(proposal, "reply", RESIDENT, _message(text),
                   expected_version=expected_version)


def withdraw(proposal: Proposal, *, expected_version: int | None = None) -> None:
    workflow.apply(proposal, "withdraw", RESIDENT, expected_version=expected_version)


def erase_personal_data(proposal: Proposal, actor: Actor = RESIDENT) -> bool:
    """Erase the name and e-mail address; the public part of the proposal stays.

    A plain UPDATE, not a versioned one: erasing does not compete with moderation, so it
    must not turn a manager's open form stale. The event records that data was erased,
    never the data.
    """
    had = {"name": proposal.submitter_name is not None,
           "email": proposal.submitter_email is not None}
    if not any(had.values()):
        return False
    db.session.execute(
        update(Proposal).where(Proposal.id == proposal.id)
        .values(submitter_name=None, submitter_email=None,
                personal_data_erased_at=func.localtimestamp())
        .execution_options(synchronize_session=False)
    )
    db.session.expire(proposal, ["submitter_name", "submitter_email",
                                 "personal_data_erased_at"])
    workflow.record(proposal, "erase_personal_data", actor, old_status=proposal.status,
                    public=True, old_values={"had_" + k: v for k, v in had.items()})
    return True


def erase_expired_personal_data(days: int | None = None) -> int:
    """Erase personal data of proposals closed ``days`` or more days ago. Returns how many."""
    days = _config("PROPOSAL_PERSONAL_DATA_DAYS") if days is None else days
    cutoff = db_now() - timedelta(days=days)
    due = db.session.scalars(
        select(Proposal).where(
            Proposal.closed_at.is_not(None), Proposal.closed_at <= cutoff,
            or_(Proposal.submitter_name.is_not(None), Proposal.submitter_email.is_not(None)),
        ).order_by(Proposal.id)
    ).all()
    for proposal in due:
        erase_personal_data(proposal, SYSTEM)
    return len(due)


# --- the weekly digest ----------------------------------------------------------------------

def week_bounds(week: str | None) -> tuple[date, date]:
    """Monday and the next Monday of an ISO week ``2026-W48``; this week when None."""
    if week:
        try:
            monday = datetime.strptime(week + "-1", "%G-W%V-%u").date()
        except ValueError:
            raise InvalidInput(_("Write the week as YYYY-Www, e.g. 2026-W48.")) from None
    else:
        today = db_now().date()
        monday = today - timedelta(days=today.weekday())
    return monday, monday + timedelta(days=7)


def weekly_digest(user: User, start: date, end: date, level: str = "gebied"
                  ) -> list[dict[str, Any]]:
    """Per area of ``level``: proposals received in [start, end), answered, median days."""
    days = func.extract("epoch", Proposal.first_answered_at - Proposal.created_at) / 86400.0
    rows = db.session.execute(
        select(Area.code, Area.name, func.count(Proposal.id).label("received"),
               func.count(Proposal.first_answered_at).label("answered"),
               func.count(Proposal.id).filter(Proposal.status.in_(OPEN_STATUSES))
               .label("still_open"),
               func.percentile_cont(0.5).within_group(days).label("median_days"))
        .select_from(Proposal)
        .outerjoin(Area, and_(Area.level_code == level, func.ST_Covers(Area.geom, Proposal.geom)))
        .where(visible_to(user), Proposal.created_at >= start, Proposal.created_at < end)
        .group_by(Area.code, Area.name)
        .order_by(Area.code.nulls_last())
    ).all()
    return [
        {"code": r.code, "name": r.name, "received": r.received, "answered": r.answered,
         "still_open": r.still_open,
         "median_days": round(float(r.median_days), 1) if r.median_days is not None else None}
        for r in rows
    ]


def digest_levels() -> list[str]:
    return list(db.session.scalars(select(AreaLevel.code).order_by(AreaLevel.rank)))


def received_between(user: User, start: date, end: date) -> list[Proposal]:
    return list(db.session.scalars(
        select(Proposal).where(visible_to(user), Proposal.created_at >= start,
                               Proposal.created_at < end)
        .order_by(Proposal.created_at)
    ))


# --- public lists and search ----------------------------------------------------------------

def public_query(*, bbox: Sequence[float] | None = None, statuses: Sequence[str] = ("open",),
                 kinds: Sequence[str] = (), area_code: str | None = None) -> Select:
    """Proposals anyone may see (never hidden ones), ordered by id for paging."""
    wanted: set[ProposalStatus] = set()
    for status in statuses:
        if status == "open":
            wanted.update(OPEN_STATUSES)
        elif status == "all":
            wanted.update(s for s in ProposalStatus if s is not ProposalStatus.hidden)
        else:
            try:
                wanted.add(ProposalStatus(status))
            except ValueError:
                allowed = ", ".join(["open", "all"] + [s.value for s in ProposalStatus
                                                       if s is not ProposalStatus.hidden])
                raise InvalidInput(f"status must be one of {allowed}") from None
    wanted.discard(ProposalStatus.hidden)
    query = select(Proposal).where(Proposal.status.in_(wanted)).order_by(Proposal.id)
    if bbox is not None:
        query = query.where(func.ST_Intersects(Proposal.geom, bbox_envelope(bbox)))
    if kinds:
        query = query.where(Proposal.kind_code.in_(list(kinds)))
    if area_code:
        area_geom = select(Area.geom).where(Area.code == area_code).scalar_subquery()
        query = query.where(func.ST_Covers(area_geom, Proposal.geom))
    return query


def public_features(query: Select, *, limit: int, offset: int
                    ) -> tuple[list[dict[str, Any]], int]:
    """One page of public GeoJSON features (no personal data) and how many match in all."""
    matched = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    proposals = list(db.session.scalars(query.limit(limit).offset(offset)))
    counts = support_counts([p.id for p in proposals])
    photos = set(db.session.scalars(
        select(ProposalPhoto.proposal_id)
        .where(ProposalPhoto.proposal_id.in_([p.id for p in proposals]))
    )) if proposals else set()
    return [public_feature(p, counts.get(p.id, 0), p.id in photos) for p in proposals], matched


def public_feature(proposal: Proposal, supports: int, has_photo: bool) -> dict[str, Any]:
    lon, lat = lonlat(proposal)
    area = proposal.area
    return {
        "type": "Feature",
        "id": proposal.id,
        "geometry": {"type": "Point", "coordinates": [lon, lat]},
        "properties": {
            "id": proposal.id,
            "kind": proposal.kind_code,
            "kind_label_nl": proposal.kind.label_nl,
            "kind_label_en": proposal.kind.label_en,
            "status": proposal.status.value,
            "reason": proposal.reason,
            "answer": proposal.answer,
            "supports": supports,
            "area_code": area.code if area is not None else None,
            "area_name": area.name if area is not None else None,
            "place_id": proposal.place_id,
            "duplicate_of_place_id": proposal.duplicate_of_place_id,
            "duplicate_of_proposal_id": proposal.duplicate_of_proposal_id,
            "has_photo": has_photo,
            "created_at": proposal.created_at.isoformat(timespec="seconds"),
            "closed_at": proposal.closed_at.isoformat(timespec="seconds")
            if proposal.closed_at else None,
        },
    }


COORDS_RE = re.compile(r"^\s*(-?\d+(?:[.,]\d+)?)\s*[,; ]\s*(-?\d+(?:[.,]\d+)?)\s*$")


def parse_coordinates(text: str) -> tuple[float, float] | None:
    """``52.3643, 4.8350`` or ``4.8350, 52.3643`` as (lon, lat) in the Netherlands, else None."""
    match = COORDS_RE.match(text.replace(", ", ",").replace(" ,", ","))
    if not match:
        match = re.match(r"^\s*(-?\d+\.\d+)\s*,\s*(-?\d+\.\d+)\s*$", text)
    if not match:
        return None
    a, b = (float(g.replace(",", ".")) for g in match.groups())
    if in_netherlands(b, a):
        return b, a
    if in_netherlands(a, b):
        return a, b
    return None


def lookup(text: str, limit: int = 8) -> list[dict[str, Any]]:
    """Find a spot by coordinates, an address or place name, or an area name, in our own data.

    No outside geocoder: residents' searches stay on our servers.
    """
    text = _text(text)[:100]
    results: list[dict[str, Any]] = []
    coords = parse_coordinates(text)
    if coords is not None:
        results.append({"label": f"{coords[1]:.6f}, {coords[0]:.6f}", "type": "coordinates",
                        "lon": coords[0], "lat": coords[1]})
    if len(text) < 2:
        return results
    pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    places = db.session.execute(
        select(Place.name, Place.address, func.ST_X(Place.geom).label("lon"),
               func.ST_Y(Place.geom).label("lat"))
        .where(Place.status != PlaceStatus.gone,
               or_(Place.address.ilike(pattern, escape="\\"),
                   Place.name.ilike(pattern, escape="\\")))
        .order_by(Place.address.ilike(pattern, escape="\\").desc(), Place.name)
        .limit(limit)
    ).all()
    for row in places:
        label = f"{row.address} ({row.name})" if row.address else row.name
        results.append({"label": label, "type": "address", "lon": round(row.lon, 7),
                        "lat": round(row.lat, 7)})
    surface = func.ST_PointOnSurface(Area.geom)
    areas = db.session.execute(
        select(Area.name, Area.code, Area.level_code, func.ST_X(surface).label("lon"),
               func.ST_Y(surface).label("lat"))
        .join(AreaLevel)
        .where(or_(Area.name.ilike(pattern, escape="\\"), Area.code.ilike(text)))
        .order_by(AreaLevel.rank, Area.name)
        .limit(limit)
    ).all()
    for row in areas:
        results.append({"label": f"{row.name} ({row.level_code})", "type": "area",
                        "lon": round(row.lon, 7), "lat": round(row.lat, 7)})
    return results[: limit + 1]
