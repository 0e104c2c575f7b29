"""Residents' proposals: proposals, their photos, supports and moderation events.

Revision ID: 0002_proposals
Revises: 0001
Create Date: 2026-11-28 10:00:00

"""

from alembic import op
import sqlalchemy as sa
from geoalchemy2 import Geometry
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = "0002_proposals"
down_revision = "0001"
branch_labels = None
depends_on = None

STATUSES = ("submitted", "needs_info", "approved", "rejected", "duplicate", "withdrawn", "hidden")


def upgrade():
    op.create_geospatial_table(
        "proposal",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind_code", sa.String(length=40), nullable=False),
        sa.Column(
            "geom",
            Geometry(
                geometry_type="POINT",
                srid=4326,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
                nullable=False,
            ),
            nullable=False,
        ),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("area_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.Enum(*STATUSES, name="proposal_status"), nullable=False),
        sa.Column("submitter_name", sa.String(length=100), nullable=True),
        sa.Column("submitter_email", sa.String(length=254), nullable=True),
        sa.Column("personal_data_erased_at", sa.DateTime(), nullable=True),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("token_expires_at", sa.DateTime(), nullable=False),
        sa.Column("submission_hash", sa.String(length=64), nullable=False),
        sa.Column("answer", sa.Text(), nullable=True),
        sa.Column("place_id", sa.Integer(), nullable=True),
        sa.Column("duplicate_of_place_id", sa.Integer(), nullable=True),
        sa.Column("duplicate_of_proposal_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(), server_default=sa.text("now()"), nullable=False),
        sa.Column("first_answered_at", sa.DateTime(), nullable=True),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["area_id"], ["area.id"], name=op.f("fk_proposal_area_id_area"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["duplicate_of_place_id"],
            ["place.id"],
            name=op.f("fk_proposal_duplicate_of_place_id_place"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["duplicate_of_proposal_id"],
            ["proposal.id"],
            name=op.f("fk_proposal_duplicate_of_proposal_id_proposal"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["kind_code"], ["place_kind.code"], name=op.f("fk_proposal_kind_code_place_kind")
        ),
        sa.ForeignKeyConstraint(
            ["place_id"], ["place.id"], name=op.f("fk_proposal_place_id_place"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_proposal")),
        sa.UniqueConstraint("submission_hash", name=op.f("uq_proposal_submission_hash")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_proposal_token_hash")),
    )
    with op.batch_alter_table("proposal", schema=None) as batch_op:
        batch_op.create_geospatial_index(
            "idx_proposal_geom", ["geom"], unique=False, postgresql_using="gist", postgresql_ops={}
        )
        batch_op.create_index(batch_op.f("ix_proposal_area_id"), ["area_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_proposal_closed_at"), ["closed_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_proposal_created_at"), ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_proposal_kind_code"), ["kind_code"], unique=False)
        batch_op.create_index(batch_op.f("ix_proposal_place_id"), ["place_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_proposal_status"), ["status"], unique=False)

    op.create_table(
        "proposal_photo",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("proposal_id", sa.Integer(), nullable=False),
        sa.Column("content_type", sa.String(length=40), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["proposal_id"],
            ["proposal.id"],
            name=op.f("fk_proposal_photo_proposal_id_proposal"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_proposal_photo")),
        sa.UniqueConstraint("proposal_id", name=op.f("uq_proposal_photo_proposal_id")),
    )
    op.create_table(
        "proposal_support",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("proposal_id", sa.Integer(), nullable=False),
        sa.Column("supporter_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["proposal_id"],
            ["proposal.id"],
            name=op.f("fk_proposal_support_proposal_id_proposal"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_proposal_support")),
        sa.UniqueConstraint(
            "proposal_id", "supporter_hash", name=op.f("uq_proposal_support_proposal_id")
        ),
    )
    with op.batch_alter_table("proposal_support", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_proposal_support_proposal_id"), ["proposal_id"], unique=False
        )

    op.create_table(
        "proposal_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("proposal_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), server_default=sa.text("now()"), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("action", sa.String(length=30), nullable=False),
        sa.Column("old_status", sa.String(length=20), nullable=True),
        sa.Column("new_status", sa.String(length=20), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("public", sa.Boolean(), nullable=False),
        sa.Column("old_values", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.ForeignKeyConstraint(
            ["proposal_id"],
            ["proposal.id"],
            name=op.f("fk_proposal_event_proposal_id_proposal"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["app_user.id"],
            name=op.f("fk_proposal_event_user_id_app_user"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_proposal_event")),
    )
    with op.batch_alter_table("proposal_event", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_proposal_event_proposal_id"), ["proposal_id"], unique=False
        )


def downgrade():
    with op.batch_alter_table("proposal_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_proposal_event_proposal_id"))
    op.drop_table("proposal_event")
    with op.batch_alter_table("proposal_support", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_proposal_support_proposal_id"))
    op.drop_table("proposal_support")
    op.drop_table("proposal_photo")
    with op.batch_alter_table("proposal", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_proposal_status"))
        batch_op.drop_index(batch_op.f("ix_proposal_place_id"))
        batch_op.drop_index(batch_op.f("ix_proposal_kind_code"))
        batch_op.drop_index(batch_op.f("ix_proposal_created_at"))
        batch_op.drop_index(batch_op.f("ix_proposal_closed_at"))
        batch_op.drop_index(batch_op.f("ix_proposal_area_id"))
        batch_op.drop_geospatial_index(
            "idx_proposal_geom", postgresql_using="gist", column_name="geom"
        )
    op.drop_geospatial_table("proposal")
    sa.Enum(name="proposal_status").drop(op.get_bind(), checkfirst=True)
