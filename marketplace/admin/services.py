"""Which organisations, territories and users a staff member manages."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from marketplace.accounts.models import Organisation, User
from marketplace.accounts.roles import ROLE_ORG_KIND, Role
from marketplace.accounts.services import create_invitation, normalise_email
from marketplace.conventions.services import (
    coordinator_territory_ids,
    organisation_scope,
    partner_group_ids,
)
from marketplace.errors import NotAllowed
from marketplace.extensions import db


def manageable_organisations(actor: User) -> list[Organisation]:
    query = (
        select(Organisation)
        .where(organisation_scope(actor))
        .order_by(Organisation.kind, Organisation.name)
    )
    return list(db.session.scalars(query))


def manageable_users(actor: User) -> list[User]:
    query = select(User).order_by(User.name)
    if actor.role != Role.ADMIN:
        query = query.join(Organisation).where(organisation_scope(actor))
    return list(db.session.scalars(query))


def can_manage_organisation(actor: User, organisation: Organisation) -> bool:
    """Admins manage every organisation; coordinators those of their territories."""
    if actor.role == Role.ADMIN:
        return True
    if actor.role != Role.COORDINATOR:
        return False
    return organisation.territory_id in coordinator_territory_ids(
        actor
    ) or organisation.id in partner_group_ids(actor)


def create_organisation(actor: User, **fields) -> Organisation:
    """Create an organisation; coordinators only inside their own territories."""
    organisation = Organisation(**fields)
    if not can_manage_organisation(actor, organisation):
        raise NotAllowed(_l("You can only create organisations in your own territories."))
    db.session.add(organisation)
    db.session.flush()
    return organisation


def invite_user(
    actor: User,
    *,
    email: str,
    name: str,
    role: str,
    organisation: Organisation | None,
    now: datetime,
    validity: timedelta,
) -> tuple[User, str]:
    """Create an inactive account and its invitation; returns (user, token)."""
    if role == Role.ADMIN and actor.role != Role.ADMIN:
        raise NotAllowed(_l("Only an administrator can invite an administrator."))
    expected_kind = ROLE_ORG_KIND.get(Role(role))
    if expected_kind is not None:
        if organisation is None or organisation.kind != expected_kind:
            raise NotAllowed(_l("This role needs an organisation of the right kind."))
    if organisation is not None and not can_manage_organisation(actor, organisation):
        raise NotAllowed(_l("You cannot invite users into this organisation."))
    user = User(
        email=normalise_email(email),
        name=name.strip(),
        role=role,
        organisation=organisation,
        is_active_account=False,
        password_hash=None,
    )
    db.session.add(user)
    db.session.flush()
    token = create_invitation(user, actor, now, validity)
    return user, token
