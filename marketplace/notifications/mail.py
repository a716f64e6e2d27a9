"""Sending the outbox through SMTP with Flask-Mailman (only when MAIL_SERVER is set)."""

from __future__ import annotations

from datetime import datetime

from flask import current_app
from flask_mailman import EmailMessage
from sqlalchemy import select

from marketplace.extensions import db
from marketplace.notifications.models import OutboxMail


def send_outbox(now: datetime, limit: int = 200) -> tuple[int, int]:
    """Send the mails not sent yet; returns (sent, failed). Without SMTP, sends nothing."""
    if not current_app.config.get("MAIL_SERVER"):
        return 0, 0
    sent = failed = 0
    waiting = db.session.scalars(
        select(OutboxMail)
        .where(OutboxMail.sent_at.is_(None), OutboxMail.error.is_(None))
        .order_by(OutboxMail.id)
        .limit(limit)
    ).all()
    for mail in waiting:
        try:
            EmailMessage(mail.subject, mail.body, to=[mail.to_address]).send()
        except Exception as error:  # noqa: BLE001 - kept on the mail, retried by hand
            mail.error = str(error)[:500]
            failed += 1
        else:
            mail.sent_at = now
            sent += 1
    db.session.flush()
    return sent, failed
