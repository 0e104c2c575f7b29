"""Creating, revoking and checking personal API tokens."""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from placemaker.accounts.models import Role, User
from placemaker.errors import Forbidden, InvalidInput, NotFound, PlacemakerError
from placemaker.extensions import db
from placemaker.tokens.models import ApiToken

TOKEN_PREFIX = "pm_"
NAME_MAX = 100
# Who may hold a token and read what is not public.
READER_ROLES = frozenset({Role.planner, Role.admin})
# last_used_at is a hint for the owner, not an audit log: one write a minute is plenty.
LAST_USED_RESOLUTION = timedelta(minutes=1)


class Unauthorized(PlacemakerError):
    """No credentials, or credentials we do not accept (sent with WWW-Authenticate)."""

    status = 401
    code = "unauthorized"


def _now() -> datetime:
    # Stored naive, in UTC, like the other timestamps (the database runs in UTC).
    return datetime.now(UTC).replace(tzinfo=None)


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def may_hold_tokens(user: User) -> bool:
    return user.active and user.role in READER_ROLES


def create_token(user: User, name: str) -> tuple[ApiToken, str]:
    """A new token for ``user``; the plain token is returned once and never stored.

    :raises Forbidden: for roles that may not hold tokens.
    :raises InvalidInput: for a missing or over-long name.
    """
    if not may_hold_tokens(user):
        raise Forbidden("Only planners and admins can create API tokens.")
    name = (name or "").strip()
    if not name:
        raise InvalidInput("Give the token a name, so you know later where it is used.")
    if len(name) > NAME_MAX:
        raise InvalidInput(f"A token name has at most {NAME_MAX} characters.")
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user_id=user.id, name=name, token_hash=hash_token(raw), prefix=raw[:10])
    db.session.add(token)
    db.session.flush()
    return token, raw


def visible_tokens(user: User) -> list[ApiToken]:
    """A user's own tokens; an admin sees everybody's, to revoke those of people who left."""
    query = select(ApiToken).order_by(
        ApiToken.revoked_at.is_not(None), ApiToken.created_at.desc(), ApiToken.id.desc()
    )
    if user.role != Role.admin:
        query = query.where(ApiToken.user_id == user.id)
    return list(db.session.scalars(query))


def revoke_token(token_id: int, by: User) -> ApiToken:
    """Revoke a token of one's own (admins: anybody's). Revoking twice changes nothing.

    :raises NotFound: when the token does not exist or is not the user's to see.
    """
    token = db.session.get(ApiToken, token_id)
    if token is None or (token.user_id != by.id and by.role != Role.admin):
        raise NotFound("This token does not exist.")
    if token.revoked_at is None:
        token.revoked_at = _now()
        db.session.flush()
    return token


def user_for_token(raw: str) -> User | None:
    """The active user a token belongs to, or None for unknown, revoked or disabled ones."""
    if not raw.startswith(TOKEN_PREFIX) or len(raw) > 200:
        return None
    token = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(raw)))
    if token is None or token.revoked_at is not None or not token.user.active:
        return None
    now = _now()
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
        token.last_used_at = now
        db.session.flush()
    return token.user


def check_private_reader(user: User | None) -> None:
    """May ``user`` read data that is not public?

    :raises Unauthorized: without a user (send a token).
    :raises Forbidden: for users whose role does not read private data.
    """
    if user is None:
        raise Unauthorized(
            "This data is not public: send a personal API token (Authorization: Bearer …)."
        )
    if user.role not in READER_ROLES:
        raise Forbidden("Only planners and admins may read this data.")
