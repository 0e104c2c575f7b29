"""Registry foundation: PostGIS, areas with indicators and cohesion, place kinds, places, users.

Revision ID: 0001
Revises:
Create Date: 2026-11-28 07:01:01.108716

"""

from alembic import op
import sqlalchemy as sa
from geoalchemy2 import Geometry
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


AREA_LEVELS = [
    {"code": "stadsdeel", "name_nl": "Stadsdeel", "name_en": "District", "rank": 1},
    {"code": "gebied", "name_nl": "Gebied", "name_en": "Area", "rank": 2},
    {"code": "wijk", "name_nl": "Wijk", "name_en": "Neighbourhood", "rank": 3},
    {"code": "buurt", "name_nl": "Buurt", "name_en": "Ward", "rank": 4},
]

INDICATORS = [
    ("population", "Inwoners", "Residents", "persons"),
    ("households", "Huishoudens", "Households", "count"),
    ("share_0_17", "Aandeel 0-17 jaar", "Share aged 0-17", "%"),
    ("share_65plus", "Aandeel 65+", "Share aged 65+", "%"),
    ("share_80plus", "Aandeel 80+", "Share aged 80+", "%"),
    ("share_minimum_income", "Huishoudens met minimuminkomen", "Households on minimum income", "%"),
    ("share_lonely", "(Zeer) ernstig eenzaam", "(Very) severely lonely", "%"),
    ("mean_income", "Gemiddeld huishoudinkomen", "Mean household income", "EUR"),
    ("involvement", "Betrokkenheid bij de buurt", "Involvement in the neighbourhood", "score"),
    ("feeling_at_home", "Thuisvoelen in de buurt", "Feeling at home", "score"),
    ("share_informal_carers", "Mantelzorgers", "Informal carers", "%"),
    ("share_volunteers", "Vrijwilligers", "Volunteers", "%"),
]

# Walking distances: a bench serves its street, a community centre its wijk.
# Rungs on the cohesion ladder: 2 mutual care, 3 everyday attentiveness, 4 public familiarity.
PLACE_KINDS = [
    ("bench", "Bankje", "Bench", "chair", "#8c564b", 150, 4, 10),
    ("vegetable_garden", "Moestuin", "Vegetable garden", "seedling", "#2ca02c", 400, 3, 20),
    (
        "thrift_coffee",
        "Kringloop met koffiehoek",
        "Thrift shop coffee corner",
        "mug-hot",
        "#bcbd22",
        500,
        3,
        30,
    ),
    (
        "community_centre",
        "Huis van de wijk",
        "Community centre",
        "house-user",
        "#d62728",
        800,
        2,
        40,
    ),
    ("buurtkamer", "Buurtkamer", "Neighbourhood living room", "couch", "#ff7f0e", 400, 3, 50),
    ("library", "Bibliotheek", "Library", "book", "#1f77b4", 1000, 4, 60),
    (
        "playground_building",
        "Speeltuingebouw",
        "Playground building",
        "child",
        "#e377c2",
        400,
        3,
        70,
    ),
    ("youth_centre", "Jongerencentrum", "Youth centre", "users", "#9467bd", 800, 3, 80),
    ("city_farm", "Kinderboerderij", "City farm", "horse", "#17becf", 1000, 4, 90),
    ("school_garden", "Schooltuin", "School garden", "leaf", "#98df8a", 600, 3, 100),
    ("park", "Park", "Park", "tree", "#006d2c", 500, 4, 110),
    ("sports_field", "Sportveld", "Sports field", "futbol", "#7f7f7f", 600, 4, 120),
    (
        "other_meeting_place",
        "Overige ontmoetingsplek",
        "Other meeting place",
        "circle-dot",
        "#393b79",
        400,
        3,
        130,
    ),
]


def upgrade():
    op.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    op.create_table(
        "app_user",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("password_hash", sa.String(length=300), nullable=False),
        sa.Column(
            "role", sa.Enum("area_manager", "planner", "admin", name="user_role"), nullable=False
        ),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_app_user")),
        sa.UniqueConstraint("email", name=op.f("uq_app_user_email")),
    )
    op.create_table(
        "area_level",
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name_nl", sa.String(length=80), nullable=False),
        sa.Column("name_en", sa.String(length=80), nullable=False),
        sa.Column("rank", sa.SmallInteger(), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_area_level")),
        sa.UniqueConstraint("rank", name=op.f("uq_area_level_rank")),
    )
    op.create_table(
        "indicator",
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name_nl", sa.String(length=120), nullable=False),
        sa.Column("name_en", sa.String(length=120), nullable=False),
        sa.Column("unit", sa.String(length=20), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_indicator")),
    )
    op.create_table(
        "place_kind",
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("label_nl", sa.String(length=80), nullable=False),
        sa.Column("label_en", sa.String(length=80), nullable=False),
        sa.Column("icon", sa.String(length=40), nullable=False),
        sa.Column("color", sa.String(length=7), nullable=False),
        sa.Column("walking_distance_m", sa.Integer(), nullable=False),
        sa.Column("ladder_rung", sa.SmallInteger(), nullable=False),
        sa.Column("sort_order", sa.SmallInteger(), nullable=False),
        sa.CheckConstraint(
            "ladder_rung BETWEEN 1 AND 6", name=op.f("ck_place_kind_ladder_rung_on_ladder")
        ),
        sa.CheckConstraint(
            "walking_distance_m > 0", name=op.f("ck_place_kind_walking_distance_positive")
        ),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_place_kind")),
    )
    op.create_geospatial_table(
        "area",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("alt_code", sa.String(length=32), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("level_code", sa.String(length=32), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column(
            "geom",
            Geometry(
                geometry_type="MULTIPOLYGON",
                srid=4326,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
                nullable=False,
            ),
            nullable=False,
        ),
        sa.Column("source", sa.String(length=200), nullable=True),
        sa.Column("updated_at", sa.DateTime(), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["level_code"], ["area_level.code"], name=op.f("fk_area_level_code_area_level")
        ),
        sa.ForeignKeyConstraint(["parent_id"], ["area.id"], name=op.f("fk_area_parent_id_area")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_area")),
        sa.UniqueConstraint("code", name=op.f("uq_area_code")),
    )
    with op.batch_alter_table("area", schema=None) as batch_op:
        batch_op.create_geospatial_index(
            "idx_area_geom", ["geom"], unique=False, postgresql_using="gist", postgresql_ops={}
        )
        batch_op.create_index(batch_op.f("ix_area_alt_code"), ["alt_code"], unique=False)
        batch_op.create_index(batch_op.f("ix_area_level_code"), ["level_code"], unique=False)
        batch_op.create_index(batch_op.f("ix_area_parent_id"), ["parent_id"], unique=False)

    op.create_geospatial_table(
        "place",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind_code", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
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
        sa.Column("address", sa.String(length=200), nullable=True),
        sa.Column("postcode", sa.String(length=10), nullable=True),
        sa.Column(
            "status",
            sa.Enum("active", "temporarily_closed", "gone", name="place_status"),
            nullable=False,
        ),
        sa.Column("source", sa.String(length=100), nullable=True),
        sa.Column("source_id", sa.String(length=100), nullable=True),
        sa.Column("created_at", sa.DateTime(), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(), server_default=sa.text("now()"), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["kind_code"], ["place_kind.code"], name=op.f("fk_place_kind_code_place_kind")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_place")),
        sa.UniqueConstraint("source", "source_id", name=op.f("uq_place_source")),
    )
    with op.batch_alter_table("place", schema=None) as batch_op:
        batch_op.create_geospatial_index(
            "idx_place_geom", ["geom"], unique=False, postgresql_using="gist", postgresql_ops={}
        )
        batch_op.create_index(batch_op.f("ix_place_kind_code"), ["kind_code"], unique=False)
        batch_op.create_index(batch_op.f("ix_place_status"), ["status"], unique=False)

    op.create_table(
        "area_assignment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("area_id", sa.Integer(), nullable=False),
        sa.Column("since", sa.Date(), nullable=False),
        sa.Column("until", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["area_id"],
            ["area.id"],
            name=op.f("fk_area_assignment_area_id_area"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["app_user.id"],
            name=op.f("fk_area_assignment_user_id_app_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_area_assignment")),
    )
    with op.batch_alter_table("area_assignment", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_area_assignment_area_id"), ["area_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_area_assignment_user_id"), ["user_id"], unique=False)

    op.create_table(
        "area_indicator",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("area_id", sa.Integer(), nullable=False),
        sa.Column("indicator_code", sa.String(length=64), nullable=False),
        sa.Column("year", sa.SmallInteger(), nullable=False),
        sa.Column("value", sa.Numeric(precision=14, scale=4), nullable=False),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["area_id"],
            ["area.id"],
            name=op.f("fk_area_indicator_area_id_area"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["indicator_code"],
            ["indicator.code"],
            name=op.f("fk_area_indicator_indicator_code_indicator"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_area_indicator")),
        sa.UniqueConstraint(
            "area_id", "indicator_code", "year", "source", name=op.f("uq_area_indicator_area_id")
        ),
    )
    with op.batch_alter_table("area_indicator", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_area_indicator_area_id"), ["area_id"], unique=False)

    op.create_table(
        "cohesion_score",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("area_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.SmallInteger(), nullable=False),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("score", sa.Numeric(precision=6, scale=2), nullable=True),
        sa.Column("scale_min", sa.Numeric(precision=6, scale=2), nullable=False),
        sa.Column("scale_max", sa.Numeric(precision=6, scale=2), nullable=False),
        sa.Column("rung_assessed", sa.SmallInteger(), nullable=True),
        sa.Column("rung_wanted", sa.SmallInteger(), nullable=True),
        sa.Column("note", sa.String(length=2000), nullable=True),
        sa.CheckConstraint(
            "rung_assessed BETWEEN 1 AND 6", name=op.f("ck_cohesion_score_rung_assessed_on_ladder")
        ),
        sa.CheckConstraint(
            "rung_wanted BETWEEN 1 AND 6", name=op.f("ck_cohesion_score_rung_wanted_on_ladder")
        ),
        sa.CheckConstraint("scale_min < scale_max", name=op.f("ck_cohesion_score_scale_ordered")),
        sa.CheckConstraint(
            "score IS NULL OR score BETWEEN scale_min AND scale_max",
            name=op.f("ck_cohesion_score_score_on_scale"),
        ),
        sa.ForeignKeyConstraint(
            ["area_id"],
            ["area.id"],
            name=op.f("fk_cohesion_score_area_id_area"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cohesion_score")),
        sa.UniqueConstraint("area_id", "year", "source", name=op.f("uq_cohesion_score_area_id")),
    )
    with op.batch_alter_table("cohesion_score", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_cohesion_score_area_id"), ["area_id"], unique=False)

    op.create_table(
        "place_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("place_id", sa.Integer(), nullable=False),
        sa.Column("changed_at", sa.DateTime(), server_default=sa.text("now()"), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("old_values", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("new_values", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.ForeignKeyConstraint(
            ["place_id"],
            ["place.id"],
            name=op.f("fk_place_change_place_id_place"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["app_user.id"],
            name=op.f("fk_place_change_user_id_app_user"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_place_change")),
    )
    with op.batch_alter_table("place_change", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_place_change_place_id"), ["place_id"], unique=False)

    op.bulk_insert(sa.table("area_level", *(sa.column(c) for c in AREA_LEVELS[0])), AREA_LEVELS)
    op.bulk_insert(
        sa.table("indicator", *(sa.column(c) for c in ("code", "name_nl", "name_en", "unit"))),
        [dict(zip(("code", "name_nl", "name_en", "unit"), row)) for row in INDICATORS],
    )
    kind_columns = (
        "code",
        "label_nl",
        "label_en",
        "icon",
        "color",
        "walking_distance_m",
        "ladder_rung",
        "sort_order",
    )
    op.bulk_insert(
        sa.table("place_kind", *(sa.column(c) for c in kind_columns)),
        [dict(zip(kind_columns, row)) for row in PLACE_KINDS],
    )


def downgrade():
    with op.batch_alter_table("place_change", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_place_change_place_id"))

    op.drop_table("place_change")
    with op.batch_alter_table("cohesion_score", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cohesion_score_area_id"))

    op.drop_table("cohesion_score")
    with op.batch_alter_table("area_indicator", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_area_indicator_area_id"))

    op.drop_table("area_indicator")
    with op.batch_alter_table("area_assignment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_area_assignment_user_id"))
        batch_op.drop_index(batch_op.f("ix_area_assignment_area_id"))

    op.drop_table("area_assignment")
    with op.batch_alter_table("place", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_place_status"))
        batch_op.drop_index(batch_op.f("ix_place_kind_code"))
        batch_op.drop_geospatial_index(
            "idx_place_geom", postgresql_using="gist", column_name="geom"
        )

    op.drop_geospatial_table("place")
    with op.batch_alter_table("area", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_area_parent_id"))
        batch_op.drop_index(batch_op.f("ix_area_level_code"))
        batch_op.drop_index(batch_op.f("ix_area_alt_code"))
        batch_op.drop_geospatial_index("idx_area_geom", postgresql_using="gist", column_name="geom")

    op.drop_geospatial_table("area")
    op.drop_table("place_kind")
    op.drop_table("indicator")
    op.drop_table("area_level")
    op.drop_table("app_user")
    sa.Enum(name="place_status").drop(op.get_bind(), checkfirst=True)
    sa.Enum(name="user_role").drop(op.get_bind(), checkfirst=True)
