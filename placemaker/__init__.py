"""placemaker: the registry, map and gap analysis of everyday meeting places.

``create_app`` is the one place that wires the app together: extensions, blueprints,
app-wide hooks, and what each feature adds to the extension points (OGC collections,
providers, command-line tools). Features import nothing above them; see README,
"Architecture", and the import contract in ``.importlinter``.
"""

from __future__ import annotations

import os
from typing import Any

from flask import Flask


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the app: defaults, then FLASK_* environment variables, then ``test_config``."""
    app = Flask(
        __name__,
        static_folder="../static",
        template_folder="../templates",
        instance_path=os.environ.get("PLACEMAKER_INSTANCE_PATH") or None,
    )
    app.config.from_object("placemaker.config")
    app.config.from_prefixed_env()
    if test_config:
        app.config.update(test_config)

    from placemaker import security

    security.init_secret_key(app)
    security.init_proxy_fix(app)
    _init_extensions(app)
    _register_blueprints(app)
    _register_hooks(app)
    _register_features(app)
    return app


def _init_extensions(app: Flask) -> None:
    from geoalchemy2 import alembic_helpers

    from placemaker import (
        auth,
        i18n,
        models,  # noqa: F401  (every table known to autogenerate)
    )
    from placemaker.extensions import csrf, db, limiter, login_manager, migrate
    from placemaker.tokens.access import load_user_from_request

    db.init_app(app)
    migrate.init_app(
        app,
        db,
        directory=str(app.root_path + "/../migrations"),
        include_object=alembic_helpers.include_object,
        process_revision_directives=alembic_helpers.writer,
        render_item=alembic_helpers.render_item,
        compare_type=True,
    )
    login_manager.init_app(app)
    login_manager.user_loader(auth.load_user)
    login_manager.unauthorized_handler(auth.unauthorized)
    # A bearer token names the reader on the data paths (tokens.access).
    login_manager.request_loader(load_user_from_request)
    login_manager.login_view = "accounts.login"
    csrf.init_app(app)
    limiter.init_app(app)
    i18n.init_i18n(app)


def _register_blueprints(app: Flask) -> None:
    from placemaker.accounts.views import bp as accounts_bp
    from placemaker.api import openapi
    from placemaker.api.routes import bp as api_bp
    from placemaker.assets.views import bp as assets_bp
    from placemaker.conversations.views import bp as conversations_bp
    from placemaker.exports.views import bp as exports_bp
    from placemaker.extensions import csrf
    from placemaker.gaps.pages import bp as planners_bp
    from placemaker.gaps.views import api as gaps_api_bp
    from placemaker.geocoding.views import bp as geocoding_bp
    from placemaker.health import bp as health_bp
    from placemaker.ogc.views import bp as ogc_bp
    from placemaker.pages.views import bp as pages_bp
    from placemaker.proposals.api_views import bp as proposals_api_bp
    from placemaker.proposals.moderation_views import bp as moderation_bp
    from placemaker.proposals.views import bp as proposals_bp
    from placemaker.reports.views import bp as reports_bp
    from placemaker.tokens.views import bp as tokens_bp

    app.register_blueprint(health_bp)
    app.register_blueprint(accounts_bp)
    app.register_blueprint(pages_bp)
    app.register_blueprint(api_bp, url_prefix="/api")
    app.register_blueprint(gaps_api_bp, url_prefix="/api/gaps")
    app.register_blueprint(planners_bp)
    # The JSON API authenticates by token or not at all; forms elsewhere carry CSRF tokens.
    csrf.exempt(api_bp)
    csrf.exempt(gaps_api_bp)
    app.register_blueprint(tokens_bp)
    app.register_blueprint(ogc_bp, url_prefix="/ogc")
    app.register_blueprint(exports_bp)
    openapi.init_app(app)
    app.register_blueprint(proposals_bp)
    app.register_blueprint(proposals_api_bp)
    app.register_blueprint(moderation_bp)
    app.register_blueprint(assets_bp)
    app.register_blueprint(reports_bp)
    app.register_blueprint(geocoding_bp)
    app.register_blueprint(conversations_bp)
    csrf.exempt(geocoding_bp)  # GET only: address search and the pin's nearest address


def _register_hooks(app: Flask) -> None:
    """App-wide request hooks, template helpers and error handlers."""
    from placemaker.accounts.home import data_credit
    from placemaker.assets.views import asset_helpers
    from placemaker.errors import register_error_handlers
    from placemaker.ogc.views import add_cors, reject_nul_bytes
    from placemaker.pages.views import page_helpers
    from placemaker.proposals.inbox import inbox_context
    from placemaker.tokens.access import authenticate_bearer, challenge

    app.before_request(authenticate_bearer)
    app.after_request(challenge)
    app.after_request(add_cors)
    # For every path, not only ours: a NUL in any input reached PostgreSQL as a 500.
    app.before_request(reject_nul_bytes)
    app.context_processor(page_helpers)
    app.context_processor(asset_helpers)
    app.context_processor(inbox_context)  # the count of waiting proposals in the header
    # Credit lines from the sources imported (footer, map attribution).
    app.jinja_env.globals["data_credit"] = data_credit
    register_error_handlers(app)


def _register_features(app: Flask) -> None:
    """What each feature adds to the extension points, which know no feature by name."""
    from placemaker import registry
    from placemaker.accounts.home import map_credit
    from placemaker.cli import register_cli
    from placemaker.gaps import jobs as gap_jobs
    from placemaker.gaps.commands import gaps_group, import_network_command
    from placemaker.gaps.ogc import coverage_collections, suggestions_collection
    from placemaker.gaps.reach import spot_values
    from placemaker.mail import transport as mail
    from placemaker.mail.commands import mail_group
    from placemaker.mail.notices import on_place_step, on_proposal_step
    from placemaker.ogc.collections import area_collections, places_collection
    from placemaker.ogc.registry import register_collection, register_collection_source
    from placemaker.proposals.cli import erase_personal_data_command
    from placemaker.proposals.ogc import proposals_collection
    from placemaker.proposals.public import outcomes as proposal_outcomes
    from placemaker.reports.service import open_reports

    register_collection(app, places_collection())
    register_collection_source(app, area_collections)
    register_collection(app, proposals_collection())
    register_collection_source(app, coverage_collections)
    register_collection(app, suggestions_collection())

    registry.provide(app, registry.SPOT_VALUES, spot_values)
    registry.provide(app, registry.OPEN_REPORTS, open_reports)
    registry.provide(app, registry.DATA_CREDIT, map_credit)
    # residents hear of their proposal by mail, sent after the step commits
    registry.provide(app, registry.PROPOSAL_STEP, on_proposal_step)
    # and of the later steps of the place their proposal became
    registry.provide(app, registry.PLACE_STEP, on_place_step)
    # the area page tells what became of proposals made of residents' needs
    registry.provide(app, registry.PROPOSAL_OUTCOMES, proposal_outcomes)
    mail.init_outbox()
    # /healthz tells how many mails wait in the outbox
    registry.provide(app, registry.MAIL_BACKLOG, mail.backlog)
    mail.log_status(app)
    app.context_processor(mail.mail_status)  # "e-mail is off" on the moderators' pages

    register_cli(app)
    app.cli.add_command(erase_personal_data_command)
    app.cli.add_command(gaps_group)
    app.cli.add_command(import_network_command)
    app.cli.add_command(mail_group)
    # warm the gap analysis after every write (a job on the shared queue)
    gap_jobs.init_app(app)
