"""Supported projects and their follow-up surveys.

A **project** is an SME supported by the programme in a territory: one per SME and
territory, opened by its first support (an advance paid out, or the first skill days
logged in the ledger) and dated by it. Later supports of the same SME in the same territory
belong to the same project, so the jobs it reports are counted once, never once per
mission or per advance.

Each project is asked three times, at the first, second and third anniversaries of its
start (N+1, N+2, N+3): headcount, jobs created and jobs preserved since the support, still
trading. One row per project and year; a second answer updates it and the change goes to
the project's timeline (`follow_up_events`, append-only).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.accounts.models import Organisation, User
from marketplace.conventions.models import Territory
from marketplace.db import UTCDateTime, utcnow
from marketplace.extensions import db

YEARS = (1, 2, 3)


class Project(db.Model):
    __tablename__ = "projects"
    __table_args__ = (
        UniqueConstraint("territory_id", "organisation_id", name="one_project_per_sme"),
        CheckConstraint("headcount_at_start IS NULL OR headcount_at_start >= 0", name="headcount"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    territory_id: Mapped[int] = mapped_column(ForeignKey("territories.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    started_on: Mapped[date] = mapped_column(Date)
    # What the SME said at application (the first advance's figures, else its headcount).
    headcount_at_start: Mapped[int | None] = mapped_column(Integer)
    planned_created: Mapped[int | None] = mapped_column(Integer)
    planned_preserved: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    territory: Mapped[Territory] = relationship()
    organisation: Mapped[Organisation] = relationship()
    follow_ups: Mapped[list[FollowUp]] = relationship(
        back_populates="project", order_by="FollowUp.year"
    )


class FollowUp(db.Model):
    """The survey of one project at one anniversary."""

    __tablename__ = "follow_ups"
    __table_args__ = (
        UniqueConstraint("project_id", "year", name="one_survey_per_year"),
        CheckConstraint("year BETWEEN 1 AND 3", name="year"),
        CheckConstraint("headcount IS NULL OR headcount >= 0", name="headcount"),
        CheckConstraint("jobs_created IS NULL OR jobs_created >= 0", name="created"),
        CheckConstraint("jobs_preserved IS NULL OR jobs_preserved >= 0", name="preserved"),
        CheckConstraint("reminders BETWEEN 0 AND 2", name="reminders"),
        # the scheduler's lookups: surveys to send, to remind
        Index("ix_follow_ups_due", "answered_at", "due_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"))
    year: Mapped[int] = mapped_column(Integer)
    due_on: Mapped[date] = mapped_column(Date)
    sent_on: Mapped[date | None] = mapped_column(Date)
    reminders: Mapped[int] = mapped_column(Integer, default=0)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    source: Mapped[str | None] = mapped_column(String(8))  # web | phone
    headcount: Mapped[int | None] = mapped_column(Integer)
    jobs_created: Mapped[int | None] = mapped_column(Integer)
    jobs_preserved: Mapped[int | None] = mapped_column(Integer)
    still_trading: Mapped[bool | None] = mapped_column(Boolean)
    comment: Mapped[str | None] = mapped_column(Text)

    project: Mapped[Project] = relationship(back_populates="follow_ups")
    answered_by: Mapped[User | None] = relationship()


class FollowUpEvent(db.Model):
    """The follow-up's timeline, append-only: sent, reminded, answered, answer changed."""

    __tablename__ = "follow_up_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    follow_up_id: Mapped[int] = mapped_column(ForeignKey("follow_ups.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(String(16))
    details: Mapped[str | None] = mapped_column(Text)

    actor: Mapped[User | None] = relationship()
