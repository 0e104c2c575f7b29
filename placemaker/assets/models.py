"""The dated record of a place's condition and of every "checked, in use"."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column

from placemaker.extensions import Model


class PlaceCheck(Model):
    """One look at a place: its condition set, or it was seen in use (by whom, when)."""

    __tablename__ = "place_check"

    id: Mapped[int] = mapped_column(primary_key=True)
    place_id: Mapped[int] = mapped_column(ForeignKey("place.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(server_default=func.now())
    user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))
    # A manager's e-mail address, or "resident" (residents stay anonymous).
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(20))  # condition | in_use
    old_condition: Mapped[str | None] = mapped_column(String(20))
    new_condition: Mapped[str | None] = mapped_column(String(20))
    note: Mapped[str | None] = mapped_column(Text)
