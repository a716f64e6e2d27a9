"""Proposal: a pairing the matcher suggests between a need and an offer."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, declared_attr, mapped_column, relationship

from marketplace.accounts.models import User
from marketplace.db import UTCDateTime, utcnow
from marketplace.extensions import db
from marketplace.needs.models import Need
from marketplace.offers.models import Offer


class ProposalStatus(StrEnum):
    PROPOSED = "proposed"
    ACCEPTED_BY_SME = "accepted_by_sme"
    ACCEPTED_BY_EXPERT = "accepted_by_expert"
    AGREED = "agreed"
    DECLINED = "declined"
    EXPIRED = "expired"


PROPOSAL_STATUSES = tuple(ProposalStatus)
# Still waiting for an answer from one side or both.
OPEN_PROPOSAL_STATUSES = (
    ProposalStatus.PROPOSED,
    ProposalStatus.ACCEPTED_BY_SME,
    ProposalStatus.ACCEPTED_BY_EXPERT,
)


class Proposal(db.Model):
    __tablename__ = "proposals"
    __table_args__ = (
        UniqueConstraint("need_id", "offer_id", name="uq_proposals_pair"),
        CheckConstraint("score >= 0 AND score <= 100", name="score_range"),
        CheckConstraint(
            "status IN (" + ", ".join(f"'{s}'" for s in PROPOSAL_STATUSES) + ")", name="status"
        ),
        Index("ix_proposals_offer_status", "offer_id", "status"),
        Index("ix_proposals_need_status", "need_id", "status"),
        # The proposals list's order (keyset): read in index order, never sorted whole.
        Index("ix_proposals_need_rank", "need_id", "rank", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    need_id: Mapped[int] = mapped_column(ForeignKey("needs.id", ondelete="CASCADE"))
    offer_id: Mapped[int] = mapped_column(ForeignKey("offers.id", ondelete="CASCADE"))
    score: Mapped[float] = mapped_column(Float)
    rank: Mapped[int] = mapped_column(Integer)
    reasons: Mapped[dict] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(20), default=ProposalStatus.PROPOSED)
    sme_message: Mapped[str | None] = mapped_column(Text)
    expert_message: Mapped[str | None] = mapped_column(Text)
    # Who accepted (or declined) on each side, and when: the mission's timeline shows both.
    sme_answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    sme_answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    expert_answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    expert_answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    need: Mapped[Need] = relationship()
    offer: Mapped[Offer] = relationship()
    sme_answered_by: Mapped[User | None] = relationship(foreign_keys=[sme_answered_by_id])
    expert_answered_by: Mapped[User | None] = relationship(foreign_keys=[expert_answered_by_id])


class OfListing:
    """A row about exactly one need or one offer (at most one row for each)."""

    @declared_attr.directive
    def __table_args__(cls):  # noqa: N805 - SQLAlchemy declared attribute
        return (CheckConstraint("(need_id IS NULL) <> (offer_id IS NULL)", name="one_listing"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    need_id: Mapped[int | None] = mapped_column(
        ForeignKey("needs.id", ondelete="CASCADE"), unique=True
    )
    offer_id: Mapped[int | None] = mapped_column(
        ForeignKey("offers.id", ondelete="CASCADE"), unique=True
    )


class ListingEmbedding(OfListing, db.Model):
    """The encoder's vector of one need's or one offer's text, stored once.

    `text_key` hashes the text the encoder read and the model's version: when either
    changes the vector is stale and is computed again (in the request for one listing,
    by `match embed` or the `refresh-proposals` job for many).
    """

    __tablename__ = "listing_embeddings"
    text_key: Mapped[str] = mapped_column(String(64))
    vector: Mapped[bytes] = mapped_column(LargeBinary)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class MatchingRequest(OfListing, db.Model):
    """A listing published or edited on a large market, waiting for the `match-queue` job
    (a request matches in place only while the market is small: MATCH_IN_REQUEST_OFFERS)."""

    __tablename__ = "matching_requests"
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
