"""Who reads: a bearer token on the data paths (/api/, /ogc, /exports/), else the login session.

``authenticate_bearer`` and ``challenge`` are app-wide request hooks; ``create_app`` wires them.
"""

from __future__ import annotations

from flask import Response, g, request
from flask_login import current_user

from placemaker.accounts.models import User
from placemaker.extensions import db
from placemaker.tokens.service import Unauthorized, check_private_reader, user_for_token
from placemaker.web import is_data_path


def current_reader() -> User | None:
    """Who reads: the owner of a valid bearer token, else the logged-in user, else None."""
    user = g.get("api_user")
    if user is not None:
        return user
    if current_user.is_authenticated:
        return current_user._get_current_object()  # type: ignore[attr-defined]
    return None


def require_private_reader() -> User:
    user = current_reader()
    check_private_reader(user)
    return user  # type: ignore[return-value]


def authenticate_bearer() -> None:
    """Before each request: a bearer token on a data path names the reader, or is refused."""
    g.api_user = None
    if not is_data_path(request.path):
        return None
    header = request.headers.get("Authorization", "")
    if not header:
        return None
    scheme, _, raw = header.partition(" ")
    if scheme.lower() != "bearer" or not raw.strip():
        raise Unauthorized("Send a personal API token as 'Authorization: Bearer <token>'.")
    user = user_for_token(raw.strip())
    if user is None:
        raise Unauthorized("This API token is unknown or revoked.")
    db.session.commit()  # last_used_at
    g.api_user = user
    return None


def challenge(response: Response) -> Response:
    """After each request: a 401 on a data path says how to authenticate."""
    if response.status_code == 401 and is_data_path(request.path):
        error = ' error="invalid_token"' if request.headers.get("Authorization") else ""
        response.headers["WWW-Authenticate"] = f'Bearer realm="placemaker"{error}'
    return response
