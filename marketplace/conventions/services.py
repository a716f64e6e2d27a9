"""Convention rules: who coordinates what."""

from __future__ import annotations

from sqlalchemy import func, or_, select, true

from marketplace.accounts.models import Organisation, User
from marketplace.accounts.roles import Role
from marketplace.conventions.models import (
    Convention,
    ConventionGroup,
    ConventionStatus,
    Territory,
    convention_coordinators,
)
from marketplace.durations import DEFAULT_MINUTES_PER_DAY
from marketplace.extensions import db


def coordinator_territory_ids(user: User) -> set[int]:
    """Territories of the conventions this coordinator runs."""
    rows = db.session.scalars(
        select(Convention.territory_id)
        .join(convention_coordinators, convention_coordinators.c.convention_id == Convention.id)
        .where(convention_coordinators.c.user_id == user.id)
    )
    return set(rows)


def conventions_for(user: User) -> list[Convention]:
    """Conventions a staff user can see: all for admins, their own for coordinators."""
    query = select(Convention).order_by(Convention.starts_on.desc(), Convention.name)
    if user.role != Role.ADMIN:
        query = query.join(
            convention_coordinators, convention_coordinators.c.convention_id == Convention.id
        ).where(convention_coordinators.c.user_id == user.id)
    return list(db.session.scalars(query))


def partner_group_ids(user: User) -> set[int]:
    """Partner groups of the conventions this coordinator runs."""
    rows = db.session.scalars(
        select(ConventionGroup.organisation_id)
        .join(
            convention_coordinators,
            convention_coordinators.c.convention_id == ConventionGroup.convention_id,
        )
        .where(convention_coordinators.c.user_id == user.id)
    )
    return set(rows)


def organisation_scope(user: User):
    """SQL condition on Organisation: what this staff member may manage.

    Admins: everything. Coordinators: organisations in their conventions'
    territories and the partner groups of their conventions (a group's head
    office may be far from the territory it lends experts to).
    """
    if user.role == Role.ADMIN:
        return true()
    return or_(
        Organisation.territory_id.in_(coordinator_territory_ids(user)),
        Organisation.id.in_(partner_group_ids(user)),
    )


def manageable_territories(actor: User) -> list[Territory]:
    """Territories a staff member works in: all for admins, their conventions' for others."""
    query = select(Territory).order_by(Territory.name)
    if actor.role != Role.ADMIN:
        query = query.where(Territory.id.in_(coordinator_territory_ids(actor)))
    return list(db.session.scalars(query))


def offer_minutes_per_day(organisation_ids) -> dict[int, int]:
    """The hours per day (in minutes) an offer of each group is counted at: the longest day
    of the active conventions the group is partner of (so a day of any of them fits in a
    day of the offer), 7 h for a group in none."""
    ids = set(organisation_ids)
    rates = dict.fromkeys(ids, DEFAULT_MINUTES_PER_DAY)
    if not ids:
        return rates
    for group_id, longest in db.session.execute(
        select(ConventionGroup.organisation_id, func.max(Convention.minutes_per_day))
        .join(Convention, Convention.id == ConventionGroup.convention_id)
        .where(
            ConventionGroup.organisation_id.in_(ids),
            Convention.status == ConventionStatus.ACTIVE,
        )
        .group_by(ConventionGroup.organisation_id)
    ):
        rates[group_id] = max(longest, DEFAULT_MINUTES_PER_DAY)
    return rates
