"""Join the proposals, API tokens and gap-analysis branches; proposals stamp the data version.

Open proposals can be candidate sites of the gap analysis, so a change to them must make
its cached results stale like a change to places does.

Revision ID: 0005_merge
Revises: 0002_proposals, 0003_api_tokens, 0004_gaps
"""

from alembic import op

revision = "0005_merge"
down_revision = ("0002_proposals", "0003_api_tokens", "0004_gaps")
branch_labels = None
depends_on = None


def upgrade():
    op.execute(
        "CREATE TRIGGER proposal_bump_data_version AFTER INSERT OR UPDATE OR DELETE "
        "ON proposal FOR EACH STATEMENT EXECUTE FUNCTION bump_data_version()"
    )


def downgrade():
    op.execute("DROP TRIGGER IF EXISTS proposal_bump_data_version ON proposal")
