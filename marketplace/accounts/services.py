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
    max_failures: int
    window: timedelta


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


def _recent_failures(kind: str, key: str, now: datetime, policy: ThrottlePolicy) -> int:
    return db.session.scalar(
        select(func.count(LoginAttempt.id)).where(
            LoginAttempt.key_kind == kind,
            LoginAttempt.key == key,
            LoginAttempt.attempted_at > now - policy.window,
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
    """Check credentials, throttled per account and per address.

    Raises Throttled when either key already has max_failures failures in the
    window (the attempt is then not even checked). Returns the user, or None
    after recording a failure.
    """
    email = normalise_email(email)
    keys = (("account", email), ("address", address or "unknown"))
    if any(_recent_failures(kind, key, now, policy) >= policy.max_failures for kind, key in keys):
        raise Throttled(
            _l(
                "Too many failed attempts. Try again in %(minutes)d minutes.",
                minutes=int(policy.window.total_seconds() // 60),
            )
        )
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
        delete(LoginAttempt).where(LoginAttempt.key_kind == "account", LoginAttempt.key == email)
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


def create_invitation(user: User, by: User | None, now: datetime, validity: timedelta) -> str:
    """Create a one-time invitation for user; returns the secret token (stored hashed)."""
    token = secrets.token_urlsafe(32)
    db.session.add(
        Invitation(
            user=user,
            token_hash=_token_digest(token),
            created_by_id=by.id if by else None,
            created_at=now,
            expires_at=now + validity,
        )
    )
    return token


def find_invitation(token: str, now: datetime) -> Invitation:
    """The open invitation for this token, or InvitationInvalid saying why not."""
    invitation = db.session.scalar(
        select(Invitation).where(Invitation.token_hash == _token_digest(token or ""))
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


def accept_invitation(token: str, password: str, now: datetime, hash_method: str) -> User:
    """Set the password of the invited user, activate the account, burn the link."""
    invitation = find_invitation(token, now)
    # Conditional update: two submissions of the same link cannot both succeed.
    claimed = db.session.execute(
        Invitation.__table__.update()
        .where(Invitation.id == invitation.id, Invitation.used_at.is_(None))
        .values(used_at=now)
    ).rowcount
    if claimed != 1:
        raise InvitationInvalid(_l("This invitation link has already been used."))
    user = invitation.user
    user.password_hash = hash_password(password, hash_method)
    user.is_active_account = True
    end_sessions(user)
    return user
