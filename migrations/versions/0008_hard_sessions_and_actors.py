"""Revocable sessions, histories that name staff without their e-mail address, and the
network each support came from (as a keyed hash).

A per-user session version that logging out raises. Change histories (place_change,
proposal_event) named moderators by e-mail address, which place pages and the public API
show: those labels now carry the user's display name, as new rows do.

Revision ID: 0008_hard
Revises: 0007_solver
"""

import sqlalchemy as sa
from alembic import op

revision = "0008_hard"
down_revision = "0007_solver"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column(
        "app_user", sa.Column("session_version", sa.Integer(), nullable=False, server_default="0")
    )
    op.add_column("proposal_support", sa.Column("network_hash", sa.String(64), nullable=True))
    op.create_index("ix_proposal_support_network_hash", "proposal_support", ["network_hash"])
    for table in ("place_change", "proposal_event"):
        op.execute(
            f"UPDATE {table} t SET actor = left(replace(t.actor, u.email, u.name), 200) "
            f"FROM app_user u WHERE t.user_id = u.id AND position(u.email in t.actor) > 0"
        )


def downgrade():
    # The e-mail addresses are not put back into the histories.
    op.drop_index("ix_proposal_support_network_hash", table_name="proposal_support")
    op.drop_column("proposal_support", "network_hash")
    op.drop_column("app_user", "session_version")
