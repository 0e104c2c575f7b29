"""Residents' reports on existing places, their photos and the steps taken on them."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    CheckConstraint,
    Enum,
    ForeignKey,
    Integer,
    String,
    Text,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from placemaker.cases.models import CaseEventColumns, CasePhotoColumns
from placemaker.extensions import Model


class ReportKind(enum.Enum):
    broken = "broken"
    neglected = "neglected"
    closed = "closed"
    not_used = "not_used"  # with the resident's why


class ReportStatus(enum.Enum):
    """Where a report stands. The transitions between them live in ``workflow.py``."""

    submitted = "submitted"
    needs_info = "needs_info"
    in_progress = "in_progress"
    resolved = "resolved"
    rejected = "rejected"
    hidden = "hidden"


OPEN_STATUSES = (ReportStatus.submitted, ReportStatus.needs_info, ReportStatus.in_progress)


class PlaceReport(Model):
    __tablename__ = "place_report"
    __table_args__ = (
        CheckConstraint("kind IN ('broken', 'neglected', 'closed', 'not_used')", name="known_kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    place_id: Mapped[int] = mapped_column(ForeignKey("place.id", ondelete="CASCADE"), index=True)
    # The smallest area holding the place when reported (for lists).
    area_id: Mapped[int | None] = mapped_column(ForeignKey("area.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(20))  # a ReportKind value
    # In the resident's words; only the place's managers read it.
    text: Mapped[str | None] = mapped_column(Text)
    status: Mapped[ReportStatus] = mapped_column(
        Enum(
            ReportStatus, name="place_report_status", values_callable=lambda e: [m.value for m in e]
        ),
        default=ReportStatus.submitted,
        index=True,
    )
    # The tracking link's token, hashed: a database dump reveals no working link.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    token_expires_at: Mapped[datetime]
    submission_hash: Mapped[str] = mapped_column(String(64), unique=True)
    answer: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now(), onupdate=func.now())
    first_answered_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    version: Mapped[int] = mapped_column(Integer, default=1)

    place = relationship("Place", lazy="joined")
    area = relationship("Area")
    photo: Mapped[PlaceReportPhoto | None] = relationship(
        back_populates="report", cascade="all, delete-orphan", uselist=False
    )
    events: Mapped[list[PlaceReportEvent]] = relationship(
        back_populates="report", order_by="PlaceReportEvent.id", cascade="all, delete-orphan"
    )

    __mapper_args__ = {"version_id_col": version}

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class PlaceReportPhoto(CasePhotoColumns, Model):
    """The re-encoded photo (JPEG, no metadata), as for proposals."""

    __tablename__ = "place_report_photo"

    report_id: Mapped[int] = mapped_column(
        ForeignKey("place_report.id", ondelete="CASCADE"), unique=True
    )

    report: Mapped[PlaceReport] = relationship(back_populates="photo")


class PlaceReportEvent(CaseEventColumns, Model):
    """One step in a report's life: who, when, from what to what, and why."""

    __tablename__ = "place_report_event"

    report_id: Mapped[int] = mapped_column(
        ForeignKey("place_report.id", ondelete="CASCADE"), index=True
    )

    report: Mapped[PlaceReport] = relationship(back_populates="events")
