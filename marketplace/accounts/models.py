"""Organisations, users, invitations and login attempts."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, Float, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.accounts.roles import OrgKind, Role
from marketplace.db import UTCDateTime, utcnow
from marketplace.extensions import db

ROLE_VALUES = ", ".join(f"'{r.value}'" for r in Role)
KIND_VALUES = ", ".join(f"'{k.value}'" for k in OrgKind)


class Organisation(db.Model):
    __tablename__ = "organisations"
    __table_args__ = (
        CheckConstraint(f"kind IN ({KIND_VALUES})", name="kind"),
        CheckConstraint("lat IS NULL OR (lat >= -90 AND lat <= 90)", name="lat_range"),
        CheckConstraint("lon IS NULL OR (lon >= -180 AND lon <= 180)", name="lon_range"),
        CheckConstraint("headcount IS NULL OR headcount >= 0", name="headcount_positive"),
        CheckConstraint(
            "daily_cost_cents IS NULL OR daily_cost_cents BETWEEN 5000 AND 300000",
            name="daily_cost_bounds",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(200), index=True)
    siren: Mapped[str | None] = mapped_column(String(9), unique=True)
    naf_code: Mapped[str | None] = mapped_column(String(6))
    headcount: Mapped[int | None] = mapped_column(Integer)
    # A group's declared cost of one expert day, in cents (the value of the days it lends).
    daily_cost_cents: Mapped[int | None] = mapped_column(Integer)
    postcode: Mapped[str | None] = mapped_column(String(5))
    commune: Mapped[str | None] = mapped_column(String(120))
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    territory_id: Mapped[int | None] = mapped_column(ForeignKey("territories.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    territory = relationship("Territory")
    users: Mapped[list[User]] = relationship(back_populates="organisation")

    def __repr__(self) -> str:
        return f"<Organisation {self.id} {self.kind} {self.name!r}>"


class User(db.Model):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(f"role IN ({ROLE_VALUES})", name="role"),
        CheckConstraint(
            "daily_cost_cents IS NULL OR daily_cost_cents BETWEEN 5000 AND 300000",
            name="daily_cost_bounds",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20))
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), index=True)
    is_active_account: Mapped[bool] = mapped_column("is_active", Boolean, default=False)
    # Bumped at logout and password change: every older session or remember
    # cookie carries the old number and stops working.
    session_version: Mapped[int] = mapped_column(Integer, default=1)
    # The private calendar feed's token, as its SHA-256 (the token itself is shown once).
    calendar_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    locale: Mapped[str | None] = mapped_column(String(5))
    # An expert's own daily cost, in cents, when their group declares one per expert.
    daily_cost_cents: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    organisation: Mapped[Organisation | None] = relationship(back_populates="users")

    # Flask-Login protocol
    @property
    def is_active(self) -> bool:
        return self.is_active_account

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"

    def has_role(self, *roles: str) -> bool:
        return self.role in roles

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email} {self.role}>"


class Invitation(db.Model):
    """A one-time link that lets a user set their password: an invitation (7 days) or a
    password reset (1 hour). Only the SHA-256 of the token is stored."""

    __tablename__ = "invitations"
    __table_args__ = (CheckConstraint("purpose IN ('invitation', 'reset')", name="purpose"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    purpose: Mapped[str] = mapped_column(
        String(12), default="invitation", server_default="invitation"
    )

    user: Mapped[User] = relationship(foreign_keys=[user_id])


class LoginAttempt(db.Model):
    """A failed login, kept in the database so throttling holds across workers."""

    __tablename__ = "login_attempts"
    __table_args__ = (
        CheckConstraint("key_kind IN ('account', 'address', 'pair', 'reset')", name="key_kind"),
        Index("ix_login_attempts_key", "key_kind", "key", "attempted_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    key_kind: Mapped[str] = mapped_column(String(10))
    key: Mapped[str] = mapped_column(String(254))
    attempted_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
