"""The migrations build the whole schema from an empty database, and tear it down again."""

from __future__ import annotations

from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text
from sqlalchemy.engine import make_url

from placemaker.dbadmin import drop_database, ensure_database
from placemaker.extensions import db
from tests.conftest import TEST_DATABASE_URL, make_test_app


def test_migrations_from_empty_up_down_up():
    url = make_url(TEST_DATABASE_URL)
    empty = url.set(database=f"{url.database}_migrations")
    drop_database(empty)
    ensure_database(empty)
    app = make_test_app(empty.render_as_string(hide_password=False))
    try:
        with app.app_context():
            upgrade(revision="heads")
            tables = set(inspect(db.engine).get_table_names())
            assert {"area", "area_level", "area_indicator", "cohesion_score", "place",
                    "place_kind", "place_change", "app_user", "area_assignment"} <= tables
            with db.engine.connect() as conn:
                assert conn.scalar(text("SELECT postgis_lib_version()")).startswith("3")
                kinds = set(conn.scalars(text("SELECT code FROM place_kind")))
            assert {"bench", "vegetable_garden", "thrift_coffee", "community_centre",
                    "buurtkamer", "library", "playground_building", "youth_centre",
                    "city_farm", "school_garden", "park"} <= kinds
            downgrade(revision="base")
            assert "place" not in set(inspect(db.engine).get_table_names())
            upgrade(revision="heads")
            assert "place" in set(inspect(db.engine).get_table_names())
            db.engine.dispose()
    finally:
        drop_database(empty)
