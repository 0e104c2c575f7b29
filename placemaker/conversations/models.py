"""Ward conversations: what residents said they want (a ladder rung, needs) and what followed."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, SmallInteger, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from placemaker.areas.models import Area
from placemaker.extensions import Model


class Conversation(Model):
    """A conversation with residents of an area (and perhaps a few of its streets)."""

    __tablename__ = "ward_conversation"
    __table_args__ = (
        CheckConstraint("rung_wanted BETWEEN 1 AND 6", name="rung_wanted_on_ladder"),
        CheckConstraint("residents >= 0", name="residents_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    area_id: Mapped[int] = mapped_column(ForeignKey("area.id", ondelete="CASCADE"), index=True)
    held_on: Mapped[date] = mapped_column(Date)
    streets: Mapped[str | None] = mapped_column(String(300))
    residents: Mapped[int] = mapped_column(SmallInteger)
    rung_wanted: Mapped[int | None] = mapped_column(SmallInteger)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())

    area: Mapped[Area] = relationship()
    needs: Mapped[list[Need]] = relationship(
        back_populates="conversation", order_by="Need.id", cascade="all, delete-orphan"
    )


class Need(Model):
    """A need residents named; it may become a task or be linked to a proposal."""

    __tablename__ = "ward_need"

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(
        ForeignKey("ward_conversation.id", ondelete="CASCADE"), index=True
    )
    text: Mapped[str] = mapped_column(String(500))
    task: Mapped[str | None] = mapped_column(String(500))  # what we do about it
    proposal_id: Mapped[int | None] = mapped_column(ForeignKey("proposal.id", ondelete="SET NULL"))

    conversation: Mapped[Conversation] = relationship(back_populates="needs")


class RungAssessment(Model):
    """An area manager's assessment of the rung an area stands on, with the reason."""

    __tablename__ = "area_rung_assessment"
    __table_args__ = (CheckConstraint("rung BETWEEN 1 AND 6", name="rung_on_ladder"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    area_id: Mapped[int] = mapped_column(ForeignKey("area.id", ondelete="CASCADE"), index=True)
    rung: Mapped[int] = mapped_column(SmallInteger)
    reason: Mapped[str] = mapped_column(Text)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))
    set_at: Mapped[datetime] = mapped_column(server_default=func.now())
