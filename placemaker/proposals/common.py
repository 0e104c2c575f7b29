"""What the proposal modules share: limits, text cleaning, one proposal, support counts."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask_babel import gettext as _
from geoalchemy2.shape import to_shape
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from placemaker.errors import InvalidInput, NotFound, PlacemakerError
from placemaker.extensions import db, get_by_id
from placemaker.geo import in_netherlands
from placemaker.i18n import in_language
from placemaker.places.models import PlaceKind
from placemaker.places.service import Actor
from placemaker.proposals.models import (
    Proposal,
    ProposalSupport,
)

REASON_MIN = 10
NAME_MAX = 100
EMAIL_MAX = 254
MESSAGE_MAX = 2000
KEY_RE = re.compile(r"^[A-Za-z0-9_-]{43}$")
RESIDENT = Actor("resident")
SYSTEM = Actor("system: automatic erasure")


def form_key(raw: str | None) -> str:
    """The one-time key of a resident's form (the tracking link derives from it), cleaned.

    :raises InvalidInput: on the form as a whole when it carries no valid key.
    """
    key = clean_text(raw)
    if not KEY_RE.match(key):
        raise InvalidInput(
            _("This form is out of date. Reload the page and send it again."),
            details={"field": "form"},
        )
    return key


def is_email(text: str) -> bool:
    """An address we can write to (syntax only: no DNS look-up while a resident waits)."""
    try:
        validate_email(text, check_deliverability=False)
    except EmailNotValidError:
        return False
    return len(text) <= EMAIL_MAX


class LinkExpired(PlacemakerError):
    status = 410
    code = "expired"


def digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def setting(name: str) -> Any:
    return current_app.config[name]


def clean_text(value: Any) -> str:
    # PostgreSQL text cannot hold NUL; other control characters (but newlines) are noise.
    text = str(value or "").replace("\r\n", "\n")
    return "".join(c for c in text if c in "\n\t" or c >= " ").strip()


def lonlat(proposal: Proposal) -> tuple[float, float]:
    point = to_shape(proposal.geom)
    return round(point.x, 7), round(point.y, 7)


def kind_label(kind: PlaceKind) -> str:
    return in_language(kind.label_nl, kind.label_en)


def get_proposal(proposal_id: int) -> Proposal:
    proposal = get_by_id(Proposal, proposal_id)
    if proposal is None:
        raise NotFound(_("This proposal does not exist."))
    return proposal


def excerpt(text: str, length: int = 140) -> str:
    return text if len(text) <= length else text[: length - 1].rstrip() + "…"


def support_counts(ids: Sequence[int]) -> dict[int, int]:
    if not ids:
        return {}
    rows = db.session.execute(
        select(ProposalSupport.proposal_id, func.count())
        .where(ProposalSupport.proposal_id.in_(list(ids)))
        .group_by(ProposalSupport.proposal_id)
    )
    return {pid: count for pid, count in rows}


def clean_message(text: str | None) -> str | None:
    text = clean_text(text) or None
    if text and len(text) > MESSAGE_MAX:
        raise InvalidInput(
            _(
                "Please keep it to %(max)d characters (you wrote %(n)d).",
                max=MESSAGE_MAX,
                n=len(text),
            ),
            details={"field": "reason"},
        )
    return text


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
        raise InvalidInput(
            _("The spot's coordinates are not numbers."), details={"field": "location"}
        ) from None
    if not (lon_f == lon_f and lat_f == lat_f) or not in_netherlands(lon_f, lat_f):
        raise InvalidInput(
            _("This spot lies outside the Netherlands. Please choose a spot in the Netherlands."),
            details={"field": "location"},
        )
    return lon_f, lat_f


R = TypeVar("R")


def insert_once(row: R, stored_by_other: Callable[[], R | None]) -> R | None:
    """Store ``row`` (a resident's form); None when it was stored.

    The same form sent twice at the same moment loses on the unique submission key: then the
    row the other request stored is returned instead (and ``row`` is not kept).
    """
    try:
        with db.session.begin_nested():
            db.session.add(row)
            db.session.flush()
    except IntegrityError:
        existing = stored_by_other()
        if existing is None:
            raise
        return existing
    return None
