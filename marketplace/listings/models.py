"""What needs and offers share: the place, the window, skills and lifecycle columns."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from flask_babel import lazy_gettext as _l
from sqlalchemy import Boolean, CheckConstraint, Date, Float, String, Text
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from marketplace.catalog import CATEGORY_CODES, category_label
from marketplace.db import UTCDateTime, utcnow
from marketplace.textnorm import split_list


class ListingStatus(StrEnum):
    """Statuses of needs and offers (offers are never matched nor fulfilled)."""

    DRAFT = "draft"
    OPEN = "open"
    MATCHED = "matched"
    FULFILLED = "fulfilled"
    CLOSED = "closed"
    CANCELLED = "cancelled"
    EXPIRED = "expired"


# A draft or an open listing is on the market (or about to be) and can be edited.
LIVE_STATUSES = (ListingStatus.DRAFT, ListingStatus.OPEN)

CATEGORY_SQL = ", ".join(f"'{c}'" for c in CATEGORY_CODES)
# days * 2 is a whole number: half-day steps. CAST truncates on SQLite and
# rounds on PostgreSQL; for a true half step both give the same integer.
STATUS_LABELS = {
    "draft": _l("draft"),
    "open": _l("open"),
    "matched": _l("matched"),
    "fulfilled": _l("fulfilled"),
    "closed": _l("closed"),
    "cancelled": _l("cancelled"),
    "expired": _l("expired"),
}
HALF_DAY_SQL = "days * 2 = CAST(days * 2 AS INTEGER)"


def half_day_ok(value: float) -> bool:
    return float(value * 2).is_integer()


class ListingMixin:
    """Columns and helpers common to Need and Offer."""

    STATUSES: tuple[str, ...] = ()

    ref: Mapped[str] = mapped_column(String(40), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    skills: Mapped[str] = mapped_column(Text, default="")  # ';'-separated, as typed
    category: Mapped[str | None] = mapped_column(String(16))
    days: Mapped[float] = mapped_column(Float)
    postcode: Mapped[str] = mapped_column(String(5))
    commune: Mapped[str] = mapped_column(String(120))
    commune_key: Mapped[str] = mapped_column(String(120), default="")  # folded, for filters
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    is_remote_ok: Mapped[bool] = mapped_column(Boolean, default=False)
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(12), default="draft")
    # Folded ref + title + skills + organisation + commune, for typo-tolerant search.
    search_text: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    @declared_attr.directive
    def __table_args__(cls):  # noqa: N805 - SQLAlchemy declared attribute
        statuses = ", ".join(f"'{s}'" for s in cls.STATUSES)
        return (
            CheckConstraint(f"category IS NULL OR category IN ({CATEGORY_SQL})", name="category"),
            CheckConstraint(f"days >= 0.5 AND days <= 60 AND {HALF_DAY_SQL}", name="days_half"),
            CheckConstraint("starts_on <= ends_on", name="window_order"),
            CheckConstraint("lat IS NULL OR (lat >= -90 AND lat <= 90)", name="lat_range"),
            CheckConstraint("lon IS NULL OR (lon >= -180 AND lon <= 180)", name="lon_range"),
            CheckConstraint("(lat IS NULL) = (lon IS NULL)", name="coords_pair"),
            CheckConstraint(f"status IN ({statuses})", name="status"),
            *cls.extra_table_args(),
        )

    @classmethod
    def extra_table_args(cls) -> tuple:
        return ()

    @property
    def skill_list(self) -> list[str]:
        return split_list(self.skills)

    @property
    def status_label(self) -> str:
        return str(STATUS_LABELS.get(self.status, self.status))

    @property
    def category_label(self) -> str:
        return category_label(self.category)

    @property
    def has_coordinates(self) -> bool:
        return self.lat is not None and self.lon is not None
