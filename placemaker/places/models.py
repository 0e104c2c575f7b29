"""Place kinds, places and the history of every change to a place."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from geoalchemy2 import Geometry, WKBElement
from sqlalchemy import (
    CheckConstraint,
    Enum,
    ForeignKey,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from placemaker.extensions import Model
from placemaker.geo import SRID


class PlaceStatus(enum.Enum):
    """A place's life: planned → under construction → open (``active``) → gone.

    Only open places count in the gap analysis (a scenario may add the planned ones).
    """

    planned = "planned"
    under_construction = "under_construction"
    active = "active"
    temporarily_closed = "temporarily_closed"
    gone = "gone"


class PlaceCondition(enum.Enum):
    """How a place is doing, as last seen; separate from its status (open, closed, gone)."""

    good = "good"
    needs_attention = "needs_attention"
    broken = "broken"
    gone = "gone"


# Approved but not (yet) there: on the place page and tracking page, not on the default map.
NOT_BUILT = (PlaceStatus.planned, PlaceStatus.under_construction)


class PlaceKind(Model):
    """A kind of meeting place. A table, so area managers' organisations can add their own."""

    __tablename__ = "place_kind"
    __table_args__ = (
        CheckConstraint("walking_distance_m > 0", name="walking_distance_positive"),
        CheckConstraint("ladder_rung BETWEEN 1 AND 6", name="ladder_rung_on_ladder"),
    )

    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    label_nl: Mapped[str] = mapped_column(String(80))
    label_en: Mapped[str] = mapped_column(String(80))
    icon: Mapped[str] = mapped_column(String(40))  # a Font Awesome name, drawn on the marker
    color: Mapped[str] = mapped_column(String(7))  # marker colour, #rrggbb
    # How far people walk to it: a bench serves its street, a community centre its wijk.
    walking_distance_m: Mapped[int] = mapped_column(Integer)
    # The rung on the cohesion ladder this kind of place helps to reach.
    ladder_rung: Mapped[int] = mapped_column(SmallInteger)
    sort_order: Mapped[int] = mapped_column(SmallInteger, default=100)


class Place(Model):
    __tablename__ = "place"
    __table_args__ = (UniqueConstraint("source", "source_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind_code: Mapped[str] = mapped_column(ForeignKey("place_kind.code"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    geom: Mapped[WKBElement] = mapped_column(Geometry("POINT", srid=SRID))
    address: Mapped[str | None] = mapped_column(String(200))
    postcode: Mapped[str | None] = mapped_column(String(10))
    status: Mapped[PlaceStatus] = mapped_column(
        Enum(PlaceStatus, name="place_status", values_callable=lambda e: [m.value for m in e]),
        default=PlaceStatus.active,
        index=True,
    )
    # As an asset: who owns it, who keeps it (a contact role, not a person's name), what it
    # is paid from, when it is open (OpenStreetMap opening_hours syntax), how it is doing
    # and when somebody last saw it in use (see placemaker/assets).
    owner_org: Mapped[str | None] = mapped_column(String(200), index=True)
    keeper: Mapped[str | None] = mapped_column(String(200))
    budget_line: Mapped[str | None] = mapped_column(String(200))
    opening_hours: Mapped[str | None] = mapped_column(String(500))
    condition: Mapped[PlaceCondition] = mapped_column(
        Enum(
            PlaceCondition, name="place_condition", values_callable=lambda e: [m.value for m in e]
        ),
        default=PlaceCondition.good,
        server_default="good",
    )
    last_confirmed_at: Mapped[datetime | None] = mapped_column(index=True)
    # Where it came from, so a re-import updates instead of duplicating.
    source: Mapped[str | None] = mapped_column(String(100))
    source_id: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now(), onupdate=func.now())
    # Optimistic locking: two area managers editing at once cannot overwrite each other.
    version: Mapped[int] = mapped_column(Integer, default=1)

    kind: Mapped[PlaceKind] = relationship(lazy="joined")
    changes: Mapped[list[PlaceChange]] = relationship(
        back_populates="place", order_by="PlaceChange.id", cascade="all, delete-orphan"
    )

    __mapper_args__ = {"version_id_col": version}


class PlaceChange(Model):
    """One change to a place: who, when, what it was and what it became."""

    __tablename__ = "place_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    place_id: Mapped[int] = mapped_column(ForeignKey("place.id", ondelete="CASCADE"), index=True)
    changed_at: Mapped[datetime] = mapped_column(server_default=func.now())
    user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))
    # Who, in words, also when no user did it ("import maatschappelijke_voorzieningen").
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(20))  # created, updated, moved, status
    old_values: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    new_values: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)

    place: Mapped[Place] = relationship(back_populates="changes")
