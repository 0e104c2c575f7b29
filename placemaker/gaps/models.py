"""What the gap analysis keeps: layers (parks, water, candidate sites) and saved scenarios."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from geoalchemy2 import Geometry, WKBElement
from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, Text, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from placemaker.extensions import Model, db
from placemaker.geo import RD_SRID, SRID

LAYER_ROLES = ("exclude", "candidates")


class GapLayer(Model):
    """A layer the analysis uses: areas to leave out (parks, water) or candidate sites."""

    __tablename__ = "gap_layer"
    __table_args__ = (
        CheckConstraint("role IN (" + ", ".join(f"'{r}'" for r in LAYER_ROLES) + ")", name="role"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    # "exclude": no residents live there and no site goes there; "candidates": possible sites.
    role: Mapped[str] = mapped_column(String(20))
    source: Mapped[str | None] = mapped_column(String(300))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())

    features: Mapped[list[GapLayerFeature]] = relationship(
        back_populates="layer", cascade="all, delete-orphan", passive_deletes=True
    )


class GapLayerFeature(Model):
    __tablename__ = "gap_layer_feature"

    id: Mapped[int] = mapped_column(primary_key=True)
    layer_id: Mapped[int] = mapped_column(
        ForeignKey("gap_layer.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str | None] = mapped_column(String(300))
    geom: Mapped[WKBElement] = mapped_column(Geometry("GEOMETRY", srid=SRID))
    properties: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)

    layer: Mapped[GapLayer] = relationship(back_populates="features")


class GapScenario(Model):
    """A planner's saved parameter set with its result, to compare with another."""

    __tablename__ = "gap_scenario"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    params: Mapped[dict[str, Any]] = mapped_column(JSONB)
    result: Mapped[dict[str, Any]] = mapped_column(JSONB)
    data_version: Mapped[str] = mapped_column(String(200))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    version: Mapped[int] = mapped_column(Integer, default=1)


class WalkNode(Model):
    """A node of the walking network (its OpenStreetMap id), in RD New metres."""

    __tablename__ = "walk_node"

    id: Mapped[int] = mapped_column(db.BigInteger, primary_key=True, autoincrement=False)
    geom: Mapped[WKBElement] = mapped_column(Geometry("POINT", srid=RD_SRID))


class WalkEdge(Model):
    """A walkable segment between two nodes (see placemaker.gaps.network)."""

    __tablename__ = "walk_edge"

    id: Mapped[int] = mapped_column(db.BigInteger, db.Identity(), primary_key=True)
    source: Mapped[int] = mapped_column(
        db.BigInteger, ForeignKey("walk_node.id", ondelete="CASCADE"), index=True
    )
    target: Mapped[int] = mapped_column(
        db.BigInteger, ForeignKey("walk_node.id", ondelete="CASCADE")
    )
    length_m: Mapped[float] = mapped_column(db.Float)
