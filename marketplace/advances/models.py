"""The fund, its advances, their schedules and repayments, and the approval committee.

Money is integer cents everywhere. Every movement of money between the fund and an advance
is one row of `fund_movements`, never edited, unique by its key where a retry could write
it twice; the fund's and the advance's counters move in the same transaction, by
conditional UPDATEs backed by CHECK constraints (the fund's available money can never go
below zero, as a convention's quota cannot).
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import (
    BigInteger,
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

DEFAULT_MIN_CENTS = 1_500_000  # 15,000 €
DEFAULT_MAX_CENTS = 3_000_000  # 30,000 €


class Fund(db.Model):
    """A territory's fund, endowed by the groups; it can serve successive conventions."""

    __tablename__ = "funds"
    __table_args__ = (
        CheckConstraint("available_cents >= 0", name="available_not_negative"),
        CheckConstraint(
            "available_cents = contributed_cents + repaid_cents - disbursed_cents",
            name="available_is_the_balance",
        ),
        CheckConstraint("min_cents > 0 AND min_cents <= max_cents", name="bounds"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    territory_id: Mapped[int] = mapped_column(ForeignKey("territories.id"), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    min_cents: Mapped[int] = mapped_column(BigInteger, default=DEFAULT_MIN_CENTS)
    max_cents: Mapped[int] = mapped_column(BigInteger, default=DEFAULT_MAX_CENTS)
    contributed_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    disbursed_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    repaid_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    written_off_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    available_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    territory: Mapped[Territory] = relationship()

    @property
    def outstanding_cents(self) -> int:
        """Lent and neither repaid nor written off."""
        return self.disbursed_cents - self.repaid_cents - self.written_off_cents


class MovementKind(StrEnum):
    CONTRIBUTION = "contribution"
    DISBURSEMENT = "disbursement"
    REPAYMENT = "repayment"
    WRITE_OFF = "write_off"


class FundMovement(db.Model):
    """One movement of money, append-only: a contribution, a disbursement, a repayment, a
    write-off. `key` is unique: the same movement retried is refused, not doubled."""

    __tablename__ = "fund_movements"
    __table_args__ = (
        UniqueConstraint("key", name="uq_fund_movements_key"),
        CheckConstraint("amount_cents > 0", name="amount_positive"),
        CheckConstraint(
            "kind IN ('contribution', 'disbursement', 'repayment', 'write_off')", name="kind"
        ),
        Index("ix_fund_movements_fund_on", "fund_id", "moved_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    fund_id: Mapped[int] = mapped_column(ForeignKey("funds.id"))
    advance_id: Mapped[int | None] = mapped_column(ForeignKey("advances.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    moved_on: Mapped[date] = mapped_column(Date)
    key: Mapped[str] = mapped_column(String(80))
    contributor: Mapped[str | None] = mapped_column(String(200))
    contributor_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    note: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    advance: Mapped[Advance | None] = relationship()


class AdvanceStatus(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    ON_AGENDA = "on_agenda"
    ADJOURNED = "adjourned"
    APPROVED = "approved"
    REFUSED = "refused"
    WITHDRAWN = "withdrawn"
    CONTRACTED = "contracted"
    DISBURSED = "disbursed"  # at least one tranche paid out, not all
    REPAYING = "repaying"
    IN_ARREARS = "in_arrears"
    REPAID = "repaid"
    DEFAULTED = "defaulted"
    WRITTEN_OFF = "written_off"


ADVANCE_STATUSES = tuple(AdvanceStatus)


class Advance(db.Model):
    """A repayable advance (0 %), from the application to the last repayment."""

    __tablename__ = "advances"
    __table_args__ = (
        UniqueConstraint("ref", name="uq_advances_ref"),
        CheckConstraint("amount_cents > 0", name="amount_positive"),
        CheckConstraint("term_months > 0", name="term_positive"),
        CheckConstraint("grace_months >= 0 AND grace_months < term_months", name="grace"),
        CheckConstraint("frequency IN ('monthly', 'quarterly')", name="frequency"),
        CheckConstraint(
            "disbursed_cents >= 0 AND disbursed_cents <= amount_cents", name="disbursed_range"
        ),
        CheckConstraint("repaid_cents >= 0 AND repaid_cents <= disbursed_cents", name="repaid"),
        Index("ix_advances_fund_status", "fund_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ref: Mapped[str] = mapped_column(String(20))
    fund_id: Mapped[int] = mapped_column(ForeignKey("funds.id"))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    status: Mapped[str] = mapped_column(String(12), default=AdvanceStatus.DRAFT)
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    purpose: Mapped[str] = mapped_column(Text)
    term_months: Mapped[int] = mapped_column(Integer)
    grace_months: Mapped[int] = mapped_column(Integer, default=0)
    frequency: Mapped[str] = mapped_column(String(10), default="monthly")
    headcount: Mapped[int | None] = mapped_column(Integer)
    jobs_to_create: Mapped[int | None] = mapped_column(Integer)
    jobs_to_preserve: Mapped[int | None] = mapped_column(Integer)
    analysis: Mapped[str | None] = mapped_column(Text)
    case_officer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    disbursed_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    repaid_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    overpaid_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    schedule_version: Mapped[int] = mapped_column(Integer, default=0)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    fund: Mapped[Fund] = relationship()
    organisation: Mapped[Organisation] = relationship()
    case_officer: Mapped[User | None] = relationship(foreign_keys=[case_officer_id])
    cofinancings: Mapped[list[Cofinancing]] = relationship(
        back_populates="advance", order_by="Cofinancing.id"
    )
    conditions: Mapped[list[Condition]] = relationship(
        back_populates="advance", order_by="Condition.id"
    )
    events: Mapped[list[AdvanceEvent]] = relationship(
        back_populates="advance", order_by="AdvanceEvent.id"
    )

    @property
    def outstanding_cents(self) -> int:
        return self.disbursed_cents - self.repaid_cents

    @property
    def cofinancing_cents(self) -> int:
        return sum(c.amount_cents for c in self.cofinancings)

    @property
    def open_conditions(self) -> list[Condition]:
        return [c for c in self.conditions if c.lifted_at is None]


class Cofinancing(db.Model):
    """Planned co-financing (a bank loan, a regional grant): the leverage of the advance."""

    __tablename__ = "advance_cofinancings"
    __table_args__ = (CheckConstraint("amount_cents > 0", name="amount_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    advance_id: Mapped[int] = mapped_column(
        ForeignKey("advances.id", ondelete="CASCADE"), index=True
    )
    lender: Mapped[str] = mapped_column(String(200))
    amount_cents: Mapped[int] = mapped_column(BigInteger)

    advance: Mapped[Advance] = relationship(back_populates="cofinancings")


class Condition(db.Model):
    """A condition the committee set, tracked until it is lifted (before the contract)."""

    __tablename__ = "advance_conditions"

    id: Mapped[int] = mapped_column(primary_key=True)
    advance_id: Mapped[int] = mapped_column(
        ForeignKey("advances.id", ondelete="CASCADE"), index=True
    )
    text: Mapped[str] = mapped_column(Text)
    lifted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    lifted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    advance: Mapped[Advance] = relationship(back_populates="conditions")


class AdvanceEvent(db.Model):
    """The timeline: who moved the advance, when, from which state to which, why."""

    __tablename__ = "advance_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    advance_id: Mapped[int] = mapped_column(
        ForeignKey("advances.id", ondelete="CASCADE"), index=True
    )
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(String(30))
    from_status: Mapped[str | None] = mapped_column(String(12))
    to_status: Mapped[str | None] = mapped_column(String(12))
    reason: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    advance: Mapped[Advance] = relationship(back_populates="events")
    actor: Mapped[User | None] = relationship()


class Instalment(db.Model):
    """One instalment of a schedule version; a new version (rescheduling) keeps the old."""

    __tablename__ = "instalments"
    __table_args__ = (
        UniqueConstraint("advance_id", "version", "number", name="uq_instalments_number"),
        CheckConstraint("amount_cents > 0", name="amount_positive"),
        CheckConstraint("paid_cents >= 0 AND paid_cents <= amount_cents", name="paid_range"),
        Index("ix_instalments_due", "due_on", "paid_cents"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    advance_id: Mapped[int] = mapped_column(ForeignKey("advances.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    number: Mapped[int] = mapped_column(Integer)
    due_on: Mapped[date] = mapped_column(Date)
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    paid_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    overdue_notified_bucket: Mapped[str | None] = mapped_column(String(8))


class Repayment(db.Model):
    """Money received from the SME, as recorded (by hand or from a bank statement)."""

    __tablename__ = "repayments"
    __table_args__ = (
        CheckConstraint("amount_cents > 0", name="amount_positive"),
        CheckConstraint("overpaid_cents >= 0 AND overpaid_cents <= amount_cents", name="over"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    advance_id: Mapped[int] = mapped_column(ForeignKey("advances.id"), index=True)
    received_on: Mapped[date] = mapped_column(Date)
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    overpaid_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    reference: Mapped[str | None] = mapped_column(String(120))
    source: Mapped[str] = mapped_column(String(10), default="manual")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


# ------------------------------------------------------------------ the approval committee


class Committee(db.Model):
    """A territory's approval committee (comité d'agrément)."""

    __tablename__ = "committees"
    __table_args__ = (CheckConstraint("quorum >= 1", name="quorum_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    territory_id: Mapped[int] = mapped_column(ForeignKey("territories.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    quorum: Mapped[int] = mapped_column(Integer, default=3)  # voting members present, at least

    territory: Mapped[Territory] = relationship()
    members: Mapped[list[CommitteeMember]] = relationship(
        back_populates="committee", order_by="CommitteeMember.name"
    )


class Seat(StrEnum):
    GROUP = "group"
    OPERATOR = "operator"
    BANK = "bank"


class CommitteeMember(db.Model):
    __tablename__ = "committee_members"
    __table_args__ = (CheckConstraint("seat IN ('group', 'operator', 'bank')", name="seat"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    committee_id: Mapped[int] = mapped_column(ForeignKey("committees.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    seat: Mapped[str] = mapped_column(String(10))
    joined_on: Mapped[date] = mapped_column(Date)
    left_on: Mapped[date | None] = mapped_column(Date)

    committee: Mapped[Committee] = relationship(back_populates="members")
    organisation: Mapped[Organisation | None] = relationship()
    user: Mapped[User | None] = relationship()
    links: Mapped[list[DeclaredLink]] = relationship(back_populates="member")


class DeclaredLink(db.Model):
    """A link a member declares with an organisation (a board seat, a family tie...): the
    member is recused from that organisation's dossiers, as for their own."""

    __tablename__ = "committee_member_links"
    __table_args__ = (UniqueConstraint("member_id", "organisation_id", name="uq_member_link"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(
        ForeignKey("committee_members.id", ondelete="CASCADE"), index=True
    )
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    note: Mapped[str | None] = mapped_column(Text)

    member: Mapped[CommitteeMember] = relationship(back_populates="links")
    organisation: Mapped[Organisation] = relationship()


class CommitteeSession(db.Model):
    __tablename__ = "committee_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    committee_id: Mapped[int] = mapped_column(ForeignKey("committees.id"), index=True)
    held_on: Mapped[date] = mapped_column(Date)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    committee: Mapped[Committee] = relationship()
    items: Mapped[list[AgendaItem]] = relationship(
        back_populates="session", order_by="AgendaItem.id"
    )
    attendance: Mapped[list[Attendance]] = relationship(back_populates="session")


class Attendance(db.Model):
    __tablename__ = "committee_attendance"
    __table_args__ = (UniqueConstraint("session_id", "member_id", name="uq_attendance"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("committee_sessions.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(ForeignKey("committee_members.id"))
    present: Mapped[bool] = mapped_column(Boolean, default=True)

    session: Mapped[CommitteeSession] = relationship(back_populates="attendance")
    member: Mapped[CommitteeMember] = relationship()


class Decision(StrEnum):
    APPROVED = "approved"
    APPROVED_WITH_CONDITIONS = "conditional"
    ADJOURNED = "adjourned"
    REFUSED = "refused"


class AgendaItem(db.Model):
    """One dossier on a session's agenda, and what the committee decided on it."""

    __tablename__ = "agenda_items"
    __table_args__ = (
        UniqueConstraint("session_id", "advance_id", name="uq_agenda_item"),
        CheckConstraint(
            "decision IS NULL OR decision IN ('approved', 'conditional', 'adjourned', 'refused')",
            name="decision",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("committee_sessions.id"), index=True)
    advance_id: Mapped[int] = mapped_column(ForeignKey("advances.id"), index=True)
    decision: Mapped[str | None] = mapped_column(String(12))
    votes_for: Mapped[int | None] = mapped_column(Integer)
    votes_against: Mapped[int | None] = mapped_column(Integer)
    abstentions: Mapped[int | None] = mapped_column(Integer)
    recused: Mapped[str | None] = mapped_column(Text)  # names, as the minutes say them
    comment: Mapped[str | None] = mapped_column(Text)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    session: Mapped[CommitteeSession] = relationship(back_populates="items")
    advance: Mapped[Advance] = relationship()


class Vote(db.Model):
    """One member's vote on one dossier (recused members have none)."""

    __tablename__ = "committee_votes"
    __table_args__ = (
        UniqueConstraint("item_id", "member_id", name="uq_vote"),
        CheckConstraint("vote IN ('for', 'against', 'abstain')", name="vote"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("agenda_items.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(ForeignKey("committee_members.id"))
    vote: Mapped[str] = mapped_column(String(8))
