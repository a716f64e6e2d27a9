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
    String,
    Table,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.accounts.models import Organisation, User
from marketplace.db import UTCDateTime, utcnow
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

    conventions: Mapped[list[Convention]] = relationship(back_populates="territory")


class Convention(db.Model):
    __tablename__ = "conventions"
    __table_args__ = (
        CheckConstraint("ends_on > starts_on", name="period_order"),
        CheckConstraint("skill_days_quota >= 0", name="quota_positive"),
        # The quota can never be over-allocated: approvals reserve with a conditional
        # UPDATE, and this CHECK refuses whatever would pass it (an override with a
        # reason raises days_overridden first).
        CheckConstraint(
            "days_reserved >= 0 AND days_delivered >= 0 AND days_overridden >= 0 "
            "AND days_reserved + days_delivered <= skill_days_quota + days_overridden",
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
    skill_days_quota: Mapped[float] = mapped_column(Float)
    days_reserved: Mapped[float] = mapped_column(Float, default=0.0, server_default="0")  # approved
    days_delivered: Mapped[float] = mapped_column(Float, default=0.0, server_default="0")  # logged
    days_overridden: Mapped[float] = mapped_column(Float, default=0.0, server_default="0")
    status: Mapped[str] = mapped_column(String(10), default="active")
    predecessor_id: Mapped[int | None] = mapped_column(ForeignKey("conventions.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    territory: Mapped[Territory] = relationship(back_populates="conventions")
    predecessor: Mapped[Convention | None] = relationship(remote_side=[id])
    partners: Mapped[list[ConventionGroup]] = relationship(
        back_populates="convention", cascade="all, delete-orphan"
    )
    coordinators: Mapped[list[User]] = relationship(secondary=convention_coordinators)


class ConventionGroup(db.Model):
    """A partner group of a convention and the skill days it committed."""

    __tablename__ = "convention_groups"
    __table_args__ = (
        UniqueConstraint("convention_id", "organisation_id", name="uq_convention_groups_pair"),
        CheckConstraint("committed_days >= 0", name="committed_positive"),
        CheckConstraint(
            "days_reserved >= 0 AND days_delivered >= 0 AND days_overridden >= 0 "
            "AND days_reserved + days_delivered <= committed_days + days_overridden",
            name="commitment_not_exceeded",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    convention_id: Mapped[int] = mapped_column(
        ForeignKey("conventions.id", ondelete="CASCADE"), index=True
    )
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    committed_days: Mapped[float] = mapped_column(Float)
    days_reserved: Mapped[float] = mapped_column(Float, default=0.0, server_default="0")
    days_delivered: Mapped[float] = mapped_column(Float, default=0.0, server_default="0")
    days_overridden: Mapped[float] = mapped_column(Float, default=0.0, server_default="0")

    convention: Mapped[Convention] = relationship(back_populates="partners")
    organisation: Mapped[Organisation] = relationship()
