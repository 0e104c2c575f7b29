"""Login requirements: who is logged in (``load_user``), roles, and the answer to strangers.

``create_app`` hands ``load_user`` and ``unauthorized`` to Flask-Login.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import redirect, request, url_for
from flask_login import current_user, login_required

from placemaker.accounts.models import Role, User
from placemaker.errors import Forbidden, error_response
from placemaker.extensions import db
from placemaker.web import is_data_path

F = TypeVar("F", bound=Callable[..., Any])

__all__ = ["login_required", "role_required"]


def load_user(user_id: str) -> User | None:
    """The user of a session cookie ("id:session_version"), unless that session was ended."""
    ident, _, version = user_id.partition(":")
    if not ident.isdigit() or not version.isdigit():
        return None  # also cookies from before session versions: log in again
    user = db.session.get(User, int(ident))
    if user is None or not user.active or user.session_version != int(version):
        return None
    return user


def role_required(*roles: Role | str) -> Callable[[F], F]:
    """Only logged-in users with one of these roles (admins always pass)."""
    wanted = {Role(r) for r in roles} | {Role.admin}

    def decorator(view: F) -> F:
        @wraps(view)
        @login_required
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if current_user.role not in wanted:
                raise Forbidden("Your role may not do this.")
            return view(*args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorator


def unauthorized():
    """The API answers 401 in JSON; pages send the visitor to the login form."""
    if is_data_path(request.path):
        return error_response(401, "unauthorized", "Log in or send an API token to do this.")
    return redirect(url_for("accounts.login", next=request.full_path.rstrip("?")))
