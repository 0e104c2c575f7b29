"""The outbox: each mail is a row written in the transaction of the step that caused it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, LargeBinary, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column

from placemaker.extensions import Model


class OutboxMail(Model):
    """A mail waiting to be sent (pending), sent, or given up on (failed).

    Pending: neither ``sent_at`` nor ``failed_at``. The address and the text are cleared as
    soon as the mail is sent; a failed mail keeps them for ``MAIL_OUTBOX_KEEP_DAYS`` days (to
    be sent again once the mail server is fixed), then its row goes, as a sent row does.
    """

    __tablename__ = "mail_outbox"
    __table_args__ = (CheckConstraint("sent_at IS NULL OR failed_at IS NULL", name="one_end"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    # The proposal the mail is about (its X-Placemaker-Proposal header): erasing the
    # resident's personal data deletes its unsent mails.
    proposal_id: Mapped[int | None] = mapped_column(
        ForeignKey("proposal.id", ondelete="CASCADE"), index=True
    )
    recipient: Mapped[str | None] = mapped_column(Text)  # the To header; cleared once sent
    subject: Mapped[str] = mapped_column(Text, default="")
    message: Mapped[bytes | None] = mapped_column(LargeBinary)  # RFC 5322; cleared once sent
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    # The kind of the last failure (exception class, SMTP code): never an address.
    last_error: Mapped[str | None] = mapped_column(String(200))
    next_attempt_at: Mapped[datetime] = mapped_column(server_default=func.now(), index=True)
    sent_at: Mapped[datetime | None]
    failed_at: Mapped[datetime | None]
