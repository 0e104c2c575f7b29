"""Gunicorn's access log without secrets: tracking links carry a token in their path.

script/server runs gunicorn with ``--logger-class placemaker.accesslog.RedactingLogger``.
"""

from __future__ import annotations

from typing import Any

from gunicorn.glogging import Logger

from placemaker.security import redact


class RedactingLogger(Logger):
    """Every logged atom (request line, path, query, referer, headers) with tokens redacted."""

    def atoms(self, resp, req, environ, request_time) -> dict[str, Any]:
        atoms = super().atoms(resp, req, environ, request_time)
        return {
            key: redact(value) if isinstance(value, str) else value for key, value in atoms.items()
        }
