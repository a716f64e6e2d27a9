"""Need: an SME's request for expert days."""

from __future__ import annotations

from sqlalchemy import ForeignKey, Index
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.accounts.models import Organisation, User
from marketplace.extensions import db
from marketplace.listings.models import ListingMixin, ListingStatus

NEED_STATUSES = tuple(ListingStatus)


class Need(ListingMixin, db.Model):
    __tablename__ = "needs"
    STATUSES = NEED_STATUSES

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    organisation: Mapped[Organisation] = relationship()
    created_by: Mapped[User | None] = relationship()

    @classmethod
    def extra_table_args(cls) -> tuple:
        return (
            Index("ix_needs_status_created", "status", "created_at"),
            Index("ix_needs_created", "created_at", "id"),
            Index("ix_needs_commune_key", "commune_key"),
            Index("ix_needs_organisation_status", "organisation_id", "status"),
            Index("ix_needs_category", "category"),
            Index("ix_needs_window", "starts_on", "ends_on"),
        )
