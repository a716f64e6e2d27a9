"""Territories and the three-year conventions that bind groups to them."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import (
    CheckConstraint,
    Column,
    Date,
    Float,
    ForeignKey,
    Integer,
    String,
    Table,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.accounts.models import Organisation, User
from marketplace.db import UTCDateTime, utcnow
from marketplace.durations import DEFAULT_MINUTES_PER_DAY, minutes_to_days
from marketplace.extensions import db


class ConventionStatus(StrEnum):
    DRAFT = "draft"
    ACTIVE = "active"
    CLOSED = "closed"


CONVENTION_STATUSES = tuple(ConventionStatus)

convention_coordinators = Table(
    "convention_coordinators",
    db.metadata,
    Column("convention_id", ForeignKey("conventions.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
)


class Territory(db.Model):
    __tablename__ = "territories"
    __table_args__ = (
        CheckConstraint("centre_lat >= -90 AND centre_lat <= 90", name="lat_range"),
        CheckConstraint("centre_lon >= -180 AND centre_lon <= 180", name="lon_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    departement: Mapped[str] = mapped_column(String(3))
    centre_lat: Mapped[float] = mapped_column(Float)
    centre_lon: Mapped[float] = mapped_column(Float)
    # Inhabitants, when known: the report then gives figures per 10,000 inhabitants.
    population: Mapped[int | None] = mapped_column(Integer)

    conventions: Mapped[list[Convention]] = relationship(back_populates="territory")


class Convention(db.Model):
    __tablename__ = "conventions"
    __table_args__ = (
        CheckConstraint("ends_on > starts_on", name="period_order"),
        # Hours per day: 1 h to 12 h by half hours, so a half day is whole minutes.
        CheckConstraint(
            "minutes_per_day >= 60 AND minutes_per_day <= 720 AND minutes_per_day % 30 = 0",
            name="minutes_per_day_range",
        ),
        # The quota is set in half days.
        CheckConstraint(
            "quota_minutes >= 0 AND (quota_minutes * 2) % minutes_per_day = 0",
            name="quota_half_days",
        ),
        # The quota can never be over-allocated: approvals reserve with a conditional
        # UPDATE, and this CHECK refuses whatever would pass it (an override with a
        # reason raises minutes_overridden first). All in minutes, integers.
        CheckConstraint(
            "minutes_reserved >= 0 AND minutes_delivered >= 0 AND minutes_overridden >= 0 "
            "AND minutes_reserved + minutes_delivered <= quota_minutes + minutes_overridden",
            name="quota_not_exceeded",
        ),
        CheckConstraint(
            "status IN (" + ", ".join(f"'{s}'" for s in CONVENTION_STATUSES) + ")",
            name="status",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    territory_id: Mapped[int] = mapped_column(ForeignKey("territories.id"), index=True)
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    minutes_per_day: Mapped[int] = mapped_column(
        Integer, default=DEFAULT_MINUTES_PER_DAY, server_default=str(DEFAULT_MINUTES_PER_DAY)
    )
    quota_minutes: Mapped[int] = mapped_column(Integer)
    # approved and not delivered yet / logged in the ledger / overridden beyond the quota
    minutes_reserved: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    minutes_delivered: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    minutes_overridden: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    status: Mapped[str] = mapped_column(String(10), default="active")
    predecessor_id: Mapped[int | None] = mapped_column(ForeignKey("conventions.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    territory: Mapped[Territory] = relationship(back_populates="conventions")
    predecessor: Mapped[Convention | None] = relationship(remote_side=[id])
    partners: Mapped[list[ConventionGroup]] = relationship(
        back_populates="convention", cascade="all, delete-orphan"
    )
    coordinators: Mapped[list[User]] = relationship(secondary=convention_coordinators)

    @property
    def quota_days(self) -> float:
        return minutes_to_days(self.quota_minutes, self.minutes_per_day)


class ConventionGroup(db.Model):
    """A partner group of a convention and the skill days it committed."""

    __tablename__ = "convention_groups"
    __table_args__ = (
        UniqueConstraint("convention_id", "organisation_id", name="uq_convention_groups_pair"),
        CheckConstraint("committed_minutes >= 0", name="committed_positive"),
        CheckConstraint(
            "minutes_reserved >= 0 AND minutes_delivered >= 0 AND minutes_overridden >= 0 "
            "AND minutes_reserved + minutes_delivered <= committed_minutes + minutes_overridden",
            name="commitment_not_exceeded",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    convention_id: Mapped[int] = mapped_column(
        ForeignKey("conventions.id", ondelete="CASCADE"), index=True
    )
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    committed_minutes: Mapped[int] = mapped_column(Integer)
    minutes_reserved: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    minutes_delivered: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    minutes_overridden: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    convention: Mapped[Convention] = relationship(back_populates="partners")
    organisation: Mapped[Organisation] = relationship()

    @property
    def minutes_per_day(self) -> int:
        """A partner's day is its convention's."""
        return self.convention.minutes_per_day

    @property
    def committed_days(self) -> float:
        return minutes_to_days(self.committed_minutes, self.minutes_per_day)
