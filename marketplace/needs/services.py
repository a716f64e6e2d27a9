"""Need rules: who sees and edits which need, saving, lifecycle."""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l

from marketplace.accounts.models import User
from marketplace.accounts.roles import Role
from marketplace.errors import NotAllowed
from marketplace.extensions import db
from marketplace.listings.models import ListingStatus
from marketplace.listings.services import (
    ensure_editable,
    finish_save,
    transition,
)
from marketplace.listings.signals import need_changed
from marketplace.needs.models import Need

NEED_FIELDS = (
    "title",
    "description",
    "skills",
    "category",
    "days",
    "starts_on",
    "ends_on",
    "postcode",
    "commune",
    "lat",
    "lon",
    "is_remote_ok",
)


def can_edit_need(user: User, need: Need) -> bool:
    return user.role == Role.SME_MANAGER and need.organisation_id == user.organisation_id


def save_need(user: User, need: Need | None, fields: dict, now: datetime) -> Need:
    """Create (as a draft) or update a need of the user's own SME."""
    if need is None:
        if user.role != Role.SME_MANAGER or user.organisation_id is None:
            raise NotAllowed(_l("Only an SME manager can post a need for their company."))
        need = Need(
            organisation_id=user.organisation_id,
            created_by_id=user.id,
            status=ListingStatus.DRAFT,
            ref=f"new-{user.id}-{now.timestamp()}",
            created_at=now,
        )
        db.session.add(need)
    else:
        if not can_edit_need(user, need):
            raise NotAllowed(_l("You cannot edit this need."))
        ensure_editable(need)
    for name in NEED_FIELDS:
        setattr(need, name, fields[name])
    finish_save(need, "N", now)
    need_changed.send(need, now=now)
    return need


def act_on_need(user: User, need: Need, action: str, now: datetime) -> None:
    """Publish, close, cancel or reopen a need of the user's own SME."""
    if not can_edit_need(user, need):
        raise NotAllowed(_l("You cannot change this need."))
    transition(need, action, now)
    need_changed.send(need, now=now)
