"""Domain exceptions and the one error format: JSON under /api/, HTML pages elsewhere."""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, jsonify, make_response, render_template, request
from werkzeug.exceptions import HTTPException

from placemaker.web import is_data_path


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


def register_error_handlers(app: Flask) -> None:
    """App-level, because routing 404/405 errors never reach blueprint handlers."""

    @app.errorhandler(PlacemakerError)
    def handle_domain_error(exc: PlacemakerError):
        return error_response(exc.status, exc.code, exc.message, exc.details)

    @app.errorhandler(HTTPException)
    def handle_http_error(exc: HTTPException):
        code = (exc.name or "error").lower().replace(" ", "_")
        response = error_response(exc.code or 500, code, exc.description or exc.name)
        # Keep what the exception says about itself (Allow on 405, Retry-After on 429).
        for key, value in exc.get_headers():
            if key.lower() != "content-type":
                response.headers[key] = value
        return response

    @app.errorhandler(Exception)
    def handle_unexpected(exc: Exception):
        app.logger.exception("unhandled error on %s %s", request.method, request.path)
        message = str(exc) if app.debug else "Something went wrong on our side."
        return error_response(500, "internal_error", message)
