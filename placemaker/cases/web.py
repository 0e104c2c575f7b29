"""What the residents' cases' pages share on the HTTP side."""

from __future__ import annotations

from flask import Blueprint, Response, request


def keep_tracking_links_private(bp: Blueprint, tracking_endpoints: str | None = None) -> None:
    """Tracking links carry a secret: never send it on as a Referer (tiles, outside links).

    Every page of ``bp`` sends no Referer to other sites; the tracking pages (endpoints that
    start with ``tracking_endpoints``) send none at all and are neither stored nor indexed.
    """

    @bp.after_request
    def _privacy_headers(response: Response) -> Response:
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if (
            tracking_endpoints
            and request.endpoint
            and request.endpoint.startswith(tracking_endpoints)
        ):
            response.headers["Referrer-Policy"] = "no-referrer"
            response.headers["Cache-Control"] = "no-store"
            response.headers["X-Robots-Tag"] = "noindex"
        return response
