"""Cached analyses go stale when a ward conversation or a rung assessment changes an area's
rungs (the area context reads them before imported rungs), as with cohesion scores.

Revision ID: 0015_voiced_rungs
Revises: 0014_outbox
"""

from alembic import op

revision = "0015_voiced_rungs"
down_revision = "0014_outbox"
branch_labels = None
depends_on = None

TABLES = ("ward_conversation", "area_rung_assessment")


def upgrade():
    for name in TABLES:
        op.execute(
            f"CREATE TRIGGER {name}_bump_data_version AFTER INSERT OR UPDATE OR DELETE "
            f"ON {name} FOR EACH STATEMENT EXECUTE FUNCTION bump_data_version()"
        )


def downgrade():
    for name in TABLES:
        op.execute(f"DROP TRIGGER IF EXISTS {name}_bump_data_version ON {name}")
        op.execute(f"DELETE FROM data_version WHERE name = '{name}'")
