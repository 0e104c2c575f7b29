"""The public JSON of residents' proposals (/api/proposals): no personal data in it."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify
from marshmallow import fields

from placemaker.edge import (
    GEOJSON,
    Args,
    Bbox,
    CommaList,
    DataChoice,
    Lat,
    Lon,
    Paging,
    Text,
    endpoint,
    feature_collection_schema,
    ref,
)
from placemaker.proposals import common, public
from placemaker.proposals.models import ProposalStatus
from placemaker.proposals.page_parts import has_photo
from placemaker.web import geojson_response, paged_collection

bp = Blueprint("proposals_api", __name__)


def _statuses() -> list[str]:
    return ["open", "all"] + [s.value for s in ProposalStatus if s is not ProposalStatus.hidden]


class ListArgs(Paging):
    bbox = Bbox()
    status = CommaList(
        fields.String(validate=DataChoice(_statuses)),
        "open (default), all, or statuses (comma-separated)",
    )
    kind = CommaList(fields.String(), "Only these kinds (comma-separated or repeated)")
    area = Text("Only proposals inside the area with this code")


class ContextArgs(Args):
    lon = Lon()
    lat = Lat()
    kind = Text("Kind of place proposed")


class LookupArgs(Args):
    q = Text("What to look for", load_default="")


@bp.get("/api/proposals")
@endpoint(
    "proposals",
    "Proposals anyone may see, as GeoJSON, paged",
    args=ListArgs,
    media_type=GEOJSON,
    operation_id="listProposals",
    response=feature_collection_schema(
        number_matched={"type": "integer"},
        number_returned={"type": "integer"},
        links={"type": "array", "items": ref("Link")},
    ),
)
def api_list(args: dict):
    config = current_app.config
    limit = min(args.get("limit") or config["API_PAGE_SIZE"], config["API_MAX_PAGE_SIZE"])
    query = public.public_query(
        bbox=args.get("bbox"),
        statuses=args.get("status") or ["open"],
        kinds=args.get("kind", []),
        area_code=args.get("area"),
    )
    features, matched = public.public_features(query, limit=limit, offset=args["offset"])
    return paged_collection(features, matched, offset=args["offset"], limit=limit)


@bp.get("/api/proposals/<int:proposal_id>")
@endpoint(
    "proposals",
    "One proposal with its public history",
    response={"type": "object"},
    media_type=GEOJSON,
    errors=(404,),
    path={"proposal_id": "Proposal number"},
    operation_id="getProposal",
)
def api_get(proposal_id: int):
    proposal = public.public_proposal(proposal_id)
    feature = public.public_feature(
        proposal, common.support_counts([proposal.id]).get(proposal.id, 0), has_photo(proposal.id)
    )
    feature["properties"]["history"] = [
        {
            "at": e.at.isoformat(timespec="seconds"),
            "action": e.action,
            "status": e.new_status,
            "message": e.reason if e.action != "reply" else None,
        }
        for e in public.public_events(proposal)
    ]
    return geojson_response(feature)


@bp.get("/api/proposals/context")
@endpoint(
    "proposals",
    "What a resident sees while choosing a spot: area, cohesion, places nearby, gap value",
    args=ContextArgs,
    response={"type": "object"},
    operation_id="proposalContext",
)
def api_context(args: dict):
    return jsonify(public.spot_context(args["lon"], args["lat"], args.get("kind")))


@bp.get("/api/proposals/lookup")
@endpoint(
    "proposals",
    "Find a spot by address, area name or coordinates",
    args=LookupArgs,
    operation_id="proposalLookup",
    response={
        "type": "object",
        "required": ["results"],
        "properties": {"results": {"type": "array", "items": {"type": "object"}}},
    },
)
def api_lookup(args: dict):
    return jsonify(results=public.lookup(args["q"]))
