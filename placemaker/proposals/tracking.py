"""The resident's side: propose a spot, and follow it by a private tracking link."""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from flask_babel import gettext as _
from sqlalchemy import func, or_, select, update

from placemaker.areas.service import area_at
from placemaker.cases.workflow import db_now
from placemaker.errors import InvalidInput, NotFound
from placemaker.extensions import db
from placemaker.geo import point_from_lonlat
from placemaker.i18n import current_language
from placemaker.places.service import Actor, get_kind
from placemaker.proposals import workflow
from placemaker.proposals.common import (
    NAME_MAX,
    REASON_MIN,
    RESIDENT,
    SYSTEM,
    LinkExpired,
    clean_message,
    clean_text,
    digest,
    form_key,
    insert_once,
    is_email,
    parse_lonlat,
    setting,
)
from placemaker.proposals.models import (
    Proposal,
    ProposalPhoto,
    ProposalStatus,
)
from placemaker.proposals.photos import clean_photo

log = logging.getLogger(__name__)

# --- the tracking link ----------------------------------------------------------------------


def new_submission_key() -> str:
    """A one-time key for one proposal form (secrets.token_urlsafe(32): 256 random bits)."""
    return secrets.token_urlsafe(32)


def tracking_token(submission_key: str, purpose: bytes = b"proposal-tracking") -> str:
    """The private tracking token of the proposal (or report: ``purpose``) of this form key.

    Derived (HMAC with the app's secret) rather than stored, so a double submit of the same
    form shows the same receipt; only its SHA-256 hash is kept in the database.
    """
    secret = str(setting("SECRET_KEY")).encode()
    mac = hmac.new(secret, purpose + b"\0" + submission_key.encode(), hashlib.sha256)
    return base64.urlsafe_b64encode(mac.digest()).rstrip(b"=").decode()


def _sealer() -> Fernet:
    secret = str(setting("SECRET_KEY")).encode()
    key = hashlib.sha256(b"proposal-tracking-seal\0" + secret).digest()
    return Fernet(base64.urlsafe_b64encode(key))


def seal_token(token: str) -> str:
    """The tracking token encrypted and authenticated (Fernet) with a key from SECRET_KEY.

    Kept only for residents who gave an e-mail address, so that status mails can carry their
    link; a database dump alone reveals no working link, and erasure removes it.
    """
    return _sealer().encrypt(token.encode()).decode()


def unseal_token(sealed: str | None) -> str | None:
    """The tracking token of :func:`seal_token`; None when absent or sealed under another
    SECRET_KEY (the mail then points to the receipt instead)."""
    if not sealed:
        return None
    try:
        return _sealer().decrypt(sealed.encode()).decode()
    except InvalidToken:
        return None


def find_by_token(token: str) -> Proposal:
    """The proposal behind a tracking link.

    :raises NotFound: for a link we never issued.
    :raises LinkExpired: once the link's lifetime has passed.
    """
    proposal = None
    if token and len(token) <= 100:
        proposal = db.session.scalar(select(Proposal).where(Proposal.token_hash == digest(token)))
    if proposal is None:
        raise NotFound(
            _(
                "We do not know this tracking link. Check that you copied the whole "
                "link from your receipt."
            )
        )
    if proposal.token_expires_at < db_now():
        raise LinkExpired(
            _(
                "This tracking link has expired. Your proposal is still there: "
                "find it in the list of proposals, or ask the area manager."
            )
        )
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


def _check_submission(sub: Submission) -> dict[str, Any]:
    """Every field checked before anything is written; the first problem is raised."""
    kind_code = clean_text(sub.kind_code)
    try:
        get_kind(kind_code)
    except InvalidInput:
        raise InvalidInput(
            _("Choose what kind of place you propose."), details={"field": "kind"}
        ) from None
    lon, lat = parse_lonlat(sub.lon, sub.lat)
    reason = clean_text(sub.reason)
    reason_max = setting("PROPOSAL_REASON_MAX")
    if len(reason) < REASON_MIN:
        raise InvalidInput(
            _("Tell in a few words why this spot (at least %(n)d characters).", n=REASON_MIN),
            details={"field": "reason"},
        )
    if len(reason) > reason_max:
        raise InvalidInput(
            _(
                "Please keep it to %(max)d characters (you wrote %(n)d).",
                max=reason_max,
                n=len(reason),
            ),
            details={"field": "reason"},
        )
    name = clean_text(sub.name) or None
    if name and len(name) > NAME_MAX:
        raise InvalidInput(
            _("A name has at most %(max)d characters.", max=NAME_MAX), details={"field": "name"}
        )
    email = clean_text(sub.email) or None
    if email and not is_email(email):
        raise InvalidInput(
            _("This e-mail address does not look right."), details={"field": "email"}
        )
    photo = clean_photo(sub.photo, setting("PROPOSAL_PHOTO_MAX_BYTES")) if sub.photo else None
    return {
        "kind_code": kind_code,
        "lon": lon,
        "lat": lat,
        "reason": reason,
        "name": name,
        "email": email,
        "photo": photo,
    }


def submit(sub: Submission) -> Submitted:
    """Store a resident's proposal, or find the one this form already sent.

    :raises InvalidInput: naming the field at fault; nothing is stored then.
    """
    key = form_key(sub.submission_key)
    token = tracking_token(key)
    existing = by_submission(key)
    if existing is not None:
        return Submitted(existing, token, True)
    values = _check_submission(sub)
    area = area_at(values["lon"], values["lat"])
    proposal = Proposal(
        kind_code=values["kind_code"],
        geom=point_from_lonlat(values["lon"], values["lat"]),
        reason=values["reason"],
        area_id=area.id if area is not None else None,
        status=ProposalStatus.submitted,
        submitter_name=values["name"],
        submitter_email=values["email"],
        tracking_sealed=seal_token(token) if values["email"] else None,
        submitter_language=current_language(),
        token_hash=digest(token),
        token_expires_at=db_now() + timedelta(days=setting("PROPOSAL_TOKEN_DAYS")),
        submission_hash=digest(key),
    )
    earlier = insert_once(proposal, lambda: by_submission(key))
    if earlier is not None:
        return Submitted(earlier, token, True)
    if values["photo"] is not None:
        db.session.add(ProposalPhoto(proposal_id=proposal.id, **values["photo"].columns()))
    workflow.record(proposal, "submit", RESIDENT, public=True)
    # Ids only: names and e-mail addresses never go to the logs.
    log.info("proposal %s submitted (area %s)", proposal.id, area.code if area else "-")
    return Submitted(proposal, token, False)


def by_submission(key: str) -> Proposal | None:
    return db.session.scalar(select(Proposal).where(Proposal.submission_hash == digest(key)))


# --- the resident's own steps ---------------------------------------------------------------


def reply(proposal: Proposal, text: str | None, *, expected_version: int | None = None) -> None:
    """The resident answers the area manager's question; the proposal is open again."""
    workflow.apply(
        proposal, "reply", RESIDENT, clean_message(text), expected_version=expected_version
    )


def withdraw(proposal: Proposal, *, expected_version: int | None = None) -> None:
    workflow.apply(proposal, "withdraw", RESIDENT, expected_version=expected_version)


def erase_personal_data(proposal: Proposal, actor: Actor = RESIDENT) -> bool:
    """Erase the name and e-mail address; the public part of the proposal stays.

    A plain UPDATE, not a versioned one: erasing does not compete with moderation, so it
    must not turn a manager's open form stale. The event records that data was erased,
    never the data.
    """
    had = {
        "name": proposal.submitter_name is not None,
        "email": proposal.submitter_email is not None,
    }
    if not any(had.values()):
        return False
    db.session.execute(
        update(Proposal)
        .where(Proposal.id == proposal.id)
        .values(
            submitter_name=None,
            submitter_email=None,
            tracking_sealed=None,
            personal_data_erased_at=func.localtimestamp(),
        )
        .execution_options(synchronize_session=False)
    )
    db.session.expire(
        proposal,
        ["submitter_name", "submitter_email", "tracking_sealed", "personal_data_erased_at"],
    )
    workflow.record(
        proposal,
        "erase_personal_data",
        actor,
        old_status=proposal.status,
        public=True,
        old_values={"had_" + k: v for k, v in had.items()},
    )
    return True


def erase_expired_personal_data(days: int | None = None) -> int:
    """Erase personal data of proposals closed ``days`` or more days ago. Returns how many."""
    days = setting("PROPOSAL_PERSONAL_DATA_DAYS") if days is None else days
    cutoff = db_now() - timedelta(days=days)
    due = db.session.scalars(
        select(Proposal)
        .where(
            Proposal.closed_at.is_not(None),
            Proposal.closed_at <= cutoff,
            or_(Proposal.submitter_name.is_not(None), Proposal.submitter_email.is_not(None)),
        )
        .order_by(Proposal.id)
    ).all()
    for proposal in due:
        erase_personal_data(proposal, SYSTEM)
    return len(due)
