"""GET /healthz: is the database there, and which PostGIS does it run."""

from __future__ import annotations

from flask import Blueprint, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from placemaker.extensions import db

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    try:
        row = db.session.execute(
            text("SELECT version() AS pg, postgis_full_version() AS postgis")
        ).one()
    except SQLAlchemyError as exc:
        db.session.rollback()
        return jsonify(
            status="unavailable",
            database={"ok": False, "error": type(exc).__name__},
        ), 503
    postgis = row.postgis.split('"')[1] if '"' in row.postgis else row.postgis
    return jsonify(
        status="ok",
        database={"ok": True, "version": row.pg.split(",")[0], "postgis": postgis},
    )
