"""The ledger of days delivered: append-only, one entry per session, corrections as entries."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from marketplace.db import UTCDateTime, utcnow
from marketplace.extensions import db


class LedgerSource(StrEnum):
    SCHEDULER = "scheduler"  # a delivered session, logged by the ledger job
    CORRECTION = "correction"  # a coordinator's correction (positive or negative minutes)


class LedgerEntry(db.Model):
    """Time delivered against a convention, in minutes: one entry per session, corrections as
    new entries.

    Quota consumption is the sum of this table. The scheduler writes one entry per
    delivered session (unique session_id, inserted with ON CONFLICT DO NOTHING);
    a correction is another entry (no session), never an edit.
    """

    __tablename__ = "ledger_entries"
    __table_args__ = (
        CheckConstraint("source IN ('scheduler', 'correction')", name="source"),
        CheckConstraint(
            "(source = 'scheduler' AND session_id IS NOT NULL AND minutes > 0) "
            "OR (source = 'correction' AND session_id IS NULL AND minutes <> 0)",
            name="source_shape",
        ),
        Index("ix_ledger_entries_convention_on", "convention_id", "entry_on"),
        Index("ix_ledger_entries_group", "group_id"),
        Index("ix_ledger_entries_mission", "mission_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    convention_id: Mapped[int] = mapped_column(ForeignKey("conventions.id"))
    group_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    mission_id: Mapped[int] = mapped_column(ForeignKey("missions.id"))
    session_id: Mapped[int | None] = mapped_column(ForeignKey("mission_sessions.id"), unique=True)
    entry_on: Mapped[date] = mapped_column(Date)
    minutes: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(12))
    reason: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class LedgerMonth(db.Model):
    """The ledger summed per mission and month, written in the same transaction as its
    entries: the report and the dashboard read these instead of every entry. A mission has
    one convention and one group, which ride along for filtering. Always equal to the
    entries' sum (tests/test_ledger.py checks it after runs and corrections)."""

    __tablename__ = "ledger_months"
    __table_args__ = (
        Index("ix_ledger_months_convention_month", "convention_id", "month"),
        Index("ix_ledger_months_group_month", "group_id", "month"),
    )

    mission_id: Mapped[int] = mapped_column(ForeignKey("missions.id"), primary_key=True)
    month: Mapped[date] = mapped_column(Date, primary_key=True)  # its first day
    convention_id: Mapped[int] = mapped_column(ForeignKey("conventions.id"))
    group_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    minutes: Mapped[int] = mapped_column(Integer)
