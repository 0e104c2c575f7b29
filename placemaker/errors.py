"""Domain exceptions and the one error format: JSON under /api/, HTML pages elsewhere."""

from __future__ import annotations

import time
from typing import Any

from flask import Flask, Response, g, jsonify, make_response, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException

from placemaker.security import redact
from placemaker.web import is_data_path

# A database error this long after the last one starts a new outage (and logs a traceback).
OUTAGE_QUIET_SECONDS = 60

# Fields a person did not type: carried along unseen on the "send again" page.
_HIDDEN_FIELDS = frozenset({"version", "submission_key", "website", "next", "action"})


class PlacemakerError(Exception):
    """Base of the errors a user may see. ``message`` is safe to show."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, details: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class InvalidInput(PlacemakerError):
    status = 400
    code = "invalid_input"


class NotFound(PlacemakerError):
    status = 404
    code = "not_found"


class Forbidden(PlacemakerError):
    status = 403
    code = "forbidden"


class Conflict(PlacemakerError):
    """Somebody else changed the same thing first (optimistic locking, double submit)."""

    status = 409
    code = "conflict"


def _wants_json() -> bool:
    # Data paths answer in JSON; OGC pages asked for as HTML (f=html) get an error page.
    if request.path.startswith("/ogc") and request.args.get("f") == "html":
        return False
    return is_data_path(request.path)


def error_response(status: int, code: str, message: str, details: Any = None) -> Response:
    if _wants_json():
        body: dict[str, Any] = {"error": {"code": code, "message": message}}
        if details is not None:
            body["error"]["details"] = details
        return make_response(jsonify(body), status)
    html = render_template("errors/error.html", message=message, status=status, code=code)
    return make_response(html, status)


def resend_page(message: str, status: int = 400) -> Response:
    """The posted form again, with a fresh CSRF token: what was typed is never lost.

    It shows only what this request sent (escaped), never stored data, and sends nothing by
    itself: the view checks login and permissions when the person sends it again. Passwords
    are never echoed back.
    """
    hidden: list[tuple[str, str]] = []
    shown: list[tuple[str, str | None]] = []
    for name, value in request.form.items(multi=True):
        if name == "csrf_token":
            continue
        value = value.replace("\0", "")
        if "password" in name:
            shown.append((name, None))
        elif name in _HIDDEN_FIELDS or not value.strip():
            hidden.append((name, value))
        else:
            shown.append((name, value))
    html = render_template(
        "errors/resend.html",
        message=message,
        hidden=hidden,
        shown=shown,
        files=bool(request.files),
        action=request.full_path.rstrip("?"),
    )
    response = make_response(html, status)
    response.headers["Cache-Control"] = "no-store"
    return response


def csrf_message() -> str:
    return _(
        "The form was open too long or came from elsewhere. Check what you typed and "
        "send it again; your text is still here."
    )


def register_error_handlers(app: Flask) -> None:
    """App-level, because routing 404/405 errors never reach blueprint handlers."""

    @app.errorhandler(PlacemakerError)
    def handle_domain_error(exc: PlacemakerError):
        response = error_response(exc.status, exc.code, exc.message, exc.details)
        response.headers.update(getattr(exc, "headers", None) or {})
        return response

    @app.errorhandler(CSRFError)
    def handle_csrf_error(exc: CSRFError):
        if _wants_json() or request.method != "POST":
            return error_response(400, "csrf_failed", exc.description)
        return resend_page(csrf_message())

    @app.errorhandler(HTTPException)
    def handle_http_error(exc: HTTPException):
        code = (exc.name or "error").lower().replace(" ", "_")
        response = error_response(exc.code or 500, code, exc.description or exc.name)
        # Keep what the exception says about itself (Allow on 405, Retry-After on 429).
        for key, value in exc.get_headers():
            if key.lower() != "content-type":
                response.headers[key] = value
        return response

    @app.errorhandler(OperationalError)
    def handle_database_down(exc: OperationalError):
        # One line per request; the traceback once per outage, not 33 MB of them.
        now = time.monotonic()
        last = app.extensions.get("placemaker_db_outage_at")
        app.extensions["placemaker_db_outage_at"] = now
        first = last is None or now - last > OUTAGE_QUIET_SECONDS
        app.logger.error(
            "database unavailable on %s %s: %s",
            request.method,
            redact(request.path),
            str(exc.orig or exc).splitlines()[0] if str(exc) else type(exc).__name__,
            exc_info=exc if first else None,
        )
        try:
            app.extensions["sqlalchemy"].session.rollback()
        except Exception:  # noqa: BLE001  (the connection is gone; nothing to roll back)
            pass
        # The page's header asks who is logged in: without a database, nobody; and its footer
        # credits no imported sources (they are listed in the database).
        app.login_manager._update_request_context_with_user()  # type: ignore[attr-defined]
        g.data_credit = ""
        response = error_response(
            503,
            "database_unavailable",
            _("The database cannot be reached right now. Please try again in a minute."),
        )
        response.headers["Retry-After"] = "30"
        return response

    @app.errorhandler(Exception)
    def handle_unexpected(exc: Exception):
        app.logger.exception("unhandled error on %s %s", request.method, redact(request.path))
        message = str(exc) if app.debug else "Something went wrong on our side."
        return error_response(500, "internal_error", message)
