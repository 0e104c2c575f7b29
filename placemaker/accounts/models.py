"""Users and their area assignments."""

from __future__ import annotations

import enum
from datetime import date, datetime

from flask_login import UserMixin
from sqlalchemy import Boolean, Enum, ForeignKey, Integer, String, func
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from placemaker.areas.models import Area
from placemaker.extensions import Model


class Role(enum.Enum):
    area_manager = "area_manager"
    planner = "planner"
    admin = "admin"


class User(UserMixin, Model):
    __tablename__ = "app_user"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(300))
    role: Mapped[Role] = mapped_column(
        Enum(Role, name="user_role", values_callable=lambda e: [m.value for m in e])
    )
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())

    assignments: Mapped[list[AreaAssignment]] = relationship(
        back_populates="user", cascade="all, delete-orphan", order_by="AreaAssignment.since"
    )

    # Part of the session cookie's user id: raising it (logging out, a new password) ends
    # every session of this user, including a copied cookie.
    session_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"

    def end_sessions(self) -> None:
        self.session_version = (self.session_version or 0) + 1

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    @property
    def is_active(self) -> bool:  # type: ignore[override]
        return self.active


class AreaAssignment(Model):
    """An area manager looks after an area since a date: residents should know their contact."""

    __tablename__ = "area_assignment"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"), index=True)
    area_id: Mapped[int] = mapped_column(ForeignKey("area.id", ondelete="CASCADE"), index=True)
    since: Mapped[date] = mapped_column(default=date.today)
    until: Mapped[date | None]

    user: Mapped[User] = relationship(back_populates="assignments")
    area: Mapped[Area] = relationship()
