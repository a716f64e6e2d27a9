"""Writing mails to the outbox and sending it through SMTP (Flask-Mailman).

A mail that carries a secret (an invitation or a password-reset link) keeps in the outbox
only a redacted body: the link is encrypted at rest (Fernet, key derived from SECRET_KEY),
put into the body the moment the mail is handed to SMTP, then erased. Chosen over keeping
just a redacted copy because the mail must survive until the scheduler can send it (SMTP
down, retries), and over sending from the request because a slow SMTP server would hang
it. A copy of the database alone never yields a usable link; a mail left unsent past the
longest link validity loses its secret.
"""

from __future__ import annotations

import base64
from datetime import datetime, timedelta

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app
from flask_mailman import EmailMessage
from sqlalchemy import select, update

from marketplace.extensions import db
from marketplace.mail.models import OutboxMail

SECRET_PLACEHOLDER = "[[secret]]"  # noqa: S105 - where the secret goes, not a secret
REDACTED = "[lien personnel envoyé par courriel, non conservé ici]"
# Longer than any link a mail carries (invitations: 7 days): past it, the secret is erased.
SECRET_KEEP = timedelta(days=8)


def _box() -> Fernet:
    key = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"marketplace outbox secrets"
    ).derive(current_app.config["SECRET_KEY"].encode())
    return Fernet(base64.urlsafe_b64encode(key))


def queue_mail(
    to_address: str,
    subject: str,
    body: str,
    now: datetime,
    user_id: int | None = None,
    secret: str | None = None,
) -> OutboxMail:
    """Put a mail in the outbox. With a secret, `body` holds SECRET_PLACEHOLDER where it
    goes; the outbox shows REDACTED there."""
    stored_secret = None
    if secret is not None:
        if SECRET_PLACEHOLDER not in body:
            raise ValueError("a mail with a secret needs the placeholder in its body")
        stored_secret = _box().encrypt(secret.encode()).decode()
    mail = OutboxMail(
        user_id=user_id,
        to_address=to_address,
        subject=subject[:200],
        body=body.replace(SECRET_PLACEHOLDER, REDACTED) if secret else body,
        secret=stored_secret,
        created_at=now,
    )
    db.session.add(mail)
    return mail


def _body_to_send(mail: OutboxMail) -> str:
    if not mail.secret:
        return mail.body
    secret = _box().decrypt(mail.secret.encode()).decode()
    return mail.body.replace(REDACTED, secret)


def send_outbox(now: datetime, limit: int = 200) -> tuple[int, int]:
    """Send the mails not sent yet; returns (sent, failed). Without SMTP, sends nothing."""
    db.session.execute(
        update(OutboxMail)
        .where(OutboxMail.secret.is_not(None), OutboxMail.created_at < now - SECRET_KEEP)
        .values(secret=None)
    )
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
            EmailMessage(mail.subject, _body_to_send(mail), to=[mail.to_address]).send()
        except InvalidToken:
            mail.error = "its secret cannot be read any more (SECRET_KEY changed?)"
            mail.secret = None
            failed += 1
        except Exception as error:  # noqa: BLE001 - kept on the mail, retried by hand
            mail.error = str(error)[:500]
            failed += 1
        else:
            mail.sent_at = now
            mail.secret = None  # sent: the outbox keeps the redacted body only
            sent += 1
    db.session.flush()
    return sent, failed
