"""Offer: days of one expert, lent by their group."""

from __future__ import annotations

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.accounts.models import Organisation, User
from marketplace.durations import DEFAULT_MINUTES_PER_DAY, minutes_to_days
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
    # The expert's time in minutes: `days` (half-day steps, as the group set it) at this
    # offer's hours per day, fixed when it is created (the highest of its group's active
    # conventions, 7 h otherwise), so a day of any of them fits in a day of the offer.
    minutes_per_day: Mapped[int] = mapped_column(
        Integer, default=DEFAULT_MINUTES_PER_DAY, server_default=str(DEFAULT_MINUTES_PER_DAY)
    )
    minutes: Mapped[int] = mapped_column(Integer)
    # Kept by the missions workflow with conditional updates; the CHECK below
    # makes over-allocation impossible whatever the code does.
    minutes_reserved: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    minutes_delivered: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    organisation: Mapped[Organisation] = relationship()
    expert: Mapped[User] = relationship()

    @classmethod
    def extra_table_args(cls) -> tuple:
        return (
            CheckConstraint("max_km >= 0 AND max_km <= 2000", name="max_km_range"),
            CheckConstraint(
                "minutes_reserved >= 0 AND minutes_delivered >= 0 "
                "AND minutes_reserved + minutes_delivered <= minutes",
                name="capacity",
            ),
            CheckConstraint("minutes = days * minutes_per_day", name="capacity_in_minutes"),
            Index("ix_offers_status_created", "status", "created_at"),
            Index("ix_offers_created", "created_at", "id"),
            Index("ix_offers_commune_key", "commune_key"),
            Index("ix_offers_organisation_status", "organisation_id", "status"),
            Index("ix_offers_expert", "expert_id"),
            Index("ix_offers_category", "category"),
            Index("ix_offers_window", "starts_on", "ends_on"),
        )

    @property
    def minutes_remaining(self) -> int:
        return max(0, self.minutes - (self.minutes_reserved or 0) - (self.minutes_delivered or 0))

    @property
    def days_remaining(self) -> float:
        return minutes_to_days(self.minutes_remaining, self.minutes_per_day)
