"""Areas, their levels, indicator values and cohesion scores."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from geoalchemy2 import Geometry, WKBElement
from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Numeric,
    SmallInteger,
    String,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from placemaker.extensions import Model
from placemaker.geo import SRID

# The cohesion ladder, top to bottom. Rung numbers are stored; labels live here and in the UI.
LADDER = {
    1: ("verplichte zorgzaamheid", "obligatory care"),
    2: ("onderlinge zorg", "mutual care"),
    3: ("alledaagse attentheid", "everyday attentiveness"),
    4: ("publieke familiariteit", "public familiarity"),
    5: ("anonimiteit", "anonymity"),
    6: ("sociale spanningen", "social tension"),
}


class AreaLevel(Model):
    """A level of the hierarchy. Data, not code: another city may have other levels."""

    __tablename__ = "area_level"

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    name_nl: Mapped[str] = mapped_column(String(80))
    name_en: Mapped[str] = mapped_column(String(80))
    # 1 for the largest areas; a child's rank is greater than its parent's.
    rank: Mapped[int] = mapped_column(SmallInteger, unique=True)


class Area(Model):
    __tablename__ = "area"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    # Another register's code for the same area (CBS BU0363…), used to join indicator files.
    alt_code: Mapped[str | None] = mapped_column(String(32), index=True)
    name: Mapped[str] = mapped_column(String(200))
    level_code: Mapped[str] = mapped_column(ForeignKey("area_level.code"), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("area.id"), index=True)
    geom: Mapped[WKBElement] = mapped_column(Geometry("MULTIPOLYGON", srid=SRID))
    source: Mapped[str | None] = mapped_column(String(200))
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now(), onupdate=func.now())

    level: Mapped[AreaLevel] = relationship(lazy="joined")
    parent: Mapped[Area | None] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list[Area]] = relationship(back_populates="parent")

    def __repr__(self) -> str:
        return f"<Area {self.level_code} {self.code} {self.name!r}>"


class Indicator(Model):
    """What an indicator value means (population, share 65+, …)."""

    __tablename__ = "indicator"

    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    name_nl: Mapped[str] = mapped_column(String(120))
    name_en: Mapped[str] = mapped_column(String(120))
    unit: Mapped[str] = mapped_column(String(20))  # "persons", "%", "score"


class AreaIndicator(Model):
    __tablename__ = "area_indicator"
    __table_args__ = (UniqueConstraint("area_id", "indicator_code", "year", "source"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    area_id: Mapped[int] = mapped_column(ForeignKey("area.id", ondelete="CASCADE"), index=True)
    indicator_code: Mapped[str] = mapped_column(ForeignKey("indicator.code"))
    year: Mapped[int] = mapped_column(SmallInteger)
    value: Mapped[Decimal] = mapped_column(Numeric(14, 4))
    source: Mapped[str] = mapped_column(String(200))


class CohesionScore(Model):
    """A cohesion measurement of an area in a year, from one source.

    ``score`` is on the source's own scale (BBGA LSOCCOH_R: 1-10, Leefbaarometer ``soc``:
    a deviation around 0), with its direction and reference; the ladder rungs are
    1 (obligatory care) to 6 (social tension), as assessed and as residents want it.
    """

    __tablename__ = "cohesion_score"
    __table_args__ = (
        UniqueConstraint("area_id", "year", "source"),
        CheckConstraint("rung_assessed BETWEEN 1 AND 6", name="rung_assessed_on_ladder"),
        CheckConstraint("rung_wanted BETWEEN 1 AND 6", name="rung_wanted_on_ladder"),
        CheckConstraint("scale_min < scale_max", name="scale_ordered"),
        CheckConstraint(
            "score IS NULL OR score BETWEEN scale_min AND scale_max", name="score_on_scale"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    area_id: Mapped[int] = mapped_column(ForeignKey("area.id", ondelete="CASCADE"), index=True)
    year: Mapped[int] = mapped_column(SmallInteger)
    source: Mapped[str] = mapped_column(String(200))
    score: Mapped[Decimal | None] = mapped_column(Numeric(10, 4))
    scale_min: Mapped[Decimal] = mapped_column(Numeric(10, 4), default=1)
    scale_max: Mapped[Decimal] = mapped_column(Numeric(10, 4), default=10)
    # What the score means: its direction, and the value that is "average" (of what).
    higher_is_better: Mapped[bool] = mapped_column(Boolean, default=True)
    reference: Mapped[Decimal | None] = mapped_column(Numeric(10, 4))
    reference_label: Mapped[str | None] = mapped_column(String(200))
    rung_assessed: Mapped[int | None] = mapped_column(SmallInteger)
    rung_wanted: Mapped[int | None] = mapped_column(SmallInteger)
    note: Mapped[str | None] = mapped_column(String(2000))


class DataSource(Model):
    """A source that was imported: what the credit lines say, per municipality."""

    __tablename__ = "data_source"
    __table_args__ = (UniqueConstraint("name", "gemeente"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    # The municipality's CBS code (GM0344); None for sources that span several.
    gemeente: Mapped[str | None] = mapped_column(String(16), index=True)
    publisher: Mapped[str] = mapped_column(String(200))
    title: Mapped[str | None] = mapped_column(String(300))
    licence: Mapped[str | None] = mapped_column(String(100))
    year: Mapped[int | None] = mapped_column(SmallInteger)
    url: Mapped[str | None] = mapped_column(String(500))
    recipe: Mapped[str | None] = mapped_column(String(200))
    # The key the places imported from this source carry in place.source (a recipe's
    # place_source, which stays the key of re-imports), so a place page can credit it.
    place_source: Mapped[str | None] = mapped_column(String(200), index=True)
    imported_at: Mapped[datetime] = mapped_column(server_default=func.now())

    def credit(self) -> str:
        what = self.title or self.name
        year = f" {self.year}" if self.year and str(self.year) not in what else ""
        licence = f" ({self.licence})" if self.licence else ""
        return f"{what}{year}: {self.publisher}{licence}"


class PopulationCell(Model):
    """Residents of a small square (CBS 100 m grid) at its centre: demand where people live.

    ``estimated`` marks squares whose figure the publisher suppressed; their population is
    the documented estimate of the importer (placemaker/imports/population.py).
    """

    __tablename__ = "population_cell"
    __table_args__ = (UniqueConstraint("cell_id", "source"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    gemeente: Mapped[str] = mapped_column(String(16), index=True)
    cell_id: Mapped[str] = mapped_column(String(40))
    geom: Mapped[WKBElement] = mapped_column(Geometry("POINT", srid=SRID))
    population: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    estimated: Mapped[bool] = mapped_column(Boolean, default=False)
    source: Mapped[str] = mapped_column(String(200))
