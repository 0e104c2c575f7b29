"""Every model, imported in one place so Alembic and the CLI see all tables."""

from placemaker.accounts.models import AreaAssignment, Role, User
from placemaker.areas.models import Area, AreaIndicator, AreaLevel, CohesionScore, Indicator
from placemaker.assets.models import PlaceCheck
from placemaker.cache import DataVersion
from placemaker.conversations.models import Conversation, Need, RungAssessment
from placemaker.gaps.models import GapLayer, GapLayerFeature, GapScenario, WalkEdge, WalkNode
from placemaker.geocoding.models import Address
from placemaker.mail.models import OutboxMail
from placemaker.places.models import Place, PlaceChange, PlaceKind, PlaceStatus
from placemaker.proposals.models import (
    Proposal,
    ProposalEvent,
    ProposalPhoto,
    ProposalStatus,
    ProposalSupport,
)
from placemaker.reports.models import PlaceReport, PlaceReportEvent, PlaceReportPhoto
from placemaker.tokens.models import ApiToken

__all__ = [
    "Address",
    "ApiToken",
    "Area",
    "AreaAssignment",
    "AreaIndicator",
    "AreaLevel",
    "CohesionScore",
    "DataVersion",
    "Conversation",
    "GapLayer",
    "GapLayerFeature",
    "GapScenario",
    "WalkEdge",
    "WalkNode",
    "Indicator",
    "Need",
    "OutboxMail",
    "Place",
    "PlaceChange",
    "PlaceCheck",
    "PlaceKind",
    "PlaceReport",
    "PlaceReportEvent",
    "PlaceReportPhoto",
    "PlaceStatus",
    "Proposal",
    "ProposalEvent",
    "ProposalPhoto",
    "ProposalStatus",
    "ProposalSupport",
    "Role",
    "RungAssessment",
    "User",
]
