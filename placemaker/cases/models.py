"""The columns every case's event and photo table has (each feature adds the link to its
case)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, LargeBinary, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column


class CaseEventColumns:
    """One step in a case's life: who, when, from what to what, and why.

    A declarative mixin: the tables stay the features' own (``proposal_event``,
    ``place_report_event``); their columns come in the migrations' order: ``id``, the link
    to the case, these, then any of the feature's own with a ``sort_order`` above 0.
    """

    id: Mapped[int] = mapped_column(primary_key=True, sort_order=-1)
    at: Mapped[datetime] = mapped_column(server_default=func.now())
    user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))
    # Who in words: a manager's name or e-mail address, "resident" or "system" (never a
    # resident's name).
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(30))
    old_status: Mapped[str | None] = mapped_column(String(20))
    new_status: Mapped[str | None] = mapped_column(String(20))
    reason: Mapped[str | None] = mapped_column(Text)
    # Whether the resident reads this step on the tracking page.
    public: Mapped[bool] = mapped_column(Boolean, default=False)


class CasePhotoColumns:
    """The re-encoded photo (JPEG, no metadata), in the database so every server sees it.

    A declarative mixin as :class:`CaseEventColumns`: ``id``, the link to the case, these.
    """

    id: Mapped[int] = mapped_column(primary_key=True, sort_order=-1)
    content_type: Mapped[str] = mapped_column(String(40))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    width: Mapped[int]
    height: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
