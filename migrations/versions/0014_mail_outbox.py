"""E-mail outbox: mails written in the step's transaction, sent after it commits.

Revision ID: 0014_outbox
Revises: 0013_place_source
"""

import sqlalchemy as sa
from alembic import op

revision = "0014_outbox"
down_revision = "0013_place_source"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "mail_outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), server_default=sa.text("now()"), nullable=False),
        sa.Column("proposal_id", sa.Integer(), nullable=True),
        sa.Column("recipient", sa.Text(), nullable=True),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("message", sa.LargeBinary(), nullable=True),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("last_error", sa.String(length=200), nullable=True),
        sa.Column(
            "next_attempt_at", sa.DateTime(), server_default=sa.text("now()"), nullable=False
        ),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.Column("failed_at", sa.DateTime(), nullable=True),
        sa.CheckConstraint(
            "sent_at IS NULL OR failed_at IS NULL", name=op.f("ck_mail_outbox_one_end")
        ),
        sa.ForeignKeyConstraint(
            ["proposal_id"],
            ["proposal.id"],
            name=op.f("fk_mail_outbox_proposal_id_proposal"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mail_outbox")),
    )
    op.create_index(op.f("ix_mail_outbox_proposal_id"), "mail_outbox", ["proposal_id"])
    op.create_index(op.f("ix_mail_outbox_next_attempt_at"), "mail_outbox", ["next_attempt_at"])


def downgrade():
    op.drop_index(op.f("ix_mail_outbox_next_attempt_at"), table_name="mail_outbox")
    op.drop_index(op.f("ix_mail_outbox_proposal_id"), table_name="mail_outbox")
    op.drop_table("mail_outbox")
