"""An uploaded file kept between its preview and its application."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from marketplace.db import UTCDateTime, utcnow
from marketplace.extensions import db


class ImportBatch(db.Model):
    __tablename__ = "import_batches"
    __table_args__ = (
        CheckConstraint("kind IN ('needs', 'offers')", name="kind"),
        CheckConstraint("status IN ('previewed', 'applied')", name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))
    filename: Mapped[str] = mapped_column(String(255))
    content: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), default="previewed")
    summary: Mapped[dict] = mapped_column(JSON, default=dict)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    applied_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
