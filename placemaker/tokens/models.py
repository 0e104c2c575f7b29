"""Personal API tokens: stored as a hash, shown to their owner once."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from placemaker.accounts.models import User
from placemaker.extensions import Model


class ApiToken(Model):
    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"), index=True)
    # What the owner calls it ("QGIS on my laptop"), to know which one to revoke.
    name: Mapped[str] = mapped_column(String(100))
    # SHA-256 of the token: tokens are 256 random bits, so a fast hash is enough, and a
    # stolen table does not give anybody a working token.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The first characters, shown in the list so the owner can recognise a token.
    prefix: Mapped[str] = mapped_column(String(12))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    user: Mapped[User] = relationship(lazy="joined")

    @property
    def active(self) -> bool:
        return self.revoked_at is None
