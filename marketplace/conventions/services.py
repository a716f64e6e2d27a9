"""Convention rules: who coordinates what, and the convention's hours per day."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import Integer, cast, func, or_, select, true, update

from marketplace.accounts.models import Organisation, User
from marketplace.accounts.roles import Role
from marketplace.conventions.models import (
    Convention,
    ConventionGroup,
    ConventionStatus,
    Territory,
    convention_coordinators,
)
from marketplace.durations import (
    DAY_STEP,
    DEFAULT_MINUTES_PER_DAY,
    MAX_MINUTES_PER_DAY,
    MIN_MINUTES_PER_DAY,
    hours_text,
)
from marketplace.errors import DomainError, NotAllowed
from marketplace.extensions import db
from marketplace.ledger.models import LedgerEntry
from marketplace.offers.models import Offer


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


class SettingRefused(DomainError):
    status_code = 409


def can_manage(user: User, convention: Convention) -> bool:
    """Admins, and the coordinators of this convention."""
    if user.role == Role.ADMIN:
        return True
    return user.role == Role.COORDINATOR and any(c.id == user.id for c in convention.coordinators)


def set_hours_per_day(actor: User, convention: Convention, minutes: int) -> None:
    """A convention's day in minutes (1 h to 12 h by half hours), while nothing is counted
    against it yet: the quota and the commitments keep their days (their minutes follow),
    and the open offers of its groups with nothing reserved are counted at the new day.

    Once time is reserved or delivered, a day means what it meant when it was counted:
    refused. Conditional UPDATEs: an approval at the same moment either comes first (and
    this is refused) or after (and reserves at the new day)."""
    if not can_manage(actor, convention):
        raise NotAllowed(_l("Only the convention's coordinators change its settings."))
    if not (MIN_MINUTES_PER_DAY <= minutes <= MAX_MINUTES_PER_DAY) or minutes % DAY_STEP:
        raise DomainError(
            _l(
                "A day lasts from 1 h to 12 h, by half hours (got %(hours)s).",
                hours=hours_text(minutes),
            ),
            field="hours",
        )
    old = convention.minutes_per_day
    if minutes == old:
        return
    refused = SettingRefused(
        _l(
            "Time is already reserved or delivered on this convention: its days keep the "
            "%(hours)s they were counted at.",
            hours=hours_text(old),
        ),
        field="hours",
    )
    untouched = (
        Convention.minutes_reserved == 0,
        Convention.minutes_delivered == 0,
        Convention.minutes_overridden == 0,
    )
    done = db.session.execute(
        update(Convention)
        .where(
            Convention.id == convention.id,
            Convention.minutes_per_day == old,
            Convention.quota_minutes == convention.quota_minutes,
            *untouched,
            ~select(LedgerEntry.id).where(LedgerEntry.convention_id == convention.id).exists(),
        )
        .values(minutes_per_day=minutes, quota_minutes=convention.quota_minutes * minutes // old)
        .execution_options(synchronize_session=False)
    ).rowcount
    if done != 1:
        raise refused
    partners = db.session.scalars(
        select(ConventionGroup).where(ConventionGroup.convention_id == convention.id)
    ).all()
    for partner in partners:
        if partner.minutes_reserved or partner.minutes_delivered or partner.minutes_overridden:
            raise refused
        partner.committed_minutes = partner.committed_minutes * minutes // old
    rates = offer_minutes_per_day(p.organisation_id for p in partners)
    for group_id, rate in rates.items():
        db.session.execute(
            update(Offer)
            .where(
                Offer.organisation_id == group_id,
                Offer.minutes_reserved == 0,
                Offer.minutes_delivered == 0,
                Offer.minutes_per_day != rate,
            )
            .values(minutes_per_day=rate, minutes=cast(func.round(Offer.days * rate), Integer))
            .execution_options(synchronize_session=False)
        )
    db.session.refresh(convention)


def visible_conventions(user) -> list[Convention]:
    """Coordinators their conventions, admins all, referents those their group is partner of."""
    if user.role in (Role.ADMIN, Role.COORDINATOR):
        return conventions_for(user)
    if user.role == Role.GROUP_REFERENT:
        return list(
            db.session.scalars(
                select(Convention)
                .join(ConventionGroup)
                .where(ConventionGroup.organisation_id == user.organisation_id)
            )
        )
    return []
