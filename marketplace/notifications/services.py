"""Creating notifications, counting unread ones, digesting them into mails."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime, timedelta

from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import IntegrityError

from marketplace.accounts.models import User
from marketplace.extensions import db
from marketplace.mail.services import queue_mail
from marketplace.notifications.models import Notification, SentAlert
from marketplace.urls import absolute

# Events for one person closer together than this become one mail.
DIGEST_WINDOW = timedelta(minutes=5)


def notify(
    users: Iterable[User | None], kind: str, message: str, link: str | None, now: datetime
) -> None:
    """One in-app notification for each user (duplicates and None ignored)."""
    notify_many([(users, kind, message, link)], now)


def notify_many(
    events: Iterable[tuple[Iterable[User | None], str, str, str | None]], now: datetime
) -> None:
    """notify() for many events at once, in one multi-row INSERT (a matching run can
    announce tens of thousands of new proposals)."""
    rows = []
    for users, kind, message, link in events:
        seen = set()
        for user in users:
            if user is None or user.id in seen:
                continue
            seen.add(user.id)
            rows.append(
                {
                    "user_id": user.id,
                    "kind": kind,
                    "message": message,
                    "link": link,
                    "created_at": now,
                }
            )
    if rows:
        db.session.execute(insert(Notification), rows)


def once(key: str, today: date) -> bool:
    """True the first time a key is seen: alerts and reminders go out once (a unique key,
    so two runs at once cannot both send)."""
    try:
        with db.session.begin_nested():
            db.session.add(SentAlert(key=key[:120], sent_on=today))
        return True
    except IntegrityError:
        return False


def unread_count(user: User) -> int:
    return (
        db.session.scalar(
            select(func.count(Notification.id)).where(
                Notification.user_id == user.id, Notification.read_at.is_(None)
            )
        )
        or 0
    )


def recent(user: User, limit: int = 50) -> list[Notification]:
    return list(
        db.session.scalars(
            select(Notification)
            .where(Notification.user_id == user.id)
            .order_by(Notification.id.desc())
            .limit(limit)
        )
    )


def mark_all_read(user: User, now: datetime) -> None:
    db.session.execute(
        update(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
        .values(read_at=now)
    )


def digest_mails(now: datetime, window: timedelta = DIGEST_WINDOW) -> int:
    """Write one outbox mail per person for their notifications not mailed yet.

    A person's notifications wait until the newest is `window` old, so a burst
    of events (a proposal accepted, then approved, then a session planned)
    becomes one mail. Returns how many mails were written.
    """
    pending = db.session.scalars(
        select(Notification)
        .where(Notification.mailed_at.is_(None))
        .order_by(Notification.user_id, Notification.id)
    ).all()
    by_user: dict[int, list[Notification]] = defaultdict(list)
    for item in pending:
        by_user[item.user_id].append(item)
    written = 0
    for user_id, items in by_user.items():
        if max(i.created_at for i in items) > now - window:
            continue  # still in a burst: wait for it to end
        user = db.session.get(User, user_id)
        # Each line with its page, as an absolute address under APP_BASE_URL.
        lines = [f"- {i.message}" + (f"\n  {absolute(i.link)}" if i.link else "") for i in items]
        subject = (
            items[0].message
            if len(items) == 1
            else f"{len(items)} nouveautés sur la place de marché des jours de compétences"
        )
        queue_mail(user.email, subject, "Bonjour,\n\n" + "\n".join(lines) + "\n", now, user_id)
        for item in items:
            item.mailed_at = now
        written += 1
    db.session.flush()
    return written
