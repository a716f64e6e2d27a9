"""Mission, its sessions and its audit trail."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.accounts.models import Organisation, User
from marketplace.conventions.models import Convention
from marketplace.db import UTCDateTime, utcnow
from marketplace.durations import DEFAULT_MINUTES_PER_DAY, minutes_to_days
from marketplace.extensions import db
from marketplace.needs.models import Need
from marketplace.offers.models import Offer


class MissionStatus(StrEnum):
    AGREED = "agreed"
    APPROVED = "approved"
    IN_PROGRESS = "in_progress"
    DELIVERED = "delivered"
    CLOSED = "closed"
    REFUSED = "refused"
    CANCELLED = "cancelled"


class SessionStatus(StrEnum):
    PLANNED = "planned"
    DELIVERED = "delivered"  # declared held by the volunteer
    NOT_HELD = "not_held"
    CONFIRMED = "confirmed"
    DISPUTED = "disputed"
    CANCELLED = "cancelled"


MISSION_STATUSES = tuple(MissionStatus)
# Approved days are still held against the quota in these states.
RESERVING_STATUSES = (MissionStatus.APPROVED, MissionStatus.IN_PROGRESS)
SESSION_STATUSES = tuple(SessionStatus)


def _in(values: tuple[str, ...]) -> str:
    return ", ".join(f"'{v}'" for v in values)


class Mission(db.Model):
    __tablename__ = "missions"
    __table_args__ = (
        CheckConstraint(f"status IN ({_in(MISSION_STATUSES)})", name="status"),
        CheckConstraint("days > 0 AND days * 2 = CAST(days * 2 AS INTEGER)", name="days_half"),
        CheckConstraint(
            "approved_minutes >= 0 AND override_minutes >= 0 AND override_group_minutes >= 0 "
            "AND minutes_logged >= 0",
            name="minutes_positive",
        ),
        CheckConstraint("rating IS NULL OR (rating >= 1 AND rating <= 5)", name="rating_range"),
        CheckConstraint("jobs_created IS NULL OR jobs_created >= 0", name="jobs_created_positive"),
        CheckConstraint(
            "jobs_preserved IS NULL OR jobs_preserved >= 0", name="jobs_preserved_positive"
        ),
        CheckConstraint("starts_on <= ends_on", name="window_order"),
        Index("ix_missions_status", "status"),
        Index("ix_missions_convention_status", "convention_id", "status"),
        # The missions list's order (keyset, newest first): read in index order.
        Index("ix_missions_created", "created_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ref: Mapped[str] = mapped_column(String(20), unique=True)
    need_id: Mapped[int] = mapped_column(ForeignKey("needs.id"), index=True)
    offer_id: Mapped[int] = mapped_column(ForeignKey("offers.id"), index=True)
    proposal_id: Mapped[int | None] = mapped_column(ForeignKey("proposals.id"), unique=True)
    convention_id: Mapped[int | None] = mapped_column(ForeignKey("conventions.id"))
    group_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    days: Mapped[float] = mapped_column(Float)  # agreed, in half days
    # Reserved at approval (the days at the convention's hours per day), in minutes.
    approved_minutes: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    override_minutes: Mapped[int] = mapped_column(  # beyond the quota
        Integer, default=0, server_default="0"
    )
    override_group_minutes: Mapped[int] = mapped_column(  # beyond the commitment
        Integer, default=0, server_default="0"
    )
    minutes_logged: Mapped[int] = mapped_column(  # moved to the ledger
        Integer, default=0, server_default="0"
    )
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(12), default=MissionStatus.AGREED)
    rating: Mapped[int | None] = mapped_column(Integer)
    rating_comment: Mapped[str | None] = mapped_column(Text)
    jobs_created: Mapped[int | None] = mapped_column(Integer)
    jobs_preserved: Mapped[int | None] = mapped_column(Integer)
    outcome_on: Mapped[date | None] = mapped_column(Date)
    volunteer_note: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    need: Mapped[Need] = relationship()
    offer: Mapped[Offer] = relationship()
    convention: Mapped[Convention | None] = relationship()
    group: Mapped[Organisation] = relationship()
    sessions: Mapped[list[MissionSession]] = relationship(
        back_populates="mission", order_by="MissionSession.held_on"
    )
    events: Mapped[list[MissionEvent]] = relationship(
        back_populates="mission", order_by="MissionEvent.id"
    )

    @property
    def minutes_per_day(self) -> int:
        """A day of this mission: its convention's hours per day (7 h without one)."""
        return self.convention.minutes_per_day if self.convention else DEFAULT_MINUTES_PER_DAY

    @property
    def planned_minutes(self) -> int:
        return sum(
            s.minutes
            for s in self.sessions
            if s.status not in (SessionStatus.CANCELLED, SessionStatus.NOT_HELD)
        )

    @property
    def confirmed_minutes(self) -> int:
        return sum(s.minutes for s in self.sessions if s.status == SessionStatus.CONFIRMED)

    @property
    def approved_days(self) -> float:
        return minutes_to_days(self.approved_minutes, self.minutes_per_day)


class MissionSession(db.Model):
    __tablename__ = "mission_sessions"
    __table_args__ = (
        CheckConstraint(f"status IN ({_in(SESSION_STATUSES)})", name="status"),
        # 15 minutes to a day (12 h at most; the mission's day is checked by the service).
        CheckConstraint(
            "minutes >= 15 AND minutes <= 720 AND minutes % 15 = 0", name="quarter_hours"
        ),
        Index("ix_mission_sessions_mission_date", "mission_id", "held_on"),
        Index("ix_mission_sessions_due", "is_logged", "status", "held_on"),
        # The homes' work queues count sessions by status (to confirm, disputed).
        Index("ix_mission_sessions_status", "status", "mission_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    mission_id: Mapped[int] = mapped_column(ForeignKey("missions.id", ondelete="CASCADE"))
    held_on: Mapped[date] = mapped_column(Date)
    minutes: Mapped[int] = mapped_column(Integer)
    is_remote: Mapped[bool] = mapped_column(Boolean, default=False)
    place: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(10), default=SessionStatus.PLANNED)
    dispute_reason: Mapped[str | None] = mapped_column(Text)
    declared_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Set in the same transaction as the session's ledger entry, so later runs of
    # log-delivered-days only look at sessions not logged yet (indexed).
    is_logged: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    mission: Mapped[Mission] = relationship(back_populates="sessions")


class MissionEvent(db.Model):
    """The audit trail: who did what to a mission, when, from which state to which, why."""

    __tablename__ = "mission_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    mission_id: Mapped[int] = mapped_column(
        ForeignKey("missions.id", ondelete="CASCADE"), index=True
    )
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(String(30))
    from_status: Mapped[str | None] = mapped_column(String(12))
    to_status: Mapped[str | None] = mapped_column(String(12))
    reason: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    mission: Mapped[Mission] = relationship(back_populates="events")
    actor: Mapped[User | None] = relationship()


class SubmittedForm(db.Model):
    """One-time keys of submitted forms: a form sent twice is refused the second time."""

    __tablename__ = "submitted_forms"
    __table_args__ = (UniqueConstraint("key", name="uq_submitted_forms_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
