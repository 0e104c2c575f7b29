"""GET /healthz: each dependency (database, Redis) with its state; 503 when a required one is down.

Which ones are required is HEALTH_REQUIRED (default: the database). Without Redis the app
still serves: rate limits count per worker and caches are skipped, so /healthz then says
"degraded" with 200 and a load balancer keeps the server in. It also tells how many mails
wait in the outbox and how old the oldest is: for monitoring, never a reason to fail.
"""

from __future__ import annotations

from typing import Any

import redis
from flask import Blueprint, current_app, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from placemaker import cache, registry
from placemaker.extensions import db

bp = Blueprint("health", __name__)


def database_state() -> dict[str, Any]:
    try:
        row = db.session.execute(
            text("SELECT version() AS pg, postgis_full_version() AS postgis")
        ).one()
    except SQLAlchemyError as exc:
        db.session.rollback()
        return {"ok": False, "error": type(exc).__name__}
    postgis = row.postgis.split('"')[1] if '"' in row.postgis else row.postgis
    return {"ok": True, "version": row.pg.split(",")[0], "postgis": postgis}


def redis_state() -> dict[str, Any]:
    try:
        cache.client().ping()
    except redis.RedisError as exc:
        return {"ok": False, "error": type(exc).__name__}
    return {"ok": True}


@bp.get("/healthz")
def healthz():
    states = {"database": database_state(), "redis": redis_state()}
    required = set(current_app.config.get("HEALTH_REQUIRED", ("database",)))
    for name, state in states.items():
        state["required"] = name in required
    if any(not s["ok"] for name, s in states.items() if name in required):
        status, code = "unavailable", 503
    elif any(not s["ok"] for s in states.values()):
        status, code = "degraded", 200
    else:
        status, code = "ok", 200
    extra = {}
    backlog = registry.provider(registry.MAIL_BACKLOG)
    if backlog is not None and states["database"]["ok"]:
        try:
            extra["mail_outbox"] = backlog()
        except SQLAlchemyError:  # informative only: never a reason to take the server out
            db.session.rollback()
    response = jsonify(status=status, **states, **extra)
    response.headers["Cache-Control"] = "no-store"
    return response, code
