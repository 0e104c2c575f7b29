"""Several municipalities: a gemeente level, what cohesion scores mean, imported sources.

Revision ID: 0010_data
Revises: 0009_ux
"""

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry

revision = "0010_data"
down_revision = "0009_ux"
branch_labels = None
depends_on = None

WIDE = sa.Numeric(10, 4)
NARROW = sa.Numeric(6, 2)


# Real benches and play equipment come from the BGT: two kinds the registry lacked.
PLACE_KINDS = [
    ("picnic_table", "Picknicktafel", "Picnic table", "utensils", "#a0522d", 200, 4, 15),
    ("play_equipment", "Speeltoestel", "Play equipment", "child-reaching", "#f781bf", 300, 4, 75),
]
KIND_COLUMNS = (
    "code",
    "label_nl",
    "label_en",
    "icon",
    "color",
    "walking_distance_m",
    "ladder_rung",
    "sort_order",
)


def upgrade():
    op.bulk_insert(
        sa.table("place_kind", *(sa.column(c) for c in KIND_COLUMNS)),
        [dict(zip(KIND_COLUMNS, row)) for row in PLACE_KINDS],
    )
    op.execute(
        "INSERT INTO area_level (code, name_nl, name_en, rank) "
        "VALUES ('gemeente', 'Gemeente', 'Municipality', 0) ON CONFLICT DO NOTHING"
    )
    with op.batch_alter_table("cohesion_score") as batch:
        for column in ("score", "scale_min", "scale_max"):
            batch.alter_column(column, type_=WIDE, existing_type=NARROW)
        batch.add_column(
            sa.Column("higher_is_better", sa.Boolean(), nullable=False, server_default=sa.true())
        )
        batch.add_column(sa.Column("reference", WIDE, nullable=True))
        batch.add_column(sa.Column("reference_label", sa.String(200), nullable=True))
    op.create_table(
        "data_source",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("gemeente", sa.String(16), nullable=True),
        sa.Column("publisher", sa.String(200), nullable=False),
        sa.Column("title", sa.String(300), nullable=True),
        sa.Column("licence", sa.String(100), nullable=True),
        sa.Column("year", sa.SmallInteger(), nullable=True),
        sa.Column("url", sa.String(500), nullable=True),
        sa.Column("recipe", sa.String(200), nullable=True),
        sa.Column("imported_at", sa.DateTime(), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_source")),
        sa.UniqueConstraint("name", "gemeente", name=op.f("uq_data_source_name")),
    )
    op.create_index(op.f("ix_data_source_gemeente"), "data_source", ["gemeente"])
    op.create_geospatial_table(
        "population_cell",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("gemeente", sa.String(16), nullable=False),
        sa.Column("cell_id", sa.String(40), nullable=False),
        sa.Column(
            "geom",
            Geometry(
                geometry_type="POINT",
                srid=4326,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
                nullable=False,
            ),
            nullable=False,
        ),
        sa.Column("population", sa.Numeric(10, 2), nullable=False),
        sa.Column("estimated", sa.Boolean(), nullable=False),
        sa.Column("source", sa.String(200), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_population_cell")),
        sa.UniqueConstraint("cell_id", "source", name=op.f("uq_population_cell_cell_id")),
    )
    op.create_geospatial_index(
        "idx_population_cell_geom",
        "population_cell",
        ["geom"],
        unique=False,
        postgresql_using="gist",
        postgresql_ops={},
    )
    op.create_index(op.f("ix_population_cell_gemeente"), "population_cell", ["gemeente"])
    # cached analyses go stale when the cells change, as with areas and indicators
    op.execute(
        "CREATE TRIGGER population_cell_bump_data_version AFTER INSERT OR UPDATE OR "
        "DELETE ON population_cell FOR EACH STATEMENT EXECUTE FUNCTION "
        "bump_data_version()"
    )


def downgrade():
    op.drop_geospatial_index(
        "idx_population_cell_geom",
        table_name="population_cell",
        postgresql_using="gist",
        column_name="geom",
    )
    op.drop_index(op.f("ix_population_cell_gemeente"), table_name="population_cell")
    op.drop_geospatial_table("population_cell")
    op.drop_index(op.f("ix_data_source_gemeente"), table_name="data_source")
    op.drop_table("data_source")
    with op.batch_alter_table("cohesion_score") as batch:
        batch.drop_column("reference_label")
        batch.drop_column("reference")
        batch.drop_column("higher_is_better")
        for column in ("score", "scale_min", "scale_max"):
            batch.alter_column(column, type_=NARROW, existing_type=WIDE)
    op.execute(
        "UPDATE area SET parent_id = NULL WHERE parent_id IN "
        "(SELECT id FROM area WHERE level_code = 'gemeente')"
    )
    op.execute("DELETE FROM area WHERE level_code = 'gemeente'")
    op.execute("DELETE FROM area_level WHERE code = 'gemeente'")
    op.execute("DELETE FROM place WHERE kind_code IN ('picnic_table', 'play_equipment')")
    op.execute("DELETE FROM place_kind WHERE code IN ('picnic_table', 'play_equipment')")
