"""placemaker: the registry, map and gap analysis of everyday meeting places."""

from __future__ import annotations

from typing import Any

from flask import Flask


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the app: defaults, then FLASK_* environment variables, then ``test_config``."""
    app = Flask(__name__, static_folder="../static", template_folder="../templates")
    app.config.from_object("placemaker.config")
    app.config.from_prefixed_env()
    if test_config:
        app.config.update(test_config)

    from placemaker import extensions

    extensions.db.init_app(app)
    _init_migrate(app)
    extensions.login_manager.init_app(app)
    from placemaker import auth  # noqa: F401  (registers the user loader)

    extensions.login_manager.login_view = "accounts.login"
    extensions.csrf.init_app(app)
    extensions.limiter.init_app(app)

    from placemaker.i18n import init_i18n

    init_i18n(app)

    from placemaker.accounts.views import bp as accounts_bp
    from placemaker.api.routes import bp as api_bp
    from placemaker.gaps.pages import bp as planners_bp
    from placemaker.gaps.views import api as gaps_api_bp
    from placemaker.health import bp as health_bp
    from placemaker.pages.views import bp as pages_bp

    app.register_blueprint(health_bp)
    app.register_blueprint(accounts_bp)
    app.register_blueprint(pages_bp)
    app.register_blueprint(api_bp, url_prefix="/api")
    app.register_blueprint(gaps_api_bp, url_prefix="/api/gaps")
    app.register_blueprint(planners_bp)
    # The JSON API authenticates by token or not at all; forms elsewhere carry CSRF tokens.
    extensions.csrf.exempt(api_bp)
    extensions.csrf.exempt(gaps_api_bp)

    from placemaker import ogc, tokens
    from placemaker.api import openapi

    tokens.init_app(app)
    ogc.init_app(app)
    openapi.init_app(app)

    from placemaker import proposals, registry
    from placemaker.gaps.results import spot_value

    proposals.init_app(app)
    registry.provide(app, registry.SPOT_VALUE, spot_value)

    from placemaker.errors import register_error_handlers

    register_error_handlers(app)

    from placemaker.cli import register_cli

    register_cli(app)
    return app


def _init_migrate(app: Flask) -> None:
    from geoalchemy2 import alembic_helpers

    from placemaker import models  # noqa: F401  (every table known to autogenerate)
    from placemaker.extensions import db, migrate

    migrate.init_app(
        app,
        db,
        directory=str(app.root_path + "/../migrations"),
        include_object=alembic_helpers.include_object,
        process_revision_directives=alembic_helpers.writer,
        render_item=alembic_helpers.render_item,
        compare_type=True,
    )
