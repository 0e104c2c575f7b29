"""Residents' proposals for a meeting place, their photos, supports and moderation events."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from geoalchemy2 import Geometry, WKBElement
from sqlalchemy import (
    Enum,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from placemaker.cases.models import CaseEventColumns, CasePhotoColumns
from placemaker.conversations.models import Conversation
from placemaker.extensions import Model
from placemaker.geo import SRID


class ProposalStatus(enum.Enum):
    """Where a proposal stands. The transitions between them live in ``workflow.py``."""

    submitted = "submitted"
    needs_info = "needs_info"  # the area manager asked the resident a question
    approved = "approved"
    rejected = "rejected"
    duplicate = "duplicate"
    withdrawn = "withdrawn"
    hidden = "hidden"


OPEN_STATUSES = (ProposalStatus.submitted, ProposalStatus.needs_info)


class Proposal(Model):
    __tablename__ = "proposal"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind_code: Mapped[str] = mapped_column(ForeignKey("place_kind.code"), index=True)
    geom: Mapped[WKBElement] = mapped_column(Geometry("POINT", srid=SRID))
    # Why here, in the resident's words: public once submitted (the form says so).
    reason: Mapped[str] = mapped_column(Text)
    # The smallest area holding the point when it was proposed (for lists and the digest).
    area_id: Mapped[int | None] = mapped_column(
        ForeignKey("area.id", ondelete="SET NULL"), index=True
    )
    status: Mapped[ProposalStatus] = mapped_column(
        Enum(
            ProposalStatus, name="proposal_status", values_callable=lambda e: [m.value for m in e]
        ),
        default=ProposalStatus.submitted,
        index=True,
    )
    # Personal data: only the moderators of the area see it; erased after closing.
    submitter_name: Mapped[str | None] = mapped_column(String(100))
    submitter_email: Mapped[str | None] = mapped_column(String(254))
    personal_data_erased_at: Mapped[datetime | None]
    # Only when an e-mail address was given: the tracking link encrypted with a key derived
    # from SECRET_KEY (tracking.seal_token), so status mails can carry it; erased with the
    # address. The language of the form ("nl"/"en"), so mails speak it.
    tracking_sealed: Mapped[str | None] = mapped_column(Text)
    submitter_language: Mapped[str | None] = mapped_column(String(5))
    # The tracking link's token, hashed (SHA-256): a database dump reveals no working link.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    token_expires_at: Mapped[datetime]
    # Hash of the form's one-time key: a second submit of the same form finds this row.
    submission_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The answer the resident reads (reason of a rejection, the question asked, …).
    answer: Mapped[str | None] = mapped_column(Text)
    place_id: Mapped[int | None] = mapped_column(
        ForeignKey("place.id", ondelete="SET NULL"), index=True
    )
    duplicate_of_place_id: Mapped[int | None] = mapped_column(
        ForeignKey("place.id", ondelete="SET NULL")
    )
    duplicate_of_proposal_id: Mapped[int | None] = mapped_column(
        ForeignKey("proposal.id", ondelete="SET NULL")
    )
    # Made by an area manager from a need residents named in a ward conversation (moderators
    # and the public read where it came from); None for a resident's own proposal.
    conversation_id: Mapped[int | None] = mapped_column(
        ForeignKey("ward_conversation.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(server_default=func.now(), index=True)
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now(), onupdate=func.now())
    first_answered_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None] = mapped_column(index=True)
    # Optimistic locking: two area managers acting at once cannot both win.
    version: Mapped[int] = mapped_column(Integer, default=1)

    kind = relationship("PlaceKind", lazy="joined")
    area = relationship("Area")
    place = relationship("Place", foreign_keys=[place_id])
    conversation: Mapped[Conversation | None] = relationship()
    photo: Mapped[ProposalPhoto | None] = relationship(
        back_populates="proposal", cascade="all, delete-orphan", uselist=False
    )
    events: Mapped[list[ProposalEvent]] = relationship(
        back_populates="proposal", order_by="ProposalEvent.id", cascade="all, delete-orphan"
    )

    __mapper_args__ = {"version_id_col": version}

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class ProposalPhoto(CasePhotoColumns, Model):
    """The re-encoded photo (JPEG, no metadata), in the database so every server sees it."""

    __tablename__ = "proposal_photo"

    proposal_id: Mapped[int] = mapped_column(
        ForeignKey("proposal.id", ondelete="CASCADE"), unique=True
    )

    proposal: Mapped[Proposal] = relationship(back_populates="photo")


class ProposalSupport(Model):
    """One person's "ik steun dit". ``supporter_hash`` is a hash of a random cookie id."""

    __tablename__ = "proposal_support"
    __table_args__ = (UniqueConstraint("proposal_id", "supporter_hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(
        ForeignKey("proposal.id", ondelete="CASCADE"), index=True
    )
    supporter_hash: Mapped[str] = mapped_column(String(64))
    # A keyed hash of the supporter's network (IPv4 /24, IPv6 /56): limits how many supports
    # one network gives one proposal, and shows moderators bursts. Never the address itself.
    network_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


class ProposalEvent(CaseEventColumns, Model):
    """One step in a proposal's life: who, when, what it was, what it became and why."""

    __tablename__ = "proposal_event"

    proposal_id: Mapped[int] = mapped_column(
        ForeignKey("proposal.id", ondelete="CASCADE"), index=True
    )
    old_values: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict, sort_order=1)

    proposal: Mapped[Proposal] = relationship(back_populates="events")
