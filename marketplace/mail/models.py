"""The outbox: every mail the app sends is written here first, then sent by the scheduler."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from marketplace.db import UTCDateTime, utcnow
from marketplace.extensions import db


class OutboxMail(db.Model):
    """Every mail the app sends is first written here (and viewable by admins)."""

    __tablename__ = "outbox_mails"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    to_address: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    error: Mapped[str | None] = mapped_column(Text)
    # A secret the mail carries (a one-time link), encrypted with a key derived from
    # SECRET_KEY, put into the body only when the mail is sent, then erased: the outbox
    # keeps the redacted body alone.
    secret: Mapped[str | None] = mapped_column(Text)
