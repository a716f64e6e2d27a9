"""The bell: unread count in the header, the list of notifications, the outbox for admins."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user
from sqlalchemy import select

from marketplace import clock
from marketplace.accounts.permissions import role_required
from marketplace.accounts.roles import ALL_ROLES, Role
from marketplace.extensions import db
from marketplace.mail.models import OutboxMail
from marketplace.notifications.services import mark_all_read, recent, unread_count

bp = Blueprint("notifications", __name__)
ANYONE = ALL_ROLES


@bp.app_context_processor
def _bell():
    if current_user and current_user.is_authenticated:
        return {"unread_notifications": unread_count(current_user)}
    return {"unread_notifications": 0}


@bp.route("/notifications")
@role_required(*ANYONE)
def list_notifications():
    """The latest notifications; showing them marks them read."""
    items = recent(current_user)
    unread = {i.id for i in items if i.read_at is None}
    mark_all_read(current_user, clock.now())
    db.session.commit()
    return render_template("notifications/list.html", items=items, unread=unread)


@bp.route("/admin/outbox")
@role_required(Role.ADMIN)
def outbox():
    """Mails written by the application (sent when SMTP is configured)."""
    mails = db.session.scalars(select(OutboxMail).order_by(OutboxMail.id.desc()).limit(200))
    return render_template("notifications/outbox.html", mails=list(mails))
