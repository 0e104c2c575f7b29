"""Residents' proposals as an OGC API collection: public fields only, never personal data."""

from __future__ import annotations

from placemaker.extensions import MAX_ID, get_by_id
from placemaker.ogc.params import interval_clause
from placemaker.ogc.registry import (
    Collection,
    Extent,
    Feature,
    ItemQuery,
    Property,
    table_extent,
    utc_stamps,
)
from placemaker.proposals import public
from placemaker.proposals.models import Proposal, ProposalStatus

STAMPS = ("created_at", "closed_at")
PROPERTIES = (
    Property("id", "integer", "Proposal number"),
    Property("kind", "string", "Kind of meeting place proposed", queryable=True),
    Property("kind_label_nl", "string", "Kind, in Dutch"),
    Property("kind_label_en", "string", "Kind, in English"),
    Property(
        "status",
        "string",
        "Where the proposal stands",
        queryable=True,
        enum=tuple(s.value for s in ProposalStatus if s is not ProposalStatus.hidden),
    ),
    Property("reason", "string", "Why the resident proposes it"),
    Property("answer", "string", "The area manager's answer"),
    Property("supports", "integer", "How many residents support it"),
    Property("area_code", "string", "Area it lies in", queryable=True),
    Property("area_name", "string", "Name of that area"),
    Property("place_id", "integer", "The place it became, once approved"),
    Property("duplicate_of_place_id", "integer", "The place it duplicates"),
    Property("duplicate_of_proposal_id", "integer", "The proposal it duplicates"),
    Property("has_photo", "boolean", "Whether a photo came with it"),
    Property("created_at", "date-time", "When it was proposed (UTC)"),
    Property("closed_at", "date-time", "When it was closed (UTC)"),
)


def proposals_collection() -> Collection:
    return Collection(
        id="proposals",
        title="Residents' proposals",
        description="Spots residents proposed for a new meeting place, with their status "
        "and answer. Public fields only: no names, e-mail addresses or photos.",
        geometry_type="Point",
        properties=PROPERTIES,
        items=proposal_items,
        item=proposal_item,
        extent=proposal_extent,
        temporal_property="created_at",
        keywords=("proposals", "voorstellen"),
    )


def proposal_items(query: ItemQuery) -> tuple[list[Feature], int]:
    filters = dict(query.filters)
    statement = public.public_query(
        bbox=query.bbox,
        statuses=[filters.pop("status")] if "status" in filters else ("all",),
        kinds=[filters.pop("kind")] if "kind" in filters else (),
        area_code=filters.pop("area_code", None),
    )
    if query.datetime is not None:
        statement = statement.where(interval_clause(Proposal.created_at, query.datetime))
    limit = query.limit if query.limit is not None else MAX_ID
    features, matched = public.public_features(statement, limit=limit, offset=query.offset)
    return [utc_stamps(f, *STAMPS) for f in features], matched


def proposal_item(feature_id: str) -> Feature | None:
    if get_by_id(Proposal, feature_id) is None:
        return None
    statement = public.public_query(statuses=("all",)).where(Proposal.id == int(feature_id))
    features, _ = public.public_features(statement, limit=1, offset=0)
    return utc_stamps(features[0], *STAMPS) if features else None


def proposal_extent() -> Extent:
    return table_extent(
        Proposal.geom, Proposal.created_at, Proposal.status != ProposalStatus.hidden
    )
