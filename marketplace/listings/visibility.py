"""Who sees which need and which offer: the one place these rules live."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, false, select, true

from marketplace.accounts.models import Organisation, User
from marketplace.accounts.roles import Role
from marketplace.conventions.services import coordinator_territory_ids, organisation_scope
from marketplace.errors import NotFound
from marketplace.extensions import db
from marketplace.listings.models import ListingStatus
from marketplace.needs.models import Need
from marketplace.offers.models import Offer


def visible_needs(user: User) -> Select:
    """The needs this user may see, joined to their SME."""
    query = select(Need).join(Organisation, Organisation.id == Need.organisation_id)
    if user.role == Role.ADMIN:
        condition = true()
    elif user.role == Role.COORDINATOR:
        condition = Organisation.territory_id.in_(coordinator_territory_ids(user))
    elif user.role == Role.SME_MANAGER:
        condition = Need.organisation_id == user.organisation_id
    elif user.role == Role.VOLUNTEER:
        condition = Need.status == ListingStatus.OPEN
    else:
        condition = false()
    return query.where(condition)


def get_visible_need(user: User, need_id: int) -> Need:
    """The need if this user may see it; NotFound otherwise (never a hint it exists)."""
    need = db.session.scalar(visible_needs(user).where(Need.id == need_id))
    if need is None:
        raise NotFound(_l("This need does not exist, or you cannot see it."))
    return need


def visible_offers(user: User) -> Select:
    """The offers this user may see, joined to their group."""
    query = select(Offer).join(Organisation, Organisation.id == Offer.organisation_id)
    if user.role == Role.ADMIN:
        condition = true()
    elif user.role == Role.COORDINATOR:
        condition = organisation_scope(user)
    elif user.role == Role.GROUP_REFERENT:
        condition = Offer.organisation_id == user.organisation_id
    elif user.role == Role.VOLUNTEER:
        condition = Offer.expert_id == user.id
    elif user.role == Role.SME_MANAGER:
        condition = Offer.status == ListingStatus.OPEN
    else:
        condition = false()
    return query.where(condition)


def get_visible_offer(user: User, offer_id: int) -> Offer:
    """The offer if this user may see it; NotFound otherwise."""
    offer = db.session.scalar(visible_offers(user).where(Offer.id == offer_id))
    if offer is None:
        raise NotFound(_l("This offer does not exist, or you cannot see it."))
    return offer
