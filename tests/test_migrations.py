"""The migrations build the whole schema from an empty database, tear it down again, and
describe the same schema as the models."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import CheckConstraint, inspect, text
from sqlalchemy.engine import make_url

from placemaker.cache import DataVersion
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
            assert {
                "area",
                "area_level",
                "area_indicator",
                "cohesion_score",
                "place",
                "place_kind",
                "place_change",
                "app_user",
                "area_assignment",
            } <= tables
            with db.engine.connect() as conn:
                assert conn.scalar(text("SELECT postgis_lib_version()")).startswith("3")
                kinds = set(conn.scalars(text("SELECT code FROM place_kind")))
            assert {
                "bench",
                "vegetable_garden",
                "thrift_coffee",
                "community_centre",
                "buurtkamer",
                "library",
                "playground_building",
                "youth_centre",
                "city_farm",
                "school_garden",
                "park",
            } <= kinds
            downgrade(revision="base")
            assert "place" not in set(inspect(db.engine).get_table_names())
            upgrade(revision="heads")
            assert "place" in set(inspect(db.engine).get_table_names())
            db.engine.dispose()
    finally:
        drop_database(empty)


def test_models_match_the_migrated_database(app):
    """Autogenerate finds nothing to do: models and migrations describe the same schema."""
    configure_args = app.extensions["migrate"].configure_args
    with app.app_context():
        context = MigrationContext.configure(
            db.session.connection(),
            opts={
                "include_object": configure_args["include_object"],
                "compare_type": configure_args["compare_type"],
            },
        )
        assert compare_metadata(context, db.metadata) == []


def test_check_constraints_and_triggers_match_the_models(app):
    """What autogenerate does not compare: check constraints and the data_version triggers."""
    declared = {
        (table.name, constraint.name)
        for table in db.metadata.tables.values()
        for constraint in table.constraints
        if isinstance(constraint, CheckConstraint)
    }
    with app.app_context():
        conn = db.session.connection()
        in_database = set(
            map(
                tuple,
                conn.execute(
                    text(
                        "SELECT rel.relname, con.conname FROM pg_constraint con "
                        "JOIN pg_class rel ON rel.oid = con.conrelid "
                        "JOIN pg_namespace ns ON ns.oid = rel.relnamespace "
                        "WHERE con.contype = 'c' AND ns.nspname = 'public' AND rel.relname = "
                        "ANY(:tables)"
                    ),
                    {"tables": list(db.metadata.tables)},
                ).all(),
            )
        )
        stamped = set(
            conn.scalars(
                text(
                    "SELECT event_object_table FROM information_schema.triggers "
                    "WHERE action_statement = 'EXECUTE FUNCTION bump_data_version()'"
                )
            )
        )
    assert declared == in_database
    assert stamped == set(DataVersion.STAMPED_TABLES)
