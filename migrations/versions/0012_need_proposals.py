"""A proposal an area manager made from a need residents named in a ward conversation.

Revision ID: 0012_needs
Revises: 0011_mail
"""

import sqlalchemy as sa
from alembic import op

revision = "0012_needs"
down_revision = "0011_mail"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("proposal") as batch:
        batch.add_column(sa.Column("conversation_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            op.f("fk_proposal_conversation_id_ward_conversation"),
            "ward_conversation",
            ["conversation_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade():
    with op.batch_alter_table("proposal") as batch:
        batch.drop_constraint(
            op.f("fk_proposal_conversation_id_ward_conversation"), type_="foreignkey"
        )
        batch.drop_column("conversation_id")
