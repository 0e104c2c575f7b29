"""BAG addresses for address search (a trigram index serves type-ahead on street names);
a place's life after approval: planned and under construction before it is open; ward
conversations with the needs residents named, and area managers' rung assessments.

Revision ID: 0009_ux
Revises: 0008_hard
"""

import geoalchemy2
import sqlalchemy as sa
from alembic import op

revision = "0009_ux"
down_revision = "0008_hard"
branch_labels = None
depends_on = None


def upgrade():
    # New enum values may be added inside a transaction (PostgreSQL 12+), not used in it.
    op.execute("ALTER TYPE place_status ADD VALUE IF NOT EXISTS 'planned' BEFORE 'active'")
    op.execute(
        "ALTER TYPE place_status ADD VALUE IF NOT EXISTS 'under_construction' BEFORE 'active'"
    )
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
        sa.Column(
            "geom",
            geoalchemy2.types.Geometry(geometry_type="POINT", srid=4326, spatial_index=False),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_address")),
        sa.UniqueConstraint("bag_id", name=op.f("uq_address_bag_id")),
    )
    op.create_index("idx_address_geom", "address", ["geom"], postgresql_using="gist")
    op.create_index(
        "ix_address_street_trgm",
        "address",
        ["street"],
        postgresql_using="gin",
        postgresql_ops={"street": "gin_trgm_ops"},
    )
    op.create_index(
        "ix_address_postcode",
        "address",
        ["postcode"],
        postgresql_ops={"postcode": "text_pattern_ops"},
    )

    op.create_table(
        "ward_conversation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("area_id", sa.Integer(), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("streets", sa.String(length=300), nullable=True),
        sa.Column("residents", sa.SmallInteger(), nullable=False),
        sa.Column("rung_wanted", sa.SmallInteger(), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "rung_wanted BETWEEN 1 AND 6", name=op.f("ck_ward_conversation_rung_wanted_on_ladder")
        ),
        sa.CheckConstraint(
            "residents >= 0", name=op.f("ck_ward_conversation_residents_not_negative")
        ),
        sa.ForeignKeyConstraint(
            ["area_id"],
            ["area.id"],
            ondelete="CASCADE",
            name=op.f("fk_ward_conversation_area_id_area"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["app_user.id"],
            ondelete="SET NULL",
            name=op.f("fk_ward_conversation_user_id_app_user"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ward_conversation")),
    )
    op.create_index(op.f("ix_ward_conversation_area_id"), "ward_conversation", ["area_id"])
    op.create_table(
        "ward_need",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.String(length=500), nullable=False),
        sa.Column("task", sa.String(length=500), nullable=True),
        sa.Column("proposal_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["ward_conversation.id"],
            ondelete="CASCADE",
            name=op.f("fk_ward_need_conversation_id_ward_conversation"),
        ),
        sa.ForeignKeyConstraint(
            ["proposal_id"],
            ["proposal.id"],
            ondelete="SET NULL",
            name=op.f("fk_ward_need_proposal_id_proposal"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ward_need")),
    )
    op.create_index(op.f("ix_ward_need_conversation_id"), "ward_need", ["conversation_id"])
    op.create_table(
        "area_rung_assessment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("area_id", sa.Integer(), nullable=False),
        sa.Column("rung", sa.SmallInteger(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("set_at", sa.DateTime(), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "rung BETWEEN 1 AND 6", name=op.f("ck_area_rung_assessment_rung_on_ladder")
        ),
        sa.ForeignKeyConstraint(
            ["area_id"],
            ["area.id"],
            ondelete="CASCADE",
            name=op.f("fk_area_rung_assessment_area_id_area"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["app_user.id"],
            ondelete="SET NULL",
            name=op.f("fk_area_rung_assessment_user_id_app_user"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_area_rung_assessment")),
    )
    op.create_index(op.f("ix_area_rung_assessment_area_id"), "area_rung_assessment", ["area_id"])


def downgrade():
    op.drop_table("area_rung_assessment")
    op.drop_table("ward_need")
    op.drop_table("ward_conversation")
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
