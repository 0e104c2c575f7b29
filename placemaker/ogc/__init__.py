"""OGC API – Features for planners' GIS clients, over a registry other features add to."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register /ogc, /exports, the built-in collections (places, areas per level), CORS and
    the NUL-byte guard."""
    from placemaker.exports.views import bp as exports_bp
    from placemaker.ogc.collections import register_builtin_collections
    from placemaker.ogc.views import add_cors, reject_nul_bytes
    from placemaker.ogc.views import bp as ogc_bp

    app.register_blueprint(ogc_bp, url_prefix="/ogc")
    app.register_blueprint(exports_bp)
    register_builtin_collections(app)
    app.after_request(add_cors)
    # For every path, not only ours: a NUL in any input reached PostgreSQL as a 500.
    app.before_request(reject_nul_bytes)
