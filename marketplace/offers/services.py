"""Offer rules: who sees and edits which offer, saving, lifecycle."""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from marketplace.accounts.models import User
from marketplace.accounts.roles import Role
from marketplace.conventions.services import offer_minutes_per_day
from marketplace.durations import days_to_minutes, hours_text, minutes_to_days
from marketplace.errors import NotAllowed
from marketplace.extensions import db
from marketplace.i18n import format_days_unit
from marketplace.listings.models import ListingStatus
from marketplace.listings.services import (
    ensure_editable,
    finish_save,
    transition,
)
from marketplace.listings.signals import offer_changed
from marketplace.offers.models import Offer

OFFER_FIELDS = (
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
    "max_km",
)


def can_edit_offer(user: User, offer: Offer) -> bool:
    if user.role == Role.VOLUNTEER:
        return offer.expert_id == user.id
    if user.role == Role.GROUP_REFERENT:
        return offer.organisation_id == user.organisation_id
    return False


def experts_for(user: User) -> list[User]:
    """Whom this user may post offers for: themselves, or their group's experts."""
    if user.role == Role.VOLUNTEER:
        return [user]
    if user.role == Role.GROUP_REFERENT:
        return list(
            db.session.scalars(
                select(User)
                .where(
                    User.organisation_id == user.organisation_id,
                    User.role.in_((Role.VOLUNTEER, Role.GROUP_REFERENT)),
                )
                .order_by(User.name)
            )
        )
    return []


def save_offer(
    user: User, offer: Offer | None, expert_id: int, fields: dict, now: datetime
) -> Offer:
    """Create (as a draft) or update an offer of the user or of their group's expert."""
    allowed = {expert.id for expert in experts_for(user)}
    if expert_id not in allowed:
        raise NotAllowed(_l("You cannot post offers for this expert."))
    if offer is None:
        offer = Offer(
            organisation_id=user.organisation_id,
            status=ListingStatus.DRAFT,
            created_at=now,
            ref=f"new-{user.id}-{now.timestamp()}",
            minutes_per_day=offer_minutes_per_day([user.organisation_id])[user.organisation_id],
            minutes_reserved=0,
            minutes_delivered=0,
        )
        db.session.add(offer)
    else:
        if not can_edit_offer(user, offer):
            raise NotAllowed(_l("You cannot edit this offer."))
        ensure_editable(offer)
        committed = (offer.minutes_reserved or 0) + (offer.minutes_delivered or 0)
        if days_to_minutes(fields["days"], offer.minutes_per_day) < committed:
            raise NotAllowed(
                _l(
                    "%(days)s (%(hours)s) are already reserved or delivered: the capacity "
                    "cannot go below that.",
                    days=format_days_unit(minutes_to_days(committed, offer.minutes_per_day)),
                    hours=hours_text(committed),
                ),
                field="days",
            )
    offer.expert_id = expert_id
    for name in OFFER_FIELDS:
        setattr(offer, name, fields[name])
    offer.minutes = days_to_minutes(offer.days, offer.minutes_per_day)
    finish_save(offer, "O", now)
    offer_changed.send(offer, now=now)
    return offer


def act_on_offer(user: User, offer: Offer, action: str, now: datetime) -> None:
    """Publish, close, cancel or reopen an offer."""
    if not can_edit_offer(user, offer):
        raise NotAllowed(_l("You cannot change this offer."))
    transition(offer, action, now)
    offer_changed.send(offer, now=now)
