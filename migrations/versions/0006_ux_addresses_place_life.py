"""BAG addresses for address search (a trigram index serves type-ahead on street names);
a place's life after approval: planned and under construction before it is open.

Revision ID: 0006_ux
Revises: 0005_merge
"""

import geoalchemy2
import sqlalchemy as sa
from alembic import op

revision = "0006_ux"
down_revision = "0005_merge"
branch_labels = None
depends_on = None


def upgrade():
    # New enum values may be added inside a transaction (PostgreSQL 12+), not used in it.
    op.execute("ALTER TYPE place_status ADD VALUE IF NOT EXISTS 'planned' BEFORE 'active'")
    op.execute("ALTER TYPE place_status ADD VALUE IF NOT EXISTS 'under_construction' "
               "BEFORE 'active'")
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.create_table(
        "address",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("bag_id", sa.String(length=20), nullable=False),
        sa.Column("street", sa.String(length=120), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("letter", sa.String(length=4), nullable=True),
        sa.Column("addition", sa.String(length=8), nullable=True),
        sa.Column("postcode", sa.String(length=6), nullable=True),
        sa.Column("city", sa.String(length=80), nullable=True),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("geom", geoalchemy2.types.Geometry(geometry_type="POINT", srid=4326,
                                                     spatial_index=False), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_address")),
        sa.UniqueConstraint("bag_id", name=op.f("uq_address_bag_id")),
    )
    op.create_index("idx_address_geom", "address", ["geom"], postgresql_using="gist")
    op.create_index("ix_address_street_trgm", "address", ["street"], postgresql_using="gin",
                    postgresql_ops={"street": "gin_trgm_ops"})
    op.create_index("ix_address_postcode", "address", ["postcode"],
                    postgresql_ops={"postcode": "text_pattern_ops"})


def downgrade():
    op.drop_table("address")
    # PostgreSQL cannot drop an enum value: rebuild the type. Unbuilt places become
    # temporarily closed (not counted, not lost).
    op.execute("ALTER TABLE place ALTER COLUMN status DROP DEFAULT")
    op.execute("ALTER TYPE place_status RENAME TO place_status_old")
    op.execute("CREATE TYPE place_status AS ENUM ('active', 'temporarily_closed', 'gone')")
    op.execute(
        "ALTER TABLE place ALTER COLUMN status TYPE place_status USING (CASE "
        "WHEN status::text IN ('planned', 'under_construction') THEN 'temporarily_closed' "
        "ELSE status::text END)::place_status"
    )
    op.execute("DROP TYPE place_status_old")
