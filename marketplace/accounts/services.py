"""Account rules: passwords, login throttling, invitations, organisations."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, select
from werkzeug.security import check_password_hash, generate_password_hash

from marketplace.accounts.models import Invitation, LoginAttempt, User
from marketplace.accounts.roles import Role
from marketplace.errors import InvitationInvalid, Throttled
from marketplace.extensions import db

# A dummy hash checked when the email is unknown, so that the answer takes the
# same time whether or not the account exists.
_DUMMY_PASSWORD = "not-a-real-password"  # noqa: S105


@dataclass(frozen=True)
class ThrottlePolicy:
    """How failed logins slow down guessing without locking the account's owner out.

    - `max_failures` for one account from one address (the pair) in the window: that pair
      is refused (429); the same account from an address that did not fail logs in.
    - `max_address_failures` from one address across accounts (higher: an office's shared
      address may hold several people who mistype): the address is refused.
    - the account alone gets no lock: once it has `delay_after` failures in the window, an
      address that already failed on it waits a delay that doubles with each failure (at
      most `max_delay`) before its next try on it.
    """

    max_failures: int
    window: timedelta
    max_address_failures: int = 20
    delay_after: int = 5
    max_delay: timedelta = timedelta(minutes=2)

    def delay(self, account_failures: int) -> timedelta:
        if account_failures < self.delay_after:
            return timedelta(0)
        return min(timedelta(seconds=2 ** (account_failures - self.delay_after)), self.max_delay)


def sme_managers(organisation_id: int, active_only: bool = False) -> list[User]:
    """The SME manager accounts of an organisation (the people notified about its needs)."""
    query = select(User).where(
        User.organisation_id == organisation_id, User.role == Role.SME_MANAGER
    )
    if active_only:
        query = query.where(User.is_active_account.is_(True))
    return list(db.session.scalars(query))


def hash_password(password: str, method: str) -> str:
    """Hash a password with the configured werkzeug method (scrypt by default)."""
    return generate_password_hash(password, method=method)


@lru_cache(maxsize=4)
def _dummy_hash(method: str) -> str:
    return hash_password(_DUMMY_PASSWORD, method)


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


def _recent(
    kind: str, key: str, now: datetime, policy: ThrottlePolicy
) -> tuple[int, datetime | None]:
    """(failures in the window, the last one's time) for one key."""
    count, last = db.session.execute(
        select(func.count(LoginAttempt.id), func.max(LoginAttempt.attempted_at)).where(
            LoginAttempt.key_kind == kind,
            LoginAttempt.key == key,
            LoginAttempt.attempted_at > now - policy.window,
        )
    ).one()
    if last is not None and last.tzinfo is None:
        last = last.replace(tzinfo=now.tzinfo)  # MAX() reads back naive on SQLite
    return count or 0, last


def _pair_key(email: str, address: str) -> str:
    return hashlib.sha256(f"{email}\n{address}".encode()).hexdigest()


def _refuse(wait: timedelta) -> Throttled:
    minutes = max(1, -(-int(wait.total_seconds()) // 60))
    return Throttled(
        _l("Too many failed attempts. Try again in %(minutes)d minutes.", minutes=minutes)
    )


def check_throttle(email: str, address: str, now: datetime, policy: ThrottlePolicy) -> None:
    """Raise Throttled if this attempt may not even be checked (see ThrottlePolicy)."""
    failures, _ = _recent("address", address, now, policy)
    if failures >= policy.max_address_failures:
        raise _refuse(policy.window)
    pair, last_pair = _recent("pair", _pair_key(email, address), now, policy)
    if pair >= policy.max_failures:
        raise _refuse(policy.window)
    if pair:
        account, _ = _recent("account", email, now, policy)
        ready_at = last_pair + policy.delay(account)
        if ready_at > now:
            seconds = int((ready_at - now).total_seconds()) + 1
            raise Throttled(
                _l(
                    "Too many failed attempts on this account. Try again in %(seconds)d seconds.",
                    seconds=seconds,
                )
            )


def authenticate(
    email: str,
    password: str,
    address: str,
    now: datetime,
    policy: ThrottlePolicy,
    hash_method: str,
) -> User | None:
    """Check credentials, throttled as ThrottlePolicy says (in the database, so every
    worker process shares the counts).

    Raises Throttled when the attempt may not be checked. Returns the user, or None after
    recording a failure (for the account, the address and the pair).
    """
    email, address = normalise_email(email), address or "unknown"
    check_throttle(email, address, now, policy)
    keys = (("account", email), ("address", address), ("pair", _pair_key(email, address)))
    user = db.session.scalar(select(User).where(User.email == email))
    if user is None or not user.password_hash:
        check_password_hash(_dummy_hash(hash_method), password)
        ok = False
    else:
        ok = check_password_hash(user.password_hash, password)
    if not ok or not user.is_active:
        for kind, key in keys:
            db.session.add(LoginAttempt(key_kind=kind, key=key, attempted_at=now))
        return None
    db.session.execute(
        delete(LoginAttempt).where(
            ((LoginAttempt.key_kind == "account") & (LoginAttempt.key == email))
            | ((LoginAttempt.key_kind == "pair") & (LoginAttempt.key == keys[2][1]))
        )
    )
    user.last_login_at = now
    if user.password_hash and not user.password_hash.startswith(hash_method + "$"):
        # Upgrade an older, weaker hash now that we know the password.
        user.password_hash = hash_password(password, hash_method)
    return user


def purge_login_attempts(now: datetime, older_than: timedelta) -> int:
    """Delete failed attempts older than the throttling window; returns how many."""
    result = db.session.execute(
        delete(LoginAttempt).where(LoginAttempt.attempted_at < now - older_than)
    )
    return result.rowcount or 0


def end_sessions(user: User) -> None:
    """Invalidate every session and remember cookie of this user."""
    user.session_version = (user.session_version or 0) + 1


def change_password(user: User, current: str, new: str, hash_method: str) -> bool:
    """Set a new password when the current one is right; ends other sessions."""
    if not user.password_hash or not check_password_hash(user.password_hash, current):
        return False
    user.password_hash = hash_password(new, hash_method)
    end_sessions(user)
    return True


def _token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_invitation(
    user: User, by: User | None, now: datetime, validity: timedelta, purpose: str = "invitation"
) -> str:
    """Create a one-time link for user; returns the secret token (stored hashed)."""
    token = secrets.token_urlsafe(32)
    db.session.add(
        Invitation(
            user=user,
            token_hash=_token_digest(token),
            created_by_id=by.id if by else None,
            created_at=now,
            expires_at=now + validity,
            purpose=purpose,
        )
    )
    return token


def find_invitation(token: str, now: datetime) -> Invitation:
    """The open invitation for this token, or InvitationInvalid saying why not."""
    invitation = db.session.scalar(
        select(Invitation).where(
            Invitation.token_hash == _token_digest(token or ""),
            Invitation.purpose == "invitation",
        )
    )
    if invitation is None:
        raise InvitationInvalid(_l("This invitation link is not valid."))
    if invitation.used_at is not None:
        raise InvitationInvalid(_l("This invitation link has already been used."))
    if invitation.expires_at <= now:
        raise InvitationInvalid(
            _l("This invitation link has expired. Ask your coordinator for a new one.")
        )
    return invitation


def _claim(link: Invitation, now: datetime, used_message) -> None:
    """Burn a one-time link with a conditional UPDATE: two submissions of the same link
    cannot both succeed."""
    claimed = db.session.execute(
        Invitation.__table__.update()
        .where(Invitation.id == link.id, Invitation.used_at.is_(None))
        .values(used_at=now)
    ).rowcount
    if claimed != 1:
        raise InvitationInvalid(used_message)


def accept_invitation(token: str, password: str, now: datetime, hash_method: str) -> User:
    """Set the password of the invited user, activate the account, burn the link."""
    invitation = find_invitation(token, now)
    _claim(invitation, now, _l("This invitation link has already been used."))
    user = invitation.user
    user.password_hash = hash_password(password, hash_method)
    user.is_active_account = True
    end_sessions(user)
    return user


# ------------------------------------------------------------------ password reset

RESETS_PER_ACCOUNT = 3  # links mailed to one account per validity period
RESETS_PER_ADDRESS = 10  # requests from one address per validity period


def request_password_reset(
    email: str, address: str, now: datetime, validity: timedelta
) -> tuple[User, str] | None:
    """A reset link for this e-mail's active account, or None (unknown, inactive, or too
    many requests). The caller answers the same way in every case."""
    address = address or "unknown"
    since = now - validity
    requests = db.session.scalar(
        select(func.count(LoginAttempt.id)).where(
            LoginAttempt.key_kind == "reset",
            LoginAttempt.key == address,
            LoginAttempt.attempted_at > since,
        )
    )
    db.session.add(LoginAttempt(key_kind="reset", key=address, attempted_at=now))
    if requests >= RESETS_PER_ADDRESS:
        return None
    user = db.session.scalar(select(User).where(User.email == normalise_email(email)))
    if user is None or not user.is_active or not user.password_hash:
        return None  # invited accounts use their invitation; nothing is said either way
    recent = db.session.scalar(
        select(func.count(Invitation.id)).where(
            Invitation.user_id == user.id,
            Invitation.purpose == "reset",
            Invitation.created_at > since,
        )
    )
    if recent >= RESETS_PER_ACCOUNT:
        return None
    return user, create_invitation(user, None, now, validity, purpose="reset")


def find_reset(token: str, now: datetime) -> Invitation:
    """The open reset link for this token, or InvitationInvalid saying why not."""
    link = db.session.scalar(
        select(Invitation).where(
            Invitation.token_hash == _token_digest(token or ""), Invitation.purpose == "reset"
        )
    )
    if link is None or link.used_at is not None:
        raise InvitationInvalid(_l("This password reset link is not valid, or was already used."))
    if link.expires_at <= now:
        raise InvitationInvalid(_l("This password reset link has expired. Ask for a new one."))
    return link


def reset_password(token: str, password: str, now: datetime, hash_method: str) -> User:
    """Set a new password from a reset link: the link and every other open one are burnt,
    and every session of the account ends."""
    link = find_reset(token, now)
    _claim(link, now, _l("This password reset link is not valid, or was already used."))
    db.session.execute(
        Invitation.__table__.update()
        .where(
            Invitation.user_id == link.user_id,
            Invitation.purpose == "reset",
            Invitation.used_at.is_(None),
        )
        .values(used_at=now)
    )
    user = link.user
    user.password_hash = hash_password(password, hash_method)
    end_sessions(user)
    db.session.execute(
        delete(LoginAttempt).where(
            LoginAttempt.key_kind == "account", LoginAttempt.key == user.email
        )
    )
    return user


# ------------------------------------------------------------------ calendar feed


def new_calendar_token(user: User) -> str:
    """A new private calendar link for this user (the old one stops working)."""
    token = secrets.token_urlsafe(32)
    user.calendar_token_hash = _token_digest(token)
    return token


def revoke_calendar_token(user: User) -> None:
    user.calendar_token_hash = None


def user_by_calendar_token(token: str) -> User | None:
    """The active user this calendar token belongs to, or None."""
    if not token or len(token) > 100:
        return None
    user = db.session.scalar(select(User).where(User.calendar_token_hash == _token_digest(token)))
    return user if user is not None and user.is_active else None
