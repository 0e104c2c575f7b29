"""Who reads: a bearer token on the data paths (/api/, /ogc, /exports/), else the login session.

Flask-Login asks :func:`load_user_from_request` when a request carries no login session, so
``current_user`` is the token's owner on the data paths; pages never take a token.
``authenticate_bearer`` and ``challenge`` are app-wide request hooks.
"""

from __future__ import annotations

from flask import Request, Response, request
from flask_login import current_user

from placemaker.accounts.models import User
from placemaker.extensions import db, login_manager
from placemaker.tokens.service import Unauthorized, check_private_reader, user_for_token
from placemaker.web import is_data_path


def load_user_from_request(req: Request) -> User | None:
    """Flask-Login's request loader: the owner of a valid bearer token on a data path.

    :raises Unauthorized: for a header that is no bearer token, or an unknown or revoked one.
    """
    if not is_data_path(req.path):
        return None
    header = req.headers.get("Authorization", "")
    if not header:
        return None
    scheme, _, raw = header.partition(" ")
    if scheme.lower() != "bearer" or not raw.strip():
        raise Unauthorized("Send a personal API token as 'Authorization: Bearer <token>'.")
    user = user_for_token(raw.strip())
    if user is None:
        raise Unauthorized("This API token is unknown or revoked.")
    db.session.commit()  # last_used_at, before the view does anything
    return user


def current_reader() -> User | None:
    """Who reads: the logged-in user or the owner of a valid bearer token, else None."""
    if current_user.is_authenticated:
        return current_user._get_current_object()  # type: ignore[attr-defined]
    return None


def require_private_reader() -> User:
    user = current_reader()
    check_private_reader(user)
    return user  # type: ignore[return-value]


def authenticate_bearer() -> None:
    """Before each data request: load the reader now, so that bad credentials are refused
    even on public data (Flask-Login would otherwise load it only when a view asks)."""
    if is_data_path(request.path):
        login_manager._load_user()  # noqa: SLF001  (what current_user calls, done eagerly)


def challenge(response: Response) -> Response:
    """After each request: a 401 on a data path says how to authenticate."""
    if response.status_code == 401 and is_data_path(request.path):
        error = ' error="invalid_token"' if request.headers.get("Authorization") else ""
        response.headers["WWW-Authenticate"] = f'Bearer realm="placemaker"{error}'
    return response
