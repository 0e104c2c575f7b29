"""The key imported places carry in place.source, on the source they came from (credits).

Filled by the next run of a recipe (its sources step); until then a place page shows the key.

Revision ID: 0013_place_source
Revises: 0012_needs
"""

import sqlalchemy as sa
from alembic import op

revision = "0013_place_source"
down_revision = "0012_needs"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("data_source", sa.Column("place_source", sa.String(200), nullable=True))
    op.create_index(op.f("ix_data_source_place_source"), "data_source", ["place_source"])


def downgrade():
    op.drop_index(op.f("ix_data_source_place_source"), table_name="data_source")
    op.drop_column("data_source", "place_source")
