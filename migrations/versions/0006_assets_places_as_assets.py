"""Places as assets: owner, keeper, budget line, condition, opening hours, checks, reports.

Revision ID: 0006_assets
Revises: 0005_merge
"""

import sqlalchemy as sa
from alembic import op

revision = "0006_assets"
down_revision = "0005_merge"
branch_labels = None
depends_on = None

CONDITIONS = ("good", "needs_attention", "broken", "gone")
REPORT_KINDS = ("broken", "neglected", "closed", "not_used")
REPORT_STATUSES = ("submitted", "needs_info", "in_progress", "resolved", "rejected", "hidden")


def upgrade():
    condition = sa.Enum(*CONDITIONS, name="place_condition")
    condition.create(op.get_bind(), checkfirst=True)
    op.add_column("place", sa.Column("owner_org", sa.String(200), nullable=True))
    op.add_column("place", sa.Column("keeper", sa.String(200), nullable=True))
    op.add_column("place", sa.Column("budget_line", sa.String(200), nullable=True))
    op.add_column("place", sa.Column("opening_hours", sa.String(500), nullable=True))
    op.add_column(
        "place",
        sa.Column(
            "condition",
            sa.Enum(*CONDITIONS, name="place_condition", create_type=False),
            nullable=False,
            server_default="good",
        ),
    )
    op.add_column("place", sa.Column("last_confirmed_at", sa.DateTime(), nullable=True))
    op.create_index("ix_place_owner_org", "place", ["owner_org"])
    op.create_index("ix_place_last_confirmed_at", "place", ["last_confirmed_at"])

    op.create_table(
        "place_check",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "place_id",
            sa.Integer(),
            sa.ForeignKey("place.id", ondelete="CASCADE", name="fk_place_check_place_id_place"),
            nullable=False,
        ),
        sa.Column("at", sa.DateTime(), server_default=sa.func.now(), nullable=False),
        sa.Column(
            "user_id",
            sa.Integer(),
            sa.ForeignKey(
                "app_user.id", ondelete="SET NULL", name="fk_place_check_user_id_app_user"
            ),
            nullable=True,
        ),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("action", sa.String(20), nullable=False),
        sa.Column("old_condition", sa.String(20), nullable=True),
        sa.Column("new_condition", sa.String(20), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_place_check"),
    )
    op.create_index("ix_place_check_place_id", "place_check", ["place_id"])

    status = sa.Enum(*REPORT_STATUSES, name="place_report_status")
    op.create_table(
        "place_report",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "place_id",
            sa.Integer(),
            sa.ForeignKey("place.id", ondelete="CASCADE", name="fk_place_report_place_id_place"),
            nullable=False,
        ),
        sa.Column(
            "area_id",
            sa.Integer(),
            sa.ForeignKey("area.id", ondelete="SET NULL", name="fk_place_report_area_id_area"),
            nullable=True,
        ),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("status", status, nullable=False, server_default="submitted"),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("token_expires_at", sa.DateTime(), nullable=False),
        sa.Column("submission_hash", sa.String(64), nullable=False),
        sa.Column("answer", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(), server_default=sa.func.now(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), server_default=sa.func.now(), nullable=False),
        sa.Column("first_answered_at", sa.DateTime(), nullable=True),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "kind IN ('broken', 'neglected', 'closed', 'not_used')",
            name=op.f("ck_place_report_known_kind"),
        ),
        sa.PrimaryKeyConstraint("id", name="pk_place_report"),
        sa.UniqueConstraint("token_hash", name="uq_place_report_token_hash"),
        sa.UniqueConstraint("submission_hash", name="uq_place_report_submission_hash"),
    )
    op.create_index("ix_place_report_place_id", "place_report", ["place_id"])
    op.create_index("ix_place_report_status", "place_report", ["status"])
    op.create_table(
        "place_report_photo",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "report_id",
            sa.Integer(),
            sa.ForeignKey(
                "place_report.id",
                ondelete="CASCADE",
                name="fk_place_report_photo_report_id_place_report",
            ),
            nullable=False,
        ),
        sa.Column("content_type", sa.String(40), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_place_report_photo"),
        sa.UniqueConstraint("report_id", name="uq_place_report_photo_report_id"),
    )
    op.create_table(
        "place_report_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "report_id",
            sa.Integer(),
            sa.ForeignKey(
                "place_report.id",
                ondelete="CASCADE",
                name="fk_place_report_event_report_id_place_report",
            ),
            nullable=False,
        ),
        sa.Column("at", sa.DateTime(), server_default=sa.func.now(), nullable=False),
        sa.Column(
            "user_id",
            sa.Integer(),
            sa.ForeignKey(
                "app_user.id", ondelete="SET NULL", name="fk_place_report_event_user_id_app_user"
            ),
            nullable=True,
        ),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("action", sa.String(30), nullable=False),
        sa.Column("old_status", sa.String(20), nullable=True),
        sa.Column("new_status", sa.String(20), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("public", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.PrimaryKeyConstraint("id", name="pk_place_report_event"),
    )
    op.create_index("ix_place_report_event_report_id", "place_report_event", ["report_id"])


def downgrade():
    op.drop_table("place_report_event")
    op.drop_table("place_report_photo")
    op.drop_table("place_report")
    sa.Enum(name="place_report_status").drop(op.get_bind(), checkfirst=True)
    op.drop_table("place_check")
    op.drop_index("ix_place_last_confirmed_at", "place")
    op.drop_index("ix_place_owner_org", "place")
    for column in (
        "last_confirmed_at",
        "condition",
        "opening_hours",
        "budget_line",
        "keeper",
        "owner_org",
    ):
        op.drop_column("place", column)
    sa.Enum(name="place_condition").drop(op.get_bind(), checkfirst=True)
