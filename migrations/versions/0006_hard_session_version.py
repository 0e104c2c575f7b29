"""Revocable sessions: a per-user session version that logging out raises.

Revision ID: 0006_hard
Revises: 0005_merge
"""

import sqlalchemy as sa
from alembic import op

revision = "0006_hard"
down_revision = "0005_merge"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("app_user", sa.Column("session_version", sa.Integer(), nullable=False,
                                        server_default="0"))


def downgrade():
    op.drop_column("app_user", "session_version")
