"""What anyone may see: open proposals, what lies near a spot, supports, search."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import logging
from collections.abc import Sequence
from typing import Any

from flask import current_app, url_for
from flask_babel import gettext as _
from geoalchemy2 import Geography
from sqlalchemy import Float, Integer, Select, cast, column, func, select, true, values
from sqlalchemy.dialects.postgresql import insert as pg_insert

from placemaker import registry
from placemaker.areas.models import Area
from placemaker.areas.service import area_at, area_properties, load_context
from placemaker.errors import InvalidInput, NotFound
from placemaker.extensions import db, get_by_id
from placemaker.geo import bbox_envelope, point_sql
from placemaker.geocoding import service as geocoding
from placemaker.i18n import in_language
from placemaker.pages.forms import STATUS_LABELS as PLACE_STATUS_LABELS
from placemaker.places.models import Place, PlaceKind, PlaceStatus
from placemaker.proposals.common import (
    clean_text,
    digest,
    excerpt,
    lonlat,
    parse_lonlat,
    setting,
    support_counts,
)
from placemaker.proposals.models import (
    OPEN_STATUSES,
    Proposal,
    ProposalEvent,
    ProposalPhoto,
    ProposalStatus,
    ProposalSupport,
)
from placemaker.proposals.workflow import STATUS_LABELS

log = logging.getLogger(__name__)


def public_proposal(proposal_id: int) -> Proposal:
    """A proposal anyone may see: not hidden."""
    proposal = get_by_id(Proposal, proposal_id)
    if proposal is None or proposal.status is ProposalStatus.hidden:
        raise NotFound(_("This proposal does not exist or is not public."))
    return proposal


def public_events(proposal: Proposal) -> list[ProposalEvent]:
    return [e for e in proposal.events if e.public]


# At most this many places, and as many proposals, are listed near one spot.
NEARBY_LIMIT = 20

Spot = tuple[float, float, int | None]  # lon, lat, a proposal to leave out (the spot's own)


def nearby(
    lon: float, lat: float, radius_m: float | None = None, *, exclude_proposal: int | None = None
) -> dict[str, list[dict[str, Any]]]:
    """Places and open proposals within ``radius_m`` metres: "is this the same one?"."""
    return nearby_many([(lon, lat, exclude_proposal)], radius_m)[0]


def nearby_many(
    spots: Sequence[Spot], radius_m: float | None = None
) -> list[dict[str, list[dict[str, Any]]]]:
    """What lies near each spot, nearest first: three queries for any number of spots."""
    if not spots:
        return []
    radius = float(radius_m if radius_m is not None else setting("PROPOSAL_NEARBY_M"))
    points = values(
        column("spot", Integer),
        column("lon", Float),
        column("lat", Float),
        column("exclude", Integer),
        name="spots",
    ).data(
        [
            (i, lon, lat, exclude or 0)  # ids start at 1: 0 leaves none out
            for i, (lon, lat, exclude) in enumerate(spots)
        ]
    )
    here = cast(point_sql(points.c.lon, points.c.lat), Geography)
    place_distance = func.ST_Distance(cast(Place.geom, Geography), here)
    near_places = (
        select(
            Place.id,
            Place.name,
            Place.address,
            PlaceKind.label_nl,
            PlaceKind.label_en,
            place_distance.label("distance"),
            func.ST_X(Place.geom).label("lon"),
            func.ST_Y(Place.geom).label("lat"),
        )
        .join(PlaceKind, PlaceKind.code == Place.kind_code)
        .where(
            Place.status != PlaceStatus.gone,
            func.ST_DWithin(cast(Place.geom, Geography), here, radius),
        )
        .order_by(place_distance)
        .limit(NEARBY_LIMIT)
        .lateral("near_places")
    )
    proposal_distance = func.ST_Distance(cast(Proposal.geom, Geography), here)
    near_proposals = (
        select(
            Proposal.id,
            Proposal.reason,
            Proposal.created_at,
            PlaceKind.label_nl,
            PlaceKind.label_en,
            proposal_distance.label("distance"),
            func.ST_X(Proposal.geom).label("lon"),
            func.ST_Y(Proposal.geom).label("lat"),
        )
        .join(PlaceKind, PlaceKind.code == Proposal.kind_code)
        .where(
            Proposal.status.in_(OPEN_STATUSES),
            func.ST_DWithin(cast(Proposal.geom, Geography), here, radius),
            Proposal.id != points.c.exclude,
        )
        .order_by(proposal_distance)
        .limit(NEARBY_LIMIT)
        .lateral("near_proposals")
    )
    out: list[dict[str, list[dict[str, Any]]]] = [{"places": [], "proposals": []} for _ in spots]
    for r in db.session.execute(
        select(points.c.spot, near_places)
        .select_from(points.join(near_places, true()))
        .order_by(points.c.spot, near_places.c.distance)
    ):
        out[r.spot]["places"].append(
            {
                "id": r.id,
                "name": r.name,
                "address": r.address,
                "kind": in_language(r.label_nl, r.label_en),
                "distance_m": round(r.distance),
                "lon": round(r.lon, 7),
                "lat": round(r.lat, 7),
            }
        )
    rows = db.session.execute(
        select(points.c.spot, near_proposals)
        .select_from(points.join(near_proposals, true()))
        .order_by(points.c.spot, near_proposals.c.distance)
    ).all()
    counts = support_counts(list({r.id for r in rows}))
    for r in rows:
        out[r.spot]["proposals"].append(
            {
                "id": r.id,
                "kind": in_language(r.label_nl, r.label_en),
                "reason": excerpt(r.reason),
                "distance_m": round(r.distance),
                "supports": counts.get(r.id, 0),
                "lon": round(r.lon, 7),
                "lat": round(r.lat, 7),
            }
        )
    return out


def spot_context(lon: Any, lat: Any, kind_code: str | None = None) -> dict[str, Any]:
    """What a resident sees while choosing a spot: area, cohesion, neighbours, gap value."""
    lon_f, lat_f = parse_lonlat(lon, lat)
    area = area_at(lon_f, lat_f)
    area_info = None
    if area is not None:
        ctx = load_context()
        props = area_properties(ctx, ctx.nodes[area.id], {})
        area_info = {key: props[key] for key in ("code", "name", "level", "ancestors", "cohesion")}
    return {
        "lon": lon_f,
        "lat": lat_f,
        "area": area_info,
        "radius_m": setting("PROPOSAL_NEARBY_M"),
        "nearby": nearby(lon_f, lat_f),
        "gap": gap_value(lon_f, lat_f, kind_code),
    }


def gap_value(lon: float, lat: float, kind_code: str | None) -> dict[str, Any] | None:
    """How many residents without a nearby meeting place a place here would reach."""
    return gap_values([(lon, lat, kind_code)])[0]


def gap_values(spots: Sequence[tuple[float, float, str | None]]) -> list[dict[str, Any] | None]:
    """:func:`gap_value` of many spots (lon, lat, kind code) in one evaluation.

    Asks whichever feature provides :data:`placemaker.registry.SPOT_VALUES` (the gap
    analysis), with the walking distance of each proposed kind. None where none does or it
    cannot answer: proposing and moderating never depend on it.
    """
    evaluate = registry.provider(registry.SPOT_VALUES)
    if evaluate is None or not spots:
        return [None] * len(spots)
    codes = {code for _lon, _lat, code in spots if code}
    radius = (
        {
            k.code: float(k.walking_distance_m)
            for k in db.session.scalars(select(PlaceKind).where(PlaceKind.code.in_(codes)))
        }
        if codes
        else {}
    )
    try:
        results = evaluate([(lon, lat, radius.get(code or "")) for lon, lat, code in spots])
    except Exception:  # the gap analysis must never stop a resident from proposing
        log.warning("gap value unavailable at a proposed spot", exc_info=True)
        return [None] * len(spots)
    return [_gap(result) for result in results]


def _gap(result: dict[str, Any] | None) -> dict[str, Any] | None:
    if result is None or (residents := result.get("new_residents_reached")) is None:
        return None
    return {"residents": int(round(float(residents))), "radius_m": result.get("radius_m")}


# --- supporting -----------------------------------------------------------------------------


def network_hash(address: str | None, secret: str) -> str | None:
    """A keyed hash of the network an address belongs to (IPv4 /24, IPv6 /56)."""
    try:
        ip = ipaddress.ip_address((address or "").strip())
    except ValueError:
        return None
    prefix = 24 if ip.version == 4 else 56
    network = ipaddress.ip_network(f"{ip}/{prefix}", strict=False)
    return hmac.new(secret.encode(), f"net\0{network}".encode(), hashlib.sha256).hexdigest()


def support(
    proposal: Proposal,
    supporter_id: str,
    *,
    network: str | None = None,
    per_network: int | None = None,
) -> tuple[bool, int]:
    """Add one person's support. Returns whether it was new, and the count.

    :param network: :func:`network_hash` of where the support comes from.
    :param per_network: at most this many supports for one proposal from one network.
    :raises InvalidInput: when the proposal is closed, or its network gave enough supports.
    """
    if proposal.status not in OPEN_STATUSES:
        raise InvalidInput(_("This proposal is closed; it can no longer be supported."))
    supporter = digest("support\0" + supporter_id)
    known = db.session.scalar(
        select(ProposalSupport.id).where(
            ProposalSupport.proposal_id == proposal.id, ProposalSupport.supporter_hash == supporter
        )
    )
    if known is None and network and per_network:
        # Clearing cookies makes a new supporter; it does not make a new network.
        from_network = db.session.scalar(
            select(func.count())
            .select_from(ProposalSupport)
            .where(
                ProposalSupport.proposal_id == proposal.id, ProposalSupport.network_hash == network
            )
        )
        if (from_network or 0) >= per_network:
            raise InvalidInput(
                _(
                    "This proposal has received many supports from your network "
                    "already; yours was not counted again."
                )
            )
    added = db.session.execute(
        pg_insert(ProposalSupport)
        .values(proposal_id=proposal.id, supporter_hash=supporter, network_hash=network)
        .on_conflict_do_nothing(index_elements=["proposal_id", "supporter_hash"])
        .returning(ProposalSupport.id)
    ).scalar_one_or_none()
    return added is not None, support_counts([proposal.id]).get(proposal.id, 0)


def support_bursts(proposal_id: int, threshold: int = 3) -> list[int]:
    """For moderators: the sizes of groups of ``threshold`` or more supports from one network."""
    rows = (
        db.session.execute(
            select(func.count())
            .select_from(ProposalSupport)
            .where(
                ProposalSupport.proposal_id == proposal_id,
                ProposalSupport.network_hash.is_not(None),
            )
            .group_by(ProposalSupport.network_hash)
            .having(func.count() >= threshold)
            .order_by(func.count().desc())
        )
        .scalars()
        .all()
    )
    return list(rows)


# --- public lists and search ----------------------------------------------------------------


def public_query(
    *,
    bbox: Sequence[float] | None = None,
    statuses: Sequence[str] = ("open",),
    kinds: Sequence[str] = (),
    area_code: str | None = None,
) -> Select:
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
                allowed = ", ".join(
                    ["open", "all"]
                    + [s.value for s in ProposalStatus if s is not ProposalStatus.hidden]
                )
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


def public_features(query: Select, *, limit: int, offset: int) -> tuple[list[dict[str, Any]], int]:
    """One page of public GeoJSON features (no personal data) and how many match in all."""
    matched = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    proposals = list(db.session.scalars(query.limit(limit).offset(offset)))
    counts = support_counts([p.id for p in proposals])
    photos = (
        set(
            db.session.scalars(
                select(ProposalPhoto.proposal_id).where(
                    ProposalPhoto.proposal_id.in_([p.id for p in proposals])
                )
            )
        )
        if proposals
        else set()
    )
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
            if proposal.closed_at
            else None,
        },
    }


def outcomes(ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    """What became of proposals, for pages that link to them (the area page's "what we heard
    — what we did"): their status and the place they became or joined, in two queries."""
    if not ids:
        return {}
    proposals = list(db.session.scalars(select(Proposal).where(Proposal.id.in_(list(ids)))))
    place_ids = {p.place_id or p.duplicate_of_place_id for p in proposals} - {None}
    found = (
        {
            place.id: place
            for place in db.session.scalars(select(Place).where(Place.id.in_(place_ids)))
        }
        if place_ids
        else {}
    )
    out: dict[int, dict[str, Any]] = {}
    for p in proposals:
        shown = p.status is not ProposalStatus.hidden
        place = found.get(p.place_id or p.duplicate_of_place_id or 0) if shown else None
        out[p.id] = {
            "status": str(STATUS_LABELS[p.status]),
            "public": shown,
            "url": url_for("proposals.show", proposal_id=p.id) if shown else None,
            "place_name": place.name if place else None,
            "place_status": str(PLACE_STATUS_LABELS[place.status.value]) if place else None,
            "place_url": url_for("pages.place_detail", place_id=place.id) if place else None,
        }
    return out


def lookup(text: str, limit: int = 8) -> list[dict[str, Any]]:
    """Find a spot by coordinates, an address, postcode or street, a place or an area."""
    found = geocoding.from_config(current_app.config).search(clean_text(text), limit)
    return [f.as_dict() for f in found]
