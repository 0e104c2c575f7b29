"""Residents propose a spot for a meeting place; area managers moderate the proposals."""

from __future__ import annotations

from flask import Flask

# Defaults; a deployment overrides any of them with FLASK_* environment variables.
DEFAULTS = {
    # Per IP address, counted in Redis so all workers share them (Flask-Limiter syntax).
    "PROPOSAL_RATE_LIMIT": "10 per hour;30 per day",
    "SUPPORT_RATE_LIMIT": "60 per hour",
    "PROPOSAL_TRACKING_RATE_LIMIT": "120 per hour",
    # How long a tracking link works, and how long after closing personal data is kept.
    "PROPOSAL_TOKEN_DAYS": 365,
    "PROPOSAL_PERSONAL_DATA_DAYS": 30,
    "PROPOSAL_PHOTO_MAX_BYTES": 5 * 1024 * 1024,
    "PROPOSAL_REASON_MAX": 1000,
    # "Is this the same one?": places and proposals this close to the spot, in metres.
    "PROPOSAL_NEARBY_M": 75,
}


def init_app(app: Flask) -> None:
    """Register the blueprint and fill in the settings the deployment left out."""
    for key, value in DEFAULTS.items():
        app.config.setdefault(key, value)
    from placemaker.proposals.moderation_views import bp as moderation_bp
    from placemaker.proposals.views import bp

    app.register_blueprint(bp)
    app.register_blueprint(moderation_bp)
