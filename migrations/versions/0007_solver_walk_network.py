"""Walking network for network catchments of the gap analysis (flask import-network).

Revision ID: 0007_solver
Revises: 0006_assets
"""

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry

revision = "0007_solver"
down_revision = "0006_assets"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "walk_node",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),  # OSM node id
        sa.Column("geom", Geometry("POINT", srid=28992, spatial_index=False), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_walk_node")),
    )
    op.execute("CREATE INDEX idx_walk_node_geom ON walk_node USING gist (geom)")
    op.create_table(
        "walk_edge",
        sa.Column("id", sa.BigInteger(), sa.Identity(), nullable=False),
        sa.Column("source", sa.BigInteger(), nullable=False),
        sa.Column("target", sa.BigInteger(), nullable=False),
        sa.Column("length_m", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_walk_edge")),
        sa.ForeignKeyConstraint(
            ["source"], ["walk_node.id"], name=op.f("fk_walk_edge_source"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["target"], ["walk_node.id"], name=op.f("fk_walk_edge_target"), ondelete="CASCADE"
        ),
    )
    op.create_index(op.f("ix_walk_edge_source"), "walk_edge", ["source"])
    for table in ("walk_node", "walk_edge"):
        op.execute(
            f"CREATE TRIGGER {table}_bump_data_version AFTER INSERT OR UPDATE OR DELETE "
            f"ON {table} FOR EACH STATEMENT EXECUTE FUNCTION bump_data_version()"
        )


def downgrade():
    op.drop_table("walk_edge")
    op.drop_table("walk_node")
