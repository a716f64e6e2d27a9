"""The commune table: one row per (INSEE code, postcode)."""

from __future__ import annotations

from sqlalchemy import CheckConstraint, Float, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from marketplace.extensions import db


class Commune(db.Model):
    __tablename__ = "communes"
    __table_args__ = (
        UniqueConstraint("insee_code", "postcode", name="uq_communes_insee_postcode"),
        CheckConstraint("lat >= -90 AND lat <= 90", name="lat_range"),
        CheckConstraint("lon >= -180 AND lon <= 180", name="lon_range"),
        Index("ix_communes_postcode_key", "postcode", "name_key"),
        Index("ix_communes_prefix_key", "postcode_prefix", "name_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    insee_code: Mapped[str] = mapped_column(String(5))
    name: Mapped[str] = mapped_column(String(120))
    name_key: Mapped[str] = mapped_column(String(120))  # folded: no accents, no case
    postcode: Mapped[str] = mapped_column(String(5))
    # The first two digits of the postcode: where to look when the postcode is wrong.
    postcode_prefix: Mapped[str] = mapped_column(String(2))
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
