"""E-mail to residents: the sealed tracking link and the language they proposed in.

Revision ID: 0011_mail
Revises: 0010_data
"""

import sqlalchemy as sa
from alembic import op

revision = "0011_mail"
down_revision = "0010_data"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("proposal") as batch:
        batch.add_column(sa.Column("tracking_sealed", sa.Text(), nullable=True))
        batch.add_column(sa.Column("submitter_language", sa.String(5), nullable=True))


def downgrade():
    with op.batch_alter_table("proposal") as batch:
        batch.drop_column("submitter_language")
        batch.drop_column("tracking_sealed")
