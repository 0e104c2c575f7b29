"""Gap analysis: data versions (for caches), layers and saved scenarios.

Revision ID: 0004_gaps
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry
from sqlalchemy.dialects import postgresql

revision = "0004_gaps"
down_revision = "0001"
branch_labels = None
depends_on = None

# Tables whose changes make cached analysis results stale.
VERSIONED = ("area", "area_indicator", "cohesion_score", "place", "place_kind")


def upgrade():
    op.create_table(
        "data_version",
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False, server_default="0"),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_data_version")),
    )
    # A statement-level trigger per table stamps it with a new number: cheap, and caches
    # keyed by the stamps go stale the moment anything they were computed from changes.
    # The numbers come from a sequence, which never hands out a number twice, not even
    # after a rollback: a stamp always means one state of the data.
    op.execute("CREATE SEQUENCE data_version_seq")
    op.execute(
        """
        CREATE FUNCTION bump_data_version() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            INSERT INTO data_version (name, version)
            VALUES (TG_TABLE_NAME, nextval('data_version_seq'))
            ON CONFLICT (name) DO UPDATE SET version = nextval('data_version_seq');
            RETURN NULL;
        END $$
        """
    )
    for table in VERSIONED:
        op.execute(
            f"CREATE TRIGGER {table}_bump_data_version AFTER INSERT OR UPDATE OR DELETE "
            f"ON {table} FOR EACH STATEMENT EXECUTE FUNCTION bump_data_version()"
        )

    op.create_table(
        "gap_layer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("source", sa.String(300), nullable=True),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("role IN ('exclude', 'candidates')", name=op.f("ck_gap_layer_role")),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["app_user.id"],
            ondelete="SET NULL",
            name=op.f("fk_gap_layer_created_by_app_user"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_gap_layer")),
        sa.UniqueConstraint("name", name=op.f("uq_gap_layer_name")),
    )
    op.create_geospatial_table(
        "gap_layer_feature",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("layer_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(300), nullable=True),
        sa.Column(
            "geom",
            Geometry(
                geometry_type="GEOMETRY",
                srid=4326,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
                nullable=False,
            ),
            nullable=False,
        ),
        sa.Column("properties", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.ForeignKeyConstraint(
            ["layer_id"],
            ["gap_layer.id"],
            ondelete="CASCADE",
            name=op.f("fk_gap_layer_feature_layer_id_gap_layer"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_gap_layer_feature")),
    )
    op.create_geospatial_index(
        "idx_gap_layer_feature_geom",
        "gap_layer_feature",
        ["geom"],
        unique=False,
        postgresql_using="gist",
        postgresql_ops={},
    )
    op.create_index(op.f("ix_gap_layer_feature_layer_id"), "gap_layer_feature", ["layer_id"])
    op.create_table(
        "gap_scenario",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("params", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("result", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("data_version", sa.String(200), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), server_default=sa.text("now()"), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["app_user.id"],
            ondelete="SET NULL",
            name=op.f("fk_gap_scenario_created_by_app_user"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_gap_scenario")),
    )
    for table in ("gap_layer", "gap_layer_feature"):
        op.execute(
            f"CREATE TRIGGER {table}_bump_data_version AFTER INSERT OR UPDATE OR DELETE "
            f"ON {table} FOR EACH STATEMENT EXECUTE FUNCTION bump_data_version()"
        )


def downgrade():
    op.drop_table("gap_scenario")
    op.drop_index(op.f("ix_gap_layer_feature_layer_id"), table_name="gap_layer_feature")
    op.drop_geospatial_index(
        "idx_gap_layer_feature_geom",
        table_name="gap_layer_feature",
        postgresql_using="gist",
        column_name="geom",
    )
    op.drop_geospatial_table("gap_layer_feature")
    op.drop_table("gap_layer")
    for table in VERSIONED:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_bump_data_version ON {table}")
    op.execute("DROP FUNCTION bump_data_version()")
    op.execute("DROP SEQUENCE data_version_seq")
    op.drop_table("data_version")
