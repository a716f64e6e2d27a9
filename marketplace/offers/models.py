"""Offer: days of one expert, lent by their group."""

from __future__ import annotations

from sqlalchemy import CheckConstraint, Float, ForeignKey, Index, Integer
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.accounts.models import Organisation, User
from marketplace.extensions import db
from marketplace.listings.models import ListingMixin, ListingStatus

OFFER_STATUSES = tuple(
    s for s in ListingStatus if s not in (ListingStatus.MATCHED, ListingStatus.FULFILLED)
)


class Offer(ListingMixin, db.Model):
    __tablename__ = "offers"
    STATUSES = OFFER_STATUSES

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    expert_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    max_km: Mapped[int] = mapped_column(Integer, default=50)
    # Kept by the missions workflow with conditional updates; the CHECK below
    # makes over-allocation impossible whatever the code does.
    days_reserved: Mapped[float] = mapped_column(Float, default=0.0)
    days_delivered: Mapped[float] = mapped_column(Float, default=0.0)

    organisation: Mapped[Organisation] = relationship()
    expert: Mapped[User] = relationship()

    @classmethod
    def extra_table_args(cls) -> tuple:
        return (
            CheckConstraint("max_km >= 0 AND max_km <= 2000", name="max_km_range"),
            CheckConstraint(
                "days_reserved >= 0 AND days_delivered >= 0 "
                "AND days_reserved + days_delivered <= days",
                name="capacity",
            ),
            Index("ix_offers_status_created", "status", "created_at"),
            Index("ix_offers_created", "created_at", "id"),
            Index("ix_offers_commune_key", "commune_key"),
            Index("ix_offers_organisation_status", "organisation_id", "status"),
            Index("ix_offers_expert", "expert_id"),
            Index("ix_offers_category", "category"),
            Index("ix_offers_window", "starts_on", "ends_on"),
        )

    @property
    def days_remaining(self) -> float:
        return max(0.0, self.days - (self.days_reserved or 0) - (self.days_delivered or 0))
