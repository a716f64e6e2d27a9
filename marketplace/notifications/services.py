"""Creating notifications, counting unread ones, digesting them into mails."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import date, datetime, timedelta

from flask import current_app
from flask_babel import force_locale, gettext, ngettext
from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import IntegrityError

from marketplace.accounts.models import User
from marketplace.extensions import db
from marketplace.mail.services import queue_mail
from marketplace.notifications.models import Notification, SentAlert
from marketplace.urls import absolute

# Events for one person closer together than this become one mail.
DIGEST_WINDOW = timedelta(minutes=5)


Message = str | Callable[[], str]


def notify(
    users: Iterable[User | None], kind: str, message: Message, link: str | None, now: datetime
) -> None:
    """One in-app notification for each user (duplicates and None ignored)."""
    notify_many([(users, kind, message, link)], now)


def in_language_of(user: User, message: Message, cache: dict[str, str] | None = None) -> str:
    """The message as `user` reads it: a callable (or a lazy string) is rendered in the
    user's language, figures and dates included; a plain string is kept as it is."""
    if isinstance(message, str):
        return message
    languages = current_app.config["LANGUAGES"]
    locale = user.locale if user.locale in languages else current_app.config["BABEL_DEFAULT_LOCALE"]
    cache = {} if cache is None else cache
    if locale not in cache:
        with force_locale(locale):
            cache[locale] = str(message() if callable(message) else message)
    return cache[locale]


def notify_many(
    events: Iterable[tuple[Iterable[User | None], str, Message, str | None]], now: datetime
) -> None:
    """notify() for many events at once, in one multi-row INSERT (a matching run can
    announce tens of thousands of new proposals). Each person gets the message in their
    own language when it is given as a callable."""
    rows = []
    for users, kind, message, link in events:
        seen = set()
        rendered: dict[str, str] = {}
        for user in users:
            if user is None or user.id in seen:
                continue
            seen.add(user.id)
            rows.append(
                {
                    "user_id": user.id,
                    "kind": kind,
                    "message": in_language_of(user, message, rendered),
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
        count = len(items)
        subject = (
            items[0].message
            if count == 1
            else in_language_of(
                user,
                lambda count=count: ngettext(
                    "%(num)s new item on the skill-days marketplace",
                    "%(num)s new items on the skill-days marketplace",
                    count,
                ),
            )
        )
        hello = in_language_of(user, lambda: gettext("Hello,"))
        queue_mail(user.email, subject, hello + "\n\n" + "\n".join(lines) + "\n", now, user_id)
        for item in items:
            item.mailed_at = now
        written += 1
    db.session.flush()
    return written
