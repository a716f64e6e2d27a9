"""Who plays which part on a mission, who sees which mission, and the one-time form keys."""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, or_, select, true
from sqlalchemy.exc import IntegrityError

from marketplace.accounts.models import Organisation, User
from marketplace.accounts.roles import Role
from marketplace.accounts.services import sme_managers
from marketplace.conventions.models import (
    convention_coordinators,
)
from marketplace.conventions.services import coordinator_territory_ids
from marketplace.errors import InvalidTransition, NotFound
from marketplace.extensions import db
from marketplace.missions.errors import DoubleSubmit
from marketplace.missions.models import (
    Mission,
    SubmittedForm,
)
from marketplace.missions.states import allowed
from marketplace.needs.models import Need
from marketplace.offers.models import Offer
from marketplace.urls import internal_url


def capacities(user: User, mission: Mission) -> set[str]:
    """The parts this user plays on this mission: sme, expert, coordinator."""
    found: set[str] = set()
    if user.role == Role.ADMIN:
        found.add("coordinator")
    elif user.role == Role.COORDINATOR and _coordinates(user, mission):
        found.add("coordinator")
    elif user.role == Role.SME_MANAGER and mission.need.organisation_id == user.organisation_id:
        found.add("sme")
    elif user.role == Role.VOLUNTEER and mission.offer.expert_id == user.id:
        found.add("expert")
    elif user.role == Role.GROUP_REFERENT and mission.group_id == user.organisation_id:
        found.add("expert")
    return found


def _coordinates(user: User, mission: Mission) -> bool:
    if mission.convention_id is not None:
        return bool(
            db.session.scalar(
                select(convention_coordinators.c.user_id).where(
                    convention_coordinators.c.convention_id == mission.convention_id,
                    convention_coordinators.c.user_id == user.id,
                )
            )
        )
    return mission.need.organisation.territory_id in coordinator_territory_ids(user)


def visible_missions(user: User):
    """Missions this user may see (a SELECT joined to the need and its SME)."""
    query = (
        select(Mission)
        .join(Need, Need.id == Mission.need_id)
        .join(Organisation, Organisation.id == Need.organisation_id)
        .join(Offer, Offer.id == Mission.offer_id)
    )
    if user.role == Role.ADMIN:
        condition = true()
    elif user.role == Role.COORDINATOR:
        mine = select(convention_coordinators.c.convention_id).where(
            convention_coordinators.c.user_id == user.id
        )
        condition = or_(
            Mission.convention_id.in_(mine),
            and_(
                Mission.convention_id.is_(None),
                Organisation.territory_id.in_(coordinator_territory_ids(user)),
            ),
        )
    elif user.role == Role.SME_MANAGER:
        condition = Need.organisation_id == user.organisation_id
    elif user.role == Role.VOLUNTEER:
        condition = Offer.expert_id == user.id
    else:
        condition = Mission.group_id == user.organisation_id
    return query.where(condition)


def get_visible_mission(user: User, mission_id: int) -> Mission:
    mission = db.session.scalar(visible_missions(user).where(Mission.id == mission_id))
    if mission is None:
        raise NotFound(_l("This mission does not exist, or you cannot see it."))
    return mission


def check(user: User, mission: Mission, action: str) -> set[str]:
    caps = capacities(user, mission)
    if not caps:
        raise NotFound(_l("This mission does not exist, or you cannot see it."))
    if not allowed(action, mission.status, caps):
        raise InvalidTransition(
            _l(
                "This action is not possible on a mission that is %(status)s.",
                status=mission.status,
            )
        )
    return caps


def sides(mission: Mission) -> tuple[list[User], User, list[User]]:
    """The SME's active managers, the expert, the convention's coordinators."""
    managers = sme_managers(mission.need.organisation_id, active_only=True)
    coordinators = mission.convention.coordinators if mission.convention else []
    return managers, mission.offer.expert, coordinators


def parties(mission: Mission) -> list[User]:
    """The people to tell: the SME's managers, the expert, the coordinators."""
    managers, expert, coordinators = sides(mission)
    return [*managers, expert, *coordinators]


def link(mission: Mission) -> str:
    """The mission's page, as notifications link to it."""
    return internal_url("missions.show_mission", mission_id=mission.id)


def claim_form(key: str | None, user: User, now: datetime) -> None:
    """Refuse a form submitted twice (its one-time key is stored the first time)."""
    if not key or len(key) > 64:
        raise DoubleSubmit(_l("This form has no valid key; reload the page."))
    try:
        with db.session.begin_nested():
            db.session.add(SubmittedForm(key=key, user_id=user.id, at=now))
    except IntegrityError:
        raise DoubleSubmit(_l("This form was already submitted.")) from None
