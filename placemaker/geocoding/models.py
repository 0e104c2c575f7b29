"""Addresses from the national address register (BAG), the local index behind address search."""

from __future__ import annotations

from geoalchemy2 import Geometry, WKBElement
from sqlalchemy import Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from placemaker.extensions import Model
from placemaker.geo import SRID


class Address(Model):
    """One BAG nummeraanduiding with its point (a verblijfsobject, standplaats or ligplaats)."""

    __tablename__ = "address"
    __table_args__ = (
        # Type-ahead matches any part of a street name (ILIKE '%…%', served by trigrams) and
        # the start of a postcode; a national register holds nine million rows.
        Index(
            "ix_address_street_trgm",
            "street",
            postgresql_using="gin",
            postgresql_ops={"street": "gin_trgm_ops"},
        ),
        Index("ix_address_postcode", "postcode", postgresql_ops={"postcode": "text_pattern_ops"}),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # The register's own id (nummeraanduiding), so a re-import updates instead of duplicating.
    bag_id: Mapped[str] = mapped_column(String(20), unique=True)
    street: Mapped[str] = mapped_column(String(120))
    number: Mapped[int] = mapped_column(Integer)
    letter: Mapped[str | None] = mapped_column(String(4))
    addition: Mapped[str | None] = mapped_column(String(8))
    postcode: Mapped[str | None] = mapped_column(String(6))
    city: Mapped[str | None] = mapped_column(String(80))
    kind: Mapped[str] = mapped_column(String(20))  # verblijfsobject, standplaats, ligplaats
    geom: Mapped[WKBElement] = mapped_column(Geometry("POINT", srid=SRID))

    @property
    def house_number(self) -> str:
        """``100``, ``100A`` or ``100A-2``, as Dutch addresses are written."""
        text = f"{self.number}{self.letter or ''}"
        return f"{text}-{self.addition}" if self.addition else text
